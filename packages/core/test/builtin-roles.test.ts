import { describe, expect, it } from "vitest";
import { BUILTIN_ROLES, builtinRoleByGuid, builtinRoleByName } from "../src/azure/builtin-roles.ts";
import testCatalog from "../src/testing/builtin-roles.json" with { type: "json" };
import webRoles from "../src/testing/web-roles.json" with { type: "json" };
import type { RoleDefinition } from "../src/model/inventory.ts";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function role(name: string): RoleDefinition {
  const r = BUILTIN_ROLES.find((x) => x.roleName === name);
  if (!r) throw new Error(`catalog has no role '${name}'`);
  return r;
}

describe("built-in role catalog", () => {
  it("holds well-formed built-in role definitions", () => {
    expect(BUILTIN_ROLES.length).toBeGreaterThanOrEqual(30);
    for (const r of BUILTIN_ROLES) {
      expect(r.name, r.roleName).toMatch(GUID);
      expect(r.id, r.roleName).toBe(`/providers/Microsoft.Authorization/roleDefinitions/${r.name}`);
      expect(r.roleType, r.roleName).toBe("BuiltInRole");
      expect(r.assignableScopes, r.roleName).toEqual(["/"]);
      expect(r.permissions.length, r.roleName).toBeGreaterThan(0);
      for (const p of r.permissions) {
        for (const list of [p.actions, p.notActions, p.dataActions, p.notDataActions]) {
          expect(Array.isArray(list), r.roleName).toBe(true);
          for (const a of list) expect(a, r.roleName).toMatch(/^[\w.*][\w.*/-]*$/);
        }
        // A role with no control-plane actions must grant something on the data plane.
        if (p.actions.length === 0) expect(p.dataActions.length, r.roleName).toBeGreaterThan(0);
      }
    }
  });

  it("has unique GUIDs and names, case-insensitively", () => {
    const guids = BUILTIN_ROLES.map((r) => r.name.toLowerCase());
    const names = BUILTIN_ROLES.map((r) => r.roleName.toLowerCase());
    expect(new Set(guids).size).toBe(guids.length);
    expect(new Set(names).size).toBe(names.length);
  });

  it("carries the published permissions of the roles that matter most", () => {
    expect(role("Owner").permissions).toEqual([{ actions: ["*"], notActions: [], dataActions: [], notDataActions: [] }]);
    const contributor = role("Contributor").permissions[0];
    expect(contributor?.actions).toEqual(["*"]);
    expect(contributor?.notActions).toEqual(
      expect.arrayContaining(["Microsoft.Authorization/*/Write", "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/elevateAccess/Action"]),
    );
    expect(role("Storage Blob Data Contributor").permissions[0]?.dataActions).toEqual(
      expect.arrayContaining([
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
      ]),
    );
    expect(role("Role Based Access Control Administrator").permissions[0]?.actions).toContain(
      "Microsoft.Authorization/roleAssignments/write",
    );
    expect(role("Reader").permissions[0]?.actions).toEqual(["*/read"]);
    expect(role("Key Vault Secrets User").permissions[0]?.dataActions).toContain("Microsoft.KeyVault/vaults/secrets/getSecret/action");
  });

  it("agrees with the test catalogs on every role both hold", () => {
    const fixtures = [...testCatalog, ...webRoles] as RoleDefinition[];
    let shared = 0;
    for (const t of fixtures) {
      const r = builtinRoleByName(t.roleName);
      if (!r) continue;
      shared++;
      expect(r.name, t.roleName).toBe(t.name);
      expect(r.id, t.roleName).toBe(t.id);
      expect(r.permissions, t.roleName).toEqual(t.permissions);
    }
    expect(shared).toBe(fixtures.length);
  });
});

describe("builtinRoleByName", () => {
  it("finds a role whatever the case and surrounding blanks", () => {
    expect(builtinRoleByName("Owner")?.name).toBe("8e3af657-a8ff-443c-a75c-2fe8c4bcb635");
    expect(builtinRoleByName("  storage blob data CONTRIBUTOR ")?.name).toBe("ba92f5b4-2d11-453d-a403-e96b0029c9fe");
    expect(builtinRoleByName("acrpush")?.roleName).toBe("AcrPush");
  });

  it("returns undefined for a name it does not hold", () => {
    expect(builtinRoleByName("Deployment Wizard")).toBeUndefined();
    expect(builtinRoleByName("")).toBeUndefined();
    expect(builtinRoleByName("Own er")).toBeUndefined();
  });
});

describe("builtinRoleByGuid", () => {
  const guid = "b24988ac-6180-42a0-ab88-20f7382dd24c";

  it("accepts a bare GUID in either case", () => {
    expect(builtinRoleByGuid(guid)?.roleName).toBe("Contributor");
    expect(builtinRoleByGuid(` ${guid.toUpperCase()} `)?.roleName).toBe("Contributor");
  });

  it("accepts the tenant-level and the subscription-scoped role definition ID", () => {
    expect(builtinRoleByGuid(`/providers/Microsoft.Authorization/roleDefinitions/${guid}`)?.roleName).toBe("Contributor");
    expect(
      builtinRoleByGuid(`/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/${guid}`)
        ?.roleName,
    ).toBe("Contributor");
    expect(builtinRoleByGuid(`/SUBSCRIPTIONS/abc/PROVIDERS/microsoft.authorization/ROLEDEFINITIONS/${guid.toUpperCase()}`)?.roleName).toBe(
      "Contributor",
    );
  });

  it("returns undefined for an unknown GUID or a string that is no role definition ID", () => {
    expect(builtinRoleByGuid("00000000-0000-0000-0000-000000000000")).toBeUndefined();
    expect(builtinRoleByGuid("Contributor")).toBeUndefined();
    expect(builtinRoleByGuid(`${guid}x`)).toBeUndefined();
    expect(builtinRoleByGuid(`/providers/Microsoft.Authorization/roleAssignments/${guid}`)).toBeUndefined();
    expect(builtinRoleByGuid(`/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/roleDefinitions/${guid}`)).toBeUndefined();
    expect(builtinRoleByGuid("")).toBeUndefined();
  });
});
