import {
  activityAt,
  activityOf,
  describeGrant,
  describeIdentity,
  findingIdentity,
  federatedIdentities,
  otherIssuerEvidence,
  listSome,
  privilegedGrants,
  productionGrants,
  type Rule,
} from "@trustscope/core";

export const dormantPrivilegedIdentity: Rule = {
  meta: {
    id: "dormant-privileged-identity",
    title: "A federated identity with privileged access to production did nothing in the Activity Log window",
    defaultSeverity: "high",
    description:
      "An app registration that Buildkite can log in as holds a privileged role (Owner, Contributor, User Access Administrator, or a custom role with * or role-assignment writes) on a production scope, and the Activity Log (collected with --activity) of every subscription that role reaches shows no operation by it in the window. Standing access nobody uses is pure risk: remove the role, or the federated credential if the pipeline is gone.",
    tags: ["security", "rbac", "least-privilege"],
  },
  *check({ graph, environments }) {
    for (const identity of federatedIdentities(graph)) {
      // A managed identity's events may be missing from the log (azure-powershell#18784): its
      // silence is no evidence.
      if (identity.kind !== "application") continue;
      const activity = activityOf(graph.inventory.azure?.activity, identity);
      if (!activity) continue;
      const grants = privilegedGrants(identity);
      const prodGrants = productionGrants(identity, environments).filter((p) => grants.includes(p.grant));
      if (prodGrants.length === 0) continue;
      // Dormant only if the log of every subscription its privileged grants reach was read in full and is empty.
      const logs = grants.map((g) => activityAt(graph, activity, g.assignment.scope));
      if (logs.some((l) => l === undefined)) continue;
      if (activity.operations.length > 0) continue;
      const subscriptions = [...new Set(logs.flatMap((l) => l!.subscriptionIds))].sort();
      const first = prodGrants[0]!;
      yield {
        message: `${describeIdentity(identity)} holds ${describeGrant(first.grant)}${prodGrants.length > 1 ? ` and ${prodGrants.length - 1} more privileged grants on production` : ""}, yet performed no operation in ${activity.days} days.`,
        identity: findingIdentity(identity),
        scope: first.grant.assignment.scope,
        evidence: [
          `no write, delete or action by it in the Activity Log of ${subscriptions.length === 1 ? "subscription" : "subscriptions"} ${listSome(subscriptions, 3)} from ${activity.from} to ${activity.to} (every one read in full)`,
          ...prodGrants.map((g) => `privileged grant ${describeGrant(g.grant)} touches production: ${g.reason}`),
          "an app registration's service principal: its operations are in the log under its object ID",
          ...otherIssuerEvidence(identity),
        ],
        remediation:
          "Remove the role assignments (az role assignment delete --assignee <client ID> --role <role> --scope <scope>). If the pipeline or workflow that used the identity is gone, delete the federated credential as well (az ad app federated-credential delete). If it runs rarely (a yearly disaster-recovery job), give it the role only for the run, through a just-in-time process, rather than standing access.",
        key: [identity.key],
        anchor: identity.anchor,
      };
    }
  },
};
