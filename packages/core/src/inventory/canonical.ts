/**
 * One canonical order for every list in an inventory, so that a snapshot of the same tenant is
 * the same bytes whatever order the APIs answered in, and JSON pointers into it are stable.
 */
import type { Inventory } from "../model/inventory.ts";

const lc = (s: string | undefined | null) => (s ?? "").toLowerCase();

/**
 * Sorts `list` in place by the keys in turn. Keys are computed once per item, not twice per
 * comparison, and a list already in order (a snapshot written by `collect` is) is only checked: a
 * snapshot can hold hundreds of thousands of role assignments.
 */
function sortBy<T>(list: T[], ...keys: ((x: T) => string)[]): void {
  if (list.length < 2) return;
  if (keys.length === 1 && inOrder(list, keys[0]!)) return;
  const keyed = list.map((item) => ({ item, k: keys.map((f) => f(item)) }));
  const cmp = (a: { k: string[] }, b: { k: string[] }) => {
    for (let i = 0; i < a.k.length; i++) if (a.k[i] !== b.k[i]) return a.k[i]! < b.k[i]! ? -1 : 1;
    return 0;
  };
  if (keys.length > 1 && keyed.every((x, i) => i === 0 || cmp(keyed[i - 1]!, x) <= 0)) return;
  keyed.sort(cmp);
  keyed.forEach((x, i) => (list[i] = x.item));
}

/** Whether a list is already in order of one key, checked without building anything to sort. */
function inOrder<T>(list: T[], key: (x: T) => string): boolean {
  let previous = key(list[0]!);
  for (let i = 1; i < list.length; i++) {
    const k = key(list[i]!);
    if (k < previous) return false;
    previous = k;
  }
  return true;
}

export function canonicalInventory(inv: Inventory): Inventory {
  return canonicalizeInPlace(structuredClone(inv));
}

/** The same, sorting `out` itself: for an inventory nobody else holds (a fresh collection). */
export function canonicalizeInPlace(out: Inventory): Inventory {
  if (out.buildkite) canonicalizeBuildkite(out.buildkite);
  if (out.entra) canonicalizeEntra(out.entra);
  if (out.azure) canonicalizeAzure(out.azure);
  if (out.github) canonicalizeGitHub(out.github);
  canonicalizeGaps(out.coverage.gaps);
  return out;
}

export function canonicalizeGaps(gaps: Inventory["coverage"]["gaps"]): void {
  sortBy(gaps, (g) => g.source, (g) => g.scope, (g) => g.error);
}

// One per source, so that a collection can put each in order as soon as that source is read,
// while the others are still being read.

export function canonicalizeBuildkite(bk: NonNullable<Inventory["buildkite"]>): void {
  sortBy(bk.clusters, (c) => lc(c.name), (c) => lc(c.uuid));
  for (const c of bk.clusters) sortBy(c.queues, (q) => q.key, (q) => lc(q.uuid));
  sortBy(bk.pipelines, (p) => p.slug, (p) => lc(p.uuid));
  for (const p of bk.pipelines) sortBy(p.teams, (t) => t.slug, (t) => lc(t.uuid));
  sortBy(bk.agents, (a) => a.name ?? "", (a) => lc(a.uuid));
}

export function canonicalizeEntra(e: NonNullable<Inventory["entra"]>): void {
  sortBy(e.applications, (a) => lc(a.displayName), (a) => lc(a.appId));
  for (const a of e.applications) {
    sortBy(a.federatedIdentityCredentials, (f) => f.name, (f) => f.subject);
    sortBy(a.passwordCredentials, (p) => lc(p.keyId));
  }
  sortBy(e.servicePrincipals, (s) => lc(s.displayName), (s) => lc(s.objectId));
  for (const s of e.servicePrincipals) s.memberOf = [...s.memberOf].map((g) => g.toLowerCase()).sort();
  sortBy(e.groups, (g) => lc(g.displayName), (g) => lc(g.objectId));
}

export function canonicalizeGitHub(gh: NonNullable<Inventory["github"]>): void {
  sortBy(gh.organizations, (o) => lc(o.login), (o) => o.login);
  sortBy(gh.repositories, (r) => lc(r.fullName), (r) => r.fullName);
  for (const r of gh.repositories) {
    if (!r.environments) continue;
    sortBy(r.environments, (e) => lc(e.name), (e) => e.name);
    for (const e of r.environments) {
      e.customProtectionRules?.sort();
      // Any one pattern lets a name deploy: their order says nothing.
      if (e.deploymentBranchPolicy?.patterns) sortBy(e.deploymentBranchPolicy.patterns, (p) => p.name, (p) => p.type);
    }
  }
  gh.missingRepositories?.sort();
  gh.movedRepositories?.sort();
}

export function canonicalizeAzure(az: NonNullable<Inventory["azure"]>): void {
  const byId = (x: { id: string }) => lc(x.id);
  sortBy(az.managementGroups, byId);
  sortBy(az.subscriptions, (s) => lc(s.displayName), (s) => lc(s.subscriptionId));
  sortBy(az.resourceGroups, byId);
  sortBy(az.roleDefinitions, (r) => lc(r.roleName), (r) => lc(r.id));
  sortBy(az.roleAssignments, byId);
  sortBy(az.storageAccounts, byId);
  sortBy(az.managedIdentities, byId);
  for (const m of az.managedIdentities) sortBy(m.federatedIdentityCredentials, (f) => f.name, (f) => f.subject);
  if (az.activity) {
    sortBy(az.activity.reads, (r) => lc(r.principalId), (r) => lc(r.subscriptionId));
    for (const r of az.activity.reads) {
      sortBy(r.operations, (o) => lc(o.operation), (o) => o.operation);
      for (const o of r.operations) o.scopes.sort();
    }
  }
}
