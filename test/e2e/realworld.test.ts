/**
 * The repository scan on real public repositories nobody here wrote (../shared/corpus/realworld:
 * a slice of Azure's Bicep registry, landing-zone and sample repositories, and Buildkite's and
 * Elastic's pipelines, with their licences). Valid input reads complete; only files that are
 * genuinely invalid are gaps, named here with the reason; the findings are the ones reading the
 * files says should be there, and nothing else.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";
import { REPO_ROOT, SHARED } from "../support/paths.ts";

const CORPUS = join(SHARED, "corpus/realworld");

interface Report {
  findings: { ruleId: string; severity: string; location?: { file: string; line: number }; message: string; evidence: string[] }[];
  coverage: { complete: boolean; gaps: { source: string; scope: string; error: string }[] };
}

/** Scans a tree from a directory outside it, as a pull-request check of a checkout would. */
function scanTree(tree: string): { code: number; report: Report; stderr: string } {
  const r = trustscope(["scan", "--repo", join(CORPUS, tree), "--format", "json", "--fail-on", "never"], { cwd: mkdtempSync(join(tmpdir(), "trustscope-realworld-")) });
  return { code: r.code, report: JSON.parse(r.stdout || "{}") as Report, stderr: r.stderr };
}

const at = (f: { ruleId: string; location?: { file: string; line: number } }) => `${f.ruleId} ${f.location?.file}:${f.location?.line}`;

/**
 * Files Azure itself would reject, kept in the trees because they are documentation skeletons:
 * placeholders such as `management-group-resources-default` where JSON belongs, and Bicep module
 * declarations whose name is `<symbolic-name>`.
 */
const INVALID: Record<string, RegExp> = {
  "Azure+azure-docs-json-samples": /^azure-resource-manager\/(scope\/[a-z-]+\.json|functions\/date\/datetimeadd-automation\.json)$/,
  "Azure+azure-docs-bicep-samples": /^syntax-samples\/modules\/(conditional|dependsOn|iterative|scope)-definition\.bicep$/,
};

const EXPECTED: Record<string, string[]> = {
  // Pipelines with no Azure login: nothing to report (the agent's own OIDC token is for
  // packages.buildkite.com, not Azure; logstash's `export X="${X:-$DEFAULT}"` is read before it is set).
  "buildkite+agent": [],
  "buildkite+elastic-ci-stack-for-aws": [],
  "elastic+logstash": [],
  // Landing zones and samples: role assignments to managed identities and policies, no federated
  // credential for CI, so nothing the rules judge from templates alone.
  "Azure+Enterprise-Scale": [],
  "Azure+azure-docs-bicep-samples": [],
  "Azure+azure-docs-json-samples": [],
  // The user-assigned identity module declares federated credentials and role assignments whose
  // roles its caller chooses: a reviewer should look. Its tests bind the roles (or none).
  "Azure+bicep-registry-modules": ["role-decided-at-deploy avm/res/managed-identity/user-assigned-identity/main.bicep:121"],
};

describe("real repositories", () => {
  for (const tree of Object.keys(EXPECTED)) {
    it(`${tree}: complete on valid input, and the findings reading the files expects`, () => {
      const { code, report, stderr } = scanTree(tree);
      expect(stderr).not.toMatch(/internal error|\n\s+at /);
      const invalid = INVALID[tree];
      const gapFiles = [...new Set(report.coverage.gaps.map((g) => g.scope))];
      for (const file of gapFiles) expect(invalid?.test(file), `a gap on ${file}: ${report.coverage.gaps.find((g) => g.scope === file)?.error}`).toBe(true);
      expect(report.coverage.gaps.every((g) => g.source === "repo")).toBe(true);
      if (invalid) expect(gapFiles.length).toBeGreaterThan(0);
      expect(code).toBe(invalid ? 3 : 0);
      expect(report.findings.map(at).sort()).toEqual([...EXPECTED[tree]!].sort());
    });
  }
});

describe("the seed's az-login-oidc.sh, end to end", () => {
  it("a pipeline env asking for organization_id makes the flag built in a variable an org-wide token request", () => {
    const dir = mkdtempSync(join(tmpdir(), "trustscope-seed-"));
    mkdirSync(join(dir, ".buildkite"));
    copyFileSync(join(REPO_ROOT, "packages/core/test/repo-shell/fixtures/az-login-oidc-subject-flag.sh"), join(dir, ".buildkite/az-login-oidc.sh"));
    writeFileSync(
      join(dir, ".buildkite/pipeline.yml"),
      ["env:", "  BUILDKITE_OIDC_SUBJECT_CLAIM: organization_id", "steps:", "  - label: deploy", "    branches: main", "    agents: { queue: prod-deploy }", "    command: .buildkite/az-login-oidc.sh", ""].join("\n"),
    );
    const r = trustscope(["scan", "--repo", ".", "--format", "json", "--fail-on", "never"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const org = report.findings.filter((f) => f.ruleId === "org-scoped-trust");
    expect(org.map(at)).toEqual(["org-scoped-trust .buildkite/az-login-oidc.sh:8"]);
    expect(org[0]!.severity).toBe("critical");
    expect(org[0]!.evidence.join("\n")).toContain("pipeline env at .buildkite/pipeline.yml:2");
    expect(report.coverage).toEqual({ complete: true, gaps: [] });
  });
});
