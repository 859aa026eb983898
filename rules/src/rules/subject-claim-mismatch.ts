import {
  at,
  describeIdentity,
  findingIdentity,
  listSome,
  pipelinesForRepo,
  SUBJECT_CLAIM_FOR,
  TOKEN_EXCHANGE_AUDIENCES,
  type BuildkitePipeline,
  type Rule,
} from "@trustscope/core";

const KIND_FOR_CLAIM = Object.fromEntries(Object.entries(SUBJECT_CLAIM_FOR).map(([kind, claim]) => [claim, kind]));

export const subjectClaimMismatch: Rule = {
  meta: {
    id: "subject-claim-mismatch",
    title: "The token a pipeline requests matches no federated credential of the identity it logs in as",
    defaultSeverity: "medium",
    description:
      "Entra accepts a Buildkite token only when a federated credential of the identity has exactly the token's issuer, subject and audience. The subject is decided by the step's --subject-claim (or BUILDKITE_OIDC_TOKEN_SUBJECT_CLAIM, default the pipeline UUID). When no credential of the identity in AZURE_CLIENT_ID/ARM_CLIENT_ID matches, the login fails with AADSTS70021 — and the usual 'fix' under pressure is a wider credential.",
    tags: ["correctness", "federation", "repository"],
  },
  *check({ repo, graph }) {
    if (!repo || !graph.buildkite) return;
    const candidates: BuildkitePipeline[] = pipelinesForRepo(graph.inventory.buildkite?.pipelines ?? [], repo.remoteUrl);
    const org = graph.inventory.buildkite!.organization;
    for (const use of repo.tokenUses) {
      const clientId = use.clientId.value?.toLowerCase();
      const claim = use.subjectClaim.value;
      if (!clientId || !claim) continue;
      const identity = graph.identities.find((i) => i.appId.toLowerCase() === clientId);
      if (!identity) continue;
      const audience = use.audience.value;
      // Without --subject-claim, a non-exchange audience gets the compound subject: that is
      // unexpected-audience's finding, not a subject question.
      if (!use.request.subjectClaim && !(audience ?? "").startsWith("api://AzureADTokenExchange")) continue;
      const fics = identity.credentials.filter((e) => e.issuerKind === "buildkite");
      // Subject and audience must match on the same credential.
      const withAudience = fics.filter((e) => audience !== undefined && e.credential.audiences.includes(audience));
      const audienceOk = withAudience.length > 0;
      let matches: boolean;
      let compared: string;
      if (candidates.length > 0) {
        const expected = new Set<string>();
        for (const p of candidates) {
          if (claim === "pipeline_id") expected.add(p.uuid);
          else if (claim === "cluster_id" && p.clusterUuid) expected.add(p.clusterUuid);
          else if (claim === "organization_id") expected.add(org.uuid);
          else if (claim === "queue_id" && use.step?.queue) {
            const q = graph.inventory.buildkite!.clusters.find((c) => c.uuid === p.clusterUuid)?.queues.find((x) => x.key === use.step!.queue);
            if (q) expected.add(q.uuid);
          }
        }
        // build_id/job_id change every build; queue_id without a known queue cannot be computed.
        if (expected.size === 0 && !["build_id", "job_id"].includes(claim)) continue;
        matches = withAudience.some((e) => expected.has(e.credential.subject));
        compared = `the token's subject would be ${expected.size ? listSome([...expected]) : `a ${claim.replace(/_id$/, "")} UUID that changes every build`} (pipelines ${listSome(candidates.map((p) => p.slug))} build this repository)`;
      } else {
        // Without knowing which pipeline runs the file, compare kinds: a cluster_id request needs a cluster credential.
        const kind = KIND_FOR_CLAIM[claim];
        matches = kind !== undefined && withAudience.some((e) => e.subject?.kind === kind);
        compared = `the token's subject would be a ${claim.replace(/_id$/, "")} UUID`;
      }
      if (matches && audienceOk) continue;
      yield {
        message: `The step at ${at(use.request)} requests a token (--subject-claim ${claim}${audience ? `, --audience ${audience}` : ""}) that no federated credential of ${describeIdentity(identity)} accepts; the login fails with AADSTS70021.`,
        location: { file: use.request.file, line: use.request.line },
        identity: findingIdentity(identity),
        ...(candidates[0] ? { pipeline: { uuid: candidates[0].uuid, slug: candidates[0].slug } } : {}),
        evidence: [
          use.subjectClaim.evidence,
          use.clientId.evidence,
          compared,
          ...(audienceOk ? [] : [`no credential has audience ${audience ?? "(Buildkite's default, not a token-exchange audience)"}`]),
          `credentials compared: ${fics.length ? fics.map((e) => `'${e.credential.name}' subject ${e.credential.subject} audiences ${JSON.stringify(e.credential.audiences)}`).join("; ") : "none with issuer https://agent.buildkite.com"}`,
        ],
        remediation: `Either request the subject the identity trusts (change --subject-claim / BUILDKITE_OIDC_TOKEN_SUBJECT_CLAIM), or add a federated credential with issuer https://agent.buildkite.com, the subject above and audience ${TOKEN_EXCHANGE_AUDIENCES[graph.inventory.cloud]} — scoped to the one pipeline that needs it, not wider.`,
        key: [use.request.file, claim, clientId, audience ?? ""],
      };
    }
  },
};
