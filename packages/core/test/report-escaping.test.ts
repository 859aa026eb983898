/**
 * Data cannot change what a report looks like, and secrets never reach one: every reporter is fed
 * names, files, messages and evidence full of control characters, Markdown, HTML and line breaks,
 * and must keep exactly the structure it has with harmless data; JSON and SARIF keep the data
 * exact. Then tokens with `_ - . /` in names and echoed in gaps go through `scan` in every format.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "../src/testing/index.ts";
import { mdCode, mdText, terminalLines, terminalText } from "../src/report/escape.ts";
import { renderJson } from "../src/report/json.ts";
import { renderMarkdown } from "../src/report/markdown.ts";
import { renderSarif } from "../src/report/sarif.ts";
import { renderTable } from "../src/report/table.ts";
import { renderHtml, renderScanHtml } from "../src/report/html.ts";
import { diffInventories, renderDiffJson, renderDiffMarkdown, renderDiffTable, type InventoryDiff } from "../src/diff/diff.ts";
import { scan, REPORT_FORMATS } from "../src/scan/scan.ts";
import { REDACTED, Redactor } from "../src/util/redactor.ts";
import { SEVERITIES, type Finding, type Severity } from "../src/model/finding.ts";
import type { Report } from "../src/report/report.ts";
import type { Rule, RuleMeta } from "../src/engine/rule.ts";
import type { CoverageGap } from "../src/model/inventory.ts";
import {
  CONTROL,
  OUR_COLOURS,
  TOKENS,
  echoingError,
  expectNoToken,
  expectSameMarkdownStructure,
  expectSameTextStructure,
  harmless,
  hostileString,
  markdownOutsideCode,
} from "./support/output-checks.ts";

describe("escaping helpers", () => {
  it("terminalText makes control and invisible characters visible, on one line", () => {
    expect(terminalText("a\x1b[31mb\rc\nd\0e\tf\x7fg\u009bh\u202ei")).toBe("a\\x1b[31mb\\rc\\nd\\x00e\\tf\\x7fg\\x9bh\\u202ei");
    expect(terminalText("C:\\path\\to ü 🔑")).toBe("C:\\path\\to ü 🔑");
  });

  it("terminalLines keeps line ends and tabs and escapes the rest", () => {
    expect(terminalLines("one\ttwo\r\nthree\n\x1b]0;title\x07\rfour")).toBe("one\ttwo\r\nthree\n\\x1b]0;title\\x07\\rfour");
  });

  it("mdText links nothing: GFM's extended autolinks (www., ://, @) are written as entities", () => {
    expect(mdText("www.evil.example https://evil.example/x mail@evil.example @octocat")).toBe("www&#46;evil.example https&#58;//evil.example/x mail&#64;evil.example &#64;octocat");
  });

  it("mdText escapes Markdown and HTML, folds line breaks, and cannot start a block", () => {
    expect(mdText("a_b *c* `d` [e](f) <img src=x> & # ! | ~ $ \\")).toBe("a\\_b \\*c\\* \\`d\\` \\[e\\]\\(f\\) &lt;img src=x&gt; &amp; \\# \\! \\| \\~ \\$ \\\\");
    expect(mdText("line\n# heading\r\n- item")).toBe("line \\# heading - item");
    expect(mdText("- nested")).toBe("\\- nested");
    expect(mdText("    indented code")).toBe("indented code");
    expect(mdText("1. ordered")).toBe("&#49;. ordered");
    expect(mdText("42")).toBe("&#52;2");
    expect(mdText("42 items")).toBe("42 items");
    expect(mdText("===")).toBe("\\===");
    expect(mdText("esc\x1b[31m")).toBe("esc\\\\x1b\\[31m");
  });

  it("mdCode fences past any backtick run and pads where CommonMark would strip", () => {
    expect(mdCode("plain")).toBe("`plain`");
    expect(mdCode("a`b")).toBe("``a`b``");
    expect(mdCode("``x")).toBe("``` ``x ```");
    expect(mdCode("x`")).toBe("`` x` ``");
    expect(mdCode(" lead")).toBe("`  lead `");
    expect(mdCode("")).toBe("` `");
    expect(mdCode("a\nb")).toBe("`a b`");
    expect(markdownOutsideCode(`x ${mdCode("``<img>`` ` |")} y`)).toBe("x C y");
  });
});

// ---------------------------------------------------------------------------------------------
// Every reporter, hostile data

interface FindingShape {
  severity: Severity;
  ruleId: string;
  message: string;
  evidence: string[];
  remediation: string;
  identity?: string;
  credential?: string;
  pipeline?: string;
  scope?: string;
  file?: string;
  suppressed?: { reason: string; expires?: string };
  baseline?: "new" | "unchanged";
}

interface ReportShape {
  findings: FindingShape[];
  gaps: CoverageGap[];
  absent?: { message: string }[];
}

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const findingShape: fc.Arbitrary<FindingShape> = fc.record(
  {
    severity: fc.constantFrom(...SEVERITIES),
    ruleId: fc.constantFrom("org-scoped-trust", "client-secret-login", "custom-rule"),
    message: hostileString,
    evidence: fc.array(hostileString, { maxLength: 3 }),
    remediation: hostileString,
    identity: hostileString,
    credential: hostileString,
    pipeline: hostileString,
    scope: hostileString,
    file: hostileString,
    suppressed: fc.record({ reason: hostileString, expires: opt(hostileString) }, { requiredKeys: ["reason"] }),
    baseline: fc.constantFrom("new" as const, "unchanged" as const),
  },
  { requiredKeys: ["severity", "ruleId", "message", "evidence", "remediation"] },
);

const reportShape: fc.Arbitrary<ReportShape> = fc.record(
  {
    findings: fc.array(findingShape, { maxLength: 6 }),
    gaps: fc.array(fc.record({ source: hostileString, scope: hostileString, error: hostileString }), { maxLength: 3 }),
    absent: fc.array(fc.record({ message: hostileString }), { maxLength: 2 }),
  },
  { requiredKeys: ["findings", "gaps"] },
);

/** The report of `shape` with every data string passed through `data`. */
function reportOf(shape: ReportShape, data: (s: string) => string): Report {
  const summary = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  const findings = shape.findings.map((f, i): Finding => {
    if (!f.suppressed) summary[f.severity]++;
    return {
      ruleId: f.ruleId,
      severity: f.severity,
      message: data(f.message),
      ...(f.identity !== undefined ? { identity: { kind: "application", appId: `app-${i}`, objectId: `obj-${i}`, displayName: data(f.identity) } } : {}),
      ...(f.credential !== undefined ? { credential: { name: data(f.credential), issuer: "https://agent.buildkite.com", subject: "organization:acme", audiences: ["api://AzureADTokenExchange"] } } : {}),
      ...(f.pipeline !== undefined ? { pipeline: { uuid: `p-${i}`, slug: data(f.pipeline) } } : {}),
      ...(f.scope !== undefined ? { scope: data(f.scope) } : {}),
      ...(f.file !== undefined ? { location: { file: data(f.file), line: i + 1 } } : {}),
      evidence: f.evidence.map(data),
      remediation: data(f.remediation),
      fingerprint: `fp-${i}`,
      ...(f.suppressed ? { suppression: { kind: "policy" as const, reason: data(f.suppressed.reason), ...(f.suppressed.expires !== undefined ? { expires: data(f.suppressed.expires) } : {}) } } : {}),
      ...(f.baseline ? { baseline: f.baseline } : {}),
    };
  });
  return {
    schemaVersion: 1,
    tool: { name: "trustscope", version: "test" },
    findings,
    coverage: { complete: shape.gaps.length === 0, gaps: shape.gaps.map((g) => ({ source: data(g.source), scope: data(g.scope), error: data(g.error) })) },
    summary,
    ...(shape.absent ? { absent: shape.absent.map((a, i) => ({ ruleId: "org-scoped-trust", severity: "high" as const, fingerprint: `gone-${i}`, message: data(a.message) })) } : {}),
  };
}

const RULES: RuleMeta[] = ["org-scoped-trust", "client-secret-login", "custom-rule"].map((id) => ({
  id,
  title: `Title of ${id}`,
  description: "test",
  defaultSeverity: "high",
  tags: [],
}));
const EMPTY_MAP = { schemaVersion: 1 as const, nodes: [], edges: [] };
const RUNS = { numRuns: 150 };

describe("every reporter keeps its structure whatever the data", () => {
  it("Markdown: one bullet per finding, no injected headings, HTML or markup", () => {
    fc.assert(
      fc.property(reportShape, (shape) => {
        const hostile = renderMarkdown(reportOf(shape, (s) => s), RULES);
        const plain = renderMarkdown(reportOf(shape, harmless), RULES);
        expectSameMarkdownStructure(hostile, plain);
        const counted = shape.findings.filter((f) => !f.suppressed).length;
        expect(hostile.split("\n").filter((l) => /^- (?:🆕 )?\*\*`/.test(l))).toHaveLength(counted);
        for (const line of hostile.split("\n")) {
          if (/^<\/?details>|^<details><summary>/.test(line)) continue;
          expect(markdownOutsideCode(line)).not.toMatch(/</);
        }
      }),
      RUNS,
    );
  });

  it("table: one block per finding, each datum on its line, no control character but our colours", () => {
    fc.assert(
      fc.property(reportShape, fc.boolean(), (shape, color) => {
        const hostile = renderTable(reportOf(shape, (s) => s), { color });
        const plain = renderTable(reportOf(shape, harmless), { color });
        expectSameTextStructure(hostile, plain, OUR_COLOURS);
        if (!color) expect(hostile).not.toContain("\x1b");
      }),
      RUNS,
    );
  });

  it("JSON and SARIF parse and carry the data exactly", () => {
    fc.assert(
      fc.property(reportShape, (shape) => {
        const report = reportOf(shape, (s) => s);
        // Safe to print: control, C1 and invisible characters are \u escapes, which parse back exactly.
        expect(renderJson(report)).not.toMatch(CONTROL);
        expect(renderSarif(report, RULES, { anchorFile: "x" })).not.toMatch(CONTROL);
        const json = JSON.parse(renderJson(report)) as Report;
        // (An empty scope is a scope that does not apply: left out, as the contract says.)
        const data = (f: Finding) => [f.message, f.evidence, f.remediation, f.identity?.displayName, f.credential?.name, f.pipeline?.slug, f.scope || undefined, f.location?.file, f.suppression?.reason];
        expect(json.findings.map(data)).toEqual(report.findings.map(data));
        expect(json.coverage).toEqual(report.coverage);
        expect(json.absent).toEqual(report.absent);

        const sarif = JSON.parse(renderSarif(report, RULES, { anchorFile: "trustscope.yaml" })) as {
          runs: [{ results: { message: { text: string }; properties: { evidence: string[]; remediation: string }; locations: [{ physicalLocation: { artifactLocation: { uri: string } } }] }[]; invocations: [{ toolExecutionNotifications: { message: { text: string } }[] }] }];
        };
        const [run] = sarif.runs;
        expect(run.results.map((r) => [r.message.text, r.properties.evidence, r.properties.remediation])).toEqual(report.findings.map((f) => [f.message, f.evidence, f.remediation]));
        run.results.forEach((r, i) => {
          const file = report.findings[i]!.location?.file;
          if (file !== undefined) expect(decodeURIComponent(r.locations[0].physicalLocation.artifactLocation.uri)).toBe(file.replace(/\\/g, "/"));
        });
        run.invocations[0].toolExecutionNotifications.forEach((n, i) => expect(n.message.text.endsWith(`: ${report.coverage.gaps[i]!.error}`)).toBe(true));
      }),
      RUNS,
    );
  });

  it("HTML: the same elements with hostile data as with harmless data", () => {
    const tags = (html: string) => [...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]).sort().join(" ");
    fc.assert(
      fc.property(reportShape, (shape) => {
        const hostile = renderHtml(reportOf(shape, (s) => s), RULES, EMPTY_MAP, { scannedAt: "2026-01-01T00:00:00Z" });
        const plain = renderHtml(reportOf(shape, harmless), RULES, EMPTY_MAP, { scannedAt: "2026-01-01T00:00:00Z" });
        expect(tags(hostile)).toBe(tags(plain));
        expect(hostile).not.toMatch(CONTROL);
      }),
      { numRuns: 60 },
    );
  });

  it("diff Markdown and table: one bullet or block per change, notes on their lines; JSON exact", () => {
    const change = fc.record({ risk: fc.constantFrom("increase" as const, "decrease" as const), summary: hostileString, details: fc.array(hostileString, { maxLength: 3 }) });
    const shape = fc.record({ changes: fc.array(change, { maxLength: 5 }), notes: fc.array(hostileString, { maxLength: 2 }), collectedAt: hostileString });
    fc.assert(
      fc.property(shape, fc.boolean(), (s, color) => {
        const diffOf = (data: (x: string) => string): InventoryDiff => ({
          old: { collectedAt: data(s.collectedAt) },
          new: {},
          changes: s.changes.map((c) => ({ kind: c.risk === "increase" ? "credential-added" : "credential-removed", risk: c.risk, summary: data(c.summary), details: c.details.map(data) })),
          summary: { increases: s.changes.filter((c) => c.risk === "increase").length, decreases: s.changes.filter((c) => c.risk === "decrease").length },
          notes: s.notes.map(data),
        });
        const hostile = diffOf((x) => x);
        expectSameMarkdownStructure(renderDiffMarkdown(hostile), renderDiffMarkdown(diffOf(harmless)));
        expect(renderDiffMarkdown(hostile).split("\n").filter((l) => /^- \*\*`/.test(l))).toHaveLength(s.changes.length);
        expectSameTextStructure(renderDiffTable(hostile, { color }), renderDiffTable(diffOf(harmless), { color }), OUR_COLOURS);
        const json = JSON.parse(renderDiffJson(hostile)) as InventoryDiff;
        expect(json.changes.map((c) => [c.summary, c.details])).toEqual(hostile.changes.map((c) => [c.summary, c.details]));
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets: redacted as data, before any reporter escapes them

/** Names an identity, its credentials and an echoing file in every finding, like a rule quoting data. */
const namesEverything: Rule = {
  meta: { id: "names-everything", title: "Names everything", defaultSeverity: "high", description: "test", tags: [] },
  *check({ graph }) {
    for (const i of graph.identities) {
      yield {
        message: `Identity ${i.displayName} is risky.`,
        identity: { kind: i.kind, appId: i.appId, objectId: i.objectId, displayName: i.displayName },
        location: { file: `.buildkite/${i.displayName}.yml`, line: 1 },
        evidence: [`server said: ${echoingError()}`, ...i.credentials.map((c) => `credential ${c.credential.name}`)],
        remediation: `rotate ${TOKENS.short}`,
        key: [i.appId],
      };
    }
  },
};

function secretInventory() {
  const b = new InventoryBuilder();
  const prod = b.subscription(`prod ${TOKENS.arm}`, { tags: { environment: "production" } });
  const deploy = b.pipeline("deploy-prod", { cluster: "Production", name: `deploy ${TOKENS.buildkite}` });
  for (const token of Object.values(TOKENS)) {
    const app = b.app(`app ${token} <b>`, { credentials: [{ subject: deploy, name: `cred_${token}` }] });
    b.assign(app.principalId, "Owner", prod);
  }
  const inventory = b.build();
  inventory.coverage = { complete: false, gaps: [{ source: "arm", scope: `/subscriptions/${TOKENS.arm}`, error: echoingError() }] };
  return inventory;
}

function redactor(): Redactor {
  const r = new Redactor();
  for (const t of Object.values(TOKENS)) r.add(t);
  return r;
}

describe("secrets are redacted before rendering", () => {
  it("no format shows a token, in any spelling, even before the output-level pass", () => {
    const outcome = scan({ inventory: secretInventory(), rules: [namesEverything], redactor: redactor() });
    expect(outcome.report.findings.length).toBeGreaterThan(3);
    for (const format of REPORT_FORMATS) {
      for (const color of [false, true]) {
        const out = format === "html" ? renderScanHtml(outcome) : outcome.render(format, { color });
        expectNoToken(out, `${format}${color ? " (colour)" : ""}`);
        expect(out).toMatch(/\\?\[REDACTED\\?\]/);
      }
    }
    // Markdown escapes `_` in data: the redactor had to see the data first.
    expect(outcome.render("markdown")).toContain("\\[REDACTED\\]");
    expect(outcome.render("table")).not.toMatch(CONTROL);
  });

  it("the trust map and the evaluation see redacted names", () => {
    const outcome = scan({ inventory: secretInventory(), rules: [namesEverything], redactor: redactor() });
    expectNoToken(JSON.stringify(outcome.evaluation.graph.identities.map((i) => [i.displayName, i.credentials.map((c) => c.credential.name)])), "graph");
  });

  it("diff output of redacted snapshots shows no token", () => {
    const r = redactor();
    const before = new InventoryBuilder().build();
    const diff = diffInventories(r.redactDeep(before), r.redactDeep(secretInventory()));
    expect(diff.changes.length).toBeGreaterThan(0);
    for (const out of [renderDiffMarkdown(diff), renderDiffTable(diff), renderDiffJson(diff)]) {
      expectNoToken(out, "diff");
      expect(out).toContain(REDACTED.slice(1, -1));
    }
  });
});
