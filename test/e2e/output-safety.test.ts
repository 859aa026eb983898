/**
 * Every output path with hostile data and secrets: names, credential names, file names and gap
 * errors full of terminal escapes, line breaks, Markdown and HTML, and tokens (with `_ - . /`,
 * and a five-character one) in the environment and echoed by a "server" in every encoding. The
 * output must show no token in any spelling, no control character on a terminal or in a log, and
 * Markdown with our structure only: `scan` in every format (stdout and -o), stderr's notes and
 * gaps, the Buildkite annotation, `explain-access`, `graph`, `diff`, and the GitHub Action's check
 * run, annotations, job summary, SARIF and outputs.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redactor, renderMarkdown, terminalText, type Report } from "@trustscope/core";
import { InventoryBuilder } from "@trustscope/core/testing";
import { main } from "../../packages/cli/src/main.ts";
import type { Io } from "../../packages/cli/src/io.ts";
import { annotationFor } from "../../packages/cli/src/buildkite/annotate.ts";
import { runScan, type ScanResult } from "../../packages/cli/src/commands/scan.ts";
import { annotationsOf, checkRunContent, checkSummary } from "../../packages/action/src/check-run.ts";
import { runAction, runnerFiles, startFakeGitHub, type FakeGitHub } from "../../packages/action/test/support.ts";
import { CONTROL, OUR_COLOURS, TOKENS, echoingError, expectNoToken, expectSameMarkdownStructure, harmless, hostileString, markdownOutsideCode } from "../../packages/core/test/support/output-checks.ts";
import { standInAgent } from "../support/buildkite-agent.ts";
import { trustscope } from "../support/cli.ts";
import { DEMO_SNAPSHOT } from "../support/paths.ts";

const HOSTILE = "\x1b[2J\x1b]0;pwned\x07\r\n# Injected <img src=x onerror=alert(1)> `tick` | *em* [l](javascript:x) \0\u202e";
const PLATFORM_TOOLS = "c0ffee04-4444-4aaa-8bbb-000000000004";
const SECRET_ENV = {
  BUILDKITE_API_TOKEN: TOKENS.buildkite,
  TRUSTSCOPE_GRAPH_TOKEN: TOKENS.graph,
  TRUSTSCOPE_ARM_TOKEN: TOKENS.arm,
  AZURE_CLIENT_SECRET: TOKENS.short,
};

interface Apps {
  entra: { applications: { appId: string; displayName: string; federatedIdentityCredentials: { name: string }[] }[]; servicePrincipals: { appId: string; displayName: string }[] };
  coverage: { complete: boolean; gaps: { source: string; scope: string; error: string }[] };
}

let dir: string;
let snapshot: string;
let repo: string;

/** The demo organisation with a hostile app name, credential name and an echoing coverage gap. */
function hostileSnapshot(): string {
  const inv = JSON.parse(readFileSync(DEMO_SNAPSHOT, "utf8")) as Apps;
  for (const a of [...inv.entra.applications, ...inv.entra.servicePrincipals]) if (a.appId === PLATFORM_TOOLS) a.displayName = `platform-tools${HOSTILE} ${TOKENS.short}`;
  const app = inv.entra.applications.find((a) => a.appId === PLATFORM_TOOLS)!;
  app.federatedIdentityCredentials[0]!.name = `acme-org\n## cred \`\`\` <script>alert(1)</script> ${TOKENS.graph}`;
  // A credential added (for `diff`), named with everything at once.
  app.federatedIdentityCredentials.push({
    id: "f1c00000-0000-4000-8000-000400000001",
    name: `added${HOSTILE} ${TOKENS.buildkite}`,
    issuer: "https://agent.buildkite.com",
    subject: "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e02",
    audiences: ["api://AzureADTokenExchange"],
    description: null,
  } as unknown as { name: string });
  inv.coverage = { complete: false, gaps: [{ source: "arm\x1b[31m", scope: "/subscriptions/x`\n# gap <img src=x onerror=alert(1)>", error: `${echoingError()}\r\x1b[2K\0 done` }] };
  const file = join(dir, "hostile.json");
  writeFileSync(file, JSON.stringify(inv, null, 2));
  return file;
}

/**
 * A repository whose pipeline file has a hostile name (no control characters: the repository
 * reader refuses those names) and logs in with a client secret written inline.
 */
const FILE = "pipeline.<img src=x onerror=alert(1)>`` # H | *x* [l](y).yml";
function hostileRepo(): string {
  const root = join(dir, "repo");
  mkdirSync(join(root, ".buildkite"), { recursive: true });
  writeFileSync(
    join(root, ".buildkite", FILE),
    `steps:\n  - label: deploy\n    command: az login --service-principal -u "$$ARM_CLIENT_ID" -p "${TOKENS.arm}" --tenant t\n`,
  );
  return root;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process (cheaper than a child; `main` is what the executable runs). */
async function cli(args: string[], env: Record<string, string | undefined> = {}, tty = false): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdoutIsTTY: tty,
    stderrIsTTY: tty,
    env: { ...process.env, BUILDKITE: undefined, NO_COLOR: undefined, FORCE_COLOR: undefined, ...SECRET_ENV, ...env },
    cwd: dir,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** Text for a terminal or a log: no control character but line ends and our colours. */
function expectTerminalSafe(text: string, where: string): void {
  expect(text.replace(OUR_COLOURS, ""), where).not.toMatch(CONTROL);
  expect(text.replace(OUR_COLOURS, ""), where).not.toContain("\x1b");
  expect(text, where).not.toContain("\r");
}

/** Markdown with our headings only, no HTML from data, one bullet per counted finding. */
function expectMarkdownSafe(md: string, where: string, findings?: number): void {
  expect(md, where).not.toMatch(CONTROL);
  for (const line of md.split("\n")) {
    if (/^\s{0,3}#/.test(line)) expect(line, where).toMatch(/^(?:## trustscope(?: diff)?|### (?:🟥|🟧|🟨|🟦|⬜) \w+ \(\d+\)|### (?:🟥 Risk increases|🟩 Risk decreases|Top findings|Coverage gaps)(?: \(\d+\))?)$/);
    if (/^<\/?details>|^<details><summary>/.test(line)) continue;
    expect(markdownOutsideCode(line), `${where}: ${line}`).not.toMatch(/</);
  }
  if (findings !== undefined) expect(md.split("\n").filter((l) => /^- (?:🆕 )?\*\*`/.test(l)), where).toHaveLength(findings);
}

const counted = (json: string) => (JSON.parse(json) as Report).findings.filter((f) => !f.suppression).length;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "trustscope-safety-"));
  snapshot = hostileSnapshot();
  repo = hostileRepo();
});

const SOURCE = () => ["--snapshot", snapshot, "--repo", repo];

describe.skipIf(process.platform === "win32")("trustscope scan with hostile data and echoed secrets", () => {
  let findings = 0;

  it("json: exit 3, data exact apart from redaction, no token", async () => {
    const r = await cli(["scan", ...SOURCE(), "--format", "json"]);
    expect(r.code).toBe(3);
    expectNoToken(r.stdout, "json");
    expectNoToken(r.stderr, "stderr");
    const report = JSON.parse(r.stdout) as Report;
    findings = counted(r.stdout);
    expect(findings).toBeGreaterThan(3);
    // The hostile name is kept exactly (JSON escapes it), the token in it replaced.
    const names = report.findings.map((f) => f.identity?.displayName).filter((n) => n?.startsWith("platform-tools"));
    expect(names[0]).toBe(`platform-tools${HOSTILE} [REDACTED]`);
    expect(report.findings.some((f) => f.location?.file.endsWith(`.buildkite/${FILE}`))).toBe(true);
    expect(report.coverage.gaps[0]!.error).toContain("[REDACTED]");
    // Gaps and notes on stderr: one line each, control characters visible.
    expectTerminalSafe(r.stderr, "stderr");
    expect(r.stderr).toContain("  - arm\\x1b[31m /subscriptions/x`\\n# gap <img src=x onerror=alert(1)>: ");
    expect(r.stderr.split("\n").filter((l) => l.startsWith("  - "))).toHaveLength(1);
  });

  it("table on a colour terminal: our colours, the data's escapes visible, one line each", async () => {
    const r = await cli(["scan", ...SOURCE()], { FORCE_COLOR: "1" }, true);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("\x1b[1;31mCRITICAL");
    expectTerminalSafe(r.stdout, "table");
    expectTerminalSafe(r.stderr, "stderr");
    expectNoToken(r.stdout + r.stderr, "table");
    expect(r.stdout).toContain("platform-tools\\x1b[2J\\x1b]0;pwned\\x07\\r\\n# Injected <img src=x onerror=alert(1)>");
    expect(r.stdout.split("\n").filter((l) => /^\S/.test(l.replace(OUR_COLOURS, "")) && /^(CRITICAL|HIGH|MEDIUM|LOW|INFO) /.test(l.replace(OUR_COLOURS, "")))).toHaveLength(findings);
  });

  it("every format to stdout and to -o files", async () => {
    for (const format of ["markdown", "sarif", "html", "table", "json"]) {
      const r = await cli(["scan", ...SOURCE(), "--format", format]);
      const file = join(dir, `report.${format}`);
      const o = await cli(["scan", ...SOURCE(), "--format", format, "-o", file]);
      expect(o.stdout).toBe("");
      const written = readFileSync(file, "utf8");
      for (const [where, text] of [[`${format} stdout`, r.stdout], [`${format} -o`, written], [`${format} stderr`, r.stderr + o.stderr]] as const) expectNoToken(text, where);
      expectTerminalSafe(o.stderr, `${format} -o stderr`);
      // Every format is safe to print on a terminal (JSON with \u escapes, HTML with visible ones).
      expectTerminalSafe(r.stdout, `${format} stdout`);
      if (format === "markdown") for (const text of [r.stdout, written]) expectMarkdownSafe(text, "markdown", findings);
      if (format === "sarif") expect((JSON.parse(written) as { runs: { results: unknown[] }[] }).runs[0]!.results.length).toBeGreaterThan(findings - 1);
      if (format === "html") expect(written).not.toMatch(/<img|<script>alert|<b>/);
    }
  });

  it("the Buildkite annotation", async () => {
    const agent = standInAgent();
    const r = await cli(["scan", ...SOURCE(), "--format", "json", "--buildkite-annotate"], { PATH: agent.path });
    expect(r.code).toBe(3);
    const [call] = agent.calls();
    expect(call!.argv).toEqual(["annotate", "--context", "trustscope", "--style", "error"]);
    expectNoToken(call!.stdin, "annotation");
    expectMarkdownSafe(call!.stdin, "annotation", findings);
    expect(call!.stdin).toContain("platform-tools\\\\x1b\\[2J");
  });

  it("explain-access, as text and JSON", async () => {
    const text = await cli(["explain-access", PLATFORM_TOOLS, ...SOURCE()]);
    expect(text.code).toBe(3);
    expectTerminalSafe(text.stdout, "explain-access");
    expectTerminalSafe(text.stderr, "explain-access stderr");
    expectNoToken(text.stdout + text.stderr, "explain-access");
    expect(text.stdout).not.toMatch(/^#/m);
    expect(text.stdout).toContain("acme-org\\n## cred");
    const json = await cli(["explain-access", PLATFORM_TOOLS, ...SOURCE(), "--format", "json"]);
    expectNoToken(json.stdout, "explain-access json");
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: "identity" });
  });

  it("graph in every format", async () => {
    for (const format of ["dot", "mermaid", "json"]) {
      const r = await cli(["graph", ...SOURCE(), "--format", format]);
      expect(r.code).toBe(3);
      expectNoToken(r.stdout + r.stderr, `graph ${format}`);
      // (The map's JSON is written by the graph module, which prints C1 and bidi characters raw.)
      if (format !== "json") expectTerminalSafe(r.stdout, `graph ${format}`);
    }
  });

  it("diff against the plain demo snapshot, in every format", async () => {
    for (const format of ["table", "markdown", "json"]) {
      const r = await cli(["diff", DEMO_SNAPSHOT, snapshot, "--format", format]);
      expect([0, 1]).toContain(r.code);
      expectNoToken(r.stdout + r.stderr, `diff ${format}`);
      if (format === "table") expectTerminalSafe(r.stdout, "diff table");
      if (format === "markdown") expectMarkdownSafe(r.stdout, "diff markdown");
      if (format === "table") expect(r.stdout).toContain("added\\x1b[2J\\x1b]0;pwned\\x07\\r\\n# Injected");
      if (format === "markdown") expect(r.stdout).toContain("added\\\\x1b\\[2J");
    }
  });

  it("errors stay on one line with control characters visible", async () => {
    const r = await cli(["explain-access", `nope\x1b[31m\n# x ${TOKENS.buildkite}`, ...SOURCE()]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expectTerminalSafe(r.stderr, "usage error");
    expectNoToken(r.stderr, "usage error");
  });

  it("the real executable: stdout and stderr of a process", () => {
    const r = trustscope(["scan", ...SOURCE(), "--format", "markdown"], { cwd: dir, env: SECRET_ENV });
    expect(r.code).toBe(3);
    expectNoToken(r.stdout + r.stderr, "process");
    expectMarkdownSafe(r.stdout, "process markdown", findings);
    expectTerminalSafe(r.stderr, "process stderr");
  });
});

// ---------------------------------------------------------------------------------------------
// explain-access with generated hostile names

describe.skipIf(process.platform === "win32")("explain-access keeps one line per fact whatever the names", () => {
  /** The pipeline, identity and scope views of a small organisation whose names are `names`. */
  async function views(names: string[]): Promise<string[]> {
    const b = new InventoryBuilder();
    const sub = b.subscription(`sub ${names[0]}`, { tags: { environment: "production" } });
    const p = b.pipeline(`deploy-${names[1]}`, { cluster: `cluster ${names[2]}` });
    const app = b.app(`app ${names[3]}`, { credentials: [{ subject: p, name: `cred ${names[4]}` }] });
    b.assign(app.principalId, "Owner", sub);
    const file = join(dir, "explain.json");
    writeFileSync(file, JSON.stringify(b.build()));
    const runs = await Promise.all([p, app.appId, sub].map((target) => cli(["explain-access", target, "--snapshot", file])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    return runs.map((r) => r.stdout);
  }

  it("pipeline, identity and scope views", async () => {
    // ASCII names, so that the harmless twin (every other character a hyphen) reads the same to the
    // production heuristics and the rules: the same facts, so the same lines.
    const ascii = hostileString.filter((s) => [...s].every((c) => c.charCodeAt(0) < 0x80));
    await fc.assert(
      fc.asyncProperty(fc.array(ascii, { minLength: 5, maxLength: 5 }), async (names) => {
        const hostile = await views(names);
        const plain = await views(names.map((n) => n.replace(/[^A-Za-z0-9]/g, "-")));
        hostile.forEach((text, i) => {
          expectTerminalSafe(text, "explain-access");
          expect(text.split("\n")).toHaveLength(plain[i]!.split("\n").length);
        });
        expect(hostile[1]).toContain(terminalText(`app ${names[3]}`));
      }),
      { numRuns: 25 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The annotation and the Action's check run with generated hostile reports

function reportWith(data: (s: string) => string, strings: { message: string; evidence: string[]; file: string; gap: string }): Report {
  return {
    schemaVersion: 1,
    tool: { name: "trustscope", version: "test" },
    findings: [
      {
        ruleId: "client-secret-login",
        severity: "high",
        message: data(strings.message),
        location: { file: `.buildkite/${data(strings.file)}`, line: 3 },
        evidence: strings.evidence.map(data),
        remediation: data(strings.message),
        fingerprint: "fp-1",
      },
    ],
    coverage: { complete: false, gaps: [{ source: "arm", scope: data(strings.file), error: data(strings.gap) }] },
    summary: { critical: 0, high: 1, medium: 0, low: 0, info: 0 },
  };
}

function resultOf(report: Report): ScanResult {
  return {
    report,
    evaluation: undefined as unknown as ScanResult["evaluation"],
    failOn: "high",
    exitCode: 3,
    render: (format) => (format === "markdown" ? renderMarkdown(report) : JSON.stringify(report)),
    renderAny: (format) => Promise.resolve(format === "markdown" ? renderMarkdown(report) : JSON.stringify(report)),
  };
}

describe("the annotation and the check run keep their structure whatever the data", () => {
  const strings = fc.record({ message: hostileString, evidence: fc.array(hostileString, { maxLength: 3 }), file: hostileString, gap: hostileString });

  it("annotation body, check-run summary, text and annotations", () => {
    fc.assert(
      fc.property(strings, (s) => {
        const hostile = reportWith((x) => x, s);
        const plain = reportWith(harmless, s);
        expectSameMarkdownStructure(annotationFor(hostile, renderMarkdown(hostile)).body, annotationFor(plain, renderMarkdown(plain)).body);
        expectSameMarkdownStructure(checkSummary(resultOf(hostile), { repo: s.file }), checkSummary(resultOf(plain), { repo: harmless(s.file) }));
        const content = checkRunContent(resultOf(hostile), { repo: ".", redactor: new Redactor() });
        expectSameMarkdownStructure(content.text, checkRunContent(resultOf(plain), { repo: ".", redactor: new Redactor() }).text);
        const [a] = annotationsOf(resultOf(hostile));
        expect(a!.message.split("\n")).toHaveLength(3);
        expect(a!.message).not.toMatch(CONTROL);
        if (s.evidence.length > 0) expect(a!.raw_details!.split("\n")).toHaveLength(s.evidence.length);
        expect(a!.raw_details ?? "").not.toMatch(CONTROL);
      }),
      { numRuns: 150 },
    );
  });

  it("runScan's result redacts the data the check run shows", async () => {
    const io: Io = { stdout: () => undefined, stderr: () => undefined, stdoutIsTTY: false, stderrIsTTY: false, env: {}, cwd: dir };
    const redactor = new Redactor();
    for (const t of Object.values(TOKENS)) redactor.add(t);
    const result = await runScan(SOURCE(), io, redactor);
    // Not redacted again here: what the check run shows was redacted as data.
    const content = checkRunContent(result, { repo: ".", redactor: new Redactor() });
    for (const text of [content.title, content.summary, content.text, ...content.annotations.flatMap((a) => [a.message, a.raw_details ?? "", a.title ?? ""])]) expectNoToken(text, "check run");
    expectMarkdownSafe(content.summary, "check-run summary");
    expectMarkdownSafe(content.text, "check-run text", counted(result.render("json")));
  });
});

describe.skipIf(process.platform === "win32")("the GitHub Action with hostile data and echoed secrets", () => {
  let gh: FakeGitHub;
  beforeAll(async () => {
    gh = await startFakeGitHub();
  });
  afterAll(async () => {
    await gh.close();
  });

  it("check run, annotations, job summary, SARIF, outputs and log", async () => {
    const files = runnerFiles({});
    try {
      const run = await runAction({ workspace: repo, files, apiUrl: gh.apiUrl, eventName: "push", inputs: { args: `--snapshot ${snapshot}`, "fail-on": "high" }, env: SECRET_ENV });
      expect(run.code).toBe(1);
      const bodies = gh.requests.map((r) => r.body as { output?: { title: string; summary: string; text?: string; annotations?: { message: string; raw_details?: string; title?: string; path: string }[] } });
      expect(bodies.length).toBeGreaterThan(0);
      const summary = readFileSync(files.summary, "utf8");
      const sarif = readFileSync(join(repo, "trustscope.sarif"), "utf8");
      for (const [where, text] of [["stdout", run.stdout], ["stderr", run.stderr], ["job summary", summary], ["SARIF", sarif], ["outputs", readFileSync(files.output, "utf8")], ["check run", JSON.stringify(bodies)]] as const) {
        expectNoToken(text, where);
      }
      expectTerminalSafe(run.stdout, "action stdout");
      expectTerminalSafe(run.stderr, "action stderr");
      expectMarkdownSafe(summary, "job summary");
      for (const b of bodies) {
        if (!b.output) continue;
        expectMarkdownSafe(b.output.summary, "check-run summary");
        if (b.output.text) expectMarkdownSafe(b.output.text, "check-run text");
        for (const a of b.output.annotations ?? []) {
          expect(a.message).not.toMatch(CONTROL);
          expect(a.raw_details ?? "").not.toMatch(CONTROL);
        }
      }
      expect(JSON.stringify(bodies)).toContain("x1b");
    } finally {
      files.cleanup();
    }
  });
});
