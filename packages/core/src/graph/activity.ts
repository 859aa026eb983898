/**
 * Activity Log evidence: which identities are worth reading the log for (privileged federated
 * identities), and what the collected log says about one of them. Pure: the collector asks
 * `activityCandidates` which (identity, subscription) pairs to read; rules ask `activityOf`.
 */
import type { ActivityLog, ActivityOperation, Inventory, RoleDefinition } from "../model/inventory.ts";
import { matchesPermission, ROLE_ASSIGNMENT_WRITE, roleAllows, type Grant } from "../azure/rbac.ts";
import { ScopeTree, subscriptionOf } from "../azure/scope.ts";
import { compareText } from "./compare.ts";
import type { Identity, TrustGraph } from "./trust-graph.ts";

/**
 * A role whose holder can change anything (an action of exactly `*`: Owner, Contributor) or hand
 * out access (`Microsoft.Authorization/roleAssignments/write` allowed: Owner, User Access
 * Administrator, Role Based Access Control Administrator, custom roles with
 * `Microsoft.Authorization/*` or `*\/write`). Judged from the definition's actions, never its name.
 */
export function isPrivilegedRole(role: RoleDefinition): boolean {
  return role.permissions.some((p) => p.actions.includes("*")) || roleAllows(role, ROLE_ASSIGNMENT_WRITE);
}

/** An identity's grants of privileged roles. */
export function privilegedGrants(identity: Identity): Grant[] {
  return identity.grants.filter((g) => g.role !== undefined && isPrivilegedRole(g.role));
}

/**
 * The subscriptions (lower case) an assignment at `scope` applies in: its own, or, for a
 * management group or the root, every one of `subscriptionIds` (lower case) below it.
 */
export function subscriptionsReached(tree: ScopeTree, subscriptionIds: readonly string[], scope: string): string[] {
  const own = subscriptionOf(scope);
  if (own) return [own];
  // Above subscriptions: every known subscription the assignment applies at.
  return subscriptionIds.filter((sub) => tree.covers(scope, `/subscriptions/${sub}`));
}

/** One identity whose Activity Log is to be read, and in which subscriptions. */
export interface ActivityCandidate {
  /** The principal ID role assignments and the log's `caller` name, lower case. */
  principalId: string;
  identity: Identity;
  /** Subscription IDs (lower case) where a privileged grant applies: the grant's own, or every known one below a management group or the root. */
  subscriptionIds: string[];
}

/**
 * The federated identities (an app registration or managed identity with at least one federated
 * credential) that hold a privileged role, with the subscriptions their grants reach. Sorted by
 * principal ID, so collection requests come in a stable order.
 */
export function activityCandidates(graph: TrustGraph, inventory: Pick<Inventory, "azure">): ActivityCandidate[] {
  const tree = new ScopeTree(inventory);
  const subscriptions = (inventory.azure?.subscriptions ?? []).map((s) => s.subscriptionId.toLowerCase());
  const out: ActivityCandidate[] = [];
  for (const identity of graph.identities) {
    if (identity.credentials.length === 0 || !identity.principalId) continue;
    const grants = privilegedGrants(identity);
    if (grants.length === 0) continue;
    const reached = new Set<string>();
    for (const g of grants) for (const sub of subscriptionsReached(tree, subscriptions, g.assignment.scope)) reached.add(sub);
    if (reached.size > 0) out.push({ principalId: identity.principalId.toLowerCase(), identity, subscriptionIds: [...reached].sort() });
  }
  return out.sort((a, b) => compareText(a.principalId, b.principalId));
}

/** What the log says about one identity: the subscriptions read in full, and its operations there. */
export interface IdentityActivity {
  /** The window, ISO 8601. */
  from: string;
  to: string;
  /** Whole days in the window. */
  days: number;
  /** Subscriptions (lower case) whose log was read in full for this identity. */
  subscriptionsRead: string[];
  /** Its operations, one entry per (subscription, operation name). */
  operations: (ActivityOperation & { subscriptionId: string })[];
}

/** Reads by lower-cased principal ID, once per log: filtering them all per identity is quadratic. */
const readsIndex = new WeakMap<ActivityLog, Map<string, ActivityLog["reads"]>>();

function readsOf(log: ActivityLog, principal: string): ActivityLog["reads"] {
  let index = readsIndex.get(log);
  if (!index) {
    index = new Map();
    for (const r of log.reads) {
      const key = r.principalId.toLowerCase();
      const list = index.get(key);
      if (list) list.push(r);
      else index.set(key, [r]);
    }
    readsIndex.set(log, index);
  }
  return index.get(principal) ?? [];
}

/**
 * The collected activity of `identity`, or undefined when no log was read for it (not collected,
 * or every read failed): then nothing may be concluded from the absence of an operation.
 */
export function activityOf(log: ActivityLog | undefined, identity: Pick<Identity, "principalId">): IdentityActivity | undefined {
  const principal = identity.principalId?.toLowerCase();
  if (!log || !principal) return undefined;
  const reads = readsOf(log, principal);
  if (reads.length === 0) return undefined;
  const days = Math.round((Date.parse(log.to) - Date.parse(log.from)) / 86_400_000);
  return {
    from: log.from,
    to: log.to,
    days,
    subscriptionsRead: reads.map((r) => r.subscriptionId.toLowerCase()).sort(),
    operations: reads.flatMap((r) => r.operations.map((o) => ({ ...o, subscriptionId: r.subscriptionId.toLowerCase() }))),
  };
}

/** True when the log was read in full for every subscription in `subscriptionIds`. */
export function activityCovers(activity: IdentityActivity | undefined, subscriptionIds: readonly string[]): activity is IdentityActivity {
  return activity !== undefined && subscriptionIds.every((s) => activity.subscriptionsRead.includes(s.toLowerCase()));
}

/** One operation an identity performed at or below a scope, summed over the subscriptions read. */
export interface UsedOperation {
  operation: string;
  count: number;
  first: string;
  last: string;
  /** The listed scopes at or below the scope (the log keeps at most ACTIVITY_SCOPES_KEPT per subscription). */
  scopes: string[];
  /** True when some of its scopes were not kept, so it may also have been performed elsewhere. */
  moreScopes: boolean;
}

/**
 * The operations of `activity` performed at or below `scope`, one per operation name (compared
 * case-insensitively, as RBAC does), sorted by name. An operation whose kept scopes do not settle
 * it (some were dropped, or none were recorded) counts as performed there: a rule that reads
 * "used" as "needed" then errs towards more access, never towards less. Counts are the
 * operation's counts in the subscriptions concerned, not only at the scope.
 */
export function operationsAt(activity: IdentityActivity, scope: string, tree: ScopeTree): UsedOperation[] {
  const byName = new Map<string, UsedOperation>();
  for (const op of activity.operations) {
    const at = op.scopes.filter((s) => tree.covers(scope, s));
    const unsettled = (op.moreScopes ?? 0) > 0 || op.scopes.length === 0;
    if (at.length === 0 && !unsettled) continue;
    const key = op.operation.toLowerCase();
    const seen = byName.get(key);
    if (!seen) {
      byName.set(key, { operation: op.operation, count: op.count, first: op.first, last: op.last, scopes: at, moreScopes: (op.moreScopes ?? 0) > 0 });
      continue;
    }
    seen.count += op.count;
    if (op.first < seen.first) seen.first = op.first;
    if (op.last > seen.last) seen.last = op.last;
    seen.scopes = [...new Set([...seen.scopes, ...at])].sort();
    seen.moreScopes ||= (op.moreScopes ?? 0) > 0;
  }
  return [...byName.values()].sort((a, b) => compareText(a.operation.toLowerCase(), b.operation.toLowerCase()));
}

/**
 * How much one action pattern allows, as an order of magnitude of the operations it covers: a
 * specific operation 1; a wildcard inside a resource type (`Microsoft.Web/sites/*`) 10; one
 * across a provider namespace (`Microsoft.Web/*`, `Microsoft.Authorization/*\/write`) 100; one
 * across every provider (`*`, `*\/write`) 10,000. Reads (`…/read`) count 0: the Activity Log
 * records no reads, so they can neither be proven needed nor measured against use.
 */
export function actionBreadth(pattern: string): number {
  const p = pattern.trim();
  if (/\/read$/i.test(p)) return 0;
  const star = p.indexOf("*");
  if (star < 0) return 1;
  const literalSegments = p.slice(0, star).split("/").length - 1;
  return literalSegments === 0 ? 10_000 : literalSegments === 1 ? 100 : 10;
}

/**
 * A role definition's control-plane breadth: the sum of its actions' breadth minus its
 * notActions' (never below 0 per permission block), so Contributor (`*` minus
 * `Microsoft.Authorization/*\/Write`…) is narrower than Owner (`*`). Data actions do not count.
 */
export function roleBreadth(role: Pick<RoleDefinition, "permissions">): number {
  let total = 0;
  for (const p of role.permissions) {
    const allowed = p.actions.reduce((n, a) => n + actionBreadth(a), 0);
    const removed = p.notActions.reduce((n, a) => n + actionBreadth(a), 0);
    total += Math.max(0, allowed - removed);
  }
  return total;
}

/** A role that allows every operation of a set, and how far it reaches beyond them. */
export interface RoleFit {
  role: RoleDefinition;
  breadth: number;
  /** Its action patterns (other than reads) that match none of the operations: access never used. */
  unusedPatterns: number;
}

/**
 * The roles among `roles` that allow every one of `operations` on the control plane (actions
 * minus notActions, wildcards, case-insensitive), narrowest first: by breadth, then by fewer
 * unused patterns, then by role name. Empty `operations` gives every role.
 */
export function rolesAllowingAll(roles: readonly RoleDefinition[], operations: readonly string[]): RoleFit[] {
  const fits: RoleFit[] = [];
  for (const role of roles) {
    if (!operations.every((op) => roleAllows(role, op))) continue;
    const patterns = role.permissions.flatMap((p) => p.actions).filter((a) => actionBreadth(a) > 0);
    const unusedPatterns = patterns.filter((a) => !operations.some((op) => matchesPermission(a, op))).length;
    fits.push({ role, breadth: roleBreadth(role), unusedPatterns });
  }
  return fits.sort((a, b) => a.breadth - b.breadth || a.unusedPatterns - b.unusedPatterns || compareText(a.role.roleName, b.role.roleName));
}

/** What the log says happened under one grant's scope. */
export interface ActivityAtScope {
  activity: IdentityActivity;
  /** The subscriptions (lower case) the scope reaches, every one read in full. */
  subscriptionIds: string[];
  /** The operations performed at or below the scope (see {@link operationsAt}). */
  operations: UsedOperation[];
}

/**
 * The activity of an identity under an assignment's `scope`, or undefined when the log does not
 * settle it: no activity collected, the scope reaches no known subscription, or the read of one
 * of its subscriptions failed (a coverage gap, where an absence proves nothing).
 */
export function activityAt(graph: Pick<TrustGraph, "inventory" | "rbac">, activity: IdentityActivity | undefined, scope: string): ActivityAtScope | undefined {
  if (!activity) return undefined;
  const known = (graph.inventory.azure?.subscriptions ?? []).map((s) => s.subscriptionId.toLowerCase());
  const subscriptionIds = subscriptionsReached(graph.rbac.scopes, known, scope);
  if (subscriptionIds.length === 0 || !activityCovers(activity, subscriptionIds)) return undefined;
  const read = activity.operations.filter((o) => subscriptionIds.includes(o.subscriptionId));
  return { activity, subscriptionIds, operations: operationsAt({ ...activity, operations: read }, scope, graph.rbac.scopes) };
}

/** `Microsoft.Web/sites/write ×12 (first …, last …) at a, b and 3 more`, for evidence lines. */
export function describeOperation(op: UsedOperation, maxScopes = 3): string {
  const times = op.count === 1 ? `at ${op.last}` : `first ${op.first}, last ${op.last}`;
  const shown = op.scopes.slice(0, maxScopes);
  const more = op.scopes.length - shown.length;
  const where = shown.length === 0 ? "" : ` on ${shown.join(", ")}${more > 0 ? ` and ${more} more` : op.moreScopes ? " and others" : ""}`;
  return `${op.operation} ×${op.count} (${times})${where}`;
}
