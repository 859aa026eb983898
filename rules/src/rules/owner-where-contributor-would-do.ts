import {
  describeGrant,
  describeIdentity,
  findingIdentity,
  grantsWith,
  identitiesReachableFromBuildkite,
  ROLE_ASSIGNMENT_WRITE,
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
  },
  *check({ graph, environments, repo }) {
    for (const identity of identitiesReachableFromBuildkite(graph)) {
      // Evidence of need goes to the unconstrained-role-assignment rule instead.
      if (accessManagementEvidence(graph, identity, repo).length > 0) continue;
      for (const grant of grantsWith(identity, ROLE_ASSIGNMENT_WRITE)) {
        if (grant.conditional) continue; // a condition-constrained delegation is the recommended form
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
            prod.production ? `the scope touches production: ${prod.reason}; severity raised to critical` : "the scope is not production",
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
