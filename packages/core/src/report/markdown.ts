/**
 * Markdown for humans in CI: a Buildkite annotation or a GitHub job summary. Findings grouped by
 * severity, each with its trust path on one line, evidence and the fix.
 */
import { SEVERITIES, type Finding } from "../model/finding.ts";
import type { RuleMeta } from "../engine/rule.ts";
import { trustPath, type Report } from "./report.ts";
import { mdCode, mdText } from "./escape.ts";

const ICON: Record<string, string> = { critical: "🟥", high: "🟧", medium: "🟨", low: "🟦", info: "⬜" };

function finding(f: Finding): string[] {
  const path = trustPath(f);
  // Every data-derived string is escaped for its place, so one finding is always these lines.
  const lines = [`- ${f.baseline === "new" ? "🆕 " : ""}**${mdCode(f.ruleId)}** ${mdText(f.message)}`];
  if (path) lines.push(`  - Path: ${mdText(path)}`);
  if (f.location) lines.push(`  - Location: ${mdCode(`${f.location.file}:${f.location.line}`)}`);
  for (const e of f.evidence) lines.push(`  - ${mdText(e)}`);
  lines.push(`  - **Fix:** ${mdText(f.remediation)}`);
  return lines;
}

export function renderMarkdown(report: Report, rules: RuleMeta[] = []): string {
  const out: string[] = ["## trustscope", ""];
  const counted = report.findings.filter((f) => !f.suppression);
  out.push(
    counted.length === 0 ? "No findings." : `${counted.length} finding(s): ${SEVERITIES.filter((s) => report.summary[s] > 0).map((s) => `${report.summary[s]} ${s}`).join(", ")}.`,
    "",
  );
  if (!report.coverage.complete) {
    out.push("> [!WARNING]", "> **The scan is incomplete.** Some sources could not be read, so absence of findings there means nothing:");
    for (const g of report.coverage.gaps) out.push(`> - ${mdText(g.source)} ${mdCode(g.scope)}: ${mdText(g.error)}`);
    out.push("");
  }
  if (report.coverage.notes?.length) {
    out.push("> [!NOTE]", "> **Not checked** (a source was not asked for):");
    for (const n of report.coverage.notes) out.push(`> - ${mdText(n.source)}: ${mdText(n.message)}`);
    out.push("");
  }
  out.push("| severity | count |", "| --- | ---: |", ...SEVERITIES.map((s) => `| ${ICON[s]} ${s} | ${report.summary[s]} |`), "");
  const titles = new Map(rules.map((r) => [r.id, r.title]));
  for (const s of SEVERITIES) {
    const group = counted.filter((f) => f.severity === s);
    if (group.length === 0) continue;
    out.push(`### ${ICON[s]} ${s[0]!.toUpperCase()}${s.slice(1)} (${group.length})`, "");
    for (const f of group) out.push(...finding(f));
    out.push("");
  }
  if (report.absent && report.absent.length > 0) {
    out.push(`<details><summary>${report.absent.length} finding(s) gone since the baseline</summary>`, "");
    for (const a of report.absent) out.push(`- ${mdCode(a.ruleId)} ${mdText(a.message)}`);
    out.push("", "</details>", "");
  }
  const suppressed = report.findings.filter((f) => f.suppression);
  if (suppressed.length > 0) {
    out.push(`<details><summary>${suppressed.length} suppressed finding(s)</summary>`, "");
    for (const f of suppressed) out.push(`- ${mdCode(f.ruleId)} ${mdText(f.message)} — suppressed: ${mdText(f.suppression!.reason)}${f.suppression!.expires ? ` (until ${mdText(f.suppression!.expires)})` : ""}`);
    out.push("", "</details>", "");
  }
  if (titles.size > 0 && counted.length > 0) {
    out.push("<details><summary>Rules</summary>", "");
    for (const id of [...new Set(counted.map((f) => f.ruleId))].sort()) out.push(`- ${mdCode(id)}: ${mdText(titles.get(id) ?? "")}`);
    out.push("", "</details>", "");
  }
  return out.join("\n");
}
