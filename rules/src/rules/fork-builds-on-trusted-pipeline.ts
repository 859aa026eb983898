import {
  describeIdentity,
  findingCredential,
  findingIdentity,
  otherIssuerEvidence,
  productionGrants,
  type Rule,
} from "@trustscope/core";

const WIDTH: Record<string, string> = {
  organization: "every pipeline in the organisation",
  cluster: "every pipeline in the cluster",
  queue: "every pipeline in the queue's cluster",
  agent: "every pipeline that runs on the agent",
  compound: "one commit of this pipeline",
};

export const forkBuildsOnTrustedPipeline: Rule = {
  meta: {
    id: "fork-builds-on-trusted-pipeline",
    title: "A pipeline that builds pull requests from forks can obtain a trusted Azure token",
    defaultSeverity: "high",
    description:
      "Azure matches a federated credential on the token's subject only: it cannot tell a main-branch build from a build of a stranger's fork. A pipeline that builds pull requests from third-party forks runs the fork's pipeline steps, so anyone who can open a pull request can request an OIDC token and log in as every identity that trusts the pipeline, its cluster, a queue of its cluster, or the organisation.",
    tags: ["security", "federation", "pull-requests"],
    // Sound on what a Terraform configuration declares: judged again as the configuration will be once applied.
    declared: true,
  },
  *check({ graph, environments }) {
    for (const pipeline of graph.inventory.buildkite?.pipelines ?? []) {
      const s = pipeline.repository?.settings;
      // Fork builds only matter when pull-request builds are on at all.
      if (!s?.buildPullRequests || !s.buildPullRequestForks) continue;
      for (const edge of graph.edgesByPipeline.get(pipeline.uuid.toLowerCase()) ?? []) {
        const prod = productionGrants(edge.identity, environments).filter((p) => !p.readOnly);
        const via = edge.subject?.kind === "pipeline" ? "the pipeline's own UUID" : `${edge.subject?.label}, a subject that covers ${WIDTH[edge.subject?.kind ?? ""] ?? "more than this pipeline"}`;
        yield {
          severity: prod.length > 0 ? "critical" : "high",
          message: `Pull requests from forks of ${pipeline.repository?.url ?? pipeline.slug} build on pipeline '${pipeline.slug}', which can log in as ${describeIdentity(edge.identity)}.`,
          identity: findingIdentity(edge.identity),
          credential: findingCredential(edge),
          pipeline: { uuid: pipeline.uuid, slug: pipeline.slug },
          ...(prod[0] ? { scope: prod[0].grant.assignment.scope } : {}),
          evidence: [
            `pipeline '${pipeline.slug}' builds pull requests (buildPullRequests: true) from third-party forks (buildPullRequestForks: true)`,
            `credential '${edge.credential.name}' trusts ${via}, so the pipeline's builds can mint a matching token`,
            ...(pipeline.visibility === "PUBLIC" ? ["the pipeline is public"] : []),
            ...(s.prefixPullRequestForkBranchNames ? [] : ["fork branch names are not prefixed, so a fork's 'main' branch looks like yours in build.branch conditions"]),
            ...(prod.length > 0
              ? [`the identity can change production: ${prod[0]!.reason}; severity raised to critical`]
              : ["the identity holds no write access to a production scope"]),
            ...otherIssuerEvidence(edge.identity),
          ],
          remediation:
            "Turn off 'Allow builds from third-party forked repositories' for this pipeline, or move Azure deployment to a separate pipeline that does not build pull requests and trust only that pipeline's UUID. A block or branch condition is no fix: a fork's pull request can change the steps it uploads, and Azure cannot tell its token from yours.",
          key: [pipeline.uuid, edge.identity.key, edge.credential.subject],
          anchor: edge.anchor,
        };
      }
    }
  },
};
