/**
 * GitHub Actions subjects. GitHub builds `sub` from a template of claim keys (`include_claim_keys`;
 * default `["repo", "context"]`): each key renders as `key:value`, joined with `:`, except
 * `context`, which renders as the job's context itself (`ref:refs/heads/B`, `ref:refs/tags/T`,
 * `environment:E` or `pull_request`), and `repo`, whose value is `owner/repo` (or the immutable
 * `owner@OWNER_ID/repo@REPO_ID`). GitHub writes a `:` inside a value as `%3A`, so values never
 * contain one and a subject splits on `:` (docs.github.com, actions/reference/security/oidc).
 */
import type { GitHubOrganization, GitHubRepository } from "../model/inventory.ts";
import { keywordCaseProblem, literalWildcardProblem } from "./platform.ts";
import type { GitHubContext, GitHubSubject } from "./types.ts";

export const DEFAULT_CLAIM_KEYS: readonly string[] = ["repo", "context"];

/** The claims GitHub's OIDC tokens carry (its claims_supported), plus the template-only `repo` and `context`. */
const CLAIM_KEYS = new Set([
  "actor",
  "actor_id",
  "base_ref",
  "check_run_id",
  "context",
  "enterprise",
  "enterprise_id",
  "environment",
  "event_name",
  "head_ref",
  "job_workflow_ref",
  "job_workflow_sha",
  "ref",
  "ref_protected",
  "ref_type",
  "repo",
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "repository_visibility",
  "run_attempt",
  "run_id",
  "run_number",
  "runner_environment",
  "sha",
  "workflow",
  "workflow_ref",
  "workflow_sha",
]);

/** Custom repository properties become `repo_property_<name>` claims. */
const isClaimKey = (key: string) => CLAIM_KEYS.has(key) || /^repo_property_[A-Za-z0-9_]+$/.test(key);

/** Claims whose values are free text (a workflow's name, a custom property) and may hold `*` or `?`. */
const FREE_TEXT = (key: string) => key === "workflow" || key.startsWith("repo_property_");

const decode = (value: string) => value.replaceAll("%3A", ":");
const encode = (value: string) => value.replaceAll(":", "%3A");

/** A context string (`ref:refs/heads/main`, `environment:prod`, `pull_request`) as a GitHubContext. */
export function contextOf(text: string): GitHubContext {
  if (text === "pull_request") return { kind: "pull_request" };
  if (text.startsWith("environment:")) return { kind: "environment", value: decode(text.slice("environment:".length)) };
  if (text.startsWith("ref:refs/heads/")) return { kind: "branch", value: text.slice("ref:refs/heads/".length) };
  if (text.startsWith("ref:refs/tags/")) return { kind: "tag", value: text.slice("ref:refs/tags/".length) };
  return { kind: "other", value: text };
}

/** The context as GitHub renders it in `sub`; undefined for `other` without its text. */
export function contextText(context: GitHubContext): string | undefined {
  switch (context.kind) {
    case "branch":
      return context.value === undefined ? undefined : `ref:refs/heads/${context.value}`;
    case "tag":
      return context.value === undefined ? undefined : `ref:refs/tags/${context.value}`;
    case "environment":
      return context.value === undefined ? undefined : `environment:${encode(context.value)}`;
    case "pull_request":
      return "pull_request";
    default:
      return context.value;
  }
}

export interface GitHubSubjectReading {
  subject: GitHubSubject;
  /** Why no token GitHub issues carries this subject, when that can be told from the text alone. */
  problem?: string;
}

/** What a GitHub subject names (best effort: a subject that cannot match is read as far as it goes). */
export function parseGitHubSubject(subject: string): GitHubSubject {
  return readGitHubSubject(subject).subject;
}

/** `ref` values GitHub issues are full refs under refs/heads/, refs/tags/ or refs/pull/; `ref:main` names none. */
function refProblem(key: string, ref: string): string | undefined {
  const prefix = /^refs\/(?:heads|tags|pull)\//i.exec(ref)?.[0];
  if (prefix !== undefined && prefix !== prefix.toLowerCase()) return keywordCaseProblem(prefix, prefix.toLowerCase());
  if (prefix !== undefined) return undefined;
  if (ref.startsWith("refs/")) return `'${key}:${ref}' is not a ref GitHub issues: its refs start refs/heads/, refs/tags/ or refs/pull/`;
  const name = ref.replace(/^\/+/, "");
  if (name !== ref && /^refs\/(?:heads|tags|pull)\//.test(name)) return `'${key}:${ref}' starts with '/': GitHub writes ${key}:${name}, so this matches no token`;
  return `'${key}:${ref}' is not a ref GitHub issues: it writes full refs (${key}:refs/heads/${name} for a branch, ${key}:refs/tags/${name} for a tag)`;
}

/** GitHub owner names are letters, digits and '-' ('_' in managed users' names); repository names add '.'. */
const OWNER_NAME = /^[A-Za-z0-9_-]+$/;
const REPO_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * Why `owner/repo` (wildcards allowed, as in a `matches` pattern) names no GitHub repository: a
 * space, a regular-expression `(a|b)` or any other character GitHub names cannot hold.
 */
export function repositoryNameProblem(ownerAndRepo: string): string | undefined {
  const [owner, repo] = ownerAndRepo.split("/").map((p) => p.replace(/@\d+$/, "").replace(/[*?]/g, ""));
  const bad = [owner, repo].find((p) => p !== undefined && p !== "" && !(p === owner ? OWNER_NAME : REPO_NAME).test(p));
  if (bad === undefined) return undefined;
  const regex = /[()|[\]^$\\+]/.test(bad) ? " (Entra's matches takes only * and ?, not regular expressions)" : "";
  return `'${ownerAndRepo}' is not a GitHub owner/repository name: '${bad}' has a character GitHub names cannot hold${regex}: matches no token`;
}

/**
 * Reads a subject by known claim keys. A `ref:`, `environment:` or `pull_request` right after
 * `repo:` is read as the `context` (the default template) rather than a `ref`/`environment` key:
 * the two render alike, and the default is by far the commoner.
 */
export function readGitHubSubject(subject: string): GitHubSubjectReading {
  const out: GitHubSubject = { claimKeys: [], claims: {} };
  let problem: string | undefined;
  const note = (p: string | undefined) => {
    problem ??= p;
  };
  if (subject === "") return { subject: out, problem: "the subject is empty" };
  if (subject.trim() !== subject) note("the subject has leading or trailing space, which no GitHub subject has: matches no token");

  const segs = subject.split(":");
  let i = 0;
  while (i < segs.length) {
    const seg = segs[i]!;
    const contextAllowed = out.context === undefined && out.claimKeys.at(-1) === "repo";
    const lower = seg.toLowerCase();
    if (seg !== lower && (isClaimKey(lower) || lower === "pull_request")) note(keywordCaseProblem(seg, lower));
    const key = isClaimKey(lower) || lower === "pull_request" ? lower : seg;
    if (key === "pull_request") {
      // A template may put `context` after any key (`repository_id:…:pull_request`), once.
      if (out.claimKeys.includes("context")) note("the context appears twice, which GitHub's templates cannot produce: matches no token");
      out.context = { kind: "pull_request" };
      out.claimKeys.push("context");
      out.claims.context = "pull_request";
      i += 1;
      continue;
    }
    if (!isClaimKey(key)) {
      note(literalWildcardProblem(seg));
      note(seg === "" ? "the subject has an empty part (two ':' in a row, or a ':' at either end): matches no token" : `'${seg}' is not a claim GitHub puts in subjects: matches no token`);
      break;
    }
    const raw = segs[i + 1];
    if (raw === undefined) {
      note(`'${seg}' has no value: matches no token`);
      break;
    }
    if (raw === "") note(`'${seg}' has an empty value: matches no token`);
    if (!FREE_TEXT(key)) note(literalWildcardProblem(raw));
    const value = decode(raw);
    const asContext = contextAllowed && (key === "ref" || key === "environment");
    const claimKey = asContext ? "context" : key;
    if (out.claimKeys.includes(claimKey)) note(`claim '${claimKey}' appears twice, which GitHub's templates cannot produce: matches no token`);
    out.claimKeys.push(claimKey);
    if (asContext) {
      out.claims.context = `${key}:${raw}`;
      out.context = contextOf(`${key}:${raw}`);
      if (key === "ref") note(refProblem("ref", raw));
      if (out.context.kind === "branch" || out.context.kind === "tag") {
        if (out.context.value === "") note(`'${key}:${raw}' names no branch or tag: matches no token`);
      }
    } else {
      out.claims[key] = value;
      readClaim(out, key, value, note);
    }
    i += 2;
  }
  return problem === undefined ? { subject: out } : { subject: out, problem };
}

function readClaim(out: GitHubSubject, key: string, value: string, note: (p: string | undefined) => void): void {
  switch (key) {
    case "repo": {
      const parts = value.split("/");
      if (parts.length !== 2) {
        note(`'repo:${value}' is not OWNER/REPO: matches no token`);
        out.repository = value;
        return;
      }
      const owner = /^([^@]*)@(\d+)$/.exec(parts[0]!);
      const repo = /^([^@]*)@(\d+)$/.exec(parts[1]!);
      const ownerName = owner ? owner[1]! : parts[0]!;
      const repoName = repo ? repo[1]! : parts[1]!;
      if (ownerName === "" || repoName === "") note(`'repo:${value}' has an empty owner or repository name: matches no token`);
      else note(repositoryNameProblem(`${ownerName}/${repoName}`));
      if (owner && repo) {
        out.immutable = true;
        out.repositoryOwnerId = owner[2]!;
        out.repositoryId = repo[2]!;
      } else if (owner || repo || /@/.test(value)) {
        note(`'repo:${value}' mixes names and IDs: GitHub's immutable form is repo:OWNER@OWNER_ID/REPO@REPO_ID`);
      }
      out.repository = `${ownerName}/${repoName}`;
      return;
    }
    case "repository":
      out.repository ??= value;
      return;
    case "repository_owner":
      out.repositoryOwner = value;
      return;
    case "repository_owner_id":
      out.repositoryOwnerId = value;
      if (!/^\d+$/.test(value)) note(`'repository_owner_id:${value}' is not a number: matches no token`);
      return;
    case "repository_id":
      out.repositoryId = value;
      if (!/^\d+$/.test(value)) note(`'repository_id:${value}' is not a number: matches no token`);
      return;
    case "job_workflow_ref":
      out.jobWorkflowRef = value;
      return;
    case "ref":
      note(refProblem("ref", value));
      return;
    case "environment":
      out.context ??= { kind: "environment", value };
      return;
    default:
      return;
  }
}

/** Whether a subject is made of exactly these claim keys, in this order. */
export function subjectFollowsTemplate(subject: string, claimKeys: readonly string[]): boolean {
  if (claimKeys.length === 0) return false;
  const segs = subject.split(":");
  let i = 0;
  for (const key of claimKeys) {
    if (key === "context") {
      if (segs[i] === "pull_request") i += 1;
      else if ((segs[i] === "ref" || segs[i] === "environment") && segs[i + 1] !== undefined) i += 2;
      else return false;
      continue;
    }
    if (segs[i] !== key || segs[i + 1] === undefined) return false;
    i += 2;
  }
  return i === segs.length;
}

interface RepositoryIdentity {
  fullName: string;
  id: number;
  owner: { login: string; id: number };
}

/**
 * The `sub` GitHub issues for a job of `repo` in `context` under the template `claimKeys`, or
 * undefined when a key's value is not known (pass it in `extra.claims`, by claim name).
 * `extra.immutable`: the repository uses immutable subjects (`repo:owner@ID/repo@ID`).
 */
export function githubSubjectFor(
  repo: RepositoryIdentity,
  context: GitHubContext,
  claimKeys: readonly string[],
  extra?: { jobWorkflowRef?: string; claims?: Record<string, string>; immutable?: boolean },
): string | undefined {
  if (claimKeys.length === 0) return undefined;
  const [ownerName, repoName] = repo.fullName.split("/");
  const ref = context.kind === "branch" && context.value !== undefined ? `refs/heads/${context.value}` : context.kind === "tag" && context.value !== undefined ? `refs/tags/${context.value}` : undefined;
  const known: Record<string, string | undefined> = {
    repository: repo.fullName,
    repository_owner: repo.owner.login,
    repository_owner_id: String(repo.owner.id),
    repository_id: String(repo.id),
    job_workflow_ref: extra?.jobWorkflowRef,
    environment: context.kind === "environment" ? context.value : undefined,
    ref,
    ref_type: context.kind === "branch" ? "branch" : context.kind === "tag" ? "tag" : undefined,
    ...extra?.claims,
  };
  const parts: string[] = [];
  for (const key of claimKeys) {
    if (key === "repo") {
      if (ownerName === undefined || repoName === undefined) return undefined;
      parts.push(extra?.immutable ? `repo:${ownerName}@${repo.owner.id}/${repoName}@${repo.id}` : `repo:${repo.fullName}`);
    } else if (key === "context") {
      const text = contextText(context);
      if (text === undefined) return undefined;
      parts.push(text);
    } else {
      const value = known[key];
      if (value === undefined) return undefined;
      parts.push(`${key}:${encode(value)}`);
    }
  }
  return parts.join(":");
}

/**
 * The subject template that applies to a repository's jobs (`GET /repos/{o}/{r}/actions/oidc/customization/sub`):
 * `use_default: true` is GitHub's default; `false` with `include_claim_keys` is the repository's
 * own; `false` without keys follows the organisation's template, or GitHub's default when the
 * organisation has none. Undefined when what was read does not tell (the repository's or the
 * needed organisation's template was not read). Whether the `repo` key renders in the immutable
 * form is not part of the template and is not in the inventory.
 */
export function effectiveClaimKeys(repo: GitHubRepository, org: GitHubOrganization | undefined): string[] | undefined {
  const own = repo.oidcSubject;
  if (!own) return undefined;
  if (own.useDefault) return [...DEFAULT_CLAIM_KEYS];
  if (own.includeClaimKeys && own.includeClaimKeys.length > 0) return [...own.includeClaimKeys];
  if (!org || org.login.toLowerCase() !== repo.owner.login.toLowerCase() || org.oidcSubjectClaimKeys === undefined) return undefined;
  return org.oidcSubjectClaimKeys === null || org.oidcSubjectClaimKeys.length === 0 ? [...DEFAULT_CLAIM_KEYS] : [...org.oidcSubjectClaimKeys];
}

/** What a GitHub subject names, in words. */
export function describeGitHubSubject(s: GitHubSubject): string {
  const via = s.jobWorkflowRef !== undefined ? ` running reusable workflow '${s.jobWorkflowRef}'` : "";
  const repo = s.repository !== undefined ? `GitHub repository '${s.repository}'` : undefined;
  if (repo) {
    const c = s.context;
    const what =
      c === undefined
        ? `every workflow of ${repo}`
        : c.kind === "branch"
          ? `branch '${c.value ?? ""}' of ${repo}`
          : c.kind === "tag"
            ? `tag '${c.value ?? ""}' of ${repo}`
            : c.kind === "environment"
              ? `environment '${c.value ?? ""}' of ${repo}`
              : c.kind === "pull_request"
                ? `pull requests of ${repo}`
                : `workflows of ${repo} with context '${c.value ?? ""}'`;
    return `${what}${via}`;
  }
  const pinned = Object.entries(s.claims).map(([k, v]) => `${k} '${v}'`);
  return pinned.length > 0 ? `GitHub workflows with ${pinned.join(", ")}` : "GitHub workflows";
}

/** The short name of what a GitHub subject trusts: the repository, else its owner, else the subject. */
export function githubWorkload(s: GitHubSubject, subject: string): string {
  if (s.repository !== undefined) return s.repository;
  if (s.repositoryOwner !== undefined) return s.repositoryOwner;
  if (s.jobWorkflowRef !== undefined) return s.jobWorkflowRef;
  return subject;
}
