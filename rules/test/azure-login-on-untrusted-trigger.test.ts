import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { analyzeRepo, evaluate, loadRepo, type Finding, type Inventory } from "@trustscope/core";
import { describe, expect, it } from "vitest";
import { azureLoginOnUntrustedTrigger } from "../src/rules/azure-login-on-untrusted-trigger.ts";

const APP = "5f0e2c9a-1b7d-4c3e-9a8f-2d6b4e1c7a90";

function run(files: Record<string, string>, github?: Inventory["github"]): Finding[] {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-ut-"));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const { repo, remoteUrl } = loadRepo(dir);
    const inventory: Inventory = { schemaVersion: 1, cloud: "AzureCloud", coverage: { complete: true, gaps: [] }, ...(github ? { github } : {}) };
    const analysis = analyzeRepo(repo, remoteUrl, "", { githubRepository: "acme/app" });
    return evaluate({ inventory, rules: [azureLoginOnUntrustedTrigger], repo: analysis, now: new Date("2026-11-25T12:00:00Z") }).findings.filter((f) => f.ruleId === "azure-login-on-untrusted-trigger");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LOGIN = `      - uses: azure/login@v2\n        with:\n          client-id: ${APP}\n`;
const PR_HEAD = "      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n";
const wf = (on: string, steps: string, job = "", permissions = "permissions:\n  id-token: write\n") => `on: ${on}\n${permissions}jobs:\n  deploy:\n    runs-on: ubuntu-latest\n${job}    steps:\n${steps}`;
const FILE = ".github/workflows/pr.yml";

describe("azure-login-on-untrusted-trigger", () => {
  it("is critical when a pull_request_target job checks out the pull request's head and logs in", () => {
    const [f, ...rest] = run({ [FILE]: wf("pull_request_target", PR_HEAD + LOGIN) });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "critical", location: { file: FILE, line: 11 } });
    expect(f!.relatedLocations).toContainEqual({ file: FILE, line: 8, message: "checks out the pull request's code" });
  });

  it("is high on workflow_run without pull-request code", () => {
    expect(run({ [FILE]: wf("workflow_run", "      - uses: actions/checkout@v4\n" + LOGIN) }).map((f) => f.severity)).toEqual(["high"]);
  });

  it("follows a local reusable workflow the job calls", () => {
    const caller = "on: pull_request_target\njobs:\n  call:\n    permissions:\n      id-token: write\n    uses: ./.github/workflows/deploy.yml\n";
    const called = `on: workflow_call\njobs:\n  d:\n    runs-on: x\n    steps:\n${PR_HEAD}${LOGIN}`;
    const findings = run({ [FILE]: caller, ".github/workflows/deploy.yml": called });
    expect(findings.map((f) => [f.severity, f.location?.file])).toEqual([["critical", ".github/workflows/deploy.yml"]]);
  });

  it("an environment with required reviewers lowers it to medium; unknown protection keeps it", () => {
    const files = { [FILE]: wf("pull_request_target", LOGIN, "    environment: prod\n") };
    const env = (requiredReviewers: number, customProtectionRules?: string[]): Inventory["github"] => ({
      apiUrl: "https://api.github.com",
      organizations: [],
      repositories: [{ fullName: "acme/app", id: 1, owner: { login: "acme", id: 2 }, private: false, environments: [{ name: "prod", requiredReviewers, deploymentBranchPolicy: null, ...(customProtectionRules ? { customProtectionRules } : {}) }] }],
    });
    expect(run(files, env(1)).map((f) => f.severity)).toEqual(["medium"]);
    // A GitHub App gating deployments may stop the job: medium, and said.
    const [gated] = run(files, env(0, ["deploy-gate"]));
    expect(gated?.severity).toBe("medium");
    expect(gated!.evidence.join("\n")).toMatch(/custom deployment protection rules \(deploy-gate\)/);
    // Read and none: nothing stops the job. Not read: not claimed either way.
    expect(run(files, env(0, [])).map((f) => [f.severity, f.evidence.some((e) => /does not stop the job/.test(e))])).toEqual([["high", true]]);
    expect(run(files, env(0)).map((f) => [f.severity, f.evidence.some((e) => /were not read/.test(e))])).toEqual([["high", true]]);
    expect(run(files).map((f) => f.severity)).toEqual(["high"]);
  });

  it("is quiet for the same job on push, on pull_request, or without id-token: write", () => {
    expect(run({ [FILE]: wf("push", PR_HEAD + LOGIN) })).toEqual([]);
    expect(run({ [FILE]: wf("pull_request", PR_HEAD + LOGIN) })).toEqual([]);
    expect(run({ [FILE]: wf("pull_request_target", PR_HEAD + LOGIN, "", "permissions:\n  contents: read\n") })).toEqual([]);
  });

  it("is quiet for a pull_request_target job that does not log in", () => {
    expect(run({ [FILE]: wf("pull_request_target", PR_HEAD + "      - run: npm test\n") })).toEqual([]);
  });
});

describe("azure-login-on-untrusted-trigger on issue and discussion events", () => {
  it.each(["issues", "discussion", "discussion_comment"])("fires on %s, which anyone who can open an issue or discussion starts", (event) => {
    expect(run({ [FILE]: wf(event, LOGIN) }).map((f) => f.severity)).toEqual(["high"]);
  });
});
