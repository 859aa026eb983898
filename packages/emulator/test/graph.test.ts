import { describe, expect, it } from "vitest";
import type { Emulator, Fault } from "../src/index.ts";
import { demo, emulatorPerTest, pageAll, type EmulatorClient, type Json } from "./helpers.ts";

const startEmulatorForTest = emulatorPerTest();
let emu: Emulator | undefined;
let http: EmulatorClient | undefined;

async function start(faults: Fault[] = []) {
  const started = await startEmulatorForTest({ scenario: demo, pageSize: { graph: 2 }, faults });
  ({ emu, http } = started);
  const get = (url: string, headers?: Record<string, string>) => started.http.get(url, started.emu.tokens.graph, headers);
  const post = (url: string, body: unknown) => started.http.post(url, body, started.emu.tokens.graph);
  return { emu: started.emu, get, post, v1: `${started.emu.graphUrl}/v1.0` };
}

const entra = demo.entra!;
const APPS_QUERY = "/applications?$select=id,appId,displayName,passwordCredentials&$expand=federatedIdentityCredentials&$top=999";

describe("Microsoft Graph /applications", () => {
  it("pages with an absolute @odata.nextLink ($skiptoken, other parameters kept) and reaches every app with its credentials", async () => {
    const { get, v1 } = await start();
    const first = await get(`${v1}${APPS_QUERY}`);
    expect(first.status).toBe(200);
    expect(first.body["@odata.context"]).toBe(`${emu!.graphUrl}/v1.0/$metadata#applications(id,appId,displayName,passwordCredentials,federatedIdentityCredentials)`);
    expect((first.body.value as Json[]).length).toBe(2);
    const next = first.body["@odata.nextLink"] as string;
    expect(next.startsWith(`${emu!.graphUrl}/v1.0/applications?`)).toBe(true);
    expect(next).toContain("$select=id,appId,displayName,passwordCredentials");
    expect(next).toContain("$expand=federatedIdentityCredentials");
    expect(next).toContain("$top=999");
    expect(next).toMatch(/\$skiptoken=[A-Za-z0-9_-]+$/);

    const { items, pages } = await pageAll((u) => get(u), `${v1}${APPS_QUERY}`, "@odata.nextLink");
    expect(pages).toBe(Math.ceil(entra.applications.length / 2));
    expect(items.map((a) => a.appId)).toEqual(entra.applications.map((a) => a.appId));
    for (const app of entra.applications) {
      const got = items.find((a) => a.id === app.objectId)!;
      expect(Object.keys(got).sort()).toEqual(["appId", "displayName", "federatedIdentityCredentials", "id", "passwordCredentials"]);
      expect(got.displayName).toBe(app.displayName);
      const fics = got.federatedIdentityCredentials as Json[];
      expect(fics.map((f) => ({ name: f.name, issuer: f.issuer, subject: f.subject, audiences: f.audiences }))).toEqual(
        // v1.0 answers a flexible credential's subject as null (its expression is only in beta).
        app.federatedIdentityCredentials.map((f) => ({ name: f.name, issuer: f.issuer, subject: f.claimsMatchingExpression ? null : f.subject, audiences: f.audiences })),
      );
      for (const f of fics) {
        expect(Object.keys(f).sort()).toEqual(["audiences", "description", "id", "issuer", "name", "subject"]);
        expect(f.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
      }
      const passwords = got.passwordCredentials as Json[];
      expect(passwords.map((p) => p.keyId)).toEqual(app.passwordCredentials.map((p) => p.keyId));
      for (const p of passwords) {
        expect(p.secretText).toBeNull();
        expect(Object.keys(p).sort()).toEqual(["customKeyIdentifier", "displayName", "endDateTime", "hint", "keyId", "secretText", "startDateTime"]);
      }
    }
  });

  it("serves its default properties without $select, one app by id or appId, and its credentials", async () => {
    const { get, v1 } = await start();
    const app = entra.applications[0]!;
    const list = await get(`${v1}/applications`);
    expect(list.body["@odata.context"]).toBe(`${emu!.graphUrl}/v1.0/$metadata#applications`);
    expect((list.body.value as Json[])[0]).toMatchObject({ id: app.objectId, appId: app.appId, signInAudience: "AzureADMyOrg", keyCredentials: [] });
    expect((list.body.value as Json[])[0]).not.toHaveProperty("federatedIdentityCredentials");
    const byId = await get(`${v1}/applications/${app.objectId}?$select=id,displayName`);
    expect(byId.body).toEqual({ "@odata.context": `${emu!.graphUrl}/v1.0/$metadata#applications(id,displayName)/$entity`, id: app.objectId, displayName: app.displayName });
    const byAppId = await get(`${v1}/applications(appId='${app.appId}')?$select=id`);
    expect(byAppId.body.id).toBe(app.objectId);
    const fics = await get(`${v1}/applications/${app.objectId}/federatedIdentityCredentials`);
    expect((fics.body.value as Json[]).map((f) => f.subject)).toEqual(app.federatedIdentityCredentials.map((f) => f.subject));
    expect(fics.body).not.toHaveProperty("@odata.nextLink");
    const filtered = await get(`${v1}/applications?$filter=appId eq '${app.appId}'&$select=id`);
    expect(filtered.body.value).toEqual([{ id: app.objectId }]);
  });

  it("rejects what Graph rejects: unknown $select properties, $top over 999; ignores $count without ConsistencyLevel", async () => {
    const { get, v1 } = await start();
    const badSelect = await get(`${v1}/applications?$select=id,nonsense`);
    expect(badSelect.status).toBe(400);
    expect((badSelect.body.error as Json).message).toMatch(/Could not find a property named 'nonsense' on type 'microsoft\.graph\.application'/);
    expect((await get(`${v1}/applications?$top=1000`)).status).toBe(400);
    // Without the header `?$count=true` is silently ignored (aad-advanced-queries.md).
    const uncounted = await get(`${v1}/applications?$count=true`);
    expect(uncounted.status).toBe(200);
    expect(uncounted.body).not.toHaveProperty("@odata.count");
    const counted = await get(`${v1}/applications?$count=true&$select=id`, { ConsistencyLevel: "eventual" });
    expect(counted.body["@odata.count"]).toBe(entra.applications.length);
    const unknown = await get(`${v1}/nothingHere`);
    expect(unknown.status).toBe(400);
    expect((unknown.body.error as Json).message).toBe("Resource not found for the segment 'nothingHere'.");
  });
});

describe("Microsoft Graph service principals", () => {
  it("finds a service principal by appId key and by id; 404 Request_ResourceNotFound when absent", async () => {
    const { get, v1 } = await start();
    const sp = entra.servicePrincipals[1]!;
    const byAppId = await get(`${v1}/servicePrincipals(appId='${sp.appId}')?$select=id,appId,displayName,servicePrincipalType`);
    expect(byAppId.body).toEqual({
      "@odata.context": `${emu!.graphUrl}/v1.0/$metadata#servicePrincipals(id,appId,displayName,servicePrincipalType)/$entity`,
      id: sp.objectId,
      appId: sp.appId,
      displayName: sp.displayName,
      servicePrincipalType: sp.servicePrincipalType,
    });
    expect((await get(`${v1}/servicePrincipals/${sp.objectId}`)).body).toMatchObject({ id: sp.objectId, appId: sp.appId });
    const missing = await get(`${v1}/servicePrincipals/00000000-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(404);
    expect((missing.body.error as Json).code).toBe("Request_ResourceNotFound");
    const list = await pageAll((u) => get(u), `${v1}/servicePrincipals?$select=id`, "@odata.nextLink");
    expect(list.items.map((s) => s.id)).toEqual(entra.servicePrincipals.map((s) => s.objectId));
  });

  it("lists transitive group memberships (also cast to groups, an advanced query, and keyed by appId), paged", async () => {
    const { get, v1 } = await start();
    const member = entra.servicePrincipals.find((s) => s.memberOf.length > 0)!;
    const group = entra.groups.find((g) => g.objectId === member.memberOf[0])!;
    const plain = await get(`${v1}/servicePrincipals/${member.objectId}/transitiveMemberOf?$select=id,displayName&$top=999`);
    expect(plain.body.value).toEqual([{ "@odata.type": "#microsoft.graph.group", id: group.objectId, displayName: group.displayName }]);
    // The cast needs ConsistencyLevel and $count=true; its items are groups, with no @odata.type.
    const cast = `${v1}/servicePrincipals(appId='${member.appId}')/transitiveMemberOf/microsoft.graph.group?$count=true&$select=id,displayName&$top=999`;
    const r = await get(cast, { ConsistencyLevel: "eventual" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ "@odata.context": `${emu!.graphUrl}/v1.0/$metadata#groups(id,displayName)`, "@odata.count": 1 });
    expect(r.body.value).toEqual([{ id: group.objectId, displayName: group.displayName }]);
    const unadvanced = await get(cast);
    expect(unadvanced.status).toBe(400);
    expect((unadvanced.body.error as Json).code).toBe("Request_UnsupportedQuery");
    const none = await get(`${v1}/servicePrincipals/${entra.servicePrincipals.find((s) => s.memberOf.length === 0)!.objectId}/transitiveMemberOf`);
    expect(none.body.value).toEqual([]);
  });
});

describe("Microsoft Graph $batch", () => {
  it("runs up to 20 relative requests through the same routes", async () => {
    const { post, v1 } = await start();
    const sps = entra.servicePrincipals;
    const requests = [
      ...sps.map((s, i) => ({ id: `sp${i}`, method: "GET", url: `/servicePrincipals(appId='${s.appId}')?$select=id,appId` })),
      { id: "missing", method: "GET", url: "/servicePrincipals(appId='00000000-0000-4000-8000-000000000000')" },
      { id: "versioned", method: "GET", url: `/v1.0/servicePrincipals/${sps.find((s) => s.memberOf.length === 1)!.objectId}/transitiveMemberOf?$select=id,displayName` },
      { id: "apps", method: "GET", url: "/applications?$select=id&$top=999" },
    ];
    const r = await post(`${v1}/$batch`, { requests });
    expect(r.status).toBe(200);
    const responses = r.body.responses as { id: string; status: number; headers: Record<string, string>; body: Json }[];
    expect(responses.map((x) => x.id)).toEqual(requests.map((x) => x.id));
    sps.forEach((s, i) => expect(responses[i]).toMatchObject({ status: 200, body: { id: s.objectId, appId: s.appId } }));
    expect(responses.find((x) => x.id === "missing")).toMatchObject({ status: 404, body: { error: { code: "Request_ResourceNotFound" } } });
    expect((responses.find((x) => x.id === "versioned")!.body.value as Json[]).length).toBe(1);
    // Inner lists page like outer ones, with absolute next links.
    expect(responses.find((x) => x.id === "apps")!.body["@odata.nextLink"]).toMatch(new RegExp(`^${emu!.graphUrl}/v1\\.0/applications\\?\\$select=id&\\$top=999&\\$skiptoken=`));
    const inner = emu!.requests.filter((x) => x.batchInner);
    expect(inner.map((x) => x.path)).toEqual(requests.map((x) => `/v1.0${x.url.replace(/^\/v1\.0/, "")}`));
    // The batch itself is logged first, then its inner requests.
    const batchIndex = emu!.requests.findIndex((x) => x.path === "/v1.0/$batch");
    expect(emu!.requests.indexOf(inner[0]!)).toBeGreaterThan(batchIndex);
  });

  it("refuses more than 20 requests with 400", async () => {
    const { post, v1 } = await start();
    const requests = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: "GET", url: "/applications" }));
    const r = await post(`${v1}/$batch`, { requests });
    expect(r.status).toBe(400);
    expect((r.body.error as Json).code).toBe("BadRequest");
  });

  it("throttles inner requests with their own 429 and Retry-After", async () => {
    const { post, v1 } = await start([{ kind: "throttle", api: "graph", match: /transitiveMemberOf/, times: 1, retryAfterSeconds: 2 }]);
    const sp = entra.servicePrincipals[1]!;
    const requests = [
      { id: "1", method: "GET", url: `/servicePrincipals/${sp.objectId}/transitiveMemberOf` },
      { id: "2", method: "GET", url: `/servicePrincipals/${sp.objectId}` },
    ];
    const first = await post(`${v1}/$batch`, { requests });
    expect(first.status).toBe(200);
    const [throttled, fine] = first.body.responses as { status: number; headers: Record<string, string>; body: Json }[];
    expect(throttled!.status).toBe(429);
    expect(throttled!.headers["Retry-After"]).toBe("2");
    expect((throttled!.body.error as Json).code).toBe("TooManyRequests");
    expect(fine!.status).toBe(200);
    const second = await post(`${v1}/$batch`, { requests });
    expect((second.body.responses as { status: number }[]).map((x) => x.status)).toEqual([200, 200]);
  });
});

describe("Microsoft Graph faults", () => {
  it("throttle: 429 TooManyRequests with Retry-After, then success", async () => {
    const { get, v1 } = await start([{ kind: "throttle", api: "graph", match: /\/applications/, times: 2, retryAfterSeconds: 1.5 }]);
    for (let i = 0; i < 2; i++) {
      const r = await get(`${v1}/applications`);
      expect(r.status).toBe(429);
      expect(r.headers.get("retry-after")).toBe("1.5");
      expect(r.body.error).toMatchObject({ code: "TooManyRequests", innerError: { code: "429" } });
    }
    expect((await get(`${v1}/applications`)).status).toBe(200);
  });

  it("throttle with status 503", async () => {
    const { get, v1 } = await start([{ kind: "throttle", api: "graph", match: /\/applications/, times: 1, retryAfterSeconds: 0, status: 503 }]);
    const r = await get(`${v1}/applications`);
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("0");
  });

  it("forbidden: 403 Authorization_RequestDenied", async () => {
    const { get, v1 } = await start([{ kind: "forbidden", api: "graph", match: /transitiveMemberOf/ }]);
    const r = await get(`${v1}/servicePrincipals/${entra.servicePrincipals[0]!.objectId}/transitiveMemberOf`);
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." });
    expect((await get(`${v1}/applications`)).status).toBe(200);
  });

  it("fail: always the given status with Graph's error body", async () => {
    const { get, v1 } = await start([{ kind: "fail", api: "graph", match: /\/applications/, status: 502 }]);
    for (let i = 0; i < 3; i++) expect((await get(`${v1}/applications`)).status).toBe(502);
    const r = await get(`${v1}/applications`);
    expect((r.body.error as Json).code).toBe("BadGateway");
  });

  it("foreignNextLink: the next link points at the foreign origin, which records whether a token came along", async () => {
    const { get, v1 } = await start([{ kind: "foreignNextLink", api: "graph", match: /\/applications/ }]);
    const r = await get(`${v1}${APPS_QUERY}`);
    const next = r.body["@odata.nextLink"] as string;
    expect(next.startsWith(`${emu!.foreignUrl}/v1.0/applications?`)).toBe(true);
    expect(await http!.get(next)).toMatchObject({ status: 200, body: { value: [] } });
    await get(next);
    const foreign = emu!.requests.filter((x) => x.api === "foreign");
    expect(foreign.map((x) => [x.hasAuthorization, x.authorizationValid])).toEqual([
      [false, false],
      [true, true],
    ]);
    expect(foreign[0]!.path).toBe(next.slice(emu!.foreignUrl.length));
  });
});
