/**
 * The canonical order: the same inventory in any order gives the same lists, whether the sorting
 * is done all at once or source by source as a collection does it.
 */
import { describe, expect, it } from "vitest";
import { canonicalInventory, type Inventory } from "@trustscope/core";
import { canonicalizeAzure, canonicalizeEntra, canonicalizeGaps, canonicalizeInPlace } from "../src/inventory/canonical.ts";
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

  it("leaves a list already in order as it is, item for item", () => {
    const inv = tenant(SORTED as string[]);
    const before = [...inv.azure!.roleAssignments];
    canonicalizeInPlace(inv);
    inv.azure!.roleAssignments.forEach((a, i) => expect(a).toBe(before[i]));
  });

  it("sorts by each key in turn", () => {
    const inv = new InventoryBuilder().build();
    const app = (displayName: string, appId: string) => ({ appId, objectId: appId, displayName, federatedIdentityCredentials: [], passwordCredentials: [] });
    inv.entra!.applications = [app("deploy", "b0000000-0000-4000-8000-000000000002"), app("Build", "c0000000-0000-4000-8000-000000000003"), app("deploy", "a0000000-0000-4000-8000-000000000001")];
    canonicalizeEntra(inv.entra!);
    expect(inv.entra!.applications.map((a) => `${a.displayName} ${a.appId[0]}`)).toEqual(["Build c", "deploy a", "deploy b"]);
  });

  it("gives the same result source by source as all at once", () => {
    const whole = canonicalInventory(tenant([...IDS].reverse()));
    const bySource = structuredClone(tenant([...IDS].reverse()));
    canonicalizeAzure(bySource.azure!);
    canonicalizeEntra(bySource.entra!);
    canonicalizeGaps(bySource.coverage.gaps);
    expect(bySource).toEqual(whole);
  });
});
