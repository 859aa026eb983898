/**
 * The repository scan end to end: fixture repositories make each rule fire at the right line
 * and stay quiet on the clean variants; Buildkite's own example pipelines read with no gap.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { Ajv } from "ajv";
import { parse as parseYaml } from "yaml";
import { trustscope } from "../support/cli.ts";
import { DEMO_SNAPSHOT, REPO_ROOT, SHARED } from "../support/paths.ts";
import { multitoolProblems, schemaErrors } from "../support/sarif.ts";

const FIXTURES = resolve(REPO_ROOT, "test/fixtures/repos");

interface Finding {
  ruleId: string;
  severity: string;
  message: string;
  location?: { file: string; line: number };
  relatedLocations?: { file: string; line: number; message: string }[];
  evidence: string[];
  identity?: { displayName: string };
}
interface Report {
  findings: Finding[];
  coverage: { complete: boolean; gaps: { source: string; scope: string; error: string }[] };
}

function copyFixture(name: string, remote?: string): string {
  const dir = mkdtempSync(join(tmpdir(), `trustscope-repo-${name}-`));
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  if (remote) {
    mkdirSync(join(dir, ".git"), { recursive: true });
    writeFileSync(join(dir, ".git/config"), `[core]\n\tbare = false\n[remote "origin"]\n\turl = ${remote}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`);
  }
  return dir;
}

function scan(dir: string, extra: string[] = []): { code: number; report: Report; stderr: string } {
  const r = trustscope(["scan", "--repo", ".", "--format", "json", "--fail-on", "never", ...extra], { cwd: dir });
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

/** 1-based line of the first line containing `needle` in a fixture file. */
function lineOf(dir: string, file: string, needle: string): number {
  const i = readFileSync(join(dir, file), "utf8").split("\n").findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in ${file}`);
  return i + 1;
}

const at = (f: Finding) => `${f.location?.file}:${f.location?.line}`;

describe("pipeline fixtures are valid Buildkite pipelines", () => {
  const schema = JSON.parse(readFileSync(join(SHARED, "schemas/buildkite-pipeline-schema.json"), "utf8")) as object;
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  for (const name of readdirSync(FIXTURES)) {
    it(`${name}/.buildkite/pipeline.yml`, () => {
      let text: string;
      try {
        text = readFileSync(join(FIXTURES, name, ".buildkite/pipeline.yml"), "utf8");
      } catch {
        return; // template-only fixture
      }
      expect(validate(parseYaml(text)), JSON.stringify(validate.errors)).toBe(true);
    });
  }
});

describe("Buildkite's example pipelines", () => {
  it("are all read with no coverage gap, no crash and no finding", () => {
    const dir = mkdtempSync(join(tmpdir(), "trustscope-corpus-"));
    mkdirSync(join(dir, ".buildkite"));
    const corpus = join(SHARED, "corpus/buildkite-valid-pipelines");
    for (const f of readdirSync(corpus)) cpSync(join(corpus, f), join(dir, ".buildkite", `pipeline.${f}`));
    const { code, report } = scan(dir);
    expect(report.coverage).toEqual({ complete: true, gaps: [] });
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
  });
});

describe("repository rules fire at the right line", () => {
  it("client-secret-login: one finding per login, with where its secret comes from as related locations", () => {
    const dir = copyFixture("legacy-secret");
    const got = scan(dir).report.findings.filter((f) => f.ruleId === "client-secret-login");
    const pipelineLogin = `.buildkite/pipeline.yml:${lineOf(dir, ".buildkite/pipeline.yml", "az login")}`;
    const smokeLogin = `.buildkite/smoke.sh:${lineOf(dir, ".buildkite/smoke.sh", "az login")}`;
    expect(got.map(at).sort()).toEqual([pipelineLogin, smokeLogin].sort());
    const related = (where: string) => got.find((f) => at(f) === where)!.relatedLocations?.map((l) => `${l.file}:${l.line} ${l.message}`);
    // The step's secrets: entry is the secret of the inline login; the export and secret get are the script's.
    expect(related(pipelineLogin)).toEqual([`.buildkite/pipeline.yml:${lineOf(dir, ".buildkite/pipeline.yml", "ARM_CLIENT_SECRET: azure-sp")} secrets: ARM_CLIENT_SECRET ← azure-sp-client-secret`]);
    expect(related(smokeLogin)).toEqual([
      `.buildkite/smoke.sh:${lineOf(dir, ".buildkite/smoke.sh", "secret get")} AZURE_CLIENT_SECRET is set`,
      `.buildkite/smoke.sh:${lineOf(dir, ".buildkite/smoke.sh", "secret get")} 'buildkite-agent secret get azure-client-secret'`,
    ]);
  });

  it("token-shared-between-steps: a token file uploaded by artifact_paths, and meta-data", () => {
    const dir = copyFixture("token-sharing");
    const got = scan(dir).report.findings.filter((f) => f.ruleId === "token-shared-between-steps");
    expect(got.map(at).sort()).toEqual(
      [`.buildkite/pipeline.yml:${lineOf(dir, ".buildkite/pipeline.yml", "> tmp/azure.jwt")}`, `.buildkite/pipeline.yml:${lineOf(dir, ".buildkite/pipeline.yml", "meta-data set")}`].sort(),
    );
    expect(got.find((f) => /artifact/.test(f.message))?.message).toMatch(/artifact_paths 'tmp\/\*\.jwt'/);
  });

  it("org-scoped-trust from the repository alone: a deploy step on a production queue asks for organization_id", () => {
    const dir = copyFixture("org-wide");
    const [f, ...rest] = scan(dir).report.findings.filter((x) => x.ruleId === "org-scoped-trust");
    expect(rest).toEqual([]);
    expect(at(f!)).toBe(`.buildkite/pipeline.yml:${lineOf(dir, ".buildkite/pipeline.yml", "--subject-claim organization_id")}`);
    expect(f!.severity).toBe("critical");
    expect(f!.evidence.join("\n")).toMatch(/queue 'prod-agents' has 'prod' in its name/);
  });

  it("org-scoped-trust cross-checked with the inventory names the identity and its production access", () => {
    const dir = copyFixture("org-wide");
    const f = scan(dir, ["--snapshot", DEMO_SNAPSHOT]).report.findings.find((x) => x.ruleId === "org-scoped-trust" && x.location);
    expect(f?.identity?.displayName).toBe("platform-tools");
    expect(f?.evidence.join("\n")).toMatch(/the identity can change production: subscription 'Contoso-Prod' has tag environment=production/);
  });

  it("template rules: issuer near miss, wrong-cloud audience (Bicep), compound subject (ARM JSON)", () => {
    const dir = copyFixture("templates");
    const findings = scan(dir).report.findings;
    const line = lineOf(dir, "infra/main.bicep", "resource buildkite");
    expect(findings.filter((f) => f.ruleId === "issuer-near-miss").map(at)).toEqual([`infra/main.bicep:${line}`]);
    expect(findings.filter((f) => f.ruleId === "unexpected-audience").map(at)).toEqual([`infra/main.bicep:${line}`]);
    expect(findings.filter((f) => f.ruleId === "compound-subject").map(at)).toEqual([`infra/azuredeploy.json:${lineOf(dir, "infra/azuredeploy.json", '"type": "federatedIdentityCredentials"') - 1}`]);
  });

  it("subject-claim-mismatch: the az-login-oidc.sh pattern requests cluster_id, the identity trusts only a pipeline UUID", () => {
    const dir = copyFixture("oidc-migrated");
    const got = scan(dir, ["--snapshot", DEMO_SNAPSHOT]).report.findings.filter((f) => f.ruleId === "subject-claim-mismatch");
    expect(got.map(at)).toEqual([`.buildkite/az-login-oidc.sh:${lineOf(dir, ".buildkite/az-login-oidc.sh", "oidc request-token")}`]);
    const ev = got[0]!.evidence.join("\n");
    expect(ev).toMatch(/BUILDKITE_OIDC_SUBJECT_CLAIM=cluster_id \(pipeline env at \.buildkite\/pipeline\.yml:\d+\)/);
    expect(ev).toMatch(/credentials compared: 'landing-zone-prod' subject 01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e01/);
    expect(got[0]!.identity?.displayName).toBe("lz-prod-deployer");
  });

  it("subject-claim-mismatch with the repository matched to its pipelines names the exact subjects", () => {
    const dir = copyFixture("oidc-migrated", "git@github.com:acme/landing-zone.git");
    const [f] = scan(dir, ["--snapshot", DEMO_SNAPSHOT]).report.findings.filter((x) => x.ruleId === "subject-claim-mismatch");
    expect(f?.evidence.join("\n")).toMatch(/pipelines landing-zone-nonprod, landing-zone-prod build this repository/);
  });

  it("unguarded-token-request: a pipeline that builds pull requests logs in with no guard", () => {
    const dir = copyFixture("clean", "https://github.com/acme/app-platform.git");
    writeFileSync(
      join(dir, ".buildkite/pipeline.yml"),
      readFileSync(join(dir, ".buildkite/pipeline.yml"), "utf8").replace(/ {2}- block: ":rocket: Deploy\?"\n {4}branches: main\n\n/, "").replace(/(label: ":azure: deploy"\n) {4}branches: main\n/, "$1"),
    );
    const got = scan(dir, ["--snapshot", DEMO_SNAPSHOT]).report.findings.filter((f) => f.ruleId === "unguarded-token-request");
    expect(got.map(at)).toEqual([`.buildkite/pipeline.yml:${lineOf(dir, ".buildkite/pipeline.yml", "oidc request-token")}`]);
    expect(got[0]!.message).toMatch(/app-platform-nonprod, app-platform-prod build pull requests/);
  });

  it("stays quiet on the clean variants, with and without the inventory", () => {
    const dir = copyFixture("clean", "https://github.com/acme/app-platform.git");
    expect(scan(dir).report.findings).toEqual([]);
    const repoFindings = scan(dir, ["--snapshot", DEMO_SNAPSHOT]).report.findings.filter((f) => f.location);
    expect(repoFindings).toEqual([]);
    const migrated = copyFixture("oidc-migrated");
    expect(scan(migrated).report.findings).toEqual([]);
  });
});

describe("bad files", () => {
  it("a malformed pipeline is a coverage gap with file and line; the rest is still scanned; exit 3", () => {
    const dir = copyFixture("legacy-secret");
    writeFileSync(join(dir, ".buildkite/pipeline.deploy.yml"), "steps:\n  - label: broken\n    command: [unclosed\n");
    const { code, report } = scan(dir);
    expect(code).toBe(3);
    expect(report.coverage.gaps).toEqual([{ source: "repo", scope: ".buildkite/pipeline.deploy.yml", error: expect.stringMatching(/^line \d+: not valid YAML/) }]);
    expect(report.findings.some((f) => f.ruleId === "client-secret-login")).toBe(true);
  });
});

describe("SARIF from a repository scan", () => {
  it("points at the file and line, and is valid for both validators", () => {
    const dir = copyFixture("legacy-secret");
    const r = trustscope(["scan", "--repo", ".", "--format", "sarif"], { cwd: dir });
    const sarif = JSON.parse(r.stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    const locs = sarif.runs[0]!.results.map((x) => `${x.locations[0]!.physicalLocation.artifactLocation.uri}:${x.locations[0]!.physicalLocation.region.startLine}`);
    expect(locs).toContain(`.buildkite/pipeline.yml:${lineOf(dir, ".buildkite/pipeline.yml", "az login")}`);
    expect(schemaErrors(sarif)).toEqual([]);
    expect(multitoolProblems(r.stdout)).toEqual([]);
  });
});

describe("secrets in repository findings", () => {
  it("never prints a literal password written in a pipeline", () => {
    const dir = copyFixture("legacy-secret");
    writeFileSync(join(dir, ".buildkite/pipeline.literal.yml"), 'steps:\n  - command: az login --service-principal -u "$$ID" -p "Sup3r-S3cret-Value-123" --tenant t\n');
    const r = trustscope(["scan", "--repo", ".", "--format", "json"], { cwd: dir });
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings.some((f) => f.location?.file === ".buildkite/pipeline.literal.yml")).toBe(true);
    expect(r.stdout + r.stderr).not.toContain("Sup3r-S3cret-Value-123");
    for (const format of ["table", "markdown", "sarif"]) {
      const out = trustscope(["scan", "--repo", ".", "--format", format], { cwd: dir });
      expect(out.stdout + out.stderr).not.toContain("Sup3r-S3cret-Value-123");
    }
  });
});

describe("template notes", () => {
  it("a conditional resource is read as deployed and noted on stderr, without making the scan incomplete", () => {
    const dir = copyFixture("clean");
    writeFileSync(join(dir, "infra/extra.bicep"), "param deploy bool = true\nresource sa 'Microsoft.Storage/storageAccounts@2023-05-01' = if (deploy) {\n  name: 'stextra'\n  properties: {\n    allowSharedKeyAccess: false\n  }\n}\n");
    const r = trustscope(["scan", "--repo", ".", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Report).coverage.complete).toBe(true);
    expect(r.stderr).toMatch(/^trustscope: note: infra\/extra\.bicep:2: .*is deployed only if `deploy`/m);
  });
});

describe("templates as evidence of managing access", () => {
  it("a repository whose pipelines log in as an identity and whose templates assign roles turns owner-where-contributor-would-do into unconstrained-role-assignment, naming the template", () => {
    const dir = copyFixture("clean");
    const pipeline = join(dir, ".buildkite/pipeline.yml");
    // Log in as app-platform-deployer, which holds User Access Administrator through a group in the demo.
    writeFileSync(pipeline, readFileSync(pipeline, "utf8").replace("c0ffee03-3333-4aaa-8bbb-000000000003", "c0ffee02-2222-4aaa-8bbb-000000000002"));
    const withRepo = scan(dir, ["--snapshot", DEMO_SNAPSHOT]).report.findings.filter((f) => f.identity?.displayName === "app-platform-deployer");
    expect(withRepo.some((f) => f.ruleId === "owner-where-contributor-would-do")).toBe(false);
    const unconstrained = withRepo.find((f) => f.ruleId === "unconstrained-role-assignment");
    expect(unconstrained?.evidence.join("\n")).toMatch(/infra\/main\.bicep:\d+ creates a role assignment/);
    // Without the repository, nothing shows it manages access.
    const demo = JSON.parse(trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "json"]).stdout) as Report;
    expect(demo.findings.some((f) => f.identity?.displayName === "app-platform-deployer" && f.ruleId === "owner-where-contributor-would-do")).toBe(true);
  });
});
