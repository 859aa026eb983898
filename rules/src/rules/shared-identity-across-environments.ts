import { describeIdentity, findingIdentity, listSome, pipelinesByEnvironment, workloadsByEnvironment, type Rule } from "@trustscope/core";

export const sharedIdentityAcrossEnvironments: Rule = {
  meta: {
    id: "shared-identity-across-environments",
    title: "One identity is trusted from both production and non-production workloads",
    defaultSeverity: "high",
    description:
      "When the same app registration or managed identity can be used from a non-production pipeline (or GitHub pull request, development environment, test namespace) and a production one, the weaker controls of non-production (more people can build, pull requests, experiments) decide who can reach everything the identity can reach, production included. Every issuer counts: a GitHub Actions or Kubernetes credential beside the Buildkite ones is part of the same identity. Use one identity per environment.",
    tags: ["security", "federation", "environments"],
  },
  *check({ graph, environments }) {
    for (const identity of graph.identities) {
      const pipelines = pipelinesByEnvironment(identity, environments);
      // Other issuers' workloads count when their environment is known (a `main` branch says neither).
      const workloads = workloadsByEnvironment(identity, environments);
      const production = [...pipelines.production.map((p) => p.pipeline.slug), ...workloads.production.map((w) => `${w.edge.trust.platformName}: ${w.edge.trust.label}`)];
      const other = [...pipelines.other.map((p) => p.pipeline.slug), ...workloads.nonProduction.map((w) => `${w.edge.trust.platformName}: ${w.edge.trust.label}`)];
      if (production.length === 0 || other.length === 0) continue;
      const reason = pipelines.production[0]?.verdict.reason ?? workloads.production[0]!.verdict.reason;
      const credentialNames = new Set([...pipelines.production, ...pipelines.other].map((p) => p.edge.credential.name));
      const firstOther = pipelines.other[0]?.pipeline;
      yield {
        message: `${describeIdentity(identity)} can be used from ${production.length} production and ${other.length} non-production ${pipelines.production.length + pipelines.other.length === production.length + other.length ? "pipeline(s)" : "workload(s)"}.`,
        identity: findingIdentity(identity),
        ...(firstOther ? { pipeline: { uuid: firstOther.uuid, slug: firstOther.slug } } : {}),
        evidence: [
          `production: ${listSome(production)} (${reason})`,
          `non-production: ${listSome(other)}${workloads.nonProduction[0] && !pipelines.other[0] ? ` (${workloads.nonProduction[0].verdict.nonProduction})` : ""}`,
          ...[...credentialNames].map((n) => {
            const e = identity.credentials.find((c) => c.credential.name === n)!;
            return `credential '${n}' trusts ${e.subject?.label ?? e.credential.subject}`;
          }),
          ...[...workloads.production, ...workloads.nonProduction].map((w) => `credential '${w.edge.credential.name}' trusts ${w.edge.trust.label}`),
        ],
        remediation:
          "Create a separate app registration or managed identity for non-production, move the non-production credentials to it, and give it roles on non-production scopes only.",
        key: [identity.key],
        anchor: identity.anchor,
      };
    }
  },
};
