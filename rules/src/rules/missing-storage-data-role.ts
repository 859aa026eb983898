import {
  BLOB_READ,
  BLOB_WRITE,
  describeGrant,
  describeIdentity,
  findingIdentity,
  grantsAllowing,
  federatedIdentities,
  otherIssuerEvidence,
  roleAllows,
  STORAGE_ACCOUNT_WRITE,
  type Rule,
} from "@trustscope/core";

export const missingStorageDataRole: Rule = {
  meta: {
    id: "missing-storage-data-role",
    title: "A federated identity manages a storage account with shared keys off but cannot read or write its blobs",
    defaultSeverity: "medium",
    description:
      "With allowSharedKeyAccess set to false, every blob request must be authorised by Microsoft Entra ID. Owner and Contributor manage the account but grant no data actions, so the pipeline's uploads fail with AuthorizationPermissionMismatch, and the usual 'fix' is to turn shared keys back on. A Storage Blob Data role at the account or above it is what the pipeline needs.",
    tags: ["security", "rbac", "storage"],
    // Sound on what a Terraform configuration declares: judged again as the configuration will be once applied.
    declared: true,
  },
  *check({ graph }) {
    for (const account of graph.inventory.azure?.storageAccounts ?? []) {
      // Absent or null means shared keys are allowed (the ARM default).
      if (account.allowSharedKeyAccess !== false) continue;
      for (const identity of federatedIdentities(graph)) {
        const manage = grantsAllowing(graph, identity, STORAGE_ACCOUNT_WRITE, account.id);
        if (manage.length === 0) continue;
        // A data role at the account, above it, or on one of its containers gives Entra access.
        const data = identity.grants.filter(
          (g) =>
            g.role !== undefined &&
            graph.rbac.scopes.overlaps(g.assignment.scope, account.id) &&
            (roleAllows(g.role, BLOB_READ, "data") || roleAllows(g.role, BLOB_WRITE, "data")),
        );
        if (data.length > 0) continue;
        yield {
          message: `${describeIdentity(identity)} manages storage account '${account.name}', which accepts only Entra ID authorisation, but holds no Storage Blob Data role covering it.`,
          identity: findingIdentity(identity),
          scope: account.id,
          evidence: [
            `storage account '${account.name}' has allowSharedKeyAccess: false`,
            `the identity holds ${describeGrant(manage[0]!)}, which allows ${STORAGE_ACCOUNT_WRITE} but no blob data actions`,
            `no assignment at the account, above it or on its containers allows ${BLOB_READ} or ${BLOB_WRITE}`,
            ...otherIssuerEvidence(identity),
          ],
          remediation: `Assign 'Storage Blob Data Contributor' (ba92f5b4-2d11-453d-a403-e96b0029c9fe) to the identity at ${account.id} (or on the containers it writes), and keep shared-key access disabled.`,
          key: [identity.key, account.id],
          anchor: identity.anchor,
        };
      }
    }
  },
};
