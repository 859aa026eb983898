import { describeIdentity, findingIdentity, listSome, pipelinesByEnvironment, type Rule } from "@trustscope/core";

export const sharedIdentityAcrossEnvironments: Rule = {
  meta: {
    id: "shared-identity-across-environments",
    title: "One identity is trusted from both production and non-production pipelines",
    defaultSeverity: "high",
    description:
      "When the same app registration or managed identity can be used from a non-production pipeline and a production one, the weaker controls of non-production (more people can build, pull requests, experiments) decide who can reach everything the identity can reach, production included. Use one identity per environment.",
    tags: ["security", "federation", "environments"],
  },
  *check({ graph, environments }) {
    for (const identity of graph.identities) {
      const { production, other } = pipelinesByEnvironment(identity, environments);
      if (production.length === 0 || other.length === 0) continue;
      yield {
        message: `${describeIdentity(identity)} can be used from ${production.length} production and ${other.length} non-production pipeline(s).`,
        identity: findingIdentity(identity),
        pipeline: { uuid: other[0]!.pipeline.uuid, slug: other[0]!.pipeline.slug },
        evidence: [
          `production: ${listSome(production.map((p) => p.pipeline.slug))} (${production[0]!.verdict.reason})`,
          `non-production: ${listSome(other.map((p) => p.pipeline.slug))}`,
          ...[...new Set([...production, ...other].map((p) => p.edge.credential.name))].map((n) => {
            const e = identity.credentials.find((c) => c.credential.name === n)!;
            return `credential '${n}' trusts ${e.subject?.label ?? e.credential.subject}`;
          }),
        ],
        remediation:
          "Create a separate app registration or managed identity for non-production, move the non-production credentials to it, and give it roles on non-production scopes only.",
        key: [identity.key],
        anchor: identity.anchor,
      };
    }
  },
};
