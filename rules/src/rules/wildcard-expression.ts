import { describeIdentity, effectiveClaimKeys, findingCredential, findingIdentity, globMatches, listSome, parseClaimsExpression, type GitHubInventory, type Rule, type TrustEdge } from "@trustscope/core";
import { changeReach, githubFor, grantEvidence, wildcardExpressionBreadth } from "../support/github-trust.ts";

export const wildcardExpression: Rule = {
  meta: {
    id: "wildcard-expression",
    title: "A flexible credential's expression reaches many workloads of an identity with production access",
    defaultSeverity: "critical",
    description:
      "A flexible federated credential whose claims expression matches more than one repository or project, every branch, every service account of a namespace, or more than one Terraform Cloud workspace lets whoever can create or change any of those workloads log in as the identity. When the identity holds a production role, that is production access for all of them. Expressions that stay out of production, or that reach only one workload, are left to wildcard-claims-expression.",
    tags: ["security", "federation", "blast-radius"],
    // Sound on what a Terraform configuration declares: judged again as the configuration will be once applied.
    declared: true,
  },
  *check({ graph, environments }) {
    for (const edge of graph.edges) {
      const { credential, identity, trust } = edge;
      const breadth = wildcardExpressionBreadth(identity, credential, environments);
      const expression = credential.claimsMatchingExpression;
      if (!breadth || !expression) continue;
      const reach = changeReach(identity, environments);
      const change = reach.productionChange.length > 0;
      const first = change ? reach.productionChange[0]! : reach.productionRead[0]!;
      const scope = first.grant.assignment.scope;
      const reaches = [
        ...(breadth.moreThanOneRepository ? ["more than one repository or project"] : []),
        ...(breadth.allBranches ? ["every branch"] : []),
        ...(breadth.allServiceAccounts ? ["every service account of a namespace"] : []),
        ...(breadth.moreThanOneWorkspace ? ["more than one Terraform Cloud workspace"] : []),
      ];
      yield {
        severity: change ? "critical" : "high",
        message: `${describeIdentity(identity)} accepts ${trust.platformName} tokens from ${joinAnd(reaches)} through credential '${credential.name}' (${expression.value}) and can ${change ? "change" : "read"} production scope ${scope}: replace the wildcard with exact subjects.`,
        identity: findingIdentity(identity),
        credential: findingCredential(edge),
        scope,
        evidence: [
          `claims expression: ${expression.value} (language version ${expression.languageVersion})`,
          `it trusts ${trust.label}`,
          ...breadth.reasons,
          ...listedRepositories(edge, githubFor(graph.inventory.github, credential.issuer)),
          ...grantEvidence(reach),
          ...(change ? [] : ["every production grant is read-only, so severity is high rather than critical"]),
        ],
        remediation:
          "Give each workload that deploys its own credential (or an expression that pins the subject with eq): for GitHub a protected environment (repo:OWNER/REPO:environment:production), for Kubernetes one service account, for Terraform Cloud one workspace and run phase. If many workloads must share the identity, keep its roles off production.",
        key: [identity.key, credential.issuer, expression.value],
        anchor: edge.anchor,
      };
    }
  },
};

/**
 * The repositories GitHub listed whose workflows the expression accepts (on their default branch,
 * or their pull requests): what "more than one repository" is, as far as the listing shows. A
 * repository whose subjects GitHub builds from another template (or in the immutable form) is not
 * counted; one whose template was not read is counted apart, as accepting under GitHub's default.
 */
function listedRepositories(edge: TrustEdge, github: GitHubInventory | undefined): string[] {
  if (edge.trust.platform !== "github" || !github || github.repositories.length === 0) return [];
  const clauses = parseClaimsExpression(edge.credential.claimsMatchingExpression?.value ?? "");
  const sub = clauses?.filter((c) => c.claim === "sub");
  if (!sub || sub.length === 0) return [];
  const accepts = (subject: string) => sub.every((c) => (c.operator === "eq" ? c.value === subject : globMatches(c.value, subject)));
  const known: string[] = [];
  const assumed: string[] = [];
  for (const r of github.repositories) {
    const org = github.organizations.find((o) => o.login.toLowerCase() === r.owner.login.toLowerCase());
    const keys = effectiveClaimKeys(r, org);
    const isDefault = keys !== undefined && keys.length === 2 && keys[0] === "repo" && keys[1] === "context";
    if ((keys !== undefined && !isDefault) || r.oidcSubject?.useImmutableSubject === true) continue;
    if (!accepts(`repo:${r.fullName}:ref:refs/heads/${r.defaultBranch ?? "main"}`) && !accepts(`repo:${r.fullName}:pull_request`)) continue;
    (keys === undefined ? assumed : known).push(r.fullName);
  }
  const lines: string[] = [];
  if (known.length > 0) lines.push(`of the ${github.repositories.length} repositories GitHub listed, ${known.length} ${known.length === 1 ? "has" : "have"} workflows it accepts (on their default branch or pull requests): ${listSome(known, 8)}`);
  if (assumed.length > 0) lines.push(`${assumed.length} more listed ${assumed.length === 1 ? "repository would" : "repositories would"} (their subject templates were not read; GitHub's default assumed): ${listSome(assumed, 8)}`);
  return lines;
}

/** `a, b and c`. */
function joinAnd(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)!}`;
}
