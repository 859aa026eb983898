import { at, describeIdentity, findingIdentity, listSome, pipelinesForRepo, productionGrants, type Rule } from "@trustscope/core";

export const unguardedTokenRequest: Rule = {
  meta: {
    id: "unguarded-token-request",
    title: "A pipeline that builds pull requests requests an Azure token with no branch condition or block step",
    defaultSeverity: "medium",
    description:
      "In a pipeline that builds pull requests, every step runs for every pull request unless a branch filter, an `if` condition or a block step stops it. A step that requests an Azure token without one logs in to Azure from code nobody has reviewed yet. (A fork's pull request can change the steps it uploads, so for fork builds see fork-builds-on-trusted-pipeline.)",
    tags: ["security", "pull-requests", "repository"],
  },
  *check({ repo, graph, environments }) {
    if (!repo) return;
    const prPipelines = pipelinesForRepo(graph.inventory.buildkite?.pipelines ?? [], repo.remoteUrl).filter((p) => p.repository?.settings?.buildPullRequests);
    if (prPipelines.length === 0) return;
    for (const use of repo.tokenUses) {
      if (!use.step || use.guards.length > 0) continue;
      if (!(use.audience.value ?? "").startsWith("api://AzureADTokenExchange")) continue;
      const identity = graph.identities.find((i) => i.appId.toLowerCase() === use.clientId.value?.toLowerCase());
      const prod = identity ? productionGrants(identity, environments).filter((g) => !g.readOnly) : [];
      yield {
        severity: prod.length > 0 ? "high" : "medium",
        message: `The step '${use.step.label ?? use.step.key ?? `at line ${use.step.line}`}' requests an Azure token at ${at(use.request)} with no branch condition or block step, and ${listSome(prPipelines.map((p) => p.slug))} build${prPipelines.length === 1 ? "s" : ""} pull requests.`,
        location: { file: use.request.file, line: use.request.line },
        ...(identity ? { identity: findingIdentity(identity) } : {}),
        pipeline: { uuid: prPipelines[0]!.uuid, slug: prPipelines[0]!.slug },
        evidence: [
          `pipelines building this repository with buildPullRequests: true: ${listSome(prPipelines.map((p) => p.slug))}`,
          `step at ${at(use.step)} has no branches, no if, and no block step before it`,
          use.audience.evidence,
          ...(identity ? [`logs in as ${describeIdentity(identity)}`] : []),
          ...(prod[0] ? [`that identity can change production: ${prod[0].reason}; severity raised to high`] : []),
        ],
        remediation:
          "Add `branches: main` (or `if: build.branch == pipeline.default_branch && build.pull_request.id == null`) to the step, or put a block step before it; better, move deployment to a pipeline that does not build pull requests.",
        key: [use.request.file, use.step.key ?? use.step.label ?? "", "unguarded"],
      };
    }
  },
};
