/**
 * The terminal view: one block per finding, colour only when asked for. Data is escaped (control
 * characters made visible, one line each) before it is coloured, so only our own codes reach the
 * terminal.
 */
import { SEVERITIES, type Severity } from "../model/finding.ts";
import { trustPath, type Report } from "./report.ts";
import { gapLines, terminalText as t } from "./escape.ts";

const COLOR: Record<Severity, string> = { critical: "\x1b[1;31m", high: "\x1b[31m", medium: "\x1b[33m", low: "\x1b[36m", info: "\x1b[37m" };
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

export interface TableOptions {
  color: boolean;
  /** How a location's file is printed (the CLI prints repository files relative to the working directory, to click). */
  fileText?: (file: string) => string;
}

export function renderTable(report: Report, opts: TableOptions = { color: false }): string {
  const fileText = opts.fileText ?? ((file: string) => file);
  const c = (code: string, s: string) => (opts.color ? `${code}${s}${RESET}` : s);
  const out: string[] = [];
  const counted = report.findings.filter((f) => !f.suppression);
  const width = Math.max(8, ...counted.map((f) => f.severity.length));
  for (const f of counted) {
    const sev = c(COLOR[f.severity], f.severity.toUpperCase().padEnd(width));
    out.push(`${sev}  ${c("\x1b[1m", t(f.ruleId))}${f.baseline === "new" ? `  ${c(COLOR.medium, "NEW")}` : ""}`);
    const pad = " ".repeat(width + 2);
    out.push(`${pad}${t(f.message)}`);
    const path = trustPath(f);
    if (path) out.push(`${pad}${c(DIM, "path:")} ${t(path)}`);
    if (f.location) out.push(`${pad}${c(DIM, "at:")} ${t(fileText(f.location.file))}:${f.location.line}`);
    for (const e of f.evidence) out.push(`${pad}${c(DIM, "-")} ${t(e)}`);
    out.push(`${pad}${c(DIM, "fix:")} ${t(f.remediation)}`, "");
  }
  const suppressed = report.findings.length - counted.length;
  const totals = SEVERITIES.map((s) => `${report.summary[s]} ${s}`).join(", ");
  const fresh = counted.filter((f) => f.baseline === "new").length;
  const baseline = report.absent ? `; against the baseline: ${fresh} new, ${report.absent.length} gone` : "";
  out.push(`${counted.length === 0 ? "No findings" : `${counted.length} finding(s)`}: ${totals}${suppressed ? `; ${suppressed} suppressed` : ""}${baseline}.`);
  if (!report.coverage.complete) {
    out.push(c(COLOR.high, "The scan is INCOMPLETE; these sources could not be read fully:"));
    out.push(...gapLines(report.coverage.gaps));
  }
  // Not gaps: sources nobody asked for, whose checks therefore did not run.
  for (const n of report.coverage.notes ?? []) out.push(`Note (${t(n.source)}): ${t(n.message)}`);
  return `${out.join("\n")}\n`;
}
