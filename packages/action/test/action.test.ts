/**
 * The bundled action, run as GitHub runs it: `node dist/index.js` with INPUT_* and GITHUB_*
 * variables, against a loopback stand-in for the Checks API.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BUNDLE,
  MERGE_SHA,
  PR_HEAD_SHA,
  TOKEN,
  makeRepo,
  parseOutputs,
  pullRequestEvent,
  readJson,
  runAction,
  runnerFiles,
  startFakeGitHub,
  type ActionRun,
  type FakeGitHub,
  type RecordedRequest,
  type RunnerFiles,
} from "./support.ts";

interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: string;
  message: string;
  title?: string;
}

interface CheckBody {
  name?: string;
  head_sha?: string;
  status?: string;
  conclusion?: string;
  details_url?: string;
  output?: { title: string; summary: string; text?: string; annotations?: CheckAnnotation[] };
}

interface SarifLog {
  version: string;
  runs: { results: { ruleId: string; fingerprints?: Record<string, string>; suppressions?: unknown[] }[] }[];
}

const body = (r: RecordedRequest): CheckBody => r.body as CheckBody;
const annotationsOf = (r: RecordedRequest): CheckAnnotation[] => body(r).output?.annotations ?? [];

let gh: FakeGitHub;
const cleanups: (() => void)[] = [];

function track<T extends string | RunnerFiles>(x: T): T {
  cleanups.push(typeof x === "string" ? () => rmSync(x, { recursive: true, force: true }) : x.cleanup);
  return x;
}

function expectNoToken(run: ActionRun, ...texts: string[]): void {
  for (const t of [run.stdout, run.stderr, ...texts]) expect(t).not.toContain(TOKEN);
}

beforeEach(async () => {
  gh = await startFakeGitHub();
});

afterEach(async () => {
  await gh.close();
  for (const c of cleanups.splice(0)) c();
});

describe("the bundled action on a pull request", () => {
  it("creates the check run on the head commit, pages 120 annotations 50 at a time, and fails by fail-on", async () => {
    const workspace = track(makeRepo(120));
    const files = track(runnerFiles(pullRequestEvent()));
    const run = await runAction({ workspace, files, apiUrl: gh.apiUrl, eventName: "pull_request" });

    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /api/v3/repos/octo-org/octo-repo/check-runs",
      "PATCH /api/v3/repos/octo-org/octo-repo/check-runs/4242",
      "PATCH /api/v3/repos/octo-org/octo-repo/check-runs/4242",
    ]);
    for (const r of gh.requests) expect(r.authorization).toBe(`token ${TOKEN}`);

    const [create, update1, update2] = gh.requests.map(body);
    expect(create).toMatchObject({ name: "trustscope", head_sha: PR_HEAD_SHA, status: "in_progress", details_url: "https://github.example/octo-org/octo-repo/actions/runs/99" });
    expect(create!.conclusion).toBeUndefined();
    expect(update1!.conclusion).toBeUndefined();
    expect(update2).toMatchObject({ status: "completed", conclusion: "failure" });

    // Exactly three annotation-carrying requests of at most 50 each, 120 in all, each finding once.
    const carrying = gh.requests.filter((r) => annotationsOf(r).length > 0);
    expect(carrying).toHaveLength(3);
    expect(carrying.map((r) => annotationsOf(r).length)).toEqual([50, 50, 20]);
    const all = gh.requests.flatMap(annotationsOf);
    expect(new Set(all.map((a) => a.start_line)).size).toBe(120);
    for (const a of all) {
      expect(a).toMatchObject({ path: ".buildkite/pipeline.yml", annotation_level: "failure", title: "client-secret-login" });
      expect(a.end_line).toBe(a.start_line);
      expect(a.message).toMatch(/client secret/);
    }

    // Every request carries the output's title and summary; the summary stays under GitHub's limit.
    for (const b of [create!, update1!, update2!]) {
      expect(b.output?.title).toBe("120 findings at or above high");
      expect(b.output!.summary.length).toBeLessThanOrEqual(65_535);
      expect(b.output!.summary).toContain("| high | 120 |");
      expect(b.output!.summary).toContain("### Top findings");
      expect(b.output!.summary).toContain("…and 110 more");
    }

    const outputs = parseOutputs(readFileSync(files.output, "utf8"));
    expect(outputs).toEqual({ "sarif-file": join(workspace, "trustscope.sarif"), findings: "120", "highest-severity": "high" });
    const summary = readFileSync(files.summary, "utf8");
    expect(summary).toContain("## trustscope");
    expect(summary).toContain("120 finding(s): 120 high.");
    const sarifText = readFileSync(join(workspace, "trustscope.sarif"), "utf8");
    const sarif = JSON.parse(sarifText) as SarifLog;
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0]!.results).toHaveLength(120);

    expect(run.stdout).toMatch(/^::error title=trustscope::trustscope: 120 finding\(s\) at or above fail-on 'high'/m);
    expect(run.stdout).not.toMatch(/^::warning/m);
    expectNoToken(run, summary, readFileSync(files.output, "utf8"), sarifText, JSON.stringify(gh.requests.map((r) => r.body)));
  });

  it("with fail-on never, the conclusion is success and the step passes", async () => {
    const workspace = track(makeRepo(120));
    const files = track(runnerFiles(pullRequestEvent()));
    const run = await runAction({ workspace, files, apiUrl: gh.apiUrl, eventName: "pull_request_target", inputs: { "fail-on": "never" } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(gh.requests).toHaveLength(3);
    expect(body(gh.requests[0]!).head_sha).toBe(PR_HEAD_SHA);
    expect(body(gh.requests[2]!)).toMatchObject({ status: "completed", conclusion: "success" });
    expect(run.stdout).not.toMatch(/^::error/m);
    expect(parseOutputs(readFileSync(files.output, "utf8")).findings).toBe("120");
  });
});

describe("the bundled action outside pull requests", () => {
  it("creates a completed check run on GITHUB_SHA in one request, with the check name and SARIF path given", async () => {
    const workspace = track(makeRepo(3));
    const files = track(runnerFiles({ ref: "refs/heads/main", after: MERGE_SHA }));
    const run = await runAction({
      workspace,
      files,
      apiUrl: gh.apiUrl,
      eventName: "push",
      inputs: { "check-name": "trust audit", "sarif-file": "reports/out.sarif", "fail-on": "critical" },
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(gh.requests).toHaveLength(1);
    const create = body(gh.requests[0]!);
    expect(create).toMatchObject({ name: "trust audit", head_sha: MERGE_SHA, status: "completed", conclusion: "success" });
    expect(create.output!.title).toBe("3 findings (3 high), none at or above critical");
    expect(create.output!.annotations).toHaveLength(3);
    const outputs = parseOutputs(readFileSync(files.output, "utf8"));
    expect(outputs["sarif-file"]).toBe(join(workspace, "reports", "out.sarif"));
    expect((readJson(outputs["sarif-file"]!) as SarifLog).version).toBe("2.1.0");
  });

  it("does not annotate suppressed findings or count them", async () => {
    const workspace = track(makeRepo(3));
    const first = track(runnerFiles({}));
    expect((await runAction({ workspace, files: first, apiUrl: gh.apiUrl, eventName: "push" })).code).toBe(1);
    const sarif = readJson(join(workspace, "trustscope.sarif")) as SarifLog;
    const fingerprint = sarif.runs[0]!.results[0]!.fingerprints!["trustscope/v1"]!;
    mkdirSync(join(workspace, "policy"));
    writeFileSync(
      join(workspace, "policy", "trustscope.yaml"),
      `suppressions:\n  - rule: client-secret-login\n    fingerprint: "${fingerprint}"\n    reason: "Migrating to OIDC; tracked"\n    expires: 2099-12-31\n`,
    );
    gh.requests.length = 0;
    const files = track(runnerFiles({}));
    const run = await runAction({ workspace, files, apiUrl: gh.apiUrl, eventName: "push", inputs: { config: "policy/trustscope.yaml" } });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const create = body(gh.requests[0]!);
    expect(create.output!.annotations).toHaveLength(2);
    expect(create.output!.summary).toContain("2 findings and 1 suppressed");
    expect(parseOutputs(readFileSync(files.output, "utf8")).findings).toBe("2");
  });

  it("an incomplete scan fails the step and the check run, whatever fail-on says", async () => {
    const workspace = track(makeRepo(1));
    writeFileSync(
      join(workspace, "snapshot.json"),
      JSON.stringify({
        schemaVersion: 1,
        cloud: "AzureCloud",
        coverage: { complete: false, gaps: [{ source: "arm", scope: "/subscriptions/00000000-0000-0000-0000-000000000001", error: "403 Forbidden: the credential lacks Reader" }] },
      }),
    );
    const files = track(runnerFiles({}));
    const run = await runAction({ workspace, files, apiUrl: gh.apiUrl, eventName: "schedule", inputs: { args: "--snapshot snapshot.json", "fail-on": "never" } });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const create = body(gh.requests[0]!);
    expect(create.conclusion).toBe("failure");
    expect(create.output!.title).toMatch(/^Incomplete scan: 1 coverage gap, 1 finding/);
    expect(create.output!.summary).toContain("### Coverage gaps");
    expect(run.stdout).toMatch(/^::error title=trustscope::trustscope: the scan is incomplete/m);
  });
});

describe("the bundled action without checks: write", () => {
  it("warns on a 403, still writes the summary, SARIF and outputs, and fails by fail-on", async () => {
    await gh.close();
    gh = await startFakeGitHub({ createStatus: 403 });
    const workspace = track(makeRepo(12));
    const files = track(runnerFiles(pullRequestEvent()));
    const run = await runAction({ workspace, files, apiUrl: gh.apiUrl, eventName: "pull_request" });

    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(gh.requests).toHaveLength(1);
    expect(run.stdout).toMatch(/^::warning title=trustscope%3A no check run::.*could not be created \(HTTP 403: .*checks: write/m);
    expect(run.stderr).not.toMatch(/at .*index\.js/); // no stack trace
    // The most severe located findings become workflow-command annotations instead (at most 8).
    const fallback = run.stdout.split("\n").filter((l) => l.startsWith("::error title=client-secret-login,file=.buildkite/pipeline.yml,line=") && l.includes("%0A%0AFix: "));
    expect(fallback).toHaveLength(8);
    expect(run.stdout).toMatch(/^::error title=trustscope::trustscope: 12 finding\(s\) at or above fail-on 'high'; see the job summary\.$/m);

    const summary = readFileSync(files.summary, "utf8");
    expect(summary).toContain("## trustscope");
    expect(summary).toMatch(/No check run: the check run could not be created \(HTTP 403: .*checks: write/);
    expect(parseOutputs(readFileSync(files.output, "utf8"))).toMatchObject({ findings: "12", "highest-severity": "high" });
    expect((readJson(join(workspace, "trustscope.sarif")) as SarifLog).runs[0]!.results).toHaveLength(12);
    expectNoToken(run, summary);
  });

  it("with fail-on never the step passes despite the 403", async () => {
    await gh.close();
    gh = await startFakeGitHub({ createStatus: 403 });
    const workspace = track(makeRepo(2));
    const files = track(runnerFiles(pullRequestEvent()));
    const run = await runAction({ workspace, files, apiUrl: gh.apiUrl, eventName: "pull_request", inputs: { "fail-on": "never" } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^::warning /m);
    expect(readFileSync(files.summary, "utf8")).toContain("## trustscope");
  });
});

describe("the bundled action's errors", () => {
  it("a usage error is one ::error:: line and exit code 2; nothing is scanned or posted", async () => {
    const workspace = track(makeRepo(1));
    const files = track(runnerFiles({}));
    const run = await runAction({ workspace, files, apiUrl: gh.apiUrl, eventName: "push", inputs: { "fail-on": "severe" } });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^::error title=trustscope::trustscope: --fail-on must be one of/m);
    expect(gh.requests).toHaveLength(0);
    expect(existsSync(join(workspace, "trustscope.sarif"))).toBe(false);

    const quoted = await runAction({ workspace, files, apiUrl: gh.apiUrl, eventName: "push", inputs: { args: `--snapshot "unterminated` } });
    expect(quoted.code).toBe(2);
    expect(quoted.stdout).toMatch(/^::error title=trustscope::trustscope: args: unterminated double quote/m);
  });
});

describe("the bundle on its own", () => {
  it("runs --demo from a copy of dist/ outside the repository (no node_modules, assets inlined)", async () => {
    const dir = track(mkdtempSync(join(tmpdir(), "trustscope-action-copy-")));
    cpSync(dirname(BUNDLE), join(dir, "dist"), { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const workspace = track(mkdtempSync(join(tmpdir(), "trustscope-action-empty-")));
    const files = track(runnerFiles({}));
    const run = await runAction({ bundle: join(dir, "dist", "index.js"), workspace, files, apiUrl: gh.apiUrl, eventName: "push", inputs: { args: "--demo", "fail-on": "never" } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const outputs = parseOutputs(readFileSync(files.output, "utf8"));
    expect(Number(outputs.findings)).toBeGreaterThan(0);
    expect(outputs["highest-severity"]).toBe("critical");
    expect(body(gh.requests[0]!)).toMatchObject({ status: "completed", conclusion: "success" });
    expect((readJson(outputs["sarif-file"]!) as SarifLog).runs[0]!.results.length).toBe(Number(outputs.findings));
  });
});
