import { activityOf, at, ROLE_ASSIGNMENT_WRITE, type Identity, type RepoAnalysis, type RoleAssignment, type TrustGraph } from "@trustscope/core";

/** Assignments by lower-cased `createdBy`, once per graph: scanning them all per identity is quadratic. */
const createdByIndex = new WeakMap<TrustGraph, Map<string, RoleAssignment[]>>();

function assignmentsCreatedBy(graph: TrustGraph, principal: string): RoleAssignment[] {
  let index = createdByIndex.get(graph);
  if (!index) {
    index = new Map();
    for (const a of graph.inventory.azure?.roleAssignments ?? []) {
      const by = a.createdBy?.toLowerCase();
      if (!by) continue;
      const list = index.get(by);
      if (list) list.push(a);
      else index.set(by, [a]);
    }
    createdByIndex.set(graph, index);
  }
  return index.get(principal) ?? [];
}

/**
 * What shows that an identity manages access, one line each: role assignments in the inventory
 * that it created (ARM records `createdBy`), and, in the repository, templates or commands that
 * create role assignments, run by steps that log in as it. (Role assignments written in the
 * Activity Log window are `loggedRoleAssignmentWrites`: the owner rule judges them per grant scope.)
 */
export function accessManagementEvidence(graph: TrustGraph, identity: Identity, repo?: RepoAnalysis): string[] {
  const out: string[] = [];
  const principal = identity.principalId?.toLowerCase();
  if (principal) {
    for (const a of assignmentsCreatedBy(graph, principal)) out.push(`it created role assignment ${a.id}`);
  }
  if (repo) {
    const usedHere = repo.tokenUses.some((u) => u.clientId.value?.toLowerCase() === identity.appId.toLowerCase());
    if (usedHere) {
      for (const t of repo.repo.templates) for (const r of t.roleAssignments) out.push(`the repository's pipelines log in as it, and ${at(r)} creates a role assignment`);
      const commands = [...repo.repo.scripts.flatMap((s) => s.roleAssignments), ...[...repo.inline.values()].flatMap((f) => f.roleAssignments)];
      for (const c of commands) out.push(`the repository's pipelines log in as it, and ${at(c)} runs az role assignment create`);
    }
  }
  return out;
}

/**
 * Role assignments the identity wrote in the Activity Log window (collected with --activity; they
 * may since have been deleted, so the inventory's `createdBy` cannot show them), one line each.
 */
export function loggedRoleAssignmentWrites(graph: TrustGraph, identity: Identity): string[] {
  const activity = activityOf(graph.inventory.azure?.activity, identity);
  const out: string[] = [];
  for (const op of activity?.operations ?? []) {
    if (op.operation.toLowerCase() !== ROLE_ASSIGNMENT_WRITE.toLowerCase()) continue;
    const when = op.count === 1 ? `on ${op.last}` : `${op.count} times, last on ${op.last}`;
    out.push(`the Activity Log shows it wrote role assignments in subscription ${op.subscriptionId} ${when}`);
  }
  return out;
}
