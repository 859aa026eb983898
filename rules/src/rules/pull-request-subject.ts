import { describeIdentity, expressionBreadth, findingCredential, findingIdentity, type GitHubRepository, type Rule, type TrustEdge } from "@trustscope/core";
import { changeReach, deadOnGitHub, githubFor, githubRepositoryFor, grantEvidence, matchText, reachesManyWorkloads } from "../support/github-trust.ts";

export const pullRequestSubject: Rule = {
  meta: {
    id: "pull-request-subject",
    title: "A GitHub pull-request subject can log in as an identity that can change Azure",
    defaultSeverity: "critical",
    description:
      "GitHub gives a workflow run for a pull request the subject repo:OWNER/REPO:pull_request, whatever the pull request's branch or content. A federated credential for that subject (or an expression that matches it) lets anyone who can open a pull request from a branch of the repository run their own code with the identity's roles, before any review. Read-only roles for `terraform plan` on pull requests are the safe use; roles that can change things are not.",
    tags: ["security", "federation", "github"],
    // Sound on what a Terraform configuration declares: judged again as the configuration will be once applied.
    declared: true,
  },
  *check({ graph, environments }) {
    for (const edge of graph.edges) {
      const how = pullRequestMatch(edge);
      if (!how) continue;
      // GitHub's answers show the subject matches no token (customised-subject-mismatch says so): it lets no pull request in.
      const github = githubFor(graph.inventory.github, edge.credential.issuer);
      if (!edge.trust.wide && edge.trust.github && deadOnGitHub(github, edge.credential, edge.trust.github) !== undefined) continue;
      const reach = changeReach(edge.identity, environments);
      const production = reach.productionChange.length > 0;
      // An identity that only reads (or holds nothing) is the recommended pattern for plans on pull requests.
      if (!production && reach.otherChange.length === 0) continue;
      const scope = reach.productionChange[0]?.grant.assignment.scope;
      const who = describeIdentity(edge.identity);
      const gh = edge.trust.github;
      const repoName = gh?.repository;
      const repo = gh ? githubRepositoryFor(github, gh) : undefined;
      yield {
        severity: production ? "critical" : "medium",
        message: `${who} accepts pull-request workflows${repoName !== undefined ? ` of GitHub repository '${repoName}'` : ""} through credential '${edge.credential.name}' and can change ${production ? `production scope ${scope}` : "non-production scopes"}: move deployments to a protected GitHub environment and give pull requests a read-only identity.`,
        identity: findingIdentity(edge.identity),
        credential: findingCredential(edge),
        ...(scope ? { scope } : {}),
        evidence: [
          how,
          "any branch of the repository with an open pull request can request this token: its workflow files come from the pull request's branch, so whoever can push a branch runs their code with this identity before review",
          ...forkEvidence(repo),
          ...grantEvidence(reach),
          ...(production ? [] : ["no role that can change production: severity is medium"]),
        ],
        remediation:
          "Deploy from a GitHub environment with required reviewers and give the identity a credential for repo:OWNER/REPO:environment:NAME instead; for `terraform plan` (or other checks) on pull requests, use a separate identity that holds only Reader.",
        key: [edge.identity.key, edge.credential.issuer, matchText(edge.credential)],
        anchor: edge.anchor,
      };
    }
  },
};

/** Evidence that the credential matches pull-request tokens, or undefined when it does not (or another rule owns it). */
function pullRequestMatch(edge: TrustEdge): string | undefined {
  const { trust, credential } = edge;
  if (trust.platform !== "github") return undefined;
  if (!trust.wide) {
    if (trust.problem !== undefined || trust.github?.context?.kind !== "pull_request") return undefined;
    return credential.claimsMatchingExpression
      ? `claims expression ${credential.claimsMatchingExpression.value} pins the subject to a pull-request subject`
      : `subject ${credential.subject} is GitHub's subject for workflows run by a pull request`;
  }
  const breadth = expressionBreadth(credential);
  if (!breadth?.pullRequests) return undefined;
  // Wide expressions are reported once, by wildcard-expression (production) or wildcard-claims-expression.
  // (wildcardExpressionBreadth is only set when reachesManyWorkloads holds, so this one test covers both.)
  if (reachesManyWorkloads(breadth)) return undefined;
  return `claims expression ${credential.claimsMatchingExpression?.value ?? ""} matches pull-request subjects (repo:OWNER/REPO:pull_request)`;
}

/** What is known about fork pull requests, from the repository's visibility. */
function forkEvidence(repo: GitHubRepository | undefined): string[] {
  if (!repo) return ["whether pull requests from forks can get the token depends on the repository's visibility and Actions settings, which were not read (GitHub not read for this repository)"];
  if (!repo.private) {
    return [`${repo.fullName} is public: GitHub runs pull_request workflows from forks with read-only permissions, so forks cannot request an OIDC token; branches pushed to the repository itself can`];
  }
  return [`${repo.fullName} is private: fork pull requests get an OIDC token only if the repository sends write tokens to fork pull request workflows, a setting trustscope does not read`];
}
