/**
 * Example custom rule: production subscriptions may only be reached from pipelines in the
 * `Production` cluster. Copy it into your own rule pack and list the pack in trustscope.yaml:
 *
 *   rules: ["./policy/rules/*.js"]
 *
 * It uses only `@trustscope/core`'s public API: the trust graph, the query helpers and the
 * environment classifier the engine hands every rule.
 */
import { describeGrant, describeIdentity, findingIdentity, pipelinesReaching, productionGrants, type Rule } from "@trustscope/core";

/** Build the rule for a cluster name (the default export uses `Production`). */
export function productionOnlyFromCluster(cluster: string): Rule {
  return {
    meta: {
      id: "production-only-from-production-cluster",
      title: `Production is reachable from a pipeline outside the '${cluster}' cluster`,
      defaultSeverity: "high",
      description: `Production subscriptions may only be reached from pipelines in the '${cluster}' Buildkite cluster, whose agents and queues are locked down. A pipeline elsewhere that can log in as an identity with a role on production bypasses that boundary.`,
      tags: ["custom", "production", "buildkite"],
      docs: `# production-only-from-production-cluster

Production subscriptions may only be reached from pipelines in the \`${cluster}\` Buildkite
cluster. This rule fires for every pipeline outside that cluster that can obtain a token one of
an identity's federated credentials accepts, when that identity holds a role whose scope is (or
contains) a production scope.

## Failing example

The \`web-deploy\` pipeline runs in the \`Non-production\` cluster, and the identity it logs in as
(through a credential trusting the pipeline's UUID) holds Contributor on \`Contoso-Prod\`.

## Passing example

The pipeline that deploys to \`Contoso-Prod\` is in the \`${cluster}\` cluster; pipelines in other
clusters log in as identities that only hold roles on non-production subscriptions.

## Fix

Move the pipeline into the \`${cluster}\` cluster, or give it its own identity without
production roles.
`,
    },
    *check({ graph, environments }) {
      const clusterName = (uuid: string | null) => graph.buildkite?.clusterName(uuid);
      for (const identity of graph.identities) {
        const grants = productionGrants(identity, environments);
        if (grants.length === 0) continue;
        for (const { pipeline, edge } of pipelinesReaching(identity)) {
          const inCluster = clusterName(pipeline.clusterUuid);
          if (inCluster === cluster) continue;
          for (const { grant, reason } of grants) {
            yield {
              message: `pipeline '${pipeline.slug}' (${inCluster ? `cluster '${inCluster}'` : "no cluster"}) can reach production as ${describeIdentity(identity)}, which holds ${describeGrant(grant)}`,
              identity: findingIdentity(identity),
              pipeline: { uuid: pipeline.uuid, slug: pipeline.slug },
              scope: grant.assignment.scope,
              evidence: [
                `pipeline '${pipeline.slug}' is in ${inCluster ? `cluster '${inCluster}'` : "no cluster"}, not '${cluster}'`,
                `credential '${edge.credential.name}' trusts subject '${edge.credential.subject}'`,
                `production because ${reason}`,
              ],
              remediation: `Run deployments to production from a pipeline in the '${cluster}' cluster, or log this pipeline in as an identity without production roles.`,
              key: [pipeline.uuid, identity.appId, grant.assignment.id],
              anchor: edge.anchor,
            };
          }
        }
      }
    },
  };
}

export default productionOnlyFromCluster("Production");
