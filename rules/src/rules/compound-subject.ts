import { classifyIssuer, describeIdentity, findingCredential, findingIdentity, parseCompoundSubject, type Rule } from "@trustscope/core";
import { literal, templateCredentials } from "../support/templates.ts";

export const compoundSubject: Rule = {
  meta: {
    id: "compound-subject",
    title: "A Buildkite credential trusts a compound subject that matches one commit at most",
    defaultSeverity: "low",
    description:
      "Buildkite's compound subject organization:ORG:pipeline:SLUG:ref:REF:commit:SHA:step:STEP contains the commit and step, and Azure federated credentials match exactly with no wildcards. Such a credential works for one commit and step (or, with a '*', never), so it is dead or one-shot; it usually means the pipeline-UUID subject was intended.",
    tags: ["hygiene", "federation"],
  },
  *check({ graph, repo }) {
    for (const t of templateCredentials(repo)) {
      const subject = literal(t.subject);
      const issuer = literal(t.issuer);
      const c = subject !== undefined ? parseCompoundSubject(subject) : undefined;
      if (!c || issuer === undefined || classifyIssuer(issuer) !== "buildkite") continue;
      yield {
        message: `The ${t.declaredBy} declares a Buildkite federated credential whose subject is the compound form for pipeline '${c.pipeline}'; it ${c.hasWildcard ? "never matches (Azure has no wildcards)" : "matches one commit and step at most"}.`,
        location: { file: t.file, line: t.line },
        evidence: [`subject ${t.subject!.raw} in ${t.file}`],
        remediation: "Use the pipeline's UUID as the subject and request tokens with --audience api://AzureADTokenExchange.",
        key: [t.file, t.name ?? "", subject!],
      };
    }
    for (const edge of graph.edges) {
      const c = edge.subject?.compound;
      if (edge.issuerKind !== "buildkite" || !c) continue;
      yield {
        message: c.hasWildcard
          ? `Credential '${edge.credential.name}' on ${describeIdentity(edge.identity)} uses a '*' in its subject; Azure has no wildcards, so it never matches.`
          : c.commit !== undefined
            ? `Credential '${edge.credential.name}' on ${describeIdentity(edge.identity)} trusts a compound subject that matches a single commit and step of pipeline '${c.pipeline}'.`
            : `Credential '${edge.credential.name}' on ${describeIdentity(edge.identity)} trusts a truncated compound subject for pipeline '${c.pipeline}', which no Buildkite token carries.`,
        identity: findingIdentity(edge.identity),
        credential: findingCredential(edge),
        ...(edge.reach[0] ? { pipeline: { uuid: edge.reach[0].uuid, slug: edge.reach[0].slug } } : {}),
        evidence: [
          `subject ${edge.credential.subject} is Buildkite's compound form (organisation '${c.organization}', pipeline '${c.pipeline}'${c.commit !== undefined ? `, commit '${c.commit}'` : ""})`,
          c.hasWildcard
            ? "'*' is compared literally by Entra"
            : c.commit !== undefined
              ? "every new commit produces a different subject"
              : "Buildkite's compound subject always ends with :ref:…:commit:…:step:…",
        ],
        remediation:
          "Replace it with a credential whose subject is the pipeline's UUID, and request tokens with --audience api://AzureADTokenExchange (whose default subject is the pipeline UUID).",
        key: [edge.identity.key, edge.credential.name, edge.credential.subject],
        anchor: edge.anchor,
      };
    }
  },
};
