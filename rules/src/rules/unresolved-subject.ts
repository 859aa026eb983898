import { describeIdentity, findingCredential, findingIdentity, type Rule } from "@trustscope/core";

export const unresolvedSubject: Rule = {
  meta: {
    id: "unresolved-subject",
    title: "A Buildkite credential's subject names nothing in the organisation",
    defaultSeverity: "low",
    description:
      "A federated credential's subject must equal the token's sub claim exactly: a pipeline, cluster, queue, agent or organisation UUID. A subject that matches none of them is stale (the pipeline was deleted), mistyped, or a one-time build or job UUID; one that matches only when case is ignored never works, because Entra compares case-sensitively (AADSTS700213). Dead credentials count against the limit of 20 per identity and hide which trust is real.",
    tags: ["hygiene", "federation"],
  },
  *check({ graph }) {
    for (const edge of graph.edges) {
      const s = edge.subject;
      // Nothing to resolve without the Buildkite inventory (say nothing rather than guess), or for
      // a credential that matches by expression (wildcard-claims-expression judges those).
      if (edge.issuerKind !== "buildkite" || !s) continue;
      if (s.kind === "unresolved") {
        yield {
          message: `Credential '${edge.credential.name}' on ${describeIdentity(edge.identity)} trusts subject '${edge.credential.subject}', which is no pipeline, cluster, queue, agent or organisation in '${graph.inventory.buildkite!.organization.slug}'.`,
          identity: findingIdentity(edge.identity),
          credential: findingCredential(edge),
          evidence: [
            edge.credential.subject === ""
              ? "the subject is empty: Graph returns no subject for a credential that matches by claimsMatchingExpression, so if its expression could not be read the coverage gaps say so"
              : edge.credential.subject !== edge.credential.subject.trim()
              ? "the subject has leading or trailing whitespace, which Entra compares like any other character"
              : s.isUuid
                ? "the subject is a UUID that matches nothing collected: a deleted pipeline, a typo, or a single build or job UUID (one-time use)"
                : "the subject is neither a UUID nor Buildkite's compound organization:…:pipeline:… form",
          ],
          remediation: "Delete the credential if it is stale; otherwise correct the subject to the pipeline UUID that deploys (Pipeline settings → UUID).",
          key: [edge.identity.key, edge.credential.name, edge.credential.subject],
          anchor: edge.anchor,
        };
      } else if (s.caseMismatch) {
        yield {
          severity: "medium",
          message: `Credential '${edge.credential.name}' on ${describeIdentity(edge.identity)} trusts '${edge.credential.subject}', which matches ${s.label} only when case is ignored; Entra compares exactly, so logins fail.`,
          identity: findingIdentity(edge.identity),
          credential: findingCredential(edge),
          evidence: [`Buildkite issues ${s.uuid}; the credential says ${edge.credential.subject}`, "a case mismatch fails with AADSTS700213 / AADSTS7002138"],
          remediation: `Recreate the credential with subject ${s.uuid} exactly.`,
          key: [edge.identity.key, edge.credential.name, edge.credential.subject],
          anchor: edge.anchor,
        };
      }
    }
  },
};
