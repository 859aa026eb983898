/**
 * The collectors against the vendors' own published shapes (REST-spec examples, Graph
 * documentation), served by the loopback emulator through the real SDKs: open enums, fields left
 * out, other tenants' subscriptions, the requests real services refuse or read differently, and
 * the texts of the gaps.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { collectAzure } from "../src/collect/arm.ts";
import { collectInventory } from "../src/collect/collect.ts";
import { CLOUDS } from "../src/collect/clouds.ts";
import { collectEntra } from "../src/collect/graph.ts";
import { parseInventory, type Inventory } from "../src/index.ts";
import { collectorsPerTest } from "./support/emulator-collect.ts";
import {
  APP_WITHOUT_ID,
  ASSIGNMENT_WITHOUT_TYPE,
  FOREIGN_TENANT,
  ODD_FAULTS,
  oddScenario,
  SP_IN_GROUPS,
  SUB_FOREIGN,
  SUB_NONPROD,
  SUB_PROD,
} from "../../../test/support/odd-scenario.ts";

const demo = parseInventory(readFileSync(new URL("../../cli/demo/organisation.json", import.meta.url), "utf8"), "organisation.json");
const scenario = oddScenario(demo);
const cloud = CLOUDS.AzureCloud;

const start = collectorsPerTest(scenario);

/** What `scan --snapshot` would read back from what `collect` writes. */
const readBack = (inventory: Inventory) => parseInventory(`${JSON.stringify(inventory, null, 2)}\n`, "snap.json");
const assignment = (inv: Inventory, guid: string) => inv.azure!.roleAssignments.find((a) => a.id.endsWith(guid));

describe("3. whatever collect writes, scan --snapshot reads", () => {
  it("open enums are kept as read, absent optional fields defaulted, and an application without id is a gap naming it", async () => {
    const { opts } = await start(ODD_FAULTS);
    const inventory = await collectInventory(opts);
    expect(() => readBack(inventory)).not.toThrow();

    expect(assignment(inventory, "a5519000-0000-4000-8000-0000000000e1")!.principalType).toBe("Unknown");
    expect(assignment(inventory, "a5519000-0000-4000-8000-0000000000e2")!.principalType).toBe("ManagedIdentity");
    // Absent: ARM's documented default.
    expect(assignment(inventory, ASSIGNMENT_WITHOUT_TYPE)!.principalType).toBe("User");
    const roleType = (name: string) => inventory.azure!.roleDefinitions.find((d) => d.roleName === name)!.roleType;
    expect(roleType("Role name")).toBe("roletype");
    expect(roleType("Storage Queue Data Contributor")).toBe("BuiltInRole");

    expect(inventory.entra!.applications.map((a) => a.appId)).not.toContain(APP_WITHOUT_ID);
    expect(inventory.coverage.gaps).toContainEqual({ source: "graph", scope: "/applications", error: `applications: 1 left out, read without what the inventory needs: "${APP_WITHOUT_ID}" without id` });
    expect(inventory.coverage.complete).toBe(false);
  });

  it("ARM objects without a field the inventory needs are gaps naming each, never silently dropped; a group's ID follows from its name", async () => {
    const prodAssignment = "a5519000-0000-4000-8000-000000000001";
    const { opts } = await start([
      { kind: "omitFields", api: "arm", match: /\/roleAssignments\?/i, fields: ["properties.principalId"], items: new RegExp(prodAssignment) },
      { kind: "omitFields", api: "arm", match: /\/userAssignedIdentities\?/i, fields: ["properties.clientId"] },
      { kind: "omitFields", api: "arm", match: /\/resourcegroups\?/i, fields: ["id"] },
      { kind: "omitFields", api: "arm", match: /\/storageAccounts\?/i, fields: ["id"], items: /stappplatformprod/ },
      { kind: "omitFields", api: "arm", match: /getEntities/i, fields: ["id"], items: /"name":"mg-nonprod"/ },
      { kind: "omitFields", api: "arm", match: /\/roleDefinitions\?/i, fields: ["id", "name"], items: /Sandbox Operator/ },
    ]);
    const { azure, gaps } = await collectAzure(opts, cloud.armScope);
    const gapAt = (scope: string, what: string) => gaps.find((g) => g.scope === scope && g.error.startsWith(`${what}: `))?.error;
    const prodId = `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments/${prodAssignment}`;
    expect(gapAt(`/subscriptions/${SUB_PROD}`, "role assignments")).toBe(`role assignments: 1 left out, read without what the inventory needs: "${prodId}" without principalId`);
    expect(azure.roleAssignments.map((a) => a.id)).not.toContain(prodId);
    const mis = scenario.azure!.managedIdentities.filter((m) => m.id.startsWith(`/subscriptions/${SUB_NONPROD}/`)).map((m) => m.id).sort();
    expect(mis.length).toBeGreaterThan(0);
    expect(gapAt(`/subscriptions/${SUB_NONPROD}`, "user-assigned managed identities")).toBe(
      `user-assigned managed identities: ${mis.length} left out, read without what the inventory needs: ${mis.map((id) => `"${id}" without clientId`).join(", ")}`,
    );
    expect(azure.managedIdentities).toEqual([]);
    expect(gapAt(`/subscriptions/${SUB_PROD}`, "storage accounts")).toBe('storage accounts: 1 left out, read without what the inventory needs: "stappplatformprod" without an ID');
    expect(gapAt("/providers/Microsoft.Management/managementGroups", "management groups")).toBe('management groups: 1 left out, read without what the inventory needs: "mg-nonprod" without an ID');
    // Every subscription lists the custom role that has no ID or name any more.
    expect(gapAt(`/subscriptions/${SUB_NONPROD}`, "role definitions")).toBe('role definitions: 1 left out, read without what the inventory needs: "Sandbox Operator" without an ID or a name');
    expect(azure.resourceGroups.map((g) => g.id.toLowerCase()).sort()).toEqual(scenario.azure!.resourceGroups.filter((g) => g.subscriptionId !== SUB_FOREIGN).map((g) => g.id.toLowerCase()).sort());
    expect(() => readBack({ schemaVersion: 1, cloud: "AzureCloud", azure, coverage: { complete: false, gaps } })).not.toThrow();
  });

  it("a value no collector check catches (a secret's keyId left out) is caught before writing: its object is left out and named", async () => {
    const legacy = "c0ffee05-5555-4aaa-8bbb-000000000005";
    const { opts } = await start([{ kind: "omitFields", api: "graph", match: /^\/v1\.0\/applications\?/, fields: ["passwordCredentials.0.keyId"], items: new RegExp(legacy) }]);
    const inventory = await collectInventory(opts);
    expect(() => readBack(inventory)).not.toThrow();
    expect(inventory.entra!.applications.map((a) => a.appId)).not.toContain(legacy);
    const objectId = demo.entra!.applications.find((a) => a.appId === legacy)!.objectId;
    expect(inventory.coverage.gaps).toContainEqual({
      source: "graph",
      scope: objectId,
      error: expect.stringMatching(/^applications: one left out, as the snapshot could not be read back with it: \/entra\/applications\/\d+\/passwordCredentials\/0: missing 'keyId'$/),
    });
  });
});

describe("4. subscriptions of another tenant", () => {
  it("are not read with the tenant known, and are named to onOtherTenantSubscriptions (not a gap)", async () => {
    const { opts } = await start();
    const heard: unknown[] = [];
    const { azure, gaps } = await collectAzure({ ...opts, onOtherTenantSubscriptions: (subs) => heard.push(...subs) }, cloud.armScope);
    expect(azure.subscriptions.map((s) => s.subscriptionId).sort()).toEqual([SUB_NONPROD, SUB_PROD].sort());
    expect(azure.resourceGroups.some((g) => g.subscriptionId === SUB_FOREIGN)).toBe(false);
    expect(azure.roleAssignments.some((a) => a.scope.includes(SUB_FOREIGN))).toBe(false);
    expect(heard).toEqual([{ subscriptionId: SUB_FOREIGN, displayName: "Partner-Prod", tenantId: FOREIGN_TENANT }]);
    expect(gaps).toEqual([]);
    // The tenant's own subscriptions carry no tenantId: it is the inventory's.
    expect(azure.subscriptions.every((s) => s.tenantId === undefined)).toBe(true);
  });

  it("are read when named, with their tenant recorded; without a tenant every subscription says its own", async () => {
    const { opts } = await start();
    const { azure } = await collectAzure({ ...opts, azure: { ...opts.azure!, subscriptions: [SUB_FOREIGN, SUB_PROD] } }, cloud.armScope);
    expect(azure.subscriptions.map((s) => [s.subscriptionId, s.tenantId])).toEqual([[SUB_PROD, undefined], [SUB_FOREIGN, FOREIGN_TENANT]].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
    expect(azure.roleAssignments.some((a) => a.scope === `/subscriptions/${SUB_FOREIGN}`)).toBe(true);

    const { tenantId: _tenant, ...withoutTenant } = opts.azure!;
    const all = await collectAzure({ ...opts, azure: withoutTenant }, cloud.armScope);
    expect(Object.fromEntries(all.azure.subscriptions.map((s) => [s.subscriptionId, s.tenantId]))).toEqual({ [SUB_PROD]: scenario.tenantId, [SUB_NONPROD]: scenario.tenantId, [SUB_FOREIGN]: FOREIGN_TENANT });
    expect(() => readBack({ schemaVersion: 1, cloud: "AzureCloud", azure: all.azure, coverage: { complete: true, gaps: [] } })).not.toThrow();
  });
});

describe("5. requests as the real services take them", () => {
  it("(a) applications with $expand are asked for 100 a page, Graph's limit with $expand", async () => {
    const { emu, opts } = await start();
    await collectEntra(opts, cloud.graphScope, []);
    const first = emu.requests.find((r) => r.api === "graph" && r.path.startsWith("/v1.0/applications?"))!;
    expect(first.path).toContain("$expand=federatedIdentityCredentials");
    expect(new URL(first.path, "https://x").searchParams.get("$top")).toBe("100");
  });

  it("(b) groups are read by the cast to microsoft.graph.group, as an advanced query on every page, with no reliance on @odata.type", async () => {
    const { emu, opts } = await start();
    const mi = scenario.azure!.managedIdentities[0]!;
    const { entra, gaps } = await collectEntra(opts, cloud.graphScope, [{ principalId: mi.principalId, clientId: mi.clientId, name: mi.name }]);
    expect(gaps).toEqual([]);
    const memberships = emu.requests.filter((r) => /transitiveMemberOf/.test(r.path));
    expect(memberships.length).toBeGreaterThan(0);
    // Every one cast, none refused (the identity has no service principal in the scenario: a 404, read as no groups).
    expect(memberships.every((r) => /\/transitiveMemberOf\/microsoft\.graph\.group\?/.test(r.path) && [200, 404].includes(r.status))).toBe(true);
    // Three groups in pages of two: the next page was asked for as an advanced query too (the emulator refuses it otherwise).
    expect(memberships.some((r) => !r.batchInner && /\$skiptoken=/.test(r.path))).toBe(true);
    const sp = entra.servicePrincipals.find((s) => s.objectId === SP_IN_GROUPS)!;
    expect([...sp.memberOf].sort()).toEqual([...scenario.entra!.servicePrincipals.find((s) => s.objectId === SP_IN_GROUPS)!.memberOf].sort());
    expect(entra.groups.map((g) => g.displayName).sort()).toEqual(scenario.entra!.groups.map((g) => g.displayName).sort());
  });

  it("(c) management-group entities are paged as the service pages them: every page a POST to the next link (with its $skiptoken)", async () => {
    const { emu, opts } = await start();
    const { azure, gaps } = await collectAzure(opts, cloud.armScope);
    expect(gaps).toEqual([]);
    const pages = emu.requests.filter((r) => /getEntities/i.test(r.path));
    expect(pages.length).toBe(Math.ceil((scenario.azure!.managementGroups.length + 2) / 2));
    expect(pages.every((r) => r.method === "POST" && r.status === 200)).toBe(true);
    expect(pages.slice(1).every((r) => /[?&]\$skiptoken=/.test(r.path))).toBe(true);
    expect(azure.managementGroups).toEqual(scenario.azure!.managementGroups);
    expect(Object.fromEntries(azure.subscriptions.map((s) => [s.subscriptionId, s.managementGroupId]))).toEqual(
      Object.fromEntries(scenario.azure!.subscriptions.filter((s) => s.subscriptionId !== SUB_FOREIGN).map((s) => [s.subscriptionId, s.managementGroupId])),
    );
  });
});

describe("6. gap texts", () => {
  const emptyCode = (status: number) => ({ status, body: JSON.stringify({ error: { code: "", message: "Insufficient privileges to complete the operation." } }), contentType: "application/json" });

  it("a Graph 403 with an empty error code, and a base URL ending in a slash, reads cleanly", async () => {
    const { emu, opts } = await start([{ kind: "fail", api: "graph", match: /^\/v1\.0\/applications/, ...emptyCode(403) }]);
    const { gaps } = await collectEntra({ ...opts, azure: { ...opts.azure!, graphUrl: `${emu.graphUrl}/` } }, cloud.graphScope, []);
    expect(gaps).toEqual([
      { source: "graph", scope: "/applications", error: `403 Forbidden from ${emu.graphUrl}/v1.0/applications: the Graph credential (TRUSTSCOPE_GRAPH_TOKEN) needs the Application.Read.All application permission` },
    ]);
  });

  it("a Graph base URL with a path joins /v1.0 with one slash", async () => {
    const { emu, opts } = await start();
    const { gaps } = await collectEntra({ ...opts, azure: { ...opts.azure!, graphUrl: `${emu.graphUrl}/graph/` } }, cloud.graphScope, []);
    expect(gaps.map((g) => g.error.split(": ")[0])).toEqual([`400 BadRequest from ${emu.graphUrl}/graph/v1.0/applications`]);
  });

  it("an ARM 403 with an empty error code reads cleanly", async () => {
    const { opts } = await start([{ kind: "fail", api: "arm", match: new RegExp(`/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments`, "i"), ...emptyCode(403) }]);
    const { gaps } = await collectAzure(opts, cloud.armScope);
    expect(gaps).toEqual([
      { source: "arm", scope: `/subscriptions/${SUB_PROD}`, error: `403 Forbidden listing role assignments: the ARM credential (TRUSTSCOPE_ARM_TOKEN) needs Reader on /subscriptions/${SUB_PROD}` },
    ]);
  });
});
