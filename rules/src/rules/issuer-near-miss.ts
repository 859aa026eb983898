import { BUILDKITE_ISSUER, classifyIssuer, describeIdentity, findingCredential, findingIdentity, type Rule } from "@trustscope/core";
import { literal, templateCredentials } from "../support/templates.ts";

export const issuerNearMiss: Rule = {
  meta: {
    id: "issuer-near-miss",
    title: "A federated credential's issuer is almost, but not exactly, Buildkite's",
    defaultSeverity: "medium",
    description: `Entra compares the issuer exactly and case-sensitively. An issuer such as 'https://agent.buildkite.com/' (trailing slash), 'http://…' or a different case never matches a Buildkite token, so logins fail with AADSTS700211; the broken credential is then often 'fixed' by adding a wider one. The issuer must be exactly ${BUILDKITE_ISSUER}.`,
    tags: ["correctness", "federation"],
  },
  *check({ graph, repo }) {
    for (const t of templateCredentials(repo)) {
      const issuer = literal(t.issuer);
      if (issuer === undefined || classifyIssuer(issuer) !== "buildkite-near-miss") continue;
      yield {
        message: `The ${t.declaredBy} declares federated credential${t.name ? ` '${t.name}'` : ""} with issuer '${issuer}', which never matches Buildkite's '${BUILDKITE_ISSUER}'.`,
        location: { file: t.file, line: t.line },
        evidence: [`issuer ${t.issuer!.raw} in ${t.file}`, "Entra matches issuer, subject and audience exactly (case-sensitive, no normalisation)"],
        remediation: `Set the issuer to exactly ${BUILDKITE_ISSUER}.`,
        key: [t.file, t.name ?? "", issuer],
      };
    }
    for (const edge of graph.edges) {
      if (edge.issuerKind !== "buildkite-near-miss") continue;
      yield {
        message: `Credential '${edge.credential.name}' on ${describeIdentity(edge.identity)} has issuer '${edge.credential.issuer}', which never matches Buildkite's '${BUILDKITE_ISSUER}'.`,
        identity: findingIdentity(edge.identity),
        credential: findingCredential(edge),
        evidence: [
          `issuer is ${JSON.stringify(edge.credential.issuer)}; Buildkite tokens carry iss ${JSON.stringify(BUILDKITE_ISSUER)}`,
          "Entra matches issuer, subject and audience exactly (case-sensitive, no normalisation)",
        ],
        remediation: `Recreate the credential with issuer exactly ${BUILDKITE_ISSUER} (no trailing slash, https, lower case).`,
        key: [edge.identity.key, edge.credential.name, edge.credential.issuer],
        anchor: edge.anchor,
      };
    }
  },
};
