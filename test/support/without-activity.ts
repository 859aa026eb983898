import type { Inventory } from "@trustscope/core";

/**
 * An inventory as a collection without --activity reads it: everything but the Activity Log.
 * (The demo's history is read only with --activity, or by --demo itself.)
 */
export function withoutActivity(inv: Inventory): Inventory {
  if (!inv.azure?.activity) return inv;
  const { activity: _a, ...azure } = inv.azure;
  return { ...inv, azure };
}

/**
 * An inventory without what differs between two collections of the same organisation: when it
 * was collected, and which address the GitHub API answered from (the emulator's port).
 */
export function withoutVolatile(inv: Inventory, canonical: (i: Inventory) => Inventory): Inventory {
  const { collectedAt: _c, ...rest } = canonical(inv);
  if (rest.github) rest.github = { ...rest.github, apiUrl: "(any)" };
  return rest as Inventory;
}
