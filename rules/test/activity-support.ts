import type { ActivityOperation, Inventory } from "@trustscope/core";
import { InventoryBuilder } from "@trustscope/core/testing";

export const FROM = "2026-08-27T12:00:00Z";
export const TO = "2026-11-25T12:00:00Z";

/** One logged operation: `count` events between `first` and `last` at `scopes`. */
export function op(operation: string, scopes: string[], extra: Partial<ActivityOperation> = {}): ActivityOperation {
  return { operation, count: 1, first: "2026-09-06T09:12:00Z", last: "2026-09-06T09:12:00Z", scopes, ...extra };
}

/**
 * The inventory with an Activity Log: one full read per (principal, subscription scope) listed.
 * A pair left out is a read that failed.
 */
export function withActivity(inventory: Inventory, reads: { principal: string; subscription: string; operations?: ActivityOperation[] }[]): Inventory {
  inventory.azure!.activity = {
    from: FROM,
    to: TO,
    reads: reads.map((r) => ({ principalId: r.principal.toLowerCase(), subscriptionId: r.subscription.split("/")[2]!.toLowerCase(), operations: r.operations ?? [] })),
  };
  return inventory;
}

/** An app registration Buildkite logs in as, holding Owner on management group `mgName` over two subscriptions. */
export function ownerOnManagementGroup(mgName: string, subscriptions: [string, string]) {
  const b = new InventoryBuilder();
  const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
  const mg = b.managementGroup(mgName);
  const [one, two] = subscriptions.map((name) => b.subscription(name, { managementGroup: mg })) as [string, string];
  b.assign(app.principalId, "Owner", mg);
  return { b, app, mg, one, two };
}
