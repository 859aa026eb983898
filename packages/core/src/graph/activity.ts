/**
 * Activity Log evidence: which identities are worth reading the log for (privileged federated
 * identities), and what the collected log says about one of them. Pure: the collector asks
 * `activityCandidates` which (identity, subscription) pairs to read; rules ask `activityOf`.
 */
import type { ActivityLog, ActivityOperation, Inventory, RoleDefinition } from "../model/inventory.ts";
import { ROLE_ASSIGNMENT_WRITE, roleAllows, type Grant } from "../azure/rbac.ts";
import { normalizeScope, ScopeTree, subscriptionOf } from "../azure/scope.ts";
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
    for (const g of grants) {
      const scope = normalizeScope(g.assignment.scope);
      const own = subscriptionOf(scope);
      if (own) reached.add(own.toLowerCase());
      // Above subscriptions: every known subscription whose ancestors include the grant's scope.
      else for (const sub of subscriptions) if (tree.ancestorsOf(`/subscriptions/${sub}`).includes(scope)) reached.add(sub);
    }
    if (reached.size > 0) out.push({ principalId: identity.principalId.toLowerCase(), identity, subscriptionIds: [...reached].sort() });
  }
  return out.sort((a, b) => (a.principalId < b.principalId ? -1 : a.principalId > b.principalId ? 1 : 0));
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

/**
 * The collected activity of `identity`, or undefined when no log was read for it (not collected,
 * or every read failed): then nothing may be concluded from the absence of an operation.
 */
export function activityOf(log: ActivityLog | undefined, identity: Pick<Identity, "principalId">): IdentityActivity | undefined {
  const principal = identity.principalId?.toLowerCase();
  if (!log || !principal) return undefined;
  const reads = log.reads.filter((r) => r.principalId.toLowerCase() === principal);
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
