/**
 * The trustscope GitHub Action: a thin front end over the CLI's `runScan`. It runs the scan,
 * writes the SARIF report, the step's outputs and the job summary, creates a check run with
 * annotations on the pull request's head commit, and fails the step by `fail-on`.
 *
 * Loaded by src/index.ts (the entry point); scripts/build.ts bundles both into dist/, and the runner
 * executes dist/index.js with `node`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Octokit } from "@octokit/rest";
import { Redactor, UsageError, atLeast, errorMessage, gapLines, highestSeverity, mdText, terminalLines, terminalText } from "@trustscope/core";
import { runScan, type ScanResult } from "@trustscope/cli/scan";
import type { Io } from "@trustscope/cli/io";
import { annotationsOf, checkRunContent, countedFindings, publishCheckRun, type Published } from "./check-run.ts";
import { readInputs, type ActionInputs } from "./inputs.ts";
import { appendSummary, commitTarget, runUrl, workflowCommand, writeOutputs } from "./runner.ts";

/** Environment variables whose values must never be printed (the CLI's list, plus GitHub's). */
const SECRET_VARIABLES = ["BUILDKITE_API_TOKEN", "TRUSTSCOPE_GRAPH_TOKEN", "TRUSTSCOPE_ARM_TOKEN", "AZURE_CLIENT_SECRET", "BUILDKITE_AGENT_ACCESS_TOKEN", "GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"];
/** How long one GitHub API request may take. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Workflow-command annotations when no check run could be created (GitHub shows 10 errors and 10 warnings per step; the step's own messages need room too). */
const FALLBACK_ANNOTATIONS = 8;
/** GitHub's limit on one step's job summary is 1 MiB; stay under it. */
const SUMMARY_LIMIT_BYTES = 1_000_000;

interface Log {
  out(text: string): void;
  err(text: string): void;
}

/** A failed check-run request: an HTTP status when GitHub answered. */
function statusOf(e: unknown): number | undefined {
  const status = e && typeof e === "object" ? (e as { status?: unknown }).status : undefined;
  return typeof status === "number" ? status : undefined;
}

function why(e: unknown): string {
  const status = statusOf(e);
  // Octokit reports a request that got no answer (refused, timed out) as status 500 without a response.
  const answered = status !== undefined && e && typeof e === "object" && (e as { response?: unknown }).response !== undefined;
  return `${answered ? `HTTP ${status}: ` : status !== undefined ? "no answer: " : ""}${errorMessage(e)}`;
}

/** Why no check run was created, for the log and for the job summary (what GitHub answered is data, escaped for each). */
interface Problem {
  text: string;
  markdown: string;
}

function problem(words: (data: (s: string) => string) => string): Problem {
  return { text: words(terminalText), markdown: words(mdText) };
}

const notCreated = (e: unknown): Problem => problem((data) => `the check run could not be created (${data(why(e))})`);

function truncateBytes(text: string, limit: number, note: string): string {
  if (Buffer.byteLength(text, "utf8") <= limit) return text;
  const lines = text.split("\n");
  const kept: string[] = [];
  let size = Buffer.byteLength(note, "utf8") + 2;
  for (const line of lines) {
    const n = Buffer.byteLength(line, "utf8") + 1;
    if (size + n > limit) break;
    kept.push(line);
    size += n;
  }
  return `${kept.join("\n")}\n\n${note}\n`;
}

async function createCheckRun(env: NodeJS.ProcessEnv, inputs: ActionInputs, result: ScanResult, redactor: Redactor, log: Log, startedAt: Date): Promise<{ published?: Published; problem?: Problem }> {
  if (!inputs.token) return { problem: problem(() => "no github-token was given, so no check run was created") };
  const target = commitTarget(env);
  if (!target) return { problem: problem(() => "GITHUB_REPOSITORY and GITHUB_SHA are not set, so there is no commit to create a check run on") };
  const detailsUrl = runUrl(env);
  const octokit = new Octokit({
    auth: inputs.token,
    ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
    userAgent: "trustscope-action",
    // Octokit's own request log would repeat what this action reports; keep its deprecation warnings.
    log: { debug: () => undefined, info: () => undefined, warn: (m: string) => log.err(`${m}\n`), error: () => undefined },
  });
  octokit.hook.before("request", (options) => {
    options.request = { ...options.request, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  });
  const content = checkRunContent(result, { repo: inputs.repo, redactor, ...(detailsUrl ? { detailsUrl } : {}) });
  try {
    const published = await publishCheckRun(octokit, { owner: target.owner, repo: target.repo, headSha: target.headSha, name: inputs.checkName, ...(detailsUrl ? { detailsUrl } : {}) }, content, startedAt);
    log.out(`trustscope: check run '${inputs.checkName}' (id ${published.id}) on ${target.headSha} from ${target.shaSource}: ${content.conclusion}, ${published.annotations} annotation(s)\n`);
    if (published.partialError !== undefined) {
      log.out(workflowCommand("warning", `trustscope: only ${published.annotations} of ${content.annotations.length} annotations could be added to the check run (${why(published.partialError)}); the job summary and the SARIF report have every finding.`));
    }
    return { published };
  } catch (e) {
    const status = statusOf(e);
    if (status === 403 || status === 404) {
      return {
        problem: problem(
          (data) =>
            `the check run could not be created (${data(why(e))}): the token lacks the \`checks: write\` permission. ` +
            "That is expected for pull requests from forks (GitHub gives them a read-only token) and for personal access tokens, which cannot create check runs; otherwise add `permissions: checks: write` to the job.",
        ),
      };
    }
    return { problem: notCreated(e) };
  }
}

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const startedAt = new Date();
  const redactor = new Redactor();
  for (const name of SECRET_VARIABLES) redactor.add(env[name]);
  redactor.add(env["INPUT_GITHUB-TOKEN"]?.trim());
  // The log is a terminal of sorts (GitHub renders ANSI codes in it): no control character from
  // data reaches it, and no secret; our own lines and workflow commands keep their line breaks.
  const log: Log = { out: (t) => process.stdout.write(terminalLines(redactor.redact(t))), err: (t) => process.stderr.write(terminalLines(redactor.redact(t))) };
  const fail = (message: string): void => log.out(workflowCommand("error", message, { title: "trustscope" }));

  let inputs: ActionInputs;
  let result: ScanResult;
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  try {
    inputs = readInputs(env);
    const args = ["--repo", inputs.repo, ...(inputs.config ? ["--config", inputs.config] : []), "--fail-on", inputs.failOn, ...inputs.args];
    // `args: --github-repo ${{ github.repository }}` reads GitHub with the action's own token
    // unless the workflow gives GITHUB_TOKEN itself (already redacted: it is the input's value).
    const scanEnv = inputs.token && !env.GITHUB_TOKEN ? { ...env, GITHUB_TOKEN: inputs.token } : env;
    const io: Io = { stdout: log.out, stderr: log.err, stdoutIsTTY: false, stderrIsTTY: false, env: scanEnv, cwd: workspace };
    log.out(`trustscope: scan ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")}\n`);
    result = await runScan(args, io, redactor);
  } catch (e) {
    if (e instanceof UsageError) {
      fail(`trustscope: ${redactor.redact(e.message)}`);
      return 2;
    }
    fail(`trustscope: internal error: ${redactor.redact(errorMessage(e))}`);
    if (env.TRUSTSCOPE_DEBUG && e instanceof Error) log.err(`${e.stack}\n`);
    return 1;
  }

  const { report } = result;
  const counted = countedFindings(result);
  const sarifPath = resolve(workspace, inputs.sarifFile);
  try {
    mkdirSync(dirname(sarifPath), { recursive: true });
    writeFileSync(sarifPath, redactor.redact(result.render("sarif")));
  } catch (e) {
    fail(`trustscope: cannot write the SARIF report to ${inputs.sarifFile}: ${errorMessage(e)}`);
    return 1;
  }
  const highest = highestSeverity(report) ?? "none";
  const outputs = { "sarif-file": sarifPath, findings: String(counted.length), "highest-severity": highest };
  if (!writeOutputs(env, outputs)) log.out(`trustscope: GITHUB_OUTPUT is not set; outputs: ${JSON.stringify(outputs)}\n`);
  log.out(`trustscope: ${counted.length} finding(s), highest severity ${highest}; SARIF report written to ${inputs.sarifFile}\n`);

  const check = await createCheckRun(env, inputs, result, redactor, log, startedAt).catch((e: unknown) => ({ problem: notCreated(e), published: undefined }));
  const notes: string[] = [];
  if (check.problem) {
    log.out(workflowCommand("warning", `trustscope: ${check.problem.text.replace(/\.?$/, ".")} The job summary, the SARIF report and the outputs are written as usual.`, { title: "trustscope: no check run" }));
    notes.push(`> [!NOTE]\n> No check run: ${check.problem.markdown.replace(/\.?$/, ".")}`);
    // Without a check run, annotate the most severe located findings through workflow commands.
    for (const a of annotationsOf(result).slice(0, FALLBACK_ANNOTATIONS)) {
      const level = a.annotation_level === "failure" ? "error" : a.annotation_level === "warning" ? "warning" : "notice";
      log.out(workflowCommand(level, a.message, { ...(a.title !== undefined ? { title: a.title } : {}), file: a.path, line: a.start_line, endLine: a.end_line }));
    }
  }

  const summary = [redactor.redact(result.render("markdown")), ...notes.map((n) => redactor.redact(n))].join("\n\n");
  if (!appendSummary(env, truncateBytes(summary, SUMMARY_LIMIT_BYTES, "_…the rest is left out (GitHub's limit on a job summary is 1 MiB); the SARIF report has every finding._"))) {
    log.out("trustscope: GITHUB_STEP_SUMMARY is not set; no job summary written\n");
  }

  if (result.exitCode === 3) {
    fail(`trustscope: the scan is incomplete (${report.coverage.gaps.length} coverage gap(s)); whatever was found is reported, but an incomplete scan never passes.`);
    for (const line of gapLines(report.coverage.gaps)) log.out(`${line}\n`);
    return 1;
  }
  if (result.exitCode === 1) {
    const failOn = result.failOn;
    const failing = failOn === "never" ? 0 : counted.filter((f) => atLeast(f.severity, failOn)).length;
    fail(`trustscope: ${failing} finding(s) at or above fail-on '${failOn}'; see the job summary${check.published ? ` and the check run '${inputs.checkName}'` : ""}.`);
    return 1;
  }
  return 0;
}

process.exitCode = await run();
