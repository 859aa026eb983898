import {
  activityAt,
  activityOf,
  describeGrant,
  describeIdentity,
  findingIdentity,
  grantsWith,
  federatedIdentities,
  otherIssuerEvidence,
  listSome,
  matchesPermission,
  ROLE_ASSIGNMENT_WRITE,
  type ActivityAtScope,
  type Identity,
  type Rule,
} from "@trustscope/core";
import { accessManagementEvidence } from "../support/access-management.ts";

export const ownerWhereContributorWouldDo: Rule = {
  meta: {
    id: "owner-where-contributor-would-do",
    title: "A federated identity can assign roles, and nothing shows it needs to",
    defaultSeverity: "high",
    description:
      "Owner, User Access Administrator, Role Based Access Control Administrator and any custom role whose actions include Microsoft.Authorization/roleAssignments/write let the holder grant itself or anyone else any role at that scope. A pipeline identity that only deploys resources needs Contributor (which excludes role assignment writes); holding more turns a compromised build into a permanent foothold.",
    tags: ["security", "rbac", "least-privilege"],
    // Sound on what a Terraform configuration declares: judged again as the configuration will be once applied.
    declared: true,
  },
  *check({ graph, environments, repo }) {
    for (const identity of federatedIdentities(graph)) {
      // Evidence of need goes to the unconstrained-role-assignment rule instead.
      if (accessManagementEvidence(graph, identity, repo).length > 0) continue;
      const activity = activityOf(graph.inventory.azure?.activity, identity);
      for (const grant of grantsWith(identity, ROLE_ASSIGNMENT_WRITE)) {
        if (grant.conditional) continue; // a condition-constrained delegation is the recommended form
        const logged = activityAt(graph, activity, grant.assignment.scope);
        // What it did under this grant that Contributor's notActions exclude shows the need.
        if (logged && accessWrites(logged).length > 0) continue;
        const prod = environments.touchesProduction(grant.assignment.scope);
        yield {
          severity: prod.production ? "critical" : "high",
          message: `${describeIdentity(identity)} holds ${describeGrant(grant)}, which can assign roles, yet nothing shows it manages access: Contributor would do.`,
          identity: findingIdentity(identity),
          scope: grant.assignment.scope,
          evidence: [
            `role '${grant.role!.roleName}' allows ${ROLE_ASSIGNMENT_WRITE} (from its role definition, not its name)`,
            ...(grant.viaGroup ? [`held through group '${grant.viaGroup.displayName}' (${grant.viaGroup.objectId})`] : ["assigned directly"]),
            repo ? "no role assignment in the inventory was created by it, and no template or command in the repository creates one" : "no role assignment in the inventory was created by this identity",
            ...(logged ? [activityEvidence(identity, logged)] : []),
            prod.production ? `the scope touches production: ${prod.reason}; severity raised to critical` : "the scope is not production",
            ...otherIssuerEvidence(identity),
          ],
          remediation:
            "Replace the assignment with Contributor at the same scope. If the pipeline must assign roles, add 'Role Based Access Control Administrator' with a condition that limits which roles it may assign (for example only Storage Blob Data Contributor) instead of Owner.",
          key: [identity.key, grant.assignment.id],
          anchor: identity.anchor,
        };
      }
    }
  },
};

/**
 * Operations Contributor's notActions exclude (`Microsoft.Authorization/*\/Write`, `…/*\/Delete`,
 * `elevateAccess/Action`): one of them performed under the grant shows the identity needs more
 * than Contributor there (role assignments, and also locks or policy assignments).
 */
const ACCESS_WRITES = ["Microsoft.Authorization/*/write", "Microsoft.Authorization/*/delete", "Microsoft.Authorization/elevateAccess/action"];

function accessWrites(logged: ActivityAtScope): ActivityAtScope["operations"] {
  return logged.operations.filter((o) => ACCESS_WRITES.some((p) => matchesPermission(p, o.operation)));
}

/**
 * The Activity Log line for a grant whose scope the log covers and under which the identity wrote
 * nothing in Microsoft.Authorization. A managed identity's events may be missing from the log
 * (azure-powershell#18784), so for one the silence is reported as no proof.
 */
function activityEvidence(identity: Identity, logged: ActivityAtScope): string {
  const { activity, subscriptionIds } = logged;
  const window = `${activity.from}…${activity.to}`;
  const where = subscriptionIds.length === 1 ? `subscription ${subscriptionIds[0]}` : `subscriptions ${listSome(subscriptionIds, 3)}`;
  if (identity.kind === "managedIdentity") {
    return `the Activity Log (${window}) shows no ${ROLE_ASSIGNMENT_WRITE} by it in ${where}, but it may be incomplete for managed identities, so this proves nothing`;
  }
  return `no ${ROLE_ASSIGNMENT_WRITE} (nor any other Microsoft.Authorization write or delete) by this identity in the last ${activity.days} days in ${where} (Activity Log, ${window})`;
}
