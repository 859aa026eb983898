/**
 * What GitHub's answers (`inventory.github`) say about a credential with a GitHub issuer: which
 * read holds its repository, whether that repository exists under the name, and whether the
 * credential's subject can match any token GitHub issues for it. Pure; shared by the GitHub rules
 * and explain-access, so a credential is "dead" in one way everywhere.
 */
import { readClaimsExpression } from "./claims-expression.ts";
import { githubApiServes } from "../issuers/platform.ts";
import { effectiveClaimKeys, subjectFollowsTemplate } from "../issuers/github.ts";
import type { GitHubSubject } from "../issuers/types.ts";
import type { FederatedCredential, GitHubInventory, GitHubRepository } from "../model/inventory.ts";
import type { TrustEdge } from "./trust-graph.ts";

/**
 * The exact subject a credential accepts: its subject, or the value an expression pins `sub` to.
 * Undefined for a wide expression.
 */
export function exactSubject(credential: FederatedCredential): string | undefined {
  if (!credential.claimsMatchingExpression) return credential.subject;
  return readClaimsExpression(credential.claimsMatchingExpression).exactSubject;
}

/**
 * What was read of the GitHub whose tokens `issuer` signs, or undefined (not read, or another
 * GitHub was: github.com's answers say nothing of a GitHub Enterprise Server's repositories).
 */
export function githubFor(github: GitHubInventory | undefined, issuer: string): GitHubInventory | undefined {
  return github && githubApiServes(github.apiUrl, issuer) ? github : undefined;
}

/**
 * The repository a subject names, from what GitHub returned: by `owner/repo` (GitHub's names are
 * case-insensitive) or by `repository_id`. Undefined when GitHub was not read or this repository was not.
 */
export function githubRepositoryFor(github: GitHubInventory | undefined, subject: GitHubSubject): GitHubRepository | undefined {
  if (!github) return undefined;
  const name = subject.repository?.toLowerCase();
  if (name !== undefined) {
    const byName = github.repositories.find((r) => r.fullName.toLowerCase() === name);
    if (byName) return byName;
  }
  const id = subject.repositoryId;
  return id === undefined ? undefined : github.repositories.find((r) => String(r.id) === id);
}

/**
 * Why GitHub's answers show that a credential's exact subject matches no token of its repository
 * (owner or repository spelled in another case, or a subject that does not follow the template
 * GitHub builds the repository's subjects from, or the other form of the repo claim), or undefined
 * when it may match or GitHub was not read. customised-subject-mismatch reports these; a rule
 * that says what such a credential lets in would say something untrue.
 */
export function deadOnGitHub(github: GitHubInventory | undefined, credential: FederatedCredential, subject: GitHubSubject): string | undefined {
  const repo = githubRepositoryFor(github, subject);
  const text = exactSubject(credential);
  if (!repo || text === undefined) return undefined;
  if (subject.repository !== undefined && subject.repository !== repo.fullName) return `GitHub spells the repository '${repo.fullName}'`;
  const org = github?.organizations.find((o) => o.login.toLowerCase() === repo.owner.login.toLowerCase());
  const keys = effectiveClaimKeys(repo, org);
  if (keys && !subjectFollowsTemplate(text, keys)) return `the subject does not follow the template of ${repo.fullName} (${keys.join(", ")})`;
  const immutable = repo.oidcSubject?.useImmutableSubject;
  if (immutable !== undefined && keys?.includes("repo") && subject.claimKeys.includes("repo") && (subject.immutable ?? false) !== immutable) return `${repo.fullName} ${immutable ? "uses" : "does not use"} immutable subjects`;
  return undefined;
}

/**
 * Why no workflow can log in through this credential today, as far as its subject and GitHub's
 * answers show: a subject the platform never issues, a repository GitHub does not return under
 * that name (which someone could create: say so, it is a way in later), or a subject of another form.
 */
export function whyNoToken(github: GitHubInventory | undefined, edge: TrustEdge): string | undefined {
  if (edge.trust.problem) return edge.trust.problem;
  const subject = edge.trust.platform === "github" && !edge.trust.wide ? edge.trust.github : undefined;
  const read = githubFor(github, edge.credential.issuer);
  if (!subject || !read) return undefined;
  const name = subject.repository?.toLowerCase();
  if (name !== undefined && read.missingRepositories?.some((r) => r.toLowerCase() === name)) return `GitHub does not return repository '${subject.repository}' (404): whoever creates it can log in`;
  if (name !== undefined && read.movedRepositories?.some((r) => r.toLowerCase() === name)) return `GitHub redirects repository '${subject.repository}' (renamed or transferred): whoever creates a repository of that name can log in`;
  return deadOnGitHub(read, edge.credential, subject);
}
