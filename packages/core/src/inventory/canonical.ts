/**
 * One canonical order for every list in an inventory, so that a snapshot of the same tenant is
 * the same bytes whatever order the APIs answered in, and JSON pointers into it are stable.
 */
import type { Inventory } from "../model/inventory.ts";

const lc = (s: string | undefined | null) => (s ?? "").toLowerCase();

function by<T>(...keys: ((x: T) => string)[]) {
  return (a: T, b: T) => {
    for (const k of keys) {
      const x = k(a);
      const y = k(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}

export function canonicalInventory(inv: Inventory): Inventory {
  return canonicalizeInPlace(structuredClone(inv));
}

/** The same, sorting `out` itself: for an inventory nobody else holds (a fresh collection). */
export function canonicalizeInPlace(out: Inventory): Inventory {
  if (out.buildkite) {
    const bk = out.buildkite;
    bk.clusters.sort(by((c) => lc(c.name), (c) => lc(c.uuid)));
    for (const c of bk.clusters) c.queues.sort(by((q) => q.key, (q) => lc(q.uuid)));
    bk.pipelines.sort(by((p) => p.slug, (p) => lc(p.uuid)));
    for (const p of bk.pipelines) p.teams.sort(by((t) => t.slug, (t) => lc(t.uuid)));
    bk.agents.sort(by((a) => a.name ?? "", (a) => lc(a.uuid)));
  }
  if (out.entra) {
    const e = out.entra;
    e.applications.sort(by((a) => lc(a.displayName), (a) => lc(a.appId)));
    for (const a of e.applications) {
      a.federatedIdentityCredentials.sort(by((f) => f.name, (f) => f.subject));
      a.passwordCredentials.sort(by((p) => lc(p.keyId)));
    }
    e.servicePrincipals.sort(by((s) => lc(s.displayName), (s) => lc(s.objectId)));
    for (const s of e.servicePrincipals) s.memberOf = [...s.memberOf].map((g) => g.toLowerCase()).sort();
    e.groups.sort(by((g) => lc(g.displayName), (g) => lc(g.objectId)));
  }
  if (out.azure) {
    const az = out.azure;
    const byId = by<{ id: string }>((x) => lc(x.id));
    az.managementGroups.sort(byId);
    az.subscriptions.sort(by((s) => lc(s.displayName), (s) => lc(s.subscriptionId)));
    az.resourceGroups.sort(byId);
    az.roleDefinitions.sort(by((r) => lc(r.roleName), (r) => lc(r.id)));
    az.roleAssignments.sort(byId);
    az.storageAccounts.sort(byId);
    az.managedIdentities.sort(byId);
    for (const m of az.managedIdentities) m.federatedIdentityCredentials.sort(by((f) => f.name, (f) => f.subject));
  }
  out.coverage.gaps.sort(by((g) => g.source, (g) => g.scope, (g) => g.error));
  return out;
}
