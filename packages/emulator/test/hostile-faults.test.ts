/**
 * The hostile faults: redirects, oversized bodies, next links and cursors that loop, and error
 * messages that echo the Authorization header. Plain HTTPS requests that follow nothing.
 */
import { Agent, fetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Fault } from "../src/index.ts";
import { demo } from "./helpers.ts";

let emu: Emulator | undefined;
let dispatcher: Agent | undefined;
afterEach(async () => {
  await dispatcher?.close();
  await emu?.close();
  emu = dispatcher = undefined;
});

async function start(faults: Fault[]) {
  emu = await startEmulator({ scenario: demo, pageSize: { graph: 2, arm: 2, buildkite: 2 }, faults });
  dispatcher = new Agent({ connect: { ca: emu.caPem } });
  const e = emu;
  const d = dispatcher;
  const send = (method: string, url: string, token: string, body?: unknown) =>
    fetch(url, {
      method,
      dispatcher: d,
      redirect: "manual",
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  return {
    emu: e,
    graph: (path: string) => send("GET", `${e.graphUrl}/v1.0${path}`, e.tokens.graph),
    arm: (path: string) => send("GET", `${e.armUrl}${path}`, e.tokens.arm),
    get: (url: string, token: string) => send("GET", url, token),
    buildkite: (query: string, variables: Record<string, unknown> = {}) => send("POST", e.buildkiteGraphqlUrl, e.tokens.buildkite, { query, variables }),
  };
}

const PIPELINES = "query TrustscopePipelines($after: String) { organization(slug: \"acme\") { pipelines(first: 2, after: $after) { pageInfo { hasNextPage endCursor } edges { node { slug } } } } }";
const SUBSCRIPTIONS = "/subscriptions?api-version=2022-12-01";

describe("hostile faults", () => {
  it("redirect: answers the status with a Location on the foreign origin or its own, and no body", async () => {
    const { emu: e, graph, buildkite, arm } = await start([
      { kind: "redirect", api: "graph", match: /\/applications/, status: 302, to: "foreign" },
      { kind: "redirect", api: "buildkite", match: /#TrustscopePipelines$/, status: 307, to: "foreign" },
      { kind: "redirect", api: "arm", match: /^\/subscriptions\?/, status: 301, to: "same" },
    ]);
    const g = await graph("/applications?$top=2");
    expect(g.status).toBe(302);
    expect(g.headers.get("location")).toBe(`${e.foreignUrl}/v1.0/applications?$top=2`);
    expect(await g.text()).toBe("");
    const b = await buildkite(PIPELINES);
    expect([b.status, b.headers.get("location")]).toEqual([307, `${e.foreignUrl}/v1`]);
    const a = await arm(SUBSCRIPTIONS);
    expect([a.status, a.headers.get("location")]).toEqual([301, `${e.armUrl}${SUBSCRIPTIONS}`]);
    // Other requests are answered as usual; nothing reached the foreign origin.
    expect((await graph("/servicePrincipals?$top=1")).status).toBe(200);
    expect(e.requests.filter((r) => r.api === "foreign")).toEqual([]);
  });

  it("oversize: pads the real answer to more than the given bytes, chunked unless the length is declared", async () => {
    const { graph, arm } = await start([
      { kind: "oversize", api: "graph", match: /\/applications/, bytes: 3_000_000 },
      { kind: "oversize", api: "arm", match: /^\/subscriptions\?/, bytes: 200_000, declareLength: true },
    ]);
    const g = await graph("/applications?$top=2");
    expect(g.headers.get("content-length")).toBeNull();
    const text = await g.text();
    expect(text.length).toBeGreaterThan(3_000_000);
    const body = JSON.parse(text) as { padding: string; value: unknown[] };
    expect(body.padding.length).toBe(3_000_000);
    expect(body.value).toHaveLength(2);
    const a = await arm(SUBSCRIPTIONS);
    const armText = await a.text();
    expect(Number(a.headers.get("content-length"))).toBe(Buffer.byteLength(armText));
    expect((JSON.parse(armText) as { value: unknown[] }).value.length).toBeGreaterThan(0);
  });

  it("oversize: stops writing when the client goes away", async () => {
    const { emu: e, graph } = await start([{ kind: "oversize", api: "graph", match: /\/applications/, bytes: 2 ** 31 }]);
    const res = await graph("/applications");
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    // The server is still answering everything else at once (it is not stuck writing 2 GiB).
    expect((await graph("/servicePrincipals?$top=1")).status).toBe(200);
    expect(e.requests.some((r) => r.path.startsWith("/v1.0/applications") && r.status === 200)).toBe(true);
  });

  it("loopNextLink: every page after the first links to itself; Buildkite's end cursor repeats the one asked for", async () => {
    const { graph, get, buildkite, emu: e } = await start([
      { kind: "loopNextLink", api: "graph", match: /\/servicePrincipals/ },
      { kind: "loopNextLink", api: "arm", match: /roleDefinitions|^\/subscriptions\?/i },
      { kind: "loopNextLink", api: "buildkite", match: /#TrustscopePipelines$/ },
    ]);
    type GraphPage = { "@odata.nextLink": string; value: { id: string }[] };
    const first = (await (await graph("/servicePrincipals?$top=2")).json()) as GraphPage;
    const second = (await (await get(first["@odata.nextLink"], e.tokens.graph)).json()) as GraphPage;
    expect(second.value).not.toEqual(first.value);
    expect(second["@odata.nextLink"]).toBe(first["@odata.nextLink"]);

    // A one-page listing (two subscriptions) links on as well, to an empty page that links to itself.
    type ArmPage = { nextLink: string; value: unknown[] };
    const subsFirst = (await (await get(`${e.armUrl}${SUBSCRIPTIONS}`, e.tokens.arm)).json()) as ArmPage;
    const subsSecond = (await (await get(subsFirst.nextLink, e.tokens.arm)).json()) as ArmPage;
    expect([subsFirst.value.length, subsSecond.value.length, subsSecond.nextLink]).toEqual([2, 0, subsFirst.nextLink]);

    const sub = demo.azure!.subscriptions[0]!.subscriptionId;
    const armFirst = (await (await get(`${e.armUrl}/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01`, e.tokens.arm)).json()) as { nextLink: string };
    const armSecond = (await (await get(armFirst.nextLink, e.tokens.arm)).json()) as { nextLink: string };
    expect(armSecond.nextLink).toBe(armFirst.nextLink);

    type Page = { data: { organization: { pipelines: { pageInfo: { hasNextPage: boolean; endCursor: string } } } } };
    const p1 = (await (await buildkite(PIPELINES)).json()) as Page;
    const cursor = p1.data.organization.pipelines.pageInfo.endCursor;
    const p2 = (await (await buildkite(PIPELINES, { after: cursor })).json()) as Page;
    expect(p2.data.organization.pipelines.pageInfo).toEqual({ hasNextPage: true, endCursor: cursor });
  });

  it("echoAuthorization: the family's error carries the Authorization header and the token in its message", async () => {
    const { graph, arm, buildkite, emu: e } = await start([
      { kind: "echoAuthorization", api: "graph", match: /\/applications/ },
      { kind: "echoAuthorization", api: "arm", match: /^\/subscriptions\?/, status: 500 },
      { kind: "echoAuthorization", api: "buildkite", match: /#TrustscopePipelines$/, status: 200 },
    ]);
    const g = await graph("/applications");
    expect(g.status).toBe(400);
    expect(((await g.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "BadRequest", message: expect.stringContaining(`'Bearer ${e.tokens.graph}'`) });
    const a = await arm(SUBSCRIPTIONS);
    expect(a.status).toBe(500);
    expect(((await a.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "InternalServerError", message: expect.stringContaining(`token ${e.tokens.arm} `) });
    const b = await buildkite(PIPELINES);
    expect(b.status).toBe(200);
    expect(((await b.json()) as { errors: { message: string }[] }).errors[0]!.message).toContain(e.tokens.buildkite);
  });
});
