/**
 * Where a repository scan runs from does not change what it reports: locations and fingerprints
 * are relative to the --repo root (CONTRACT), while the table prints clickable paths from the
 * working directory and notes are summarised on stderr.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";
import { REPO_ROOT } from "../support/paths.ts";

const FIXTURE = resolve(REPO_ROOT, "test/fixtures/repos/legacy-secret");

interface Report {
  findings: { ruleId: string; location?: { file: string; line: number }; fingerprint: string; relatedLocations?: { file: string }[] }[];
}

function checkout(): string {
  const parent = mkdtempSync(join(tmpdir(), "trustscope-paths-"));
  const dir = join(parent, "checkout", "infra");
  mkdirSync(dir, { recursive: true });
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

describe("locations are relative to the repository root", () => {
  it("two checkout paths, scanned from inside, from their parent and from elsewhere, give the same report", () => {
    const a = checkout();
    const b = checkout();
    const runs = [
      trustscope(["scan", "--repo", ".", "--format", "json", "--fail-on", "never"], { cwd: a }),
      trustscope(["scan", "--repo", "checkout/infra", "--format", "json", "--fail-on", "never"], { cwd: resolve(b, "../..") }),
      trustscope(["scan", "--repo", b, "--format", "json", "--fail-on", "never"], { cwd: tmpdir() }),
    ];
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const [first, ...others] = runs.map((r) => r.stdout);
    const report = JSON.parse(first!) as Report;
    expect(report.findings.length).toBeGreaterThan(0);
    for (const f of report.findings) expect(f.location?.file).toMatch(/^\.buildkite\//);
    for (const o of others) expect(o).toBe(first);
  });

  it("the table prints a repository file relative to the working directory, to click", () => {
    const dir = checkout();
    const cwd = resolve(dir, "../..");
    const r = trustscope(["scan", "--repo", "checkout/infra", "--fail-on", "never"], { cwd });
    expect(r.stdout).toContain(`at: ${relative(cwd, dir)}/.buildkite/smoke.sh:`);
    expect(r.stdout).not.toMatch(/at: \.buildkite\//);
  });
});

describe("notes on stderr", () => {
  it("are summarised by kind with the first few; --verbose lists them all", () => {
    const dir = mkdtempSync(join(tmpdir(), "trustscope-notes-"));
    mkdirSync(join(dir, ".buildkite"));
    const steps = Array.from({ length: 12 }, (_, i) => `  - command: ./scripts/generated-${i}.sh`);
    writeFileSync(join(dir, ".buildkite/pipeline.yml"), ["steps:", ...steps, ""].join("\n"));
    writeFileSync(join(dir, ".buildkite/docker-compose.yml"), "services:\n  app:\n    image: node\n");
    const quiet = trustscope(["scan", "--repo", "."], { cwd: dir });
    expect(quiet.code).toBe(0);
    const lines = quiet.stderr.trim().split("\n");
    expect(lines[0]).toBe("trustscope: 13 notes about the repository (12 not-in-repository, 1 not-a-pipeline); the first 5, --verbose lists all:");
    expect(lines.filter((l) => l.startsWith("trustscope: note: "))).toHaveLength(5);
    const verbose = trustscope(["scan", "--repo", ".", "--verbose"], { cwd: dir });
    expect(verbose.stderr.trim().split("\n").filter((l) => l.startsWith("trustscope: note: "))).toHaveLength(13);
    expect(verbose.stderr).toContain("trustscope: note: .buildkite/docker-compose.yml:1: not a Buildkite pipeline (a mapping without 'steps'); not read");
  });
});
