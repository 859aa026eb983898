/**
 * Hostile files given to the CLI (issue 14, items 7 and 13): JSON nested to overflow a recursive
 * parser, scopes that are not Azure scopes, and policy keys that would reach the prototype. Each
 * is a located one-line error (exit 2) or, inside a repository, one coverage gap (exit 3) —
 * never an internal error, never a quietly smaller scan.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";
import { expectUsageError } from "../support/expect-usage-error.ts";
import { DEMO_SNAPSHOT } from "../support/paths.ts";

const LEVELS = 10_000;
const nested = (inner = "") => `${"[".repeat(LEVELS)}${inner}${"]".repeat(LEVELS)}`;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "trustscope-hostile-files-"));
}

describe("JSON nested deeper than any parser's stack", () => {
  const dir = tempDir();
  const deep = join(dir, "deep.json");
  // The nesting starts on line 3, so the error's line is checked, not assumed to be 1.
  writeFileSync(deep, `{\n  "schemaVersion": 1,\n  "x": ${nested()}\n}\n`);

  it("as a snapshot: exit 2 naming the file and line", () => {
    expectUsageError(trustscope(["scan", "--snapshot", deep]), /deep\.json:3: the snapshot nests JSON deeper than 200 levels; not read$/m);
  });

  it("as either side of diff: exit 2", () => {
    expectUsageError(trustscope(["diff", DEMO_SNAPSHOT, deep]), /deep\.json:3: the snapshot nests JSON deeper than 200 levels/);
    expectUsageError(trustscope(["diff", deep, DEMO_SNAPSHOT]), /deep\.json:3: the snapshot nests JSON deeper than 200 levels/);
  });

  it("as a baseline: exit 2", () => {
    expectUsageError(trustscope(["scan", "--demo", "--baseline", deep]), /deep\.json:3: the baseline report nests JSON deeper than 200 levels/);
  });

  it("as an ARM template in a repository: one gap, exit 3, and the rest of the repository is still judged", () => {
    const repo = tempDir();
    mkdirSync(join(repo, "infra"));
    mkdirSync(join(repo, ".buildkite"));
    writeFileSync(join(repo, "infra", "deep.json"), `{\n  "contentVersion": "1.0.0.0",\n  "resources": ${nested()}\n}\n`);
    // A finding elsewhere in the repository must survive the bad template.
    writeFileSync(join(repo, ".buildkite", "pipeline.yml"), 'steps:\n  - command: az login --service-principal -u "$AZURE_CLIENT_ID" -p "$AZURE_CLIENT_SECRET" --tenant "$AZURE_TENANT_ID"\n');
    const r = trustscope(["scan", "--repo", repo, "--format", "json"]);
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as { coverage: { gaps: { scope: string; error: string }[] }; findings: { ruleId: string }[] };
    expect(report.coverage.gaps).toHaveLength(1);
    expect(report.coverage.gaps[0]!.scope).toMatch(/infra\/deep\.json$/);
    expect(report.coverage.gaps[0]!.error).toMatch(/^line 3: JSON nested deeper than 200 levels; the file is not read$/);
    expect(report.findings.map((f) => f.ruleId)).toContain("client-secret-login");
  });

  it("a pipeline nested too deeply: one gap with a plain reason, exit 3", () => {
    const repo = tempDir();
    mkdirSync(join(repo, ".buildkite"));
    writeFileSync(join(repo, ".buildkite", "pipeline.yml"), `steps: ${nested()}\n`);
    const r = trustscope(["scan", "--repo", repo, "--format", "json"]);
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as { coverage: { gaps: { scope: string; error: string }[] } };
    expect(report.coverage.gaps.map((g) => g.error)).toEqual(["line 1: not valid YAML: nested deeper than 400 levels; not read"]);
  });

  it("several pipelines nested past the parser's stack, in flow and block style, are one gap each, not a crashed process", () => {
    const repo = tempDir();
    mkdirSync(join(repo, ".buildkite"));
    writeFileSync(join(repo, ".buildkite", "pipeline.a.yml"), `steps: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`);
    writeFileSync(join(repo, ".buildkite", "pipeline.b.yml"), `steps: ${"{a: ".repeat(50_000)}1${"}".repeat(50_000)}\n`);
    let block = "steps:\n";
    for (let i = 1; i <= 2_000; i++) block += `${" ".repeat(i)}- \n`;
    writeFileSync(join(repo, ".buildkite", "pipeline.c.yml"), block);
    writeFileSync(join(repo, ".buildkite", "pipeline.d.yml"), `steps:\n${"- ".repeat(5_000)}x\n`);
    const r = trustscope(["scan", "--repo", repo, "--format", "json"]);
    expect(r.stderr).not.toMatch(/FATAL|Native stack|RangeError/);
    expect(r.code).toBe(3);
    const gaps = (JSON.parse(r.stdout) as { coverage: { gaps: { scope: string; error: string }[] } }).coverage.gaps;
    expect(gaps.map((g) => [g.scope.replace(/^.*\//, ""), g.error])).toEqual([
      ["pipeline.a.yml", "line 1: not valid YAML: nested deeper than 400 levels; not read"],
      ["pipeline.b.yml", "line 1: not valid YAML: nested deeper than 400 levels; not read"],
      ["pipeline.c.yml", "line 400: not valid YAML: nested deeper than 400 levels; not read"],
      ["pipeline.d.yml", "line 2: not valid YAML: nested deeper than 400 levels; not read"],
    ]);
  });

  it("a policy nested too deeply: exit 2 with a plain reason", () => {
    const d = tempDir();
    writeFileSync(join(d, "trustscope.yaml"), `environments: ${nested()}\n`);
    expectUsageError(trustscope(["scan", "--demo", "--config", join(d, "trustscope.yaml")]), /trustscope\.yaml:1: not valid YAML: nested deeper than 400 levels; not read$/m);
  });
});

describe("values the schema alone would accept", () => {
  it("a role-assignment scope that is not an Azure scope is exit 2, not a critical finding gone", () => {
    const inv = JSON.parse(readFileSync(DEMO_SNAPSHOT, "utf8")) as { azure: { roleAssignments: { scope: string }[] } };
    const i = inv.azure.roleAssignments.findIndex((a) => a.scope.startsWith("/subscriptions/"));
    inv.azure.roleAssignments[i]!.scope = inv.azure.roleAssignments[i]!.scope.replace("/subscriptions/", "/subscription/");
    const dir = tempDir();
    const text = JSON.stringify(inv, null, 2);
    writeFileSync(join(dir, "snap.json"), text);
    const line = text.split("\n").findIndex((l) => l.includes('"scope": "/subscription/')) + 1;
    expectUsageError(
      trustscope(["scan", "--snapshot", join(dir, "snap.json")]),
      new RegExp(`snap\\.json:${line}: not a valid trustscope snapshot: /azure/roleAssignments/${i}/scope: "/subscription/[^"]+" is not an Azure scope`),
    );
  });

  it("a '__proto__' key in a snapshot is exit 2 (a parser would make it the object's prototype)", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "snap.json"), '{\n  "schemaVersion": 1,\n  "azure": { "__proto__": { "roleAssignments": [] } }\n}\n');
    expectUsageError(trustscope(["scan", "--snapshot", join(dir, "snap.json")]), /snap\.json:3: the snapshot has a '__proto__' key; not read$/m);
  });

  it("ruleSettings.__proto__ in a policy is exit 2, like any other unknown rule id", () => {
    const d = tempDir();
    writeFileSync(join(d, "trustscope.yaml"), "ruleSettings:\n  __proto__:\n    enabled: false\n");
    expectUsageError(trustscope(["scan", "--demo", "--config", join(d, "trustscope.yaml")]), /trustscope\.yaml:2: key 'ruleSettings\.__proto__' is not allowed$/m);
  });
});

describe("files named on the command line or found in the working directory", () => {
  it("a trustscope.yaml that is a link to /dev/zero or a FIFO (a pull request controls it) is exit 2 at once, not a hang or gigabytes", () => {
    const zero = tempDir();
    symlinkSync("/dev/zero", join(zero, "trustscope.yaml"));
    expectUsageError(trustscope(["scan", "--demo"], { cwd: zero }), /trustscope\.yaml: cannot read the policy file: not a regular file \(character device\)$/m);
    const fifo = tempDir();
    execFileSync("mkfifo", [join(fifo, "trustscope.yaml")]);
    expectUsageError(trustscope(["scan", "--demo"], { cwd: fifo }), /trustscope\.yaml: cannot read the policy file: not a regular file \(FIFO\)$/m);
  });

  it("a snapshot, baseline or diff input that is a FIFO, a device or a directory is exit 2", () => {
    const dir = tempDir();
    execFileSync("mkfifo", [join(dir, "snap.json")]);
    expectUsageError(trustscope(["scan", "--snapshot", join(dir, "snap.json")]), /snap\.json: cannot read the snapshot: not a regular file \(FIFO\)$/m);
    expectUsageError(trustscope(["scan", "--demo", "--baseline", "/dev/zero"]), /\/dev\/zero: cannot read the baseline report: not a regular file \(character device\)$/m);
    expectUsageError(trustscope(["diff", DEMO_SNAPSHOT, dir]), /cannot read the snapshot: not a regular file \(directory\)$/m);
  });
});
