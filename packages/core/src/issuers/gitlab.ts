/**
 * GitLab CI ID-token subjects. GitLab builds `sub` from the project's
 * `ci_id_token_sub_claim_components` (default `project_path, ref_type, ref`), each rendered as
 * `claim:value` and joined with `:`, `project_path` first: `project_path:G/P:ref_type:branch:ref:main`.
 * The other accepted orders are `project_path,ref,ref_type`, `project_path,ref` and
 * `project_path,ref_type` (gitlab-org/gitlab issue 477260; docs.gitlab.com ci/secrets/id_token_authentication).
 * `ref` is the bare branch or tag name (GitLab refuses names starting `refs/heads/`, `refs/tags/`,
 * `refs/remotes/`), `ref_type` is `branch` or `tag`.
 */
import { keywordCaseProblem, literalWildcardProblem } from "./platform.ts";
import type { GitLabSubject } from "./types.ts";

export interface GitLabSubjectReading {
  /** Undefined when the subject does not start with `project_path:`. */
  subject?: GitLabSubject;
  problem?: string;
}

const KEYS = ["project_path", "ref_type", "ref"] as const;
type Key = (typeof KEYS)[number];
const isKey = (k: string): k is Key => (KEYS as readonly string[]).includes(k);

export function readGitLabSubject(subject: string): GitLabSubjectReading {
  const segs = subject.split(":");
  const first = segs[0]!;
  if (first.toLowerCase() !== "project_path") return { problem: "the subject does not start with project_path:, as every GitLab subject does" };
  let problem: string | undefined;
  const note = (p: string | undefined) => {
    problem ??= p;
  };
  const seen = new Set<Key>();
  const out: GitLabSubject = { projectPath: "" };
  for (let i = 0; i < segs.length; i += 2) {
    const seg = segs[i]!;
    const key = seg.toLowerCase();
    if (!isKey(key)) {
      note(seg === "" ? "the subject has an empty part (two ':' in a row, or a ':' at either end): matches no token" : `'${seg}' is not a claim GitLab puts in subjects: matches no token`);
      break;
    }
    if (seg !== key) note(keywordCaseProblem(seg, key));
    if (seen.has(key)) note(`'${key}' appears twice: matches no token`);
    seen.add(key);
    const value = segs[i + 1];
    if (value === undefined || value === "") {
      note(`'${seg}' has no value: matches no token`);
      break;
    }
    note(literalWildcardProblem(value));
    if (key === "project_path") {
      out.projectPath = value;
      if (!value.includes("/") || value.split("/").some((p) => p === "")) note(`'project_path:${value}' is not GROUP/PROJECT: matches no token`);
    } else if (key === "ref_type") {
      out.refType = value;
      if (value !== "branch" && value !== "tag") note(value.toLowerCase() === "branch" || value.toLowerCase() === "tag" ? keywordCaseProblem(value, value.toLowerCase()) : `ref_type '${value}' is not one GitLab issues (branch or tag): matches no token`);
    } else {
      out.ref = value;
      // GitLab's ref is the bare name, and GitLab refuses branch and tag names that start like a full ref.
      if (/^refs\/(?:heads|tags|remotes)\//.test(value)) note(`'ref:${value}' is a full ref, but GitLab's ref claim is the bare branch or tag name (ref:${value.replace(/^refs\/[a-z]+\//, "")}): matches no token`);
    }
  }
  return problem === undefined ? { subject: out } : { subject: out, problem };
}

export function parseGitLabSubject(subject: string): GitLabSubject | undefined {
  return readGitLabSubject(subject).subject;
}

export function describeGitLabSubject(s: GitLabSubject): string {
  const project = `GitLab project '${s.projectPath}'`;
  if (s.ref !== undefined) return `${s.refType === "tag" ? "tag" : s.refType === "branch" ? "branch" : "ref"} '${s.ref}' of ${project}`;
  if (s.refType !== undefined) return `every ${s.refType} of ${project}`;
  return `every pipeline of ${project}`;
}
