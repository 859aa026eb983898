/**
 * The self-contained HTML report: findings, coverage and an interactive trust map in one file
 * that loads nothing from anywhere (a strict CSP allows only its own hashed style and script).
 *
 * Everything readable without JavaScript is rendered here as HTML (header, summary, findings,
 * and a plain table of every trust path); the script in html-assets.ts only draws the map from
 * the JSON data block and never inserts data as markup.
 *
 * `@trustscope/core/html`: an entry point of its own, so its page assets load only when an HTML
 * report is asked for.
 */
import { createHash } from "node:crypto";
import { SEVERITIES, severityRank, type Severity } from "../model/finding.ts";
import type { RuleMeta } from "../engine/rule.ts";
import type { TrustMap, TrustMapEdge, TrustMapNode } from "../graph/trust-map.ts";
import { buildTrustMap, findingNodes } from "../graph/build-trust-map.ts";
import type { ScanOutcome } from "../scan/scan.ts";
import { trustPath, type Report } from "./report.ts";
import { MAP_SCRIPT, MAP_STYLE } from "./html-assets.ts";
import { jsonText, terminalText } from "./escape.ts";

/** Which map nodes a finding names (the details panel lists the finding under each). */
export { findingNodes };

export interface HtmlOptions {
  /** When the inventory was read (ISO 8601), shown in the header (`renderScanHtml`: default the scan's `scannedAt`). */
  scannedAt?: string;
  /** The Buildkite organisation, shown in the title (`renderScanHtml`: default the scan's `organization`). */
  organization?: string;
  /** Above this many pipelines the map starts with every cluster collapsed (default 40). */
  collapseAbove?: number;
}

/** What the browser script reads from the page's JSON data block. */
export interface HtmlMapData {
  map: TrustMap;
  /** Unsuppressed findings with the map nodes they name, for the details panel. */
  findings: { severity: Severity; ruleId: string; message: string; nodes: string[] }[];
  collapseAbove: number;
}

/** One row of the plain path table: a login route from a pipeline to what it may touch. */
export interface TrustPathRow {
  pipeline?: TrustMapNode;
  credential?: TrustMapNode;
  identity?: TrustMapNode;
  role?: string;
  scope?: TrustMapNode;
  /** Why the path touches production (the pipeline's, the grant's or the scope's reason). */
  production?: string;
  severity?: Severity;
}

const DEFAULT_COLLAPSE_ABOVE = 40;

/**
 * Text for HTML. Control and invisible format characters are shown as escapes (`\x1b`,
 * `\u202e`): a bidi override cannot reorder a name on the page, and the page printed to a
 * terminal cannot drive it.
 */
export function escapeHtml(s: string): string {
  return terminalText(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON that is safe inside `<script type="application/json">`: no `<`, `>` or `&` can close
 * the element or open a comment, and U+2028/2029 (with C1 and bidi characters) are escaped.
 */
export function scriptJson(value: unknown): string {
  return jsonText(value).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function sha256(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

function maxSeverity(a: Severity | undefined, b: Severity | undefined): Severity | undefined {
  if (!a) return b;
  if (!b) return a;
  return severityRank(a) <= severityRank(b) ? a : b;
}

/** Every pipeline → credential → identity → role@scope path in the map; partial paths too, so nothing is hidden. */
export function trustPaths(map: TrustMap): TrustPathRow[] {
  const nodes = new Map(map.nodes.map((n) => [n.id, n]));
  const out = new Map<string, TrustMapEdge[]>();
  const into = new Map<string, TrustMapEdge[]>();
  const add = (index: Map<string, TrustMapEdge[]>, id: string, e: TrustMapEdge) => {
    const list = index.get(id);
    if (list) list.push(e);
    else index.set(id, [e]);
  };
  for (const e of map.edges) {
    add(out, e.from, e);
    add(into, e.to, e);
  }
  const grantsOf = (identity: TrustMapNode | undefined): (TrustMapEdge | undefined)[] => {
    const gs = identity ? (out.get(identity.id) ?? []).filter((e) => e.kind === "grants") : [];
    return gs.length > 0 ? gs : [undefined];
  };
  const rows: TrustPathRow[] = [];
  const push = (pipeline: TrustMapNode | undefined, mint: TrustMapEdge | undefined, credential: TrustMapNode | undefined, unlock: TrustMapEdge | undefined, identity: TrustMapNode | undefined) => {
    for (const grant of grantsOf(identity)) {
      const scope = grant ? nodes.get(grant.to) : undefined;
      const row: TrustPathRow = {};
      if (pipeline) row.pipeline = pipeline;
      if (credential) row.credential = credential;
      if (identity) row.identity = identity;
      if (grant?.label) row.role = grant.label;
      if (scope) row.scope = scope;
      // Both ends can make a path production: the pipeline that starts it and the scope it ends at.
      const reasons = [pipeline?.production, grant?.production ?? scope?.production].filter((r): r is string => Boolean(r));
      if (reasons.length > 0) row.production = [...new Set(reasons)].join("; ");
      const severity = [mint, unlock, grant].reduce<Severity | undefined>((s, e) => maxSeverity(s, e?.severity), undefined);
      if (severity) row.severity = severity;
      rows.push(row);
    }
  };
  for (const credential of map.nodes.filter((n) => n.kind === "credential")) {
    const mints = (into.get(credential.id) ?? []).filter((e) => e.kind === "can-mint");
    const unlocks = (out.get(credential.id) ?? []).filter((e) => e.kind === "unlocks");
    for (const mint of mints.length > 0 ? mints : [undefined]) {
      for (const unlock of unlocks.length > 0 ? unlocks : [undefined]) {
        push(mint ? nodes.get(mint.from) : undefined, mint, credential, unlock, unlock ? nodes.get(unlock.to) : undefined);
      }
    }
  }
  // Identities no credential unlocks still hold roles worth listing.
  for (const identity of map.nodes.filter((n) => n.kind === "identity" && !(into.get(n.id) ?? []).some((e) => e.kind === "unlocks"))) {
    push(undefined, undefined, undefined, undefined, identity);
  }
  // Rows without a pipeline sort last.
  const keyed = rows.map((r) => ({ r, key: [r.pipeline?.label ?? "\uffff", r.credential?.label ?? "", r.identity?.label ?? "", r.scope?.label ?? "", r.role ?? ""].join("\u0000") }));
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.r);
}

function sevBadge(s: Severity | undefined): string {
  return s ? `<span class="sev sev-${s}">${s}</span>` : `<span class="sev sev-none">none</span>`;
}

function header(report: Report, options: HtmlOptions): string {
  const meta = [
    `${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)}`,
    options.scannedAt ? `scanned ${escapeHtml(options.scannedAt)}` : undefined,
  ].filter(Boolean);
  const coverage = report.coverage.complete
    ? `<p class="coverage ok" id="coverage"><strong>Coverage: complete.</strong> Every source was read.</p>`
    : `<section class="coverage incomplete" id="coverage" role="alert"><h2>⚠ INCOMPLETE SCAN: ${report.coverage.gaps.length} source(s) could not be read</h2>
<p>No finding there does not mean no problem there. The map and the tables below miss whatever these sources hold:</p>
<ul>${report.coverage.gaps.map((g) => `<li><strong>${escapeHtml(g.source)}</strong> <code>${escapeHtml(g.scope)}</code>: ${escapeHtml(g.error)}</li>`).join("")}</ul></section>`;
  return `<header class="top"><h1>trustscope report${options.organization ? `: <span class="org">${escapeHtml(options.organization)}</span>` : ""}</h1>
<p class="meta">${meta.join(" · ")}</p></header>
${coverage}`;
}

function summary(report: Report): string {
  const suppressed = report.findings.filter((f) => f.suppression).length;
  const cards = SEVERITIES.map((s) => `<li class="card sev-card-${s}"><span class="count">${report.summary[s]}</span> <span class="sev sev-${s}">${s}</span></li>`).join("");
  const extra = [
    suppressed ? `${suppressed} suppressed` : undefined,
    report.absent ? `${report.findings.filter((f) => f.baseline === "new").length} new and ${report.absent.length} gone since the baseline` : undefined,
  ].filter(Boolean);
  return `<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2><ul class="cards">${cards}</ul>${extra.length ? `<p class="meta">${extra.join("; ")}.</p>` : ""}</section>`;
}

function mapSection(map: TrustMap): string {
  const count = (k: string) => map.nodes.filter((n) => n.kind === k).length;
  return `<section id="map-section" aria-labelledby="map-h"><h2 id="map-h">Trust map</h2>
<p class="meta">${count("pipeline")} pipelines${count("workload") ? ` and ${count("workload")} workloads of other issuers` : ""} → ${count("credential")} federated credentials → ${count("identity")} identities → ${count("scope")} Azure scopes. Select a pipeline or identity (click, or Tab and Enter) to see its blast radius; Escape clears.</p>
<noscript><p class="note">The interactive map needs JavaScript. Every path is listed in the <a href="#paths">trust path table</a> below.</p></noscript>
<div class="toolbar" id="map-toolbar" hidden>
<label for="map-search">Search</label> <input id="map-search" type="search" placeholder="pipeline, identity, scope…" autocomplete="off">
<button type="button" id="map-expand">Expand all clusters</button> <button type="button" id="map-collapse">Collapse all clusters</button> <button type="button" id="map-clear">Clear selection</button>
<span id="map-status" class="meta" role="status" aria-live="polite"></span>
</div>
<div class="legend" aria-label="Legend"><span>Edges by severity:</span>${SEVERITIES.map((s) => `<span class="legend-item"><span class="swatch edge-${s}"></span>${s}</span>`).join("")}<span class="legend-item"><span class="swatch edge-none"></span>no finding</span><span class="legend-item"><span class="prod-badge">PROD</span> production (thick edge)</span></div>
<div class="map-layout"><div class="map-scroll" id="map-scroll"><svg id="map" role="group" aria-label="Trust map"></svg></div>
<aside id="details" class="details" aria-live="polite"><h3>Details</h3><p class="meta">Select a node to see what it can reach.</p></aside></div>
</section>`;
}

function findingsTable(report: Report, rules: RuleMeta[]): string {
  if (report.findings.length === 0) return `<section id="findings" aria-labelledby="findings-h"><h2 id="findings-h">Findings</h2><p>No findings.</p></section>`;
  const titles = new Map(rules.map((r) => [r.id, r.title]));
  const rows = report.findings.map((f) => {
    const status = [
      f.suppression ? `<span class="mark mark-suppressed">suppressed</span> ${escapeHtml(f.suppression.reason)}${f.suppression.expires ? ` (until ${escapeHtml(f.suppression.expires)})` : ""}` : "",
      f.baseline ? `<span class="mark mark-${f.baseline}">${f.baseline}</span>` : "",
    ].filter(Boolean).join(" ");
    const title = titles.get(f.ruleId);
    return `<tr class="${f.suppression ? "suppressed" : ""}" data-severity="${f.severity}"><td>${sevBadge(f.severity)}</td><td><code>${escapeHtml(f.ruleId)}</code>${title ? `<div class="meta">${escapeHtml(title)}</div>` : ""}</td><td>${escapeHtml(f.message)}<details><summary>Evidence and fix</summary><ul>${f.evidence.map((e) => `<li>${escapeHtml(e)}</li>`).join("")}</ul><p><strong>Fix:</strong> ${escapeHtml(f.remediation)}</p></details></td><td>${escapeHtml(trustPath(f)) || "—"}${f.location ? `<div class="meta"><code>${escapeHtml(f.location.file)}:${f.location.line}</code></div>` : ""}</td><td>${status || "—"}</td></tr>`;
  });
  const absent = report.absent && report.absent.length > 0
    ? `<details><summary>${report.absent.length} finding(s) gone since the baseline</summary><ul>${report.absent.map((a) => `<li><code>${escapeHtml(a.ruleId)}</code> ${escapeHtml(a.message)}</li>`).join("")}</ul></details>`
    : "";
  return `<section id="findings" aria-labelledby="findings-h"><h2 id="findings-h">Findings (${report.findings.length})</h2>
<div class="table-scroll"><table class="findings"><thead><tr><th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Message, evidence and fix</th><th scope="col">Subject (trust path)</th><th scope="col">Status</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table></div>${absent}</section>`;
}

function pathsTable(map: TrustMap): string {
  const rows = trustPaths(map);
  const cell = (n: TrustMapNode | undefined) => (n ? escapeHtml(n.label) : "—");
  const body = rows.map((r) => `<tr><td>${cell(r.pipeline)}</td><td>${cell(r.credential)}</td><td>${cell(r.identity)}</td><td>${r.role ? escapeHtml(r.role) : "—"}</td><td>${cell(r.scope)}</td><td>${r.production ? `<span class="prod-badge">PROD</span> ${escapeHtml(r.production)}` : "no"}</td><td>${sevBadge(r.severity)}</td></tr>`);
  // Long tables start folded so the page stays quick to scroll; <details> needs no script.
  return `<section id="paths" aria-labelledby="paths-h"><h2 id="paths-h">Trust paths (${rows.length})</h2>
<p class="meta">Every path from a pipeline through a federated credential and an identity to a role at an Azure scope, as a plain table (the same data as the map). "—" marks a missing link: a credential no pipeline can use, or an identity without roles.</p>
<details${rows.length <= 200 ? " open" : ""}><summary>Show the table</summary><div class="table-scroll"><table class="paths"><thead><tr><th scope="col">Pipeline</th><th scope="col">Credential</th><th scope="col">Identity</th><th scope="col">Role</th><th scope="col">Scope</th><th scope="col">Production</th><th scope="col">Severity</th></tr></thead>
<tbody>${body.join("\n")}</tbody></table></div></details></section>`;
}

export function renderHtml(report: Report, rules: RuleMeta[], map: TrustMap, options: HtmlOptions = {}): string {
  const nodesOf = findingNodes(map);
  const data: HtmlMapData = {
    map,
    findings: report.findings.filter((f) => !f.suppression).map((f) => ({ severity: f.severity, ruleId: f.ruleId, message: f.message, nodes: nodesOf(f) })),
    collapseAbove: options.collapseAbove ?? DEFAULT_COLLAPSE_ABOVE,
  };
  const csp = `default-src 'none'; style-src ${sha256(MAP_STYLE)}; script-src ${sha256(MAP_SCRIPT)}; img-src 'none'; base-uri 'none'; form-action 'none'`;
  const title = `trustscope report${options.organization ? `: ${options.organization}` : ""}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${MAP_STYLE}</style>
</head>
<body>
<a class="skip" href="#paths">Skip to the trust path table</a>
${header(report, options)}
<main>
${summary(report)}
${mapSection(map)}
${findingsTable(report, rules)}
${pathsTable(map)}
</main>
<script type="application/json" id="trustscope-data">${scriptJson(data)}</script>
<script>${MAP_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * The HTML page of a finished scan: its findings, rules and trust map, with the scan's time and
 * organisation in the header unless `options` says otherwise.
 */
export function renderScanHtml(
  outcome: Pick<ScanOutcome, "report" | "rules" | "evaluation"> & Partial<Pick<ScanOutcome, "scannedAt" | "organization">>,
  options: HtmlOptions = {},
): string {
  const { report, rules, evaluation } = outcome;
  const scannedAt = options.scannedAt ?? outcome.scannedAt;
  const organization = options.organization ?? outcome.organization;
  return renderHtml(report, rules, buildTrustMap(evaluation.graph, evaluation.environments, report.findings), {
    ...options,
    ...(scannedAt !== undefined ? { scannedAt } : {}),
    ...(organization !== undefined ? { organization } : {}),
  });
}
