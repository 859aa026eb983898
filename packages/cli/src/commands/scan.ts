import { resolve } from "node:path";
import {
  REPORT_FORMATS,
  SEVERITIES,
  UsageError,
  parseBaseline,
  scan,
  terminalText,
  type Evaluation,
  type FailOn,
  type Redactor,
  type Report,
  type ReportFormat,
  type TextReportFormat,
} from "@trustscope/core";
import { oneOf, parse } from "../args.ts";
import { readText, useColor, writeText, type Io } from "../io.ts";
import { hasLiveFlags, LIVE_HELP, LIVE_OPTIONS, liveOptions, liveValues, progressReporter, tuningNotes, type LiveValues } from "../live.ts";
import { annotateBuild, annotationFor, annotationMode } from "../buildkite/annotate.ts";
import { loadRuleSet } from "../rule-set.ts";
import { noteLines, repoFileText } from "../repo-notes.ts";
import { collectDemo, collectLive, emptyInventory, incompleteNote, loadRepoSource, loadSnapshot, withTerraformPlans, type LoadedInventory } from "../sources.ts";
import { HOMEPAGE, VERSION } from "../version.ts";

export const SCAN_HELP = `Usage: trustscope scan [source] [options]

Sources:
  --repo DIR               scan a repository's pipeline files, scripts and templates; combines with
                           any source below, whose inventory its findings are cross-checked against
  --snapshot FILE          evaluate a snapshot written by 'trustscope collect'
  --demo                   scan the bundled demo organisation through the real collectors and the
                           bundled loopback emulator (no credentials, no network)
  --terraform-plan FILE    repeatable: a Terraform plan as JSON ('terraform show -json tfplan'), judged
                           as it will be once applied; alone or beside any source above
  (live)                   read the APIs directly, see below

${LIVE_HELP}
Policy and output:
  --config FILE            policy file (default: trustscope.yaml in the working directory, if present)
  --format FORMAT          table | json | sarif | markdown | html (default: table); html is one
                           self-contained page with the findings and an interactive trust map
  -o, --output FILE        write the report to FILE instead of stdout
  --fail-on SEVERITY       critical | high | medium | low | info | never (default: high)
  --baseline FILE          an earlier JSON report: findings are marked new or unchanged (by
                           fingerprint) and the report lists the absent ones
  --fail-on-new            only new findings count for the exit code (needs --baseline)
  -q, --quiet              no progress or warnings on stderr
  -v, --verbose            list every note about the repository on stderr (by default: counts by
                           kind and the first few)

Buildkite:
  --buildkite-annotate     annotate the build with the Markdown report through 'buildkite-agent
                           annotate' (context 'trustscope', style from the highest severity: error,
                           warning, info, or success when clean; cut to fit Buildkite's 1 MiB limit);
                           automatic when BUILDKITE=true and buildkite-agent is on PATH. In addition
                           to --format/-o; a failed annotation is a warning and keeps the exit code
  --no-buildkite-annotate  never annotate (the last of the two flags wins)

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or configuration error,
3 incomplete scan (some source could not be read fully; wins over 1), 4 internal error.
`;


const FORMATS = REPORT_FORMATS;
const FAIL_ON = [...SEVERITIES, "never"] as const;

export const SCAN_OPTIONS = {
  snapshot: { type: "string" },
  demo: { type: "boolean" },
  repo: { type: "string" },
  "terraform-plan": { type: "string", multiple: true },
  config: { type: "string" },
  format: { type: "string" },
  output: { type: "string", short: "o" },
  "fail-on": { type: "string" },
  quiet: { type: "boolean", short: "q" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
  "buildkite-annotate": { type: "boolean" },
  "no-buildkite-annotate": { type: "boolean" },
  ...LIVE_OPTIONS,
  baseline: { type: "string" },
  "fail-on-new": { type: "boolean" },
} as const;

export type ScanFormat = ReportFormat;

/** What a scan reads. Paths are relative to the working directory (`io.cwd`). */
export interface ScanSources {
  /** A repository's directory; combines with any one of the others, or stands alone. */
  repo?: string;
  /** Terraform plans as JSON (`terraform show -json`); they combine with any source, or stand alone. */
  terraformPlans?: string[];
  /** A snapshot written by `trustscope collect`. */
  snapshot?: string;
  /** The bundled demo organisation, through the real collectors and the loopback emulator. */
  demo?: boolean;
  /** Live flags as given (the environment fills in the rest); `cloud` also names the cloud of a repository-only scan. */
  live?: LiveValues;
}

/** A scan's typed options: what to read, which policy applies, and what fails the scan. */
export interface ScanOptions {
  sources: ScanSources;
  /** The policy file (default: trustscope.yaml in the working directory, if present). */
  config?: string;
  /** Default high. */
  failOn?: FailOn;
  /** An earlier JSON report: findings are marked new or unchanged. */
  baseline?: string;
  /** Only new findings count for the exit code (needs `baseline`). */
  failOnNew?: boolean;
  /** No progress or warnings on stderr. */
  quiet?: boolean;
  /** Every note about the repository on stderr, not a summary. */
  verbose?: boolean;
}

/** `scan`'s flags as parsed; other commands' parsed values hold some of them. */
export interface ScanValues extends LiveValues {
  repo?: string;
  "terraform-plan"?: string[];
  snapshot?: string;
  demo?: boolean;
  config?: string;
  "fail-on"?: string;
  baseline?: string;
  "fail-on-new"?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/**
 * No source was given: none of --repo, --snapshot, --demo or a live one. Each command words it
 * for itself (its prefix, and its own --help).
 */
export class NothingToScanError extends UsageError {
  constructor(prefix = "nothing to scan", command = "scan") {
    super(`${prefix}: give --repo DIR, --snapshot FILE, --demo, or live options (see 'trustscope ${command} --help')`);
  }
}

/** A finished scan: the report, and how to render it in any format. Front ends share this. */
export interface ScanResult {
  report: Report;
  /** The evaluation behind the report (trust graph, production classifier) for other views of it. */
  evaluation: Evaluation;
  failOn: FailOn;
  exitCode: 0 | 1 | 3;
  /** The report in a text format (what the Action and annotations use). */
  render(format: TextReportFormat, opts?: { color?: boolean }): string;
  /** The report in any format; HTML loads its renderer (and the page's assets) on demand. */
  renderAny(format: ScanFormat, opts?: { color?: boolean }): Promise<string>;
}

/** The typed options of parsed scan flags (checks --fail-on). */
export function scanOptionsFrom(values: ScanValues): ScanOptions {
  return {
    sources: { repo: values.repo, ...(values["terraform-plan"]?.length ? { terraformPlans: values["terraform-plan"] } : {}), snapshot: values.snapshot, demo: values.demo, live: liveValues(values) },
    config: values.config,
    failOn: oneOf("--fail-on", values["fail-on"], FAIL_ON, "high"),
    baseline: values.baseline,
    failOnNew: values["fail-on-new"],
    quiet: values.quiet,
    verbose: values.verbose,
  };
}

/** `scan` arguments as typed options; output flags (--format, -o) are checked but left to the caller. */
export function parseScanArgs(args: string[]): ScanOptions {
  const { values, positionals } = parse("scan", args, SCAN_OPTIONS);
  if (positionals.length > 0) throw new UsageError(`scan: unexpected argument '${positionals[0]}'`);
  oneOf("--format", values.format, FORMATS, "table");
  return scanOptionsFrom(values);
}

/** Runs a scan from `scan` arguments: `runScanWith` of `parseScanArgs`. */
export async function runScan(args: string[], io: Io, redactor: Redactor): Promise<ScanResult> {
  return runScanWith(parseScanArgs(args), io, redactor);
}

/**
 * Runs a scan: collect or load the sources, evaluate them under the policy, and return the report
 * with its renderers. Every command that needs an evaluated source comes here, so all judge alike.
 * Throws `NothingToScanError` when `options.sources` names nothing to read.
 */
export async function runScanWith(options: ScanOptions, io: Io, redactor: Redactor): Promise<ScanResult> {
  const { sources } = options;
  const failOn = options.failOn ?? "high";
  const quiet = Boolean(options.quiet);
  const live = hasLiveFlags({ ...sources.live, cloud: undefined });
  const chosen = [sources.demo && "--demo", sources.snapshot !== undefined && "--snapshot", live && "live options"].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`give one source: ${chosen.join(" or ")}, not both`);
  if (options.failOnNew && options.baseline === undefined) throw new UsageError("--fail-on-new needs --baseline FILE (an earlier JSON report)");
  const { policy, rules, metas: documentedMetas } = await loadRuleSet(options.config, io);

  const onProgress = progressReporter(io, quiet);

  const fromRepo = sources.repo !== undefined ? await loadRepoSource(sources.repo, io, sources.live?.["github-repo"]) : undefined;
  const repo = sources.terraformPlans?.length ? withTerraformPlans(fromRepo, sources.terraformPlans, io) : fromRepo;
  const loaded = await readInventory(sources, repo !== undefined, { io, redactor, quiet, onProgress });
  const { inventory } = loaded;
  if (repo && !quiet) for (const line of noteLines(repo.repo.diagnostics, { verbose: Boolean(options.verbose), root: repo.root })) io.stderr(`${line}\n`);
  if (repo && onProgress) {
    const terraform = repo.repo.terraform?.length ? `, ${repo.repo.terraform.length} Terraform configuration${repo.repo.terraform.length === 1 ? "" : "s"}` : "";
    io.stderr(`trustscope: repository: ${repo.repo.pipelines.length} pipeline files, ${repo.repo.scripts.length} scripts, ${repo.repo.templates.length} templates${terraform}\n`);
  }
  if (onProgress) {
    io.stderr(`trustscope: evaluating ${inventory.buildkite?.pipelines.length ?? 0} pipelines, ${inventory.entra?.applications.length ?? 0} app registrations, ${inventory.azure?.roleAssignments.length ?? 0} role assignments\n`);
  }

  const baseline = options.baseline !== undefined ? parseBaseline(readText(resolve(io.cwd, options.baseline), "the baseline report"), options.baseline) : undefined;
  const outcome = scan({ inventory, rules, redactor, toolVersion: VERSION, documentation: documentedMetas, ...(policy ? { policy } : {}), ...(repo ? { repo } : {}), ...(baseline ? { baseline } : {}) });
  const { report, evaluation } = outcome;
  for (const f of report.findings) {
    if (f.ruleId === "expired-suppression" && !quiet) io.stderr(`trustscope: warning: ${terminalText(`${f.location ? `${f.location.file}:${f.location.line}: ` : ""}${f.message}`)}\n`);
  }

  const render = (format: TextReportFormat, opts: { color?: boolean } = {}): string =>
    outcome.render(format, {
      color: Boolean(opts.color),
      // Without a file of the inventory's own, scan() anchors SARIF results at its default.
      sarif: { ...loaded.sarif, informationUri: HOMEPAGE },
      ...(repo ? { fileText: repoFileText(repo) } : {}),
    });
  return {
    report,
    evaluation,
    failOn,
    exitCode: outcome.exitCode(failOn, { onlyNew: Boolean(options.failOnNew) }),
    render,
    async renderAny(format, opts = {}) {
      if (format !== "html") return render(format, opts);
      const { renderScanHtml } = await import("@trustscope/core/html");
      return renderScanHtml(outcome);
    },
  };
}

/** The inventory of the one non-repository source, or an empty one beside a repository alone. */
async function readInventory(
  sources: ScanSources,
  hasRepo: boolean,
  { io, redactor, quiet, onProgress }: { io: Io; redactor: Redactor; quiet: boolean; onProgress: ReturnType<typeof progressReporter> },
): Promise<LoadedInventory> {
  const live = sources.live ?? {};
  // --concurrency and --activity tune live reads; elsewhere they would silently do nothing.
  const tuningNote = (source: string): void => {
    if (!quiet) for (const line of tuningNotes(live, source)) io.stderr(`${line}\n`);
  };
  if (sources.demo) {
    tuningNote("--demo");
    return collectDemo(io, onProgress ? { onProgress } : {});
  }
  if (sources.snapshot !== undefined) {
    tuningNote("--snapshot");
    return loadSnapshot(resolve(io.cwd, sources.snapshot), io);
  }
  const opts = await liveOptions(live, io, redactor, quiet);
  if (opts) return collectLive({ ...opts, ...(onProgress ? { onProgress } : {}) });
  if (!hasRepo) throw new NothingToScanError();
  tuningNote("--repo alone");
  return { inventory: emptyInventory(live.cloud) };
}

export async function scanCommand(args: string[], io: Io, redactor: Redactor): Promise<number> {
  const { values } = parse("scan", args, SCAN_OPTIONS);
  if (values.help) {
    io.stdout(SCAN_HELP);
    return 0;
  }
  const format = oneOf("--format", values.format, FORMATS, "table");
  const result = await runScan(args, io, redactor);
  const out = await result.renderAny(format, { color: !values.output && useColor(io, io.stdoutIsTTY) });
  if (values.output) writeText(resolve(io.cwd, values.output), redactor.redact(out));
  else io.stdout(out);

  const { report } = result;
  // The table says so itself on stdout.
  if (!report.coverage.complete && !values.quiet && (format !== "table" || values.output)) incompleteNote(io, report.coverage, "scan");

  // The Buildkite annotation comes on top of the normal output and never changes the exit code.
  const mode = annotationMode(args, io.env);
  if (mode !== "off") {
    const annotation = annotationFor(report, redactor.redact(result.render("markdown")));
    const outcome = await annotateBuild(annotation, { env: io.env });
    // Automatic annotation honours -q; one that was asked for says when it failed.
    if (!outcome.ok && (mode === "explicit" || !values.quiet)) {
      io.stderr(`trustscope: warning: the Buildkite annotation failed (${terminalText(outcome.error)}); the report and exit code are unaffected\n`);
    } else if (outcome.ok && annotation.truncated && !values.quiet) {
      io.stderr("trustscope: note: the Buildkite annotation was truncated to fit Buildkite's 1 MiB limit\n");
    }
  }
  return result.exitCode;
}
