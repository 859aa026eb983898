import {
  describeGrant,
  describeIdentity,
  findingIdentity,
  grantsWith,
  federatedIdentities,
  otherIssuerEvidence,
  ROLE_ASSIGNMENT_WRITE,
  type Rule,
} from "@trustscope/core";
import { accessManagementEvidence, loggedRoleAssignmentWrites } from "../support/access-management.ts";

export const unconstrainedRoleAssignment: Rule = {
  meta: {
    id: "unconstrained-role-assignment",
    title: "A federated identity that manages access can assign any role",
    defaultSeverity: "medium",
    description:
      "Some pipelines do need to assign roles (a landing zone that wires identities to resources). Owner or an unconditioned User Access Administrator lets them assign any role, Owner included, to any principal. Role Based Access Control Administrator with a condition narrows the delegation to the roles and principal types the pipeline really assigns.",
    tags: ["security", "rbac", "least-privilege"],
  },
  *check({ graph, environments, repo }) {
    for (const identity of federatedIdentities(graph)) {
      const created = [...accessManagementEvidence(graph, identity, repo), ...loggedRoleAssignmentWrites(graph, identity)];
      if (created.length === 0) continue;
      for (const grant of grantsWith(identity, ROLE_ASSIGNMENT_WRITE)) {
        if (grant.conditional) continue;
        const prod = environments.touchesProduction(grant.assignment.scope);
        yield {
          severity: prod.production ? "high" : "medium",
          message: `${describeIdentity(identity)} manages access but holds ${describeGrant(grant)} with no condition, so it can assign any role, Owner included.`,
          identity: findingIdentity(identity),
          scope: grant.assignment.scope,
          evidence: [
            `it manages access: ${created[0]}${created.length > 1 ? ` (and ${created.length - 1} more)` : ""}`,
            `role '${grant.role!.roleName}' allows ${ROLE_ASSIGNMENT_WRITE} without a condition`,
            ...(prod.production ? [`the scope touches production: ${prod.reason}; severity raised to high`] : []),
            ...otherIssuerEvidence(identity),
          ],
          remediation:
            "Assign Contributor plus 'Role Based Access Control Administrator' (f58310d9-a9f6-439a-9e8d-f62e7b41a168) with a condition that limits the roles it may assign (ActionMatches roleAssignments/write and @Request[...RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {the roles it assigns}), then remove the Owner assignment.",
          key: [identity.key, grant.assignment.id],
          anchor: identity.anchor,
        };
      }
    }
  },
};
