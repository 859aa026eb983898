/**
 * `trustscope scan --repo` on hostile repositories built at test time: links out of the repository
 * (to a secret-looking file, /proc/self/pagemap), a FIFO as .git/config, a script path built from
 * a variable the pipeline does not set, and a linked .buildkite/ directory. The CLI runs under a
 * timeout (test/support/cli.ts); each scan must end, say what it did not read (exit 3), and print
 * nothing from outside the repository.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";

const MARKER = "OUTSIDE-SECRET-51c2e8";

interface Report {
  findings: { ruleId: string; location?: { file: string; line: number } }[];
  coverage: { complete: boolean; gaps: { source: string; scope: string; error: string }[] };
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function fixture(files: Record<string, string>): { dir: string; outside: string } {
  const base = mkdtempSync(join(tmpdir(), "trustscope-e2e-hostile-"));
  made.push(base);
  const dir = join(base, "repo");
  const outside = join(base, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.sh"), `az login --service-principal -u app -p ${MARKER} --tenant t\n`);
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  return { dir, outside };
}

describe("scan --repo on a hostile repository", () => {
  it("links out of the repository and an unknown script path are gaps (exit 3); nothing outside is printed; a FIFO .git/config is a note", () => {
    const { dir, outside } = fixture({
      ".buildkite/pipeline.yml": "steps:\n  - label: build\n    command: ./build.sh\n  - label: deploy\n    command: ./scripts/deploy-$TARGET.sh\n",
      "scripts/deploy-prod.sh": "echo prod\n",
    });
    symlinkSync(join(outside, "secret.sh"), join(dir, "build.sh"));
    mkdirSync(join(dir, ".git"));
    execFileSync("mkfifo", [join(dir, ".git/config")]);

    for (const format of ["json", "table"]) {
      const r = trustscope(["scan", "--repo", ".", "--format", format], { cwd: dir });
      expect(r.code).toBe(3);
      expect(r.stdout + r.stderr).not.toContain(MARKER);
      expect(r.stdout + r.stderr).not.toContain(outside);
      expect(r.stderr).toContain("trustscope: note: .git/config:1: not a regular file (FIFO); not read, so the repository's remote URL is unknown");
      if (format === "json") {
        const report = JSON.parse(r.stdout) as Report;
        expect(report.coverage.complete).toBe(false);
        expect(report.coverage.gaps).toEqual(
          expect.arrayContaining([
            { source: "repo", scope: "build.sh", error: "line 1: symbolic link to a path outside the repository; not read" },
            { source: "repo", scope: ".buildkite/pipeline.yml", error: "line 5: runs ./scripts/deploy-$TARGET.sh, whose path depends on $TARGET, not set in the pipeline: not read" },
          ]),
        );
      }
    }
  });

  it.skipIf(!existsSync("/proc/self/pagemap"))("build.sh -> /proc/self/pagemap: exit 3 at once, not a scan that never ends", () => {
    const { dir } = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: ./build.sh\n" });
    symlinkSync("/proc/self/pagemap", join(dir, "build.sh"));
    const r = trustscope(["scan", "--repo", ".", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(3);
    expect((JSON.parse(r.stdout) as Report).coverage.gaps).toEqual([{ source: "repo", scope: "build.sh", error: "line 1: symbolic link to a path outside the repository; not read" }]);
  });

  it("a linked .buildkite/ directory is scanned: its pipeline's findings are reported under .buildkite/", () => {
    const { dir } = fixture({ "ci/buildkite/pipeline.yml": 'steps:\n  - label: deploy\n    command: az login --service-principal -u app -p "$$AZ_SECRET" --tenant t\n' });
    symlinkSync("ci/buildkite", join(dir, ".buildkite"));
    const r = trustscope(["scan", "--repo", ".", "--format", "json", "--fail-on", "never"], { cwd: dir });
    const report = JSON.parse(r.stdout) as Report;
    expect(report.coverage).toEqual({ complete: true, gaps: [] });
    expect(report.findings.filter((f) => f.ruleId === "client-secret-login").map((f) => `${f.location?.file}:${f.location?.line}`)).toEqual([".buildkite/pipeline.yml:3"]);
    expect(r.code).toBe(0);
  });
});
