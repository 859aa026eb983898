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
