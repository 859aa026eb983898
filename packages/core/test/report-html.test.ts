import { createHash } from "node:crypto";
import { Script } from "node:vm";
import { describe, expect, it } from "vitest";
import { InventoryBuilder, uuidFor } from "../src/testing/index.ts";
import { evaluate } from "../src/engine/evaluate.ts";
import { buildTrustMap } from "../src/graph/build-trust-map.ts";
import { buildReport, type Report } from "../src/report/report.ts";
import { renderHtml, scriptJson, type HtmlMapData } from "../src/report/html.ts";
import { MAP_SCRIPT } from "../src/report/html-assets.ts";
import type { Rule } from "../src/engine/rule.ts";
import type { TrustMap } from "../src/graph/trust-map.ts";

const HOSTILE = `</script><img src=x onerror="alert(1)">`;
const SEPARATORS = "line\u2028para\u2029end";

/** Names an identity with a hostile message, so findings carry attacker-chosen text too. */
const perIdentity: Rule = {
  meta: { id: "per-identity", title: "Every identity", defaultSeverity: "high", description: "test", tags: [] },
  *check({ graph }) {
    for (const i of graph.identities) {
      yield {
        message: `Identity ${i.displayName} is risky & "loud".`,
        identity: { kind: i.kind, appId: i.appId, objectId: i.objectId, displayName: i.displayName },
        evidence: [`evidence for ${i.displayName}`],
        remediation: `fix ${i.displayName}`,
        key: [i.appId],
      };
    }
  },
};

function scenario() {
  const b = new InventoryBuilder();
  const prod = b.subscription("Contoso-Prod", { tags: { environment: "production" } });
  const dev = b.subscription("Contoso-Dev", { tags: { environment: "dev" } });
  const deploy = b.pipeline("deploy-prod", { cluster: "Production" });
  const tests = b.pipeline("run-tests", { cluster: "CI", name: SEPARATORS });
  const deployer = b.app("deployer", { credentials: [{ subject: deploy, name: "deploy-cred" }] });
  b.assign(deployer.principalId, "Owner", prod);
  const hostile = b.app(HOSTILE, { credentials: [{ subject: tests, name: `quote"'cred` }, { subject: uuidFor("deleted"), name: "orphan" }] });
  b.assign(hostile.principalId, "Reader", dev);
  const evaluation = evaluate({ inventory: b.build(), rules: [perIdentity], now: new Date("2026-11-25T00:00:00Z") });
  const report = buildReport(evaluation, "9.9.9");
  const map = buildTrustMap(evaluation.graph, evaluation.environments, report.findings);
  return { report, map, html: renderHtml(report, [perIdentity.meta], map, { scannedAt: "2026-11-25T00:00:00Z", organization: "acme" }) };
}

function decode(s: string): string {
  return s
    .replace(/<[^>]*>/g, "")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .trim();
}

/** The cells of each body row of the table with the given class. */
function tableRows(html: string, cls: string): string[][] {
  const table = html.match(new RegExp(`<table class="${cls}">([\\s\\S]*?)</table>`))?.[1] ?? "";
  const body = table.split("<tbody>")[1] ?? "";
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => decode(c[1]!)));
}

function dataBlock(html: string): HtmlMapData {
  const json = html.match(/<script type="application\/json" id="trustscope-data">([\s\S]*?)<\/script>/)?.[1];
  expect(json).toBeDefined();
  return JSON.parse(json!) as HtmlMapData;
}

describe("renderHtml", () => {
  const { report, map, html } = scenario();

  it("loads nothing from outside: no remote src/href, no stylesheet links, no fetches, and a CSP that allows only its own inline code", () => {
    expect(html).not.toMatch(/\s(src|href|action|srcset)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b|@import|url\(|<iframe|<object|<embed/i);
    expect(html).not.toMatch(/\bfetch\(|XMLHttpRequest|WebSocket|EventSource|\.innerHTML|insertAdjacentHTML|document\.write/);
    const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/)?.[1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-eval");
    // The hashes in the CSP are of exactly the inline style and script, so nothing else can run.
    const style = html.match(/<style>([\s\S]*?)<\/style>/)![1]!;
    const script = html.match(/<script>([\s\S]*?)<\/script>/)![1]!;
    const hash = (s: string) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;
    expect(csp).toContain(`style-src ${hash(style)}`);
    expect(csp).toContain(`script-src ${hash(script)}`);
    expect(html.match(/<script\b/g)).toHaveLength(2);
  });

  it("keeps hostile names inert: no raw markup, JSON that cannot close its element, and data that round-trips", () => {
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain("<img");
    expect(html).not.toMatch(/[\u2028\u2029]/);
    // Only the two real script elements close.
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain("&#60;/script&#62;&#60;img src=x onerror=&#34;alert(1)&#34;&#62;");
    const data = dataBlock(html);
    expect(data.map).toEqual(map);
    expect(data.map.nodes.map((n) => n.label)).toContain(HOSTILE);
    expect(data.map.nodes.map((n) => n.label)).toContain(`quote"'cred`);
    expect(data.map.nodes.flatMap((n) => n.detail).join("\n")).toContain(SEPARATORS);
    expect(data.findings.map((f) => f.message)).toContain(`Identity ${HOSTILE} is risky & "loud".`);
  });

  it("embeds a browser script that parses (the browser test runs it)", () => {
    expect(() => new Script(MAP_SCRIPT)).not.toThrow();
    expect(MAP_SCRIPT).toContain('"use strict"');
  });

  it("escapes every character that could end a script element or a JS string", () => {
    const json = scriptJson({ s: `</script><!-- & \u2028\u2029 >` });
    expect(json).toBe(String.raw`{"s":"\u003c/script\u003e\u003c!-- \u0026 \u2028\u2029 \u003e"}`);
    expect(JSON.parse(json)).toEqual({ s: `</script><!-- & \u2028\u2029 >` });
  });

  it("lists every path in the plain table, readable without JavaScript", () => {
    const rows = tableRows(html, "paths");
    expect(rows.map((r) => r.slice(0, 5))).toEqual([
      ["deploy-prod", "deploy-cred", "deployer", "Owner", "Contoso-Prod"],
      ["run-tests", `quote"'cred`, HOSTILE, "Reader", "Contoso-Dev"],
      ["—", "orphan", HOSTILE, "Reader", "Contoso-Dev"],
    ]);
    expect(rows[0]![5]).toMatch(/^PROD pipeline .deploy-prod. has .prod. in its name.*; .*tag environment=production/);
    expect(rows[1]![5]).toBe("no");
    expect(html).toContain("<h2 id=\"paths-h\">Trust paths (3)</h2>");
    // The table sits in the HTML itself, outside any script.
    expect(html.indexOf('<table class="paths">')).toBeLessThan(html.indexOf("<script"));
  });

  it("shows the findings with severity, rule, message, subject, evidence and fix, and marks suppressed and baseline findings", () => {
    const marked: Report = {
      ...report,
      findings: report.findings.map((f, i) => (i === 0 ? { ...f, suppression: { kind: "policy", reason: "accepted <risk>" } } : { ...f, baseline: "new" })),
    };
    const rows = tableRows(renderHtml(marked, [perIdentity.meta], map), "findings");
    expect(rows).toHaveLength(2);
    expect(rows[0]![0]).toBe("high");
    expect(rows[0]![1]).toContain("per-identity");
    expect(rows[0]![1]).toContain("Every identity");
    expect(rows[0]![4]).toBe("suppressed accepted <risk>");
    expect(rows[1]![4]).toBe("new");
    const hostileRow = rows.find((r) => r[2]!.includes(HOSTILE))!;
    expect(hostileRow[2]).toContain(`evidence for ${HOSTILE}`);
    expect(hostileRow[2]).toContain(`Fix: fix ${HOSTILE}`);
    expect(hostileRow[3]).toContain(`app ${HOSTILE}`);
  });

  it("ties findings to the map nodes they name, for the details panel", () => {
    const data = dataBlock(html);
    const named = data.findings.flatMap((f) => f.nodes);
    const identityIds = map.nodes.filter((n) => n.kind === "identity").map((n) => n.id);
    expect(named.sort()).toEqual(identityIds.sort());
  });

  it("says the scan is complete, or makes an incomplete one unmistakable and lists the gaps", () => {
    expect(html).toContain("Coverage: complete.");
    expect(html).not.toContain("INCOMPLETE");
    const incomplete: Report = { ...report, coverage: { complete: false, gaps: [{ source: "arm", scope: "/subscriptions/x", error: "403 <Forbidden>" }, { source: "graph", scope: "applications", error: "timeout" }] } };
    const out = renderHtml(incomplete, [], map);
    expect(out).toContain("INCOMPLETE SCAN: 2 source(s) could not be read");
    expect(out).toContain("role=\"alert\"");
    expect(out).toContain("<strong>arm</strong> <code>/subscriptions/x</code>: 403 &#60;Forbidden&#62;");
    expect(out).toContain("<strong>graph</strong> <code>applications</code>: timeout");
    expect(out).not.toContain("Coverage: complete.");
  });

  it("shows the tool version, scan time and organisation in the header", () => {
    expect(html).toContain("trustscope 9.9.9 · scanned 2026-11-25T00:00:00Z");
    expect(html).toContain("<title>trustscope report: acme</title>");
  });

  it("renders an empty map and no findings without failing", () => {
    const empty: TrustMap = { schemaVersion: 1, nodes: [], edges: [] };
    const out = renderHtml({ ...report, findings: [], summary: { critical: 0, high: 0, medium: 0, low: 0, info: 0 } }, [], empty);
    expect(out).toContain("No findings.");
    expect(out).toContain("Trust paths (0)");
  });
});
