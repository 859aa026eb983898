/** Baselines: new, unchanged and absent findings by fingerprint, in JSON and SARIF, and --fail-on-new. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";
import { DEMO_SNAPSHOT } from "../support/paths.ts";

interface Report {
  findings: { ruleId: string; fingerprint: string; baseline?: string }[];
  absent?: { ruleId: string; fingerprint: string }[];
}

const demo = () => JSON.parse(readFileSync(DEMO_SNAPSHOT, "utf8"));

function write(dir: string, name: string, data: unknown): string {
  writeFileSync(join(dir, name), typeof data === "string" ? data : JSON.stringify(data, null, 2));
  return name;
}

describe("baselines", () => {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-baseline-"));
  const before = write(dir, "before.json", demo());
  const baseline = trustscope(["scan", "--snapshot", before, "--format", "json", "-o", "baseline.json"], { cwd: dir });
  expect(baseline.code).toBe(1);

  // Fix one finding (the wrong-cloud audience) and add one (a compound subject).
  const after = demo();
  for (const app of after.entra.applications) {
    for (const f of app.federatedIdentityCredentials) if (f.audiences[0] === "api://AzureADTokenExchangeUSGov") f.audiences = ["api://AzureADTokenExchange"];
    if (app.displayName === "old-pipeline-deployer") {
      app.federatedIdentityCredentials.push({ name: "dev-sandbox-commit", issuer: "https://agent.buildkite.com", subject: "organization:acme:pipeline:dev-sandbox:ref:refs/heads/main:commit:abc123:step:", audiences: ["api://AzureADTokenExchange"] });
    }
  }
  write(dir, "after.json", after);

  it("marks one new, lists one absent, and the rest unchanged (JSON)", () => {
    const r = trustscope(["scan", "--snapshot", "after.json", "--baseline", "baseline.json", "--format", "json"], { cwd: dir });
    const report = JSON.parse(r.stdout) as Report;
    const fresh = report.findings.filter((f) => f.baseline === "new");
    expect(fresh.map((f) => f.ruleId)).toEqual(["compound-subject"]);
    expect(report.absent?.map((f) => f.ruleId)).toEqual(["unexpected-audience"]);
    expect(report.findings.filter((f) => f.baseline === "unchanged")).toHaveLength(report.findings.length - 1);
  });

  it("carries the same as SARIF baselineState", () => {
    const r = trustscope(["scan", "--snapshot", "after.json", "--baseline", "baseline.json", "--format", "sarif"], { cwd: dir });
    const results = (JSON.parse(r.stdout) as { runs: { results: { ruleId: string; baselineState: string }[] }[] }).runs[0]!.results;
    expect(results.filter((x) => x.baselineState === "new").map((x) => x.ruleId)).toEqual(["compound-subject"]);
    expect(results.every((x) => x.baselineState === "new" || x.baselineState === "unchanged")).toBe(true);
  });

  it("--fail-on-new passes with only old findings, and fails on a new one", () => {
    expect(trustscope(["scan", "--snapshot", before, "--baseline", "baseline.json", "--fail-on-new"], { cwd: dir }).code).toBe(0);
    expect(trustscope(["scan", "--snapshot", "after.json", "--baseline", "baseline.json", "--fail-on-new", "--fail-on", "low"], { cwd: dir }).code).toBe(1);
    // compound-subject is low: at the default fail-on (high) the new finding does not fail the run.
    expect(trustscope(["scan", "--snapshot", "after.json", "--baseline", "baseline.json", "--fail-on-new"], { cwd: dir }).code).toBe(0);
  });

  it("fingerprints survive shuffled inputs and an added pipeline", () => {
    const shuffled = demo();
    const rev = (o: Record<string, unknown[]>) => Object.values(o).forEach((v) => Array.isArray(v) && v.reverse());
    rev(shuffled.buildkite);
    rev(shuffled.entra);
    rev(shuffled.azure);
    for (const app of shuffled.entra.applications) app.federatedIdentityCredentials.reverse();
    shuffled.buildkite.pipelines.push({ uuid: "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8eaa", slug: "docs-site", name: "Docs", clusterUuid: null, visibility: "PRIVATE", teams: [] });
    write(dir, "shuffled.json", shuffled);
    const a = JSON.parse(trustscope(["scan", "--snapshot", before, "--format", "json"], { cwd: dir }).stdout) as Report;
    const b = JSON.parse(trustscope(["scan", "--snapshot", "shuffled.json", "--format", "json"], { cwd: dir }).stdout) as Report;
    // The organisation-wide credential now reaches one more pipeline, but it is the same problem.
    expect(b.findings.map((f) => f.fingerprint).sort()).toEqual(a.findings.map((f) => f.fingerprint).sort());
  });

  it("a baseline that is not a trustscope JSON report is a usage error", () => {
    write(dir, "bad.json", "{\"findings\": 3}");
    const r = trustscope(["scan", "--snapshot", before, "--baseline", "bad.json"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: not a trustscope JSON report/);
    const nobase = trustscope(["scan", "--snapshot", before, "--fail-on-new"], { cwd: dir });
    expect(nobase.code).toBe(2);
    expect(nobase.stderr).toMatch(/--fail-on-new needs --baseline/);
  });
});
