/**
 * The canonical order: the same inventory in any order gives the same lists.
 */
import { describe, expect, it } from "vitest";
import { canonicalInventory, type Inventory } from "@trustscope/core";
import { canonicalizeEntra, canonicalizeGaps } from "../src/inventory/canonical.ts";
import { InventoryBuilder } from "../src/testing/inventory-builder.ts";

const assignment = (id: string) => ({ id, scope: id.split("/providers/Microsoft.Authorization")[0]!, roleDefinitionId: "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", principalId: "11111111-1111-4111-8111-111111111111", principalType: "ServicePrincipal" as const });

const SUB = "/subscriptions/5a1b2c3d-0000-4000-8000-000000000001";
const IDS = [
  `${SUB}/resourceGroups/RG-B/providers/Microsoft.Authorization/roleAssignments/0c0c0c0c-0000-4000-8000-000000000003`,
  `${SUB}/providers/Microsoft.Authorization/roleAssignments/0a0a0a0a-0000-4000-8000-000000000001`,
  `${SUB}/resourceGroups/rg-a/providers/Microsoft.Authorization/roleAssignments/0b0b0b0b-0000-4000-8000-000000000002`,
];
// Lower-cased: "/providers/…" < "/resourcegroups/rg-a/…" < "/resourcegroups/rg-b/…".
const SORTED = [IDS[1], IDS[2], IDS[0]];

function tenant(ids: string[]): Inventory {
  const inv = new InventoryBuilder().build();
  inv.azure!.roleAssignments = ids.map(assignment);
  return inv;
}

describe("canonical order", () => {
  it("sorts role assignments by their ID, ignoring case", () => {
    expect(canonicalInventory(tenant(IDS)).azure!.roleAssignments.map((a) => a.id)).toEqual(SORTED);
  });

  it("sorts by each key in turn", () => {
    const inv = new InventoryBuilder().build();
    const app = (displayName: string, appId: string) => ({ appId, objectId: appId, displayName, federatedIdentityCredentials: [], passwordCredentials: [] });
    inv.entra!.applications = [app("deploy", "b0000000-0000-4000-8000-000000000002"), app("Build", "c0000000-0000-4000-8000-000000000003"), app("deploy", "a0000000-0000-4000-8000-000000000001")];
    canonicalizeEntra(inv.entra!);
    expect(inv.entra!.applications.map((a) => `${a.displayName} ${a.appId[0]}`)).toEqual(["Build c", "deploy a", "deploy b"]);
  });

  it("puts coverage gaps in order of source, scope and error", () => {
    const gap = (source: "arm" | "graph", scope: string, error: string) => ({ source, scope, error });
    const gaps = [gap("graph", "/a", "x"), gap("arm", "/b", "y"), gap("arm", "/a", "z"), gap("arm", "/a", "w")];
    canonicalizeGaps(gaps);
    expect(gaps.map((g) => `${g.source} ${g.scope} ${g.error}`)).toEqual(["arm /a w", "arm /a z", "arm /b y", "graph /a x"]);
  });
});
