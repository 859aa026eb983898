import { describe, expect, it } from "vitest";
import {
  ScopeTree,
  isAzureScope,
  managementGroupName,
  normalizeScope,
  resourceGroupIdOf,
  scopeKind,
  subscriptionOf,
} from "../src/azure/scope.ts";
import type { AzureInventory } from "../src/model/inventory.ts";

const MG = (name: string) => `/providers/Microsoft.Management/managementGroups/${name}`;
const MG_ROOT = MG("tenant-root");
const MG_PLATFORM = MG("mg-platform");
const MG_APPS = MG("mg-apps");
const MG_OTHER = MG("mg-other");
const SUB_A_ID = "aaaaaaaa-0000-4000-8000-00000000000a";
const SUB_B_ID = "bbbbbbbb-0000-4000-8000-00000000000b";
const SUB_LOOSE_ID = "cccccccc-0000-4000-8000-00000000000c"; // management group unknown
const SUB_A = `/subscriptions/${SUB_A_ID}`;
const SUB_B = `/subscriptions/${SUB_B_ID}`;
const SUB_LOOSE = `/subscriptions/${SUB_LOOSE_ID}`;
const RG_APP = `${SUB_A}/resourceGroups/rg-app`;
const RG_APP2 = `${SUB_A}/resourceGroups/rg-app2`;
const SA = `${RG_APP}/providers/Microsoft.Storage/storageAccounts/sa`;
const BLOB_SERVICE = `${SA}/blobServices/default`;
const CONTAINER = `${BLOB_SERVICE}/containers/c`;

function tree(overrides: Partial<AzureInventory> = {}): ScopeTree {
  return new ScopeTree({
    azure: {
      managementGroups: [
        { id: MG_ROOT, name: "tenant-root", displayName: "Tenant Root Group" },
        { id: MG_PLATFORM, name: "mg-platform", displayName: "Platform", parentId: MG_ROOT },
        // Parent IDs in a different case from the MG's own ID.
        { id: MG_APPS, name: "mg-apps", displayName: "Apps", parentId: MG_PLATFORM.toUpperCase() },
        { id: MG_OTHER, name: "mg-other", displayName: "Other", parentId: MG_ROOT },
      ],
      subscriptions: [
        { subscriptionId: SUB_A_ID.toUpperCase(), displayName: "a", tags: {}, managementGroupId: MG_APPS.toLowerCase() },
        { subscriptionId: SUB_B_ID, displayName: "b", tags: {}, managementGroupId: MG_OTHER },
        { subscriptionId: SUB_LOOSE_ID, displayName: "loose", tags: {}, managementGroupId: null },
      ],
      resourceGroups: [],
      roleDefinitions: [],
      roleAssignments: [],
      storageAccounts: [],
      managedIdentities: [],
      ...overrides,
    },
  });
}

/** Compare scope lists regardless of the case the implementation returns them in. */
const norm = (scopes: string[]) => scopes.map(normalizeScope);

describe("normalizeScope", () => {
  it("lower-cases, trims and drops trailing slashes; empty is the root", () => {
    expect(normalizeScope(" /Subscriptions/ABC/ ")).toBe("/subscriptions/abc");
    expect(normalizeScope("/")).toBe("/");
    expect(normalizeScope("")).toBe("/");
    expect(normalizeScope("//")).toBe("/");
  });
});

describe("scopeKind", () => {
  it("classifies root, management group, subscription, resource group and resource", () => {
    expect(scopeKind("/")).toBe("root");
    expect(scopeKind(MG_APPS)).toBe("managementGroup");
    expect(scopeKind(MG_APPS.toUpperCase())).toBe("managementGroup");
    expect(scopeKind(SUB_A)).toBe("subscription");
    expect(scopeKind(`${SUB_A}/`)).toBe("subscription");
    expect(scopeKind(RG_APP)).toBe("resourceGroup");
    expect(scopeKind(RG_APP.toUpperCase())).toBe("resourceGroup");
    expect(scopeKind(SA)).toBe("resource");
    expect(scopeKind(CONTAINER)).toBe("resource");
    expect(scopeKind(`${SUB_A}/providers/Microsoft.Security/pricings/VirtualMachines`)).toBe("resource");
  });
});

describe("ID part helpers", () => {
  it("extract the subscription, resource group and management group", () => {
    expect(subscriptionOf(CONTAINER)).toBe(SUB_A_ID);
    expect(subscriptionOf(SUB_A.toUpperCase())).toBe(SUB_A_ID);
    expect(subscriptionOf(MG_APPS)).toBeUndefined();
    expect(subscriptionOf("/")).toBeUndefined();
    expect(resourceGroupIdOf(CONTAINER)).toBe(normalizeScope(RG_APP));
    expect(resourceGroupIdOf(RG_APP2)).toBe(normalizeScope(RG_APP2));
    expect(resourceGroupIdOf(SUB_A)).toBeUndefined();
    expect(managementGroupName(MG_APPS)).toBe("mg-apps");
    expect(managementGroupName(SUB_A)).toBeUndefined();
  });
});

describe("ScopeTree.ancestorsOf", () => {
  const t = tree();

  it("walks a nested resource up through its parents, the subscription and the MG chain, nearest first", () => {
    expect(norm(t.ancestorsOf(CONTAINER))).toEqual(
      norm([CONTAINER, BLOB_SERVICE, SA, RG_APP, SUB_A, MG_APPS, MG_PLATFORM, MG_ROOT, "/"]),
    );
  });

  it("handles resource groups, subscriptions and management groups", () => {
    expect(norm(t.ancestorsOf(RG_APP))).toEqual(norm([RG_APP, SUB_A, MG_APPS, MG_PLATFORM, MG_ROOT, "/"]));
    expect(norm(t.ancestorsOf(SUB_B))).toEqual(norm([SUB_B, MG_OTHER, MG_ROOT, "/"]));
    expect(norm(t.ancestorsOf(MG_APPS))).toEqual(norm([MG_APPS, MG_PLATFORM, MG_ROOT, "/"]));
    expect(norm(t.ancestorsOf(MG_ROOT))).toEqual(norm([MG_ROOT, "/"]));
  });

  it("is case-insensitive on its input", () => {
    expect(norm(t.ancestorsOf(SA.toUpperCase()))).toEqual(norm([SA, RG_APP, SUB_A, MG_APPS, MG_PLATFORM, MG_ROOT, "/"]));
  });

  it("ends at the root for the root and for subscriptions whose management group is unknown", () => {
    expect(t.ancestorsOf("/")).toEqual(["/"]);
    expect(norm(t.ancestorsOf(`${SUB_LOOSE}/resourceGroups/rg`))).toEqual(norm([`${SUB_LOOSE}/resourceGroups/rg`, SUB_LOOSE, "/"]));
    const unknownSub = "/subscriptions/dddddddd-0000-4000-8000-00000000000d";
    expect(norm(t.ancestorsOf(unknownSub))).toEqual(norm([unknownSub, "/"]));
  });

  it("includes subscription-level resources", () => {
    const r = `${SUB_B}/providers/Microsoft.Security/pricings/VirtualMachines`;
    expect(norm(t.ancestorsOf(r))).toEqual(norm([r, SUB_B, MG_OTHER, MG_ROOT, "/"]));
  });

  it("always ends with '/' and terminates on a management-group cycle", () => {
    const cyclic = tree({
      managementGroups: [
        { id: MG("x"), name: "x", displayName: "x", parentId: MG("y") },
        { id: MG("y"), name: "y", displayName: "y", parentId: MG("x") },
      ],
      subscriptions: [{ subscriptionId: SUB_A_ID, displayName: "a", tags: {}, managementGroupId: MG("x") }],
    });
    const chain = cyclic.ancestorsOf(RG_APP);
    expect(chain[chain.length - 1]).toBe("/");
    expect(norm(chain)).toEqual(norm([RG_APP, SUB_A, MG("x"), MG("y"), "/"]));
  });
});

describe("ScopeTree.covers and overlaps", () => {
  const t = tree();

  it("covers a scope from itself and from every ancestor", () => {
    for (const above of [CONTAINER, BLOB_SERVICE, SA, RG_APP, SUB_A, MG_APPS, MG_PLATFORM, MG_ROOT, "/"]) {
      expect(t.covers(above, CONTAINER), above).toBe(true);
    }
    expect(t.covers(MG_PLATFORM, MG_APPS)).toBe(true);
    expect(t.covers(MG_APPS.toUpperCase(), SA.toLowerCase())).toBe(true);
  });

  it("does not cover upwards, sideways, or by string prefix", () => {
    expect(t.covers(RG_APP, SUB_A)).toBe(false);
    expect(t.covers(SUB_A, MG_APPS)).toBe(false);
    expect(t.covers(MG_APPS, MG_PLATFORM)).toBe(false);
    expect(t.covers(RG_APP, RG_APP2)).toBe(false);
    expect(t.covers(MG_APPS, SUB_B)).toBe(false);
    expect(t.covers(MG_OTHER, SA)).toBe(false);
    expect(t.covers(MG_APPS, SUB_LOOSE)).toBe(false);
    expect(t.covers(MG("mg-app"), MG_APPS)).toBe(false);
    expect(t.covers(CONTAINER, SA)).toBe(false);
  });

  it("overlaps when either scope contains the other", () => {
    expect(t.overlaps(RG_APP, SA)).toBe(true);
    expect(t.overlaps(SA, RG_APP)).toBe(true);
    expect(t.overlaps(MG_PLATFORM, CONTAINER)).toBe(true);
    expect(t.overlaps(CONTAINER, MG_PLATFORM)).toBe(true);
    expect(t.overlaps("/", SUB_B)).toBe(true);
    expect(t.overlaps(SUB_B, "/")).toBe(true);
    expect(t.overlaps(SA, SA.toUpperCase())).toBe(true);
    expect(t.overlaps(RG_APP, RG_APP2)).toBe(false);
    expect(t.overlaps(RG_APP2, RG_APP)).toBe(false);
    expect(t.overlaps(SUB_A, SUB_B)).toBe(false);
    expect(t.overlaps(MG_APPS, MG_OTHER)).toBe(false);
    expect(t.overlaps(MG_OTHER, SA)).toBe(false);
  });
});

describe("isAzureScope", () => {
  it("accepts every level a role can be assigned at, in any case, with trailing slashes", () => {
    for (const scope of [
      "/",
      MG("tenant-root"),
      "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333",
      "/SUBSCRIPTIONS/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-app/",
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa",
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c",
      "/subscriptions/s/providers/Microsoft.Insights/diagnosticSettings/d",
    ]) {
      expect(isAzureScope(scope), scope).toBe(true);
    }
  });

  it("refuses what the hierarchy could not place", () => {
    for (const scope of [
      "",
      "subscriptions/s",
      "/subscription/s",
      "/subscriptions//resourceGroups/rg",
      "/subscriptions/s/resourceGroups",
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts",
      "/providers/Microsoft.Management/managementGroups/",
      "/providers/Microsoft.Management/managementGroups/a/b",
      "/tenants/x",
    ]) {
      expect(isAzureScope(scope), scope).toBe(false);
    }
  });
});
