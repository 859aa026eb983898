import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  SEVERITIES,
  UsageError,
  buildReport,
  checkPolicyRuleIds,
  evaluate,
  exitCodeFor,
  JsonLocator,
  parseInventory,
  parsePolicy,
  renderJson,
  renderMarkdown,
  renderSarif,
  renderTable,
  type FailOn,
  type Policy,
} from "@trustscope/core";
import { builtinRules } from "@trustscope/rules";
import { oneOf, parse } from "../args.ts";
import { readText, useColor, writeText, type Io } from "../io.ts";
import { HOMEPAGE, VERSION } from "../version.ts";
import { allRuleMetas } from "../rule-set.ts";

export const SCAN_HELP = `Usage: trustscope scan [source] [options]

Sources (one of):
  --snapshot FILE          evaluate a snapshot written by 'trustscope collect'
  --demo                   scan the bundled demo organisation (no credentials, no network)

Policy and output:
  --config FILE            policy file (default: trustscope.yaml in the working directory, if present)
  --format FORMAT          table | json | sarif | markdown (default: table)
  -o, --output FILE        write the report to FILE instead of stdout
  --fail-on SEVERITY       critical | high | medium | low | info | never (default: high)
  -q, --quiet              no progress or warnings on stderr

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or configuration error,
3 incomplete scan (some source could not be read fully; wins over 1), 4 internal error.
`;

export const DEMO_SNAPSHOT = fileURLToPath(new URL("../../demo/organisation.json", import.meta.url));

/** Options of the contract that later releases implement; named so the error is precise. */
const NOT_YET: Record<string, string> = {
  "buildkite-org": "live collection",
  "buildkite-graphql-url": "live collection",
  tenant: "live collection",
  subscription: "live collection",
  cloud: "live collection",
  "graph-url": "live collection",
  "arm-url": "live collection",
  repo: "the repository scan",
  baseline: "baselines",
  "fail-on-new": "baselines",
  "buildkite-annotate": "Buildkite annotations",
  "no-buildkite-annotate": "Buildkite annotations",
};

const FORMATS = ["table", "json", "sarif", "markdown"] as const;
const FAIL_ON = [...SEVERITIES, "never"] as const;

export function loadPolicy(configFlag: string | undefined, io: Io): Policy | undefined {
  const path = configFlag ?? (existsSync(resolve(io.cwd, "trustscope.yaml")) ? "trustscope.yaml" : undefined);
  if (!path) return undefined;
  const policy = parsePolicy(readText(resolve(io.cwd, path), "the policy file"), path);
  checkPolicyRuleIds(policy, builtinRules.map((r) => r.meta.id));
  if (policy.rules.length > 0) {
    throw new UsageError(`${path}: 'rules' (custom rule packs) is not supported by this version of trustscope yet`);
  }
  return policy;
}

export function scanCommand(args: string[], io: Io): number {
  const { values, positionals } = parse("scan", args, {
    snapshot: { type: "string" },
    demo: { type: "boolean" },
    config: { type: "string" },
    format: { type: "string" },
    output: { type: "string", short: "o" },
    "fail-on": { type: "string" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
    ...Object.fromEntries(Object.keys(NOT_YET).map((k) => [k, { type: "string" as const, multiple: true }])),
  });
  if (values.help) {
    io.stdout(SCAN_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`scan: unexpected argument '${positionals[0]}'`);
  for (const [flag, feature] of Object.entries(NOT_YET)) {
    if ((values as Record<string, unknown>)[flag] !== undefined) {
      throw new UsageError(`--${flag}: ${feature} is not available in this version of trustscope yet; scan a snapshot (--snapshot FILE) or the demo (--demo)`);
    }
  }
  const format = oneOf("--format", values.format, FORMATS, "table");
  const failOn: FailOn = oneOf("--fail-on", values["fail-on"], FAIL_ON, "high");
  if (values.demo && values.snapshot) throw new UsageError("give either --demo or --snapshot, not both");
  const snapshotPath = values.demo ? DEMO_SNAPSHOT : values.snapshot ? resolve(io.cwd, values.snapshot) : undefined;
  if (!snapshotPath) throw new UsageError("nothing to scan: give --snapshot FILE or --demo (see 'trustscope scan --help')");
  const progress = (line: string) => {
    if (!values.quiet && io.stderrIsTTY) io.stderr(`${line}\n`);
  };

  const policy = loadPolicy(values.config, io);
  const displayPath = relative(io.cwd, snapshotPath) || snapshotPath;
  const text = readText(snapshotPath, "the snapshot");
  const inventory = parseInventory(text, displayPath);
  progress(
    `trustscope: ${displayPath}: ${inventory.buildkite?.pipelines.length ?? 0} pipelines, ${inventory.entra?.applications.length ?? 0} app registrations, ${inventory.azure?.roleAssignments.length ?? 0} role assignments`,
  );
  const evaluation = evaluate({ inventory, rules: builtinRules, ...(policy ? { policy } : {}) });
  const report = buildReport(evaluation, VERSION);
  for (const f of report.findings) {
    if (f.ruleId === "expired-suppression" && !values.quiet) io.stderr(`trustscope: warning: ${f.location ? `${f.location.file}:${f.location.line}: ` : ""}${f.message}\n`);
  }

  // The engine's own diagnostics carry no documentation; the rule set has it for every id.
  const documented = new Map(allRuleMetas().map((m) => [m.id, m]));
  const metas = evaluation.rules.map((m) => ({ ...m, docs: documented.get(m.id)?.docs ?? m.docs }));
  let out: string;
  if (format === "json") out = renderJson(report);
  else if (format === "markdown") out = renderMarkdown(report, metas);
  else if (format === "sarif") {
    const locator = new JsonLocator(text);
    out = renderSarif(report, metas, { anchorFile: displayPath, lineOf: (p) => locator.lineOf(p), informationUri: HOMEPAGE });
  } else out = renderTable(report, { color: !values.output && useColor(io, io.stdoutIsTTY) });

  if (values.output) writeText(resolve(io.cwd, values.output), out);
  else io.stdout(out);

  if (!report.coverage.complete && !values.quiet && (format !== "table" || values.output)) {
    io.stderr(`trustscope: the scan is incomplete (${report.coverage.gaps.length} coverage gap(s)); exit code 3\n`);
    for (const g of report.coverage.gaps) io.stderr(`  - ${g.source} ${g.scope}: ${g.error}\n`);
  }
  return exitCodeFor(evaluation, failOn);
}
