import { describeIdentity, findingCredential, findingIdentity, listSome, SUBJECT_CLAIM_FOR, type Rule } from "@trustscope/core";

const BROAD = new Set(["organization", "cluster", "queue", "agent"]);

export const overbroadSubject: Rule = {
  meta: {
    id: "overbroad-subject",
    title: "A cluster-, queue- or organisation-wide credential reaches far more pipelines than use it",
    defaultSeverity: "medium",
    description:
      "A subject wider than one pipeline accepts tokens from every pipeline that can run in that cluster (queue trust reaches the whole cluster, since any pipeline of a cluster can target any of its queues) or organisation. When most of those pipelines never log in as the identity, the trust is wider than its use: each of them is a way in that nobody relies on.",
    tags: ["security", "federation", "blast-radius"],
  },
  *check({ graph }) {
    for (const edge of graph.edges) {
      if (edge.issuerKind !== "buildkite" || !edge.subject || !BROAD.has(edge.subject.kind)) continue;
      const claim = SUBJECT_CLAIM_FOR[edge.subject.kind];
      const appId = edge.identity.appId.toLowerCase();
      const users: string[] = [];
      const unused: string[] = [];
      const unknown: string[] = [];
      for (const p of edge.reach) {
        const use = graph.pipelineUse.get(p.uuid.toLowerCase());
        // A pipeline that names known client IDs logs in as those; otherwise requesting the
        // credential's subject claim is what makes it a user.
        const named = use ? [...use.clientIds].filter((id) => graph.clientIds.has(id)) : [];
        if (!use) unknown.push(p.slug);
        else if (named.includes(appId) || (named.length === 0 && claim !== undefined && use.subjectClaims.has(claim))) users.push(p.slug);
        // Steps uploaded at build time are not in the stored YAML: their use is unknown.
        else if (/pipeline\s+upload/.test(p.stepsYaml ?? "")) unknown.push(p.slug);
        else unused.push(p.slug);
      }
      if (unused.length < 2 || unused.length <= users.length) continue;
      yield {
        message: `Credential '${edge.credential.name}' on ${describeIdentity(edge.identity)} trusts ${edge.subject.label}, reaching ${edge.reach.length} pipelines, but only ${users.length} use it.`,
        identity: findingIdentity(edge.identity),
        credential: findingCredential(edge),
        evidence: [
          `subject kind: ${edge.subject.kind}${claim ? ` (tokens requested with --subject-claim ${claim})` : ""}`,
          `pipelines that use it (name its client ID or request that subject claim): ${users.length ? listSome(users) : "none"}`,
          `pipelines that can mint a matching token but never use it: ${listSome(unused)}`,
          ...(unknown.length ? [`pipelines whose steps are uploaded at build time (use unknown): ${listSome(unknown)}`] : []),
        ],
        remediation:
          users.length > 0
            ? `Replace this credential with one per pipeline that uses it (subject = pipeline UUID) for ${listSome(users)}, and have them request tokens with --subject-claim pipeline_id.`
            : "No pipeline uses this credential: delete it.",
        key: [edge.identity.key, edge.credential.name, edge.credential.subject],
        anchor: edge.anchor,
      };
    }
  },
};
