/**
 * SARIF 2.1.0 for GitHub code scanning: one run, one category, every result with a file
 * location (repository findings at their line; cloud findings at the snapshot or policy file,
 * at the line of the fact they are about), security-severity on every rule, stable fingerprints.
 */
import type { Finding, Severity } from "../model/finding.ts";
import type { RuleMeta } from "../engine/rule.ts";
import { trustPath, type Report } from "./report.ts";
import { jsonText } from "./escape.ts";

export interface SarifOptions {
  /** Repository-relative path of the file cloud findings are anchored at. */
  anchorFile: string;
  /** Line in `anchorFile` of a fact, by JSON pointer into the inventory; line 1 when unknown. */
  lineOf?: (pointer: string) => number | undefined;
  /** Where people learn about the tool (SARIF `informationUri`). */
  informationUri?: string;
}

// Interior values of GitHub's bands (critical > 9.0, high 7.0–8.9, …) avoid boundary ambiguity.
const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "2.0", info: "0.5" };
const LEVEL: Record<Severity, "error" | "warning" | "note"> = { critical: "error", high: "error", medium: "warning", low: "note", info: "note" };

function toUri(path: string): string {
  return path.split(/[\\/]/).map(encodeURIComponent).join("/");
}

function pascal(id: string): string {
  return id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase());
}

function ruleDescriptor(meta: RuleMeta) {
  const help = [meta.description, "", "Run `trustscope explain " + meta.id + "` for examples."].join("\n");
  return {
    id: meta.id,
    name: pascal(meta.id),
    shortDescription: { text: meta.title },
    fullDescription: { text: meta.description.slice(0, 1024) },
    help: { text: help, markdown: meta.docs ?? help },
    ...(meta.helpUri ? { helpUri: meta.helpUri } : {}),
    defaultConfiguration: { level: LEVEL[meta.defaultSeverity] },
    properties: {
      tags: meta.tags.slice(0, 10),
      precision: "high",
      "security-severity": SECURITY_SEVERITY[meta.defaultSeverity],
    },
  };
}

function result(f: Finding, ruleIndex: number, opts: SarifOptions) {
  const loc = f.location ?? { file: opts.anchorFile, line: (f.anchor && opts.lineOf?.(f.anchor)) || 1 };
  const path = trustPath(f);
  return {
    ruleId: f.ruleId,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: toUri(loc.file), uriBaseId: "%SRCROOT%" }, region: { startLine: Math.max(1, loc.line) } },
        ...(path ? { message: { text: path } } : {}),
      },
    ],
    ...(f.relatedLocations?.length
      ? {
          relatedLocations: f.relatedLocations.map((l, id) => ({
            id,
            physicalLocation: { artifactLocation: { uri: toUri(l.file), uriBaseId: "%SRCROOT%" }, region: { startLine: Math.max(1, l.line) } },
            message: { text: l.message },
          })),
        }
      : {}),
    partialFingerprints: { primaryLocationLineHash: `${f.fingerprint}:1` },
    ...(f.baseline ? { baselineState: f.baseline } : {}),
    fingerprints: { "trustscope/v1": f.fingerprint },
    ...(f.suppression
      ? { suppressions: [{ kind: f.suppression.kind === "inline" ? "inSource" : "external", status: "accepted", justification: f.suppression.reason }] }
      : {}),
    properties: {
      severity: f.severity,
      evidence: f.evidence,
      remediation: f.remediation,
      ...(f.identity ? { identity: f.identity } : {}),
      ...(f.credential ? { credential: f.credential } : {}),
      ...(f.pipeline ? { pipeline: f.pipeline } : {}),
      ...(f.scope ? { scope: f.scope } : {}),
    },
  };
}

export function renderSarif(report: Report, rules: RuleMeta[], opts: SarifOptions): string {
  // Every rule that ran is listed (even without results), so fixed alerts close on GitHub.
  const metas = [...new Map(rules.map((r) => [r.id, r])).values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const index = new Map(metas.map((m, i) => [m.id, i]));
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            ...(opts.informationUri ? { informationUri: opts.informationUri } : {}),
            rules: metas.map(ruleDescriptor),
          },
        },
        automationDetails: { id: "trustscope/" },
        originalUriBaseIds: { "%SRCROOT%": { description: { text: "The repository root: the directory given with --repo (else the directory trustscope ran in)." } } },
        invocations: [
          {
            executionSuccessful: report.coverage.complete,
            toolExecutionNotifications: [
              ...report.coverage.gaps.map((g) => ({
                level: "error",
                message: { text: `Coverage gap in ${g.source} (${g.scope}): ${g.error}` },
              })),
              // Not judged because a source was not asked for: worth a note, not an error.
              ...(report.coverage.notes ?? []).map((n) => ({ level: "note", message: { text: `Not checked (${n.source}): ${n.message}` } })),
            ],
          },
        ],
        results: report.findings.map((f) => result(f, index.get(f.ruleId) ?? 0, opts)),
      },
    ],
  };
  return `${jsonText(sarif, 2)}\n`;
}
