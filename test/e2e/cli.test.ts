import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";
import { expectUsageError } from "../support/expect-usage-error.ts";
import { CLI_BIN, DEMO_SNAPSHOT } from "../support/paths.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "trustscope-cli-"));

const oneLineError = expectUsageError;

describe("trustscope rules and explain", () => {
  it("lists every rule with id, severity and title, also as JSON", () => {
    const table = trustscope(["rules"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^org-scoped-trust +critical +Production access trusts every pipeline/m);
    const json = JSON.parse(trustscope(["rules", "--format", "json"]).stdout) as { id: string; severity: string; title: string }[];
    expect(json.map((r) => r.id)).toEqual(expect.arrayContaining(["org-scoped-trust", "fork-builds-on-trusted-pipeline", "owner-where-contributor-would-do", "missing-storage-data-role", "expired-suppression"]));
    for (const r of json) expect(r.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it("explains a rule with a failing and a passing example", () => {
    // Every rule's docs are checked in-process (rules/test/docs.test.ts); here, the command itself.
    for (const id of ["org-scoped-trust", "subject-claim-mismatch", "unused-suppression"]) {
      const r = trustscope(["explain", id]);
      expect(r.code, id).toBe(0);
      expect(r.stdout, id).toMatch(/## Failing example/);
      expect(r.stdout, id).toMatch(/## Passing example/);
    }
  });

  it("rejects an unknown rule", () => {
    oneLineError(trustscope(["explain", "nope"]), /unknown rule 'nope'/);
  });
});

describe("trustscope scan: usage and input errors", () => {
  it("needs a source", () => {
    oneLineError(trustscope(["scan"]), /nothing to scan/);
  });

  it("rejects unknown options and bad values", () => {
    oneLineError(trustscope(["scan", "--demo", "--bogus"]), /unknown option '--bogus'/);
    oneLineError(trustscope(["scan", "--demo", "--format", "xml"]), /--format must be one of table, json, sarif, markdown/);
    oneLineError(trustscope(["scan", "--demo", "--fail-on", "urgent"]), /--fail-on must be one of/);
  });

  it("names a missing baseline or repository", () => {
    oneLineError(trustscope(["scan", "--demo", "--baseline", "/nonexistent/old.json"]), /\/nonexistent\/old.json: cannot read the baseline report: no such file/);
    oneLineError(trustscope(["scan", "--repo", "/nonexistent/dir"]), /--repo \/nonexistent\/dir: no such directory/);
  });

  it("needs a Buildkite token to read Buildkite, and https endpoints", () => {
    oneLineError(trustscope(["scan", "--buildkite-org", "acme"], { env: { BUILDKITE_API_TOKEN: undefined } }), /needs an API token with GraphQL access in BUILDKITE_API_TOKEN/);
    oneLineError(trustscope(["scan", "--tenant", "t", "--arm-url", "http://127.0.0.1:1"], { env: { TRUSTSCOPE_ARM_TOKEN: "x", TRUSTSCOPE_GRAPH_TOKEN: "y" } }), /--arm-url must be an https:\/\/ URL/);
    oneLineError(trustscope(["scan", "--demo", "--tenant", "t"]), /give one source: --demo or live options/);
  });

  it("reports a missing snapshot", () => {
    oneLineError(trustscope(["scan", "--snapshot", "/nonexistent/snap.json"]), /\/nonexistent\/snap.json: cannot read the snapshot: no such file/);
  });

  it("reports a truncated snapshot with file and line", () => {
    const dir = tmp();
    const text = readFileSync(DEMO_SNAPSHOT, "utf8");
    writeFileSync(join(dir, "snap.json"), text.slice(0, 5000));
    oneLineError(trustscope(["scan", "--snapshot", "snap.json"], { cwd: dir }), /^trustscope: snap.json:\d+: not valid JSON \(.*the file looks truncated\)/);
  });

  it("reports a wrong type and an unknown key with JSON path and line", () => {
    const dir = tmp();
    const inv = JSON.parse(readFileSync(DEMO_SNAPSHOT, "utf8"));
    inv.entra.applications[2].appId = 7;
    writeFileSync(join(dir, "snap.json"), JSON.stringify(inv, null, 2));
    oneLineError(trustscope(["scan", "--snapshot", "snap.json"], { cwd: dir }), /snap.json:\d+: not a valid trustscope snapshot: \/entra\/applications\/2\/appId: must be string \(line \d+\)/);
    delete inv.entra.applications[2].appId;
    inv.entra.applications[2].appID = "x";
    writeFileSync(join(dir, "snap.json"), JSON.stringify(inv, null, 2));
    oneLineError(trustscope(["scan", "--snapshot", "snap.json"], { cwd: dir }), /unknown key 'appID'/);
  });

  it("reports policy errors with file and line, from --config and from trustscope.yaml in the working directory", () => {
    const dir = tmp();
    writeFileSync(join(dir, "policy.yaml"), "environments:\n  prod:\n    azure:\n      subscriptions: Contoso-Prod\n");
    oneLineError(trustscope(["scan", "--demo", "--config", "policy.yaml"], { cwd: dir }), /^trustscope: policy.yaml:4: environments.prod.azure.subscriptions must be a list of strings/);
    writeFileSync(join(dir, "trustscope.yaml"), "ruleSettings:\n  not-a-rule: { enabled: false }\n");
    oneLineError(trustscope(["scan", "--demo"], { cwd: dir }), /^trustscope: trustscope.yaml:2: ruleSettings names unknown rule 'not-a-rule'/);
    writeFileSync(join(dir, "trustscope.yaml"), "suppressions:\n  - rule: org-scoped-trust\n    identity: x\n    reason: ok\n");
    oneLineError(trustscope(["scan", "--demo"], { cwd: dir }), /trustscope.yaml:2: suppressions\[0\] needs 'expires'/);
  });
});

describe("trustscope scan: policy", () => {
  const demo = JSON.parse(trustscope(["scan", "--demo", "--format", "json"]).stdout) as { findings: { ruleId: string; severity: string; identity?: { appId: string }; fingerprint: string; suppression?: object }[]; summary: Record<string, number> };
  const org = demo.findings.find((f) => f.ruleId === "org-scoped-trust")!;

  it("suppresses with a reason until the expiry, keeping the finding in the report", () => {
    const dir = tmp();
    writeFileSync(join(dir, "trustscope.yaml"), `suppressions:\n  - rule: org-scoped-trust\n    identity: "${org.identity!.appId}"\n    reason: "Drift report only; reviewed"\n    expires: 2999-01-01\n`);
    const r = trustscope(["scan", "--demo", "--format", "json"], { cwd: dir });
    const out = JSON.parse(r.stdout) as typeof demo;
    const same = out.findings.find((f) => f.fingerprint === org.fingerprint)!;
    expect(same.suppression).toMatchObject({ kind: "policy", reason: "Drift report only; reviewed", expires: "2999-01-01" });
    expect(out.summary.critical).toBe(demo.summary.critical! - 1);
  });

  it("an expired suppression stops suppressing, is reported, and warns on stderr", () => {
    const dir = tmp();
    writeFileSync(join(dir, "trustscope.yaml"), `suppressions:\n  - rule: org-scoped-trust\n    identity: "${org.identity!.appId}"\n    reason: "Drift report only"\n    expires: 2020-01-01\n`);
    const r = trustscope(["scan", "--demo", "--format", "json"], { cwd: dir });
    const out = JSON.parse(r.stdout) as typeof demo;
    expect(out.findings.find((f) => f.fingerprint === org.fingerprint)!.suppression).toBeUndefined();
    expect(out.findings.some((f) => f.ruleId === "expired-suppression")).toBe(true);
    expect(r.stderr).toMatch(/^trustscope: warning: trustscope.yaml:2: The suppression of org-scoped-trust .* expired on 2020-01-01/);
  });

  it("re-rates and disables rules", () => {
    const dir = tmp();
    writeFileSync(join(dir, "trustscope.yaml"), "ruleSettings:\n  org-scoped-trust: { severity: low }\n  overbroad-subject: { enabled: false }\n");
    const out = JSON.parse(trustscope(["scan", "--demo", "--format", "json"], { cwd: dir }).stdout) as typeof demo;
    expect(out.findings.filter((f) => f.ruleId === "org-scoped-trust").every((f) => f.severity === "low")).toBe(true);
    expect(out.findings.some((f) => f.ruleId === "overbroad-subject")).toBe(false);
  });

  it("an environments section replaces the heuristics", () => {
    const dir = tmp();
    writeFileSync(join(dir, "trustscope.yaml"), "environments:\n  prod:\n    azure:\n      subscriptions: [nothing-matches]\n");
    const out = JSON.parse(trustscope(["scan", "--demo", "--format", "json"], { cwd: dir }).stdout) as typeof demo;
    expect(out.findings.some((f) => f.ruleId === "org-scoped-trust")).toBe(false);
  });
});

describe("trustscope scan: coverage", () => {
  it("an incomplete snapshot exits 3 even with --fail-on never, lists the gaps, and still reports findings", () => {
    const dir = tmp();
    const inv = JSON.parse(readFileSync(DEMO_SNAPSHOT, "utf8"));
    inv.coverage = { complete: false, gaps: [{ source: "arm", scope: "/subscriptions/4d6e8f10-2a3b-4c5d-8e9f-444455556666", error: "403 AuthorizationFailed: needs Reader" }] };
    writeFileSync(join(dir, "snap.json"), JSON.stringify(inv));
    const r = trustscope(["scan", "--snapshot", "snap.json", "--format", "json", "--fail-on", "never"], { cwd: dir });
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout) as { coverage: { complete: boolean; gaps: { scope: string }[] }; findings: unknown[] };
    expect(out.coverage.complete).toBe(false);
    expect(out.coverage.gaps[0]!.scope).toContain("4d6e8f10");
    expect(out.findings.length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/the scan is incomplete/);
    const table = trustscope(["scan", "--snapshot", "snap.json"], { cwd: dir });
    expect(table.code).toBe(3);
    expect(table.stdout).toMatch(/INCOMPLETE/);
  });

  it("writes the report to a file with -o", () => {
    const dir = tmp();
    const r = trustscope(["scan", "--demo", "--format", "json", "-o", "report.json"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(JSON.parse(readFileSync(join(dir, "report.json"), "utf8")).schemaVersion).toBe(1);
  });
});

describe("trustscope scan: --concurrency", () => {
  // No live source from the environment: --repo alone must read nothing live.
  const env = { BUILDKITE_ORGANIZATION_SLUG: undefined, AZURE_TENANT_ID: undefined, TRUSTSCOPE_GRAPH_TOKEN: undefined, TRUSTSCOPE_ARM_TOKEN: undefined };
  const note = (source: string) => `trustscope: note: --concurrency has no effect with ${source} (it sets how many requests a live read has in flight)\n`;

  it("says it has no effect where nothing is read live, unless quiet, and changes nothing else", () => {
    const plain = trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "json"], { env });
    const snapshot = trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "json", "--concurrency", "8"], { env });
    expect(snapshot.stderr).toBe(note("--snapshot"));
    expect(snapshot.code).toBe(plain.code);
    expect(snapshot.stdout).toBe(plain.stdout);
    expect(plain.stderr).toBe("");
    expect(trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "json", "--concurrency", "8", "-q"], { env }).stderr).toBe("");

    const demo = trustscope(["scan", "--demo", "--format", "json", "--concurrency", "2"], { env });
    expect(demo.stderr).toBe(note("--demo"));
    const repo = trustscope(["scan", "--repo", tmp(), "--format", "json", "--concurrency", "2"], { env });
    expect(repo.code).toBe(0);
    expect(repo.stderr).toBe(note("--repo alone"));
    // The commands that evaluate a source as scan does say it too.
    expect(trustscope(["graph", "--snapshot", DEMO_SNAPSHOT, "--concurrency", "8"], { env }).stderr).toBe(note("--snapshot"));
  });

  it("--activity says the same where nothing is read live (a snapshot holds what was collected), but not with --demo, which reads the demo's log", () => {
    const activityNote = (source: string) => `trustscope: note: --activity has no effect with ${source} (it reads the Activity Log in a live read; a snapshot holds what was collected)\n`;
    const plain = trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "json"], { env });
    const snapshot = trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "json", "--activity"], { env });
    expect(snapshot.stderr).toBe(activityNote("--snapshot"));
    expect(snapshot.stdout).toBe(plain.stdout);
    expect(trustscope(["scan", "--repo", tmp(), "--format", "json", "--activity-days", "30"], { env }).stderr).toBe(activityNote("--repo alone"));
    expect(trustscope(["scan", "--demo", "--format", "json", "--activity"], { env }).stderr).toBe("");
    expect(trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--activity", "-q"], { env }).stderr).toBe("");
  });
});

describe("GitHub options", () => {
  const env = { NO_COLOR: "1" };
  it("asks for GITHUB_TOKEN, checks names, and says --github-api-url alone reads nothing", () => {
    const noToken = trustscope(["scan", "--github-org", "acme"], { env });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/reading GitHub needs a token in GITHUB_TOKEN/);
    for (const [flag, value] of [["--github-org", "acme/app"], ["--github-org", "-bad"], ["--github-repo", "acme"], ["--github-repo", "acme/app/extra"], ["--github-repo", "acme/\u001b[31mred"]]) {
      const r = trustscope(["scan", flag!, value!], { env: { ...env, GITHUB_TOKEN: "ghp_test_never_printed_0123456789" } });
      expect(r.code, `${flag} ${value}`).toBe(2);
      expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
      expect(r.stderr).not.toContain("\u001b[31m");
      expect(r.stderr).not.toContain("ghp_test_never_printed");
    }
    const http = trustscope(["scan", "--github-repo", "acme/app", "--github-api-url", "http://api.github.com"], { env: { ...env, GITHUB_TOKEN: "x" } });
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/--github-api-url must be an https:\/\/ URL/);
    // A URL carrying credentials would reach reports and snapshots as written: refused, and not echoed.
    const userinfo = trustscope(["scan", "--github-repo", "acme/app", "--github-api-url", "https://bot:ghp_inurl_secret_0123@github.example.com/api/v3"], { env: { ...env, GITHUB_TOKEN: "x" } });
    expect(userinfo.code).toBe(2);
    expect(userinfo.stderr).toMatch(/--github-api-url must not carry credentials/);
    expect(userinfo.stderr).not.toContain("ghp_inurl_secret");
    expect(trustscope(["scan", "--github-repo", "acme/..", "--github-api-url", "https://github.example.com/api/v3"], { env: { ...env, GITHUB_TOKEN: "x" } }).code).toBe(2);
    const alone = trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "json", "--github-api-url", "https://github.example.com/api/v3"], { env });
    expect(alone.stderr).toBe("trustscope: note: --github-api-url has no effect with --snapshot (it says where --github-org and --github-repo are read)\n");
  });

  it("a snapshot whose GitHub credentials were judged without GitHub says so in coverage notes, and stays complete", () => {
    const r = trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "json", "--fail-on", "never"], { env });
    expect(r.code).toBe(0);
    // The demo snapshot was collected with GitHub: no note.
    expect(JSON.parse(r.stdout).coverage).toEqual({ complete: true, gaps: [] });
    const withoutGitHub = JSON.parse(readFileSync(DEMO_SNAPSHOT, "utf8")) as Record<string, unknown>;
    delete withoutGitHub.github;
    const file = join(tmp(), "no-github.json");
    writeFileSync(file, JSON.stringify(withoutGitHub));
    const json = trustscope(["scan", "--snapshot", file, "--format", "json", "--fail-on", "never"], { env });
    expect(json.code).toBe(0);
    const coverage = JSON.parse(json.stdout).coverage as { complete: boolean; gaps: unknown[]; notes: { source: string; message: string }[] };
    expect(coverage.complete).toBe(true);
    expect(coverage.gaps).toEqual([]);
    expect(coverage.notes).toEqual([{ source: "github", message: expect.stringMatching(/^GitHub was not read, so the environments and OIDC subject templates .* give --github-org or --github-repo with GITHUB_TOKEN/) }]);
    const table = trustscope(["scan", "--snapshot", file, "--fail-on", "never"], { env });
    expect(table.stdout).toMatch(/^Note \(github\): GitHub was not read/m);
    const md = trustscope(["scan", "--snapshot", file, "--format", "markdown", "--fail-on", "never"], { env });
    expect(md.stdout).toContain("> [!NOTE]");
    const sarif = JSON.parse(trustscope(["scan", "--snapshot", file, "--format", "sarif", "--fail-on", "never"], { env }).stdout);
    expect(sarif.runs[0].invocations[0].toolExecutionNotifications).toEqual([{ level: "note", message: { text: expect.stringMatching(/^Not checked \(github\): GitHub was not read/) } }]);
    expect(sarif.runs[0].invocations[0].executionSuccessful).toBe(true);
  });
});

describe("progress", () => {
  // `script` gives the command a terminal, as a person running it would have.
  const inTerminal = (cmd: string, cwd: string) =>
    spawnSync("script", ["-qec", cmd, "/dev/null"], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 });
  const cli = `${process.execPath} ${CLI_BIN}`;

  it("shows counts per source on a terminal, on stderr, and none with --quiet or when redirected", () => {
    const dir = tmp();
    const shown = inTerminal(`${cli} scan --demo --format json -o report.json`, dir);
    expect(shown.stdout).toMatch(/trustscope: (buildkite|graph|arm): \d+ /);
    expect(shown.stdout).toMatch(/trustscope: evaluating 7 pipelines/);
    expect(JSON.parse(readFileSync(join(dir, "report.json"), "utf8")).schemaVersion).toBe(1);
    expect(inTerminal(`${cli} scan --demo --format json -o report.json --quiet`, dir).stdout.trim()).toBe("");
    expect(trustscope(["scan", "--demo", "--format", "json"]).stderr).toBe("");
  });
});
