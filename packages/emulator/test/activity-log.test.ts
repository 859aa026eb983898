/** The emulator's Activity Log: the filters the service accepts, $select, paging and errors. */
import { describe, expect, it } from "vitest";
import { activityScenario } from "./activity-scenario.ts";
import { emulatorPerTest, pageAll, type Json } from "./helpers.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const S = activityScenario(NOW);
const start = emulatorPerTest();
const WINDOW = "eventTimestamp ge '2026-03-03T12:00:00Z' and eventTimestamp le '2026-06-01T12:00:00Z'";

function url(base: string, sub: string, query: Record<string, string>): string {
  const q = new URLSearchParams({ "api-version": "2015-04-01", ...query });
  return `${base}/subscriptions/${sub}/providers/microsoft.insights/eventtypes/management/values?${q.toString()}`;
}

describe("Activity Log", () => {
  it("serves one caller's events, paged by nextLink, with the real EventData shape", async () => {
    const { emu, http } = await start({ scenario: S.inventory, pageSize: { arm: 100 } });
    const first = await http.get(url(emu.armUrl, S.prod, { $filter: `${WINDOW} and caller eq '${S.deployer}'` }), emu.tokens.arm);
    expect(first.status).toBe(200);
    const next = first.body.nextLink as string;
    const link = new URL(next);
    expect(`${link.origin}${link.pathname}`).toBe(`${emu.armUrl}/subscriptions/${S.prod}/providers/microsoft.insights/eventtypes/management/values`);
    expect(link.searchParams.get("$filter")).toBe(`${WINDOW} and caller eq '${S.deployer}'`);
    expect(link.searchParams.get("$skiptoken")).toBeTruthy();
    const event = (first.body.value as Json[])[0]!;
    expect(Object.keys(event)).toEqual(expect.arrayContaining(["authorization", "caller", "claims", "category", "eventTimestamp", "id", "operationName", "resourceId", "status", "subscriptionId", "tenantId"]));
    expect(event.caller).toBe(S.deployer);
    const claims = event.claims as Record<string, string>;
    expect(claims["http://schemas.microsoft.com/identity/claims/objectidentifier"]).toBe(S.deployer);
    expect(claims.idtyp).toBe("app");
    expect(event.eventTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);

    const all = await pageAll((u) => http.get(u, emu.tokens.arm), url(emu.armUrl, S.prod, { $filter: `${WINDOW} and caller eq '${S.deployer}'` }), "nextLink");
    // 453 writes, and one read, one failure, one Started and one policy event of the same caller.
    expect(all.items).toHaveLength(457);
    expect(all.pages).toBe(5);
    expect(all.items.every((e) => e.caller === S.deployer)).toBe(true);
    // Without the caller, everyone's: the other callers' too.
    const everyone = await pageAll((u) => http.get(u, emu.tokens.arm), url(emu.armUrl, S.prod, { $filter: WINDOW }), "nextLink");
    expect(new Set(everyone.items.map((e) => e.caller))).toEqual(new Set([S.deployer, S.miPrincipal, S.reader, "admin@contoso.com"]));
  });

  it("honours $select: unselected fields are absent", async () => {
    const { emu, http } = await start({ scenario: S.inventory });
    const r = await http.get(url(emu.armUrl, S.dev, { $filter: WINDOW, $select: "Caller,operationName,eventTimestamp" }), emu.tokens.arm);
    expect(r.status).toBe(200);
    for (const e of r.body.value as Json[]) expect(Object.keys(e).sort()).toEqual(["caller", "eventTimestamp", "operationName"]);
    const bad = await http.get(url(emu.armUrl, S.dev, { $filter: WINDOW, $select: "caller,nonsense" }), emu.tokens.arm);
    expect(bad.status).toBe(400);
  });

  it("filters on the window server-side", async () => {
    const { emu, http } = await start({ scenario: S.inventory });
    const r = await http.get(url(emu.armUrl, S.prod, { $filter: `eventTimestamp ge '2026-05-20T00:00:00Z' and eventTimestamp le '2026-05-23T00:00:00Z' and caller eq '${S.deployer}' and resourceProvider eq 'Microsoft.Authorization'` }), emu.tokens.arm);
    expect((r.body.value as Json[]).map((e) => (e.operationName as Json).value)).toEqual(["Microsoft.Authorization/roleAssignments/write"]);
  });

  it.each([
    ["no $filter", undefined],
    ["no end of the window", "eventTimestamp ge '2026-03-03T12:00:00Z'"],
    ["an unsupported field", `${WINDOW} and level eq 'Error'`],
    ["an unsupported operator", `${WINDOW} and caller ne 'x'`],
    ["two scoping conditions", `${WINDOW} and resourceGroupName eq 'a' and resourceProvider eq 'b'`],
    ["a start after the end", "eventTimestamp ge '2026-06-01T00:00:00Z' and eventTimestamp le '2026-03-01T00:00:00Z'"],
    ["a date that is none", "eventTimestamp ge 'yesterday' and eventTimestamp le '2026-03-01T00:00:00Z'"],
  ])("answers 400 with an ARM error for %s", async (_what, filter) => {
    const { emu, http } = await start({ scenario: S.inventory });
    const r = await http.get(url(emu.armUrl, S.prod, filter === undefined ? {} : { $filter: filter }), emu.tokens.arm);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: "BadRequest", message: expect.stringContaining("$filter") } });
  });

  it("a forbidden fault answers with the real AuthorizationFailed body for the subscription", async () => {
    const { emu, http } = await start({ scenario: S.inventory, faults: [{ kind: "forbidden", api: "arm", match: /eventtypes/ }] });
    const r = await http.get(url(emu.armUrl, S.prod, { $filter: WINDOW }), emu.tokens.arm);
    expect(r.status).toBe(403);
    expect((r.body.error as Json).message).toContain(`perform action 'microsoft.insights/eventtypes/values/read' over scope '/subscriptions/${S.prod}'`);
  });
});
