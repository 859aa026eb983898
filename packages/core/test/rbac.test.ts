import { describe, expect, it } from "vitest";
import roles from "../src/testing/builtin-roles.json" with { type: "json" };
import {
  BLOB_READ,
  BLOB_WRITE,
  RbacIndex,
  ROLE_ASSIGNMENT_WRITE,
  STORAGE_ACCOUNT_WRITE,
  isReadOnlyRole,
  matchesPermission,
  roleAllows,
  roleDefinitionGuid,
  type Grant,
} from "../src/azure/rbac.ts";
import { parseInventory } from "../src/inventory/load-inventory.ts";
import type { Inventory, RoleAssignment, RoleDefinition } from "../src/model/inventory.ts";

// ---------------------------------------------------------------------------------------------
// Fixture helpers

const BUILTIN: RoleDefinition[] = roles as RoleDefinition[];

function role(roleName: string): RoleDefinition {
  const r = BUILTIN.find((x) => x.roleName === roleName);
  if (!r) throw new Error(`fixture has no role '${roleName}'`);
  return r;
}

const OWNER = role("Owner");
const CONTRIBUTOR = role("Contributor");
const UAA = role("User Access Administrator");
const RBAC_ADMIN = role("Role Based Access Control Administrator");
const READER = role("Reader");
const BLOB_OWNER = role("Storage Blob Data Owner");
const BLOB_CONTRIBUTOR = role("Storage Blob Data Contributor");
const BLOB_READER = role("Storage Blob Data Reader");
const STORAGE_ACCOUNT_CONTRIBUTOR = role("Storage Account Contributor");
const QUEUE_CONTRIBUTOR = role("Storage Queue Data Contributor");

function customRole(name: string, guid: string, perm: Partial<RoleDefinition["permissions"][number]>): RoleDefinition {
  return {
    id: `/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
    name: guid,
    roleName: name,
    roleType: "CustomRole",
    permissions: [{ actions: [], notActions: [], dataActions: [], notDataActions: [], ...perm }],
    assignableScopes: ["/subscriptions/11111111-1111-1111-1111-111111111111"],
  };
}

const CONTRIBUTOR_CLONE = customRole("Contributor clone", "c0c0c0c0-0000-4000-8000-000000000001", {
  actions: [...CONTRIBUTOR.permissions[0]!.actions],
  notActions: [...CONTRIBUTOR.permissions[0]!.notActions],
});
const STAR_CUSTOM = customRole("Everything", "c0c0c0c0-0000-4000-8000-000000000002", { actions: ["*"] });

const ROLE_ASSIGNMENT_DELETE = "Microsoft.Authorization/roleAssignments/delete";
const ELEVATE_ACCESS = "Microsoft.Authorization/elevateAccess/Action";
const LIST_KEYS = "Microsoft.Storage/storageAccounts/listKeys/action";
const BLOB_DELETE = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete";
const QUEUE_MESSAGE_READ = "Microsoft.Storage/storageAccounts/queueServices/queues/messages/read";
const VM_READ = "Microsoft.Compute/virtualMachines/read";
const VM_WRITE = "Microsoft.Compute/virtualMachines/write";

// Scopes: tenant-root MG > mg-platform > mg-apps > SUB_A; tenant-root MG > mg-other > SUB_B.
const MG = (name: string) => `/providers/Microsoft.Management/managementGroups/${name}`;
const MG_ROOT = MG("tenant-root");
const MG_PLATFORM = MG("mg-platform");
const MG_APPS = MG("mg-apps");
const MG_OTHER = MG("mg-other");
const SUB_A_ID = "aaaaaaaa-0000-4000-8000-00000000000a";
const SUB_B_ID = "bbbbbbbb-0000-4000-8000-00000000000b";
const SUB_A = `/subscriptions/${SUB_A_ID}`;
const SUB_B = `/subscriptions/${SUB_B_ID}`;
const RG_APP = `${SUB_A}/resourceGroups/rg-app`;
const RG_APP2 = `${SUB_A}/resourceGroups/rg-app2`;
const RG_B = `${SUB_B}/resourceGroups/rg-b`;
const SA = `${RG_APP}/providers/Microsoft.Storage/storageAccounts/saapp`;
const SA2 = `${RG_APP2}/providers/Microsoft.Storage/storageAccounts/saapp2`;
const SA_B = `${RG_B}/providers/Microsoft.Storage/storageAccounts/sab`;
const CONTAINER = `${SA}/blobServices/default/containers/artifacts`;

const SP = "5e5e5e5e-0000-4000-8000-000000000001";
const OTHER_SP = "5e5e5e5e-0000-4000-8000-000000000002";
const GROUP = "9a9a9a9a-0000-4000-8000-000000000001";
const GROUP_NAME = "ci-deployers";

let assignmentCounter = 0;
function assign(
  scope: string,
  r: RoleDefinition | string,
  principalId: string = SP,
  extra: Partial<RoleAssignment> = {},
): RoleAssignment {
  assignmentCounter += 1;
  const guid = typeof r === "string" ? r : r.name;
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-${String(assignmentCounter).padStart(12, "0")}`,
    scope,
    roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
    principalId,
    principalType: principalId === GROUP ? "Group" : "ServicePrincipal",
    ...extra,
  };
}

function inventory(roleAssignments: RoleAssignment[], extraRoles: RoleDefinition[] = []): Inventory {
  return {
    schemaVersion: 1,
    cloud: "AzureCloud",
    coverage: { complete: true, gaps: [] },
    entra: {
      applications: [],
      servicePrincipals: [
        { objectId: SP, appId: "a0a0a0a0-0000-4000-8000-000000000001", displayName: "buildkite-deployer", memberOf: [GROUP] },
        { objectId: OTHER_SP, appId: "a0a0a0a0-0000-4000-8000-000000000002", displayName: "someone-else", memberOf: [] },
      ],
      groups: [{ objectId: GROUP, displayName: GROUP_NAME }],
    },
    azure: {
      managementGroups: [
        { id: MG_ROOT, name: "tenant-root", displayName: "Tenant Root Group", parentId: null },
        { id: MG_PLATFORM, name: "mg-platform", displayName: "Platform", parentId: MG_ROOT },
        { id: MG_APPS, name: "mg-apps", displayName: "Apps", parentId: MG_PLATFORM },
        { id: MG_OTHER, name: "mg-other", displayName: "Other", parentId: MG_ROOT },
      ],
      subscriptions: [
        { subscriptionId: SUB_A_ID, displayName: "apps-prod", tags: {}, managementGroupId: MG_APPS },
        { subscriptionId: SUB_B_ID, displayName: "other", tags: {}, managementGroupId: MG_OTHER },
      ],
      resourceGroups: [
        { id: RG_APP, name: "rg-app", subscriptionId: SUB_A_ID, tags: {} },
        { id: RG_APP2, name: "rg-app2", subscriptionId: SUB_A_ID, tags: {} },
        { id: RG_B, name: "rg-b", subscriptionId: SUB_B_ID, tags: {} },
      ],
      roleDefinitions: [...BUILTIN, ...extraRoles],
      roleAssignments,
      storageAccounts: [],
      managedIdentities: [],
    },
  };
}

/** The role names of the grants, for readable assertions. */
function names(grants: Grant[]): string[] {
  return grants.map((g) => g.role?.roleName ?? "<unknown>").sort();
}

// ---------------------------------------------------------------------------------------------

describe("built-in role fixture", () => {
  it("holds the ten roles from the reference with consistent IDs", () => {
    expect(BUILTIN.map((r) => r.roleName).sort()).toEqual(
      [
        "Contributor",
        "Owner",
        "Reader",
        "Role Based Access Control Administrator",
        "Storage Account Contributor",
        "Storage Blob Data Contributor",
        "Storage Blob Data Owner",
        "Storage Blob Data Reader",
        "Storage Queue Data Contributor",
        "User Access Administrator",
      ].sort(),
    );
    for (const r of BUILTIN) {
      expect(r.id).toBe(`/providers/Microsoft.Authorization/roleDefinitions/${r.name}`);
      expect(r.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(r.roleType).toBe("BuiltInRole");
      expect(r.assignableScopes).toEqual(["/"]);
      expect(r.permissions).toHaveLength(1);
    }
    expect(new Set(BUILTIN.map((r) => r.name)).size).toBe(BUILTIN.length);
  });

  it("uses the well-known GUIDs", () => {
    expect(OWNER.name).toBe("8e3af657-a8ff-443c-a75c-2fe8c4bcb635");
    expect(CONTRIBUTOR.name).toBe("b24988ac-6180-42a0-ab88-20f7382dd24c");
    expect(READER.name).toBe("acdd72a7-3385-48ef-bd42-f606fba81ae7");
    expect(BLOB_READER.name).toBe("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1");
  });

  it("carries Contributor's eleven notActions verbatim", () => {
    expect(CONTRIBUTOR.permissions[0]!.actions).toEqual(["*"]);
    expect(CONTRIBUTOR.permissions[0]!.notActions).toEqual([
      "Microsoft.Authorization/*/Delete",
      "Microsoft.Authorization/*/Write",
      "Microsoft.Authorization/elevateAccess/Action",
      "Microsoft.Blueprint/blueprintAssignments/write",
      "Microsoft.Blueprint/blueprintAssignments/delete",
      "Microsoft.Compute/galleries/share/action",
      "Microsoft.Purview/consents/write",
      "Microsoft.Purview/consents/delete",
      "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
      "Microsoft.Subscription/cancel/action",
      "Microsoft.Subscription/enable/action",
    ]);
  });

  it("is valid against the inventory schema", () => {
    const inv = inventory([assign(SUB_A, CONTRIBUTOR)], [CONTRIBUTOR_CLONE]);
    expect(() => parseInventory(JSON.stringify(inv), "fixture.json")).not.toThrow();
  });
});

describe("matchesPermission", () => {
  it("is case-insensitive on both sides", () => {
    expect(matchesPermission("microsoft.storage/storageaccounts/WRITE", STORAGE_ACCOUNT_WRITE)).toBe(true);
    expect(matchesPermission(STORAGE_ACCOUNT_WRITE, "MICROSOFT.STORAGE/STORAGEACCOUNTS/WRITE")).toBe(true);
    expect(matchesPermission("Microsoft.Authorization/*/Write", ROLE_ASSIGNMENT_WRITE)).toBe(true);
  });

  it("lets * span several / segments", () => {
    expect(matchesPermission("*/read", VM_READ)).toBe(true);
    expect(matchesPermission("*/read", "Microsoft.Storage/storageAccounts/blobServices/containers/read")).toBe(true);
    expect(matchesPermission("*/read", VM_WRITE)).toBe(false);
    expect(matchesPermission("Microsoft.Storage/*", LIST_KEYS)).toBe(true);
    expect(matchesPermission("Microsoft.Network/*/read", "Microsoft.Network/virtualNetworks/subnets/read")).toBe(true);
    expect(matchesPermission("*", ROLE_ASSIGNMENT_WRITE)).toBe(true);
  });

  it("supports several wildcards in one pattern", () => {
    const p = "Microsoft.CostManagement/*/query/*";
    expect(matchesPermission(p, "Microsoft.CostManagement/exports/query/action")).toBe(true);
    expect(matchesPermission(p, "Microsoft.CostManagement/a/b/query/read")).toBe(true);
    expect(matchesPermission(p, "Microsoft.CostManagement/exports/read")).toBe(false);
    expect(matchesPermission(p, "Microsoft.Compute/exports/query/action")).toBe(false);
  });

  it("anchors the pattern at both ends", () => {
    expect(matchesPermission(STORAGE_ACCOUNT_WRITE, `${STORAGE_ACCOUNT_WRITE}/extra`)).toBe(false);
    expect(matchesPermission(STORAGE_ACCOUNT_WRITE, `Contoso.${STORAGE_ACCOUNT_WRITE}`)).toBe(false);
    expect(matchesPermission("Microsoft.Compute/*", "Microsoft.ComputeSchedule/actions/read")).toBe(false);
    expect(matchesPermission("Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/writeSomething")).toBe(false);
  });

  it("treats regex metacharacters as literals", () => {
    expect(matchesPermission("Microsoft.Storage/*", "MicrosoftXStorage/storageAccounts/read")).toBe(false);
    expect(matchesPermission("Microsoft.Compute/virtualMachines/read", "Microsoft-Compute/virtualMachines/read")).toBe(false);
    expect(matchesPermission("Contoso.Foo/(bar)/read", "Contoso.Foo/(bar)/read")).toBe(true);
    expect(matchesPermission("Contoso.Foo/(bar)/read", "Contoso.Foo/bar/read")).toBe(false);
    expect(matchesPermission("Contoso.Foo/a+b/read", "Contoso.Foo/aab/read")).toBe(false);
    expect(matchesPermission("Contoso.Foo/a?b/read", "Contoso.Foo/b/read")).toBe(false);
    expect(matchesPermission("Contoso.Foo/[ab]/read", "Contoso.Foo/a/read")).toBe(false);
    expect(matchesPermission("Contoso.Foo/x|Microsoft.Storage/*", LIST_KEYS)).toBe(false);
  });
});

describe("roleAllows with built-in roles", () => {
  it("Owner allows role assignment and storage writes but no data action", () => {
    expect(roleAllows(OWNER, ROLE_ASSIGNMENT_WRITE)).toBe(true);
    expect(roleAllows(OWNER, STORAGE_ACCOUNT_WRITE)).toBe(true);
    expect(roleAllows(OWNER, ELEVATE_ACCESS)).toBe(true);
    expect(roleAllows(OWNER, BLOB_READ, "data")).toBe(false);
    expect(roleAllows(OWNER, BLOB_WRITE, "data")).toBe(false);
  });

  it("Contributor allows storage writes but its notActions remove Authorization writes and deletes", () => {
    expect(roleAllows(CONTRIBUTOR, STORAGE_ACCOUNT_WRITE)).toBe(true);
    expect(roleAllows(CONTRIBUTOR, LIST_KEYS)).toBe(true);
    expect(roleAllows(CONTRIBUTOR, VM_WRITE)).toBe(true);
    expect(roleAllows(CONTRIBUTOR, ROLE_ASSIGNMENT_WRITE)).toBe(false);
    expect(roleAllows(CONTRIBUTOR, ROLE_ASSIGNMENT_DELETE)).toBe(false);
    expect(roleAllows(CONTRIBUTOR, "microsoft.authorization/roleassignments/WRITE")).toBe(false);
    expect(roleAllows(CONTRIBUTOR, "Microsoft.Authorization/roleDefinitions/write")).toBe(false);
    expect(roleAllows(CONTRIBUTOR, ELEVATE_ACCESS)).toBe(false);
    expect(roleAllows(CONTRIBUTOR, "Microsoft.Authorization/elevateAccess/action")).toBe(false);
    expect(roleAllows(CONTRIBUTOR, "Microsoft.Subscription/cancel/action")).toBe(false);
    // Reads under Authorization are not subtracted.
    expect(roleAllows(CONTRIBUTOR, "Microsoft.Authorization/roleAssignments/read")).toBe(true);
    expect(roleAllows(CONTRIBUTOR, BLOB_READ, "data")).toBe(false);
  });

  it("a Contributor clone custom role behaves like Contributor", () => {
    for (const op of [STORAGE_ACCOUNT_WRITE, ROLE_ASSIGNMENT_WRITE, ROLE_ASSIGNMENT_DELETE, ELEVATE_ACCESS, VM_READ]) {
      expect(roleAllows(CONTRIBUTOR_CLONE, op)).toBe(roleAllows(CONTRIBUTOR, op));
    }
    expect(roleAllows(CONTRIBUTOR_CLONE, ROLE_ASSIGNMENT_WRITE)).toBe(false);
  });

  it("a custom role with actions ['*'] is as good as Owner", () => {
    expect(roleAllows(STAR_CUSTOM, ROLE_ASSIGNMENT_WRITE)).toBe(true);
    expect(roleAllows(STAR_CUSTOM, ELEVATE_ACCESS)).toBe(true);
    expect(roleAllows(STAR_CUSTOM, BLOB_READ, "data")).toBe(false);
  });

  it("User Access Administrator and RBAC Administrator can write role assignments but not storage", () => {
    expect(roleAllows(UAA, ROLE_ASSIGNMENT_WRITE)).toBe(true);
    expect(roleAllows(UAA, STORAGE_ACCOUNT_WRITE)).toBe(false);
    expect(roleAllows(UAA, VM_READ)).toBe(true);
    expect(roleAllows(RBAC_ADMIN, ROLE_ASSIGNMENT_WRITE)).toBe(true);
    expect(roleAllows(RBAC_ADMIN, ROLE_ASSIGNMENT_DELETE)).toBe(true);
    expect(roleAllows(RBAC_ADMIN, "Microsoft.Authorization/roleDefinitions/write")).toBe(false);
    expect(roleAllows(RBAC_ADMIN, STORAGE_ACCOUNT_WRITE)).toBe(false);
  });

  it("Storage Account Contributor manages accounts and keys but reads no blob data", () => {
    expect(roleAllows(STORAGE_ACCOUNT_CONTRIBUTOR, STORAGE_ACCOUNT_WRITE)).toBe(true);
    expect(roleAllows(STORAGE_ACCOUNT_CONTRIBUTOR, LIST_KEYS)).toBe(true);
    expect(roleAllows(STORAGE_ACCOUNT_CONTRIBUTOR, ROLE_ASSIGNMENT_WRITE)).toBe(false);
    expect(roleAllows(STORAGE_ACCOUNT_CONTRIBUTOR, BLOB_READ, "data")).toBe(false);
  });

  it("blob data roles grant exactly their data actions", () => {
    expect(roleAllows(BLOB_READER, BLOB_READ, "data")).toBe(true);
    expect(roleAllows(BLOB_READER, BLOB_WRITE, "data")).toBe(false);
    expect(roleAllows(BLOB_READER, BLOB_DELETE, "data")).toBe(false);
    expect(roleAllows(BLOB_CONTRIBUTOR, BLOB_READ, "data")).toBe(true);
    expect(roleAllows(BLOB_CONTRIBUTOR, BLOB_WRITE, "data")).toBe(true);
    expect(roleAllows(BLOB_CONTRIBUTOR, BLOB_DELETE, "data")).toBe(true);
    expect(roleAllows(BLOB_OWNER, BLOB_WRITE, "data")).toBe(true);
    expect(roleAllows(BLOB_CONTRIBUTOR, STORAGE_ACCOUNT_WRITE)).toBe(false);
    expect(roleAllows(BLOB_CONTRIBUTOR, LIST_KEYS)).toBe(false);
  });

  it("Reader allows reads on the control plane and no data action", () => {
    expect(roleAllows(READER, VM_READ)).toBe(true);
    expect(roleAllows(READER, VM_WRITE)).toBe(false);
    expect(roleAllows(READER, BLOB_READ, "data")).toBe(false);
    expect(roleAllows(READER, QUEUE_MESSAGE_READ, "data")).toBe(false);
  });

  it("keeps the planes separate: data actions do not answer control-plane questions", () => {
    // BLOB_READ is in the blob reader's dataActions only.
    expect(roleAllows(BLOB_READER, BLOB_READ, "control")).toBe(false);
    expect(roleAllows(BLOB_READER, BLOB_READ)).toBe(false);
    expect(roleAllows(QUEUE_CONTRIBUTOR, QUEUE_MESSAGE_READ, "data")).toBe(true);
    expect(roleAllows(QUEUE_CONTRIBUTOR, QUEUE_MESSAGE_READ, "control")).toBe(false);
    expect(roleAllows(QUEUE_CONTRIBUTOR, BLOB_READ, "data")).toBe(false);
  });

  it("notDataActions subtract from dataActions", () => {
    const r = customRole("Blob no delete", "c0c0c0c0-0000-4000-8000-000000000003", {
      dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
      notDataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/DELETE"],
    });
    expect(roleAllows(r, BLOB_READ, "data")).toBe(true);
    expect(roleAllows(r, BLOB_DELETE, "data")).toBe(false);
  });

  it("notActions do not leak into the data plane, nor notDataActions into the control plane", () => {
    const r = customRole("Odd", "c0c0c0c0-0000-4000-8000-000000000004", {
      actions: ["*"],
      notActions: [BLOB_READ],
      dataActions: [BLOB_READ],
      notDataActions: [STORAGE_ACCOUNT_WRITE],
    });
    expect(roleAllows(r, BLOB_READ, "data")).toBe(true);
    expect(roleAllows(r, STORAGE_ACCOUNT_WRITE, "control")).toBe(true);
  });
});

describe("roleDefinitionGuid", () => {
  const guid = "b24988ac-6180-42a0-ab88-20f7382dd24c";
  it("takes the trailing GUID of every ID form, lower-cased", () => {
    expect(roleDefinitionGuid(`/providers/Microsoft.Authorization/roleDefinitions/${guid}`)).toBe(guid);
    expect(roleDefinitionGuid(`/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/${guid}`)).toBe(guid);
    expect(roleDefinitionGuid(`/SUBSCRIPTIONS/X/PROVIDERS/MICROSOFT.AUTHORIZATION/ROLEDEFINITIONS/${guid.toUpperCase()}`)).toBe(guid);
    expect(roleDefinitionGuid(`${MG_ROOT}/providers/Microsoft.Authorization/roleDefinitions/${guid}`)).toBe(guid);
    expect(roleDefinitionGuid(guid.toUpperCase())).toBe(guid);
  });
});

describe("isReadOnlyRole", () => {
  it("is true for Reader and false for roles that change things", () => {
    expect(isReadOnlyRole(READER)).toBe(true);
    expect(isReadOnlyRole(CONTRIBUTOR)).toBe(false);
    expect(isReadOnlyRole(CONTRIBUTOR_CLONE)).toBe(false);
    expect(isReadOnlyRole(OWNER)).toBe(false);
    expect(isReadOnlyRole(UAA)).toBe(false);
    expect(isReadOnlyRole(BLOB_CONTRIBUTOR)).toBe(false);
  });

  it("looks at data actions too", () => {
    const r = customRole("Read control, write data", "c0c0c0c0-0000-4000-8000-000000000005", {
      actions: ["*/read"],
      dataActions: [BLOB_WRITE],
    });
    expect(isReadOnlyRole(r)).toBe(false);
    const ro = customRole("Read only data", "c0c0c0c0-0000-4000-8000-000000000006", {
      actions: ["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
      dataActions: [BLOB_READ],
    });
    expect(isReadOnlyRole(ro)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe("RbacIndex.grantsOf", () => {
  it("returns direct assignments resolved to their role, unmarked", () => {
    const idx = new RbacIndex(inventory([assign(SUB_A, CONTRIBUTOR), assign(SUB_A, OWNER, OTHER_SP)]));
    const grants = idx.grantsOf(SP);
    expect(grants).toHaveLength(1);
    expect(grants[0]!.role).toBe(CONTRIBUTOR);
    expect(grants[0]!.viaGroup).toBeUndefined();
    expect(grants[0]!.conditional).toBe(false);
  });

  it("includes group-derived assignments with viaGroup set", () => {
    const groupAssignment = assign(RG_APP, OWNER, GROUP);
    const idx = new RbacIndex(inventory([assign(SUB_A, READER), groupAssignment]));
    const grants = idx.grantsOf(SP);
    expect(names(grants)).toEqual(["Owner", "Reader"]);
    const viaGroup = grants.find((g) => g.assignment === groupAssignment)!;
    expect(viaGroup.viaGroup?.objectId.toLowerCase()).toBe(GROUP);
    expect(viaGroup.viaGroup?.displayName).toBe(GROUP_NAME);
    const direct = grants.find((g) => g.assignment !== groupAssignment)!;
    expect(direct.viaGroup).toBeUndefined();
    // A principal that is not in the group does not get it.
    expect(idx.grantsOf(OTHER_SP)).toEqual([]);
  });

  it("matches principal IDs case-insensitively", () => {
    const idx = new RbacIndex(
      inventory([assign(SUB_A, READER, SP.toUpperCase()), assign(SUB_A, OWNER, GROUP.toUpperCase())]),
    );
    expect(names(idx.grantsOf(SP))).toEqual(["Owner", "Reader"]);
    expect(names(idx.grantsOf(SP.toUpperCase()))).toEqual(["Owner", "Reader"]);
  });

  it("marks a grant with an ABAC condition as conditional, and only then", () => {
    const condition =
      "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:ContainerName] StringEqualsIgnoreCase 'foo_storage_container'";
    const cond = assign(SA, BLOB_READER, SP, { condition, conditionVersion: "2.0" });
    const nullCond = assign(SA, BLOB_CONTRIBUTOR, SP, { condition: null, conditionVersion: null });
    const blank = assign(SA, READER, SP, { condition: "   " });
    const idx = new RbacIndex(inventory([cond, nullCond, blank]));
    const grants = idx.grantsOf(SP);
    expect(grants.find((g) => g.assignment === cond)!.conditional).toBe(true);
    expect(grants.find((g) => g.assignment === nullCond)!.conditional).toBe(false);
    expect(grants.find((g) => g.assignment === blank)!.conditional).toBe(false);
    // Conditional grants still count, marked.
    const allowing = idx.grantsAllowing(grants, BLOB_READ, CONTAINER, "data");
    expect(allowing.map((g) => g.assignment)).toEqual(expect.arrayContaining([cond, nullCond]));
    expect(allowing).toHaveLength(2);
  });

  it("leaves the role undefined when the definition is unknown, and never counts it as allowing", () => {
    const unknown = assign(SUB_A, "deadbeef-0000-4000-8000-000000000000");
    const idx = new RbacIndex(inventory([unknown]));
    const grants = idx.grantsOf(SP);
    expect(grants).toHaveLength(1);
    expect(grants[0]!.role).toBeUndefined();
    expect(idx.grantsAt(grants, RG_APP)).toHaveLength(1);
    expect(idx.grantsAllowing(grants, ROLE_ASSIGNMENT_WRITE, RG_APP)).toEqual([]);
    expect(idx.grantsAllowing(grants, VM_READ, RG_APP)).toEqual([]);
  });

  it("resolves role definition IDs in their subscription-scoped and upper-case forms", () => {
    const a = assign(SUB_A, OWNER, SP, {
      roleDefinitionId: `/subscriptions/${SUB_A_ID}/providers/Microsoft.Authorization/roleDefinitions/${OWNER.name.toUpperCase()}`,
    });
    const idx = new RbacIndex(inventory([a]));
    expect(idx.roleFor(a)).toBe(OWNER);
    expect(idx.grantsOf(SP)[0]!.role).toBe(OWNER);
  });

  it("resolves custom roles from the inventory", () => {
    const idx = new RbacIndex(inventory([assign(SUB_A, CONTRIBUTOR_CLONE), assign(SUB_B, STAR_CUSTOM)], [CONTRIBUTOR_CLONE, STAR_CUSTOM]));
    const grants = idx.grantsOf(SP);
    expect(names(idx.grantsAllowing(grants, STORAGE_ACCOUNT_WRITE, SA))).toEqual(["Contributor clone"]);
    expect(idx.grantsAllowing(grants, ROLE_ASSIGNMENT_WRITE, SA)).toEqual([]);
    expect(names(idx.grantsAllowing(grants, ROLE_ASSIGNMENT_WRITE, SA_B))).toEqual(["Everything"]);
  });
});

describe("RbacIndex.grantsAllowing across roles", () => {
  it("one role's notActions do not deny what another role grants", () => {
    const idx = new RbacIndex(inventory([assign(SUB_A, CONTRIBUTOR), assign(SUB_A, RBAC_ADMIN)]));
    const grants = idx.grantsOf(SP);
    expect(names(idx.grantsAllowing(grants, ROLE_ASSIGNMENT_WRITE, SA))).toEqual(["Role Based Access Control Administrator"]);
    expect(names(idx.grantsAllowing(grants, STORAGE_ACCOUNT_WRITE, SA))).toEqual(["Contributor"]);
  });

  it("also across a direct and a group-derived assignment", () => {
    const idx = new RbacIndex(inventory([assign(SUB_A, CONTRIBUTOR), assign(RG_APP, UAA, GROUP)]));
    const grants = idx.grantsOf(SP);
    const allowing = idx.grantsAllowing(grants, ROLE_ASSIGNMENT_WRITE, SA);
    expect(names(allowing)).toEqual(["User Access Administrator"]);
    expect(allowing[0]!.viaGroup?.displayName).toBe(GROUP_NAME);
    // The group's UAA sits on rg-app only.
    expect(idx.grantsAllowing(grants, ROLE_ASSIGNMENT_WRITE, SA2)).toEqual([]);
  });

  it("Contributor alone cannot write role assignments anywhere", () => {
    const idx = new RbacIndex(inventory([assign("/", CONTRIBUTOR)]));
    const grants = idx.grantsOf(SP);
    for (const scope of ["/", MG_ROOT, SUB_A, RG_APP, SA]) {
      expect(idx.grantsAllowing(grants, ROLE_ASSIGNMENT_WRITE, scope)).toEqual([]);
      expect(idx.grantsAllowing(grants, STORAGE_ACCOUNT_WRITE, scope)).toHaveLength(1);
    }
  });

  it("evaluates data actions on the data plane only", () => {
    const idx = new RbacIndex(inventory([assign(SUB_A, OWNER), assign(SA, BLOB_READER)]));
    const grants = idx.grantsOf(SP);
    expect(names(idx.grantsAllowing(grants, BLOB_READ, CONTAINER, "data"))).toEqual(["Storage Blob Data Reader"]);
    expect(idx.grantsAllowing(grants, BLOB_WRITE, CONTAINER, "data")).toEqual([]);
    expect(idx.grantsAllowing(grants, BLOB_READ, SA2, "data")).toEqual([]);
  });
});

describe("RbacIndex scope inheritance", () => {
  function allowsAt(assignedAt: string, target: string, r: RoleDefinition = OWNER, op = STORAGE_ACCOUNT_WRITE): boolean {
    const idx = new RbacIndex(inventory([assign(assignedAt, r)]));
    return idx.grantsAllowing(idx.grantsOf(SP), op, target).length > 0;
  }

  it("an assignment at a management group applies to its subscriptions, their resource groups and resources", () => {
    for (const target of [MG_APPS, SUB_A, RG_APP, RG_APP2, SA, SA2, CONTAINER]) {
      expect(allowsAt(MG_APPS, target), target).toBe(true);
    }
  });

  it("an assignment at a management group applies through the parent chain", () => {
    for (const target of [MG_PLATFORM, MG_APPS, SUB_A, RG_APP, SA, CONTAINER]) {
      expect(allowsAt(MG_PLATFORM, target), target).toBe(true);
    }
    for (const target of [MG_ROOT, MG_OTHER, MG_PLATFORM, MG_APPS, SUB_A, SUB_B, RG_B, SA, SA_B]) {
      expect(allowsAt(MG_ROOT, target), target).toBe(true);
    }
  });

  it("an assignment at a management group does not apply outside it or above it", () => {
    for (const target of ["/", MG_ROOT, MG_PLATFORM, MG_OTHER, SUB_B, RG_B, SA_B]) {
      expect(allowsAt(MG_APPS, target), target).toBe(false);
    }
  });

  it("an assignment at a subscription applies below it only", () => {
    for (const target of [SUB_A, RG_APP, RG_APP2, SA, CONTAINER]) expect(allowsAt(SUB_A, target), target).toBe(true);
    for (const target of ["/", MG_APPS, SUB_B, RG_B, SA_B]) expect(allowsAt(SUB_A, target), target).toBe(false);
  });

  it("an assignment at a resource group does not apply to the subscription or a sibling group", () => {
    for (const target of [RG_APP, SA, CONTAINER]) expect(allowsAt(RG_APP, target), target).toBe(true);
    for (const target of [SUB_A, MG_APPS, "/", RG_APP2, SA2]) expect(allowsAt(RG_APP, target), target).toBe(false);
  });

  it("an assignment on 'rg-app' does not cover 'rg-app2' (no string-prefix matching)", () => {
    expect(allowsAt(RG_APP, RG_APP2)).toBe(false);
    expect(allowsAt(RG_APP, SA2)).toBe(false);
    expect(allowsAt(`${SUB_A}/resourceGroups/rg`, RG_APP)).toBe(false);
    expect(allowsAt(SA, `${RG_APP}/providers/Microsoft.Storage/storageAccounts/saapp2`)).toBe(false);
    expect(allowsAt("/subscriptions/aaaaaaaa", SUB_A)).toBe(false);
  });

  it("an assignment on a resource applies to its child resources, not to its group", () => {
    expect(allowsAt(SA, CONTAINER, BLOB_READER, BLOB_READ)).toBe(false); // control plane: no
    const idx = new RbacIndex(inventory([assign(SA, BLOB_READER)]));
    const grants = idx.grantsOf(SP);
    expect(idx.grantsAllowing(grants, BLOB_READ, CONTAINER, "data")).toHaveLength(1);
    expect(idx.grantsAllowing(grants, BLOB_READ, SA, "data")).toHaveLength(1);
    expect(idx.grantsAllowing(grants, BLOB_READ, RG_APP, "data")).toEqual([]);
  });

  it("an assignment at '/' applies everywhere", () => {
    for (const target of ["/", MG_ROOT, MG_APPS, MG_OTHER, SUB_A, SUB_B, RG_APP, RG_B, SA, SA_B, CONTAINER]) {
      expect(allowsAt("/", target), target).toBe(true);
    }
  });

  it("compares scope IDs case-insensitively, trailing slashes ignored", () => {
    expect(allowsAt(RG_APP.toUpperCase(), SA)).toBe(true);
    expect(allowsAt(RG_APP, SA.toUpperCase())).toBe(true);
    expect(allowsAt(`${SUB_A.toUpperCase()}/`, RG_APP.toLowerCase())).toBe(true);
    expect(allowsAt(MG_APPS.toUpperCase(), SA)).toBe(true);
    expect(allowsAt(MG_PLATFORM.toLowerCase(), SA.toUpperCase())).toBe(true);
    expect(allowsAt(RG_APP.toUpperCase(), RG_APP2.toLowerCase())).toBe(false);
  });

  it("grantsAt filters to the grants that apply at a scope", () => {
    const atMg = assign(MG_APPS, READER);
    const atRg = assign(RG_APP, CONTRIBUTOR);
    const atSub = assign(SUB_B, OWNER);
    const idx = new RbacIndex(inventory([atMg, atRg, atSub]));
    const grants = idx.grantsOf(SP);
    expect(idx.grantsAt(grants, SA).map((g) => g.assignment)).toEqual([atMg, atRg]);
    expect(idx.grantsAt(grants, SA2).map((g) => g.assignment)).toEqual([atMg]);
    expect(idx.grantsAt(grants, SA_B).map((g) => g.assignment)).toEqual([atSub]);
  });
});
