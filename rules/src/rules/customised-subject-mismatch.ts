import {
  describeIdentity,
  effectiveClaimKeys,
  findingCredential,
  findingIdentity,
  githubSubjectFor,
  subjectFollowsTemplate,
  type GitHubContext,
  type GitHubInventory,
  type GitHubRepository,
  type GitHubSubject,
  type Rule,
} from "@trustscope/core";
import { exactGitHubSubject, exactSubject, githubFor, githubRepositoryFor, matchText } from "../support/github-trust.ts";

export const customisedSubjectMismatch: Rule = {
  meta: {
    id: "customised-subject-mismatch",
    title: "A GitHub credential's subject does not fit the repository's OIDC subject template",
    defaultSeverity: "medium",
    description:
      "GitHub builds each token's sub claim from the subject template that applies to the repository (GitHub's default repo:OWNER/REPO:CONTEXT, or the claim keys the repository or its organisation chose), with the repository's names spelled as GitHub spells them. Entra compares subjects exactly, so a credential written for another template, with another repository's IDs, or with the owner or repository in another case matches no token: logins fail with AADSTS700213, and the usual fix under pressure is a wider credential.",
    tags: ["correctness", "federation", "github"],
  },
  *check({ graph }) {
    for (const edge of graph.edges) {
      const github = githubFor(graph.inventory.github, edge.credential.issuer);
      const subject = exactGitHubSubject(edge);
      const text = exactSubject(edge.credential);
      if (!subject || text === undefined) continue;
      const repo = githubRepositoryFor(github, subject);
      if (!repo?.oidcSubject) continue;
      const org = organizationOf(github, repo);
      const keys = effectiveClaimKeys(repo, org);
      // The template could not be told (the organisation's was not read): nothing to compare with.
      if (!keys) continue;
      const misfits = misfitsOf(text, subject, repo, keys);
      if (misfits.length === 0) continue;
      const expected = expectedSubject(repo, subject, keys);
      yield {
        message: `Credential '${edge.credential.name}' on ${describeIdentity(edge.identity)} matches no token from ${repo.fullName} (${misfits[0]!.short}): replace its subject with ${expected !== undefined ? `'${expected}'` : `one that follows ${templateName(repo, keys)}`}.`,
        identity: findingIdentity(edge.identity),
        credential: findingCredential(edge),
        evidence: [
          `template that applies: ${templateName(repo, keys)}`,
          `the credential's subject: ${text}`,
          expected !== undefined
            ? `the subject GitHub issues for the same ${contextWords(contextFor(repo, subject))}: ${expected}`
            : `the subject GitHub issues depends on claims the credential does not name (template keys: ${keys.join(", ")})`,
          ...misfits.map((m) => m.detail),
          "Entra compares the subject exactly, so logins with this credential fail (AADSTS700213)",
        ],
        remediation:
          "Write the credential's subject the way GitHub issues it for this repository (the subject line above), or change the repository's template back (PUT /repos/{owner}/{repo}/actions/oidc/customization/sub); do not widen the credential to make logins work.",
        key: [edge.identity.key, edge.credential.issuer, matchText(edge.credential)],
        anchor: edge.anchor,
      };
    }
  },
};

interface Misfit {
  short: string;
  detail: string;
}

function misfitsOf(text: string, subject: GitHubSubject, repo: GitHubRepository, keys: string[]): Misfit[] {
  const out: Misfit[] = [];
  if (!subjectFollowsTemplate(text, keys)) {
    const defaultTemplate = isDefault(keys);
    out.push({
      short: defaultTemplate ? "the repository uses GitHub's default subject, the credential a customised one" : "the repository customises its subject, the credential does not follow that template",
      detail: `the subject's claim keys are ${subject.claimKeys.length > 0 ? subject.claimKeys.join(", ") : "none GitHub knows"}; the template's are ${keys.join(", ")}`,
    });
  }
  // GitHub's answer says whether `repo` renders as owner@ID/repo@ID; absent, either form may be right.
  const immutable = repo.oidcSubject?.useImmutableSubject;
  if (immutable !== undefined && keys.includes("repo") && subject.claimKeys.includes("repo") && (subject.immutable ?? false) !== immutable) {
    out.push(
      immutable
        ? { short: "the repository uses immutable subjects, the credential names it by name only", detail: `GitHub writes the repo claim as ${repo.owner.login}@${repo.owner.id}/${repo.fullName.split("/")[1] ?? ""}@${repo.id} for this repository (immutable subject)` }
        : { short: "the credential uses the immutable form, the repository does not", detail: `GitHub writes the repo claim as ${repo.fullName} for this repository, without IDs` },
    );
  }
  if (subject.repositoryId !== undefined && subject.repositoryId !== String(repo.id)) {
    out.push({ short: "wrong repository_id", detail: `repository_id ${subject.repositoryId} is not ${repo.fullName}'s ID ${repo.id}` });
  }
  if (subject.repositoryOwnerId !== undefined && subject.repositoryOwnerId !== String(repo.owner.id)) {
    out.push({ short: "wrong repository_owner_id", detail: `repository_owner_id ${subject.repositoryOwnerId} is not ${repo.owner.login}'s ID ${repo.owner.id}` });
  }
  const name = subject.repository;
  if (name !== undefined && name !== repo.fullName) {
    out.push(
      name.toLowerCase() === repo.fullName.toLowerCase()
        ? { short: "owner or repository in another case", detail: `the subject spells the repository '${name}', GitHub spells it '${repo.fullName}'` }
        : { short: "another repository name", detail: `the subject names '${name}', but the repository with its ID is now '${repo.fullName}' (renamed or transferred)` },
    );
  }
  const owner = subject.repositoryOwner;
  if (owner !== undefined && owner !== repo.owner.login && owner.toLowerCase() === repo.owner.login.toLowerCase()) {
    out.push({ short: "owner in another case", detail: `the subject spells the owner '${owner}', GitHub spells it '${repo.owner.login}'` });
  }
  return out;
}

function organizationOf(github: GitHubInventory | undefined, repo: GitHubRepository) {
  const login = repo.owner.login.toLowerCase();
  return github?.organizations.find((o) => o.login.toLowerCase() === login);
}

const isDefault = (keys: string[]) => keys.length === 2 && keys[0] === "repo" && keys[1] === "context";

function templateName(repo: GitHubRepository, keys: string[]): string {
  const own = repo.oidcSubject;
  if (own?.useDefault) return "GitHub's default (repo, context): the repository uses the default";
  if (own?.includeClaimKeys && own.includeClaimKeys.length > 0) return `the repository's own (${keys.join(", ")})`;
  return isDefault(keys) ? `GitHub's default (repo, context): organisation '${repo.owner.login}' uses the default` : `organisation '${repo.owner.login}''s (${keys.join(", ")})`;
}

/** The context to compare in: the credential's own, else a run on the default branch. */
function contextFor(repo: GitHubRepository, subject: GitHubSubject): GitHubContext | undefined {
  return subject.context ?? (repo.defaultBranch !== undefined ? { kind: "branch", value: repo.defaultBranch } : undefined);
}

function contextWords(context: GitHubContext | undefined): string {
  if (!context) return "context";
  switch (context.kind) {
    case "branch":
      return `branch '${context.value ?? ""}'`;
    case "tag":
      return `tag '${context.value ?? ""}'`;
    case "environment":
      return `environment '${context.value ?? ""}'`;
    case "pull_request":
      return "pull request";
    default:
      return "context";
  }
}

/** Claims the repository itself decides; the credential's values for them may be the wrong ones. */
const REPOSITORY_CLAIMS = new Set(["repo", "context", "repository", "repository_id", "repository_owner", "repository_owner_id"]);

function expectedSubject(repo: GitHubRepository, subject: GitHubSubject, keys: string[]): string | undefined {
  const context = contextFor(repo, subject);
  if (!context) return undefined;
  const claims = Object.fromEntries(Object.entries(subject.claims).filter(([k]) => !REPOSITORY_CLAIMS.has(k)));
  const immutable = repo.oidcSubject?.useImmutableSubject ?? subject.immutable ?? false;
  return githubSubjectFor(repo, context, keys, { ...(subject.jobWorkflowRef !== undefined ? { jobWorkflowRef: subject.jobWorkflowRef } : {}), claims, immutable });
}
