/** Inline suppressions with and without a reason, and unused ones, through the real CLI. */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";
import { DEMO_SNAPSHOT, REPO_ROOT } from "../support/paths.ts";

interface Report {
  findings: { ruleId: string; location?: { file: string; line: number }; suppression?: { kind: string; reason: string }; message: string }[];
  summary: Record<string, number>;
}

function repoWith(pipeline: string): string {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-inline-"));
  cpSync(resolve(REPO_ROOT, "test/fixtures/repos/clean"), dir, { recursive: true });
  writeFileSync(join(dir, ".buildkite/pipeline.legacy.yml"), pipeline);
  return dir;
}

const scan = (dir: string, extra: string[] = []) => JSON.parse(trustscope(["scan", "--repo", ".", "--format", "json", ...extra], { cwd: dir }).stdout) as Report;

describe("inline suppressions", () => {
  it("with a reason: the finding stays in the report, marked, and does not count (comment above the line)", () => {
    const dir = repoWith('steps:\n  - label: legacy\n    # trustscope: ignore[client-secret-login] break-glass pipeline, run by hand (SEC-42)\n    command: az login --service-principal -u x -p "$$ARM_CLIENT_SECRET" --tenant t\n');
    const report = scan(dir);
    const f = report.findings.find((x) => x.ruleId === "client-secret-login")!;
    expect(f.suppression).toEqual({ kind: "inline", reason: "break-glass pipeline, run by hand (SEC-42)", location: { file: ".buildkite/pipeline.legacy.yml", line: 3 } });
    expect(report.summary.high).toBe(0);
    const r = trustscope(["scan", "--repo", ".", "--format", "sarif"], { cwd: dir });
    const results = (JSON.parse(r.stdout) as { runs: { results: { ruleId: string; suppressions?: { kind: string; justification: string }[] }[] }[] }).runs[0]!.results;
    expect(results.find((x) => x.ruleId === "client-secret-login")?.suppressions).toEqual([{ kind: "inSource", status: "accepted", justification: "break-glass pipeline, run by hand (SEC-42)" }]);
  });

  it("as a trailing comment on the line itself", () => {
    const dir = repoWith('steps:\n  - command: az login --service-principal -u x -p "$$ARM_CLIENT_SECRET" --tenant t # trustscope: ignore[client-secret-login] accepted until the migration\n');
    expect(scan(dir).findings.find((x) => x.ruleId === "client-secret-login")?.suppression?.kind).toBe("inline");
  });

  it("without a reason: suppresses nothing, and says so at its line", () => {
    const dir = repoWith('steps:\n  - label: legacy\n    # trustscope: ignore[client-secret-login]\n    command: az login --service-principal -u x -p "$$ARM_CLIENT_SECRET" --tenant t\n');
    const report = scan(dir);
    expect(report.findings.find((x) => x.ruleId === "client-secret-login")?.suppression).toBeUndefined();
    const invalid = report.findings.find((x) => x.ruleId === "invalid-suppression")!;
    expect(invalid.location).toEqual({ file: ".buildkite/pipeline.legacy.yml", line: 3 });
    expect(invalid.message).toMatch(/gives no reason/);
  });

  it("naming an unknown rule is invalid; one that matches nothing is unused", () => {
    const dir = repoWith("steps:\n  # trustscope: ignore[client-secret-logins] typo\n  - command: make test\n  # trustscope: ignore[client-secret-login] nothing here any more\n  - command: make lint\n");
    const report = scan(dir);
    expect(report.findings.find((x) => x.ruleId === "invalid-suppression")?.message).toMatch(/unknown rule\(s\) client-secret-logins/);
    expect(report.findings.find((x) => x.ruleId === "unused-suppression")?.location).toEqual({ file: ".buildkite/pipeline.legacy.yml", line: 4 });
  });

  it("an unused policy suppression is reported at its line", () => {
    const dir = repoWith("steps:\n  - command: make test\n");
    writeFileSync(join(dir, "trustscope.yaml"), "suppressions:\n  - rule: org-scoped-trust\n    identity: no-such-app\n    reason: old exception\n    expires: 2999-01-01\n");
    const report = JSON.parse(trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "json"], { cwd: dir }).stdout) as Report;
    expect(report.findings.find((x) => x.ruleId === "unused-suppression")).toMatchObject({ location: { file: "trustscope.yaml", line: 2 } });
  });
});

describe("inline suppressions in Bicep", () => {
  it("a // comment above the resource suppresses the template finding", () => {
    const dir = mkdtempSync(join(tmpdir(), "trustscope-inline-bicep-"));
    cpSync(resolve(REPO_ROOT, "test/fixtures/repos/templates"), dir, { recursive: true });
    const file = join(dir, "infra/main.bicep");
    const text = readFileSync(file, "utf8").replace("  resource buildkite 'federatedIdentityCredentials'", "  // trustscope: ignore[issuer-near-miss, unexpected-audience] being rebuilt in PLAT-7\n  resource buildkite 'federatedIdentityCredentials'");
    writeFileSync(file, text);
    const report = scan(dir);
    const suppressed = report.findings.filter((f) => f.suppression?.kind === "inline").map((f) => f.ruleId).sort();
    expect(suppressed).toEqual(["issuer-near-miss", "unexpected-audience"]);
  });
});
