import type { Finding } from "../model/finding.ts";
import type { Report } from "./report.ts";
import { jsonText } from "./escape.ts";

/** The JSON report: stable key order, internal fields dropped, byte-identical for equal input. */
export function renderJson(report: Report): string {
  const findings = report.findings.map((f: Finding) => {
    const { anchor: _anchor, ...rest } = f;
    return {
      ruleId: rest.ruleId,
      severity: rest.severity,
      message: rest.message,
      ...(rest.identity ? { identity: rest.identity } : {}),
      ...(rest.credential ? { credential: rest.credential } : {}),
      ...(rest.pipeline ? { pipeline: rest.pipeline } : {}),
      ...(rest.scope ? { scope: rest.scope } : {}),
      ...(rest.location ? { location: rest.location } : {}),
      ...(rest.relatedLocations?.length ? { relatedLocations: rest.relatedLocations } : {}),
      evidence: rest.evidence,
      remediation: rest.remediation,
      fingerprint: rest.fingerprint,
      ...(rest.suppression ? { suppression: rest.suppression } : {}),
      ...(rest.baseline ? { baseline: rest.baseline } : {}),
    };
  });
  const out = { schemaVersion: report.schemaVersion, tool: report.tool, findings, coverage: report.coverage, summary: report.summary, ...(report.absent ? { absent: report.absent } : {}) };
  return `${jsonText(out, 2)}\n`;
}
