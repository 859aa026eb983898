import {
  classifyIssuer,
  credentialAnchor,
  credentialsOf,
  describeGrant,
  describeIdentity,
  findingCredential,
  findingIdentity,
  flexibleIssuerPlatform,
  listSome,
  productionGrants,
  readClaimsExpression,
  type Identity,
  type Rule,
} from "@trustscope/core";
import { wildcardExpressionBreadth } from "../support/github-trust.ts";

export const wildcardClaimsExpression: Rule = {
  meta: {
    id: "wildcard-claims-expression",
    title: "A flexible federated credential's expression accepts more than one workload",
    defaultSeverity: "critical",
    description:
      "A flexible federated credential matches tokens by claimsMatchingExpression instead of one exact subject: `claims['sub'] matches 'repo:contoso/*'` accepts every repository of the owner, `system:serviceaccount:ns:*` every service account of the namespace. Like a Buildkite organisation-wide subject, it lets anyone who can create or change one of those workloads log in as the identity; when the identity can change production, that is the same blast radius as org-scoped-trust. An expression with Buildkite's issuer is reported too: Entra does not accept expressions for it, so it matches no token. Expressions that reach more than one repository, branch, service account or workspace of an identity with a production role are reported by wildcard-expression instead.",
    tags: ["security", "federation", "blast-radius"],
  },
  *check({ graph, environments }) {
    // Every identity, not only the trust graph's Buildkite edges: expressions come from other issuers.
    for (const identity of graph.identities) {
      for (const [index, credential] of credentialsOf(identity).entries()) {
        const expression = credential.claimsMatchingExpression;
        if (!expression) continue;
        // wildcard-expression reports wide expressions on identities with production access.
        if (wildcardExpressionBreadth(identity, credential, environments)) continue;
        const who = describeIdentity(identity);
        const about = {
          identity: findingIdentity(identity),
          credential: findingCredential({ credential }),
          key: [identity.key, credential.issuer, expression.value],
          anchor: credentialAnchor(identity, index),
        };
        if (classifyIssuer(credential.issuer) !== "other") {
          yield {
            ...about,
            severity: "low",
            message: `Credential '${credential.name}' on ${who} matches Buildkite tokens by expression (${expression.value}), which Entra does not accept for Buildkite's issuer: it matches no token.`,
            evidence: [
              `issuer ${credential.issuer} is Buildkite's${classifyIssuer(credential.issuer) === "buildkite-near-miss" ? " (nearly: it does not even equal https://agent.buildkite.com)" : ""}`,
              "Entra accepts claimsMatchingExpression only for GitHub, GitLab and Terraform Cloud issuers; Buildkite tokens need an exact subject (a pipeline, cluster, queue or organisation UUID)",
            ],
            remediation: "Delete the credential, or replace it with one whose subject is the UUID of the one pipeline that deploys (Buildkite's default subject for api://AzureADTokenExchange).",
          };
          continue;
        }
        const reading = readClaimsExpression(expression);
        if (!reading.wide) continue;
        const platform = flexibleIssuerPlatform(credential.issuer);
        const prod = productionGrants(identity, environments);
        const acting = prod.filter((p) => !p.readOnly);
        const shown = acting.length > 0 ? acting : prod;
        const first = shown[0];
        yield {
          ...about,
          severity: acting.length > 0 ? "critical" : prod.length > 0 ? "high" : "medium",
          message: `${who} accepts tokens from more than one ${platform ? `${platform} ` : ""}workload through credential '${credential.name}' (${expression.value})${first ? ` and can ${acting.length > 0 ? "change" : "read"} production scope ${first.grant.assignment.scope}` : ""}.`,
          ...(first ? { scope: first.grant.assignment.scope } : {}),
          evidence: [
            `claims expression: ${expression.value} (language version ${expression.languageVersion})`,
            ...reading.matches,
            issuerEvidence(identity, credential.issuer, platform),
            ...shown.map((p) => `holds ${describeGrant(p.grant)}: production because ${p.reason}`),
            ...(acting.length === 0 && prod.length > 0 ? ["every production grant is read-only, so severity is high rather than critical"] : []),
            ...(prod.length === 0 ? [accessEvidence(identity)] : []),
          ],
          remediation:
            "Replace the wildcard with the exact subjects that need this identity: one credential per repository, branch or environment (for GitHub prefer an environment with protection rules, e.g. claims['sub'] eq 'repo:contoso/app:environment:production'), or an expression that pins the subject with eq. Keep wildcard trust away from identities that can change production.",
        };
      }
    }
  },
};

function issuerEvidence(identity: Identity, issuer: string, platform: string | undefined): string {
  if (platform) return `issuer ${issuer} is ${platform}'s, for which Entra accepts expressions`;
  const where = identity.kind === "managedIdentity" ? "; ARM returns expressions on user-assigned identities from API version 2025-01-31-preview" : "";
  return `issuer ${issuer} is none of GitHub, GitLab or Terraform Cloud, the issuers Entra documents expressions for${where}; judged as if its tokens match, since nothing shows they cannot`;
}

/** Why a wide credential on an identity without production access is still worth a look. */
function accessEvidence(identity: Identity): string {
  if (identity.kind === "application" && identity.principalId === undefined) {
    return "the app registration's service principal is not in the inventory, so its role assignments are unknown; severity is medium";
  }
  if (identity.grants.length === 0) return "the identity holds no Azure role assignment in the inventory; severity is medium (it may hold other API permissions)";
  return `no role of the identity touches production (${listSome(identity.grants.map(describeGrant), 3)}); severity is medium`;
}
