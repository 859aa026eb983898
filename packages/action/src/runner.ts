/**
 * The runner's file and log conventions, written directly (no @actions/core): workflow commands
 * on stdout, outputs in the file named by GITHUB_OUTPUT, the job summary in GITHUB_STEP_SUMMARY,
 * and the event payload at GITHUB_EVENT_PATH.
 */
import { randomUUID } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";
import { EOL } from "node:os";

/** Escapes a workflow command's message (what follows `::`). */
export function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a workflow command property value (`file=…,line=…`). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export type CommandLevel = "error" | "warning" | "notice" | "debug";

export interface AnnotationProperties {
  title?: string;
  file?: string;
  line?: number;
  endLine?: number;
}

/** `::warning file=a.yml,line=3,title=x::message` */
export function workflowCommand(level: CommandLevel, message: string, props: AnnotationProperties = {}): string {
  const p: string[] = [];
  if (props.title !== undefined) p.push(`title=${escapeProperty(props.title)}`);
  if (props.file !== undefined) p.push(`file=${escapeProperty(props.file)}`);
  if (props.line !== undefined) p.push(`line=${props.line}`);
  if (props.endLine !== undefined) p.push(`endLine=${props.endLine}`);
  return `::${level}${p.length > 0 ? ` ${p.join(",")}` : ""}::${escapeData(message)}${EOL}`;
}

/**
 * One output in the GITHUB_OUTPUT file format: `name=value`, or the heredoc form with a random
 * delimiter when the value spans lines.
 */
export function outputEntry(name: string, value: string): string {
  if (!/[\r\n]/.test(value)) return `${name}=${value}${EOL}`;
  const delimiter = `ghadelimiter_${randomUUID()}`;
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`;
}

/** Appends outputs to GITHUB_OUTPUT; false when the variable is not set (not on a runner). */
export function writeOutputs(env: NodeJS.ProcessEnv, outputs: Record<string, string>): boolean {
  const file = env.GITHUB_OUTPUT;
  if (!file) return false;
  appendFileSync(file, Object.entries(outputs).map(([k, v]) => outputEntry(k, v)).join(""), "utf8");
  return true;
}

/** Appends Markdown to the job summary; false when GITHUB_STEP_SUMMARY is not set. */
export function appendSummary(env: NodeJS.ProcessEnv, markdown: string): boolean {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  appendFileSync(file, markdown.endsWith("\n") ? markdown : `${markdown}\n`, "utf8");
  return true;
}

export interface CommitTarget {
  owner: string;
  repo: string;
  headSha: string;
  /** Where the head SHA came from, for the log. */
  shaSource: "pull_request.head.sha" | "GITHUB_SHA";
}

function readEvent(path: string | undefined): Record<string, unknown> | undefined {
  if (!path) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The commit a check run belongs on: the pull request's head commit for pull request events
 * (GITHUB_SHA is then the test merge commit, whose checks the pull request does not show), else
 * GITHUB_SHA. Undefined when the repository or the commit is unknown.
 */
export function commitTarget(env: NodeJS.ProcessEnv): CommitTarget | undefined {
  const [owner, repo, ...rest] = (env.GITHUB_REPOSITORY ?? "").split("/");
  if (!owner || !repo || rest.length > 0) return undefined;
  const event = readEvent(env.GITHUB_EVENT_PATH);
  const pr = event?.pull_request;
  const head = pr && typeof pr === "object" ? (pr as Record<string, unknown>).head : undefined;
  const sha = head && typeof head === "object" ? (head as Record<string, unknown>).sha : undefined;
  if (typeof sha === "string" && /^[0-9a-f]{40,64}$/i.test(sha)) return { owner, repo, headSha: sha, shaSource: "pull_request.head.sha" };
  if (env.GITHUB_SHA) return { owner, repo, headSha: env.GITHUB_SHA, shaSource: "GITHUB_SHA" };
  return undefined;
}

/** `https://github.com/o/r/actions/runs/123`, when the runner says where. */
export function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = env;
  return server && repository && runId ? `${server}/${repository}/actions/runs/${runId}` : undefined;
}
