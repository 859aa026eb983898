/** The report every reporter renders: the JSON report of CONTRACT.md. */
import type { Evaluation } from "../engine/evaluate.ts";
import type { Finding, Severity } from "../model/finding.ts";
import type { Coverage } from "../model/inventory.ts";
import type { RuleMeta } from "../engine/rule.ts";
import type { BaselineFinding } from "../policy/baseline.ts";

export const TOOL_NAME = "trustscope";
export const REPORT_SCHEMA_VERSION = 1;

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: string; version: string };
  findings: Finding[];
  coverage: Coverage;
  summary: Record<Severity, number>;
  /** With --baseline: earlier findings that are gone. */
  absent?: BaselineFinding[];
}

export interface ReportContext {
  report: Report;
  /** Metadata of the rules that ran, for SARIF rule descriptors and Markdown titles. */
  rules: RuleMeta[];
}

export function buildReport(evaluation: Pick<Evaluation, "findings" | "coverage" | "summary">, version: string): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version },
    findings: evaluation.findings,
    coverage: evaluation.coverage,
    summary: evaluation.summary,
  };
}

/** The highest severity among findings that count (not suppressed), if any. */
export function highestSeverity(report: Report): Severity | undefined {
  for (const s of ["critical", "high", "medium", "low", "info"] as const) if (report.summary[s] > 0) return s;
  return undefined;
}

/** `pipeline 'x' → credential 'y' → app 'z' → /subscriptions/…` on one line. */
export function trustPath(f: Finding): string {
  const parts: string[] = [];
  if (f.pipeline) parts.push(`pipeline ${f.pipeline.slug}`);
  if (f.credential) parts.push(`credential ${f.credential.name}`);
  if (f.identity) parts.push(`${f.identity.kind === "application" ? "app" : "managed identity"} ${f.identity.displayName}`);
  if (f.scope) parts.push(f.scope);
  return parts.join(" → ");
}
