import { describe, expect, it } from "vitest";
import { EMULATOR_CALLER_OBJECT_ID, type Emulator, type Fault } from "../src/index.ts";
import { demo, emulatorPerTest, pageAll, type Json } from "./helpers.ts";

const startEmulatorForTest = emulatorPerTest();
let emu: Emulator | undefined;

async function start(faults: Fault[] = []) {
  const started = await startEmulatorForTest({ scenario: demo, pageSize: { arm: 2 }, faults });
  emu = started.emu;
  const { http } = started;
  const get = (path: string) => http.get(path.startsWith("https://") ? path : `${emu!.armUrl}${path}`, emu!.tokens.arm);
  const post = (path: string) => http.post(path.startsWith("https://") ? path : `${emu!.armUrl}${path}`, {}, emu!.tokens.arm);
  return { emu, get, post };
}

const azure = demo.azure!;
const SUB_PROD = "0b1f6471-1bf0-4dda-aec3-111122223333";
const SUB_NONPROD = "4d6e8f10-2a3b-4c5d-8e9f-444455556666";
const lc = (s: string) => s.toLowerCase();

describe("Azure Resource Manager", () => {
  it("requires api-version", async () => {
    const { get } = await start();
    const missing = await get("/subscriptions");
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: { code: "MissingApiVersionParameter", message: "The api-version query parameter (?api-version=) is required for all requests." } });
    const invalid = await get("/subscriptions?api-version=latest");
    expect(invalid.status).toBe(400);
    expect((invalid.body.error as Json).code).toBe("InvalidApiVersionParameter");
  });

  it("pages every list with an absolute nextLink that keeps api-version, and the pages add up to the scenario", async () => {
    const { get } = await start();
    const all = async (path: string) => {
      const r = await pageAll(get, path, "nextLink");
      return r;
    };
    const first = await get("/subscriptions?api-version=2022-12-01");
    expect(first.body.nextLink ?? null).toBeNull(); // two subscriptions fit one page of two
    const rgs = await all(`/subscriptions/${SUB_NONPROD}/resourcegroups?api-version=2025-04-01`);
    const expectedRgs = azure.resourceGroups.filter((g) => g.subscriptionId === SUB_NONPROD);
    expect(rgs.items.map((g) => g.id).sort()).toEqual(expectedRgs.map((g) => g.id).sort());
    expect(rgs.pages).toBe(Math.ceil(expectedRgs.length / 2));
    const next = (await get(`/subscriptions/${SUB_NONPROD}/resourcegroups?api-version=2025-04-01`)).body.nextLink as string;
    expect(next).toMatch(new RegExp(`^${emu!.armUrl}/subscriptions/${SUB_NONPROD}/resourcegroups\\?api-version=2025-04-01&\\$skiptoken=[A-Za-z0-9_-]+$`));

    const lists: [string, number][] = [
      ["/subscriptions?api-version=2022-12-01", azure.subscriptions.length],
      ["/providers/Microsoft.Management/managementGroups?api-version=2021-04-01", azure.managementGroups.length],
      [`/subscriptions/${SUB_NONPROD}/providers/Microsoft.Storage/storageAccounts?api-version=2025-06-01`, azure.storageAccounts.filter((a) => a.id.includes(SUB_NONPROD)).length],
      [`/subscriptions/${SUB_NONPROD}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2024-11-30`, azure.managedIdentities.filter((m) => m.id.includes(SUB_NONPROD)).length],
      [`/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01`, azure.roleDefinitions.length],
      [`/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01`, azure.roleDefinitions.filter((d) => d.assignableScopes.includes("/")).length],
    ];
    for (const [path, count] of lists) {
      const r = await all(path);
      expect(r.items.length, path).toBe(count);
      expect(r.pages, path).toBe(Math.max(1, Math.ceil(count / 2)));
    }
  });

  it("returns the ARM shapes the SDK models read", async () => {
    const { get } = await start();
    const subs = (await pageAll(get, "/subscriptions?api-version=2022-12-01", "nextLink")).items;
    const prod = subs.find((s) => s.subscriptionId === SUB_PROD)!;
    expect(prod).toMatchObject({ id: `/subscriptions/${SUB_PROD}`, tenantId: demo.tenantId, displayName: "Contoso-Prod", state: "Enabled", tags: { environment: "production", owner: "platform" } });

    const accounts = (await pageAll(get, `/subscriptions/${SUB_NONPROD}/providers/Microsoft.Storage/storageAccounts?api-version=2025-06-01`, "nextLink")).items;
    for (const a of accounts) {
      const expected = azure.storageAccounts.find((x) => x.id === a.id)!;
      expect(a).toMatchObject({ name: expected.name, type: "Microsoft.Storage/storageAccounts", kind: "StorageV2", sku: { name: "Standard_LRS" } });
      const props = a.properties as Json;
      if (expected.allowSharedKeyAccess === undefined || expected.allowSharedKeyAccess === null) expect(props).not.toHaveProperty("allowSharedKeyAccess");
      else expect(props.allowSharedKeyAccess).toBe(expected.allowSharedKeyAccess);
    }

    const mi = azure.managedIdentities[0]!;
    const identities = (await pageAll(get, `/subscriptions/${SUB_NONPROD}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2024-11-30`, "nextLink")).items;
    // Every identity of the subscription (the demo's history added a second one), in scenario order.
    expect(identities).toEqual(
      azure.managedIdentities
        .filter((m) => m.id.toLowerCase().startsWith(`/subscriptions/${SUB_NONPROD}/`))
        .map((m) => ({ id: m.id, name: m.name, type: "Microsoft.ManagedIdentity/userAssignedIdentities", location: "westeurope", tags: {}, properties: { tenantId: m.tenantId, principalId: m.principalId, clientId: m.clientId, isolationScope: "None" } })),
    );
    expect(identities.map((i) => i.id)).toContain(mi.id);
    const ficPath = `${mi.id}/federatedIdentityCredentials?api-version=2024-11-30`;
    const fics = (await pageAll(get, ficPath, "nextLink")).items;
    expect(fics).toEqual(
      mi.federatedIdentityCredentials.map((f) => ({
        id: `${mi.id}/federatedIdentityCredentials/${f.name}`,
        name: f.name,
        type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
        properties: { issuer: f.issuer, subject: f.subject, audiences: f.audiences },
      })),
    );

    const defs = (await pageAll(get, `/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01`, "nextLink")).items;
    const custom = defs.find((d) => (d.properties as Json).roleName === "Sandbox Operator")!;
    expect(custom).toMatchObject({ type: "Microsoft.Authorization/roleDefinitions", properties: { type: "CustomRole", assignableScopes: [`/subscriptions/${SUB_NONPROD}`] } });
    expect(Object.keys((custom.properties as { permissions: Json[] }).permissions[0]!).sort()).toEqual(["actions", "dataActions", "notActions", "notDataActions"]);
  });

  it("lists every role assignment that applies to a subscription: at, below and above it (management groups and root)", async () => {
    const { get } = await start();
    for (const sub of [SUB_PROD, SUB_NONPROD]) {
      const { items } = await pageAll(get, `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`, "nextLink");
      const mgChain = new Set<string>();
      let mg = azure.subscriptions.find((s) => s.subscriptionId === sub)!.managementGroupId;
      while (mg) {
        mgChain.add(lc(mg));
        mg = azure.managementGroups.find((m) => lc(m.id) === lc(mg!))?.parentId;
      }
      const expected = azure.roleAssignments.filter((a) => lc(a.scope).startsWith(`/subscriptions/${sub}`) || mgChain.has(lc(a.scope)) || a.scope === "/");
      expect(items.map((a) => a.id).sort()).toEqual(expected.map((a) => a.id).sort());
      expect(items.some((a) => (a.properties as Json).scope === `/providers/Microsoft.Management/managementGroups/${demo.tenantId}`)).toBe(true);
    }
    const { items } = await pageAll(get, `/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`, "nextLink");
    const conditional = items.find((a) => (a.properties as Json).condition !== null)!;
    const source = azure.roleAssignments.find((a) => a.id === conditional.id)!;
    expect(conditional).toEqual({
      id: source.id,
      name: source.id.split("/").pop(),
      type: "Microsoft.Authorization/roleAssignments",
      properties: {
        roleDefinitionId: source.roleDefinitionId,
        principalId: source.principalId,
        principalType: source.principalType,
        scope: source.scope,
        condition: source.condition,
        conditionVersion: source.conditionVersion,
        createdOn: expect.any(String),
        updatedOn: expect.any(String),
        createdBy: source.createdBy,
        updatedBy: source.createdBy,
        delegatedManagedIdentityResourceId: null,
        description: null,
      },
    });
    // $filter=atScope(): only at and above.
    const atScope = await pageAll(get, `/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()`, "nextLink");
    expect(atScope.items.every((a) => !lc((a.properties as Json).scope as string).includes("/resourcegroups/"))).toBe(true);
    expect(atScope.items.length).toBeLessThan(items.length);
  });

  it("lists management groups and subscriptions with their parents through getEntities (POST, next pages too; GET refused)", async () => {
    const { post, get } = await start();
    const first = await post("/providers/Microsoft.Management/getEntities?api-version=2021-04-01");
    expect(first.status).toBe(200);
    // The operation exists as POST only (Entities_List): a next link is POSTed as well.
    const next = first.body.nextLink as string;
    expect(next).toMatch(/[?&]\$skiptoken=/);
    expect((await get(next)).status).toBe(405);
    const { items, pages } = await pageAll(async (url) => (url === "first" ? first : post(url)), "first", "nextLink");
    expect(pages).toBe(Math.ceil((azure.managementGroups.length + azure.subscriptions.length) / 2));
    // The last page says `"nextLink": null`, as the example GetEntities.json does.
    let last = first;
    while (last.body.nextLink) last = await post(last.body.nextLink as string);
    expect(last.body).toHaveProperty("nextLink", null);
    for (const mg of azure.managementGroups) {
      const e = items.find((x) => x.id === mg.id)!;
      expect(e).toMatchObject({ type: "Microsoft.Management/managementGroups", name: mg.name, properties: { displayName: mg.displayName, tenantId: demo.tenantId, parent: mg.parentId ? { id: mg.parentId } : null } });
    }
    for (const s of azure.subscriptions) {
      const e = items.find((x) => x.id === `/subscriptions/${s.subscriptionId}`)!;
      expect(e).toMatchObject({ type: "/subscriptions", name: s.subscriptionId, properties: { displayName: s.displayName, parent: { id: s.managementGroupId } } });
    }
    const mg = await get(`/providers/Microsoft.Management/managementGroups/${azure.managementGroups[0]!.name}?api-version=2021-04-01&$expand=children&$recurse=true`);
    expect(mg.status).toBe(200);
    expect((mg.body.properties as Json).tenantId).toBe(demo.tenantId);
  });

  it("lists another tenant's subscription with its tenantId, as the published example does, and leaves it out of the tenant's entities", async () => {
    const foreign = { subscriptionId: "7e57f0e1-0000-4000-8000-00000000f0e1", displayName: "Partner-Prod", tenantId: "f0e1f0e1-0000-4000-8000-0000000f0e1f", tags: {} };
    const started = await startEmulatorForTest({ scenario: { ...demo, azure: { ...azure, subscriptions: [...azure.subscriptions, foreign] } }, pageSize: { arm: 10 } });
    const arm = (path: string, method: "get" | "post" = "get") =>
      method === "get" ? started.http.get(`${started.emu.armUrl}${path}`, started.emu.tokens.arm) : started.http.post(`${started.emu.armUrl}${path}`, {}, started.emu.tokens.arm);
    const subs = (await arm("/subscriptions?api-version=2022-12-01")).body.value as Json[];
    expect(subs.map((s) => [s.subscriptionId, s.tenantId])).toEqual([...azure.subscriptions.map((s) => [s.subscriptionId, demo.tenantId]), [foreign.subscriptionId, foreign.tenantId]]);
    const entities = (await arm("/providers/Microsoft.Management/getEntities?api-version=2021-04-01", "post")).body.value as Json[];
    expect(entities.map((e) => e.name)).not.toContain(foreign.subscriptionId);
  });

  it("omitFields leaves the named fields out of the listed items it picks, as published examples do", async () => {
    const { get } = await start([{ kind: "omitFields", api: "arm", match: /roleAssignments/i, fields: ["properties.principalType", "type"], items: /a5519000-0000-4000-8000-000000000001/ }]);
    const items = (await pageAll(get, `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`, "nextLink")).items;
    const picked = items.find((a) => (a.name as string) === "a5519000-0000-4000-8000-000000000001")!;
    expect(picked).not.toHaveProperty("type");
    expect(picked.properties).not.toHaveProperty("principalType");
    expect(items.filter((a) => a !== picked).every((a) => a.type && (a.properties as Json).principalType)).toBe(true);
  });

  it("treats paths case-insensitively and answers 404 for an unknown subscription, resource group or identity", async () => {
    const { get } = await start();
    const lower = await get(`/SUBSCRIPTIONS/${SUB_PROD}/RESOURCEGROUPS?api-version=2025-04-01`);
    expect(lower.status).toBe(200);
    const unknownSub = await get("/subscriptions/00000000-0000-4000-8000-000000000000/resourcegroups?api-version=2025-04-01");
    expect(unknownSub.status).toBe(404);
    expect(unknownSub.body).toEqual({ error: { code: "SubscriptionNotFound", message: "The subscription '00000000-0000-4000-8000-000000000000' could not be found." } });
    const unknownRg = await get(`/subscriptions/${SUB_PROD}/resourceGroups/nope/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2024-11-30`);
    expect((unknownRg.body.error as Json).code).toBe("ResourceGroupNotFound");
    const double = await get(`//subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01`);
    expect(double.status).toBe(200);
  });
});

describe("Azure Resource Manager faults", () => {
  it("throttle: 429 with Retry-After, then success", async () => {
    const { get } = await start([{ kind: "throttle", api: "arm", match: /roleAssignments/i, times: 1, retryAfterSeconds: 3 }]);
    const path = `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`;
    const throttled = await get(path);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("3");
    expect((throttled.body.error as Json).code).toBe("SubscriptionRequestsThrottled");
    expect((await get(path)).status).toBe(200);
  });

  it("forbidden: 403 AuthorizationFailed naming the action and scope (getEntities included)", async () => {
    const { get, post } = await start([
      { kind: "forbidden", api: "arm", match: /getEntities/i },
      { kind: "forbidden", api: "arm", match: new RegExp(`/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleAssignments`, "i") },
    ]);
    const entities = await post("/providers/Microsoft.Management/getEntities?api-version=2021-04-01");
    expect(entities.status).toBe(403);
    expect(entities.body).toEqual({
      error: {
        code: "AuthorizationFailed",
        message: `The client '${EMULATOR_CALLER_OBJECT_ID}' with object id '${EMULATOR_CALLER_OBJECT_ID}' does not have authorization to perform action 'Microsoft.Management/getEntities/action' over scope '/' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      },
    });
    const assignments = await get(`/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`);
    expect(assignments.status).toBe(403);
    expect((assignments.body.error as Json).message).toContain(`perform action 'Microsoft.Authorization/roleAssignments/read' over scope '/subscriptions/${SUB_NONPROD}'`);
    expect((await get(`/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`)).status).toBe(200);
  });

  it("fail: 500 InternalServerError every time", async () => {
    const { get } = await start([{ kind: "fail", api: "arm", match: /storageAccounts/i }]);
    for (let i = 0; i < 2; i++) {
      const r = await get(`/subscriptions/${SUB_PROD}/providers/Microsoft.Storage/storageAccounts?api-version=2025-06-01`);
      expect(r.status).toBe(500);
      expect((r.body.error as Json).code).toBe("InternalServerError");
    }
  });

  it("foreignNextLink: nextLink points at the foreign origin, which records whether a token came along", async () => {
    const { get } = await start([{ kind: "foreignNextLink", api: "arm", match: /roleDefinitions/i }]);
    const r = await get(`/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01`);
    const next = r.body.nextLink as string;
    expect(next.startsWith(`${emu!.foreignUrl}/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$skiptoken=`)).toBe(true);
    await get(next);
    const foreign = emu!.requests.filter((x) => x.api === "foreign");
    expect(foreign).toEqual([{ api: "foreign", method: "GET", path: next.slice(emu!.foreignUrl.length), hasAuthorization: true, authorizationValid: true, status: 200 }]);
  });
});
