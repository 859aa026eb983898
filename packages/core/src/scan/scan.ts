/**
 * One call from an inventory to a finished scan: evaluate a rule set under a policy, mark
 * findings against a baseline, and render the report in any format. The CLI, the GitHub Action
 * and library users all go through here, so they judge alike.
 */
import { evaluate, exitCodeFor, type Evaluation, type EvaluationInput, type FailOn } from "../engine/evaluate.ts";
import type { RuleMeta } from "../engine/rule.ts";
import { applyBaseline, type Baseline } from "../policy/baseline.ts";
import { renderJson } from "../report/json.ts";
import { renderMarkdown } from "../report/markdown.ts";
import { buildReport, type Report } from "../report/report.ts";
import { renderSarif, type SarifOptions } from "../report/sarif.ts";
import { renderTable } from "../report/table.ts";
import type { Redactor } from "../util/redactor.ts";

export const REPORT_FORMATS = ["table", "json", "sarif", "markdown", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
/** The formats `ScanOutcome.render` writes; HTML is `renderScanHtml` of `@trustscope/core/html`. */
export type TextReportFormat = Exclude<ReportFormat, "html">;

export interface ScanInput extends EvaluationInput {
  /** An earlier JSON report (see `parseBaseline`): findings are marked new or unchanged. */
  baseline?: Baseline;
  /** The version written into reports (`tool.version`, SARIF `driver.version`). */
  toolVersion?: string;
  /**
   * Documentation for rules whose metadata carries none, by id: the engine's own diagnostics
   * (`engineRules` of `@trustscope/rules`). Reporters use it for SARIF help and Markdown.
   */
  documentation?: readonly RuleMeta[];
  /**
   * Secrets to keep out of the report. The inventory is redacted before it is evaluated and the
   * report (findings, coverage gaps, absent findings) before it is rendered, so no reporter's
   * escaping can change a secret's spelling before anything recognises it.
   */
  redactor?: Redactor;
}

export interface RenderOptions {
  /** ANSI colour in the table format. */
  color?: boolean;
  /**
   * Where SARIF results without a file point (default: the policy file, else `trustscope.yaml`)
   * and the line of each fact in it, and the tool's home page.
   */
  sarif?: Partial<SarifOptions>;
  /** How the table prints a location's file (default: as in the report, relative to the repository root). */
  fileText?: (file: string) => string;
}

export interface ScanOutcome {
  evaluation: Evaluation;
  report: Report;
  /** Metadata of every rule that ran, with its documentation. */
  rules: RuleMeta[];
  /** When the inventory was read (its `collectedAt`), else when the scan ran; ISO 8601. The HTML page's header shows it. */
  scannedAt: string;
  /** The Buildkite organisation's slug, when the inventory has one. The HTML page's title names it. */
  organization?: string;
  /** Exit code per the CLI contract: 3 incomplete (wins), 1 findings at or above `failOn`, else 0. */
  exitCode(failOn: FailOn, opts?: { onlyNew?: boolean }): 0 | 1 | 3;
  render(format: TextReportFormat, opts?: RenderOptions): string;
}

/** Where SARIF anchors findings that have no file of their own (GitHub needs a file). */
export const DEFAULT_SARIF_ANCHOR = "trustscope.yaml";

/**
 * Evaluate `rules` over the inventory under the policy and return the report and its renderers
 * (the HTML page, with the trust map, is `renderScanHtml` of `@trustscope/core/html`).
 */
export function scan(input: ScanInput): ScanOutcome {
  const { redactor } = input;
  // One clock for the rules and the report's time.
  const now = input.now ?? new Date();
  const evaluation = evaluate({ ...input, now, ...(redactor ? { inventory: redactor.redactDeep(input.inventory) } : {}) });
  let report = buildReport(evaluation, input.toolVersion ?? "0.0.0");
  if (input.baseline) report.absent = applyBaseline(report.findings, input.baseline);
  // Findings from repository files and earlier reports carry text the inventory did not.
  if (redactor) report = redactor.redactDeep(report);
  const documented = new Map((input.documentation ?? []).map((m) => [m.id, m]));
  const rules = evaluation.rules.map((m) => {
    const docs = m.docs ?? documented.get(m.id)?.docs;
    return docs === m.docs ? m : { ...m, docs };
  });
  return {
    evaluation,
    report,
    rules,
    // From the evaluated (redacted) inventory, like everything else the report shows.
    scannedAt: evaluation.graph.inventory.collectedAt ?? now.toISOString(),
    ...(evaluation.graph.inventory.buildkite ? { organization: evaluation.graph.inventory.buildkite.organization.slug } : {}),
    exitCode: (failOn, opts = {}) => exitCodeFor(report, failOn, opts),
    render(format, opts = {}) {
      if (format === "json") return renderJson(report);
      if (format === "markdown") return renderMarkdown(report, rules);
      if (format === "sarif") {
        return renderSarif(report, rules, { anchorFile: input.policy?.file ?? DEFAULT_SARIF_ANCHOR, ...opts.sarif });
      }
      if ((format as string) === "html") throw new TypeError("the HTML report is renderScanHtml(outcome) of @trustscope/core/html");
      return renderTable(report, { color: Boolean(opts.color), ...(opts.fileText ? { fileText: opts.fileText } : {}) });
    },
  };
}
