/**
 * Baselines: an earlier JSON report. Findings present in it (by fingerprint) are `unchanged`,
 * the others `new`; earlier findings that are gone are listed as `absent`.
 */
import { parse, printParseErrorCode, type ParseError } from "jsonc-parser";
import type { Finding } from "../model/finding.ts";
import { UsageError } from "../util/errors.ts";
import { assertSafeJson } from "../util/json-guard.ts";
import { LineIndex } from "../util/line-index.ts";

export interface Baseline {
  file: string;
  /** The earlier findings, by fingerprint. */
  findings: Map<string, BaselineFinding>;
}

/** What is kept of an earlier finding: enough to say what went away. */
export interface BaselineFinding {
  ruleId: string;
  severity: string;
  message: string;
  fingerprint: string;
  location?: { file: string; line: number };
  scope?: string;
}

export function parseBaseline(text: string, file: string): Baseline {
  assertSafeJson(text, file, "the baseline report");
  const errors: ParseError[] = [];
  const data: unknown = parse(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length > 0) {
    throw new UsageError(`${file}:${new LineIndex(text).lineAt(errors[0]!.offset)}: not valid JSON (${printParseErrorCode(errors[0]!.error)}); --baseline takes a JSON report of trustscope`);
  }
  const report = data as { schemaVersion?: unknown; findings?: unknown };
  if (!report || typeof report !== "object" || report.schemaVersion !== 1 || !Array.isArray(report.findings)) {
    throw new UsageError(`${file}: not a trustscope JSON report (expected schemaVersion 1 and findings[]); write one with --format json`);
  }
  const findings = new Map<string, BaselineFinding>();
  report.findings.forEach((f: unknown, i: number) => {
    const x = f as Partial<BaselineFinding>;
    if (!x || typeof x.fingerprint !== "string" || typeof x.ruleId !== "string") throw new UsageError(`${file}: /findings/${i} has no fingerprint or ruleId`);
    findings.set(x.fingerprint, {
      ruleId: x.ruleId,
      severity: String(x.severity ?? ""),
      message: String(x.message ?? ""),
      fingerprint: x.fingerprint,
      ...(x.location ? { location: x.location } : {}),
      ...(x.scope ? { scope: x.scope } : {}),
    });
  });
  return { file, findings };
}

/** Marks findings new or unchanged (in place) and returns the earlier findings that are gone. */
export function applyBaseline(findings: Finding[], baseline: Baseline): BaselineFinding[] {
  const present = new Set<string>();
  for (const f of findings) {
    f.baseline = baseline.findings.has(f.fingerprint) ? "unchanged" : "new";
    present.add(f.fingerprint);
  }
  return [...baseline.findings.values()].filter((f) => !present.has(f.fingerprint)).sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
}
