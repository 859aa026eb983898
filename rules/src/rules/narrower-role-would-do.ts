import {
  activityAt,
  activityOf,
  describeGrant,
  describeIdentity,
  describeOperation,
  findingIdentity,
  federatedIdentities,
  otherIssuerEvidence,
  listSome,
  privilegedGrants,
  roleAllows,
  roleBreadth,
  rolesAllowingAll,
  type RoleFit,
  type Rule,
  type Severity,
} from "@trustscope/core";

/**
 * A role is close enough to what was used when its breadth is at most this many times the used
 * set's (one per distinct operation). Beyond it, a custom role with exactly the used actions is
 * proposed instead; and a proposal less than this many times narrower than the current role is
 * only info.
 */
export const BREADTH_FACTOR = 10;

/** How many operations an evidence line lists, and how many narrower roles it says were ruled out. */
const SHOWN = 8;
const RULED_OUT = 3;

export const narrowerRoleWouldDo: Rule = {
  meta: {
    id: "narrower-role-would-do",
    title: "A privileged federated identity used a fraction of its role: a narrower role would do",
    defaultSeverity: "medium",
    description:
      "From the Activity Log (collected with --activity), the control-plane operations a federated identity performed under a privileged grant (Owner, Contributor, User Access Administrator, or a custom role with * or role-assignment writes) in the window. When a built-in role in the inventory, judged by its actions and notActions, allows all of them and is much narrower than the current role, it is proposed; when none is within a factor of what was used, a custom role with exactly those actions is. High when the scope touches production.",
    tags: ["security", "rbac", "least-privilege"],
  },
  *check({ graph, environments }) {
    const builtins = (graph.inventory.azure?.roleDefinitions ?? []).filter((r) => r.roleType === "BuiltInRole");
    for (const identity of federatedIdentities(graph)) {
      // A managed identity's events may be missing from the log (azure-powershell#18784): a role
      // cut to a partial record would break its pipeline.
      if (identity.kind === "managedIdentity") continue;
      const activity = activityOf(graph.inventory.azure?.activity, identity);
      if (!activity) continue;
      for (const grant of privilegedGrants(identity)) {
        const role = grant.role!;
        const logged = activityAt(graph, activity, grant.assignment.scope);
        // Operations this role does not allow were done through another grant.
        const used = logged?.operations.filter((o) => roleAllows(role, o.operation)) ?? [];
        if (!logged || used.length === 0) continue; // nothing used: dormant-privileged-identity's case
        const needed = used.map((o) => o.operation);
        const current = roleBreadth(role);
        const limit = BREADTH_FACTOR * needed.length;
        if (current <= limit) continue; // already about as narrow as what it does
        const narrower = rolesAllowingAll(builtins, needed).filter((f) => f.breadth < current && f.role.name !== role.name);
        const best = narrower[0] && narrower[0].breadth <= limit ? narrower[0] : undefined;
        const proposed = best ? best.breadth : needed.length;
        const prod = environments.touchesProduction(grant.assignment.scope);
        const severity: Severity = current < BREADTH_FACTOR * proposed ? "info" : prod.production ? "high" : "medium";
        const customActions = JSON.stringify([...new Set(needed)]);
        yield {
          severity,
          message: best
            ? `${describeIdentity(identity)} holds ${describeGrant(grant)} but used only ${count(needed.length)} there in ${activity.days} days, all of which built-in role '${best.role.roleName}' allows.`
            : `${describeIdentity(identity)} holds ${describeGrant(grant)} but used only ${count(needed.length)} there in ${activity.days} days; no built-in role is close to that, so a custom role with exactly those actions would do.`,
          identity: findingIdentity(identity),
          scope: grant.assignment.scope,
          evidence: [
            `Activity Log ${activity.from}…${activity.to}, read in full for ${listSome(logged.subscriptionIds, 3)}: ${count(needed.length)} under this scope (reads are not logged)`,
            ...used.slice(0, SHOWN).map((o) => `used: ${describeOperation(o)}`),
            ...(used.length > SHOWN ? [`and ${used.length - SHOWN} more operations`] : []),
            `breadth of '${role.roleName}' ${current} (from its actions and notActions, not its name); of the used set ${needed.length}; proposed ${proposed}`,
            ...(best ? [`'${best.role.roleName}' (${best.role.name}) allows every used operation, with breadth ${best.breadth}`] : closest(narrower)),
            ...ruledOut(builtins, needed, best ? best.breadth : current),
            ...(best ? [] : [`custom role actions: ${customActions}`]),
            prod.production ? `the scope touches production: ${prod.reason}; severity high` : "the scope is not production",
            ...(severity === "info" ? [`the proposal is less than ${BREADTH_FACTOR}× narrower than the current role; severity info`] : []),
            ...otherIssuerEvidence(identity),
          ],
          remediation: best
            ? `Assign '${best.role.roleName}' at the same scope, confirm the pipeline still succeeds, then remove '${role.roleName}'. Reads are not in the Activity Log: the built-in role's read actions cover the usual ones.`
            : `Create a custom role with "Actions": ${customActions} (plus the reads the pipeline needs, e.g. "*/read", which the Activity Log does not record) and "AssignableScopes": ["${grant.assignment.scope}"]; assign it at the same scope, confirm the pipeline still succeeds, then remove '${role.roleName}'.`,
          key: [identity.key, grant.assignment.id],
          anchor: identity.anchor,
        };
      }
    }
  },
};

function count(n: number): string {
  return n === 1 ? "1 operation" : `${n} operations`;
}

/** When no built-in role is close: the narrowest built-in that would still do, and why it is not proposed. */
function closest(narrower: RoleFit[]): string[] {
  const c = narrower[0];
  return c ? [`the narrowest built-in role allowing them all, '${c.role.roleName}', has breadth ${c.breadth}, more than ${BREADTH_FACTOR}× the used set`] : ["no built-in role narrower than the current one allows them all"];
}

/** Narrower built-in roles and the used operation each lacks: the operations that decided it. */
function ruledOut(builtins: Parameters<typeof rolesAllowingAll>[0], needed: string[], below: number): string[] {
  const lines: string[] = [];
  const sorted = builtins.map((role) => ({ role, breadth: roleBreadth(role) })).filter((r) => r.breadth > 0 && r.breadth < below);
  sorted.sort((a, b) => a.breadth - b.breadth || (a.role.roleName < b.role.roleName ? -1 : 1));
  for (const { role } of sorted) {
    const missing = needed.filter((op) => !roleAllows(role, op));
    // Roles that lack everything say nothing about this identity's work.
    if (missing.length === 0 || missing.length === needed.length) continue;
    lines.push(`'${role.roleName}' would not do: it does not allow ${listSome(missing, 2)}`);
    if (lines.length === RULED_OUT) break;
  }
  return lines;
}
