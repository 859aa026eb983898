import type { Identity, RoleAssignment, TrustGraph } from "@trustscope/core";

/**
 * What shows that an identity manages access: role assignments in the inventory that it
 * created (ARM records `createdBy`). Repository templates that create role assignments add to
 * this once the repository scan exists.
 */
export function accessManagementEvidence(graph: TrustGraph, identity: Identity): RoleAssignment[] {
  const principal = identity.principalId?.toLowerCase();
  if (!principal) return [];
  return (graph.inventory.azure?.roleAssignments ?? []).filter((a) => a.createdBy?.toLowerCase() === principal);
}
