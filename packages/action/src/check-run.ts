/**
 * The check run: its title, Markdown summary and annotations are a presentation of the scan's
 * report (no judging here: severities, counts and the exit code all come from `runScan`), and
 * publishing pages the annotations 50 per request as the Checks API requires.
 */
import { SEVERITIES, atLeast, mdCode, mdText, terminalText, type Finding, type Redactor, type Severity } from "@trustscope/core";
import type { ScanResult } from "@trustscope/cli/scan";
import type { Octokit, RestEndpointMethodTypes } from "@octokit/rest";

/** GitHub's limit on `output.summary` and `output.text`. */
export const OUTPUT_LIMIT = 65_535;
/** The Checks API takes at most this many annotations per request. */
export const ANNOTATIONS_PER_REQUEST = 50;
/** Findings listed by name in the check run's summary. */
const TOP_FINDINGS = 10;

type CreateParams = RestEndpointMethodTypes["checks"]["create"]["parameters"];
type UpdateParams = RestEndpointMethodTypes["checks"]["update"]["parameters"];
export type Annotation = NonNullable<NonNullable<CreateParams["output"]>["annotations"]>[number];
export type Conclusion = "success" | "failure";

export interface CheckRunContent {
  conclusion: Conclusion;
  title: string;
  summary: string;
  text: string;
  annotations: Annotation[];
}

const LEVEL: Record<Severity, Annotation["annotation_level"]> = {
  critical: "failure",
  high: "failure",
  medium: "warning",
  low: "notice",
  info: "notice",
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Joins lines, dropping whole lines from the end (with a note) so the result fits `limit`. */
export function fitLines(lines: string[], limit: number, note: (dropped: number) => string): string {
  const all = lines.join("\n");
  if (all.length <= limit) return all;
  const kept: string[] = [];
  let size = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const tail = note(lines.length - i);
    if (size + line.length + 1 + tail.length + 1 > limit) {
      kept.push(tail);
      break;
    }
    kept.push(line);
    size += line.length + 1;
  }
  return kept.join("\n");
}

/** Counted (not suppressed) findings, in report order (severity first). */
export function countedFindings(result: ScanResult): Finding[] {
  return result.report.findings.filter((f) => !f.suppression);
}

function countsText(result: ScanResult): string {
  const parts = SEVERITIES.filter((s) => result.report.summary[s] > 0).map((s) => `${result.report.summary[s]} ${s}`);
  return parts.join(", ");
}

export function checkTitle(result: ScanResult): string {
  const n = countedFindings(result).length;
  const counts = n === 0 ? "no findings" : `${plural(n, "finding")} (${countsText(result)})`;
  if (result.exitCode === 3) return `Incomplete scan: ${plural(result.report.coverage.gaps.length, "coverage gap")}, ${counts}`;
  if (result.exitCode === 1) {
    const failing = countedFindings(result).filter((f) => result.failOn !== "never" && atLeast(f.severity, result.failOn)).length;
    return `${plural(failing, "finding")} at or above ${result.failOn}${failing === n ? "" : ` (${n} in all)`}`;
  }
  return n === 0 ? "No findings" : `${counts[0]!.toUpperCase()}${counts.slice(1)}, none at or above ${result.failOn === "never" ? "the threshold (fail-on: never)" : result.failOn}`;
}

export function conclusionOf(result: ScanResult): Conclusion {
  return result.exitCode === 0 ? "success" : "failure";
}

/** The check run's summary: counts, the top findings, coverage gaps; under 65535 characters. */
export function checkSummary(result: ScanResult, opts: { repo: string; detailsUrl?: string }): string {
  const { report } = result;
  const counted = countedFindings(result);
  const suppressed = report.findings.length - counted.length;
  const head = [
    `**trustscope ${mdText(report.tool.version)}** scanned ${mdCode(opts.repo)} with fail-on ${mdCode(result.failOn)}: ${plural(counted.length, "finding")}${suppressed > 0 ? ` and ${suppressed} suppressed` : ""}.`,
    "",
  ];
  if (result.exitCode === 3) head.push("> [!WARNING]", "> **The scan is incomplete**: some sources could not be read, so the absence of findings there means nothing. The step fails (exit code 3).", "");
  head.push("| severity | count |", "| --- | ---: |", ...SEVERITIES.map((s) => `| ${s} | ${report.summary[s]} |`), "");

  const body: string[] = [];
  if (counted.length > 0) {
    body.push(`### Top findings`, "");
    for (const f of counted.slice(0, TOP_FINDINGS)) {
      body.push(`- **${f.severity}** ${mdCode(f.ruleId)} ${mdText(clip(f.message, 500))}${f.location ? ` (${mdCode(`${f.location.file}:${f.location.line}`)})` : ""}`);
    }
    if (counted.length > TOP_FINDINGS) body.push(`- …and ${counted.length - TOP_FINDINGS} more: see the annotations, the job summary and the SARIF report.`);
    body.push("");
  }
  if (report.coverage.gaps.length > 0) {
    body.push("### Coverage gaps", "");
    for (const g of report.coverage.gaps) body.push(`- ${mdText(g.source)} ${mdCode(g.scope)}: ${mdText(clip(g.error, 1000))}`);
    body.push("");
  }
  if (opts.detailsUrl) body.push(`[Full report in the job summary](${opts.detailsUrl})`);
  return fitLines([...head, ...body], OUTPUT_LIMIT, (d) => `_…${plural(d, "more line")} left out (GitHub's limit on a check run summary); the job summary has the full report._`);
}

/** A path GitHub can place an annotation at: relative, inside the repository. */
function inRepository(file: string): boolean {
  return file !== "" && !file.startsWith("/") && !/^[A-Za-z]:/.test(file) && !file.split(/[\\/]/).includes("..");
}

/**
 * One annotation per counted finding with a file location in the repository; cloud findings have
 * none (a path outside the workspace would make GitHub reject the whole request). Annotations are
 * plain text that also reaches the log as workflow commands: data keeps to its line, control
 * characters made visible.
 */
export function annotationsOf(result: ScanResult): Annotation[] {
  return countedFindings(result)
    .filter((f): f is Finding & { location: NonNullable<Finding["location"]> } => f.location !== undefined && f.location.line >= 1 && inRepository(f.location.file))
    .map((f) => ({
      path: f.location.file,
      start_line: f.location.line,
      end_line: f.location.line,
      annotation_level: LEVEL[f.severity],
      title: clip(terminalText(f.ruleId), 255),
      message: clip(`${terminalText(f.message)}\n\nFix: ${terminalText(f.remediation)}`, 60_000),
      ...(f.evidence.length > 0 ? { raw_details: clip(f.evidence.map(terminalText).join("\n"), 60_000) } : {}),
    }));
}

export function checkRunContent(result: ScanResult, opts: { repo: string; detailsUrl?: string; redactor: Redactor }): CheckRunContent {
  const r = (s: string) => opts.redactor.redact(s);
  const markdown = r(result.render("markdown"));
  return {
    conclusion: conclusionOf(result),
    title: r(checkTitle(result)),
    summary: r(checkSummary(result, opts)),
    text: fitLines(markdown.split("\n"), OUTPUT_LIMIT, (d) => `_…${plural(d, "more line")} left out (GitHub's limit on a check run's text); the job summary has the full report._`),
    annotations: annotationsOf(result).map((a) => ({
      ...a,
      message: r(a.message),
      ...(a.title !== undefined ? { title: r(a.title) } : {}),
      ...(a.raw_details !== undefined ? { raw_details: r(a.raw_details) } : {}),
    })),
  };
}

export interface PublishTarget {
  owner: string;
  repo: string;
  headSha: string;
  name: string;
  detailsUrl?: string;
}

export interface Published {
  id: number;
  /** Annotations GitHub accepted (fewer than planned when an update failed). */
  annotations: number;
  /** Set when appending annotations failed part way; the check run was still completed. */
  partialError?: unknown;
}

function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Creates the check run with the first 50 annotations, appends the rest with updates of 50, and
 * completes it with the conclusion on the last request. With 50 or fewer annotations the single
 * create request is already completed. Throws what the create request throws (403 without
 * `checks: write`); a failing update completes the run without the remaining annotations.
 */
export async function publishCheckRun(octokit: Octokit, target: PublishTarget, content: CheckRunContent, startedAt: Date): Promise<Published> {
  const chunks: Annotation[][] = [];
  for (let i = 0; i < content.annotations.length; i += ANNOTATIONS_PER_REQUEST) chunks.push(content.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  const [first = [], ...rest] = chunks;
  const output = { title: content.title, summary: content.summary, text: content.text };
  const done = () => ({ status: "completed" as const, conclusion: content.conclusion, completed_at: isoSeconds(new Date()) });

  const create: CreateParams = {
    owner: target.owner,
    repo: target.repo,
    name: target.name,
    head_sha: target.headSha,
    started_at: isoSeconds(startedAt),
    ...(target.detailsUrl ? { details_url: target.detailsUrl } : {}),
    ...(rest.length === 0 ? done() : { status: "in_progress" as const }),
    output: { ...output, ...(first.length > 0 ? { annotations: first } : {}) },
  };
  const { data } = await octokit.rest.checks.create(create);
  const id = data.id;
  let annotations = first.length;
  for (let i = 0; i < rest.length; i++) {
    const chunk = rest[i]!;
    const last = i === rest.length - 1;
    const update: UpdateParams = {
      owner: target.owner,
      repo: target.repo,
      check_run_id: id,
      ...(last ? done() : {}),
      output: { ...output, annotations: chunk },
    };
    try {
      await octokit.rest.checks.update(update);
      annotations += chunk.length;
    } catch (e) {
      // Do not leave the run in progress forever: complete it without the remaining annotations.
      await octokit.rest.checks.update({ owner: target.owner, repo: target.repo, check_run_id: id, ...done(), output });
      return { id, annotations, partialError: e };
    }
  }
  return { id, annotations };
}
