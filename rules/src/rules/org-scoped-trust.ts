import {
  at,
  describeGrant,
  describeIdentity,
  describeReach,
  findingCredential,
  findingIdentity,
  productionGrants,
  type Rule,
} from "@trustscope/core";

export const orgScopedTrust: Rule = {
  meta: {
    id: "org-scoped-trust",
    title: "Production access trusts every pipeline in the Buildkite organisation",
    defaultSeverity: "critical",
    description:
      "A federated credential whose subject is the Buildkite organisation UUID accepts a token from every pipeline in the organisation, including ones created tomorrow and ones that build pull requests. When its identity can act on a production scope, anyone who can create or edit any pipeline can deploy to production.",
    tags: ["security", "federation", "blast-radius"],
    // Sound on what a Terraform configuration declares: judged again as the configuration will be once applied.
    declared: true,
  },
  *check({ graph, environments, repo }) {
    for (const use of repo?.tokenUses ?? []) {
      if (use.subjectClaim.value !== "organization_id") continue;
      const identity = graph.identities.find((i) => i.appId.toLowerCase() === use.clientId.value?.toLowerCase());
      const prod = identity ? productionGrants(identity, environments).filter((p) => !p.readOnly) : [];
      const queueProd = use.step?.queue ? environments.queueName(use.step.queue) : undefined;
      const production = prod.length > 0 || queueProd !== undefined;
      yield {
        severity: production ? "critical" : "high",
        message: `The step at ${at(use.request)} requests a token whose subject is the organisation UUID: any pipeline in the organisation can get the same token${identity ? `, and ${describeIdentity(identity)} accepts it` : ""}.`,
        location: { file: use.request.file, line: use.request.line },
        ...(identity ? { identity: findingIdentity(identity) } : {}),
        ...(prod[0] ? { scope: prod[0].grant.assignment.scope } : {}),
        evidence: [
          use.subjectClaim.evidence,
          use.clientId.evidence,
          ...(prod[0] ? [`the identity can change production: ${prod[0].reason}`] : []),
          ...(queueProd ? [`the step runs on queue '${use.step!.queue}': ${queueProd}`] : []),
          ...(production ? [] : ["nothing here shows production access; with an inventory (--snapshot or live) trustscope checks the identity's roles"]),
        ],
        remediation:
          "Drop --subject-claim organization_id (the default subject for api://AzureADTokenExchange is the pipeline UUID) and give the identity a federated credential for this pipeline's UUID only.",
        key: [use.request.file, "organization_id", use.clientId.value ?? ""],
      };
    }
    for (const edge of graph.edges) {
      if (edge.issuerKind !== "buildkite" || edge.subject?.kind !== "organization" || edge.subject.caseMismatch) continue;
      const prod = productionGrants(edge.identity, environments);
      if (prod.length === 0) continue;
      const acting = prod.filter((p) => !p.readOnly);
      const shown = acting.length > 0 ? acting : prod;
      const first = shown[0]!;
      yield {
        severity: acting.length > 0 ? "critical" : "high",
        message: `${describeIdentity(edge.identity)} trusts every pipeline in the organisation and can ${acting.length > 0 ? "change" : "read"} production scope ${first.grant.assignment.scope}.`,
        identity: findingIdentity(edge.identity),
        credential: findingCredential(edge),
        scope: first.grant.assignment.scope,
        evidence: [
          `subject ${edge.credential.subject} is the organisation UUID (tokens requested with --subject-claim organization_id)`,
          describeReach(edge),
          ...shown.map((p) => `holds ${describeGrant(p.grant)}: production because ${p.reason}`),
          ...(acting.length === 0 ? ["every production grant is read-only, so severity is high rather than critical"] : []),
        ],
        remediation:
          "Replace the credential with one per deploying pipeline (subject = that pipeline's UUID, the Buildkite default for api://AzureADTokenExchange), or at most the production cluster's UUID, and have the deploy steps request tokens with --subject-claim pipeline_id.",
        key: [edge.identity.key, edge.credential.issuer, edge.credential.subject],
        anchor: edge.anchor,
      };
    }
  },
};
