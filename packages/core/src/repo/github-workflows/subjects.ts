/**
 * The `sub` claim a GitHub Actions job's OIDC token carries under GitHub's default subject
 * template (`repo:OWNER/REPO:<context>`): the environment when the job has one, else the event's
 * context (`pull_request`, or `ref:refs/heads/<branch>` / `ref:refs/tags/<tag>`). One job may run
 * for several triggers and so present several subjects; a part only known at run time (a branch
 * glob, the branch a manual run picks) makes a pattern (`*` for any run of characters).
 * Pure; no inventory access.
 */
import type { GitHubJob, GitHubTrigger, GitHubValue, GitHubWorkflowFile, Located } from "../../model/repo.ts";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

export interface ExpectedGitHubSubject {
  /** The exact `sub`, or (with `pattern`) a glob where `*` is any run of characters. */
  subject: string;
  pattern: boolean;
  /** Why the job presents it (the trigger or environment), for evidence. */
  why: string;
  /** The trigger or `environment:` it comes from. */
  at: Located;
}

export interface GitHubJobSubjects {
  subjects: ExpectedGitHubSubject[];
  /**
   * Set when the subject is not this workflow's to decide: a reusable workflow (`workflow_call`)
   * presents its caller's context, or a job calls a reusable workflow whose jobs log in.
   */
  decidedElsewhere?: string;
}

/**
 * Events whose runs use the default branch's ref (and so its `ref:refs/heads/<default>` subject). For
 * pull_request_target that holds since 8 December 2025, whatever the pull request's base branch
 * (GitHub changelog 2025-11-07, "Changes to pull_request_target and environment branch protections").
 */
const DEFAULT_BRANCH_EVENTS = new Set([
  "pull_request_target", "workflow_run", "schedule", "issues", "issue_comment", "discussion", "discussion_comment", "label", "milestone",
  "project", "project_card", "project_column", "watch", "fork", "gollum", "public", "delete", "page_build", "branch_protection_rule",
  "check_run", "check_suite", "status", "repository_dispatch", "member", "pull_request_review_thread",
]);
/** Events whose runs carry the pull_request context (the merge ref of the pull request). */
const PULL_REQUEST_EVENTS = new Set(["pull_request", "pull_request_review", "pull_request_review_comment"]);

/** A GitHub filter pattern (`release/**`, `v[0-9]+.*`) as a `*`-glob that accepts at least what it does. */
function filterGlob(filter: string): { glob: string; pattern: boolean } {
  if (!/[*?[\]+!]/.test(filter)) return { glob: filter, pattern: false };
  // `*`/`**` → `*`; character classes and quantifiers widen to `*` (over-accepting only spares a
  // finding). GitHub's `?` makes the character before it optional (not "one character", as in
  // the glob): `releases?` is `release` too, so it and its character become `*`.
  const glob = filter.replace(/\[[^\]]*\][+*?]?/g, "*").replace(/[^*?/]\+/g, "*").replace(/[^*]?\?/g, "*").replace(/\*\*+/g, "*");
  return { glob: glob.replace(/\*+/g, "*"), pattern: true };
}

/** The branches or tags a filter list lets through, as globs; undefined when every one passes. */
function refsOf(include: string[] | undefined): { glob: string; pattern: boolean }[] | undefined {
  // No include list (or `-ignore` only, or only negations): any ref may run it.
  const positive = (include ?? []).filter((f) => !f.startsWith("!"));
  return positive.length === 0 ? undefined : positive.map(filterGlob);
}

function contextsOf(t: GitHubTrigger, defaultBranch: string | undefined): { context: string; pattern: boolean; why: string }[] {
  const e = t.event;
  if (PULL_REQUEST_EVENTS.has(e)) return [{ context: "pull_request", pattern: false, why: `on ${e} (line ${t.line})` }];
  if (e === "push") {
    const branches = refsOf(t.branches);
    const tags = refsOf(t.tags);
    const hasBranch = t.branches !== undefined || t.branchesIgnore !== undefined;
    const hasTag = t.tags !== undefined || t.tagsIgnore !== undefined;
    const out: { context: string; pattern: boolean; why: string }[] = [];
    // A push filter on tags only runs for tags; on branches only, for branches; neither: both.
    if (hasBranch || !hasTag) {
      for (const b of branches ?? [{ glob: "*", pattern: true }]) out.push({ context: `ref:refs/heads/${b.glob}`, pattern: b.pattern, why: `on push to ${branches ? `branch '${b.glob}'` : "any branch"} (line ${t.line})` });
    }
    if (hasTag || !hasBranch) {
      for (const g of tags ?? [{ glob: "*", pattern: true }]) out.push({ context: `ref:refs/tags/${g.glob}`, pattern: g.pattern, why: `on push of ${tags ? `tag '${g.glob}'` : "any tag"} (line ${t.line})` });
    }
    return out;
  }
  if (DEFAULT_BRANCH_EVENTS.has(e)) {
    return defaultBranch
      ? [{ context: `ref:refs/heads/${defaultBranch}`, pattern: false, why: `on ${e}, which runs on the default branch '${defaultBranch}' (line ${t.line})` }]
      : [{ context: "ref:refs/heads/*", pattern: true, why: `on ${e}, which runs on the default branch (not known offline) (line ${t.line})` }];
  }
  if (e === "workflow_dispatch") return [{ context: "ref:refs/*", pattern: true, why: `on workflow_dispatch, on any branch or tag it is run on (line ${t.line})` }];
  if (e === "release" || e === "registry_package") return [{ context: "ref:refs/tags/*", pattern: true, why: `on ${e}, on the release's tag (line ${t.line})` }];
  if (e === "merge_group") return [{ context: "ref:refs/heads/gh-readonly-queue/*", pattern: true, why: `on merge_group, on the merge queue's branch (line ${t.line})` }];
  // create, deployment, deployment_status and anything newer: the ref of the event.
  return [{ context: "ref:refs/*", pattern: true, why: `on ${e}, on the ref of the event (line ${t.line})` }];
}

/**
 * The subjects a job's token can carry, for the repository `owner/repo` (spelled as GitHub does:
 * the comparison is case-sensitive). `defaultBranch` comes from GitHub's data when it was read.
 */
export function githubJobSubjects(workflow: GitHubWorkflowFile, job: GitHubJob, opts: { repository: string; defaultBranch?: string }): GitHubJobSubjects {
  const repo = `repo:${opts.repository}`;
  if (job.uses !== undefined) return { subjects: [], decidedElsewhere: `the job calls ${job.uses}, whose jobs log in` };
  if (job.environment) {
    const env = job.environment;
    return env.expression
      ? { subjects: [{ subject: `${repo}:environment:*`, pattern: true, why: `environment '${env.name}', decided at run time (line ${env.line})`, at: env }] }
      : { subjects: [{ subject: `${repo}:environment:${env.name}`, pattern: false, why: `environment '${env.name}' (line ${env.line})`, at: env }] };
  }
  const subjects: ExpectedGitHubSubject[] = [];
  const seen = new Set<string>();
  for (const t of workflow.triggers) {
    if (t.event === "workflow_call") continue;
    for (const c of contextsOf(t, opts.defaultBranch)) {
      const subject = `${repo}:${c.context}`;
      if (seen.has(subject)) continue;
      seen.add(subject);
      subjects.push({ subject, pattern: c.pattern, why: c.why, at: { file: t.file, line: t.line } });
    }
  }
  if (workflow.triggers.some((t) => t.event === "workflow_call")) {
    const why = "the workflow is reusable (workflow_call): called, its jobs present the caller's context";
    return subjects.length > 0 ? { subjects } : { subjects, decidedElsewhere: why };
  }
  return { subjects };
}

/**
 * `owner/repo` and host from a GitHub remote URL (`https://github.com/o/r.git`,
 * `git@github.com:o/r.git`, `ssh://git@ghe.example.com/o/r`), with its case kept; undefined
 * when the path is not two segments (GitLab's nested groups, say).
 */
export function githubRepositoryOf(remoteUrl: string): { repository: string; host: string } | undefined {
  const url = remoteUrl.trim();
  const m = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?([^/:]+)(?::\d+)?[:/](.+?)(?:\.git)?\/*$/i.exec(url);
  if (!m) return undefined;
  const parts = m[2]!.replace(/^\/+/, "").split("/");
  if (parts.length !== 2 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) return undefined;
  return { repository: parts.join("/"), host: m[1]!.toLowerCase() };
}

/** The issuer of a host's Actions tokens: github.com's, or a GitHub Enterprise Server's. */
export function githubIssuerFor(host: string): string {
  return host === "github.com" || host === "www.github.com" ? GITHUB_ISSUER : `https://${host}/_services/token`;
}

/** The literal a workflow value stands for: written, or given by the `env:` it reads. */
export function githubValueLiteral(v: GitHubValue | undefined): string | undefined {
  return v?.literal ?? v?.resolved?.literal;
}
