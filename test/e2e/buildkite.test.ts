/**
 * The Buildkite step: annotations through `buildkite-agent annotate`, and logging in to Azure with
 * `--azure-auth buildkite-oidc` (a Buildkite OIDC token exchanged by MSAL at the Entra authority).
 * A stand-in `buildkite-agent` records what it is asked; a loopback HTTPS authority plays Entra and
 * the emulator plays Graph and ARM.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLOUDS, Redactor, mdText, parseInventory, renderMarkdown, type Finding, type Report, type Severity } from "@trustscope/core";
import { startEmulator, type Emulator } from "@trustscope/emulator";
import { annotationFor, annotationStyle, MAX_ANNOTATION_BYTES } from "../../packages/cli/src/buildkite/annotate.ts";
import { buildkiteOidcAssertion, buildkiteOidcCredentials } from "../../packages/cli/src/buildkite/oidc-credential.ts";
import { FAKE_JWT, standInAgent } from "../support/buildkite-agent.ts";
import { trustscope, trustscopeAsync } from "../support/cli.ts";
import { startEntraAuthority, type EntraAuthority } from "../support/entra-authority.ts";
import { DEMO_SNAPSHOT, REPO_ROOT } from "../support/paths.ts";

const CLEAN_REPO = join(REPO_ROOT, "test/fixtures/repos/clean");
/** Outside Buildkite unless a test says otherwise, whatever runs these tests. */
const NOT_BUILDKITE = { BUILDKITE: undefined, BUILDKITE_AGENT_ACCESS_TOKEN: undefined };

// ---------------------------------------------------------------------------------------------
// annotationFor: pure

function finding(i: number, severity: Severity, extra: Partial<Finding> = {}): Finding {
  return {
    ruleId: "client-secret-login",
    severity,
    message: `Finding ${i}: az login uses a client secret — ünïcödé 🔑 to count bytes, not characters.`,
    location: { file: ".buildkite/pipeline.yml", line: i + 1 },
    evidence: [`evidence line one for ${i}`, `evidence line two for ${i} ${"x".repeat(120)}`],
    remediation: "Use a federated credential and `buildkite-agent oidc request-token`.",
    fingerprint: `fp-${String(i).padStart(6, "0")}`,
    ...extra,
  };
}

function report(findings: Finding[], gaps: Report["coverage"]["gaps"] = []): Report {
  const summary = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) if (!f.suppression) summary[f.severity]++;
  return { schemaVersion: 1, tool: { name: "trustscope", version: "test" }, findings, coverage: { complete: gaps.length === 0, gaps }, summary };
}

const GAP = { source: "arm", scope: "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333", error: "403 AuthorizationFailed: needs Reader" };

describe("annotationFor", () => {
  it("styles by the highest severity that counts, and success when clean", () => {
    expect(annotationStyle(report([finding(1, "critical")]))).toBe("error");
    expect(annotationStyle(report([finding(1, "high"), finding(2, "low")]))).toBe("error");
    expect(annotationStyle(report([finding(1, "medium"), finding(2, "info")]))).toBe("warning");
    expect(annotationStyle(report([finding(1, "low")]))).toBe("info");
    expect(annotationStyle(report([finding(1, "info")]))).toBe("info");
    expect(annotationStyle(report([]))).toBe("success");
    // A suppressed finding does not count.
    expect(annotationStyle(report([finding(1, "critical", { suppression: { kind: "policy", reason: "reviewed" } }), finding(2, "low")]))).toBe("info");
  });

  it("makes an incomplete scan at least a warning, and says so first", () => {
    for (const findings of [[], [finding(1, "low")], [finding(1, "info")]]) {
      const r = report(findings, [GAP]);
      const a = annotationFor(r, renderMarkdown(r));
      expect(a.style).toBe("warning");
      expect(a.body.split("\n")[0]).toMatch(/Incomplete scan/);
      expect(a.body).toContain("## trustscope");
    }
    const critical = report([finding(1, "critical")], [GAP]);
    const a = annotationFor(critical, renderMarkdown(critical));
    expect(a.style).toBe("error");
    expect(a.body.split("\n")[0]).toMatch(/Incomplete scan/);
  });

  it("passes a report under the limit through unchanged", () => {
    const r = report([finding(1, "high"), finding(2, "medium")]);
    const md = renderMarkdown(r);
    expect(annotationFor(r, md)).toEqual({ style: "error", body: md, truncated: false });
  });

  it("cuts an oversized report before a finding, under the byte limit, with an accurate note", () => {
    const findings = Array.from({ length: 3000 }, (_, i) => finding(i, i % 3 === 0 ? "high" : "medium"));
    findings.push(finding(9999, "low", { suppression: { kind: "policy", reason: "reviewed" } }));
    const r = report(findings);
    const md = renderMarkdown(r);
    expect(Buffer.byteLength(md)).toBeGreaterThan(MAX_ANNOTATION_BYTES);
    const a = annotationFor(r, md);
    expect(a.truncated).toBe(true);
    expect(a.style).toBe("error");
    expect(Buffer.byteLength(a.body, "utf8")).toBeLessThanOrEqual(MAX_ANNOTATION_BYTES);
    expect(Buffer.byteLength(a.body, "utf8")).toBeGreaterThan(MAX_ANNOTATION_BYTES - 4096);
    const shown = a.body.split("\n").filter((l) => l.startsWith("- **`")).length;
    expect(shown).toBeGreaterThan(100);
    expect(shown).toBeLessThan(3000);
    expect(a.body).toContain(`… report truncated:** ${shown} of 3000 findings shown`);
    expect(a.body).toMatch(/--format json -o trustscope\.json/);
    expect(a.body).toMatch(/--format sarif -o trustscope\.sarif/);
    // Every finding shown is whole: the body is a prefix of the report up to a finding's first line.
    const kept = a.body.slice(0, a.body.indexOf("\n---\n\n**… report truncated"));
    expect(md.startsWith(kept)).toBe(true);
    expect(md.slice(kept.length)).toMatch(/^- \*\*`/);
  });

  it("respects a smaller limit in bytes and closes an open <details>", () => {
    const findings = [finding(1, "high"), ...Array.from({ length: 400 }, (_, i) => finding(i + 2, "low", { suppression: { kind: "policy", reason: `reviewed ${"ü".repeat(40)}` } }))];
    const r = report(findings);
    const a = annotationFor(r, renderMarkdown(r), 20_000);
    expect(a.truncated).toBe(true);
    expect(Buffer.byteLength(a.body)).toBeLessThanOrEqual(20_000);
    expect(a.body).toContain("all 1 findings shown, the rest of the report left out");
    expect(a.body.lastIndexOf("</details>")).toBeGreaterThan(a.body.lastIndexOf("<details>"));
  });
});

// ---------------------------------------------------------------------------------------------
// The real CLI with a stand-in agent

describe("trustscope scan: Buildkite annotation", () => {
  it("annotates automatically inside Buildkite: context trustscope, style error, the Markdown report on stdin", () => {
    const agent = standInAgent();
    const r = trustscope(["scan", "--demo", "--format", "json"], { env: { BUILDKITE: "true", PATH: agent.path } });
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as Report; // the normal output is unaffected
    expect(r.stderr).toBe("");
    const calls = agent.calls();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.argv).toEqual(["annotate", "--context", "trustscope", "--style", "error"]);
    const body = calls[0]!.stdin;
    expect(body).toContain("## trustscope");
    const critical = json.findings.filter((f) => f.severity === "critical");
    expect(critical.length).toBeGreaterThan(0);
    expect(body).toContain("### 🟥 Critical");
    expect(body).toContain(`**\`${critical[0]!.ruleId}\`**`);
    expect(body).toContain(mdText(critical[0]!.message));
  });

  it("writes the report to -o as usual and annotates as well", () => {
    const agent = standInAgent();
    const dir = mkdtempSync(join(tmpdir(), "trustscope-bk-"));
    const r = trustscope(["scan", "--demo", "--format", "sarif", "-o", join(dir, "out.sarif")], { env: { BUILDKITE: "true", PATH: agent.path } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(JSON.parse(readFileSync(join(dir, "out.sarif"), "utf8")).version).toBe("2.1.0");
    expect(agent.calls()).toHaveLength(1);
  });

  it("does not annotate with --no-buildkite-annotate, outside Buildkite, or without the agent on PATH", () => {
    const agent = standInAgent();
    const off = trustscope(["scan", "--demo", "--format", "json", "--no-buildkite-annotate"], { env: { BUILDKITE: "true", PATH: agent.path } });
    expect(off.code).toBe(1);
    const outside = trustscope(["scan", "--demo", "--format", "json"], { env: { ...NOT_BUILDKITE, PATH: agent.path } });
    expect(outside.code).toBe(1);
    expect(agent.calls()).toHaveLength(0);
    const noAgent = trustscope(["scan", "--demo", "--format", "json"], { env: { BUILDKITE: "true", PATH: mkdtempSync(join(tmpdir(), "trustscope-empty-path-")) } });
    expect(noAgent.code).toBe(1);
    expect(noAgent.stderr).toBe("");
  });

  it("annotates when asked with --buildkite-annotate, even outside Buildkite; the last flag wins", () => {
    const agent = standInAgent();
    const r = trustscope(["scan", "--demo", "--format", "json", "--buildkite-annotate"], { env: { ...NOT_BUILDKITE, PATH: agent.path } });
    expect(r.code).toBe(1);
    expect(agent.calls()).toHaveLength(1);
    trustscope(["scan", "--demo", "--format", "json", "--buildkite-annotate", "--no-buildkite-annotate"], { env: { BUILDKITE: "true", PATH: agent.path } });
    expect(agent.calls()).toHaveLength(1);
    trustscope(["scan", "--demo", "--format", "json", "--no-buildkite-annotate", "--buildkite-annotate"], { env: { ...NOT_BUILDKITE, PATH: agent.path } });
    expect(agent.calls()).toHaveLength(2);
  });

  it("styles a clean scan success (a repository scan in a job, where the agent sets BUILDKITE_ORGANIZATION_SLUG)", () => {
    const agent = standInAgent();
    const job = { BUILDKITE: "true", BUILDKITE_ORGANIZATION_SLUG: "acme", BUILDKITE_API_TOKEN: undefined, AZURE_TENANT_ID: undefined, TRUSTSCOPE_GRAPH_TOKEN: undefined, TRUSTSCOPE_ARM_TOKEN: undefined };
    const r = trustscope(["scan", "--repo", CLEAN_REPO, "--format", "json"], { env: { ...job, PATH: agent.path } });
    expect(r.code).toBe(0);
    const calls = agent.calls();
    expect(calls.map((c) => c.argv)).toEqual([["annotate", "--context", "trustscope", "--style", "success"]]);
    expect(calls[0]!.stdin).toContain("No findings.");
  });

  it("styles an incomplete scan at least warning and says it is incomplete first", () => {
    const agent = standInAgent();
    const dir = mkdtempSync(join(tmpdir(), "trustscope-bk-"));
    const inv = parseInventory(readFileSync(DEMO_SNAPSHOT, "utf8"), "organisation.json");
    // Keep only the Buildkite side (no Azure → none of the high rules fire) and record a gap.
    const partial = { ...inv, entra: undefined, azure: undefined, coverage: { complete: false, gaps: [GAP] } };
    writeFileSync(join(dir, "snap.json"), JSON.stringify(partial, null, 2));
    const r = trustscope(["scan", "--snapshot", join(dir, "snap.json"), "--format", "json", "--fail-on", "never"], { env: { BUILDKITE: "true", PATH: agent.path } });
    expect(r.code).toBe(3);
    const highest = (JSON.parse(r.stdout) as Report).summary;
    expect(highest.critical + highest.high + highest.medium).toBe(0);
    const [call] = agent.calls();
    expect(call!.argv).toEqual(["annotate", "--context", "trustscope", "--style", "warning"]);
    expect(call!.stdin.split("\n")[0]).toMatch(/Incomplete scan/);
  });

  it("truncates an oversized report under 1 MiB with a note", () => {
    const repo = mkdtempSync(join(tmpdir(), "trustscope-bk-big-"));
    mkdirSync(join(repo, ".buildkite"));
    const steps = Array.from(
      { length: 3000 },
      (_, i) => `  - label: "deploy ${i}"\n    key: deploy-${i}\n    command: az login --service-principal -u "$$ARM_CLIENT_ID" -p "$$ARM_CLIENT_SECRET" --tenant "$$ARM_TENANT_ID" && ./deploy.sh ${i}\n`,
    );
    writeFileSync(join(repo, ".buildkite/pipeline.yml"), `steps:\n${steps.join("")}`);
    const agent = standInAgent();
    const r = trustscope(["scan", "--repo", repo, "--format", "json", "-o", join(repo, "report.json")], { env: { BUILDKITE: "true", PATH: agent.path }, cwd: repo });
    expect(r.code).toBe(1);
    const full = JSON.parse(readFileSync(join(repo, "report.json"), "utf8")) as Report;
    expect(full.findings.length).toBe(3000);
    expect(r.stderr).toMatch(/annotation was truncated to fit Buildkite's 1 MiB limit/);
    const [call] = agent.calls();
    expect(call!.argv).toEqual(["annotate", "--context", "trustscope", "--style", "error"]);
    expect(Buffer.byteLength(call!.stdin, "utf8")).toBeLessThanOrEqual(1024 * 1024);
    const shown = call!.stdin.split("\n").filter((l) => l.startsWith("- **`")).length;
    expect(shown).toBeGreaterThan(0);
    expect(call!.stdin).toContain(`… report truncated:** ${shown} of 3000 findings shown`);
  });

  it("turns a failing agent into a warning and keeps the scan's exit code", () => {
    const agent = standInAgent({ exitCode: 1, stderr: "fatal: Failed to annotate build: POST 401 Unauthorized" });
    const r = trustscope(["scan", "--demo", "--format", "json"], { env: { BUILDKITE: "true", PATH: agent.path } });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/^trustscope: warning: the Buildkite annotation failed \(buildkite-agent annotate exited with 1: fatal: Failed to annotate build: POST 401 Unauthorized\)/m);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(agent.calls()).toHaveLength(1);

    const clean = trustscope(["scan", "--repo", CLEAN_REPO, "--buildkite-annotate"], { env: { ...NOT_BUILDKITE, PATH: agent.path } });
    expect(clean.code).toBe(0);
    expect(clean.stderr).toMatch(/warning: the Buildkite annotation failed/);
  });

  it("warns when asked to annotate without an agent on PATH", () => {
    const empty = mkdtempSync(join(tmpdir(), "trustscope-empty-path-"));
    const r = trustscope(["scan", "--repo", CLEAN_REPO, "--buildkite-annotate"], { env: { ...NOT_BUILDKITE, PATH: empty } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: the Buildkite annotation failed \(buildkite-agent was not found on PATH\)/);
  });
});

// ---------------------------------------------------------------------------------------------
// --azure-auth buildkite-oidc

describe("buildkite-oidc: the assertion", () => {
  it("asks the agent for a token for the cloud's token-exchange audience, with the subject claim when given", async () => {
    const agent = standInAgent();
    const seen: string[] = [];
    const get = buildkiteOidcAssertion({ audience: CLOUDS.AzureCloud.tokenExchangeAudience, subjectClaim: "cluster_id", env: { ...process.env, PATH: agent.path }, onToken: (t) => seen.push(t) });
    await expect(get()).resolves.toBe(FAKE_JWT);
    expect(seen).toEqual([FAKE_JWT]);
    const gov = buildkiteOidcAssertion({ audience: CLOUDS.AzureUSGovernment.tokenExchangeAudience, env: { ...process.env, PATH: agent.path } });
    await expect(gov()).resolves.toBe(FAKE_JWT);
    expect(agent.calls().map((c) => c.argv)).toEqual([
      ["oidc", "request-token", "--audience", "api://AzureADTokenExchange", "--subject-claim", "cluster_id"],
      ["oidc", "request-token", "--audience", "api://AzureADTokenExchangeUSGov"],
    ]);
  });

  it("says what the agent said when it fails, and when it is missing", async () => {
    const agent = standInAgent({ exitCode: 1, stderr: "fatal: OIDC token request failed: 403 Forbidden" });
    const get = buildkiteOidcAssertion({ audience: "api://AzureADTokenExchange", env: { ...process.env, PATH: agent.path } });
    await expect(get()).rejects.toThrow("buildkite-agent oidc request-token exited with 1: fatal: OIDC token request failed: 403 Forbidden");
    const missing = buildkiteOidcAssertion({ audience: "api://AzureADTokenExchange", env: { PATH: mkdtempSync(join(tmpdir(), "trustscope-empty-path-")) } });
    await expect(missing()).rejects.toThrow(/buildkite-agent was not found on PATH; --azure-auth buildkite-oidc works only inside a Buildkite job/);
    const notJwt = standInAgent({ token: "not a token" });
    await expect(buildkiteOidcAssertion({ audience: "a", env: { ...process.env, PATH: notJwt.path } })()).rejects.toThrow(/did not print a JWT/);
  });

  it("is one client-assertion credential for Graph and ARM, named for messages, ignoring static tokens", () => {
    const creds = buildkiteOidcCredentials({
      tenantId: "7d3c2b1a-0000-4000-8000-000000000001",
      clientId: "c0ffee99-0000-4000-8000-000000000001",
      cloud: CLOUDS.AzureCloud,
      env: { TRUSTSCOPE_GRAPH_TOKEN: "static-graph-token-123", TRUSTSCOPE_ARM_TOKEN: "static-arm-token-456" },
      redactor: new Redactor(),
    });
    // One credential (the end-to-end tests below show it is MSAL's client-assertion flow, and that
    // the static tokens are not used).
    expect(creds.graph).toBe(creds.arm);
    expect(creds.graphName).toBe("the Buildkite OIDC federated credential");
    expect(creds.armName).toBe("the Buildkite OIDC federated credential");
  });
});

describe("trustscope scan --azure-auth buildkite-oidc", () => {
  // The demo organisation's tenant: subscriptions of another tenant would be left out (and named in a note).
  const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  const CLIENT = "c0ffee77-7777-4aaa-8bbb-000000000077";
  const TOKENS = { buildkite: "bk-test-5e4d3c2b1a09f8e7d6c5", graph: "graph-oidc-1122334455667788aabb", arm: "arm-oidc-99aabbccddeeff001122" };
  let emulator: Emulator | undefined;
  let authority: EntraAuthority | undefined;
  afterEach(async () => {
    await emulator?.close();
    await authority?.close();
    emulator = undefined;
    authority = undefined;
  });

  async function start(tokenFor?: Parameters<typeof startEntraAuthority>[0]["tokenFor"]) {
    const scenario = parseInventory(readFileSync(DEMO_SNAPSHOT, "utf8"), "organisation.json");
    emulator = await startEmulator({ scenario, tokens: TOKENS });
    authority = await startEntraAuthority({ tokenFor: tokenFor ?? ((scope) => (/graph/.test(scope) ? TOKENS.graph : TOKENS.arm)) });
    const dir = mkdtempSync(join(tmpdir(), "trustscope-oidc-"));
    writeFileSync(join(dir, "ca.pem"), `${emulator.caPem}\n${authority.caPem}`);
    const agent = standInAgent();
    const env = {
      ...NOT_BUILDKITE,
      PATH: agent.path,
      NODE_EXTRA_CA_CERTS: join(dir, "ca.pem"),
      // Ignored with buildkite-oidc: if they were used, the emulator would answer 401.
      TRUSTSCOPE_GRAPH_TOKEN: "wrong-static-graph-token",
      TRUSTSCOPE_ARM_TOKEN: "wrong-static-arm-token",
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: undefined,
      BUILDKITE_OIDC_TOKEN_SUBJECT_CLAIM: undefined,
    };
    const args = ["scan", "--azure-auth", "buildkite-oidc", "--azure-client-id", CLIENT, "--authority-url", authority.url, "--graph-url", emulator.graphUrl, "--arm-url", emulator.armUrl];
    return { agent, env, args, authority, emulator };
  }

  const expectNoSecrets = (...texts: string[]) => {
    for (const t of texts) for (const s of [FAKE_JWT, TOKENS.graph, TOKENS.arm]) expect(t).not.toContain(s);
  };

  it("exchanges the agent's token at the authority and reads Graph and ARM with what it gets", async () => {
    const { agent, env, args, authority: entra, emulator: emu } = await start();
    const r = await trustscopeAsync([...args, "--oidc-subject-claim", "pipeline_id", "--format", "json"], { env });
    expect(r.stderr).toMatch(/note: TRUSTSCOPE_GRAPH_TOKEN is ignored with --azure-auth buildkite-oidc/);
    const json = JSON.parse(r.stdout) as Report;
    expect(json.coverage).toMatchObject({ complete: true, gaps: [] });
    expect(r.code).toBe(1);
    expect(json.findings.length).toBeGreaterThan(0);

    // The agent was asked for the right token, once per token MSAL needed.
    const calls = agent.calls();
    expect(calls.length).toBeGreaterThanOrEqual(1);
    for (const c of calls) expect(c.argv).toEqual(["oidc", "request-token", "--audience", "api://AzureADTokenExchange", "--subject-claim", "pipeline_id"]);

    // MSAL posted it as the client assertion for the app, at the tenant, for both APIs.
    expect(entra.paths).toContain(`/${TENANT}/v2.0/.well-known/openid-configuration`);
    expect(entra.tokenRequests.length).toBeGreaterThanOrEqual(2);
    for (const t of entra.tokenRequests) {
      expect(t.tenant).toBe(TENANT);
      expect(t.form.client_id).toBe(CLIENT);
      expect(t.form.client_assertion).toBe(FAKE_JWT);
      expect(t.form.client_assertion_type).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      expect(t.form.grant_type).toBe("client_credentials");
      expect(t.form.client_secret).toBeUndefined();
    }
    const scopes = entra.tokenRequests.map((t) => t.form.scope ?? "");
    expect(scopes.some((s) => s.includes("https://graph.microsoft.com/.default"))).toBe(true);
    expect(scopes.some((s) => s.includes("https://management.azure.com/.default"))).toBe(true);

    // Graph and ARM saw only the exchanged tokens.
    const azureRequests = emu.requests.filter((q) => q.api === "graph" || q.api === "arm");
    expect(azureRequests.length).toBeGreaterThan(0);
    expect(azureRequests.every((q) => q.authorizationValid)).toBe(true);
    expectNoSecrets(r.stdout, r.stderr);
  });

  it("asks for the US Government audience with --cloud AzureUSGovernment, and passes no subject claim unless given", async () => {
    const { agent, env, args, authority: entra } = await start();
    const r = await trustscopeAsync([...args, "--cloud", "AzureUSGovernment", "--format", "json", "-q"], { env });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).coverage.complete).toBe(true);
    expect(agent.calls().length).toBeGreaterThanOrEqual(1);
    for (const c of agent.calls()) expect(c.argv).toEqual(["oidc", "request-token", "--audience", "api://AzureADTokenExchangeUSGov"]);
    expect(entra.tokenRequests.map((t) => t.form.scope ?? "").some((s) => s.includes("https://graph.microsoft.us/.default"))).toBe(true);
  });

  it("reports a rejected assertion as coverage gaps naming the credential, and never prints the token", async () => {
    const { env, args } = await start((_scope, form) => ({
      status: 400,
      error: "invalid_client",
      description: `AADSTS70021: No matching federated identity record found for presented assertion ${form.client_assertion ?? ""}.`,
    }));
    const r = await trustscopeAsync([...args, "--format", "json"], { env });
    expect(r.code).toBe(3);
    const json = JSON.parse(r.stdout) as Report;
    expect(json.coverage.complete).toBe(false);
    expect(json.coverage.gaps.length).toBeGreaterThan(0);
    for (const g of json.coverage.gaps) expect(g.error).toMatch(/the Buildkite OIDC federated credential could not get a token: .*AADSTS70021/);
    expectNoSecrets(r.stdout, r.stderr);
  });

  it("reports a failing agent as coverage gaps that say what the agent said", async () => {
    const { env, args } = await start();
    const failing = standInAgent({ exitCode: 1, stderr: "fatal: BUILDKITE_JOB_ID is not set" });
    const r = await trustscopeAsync([...args, "--format", "json"], { env: { ...env, PATH: failing.path } });
    expect(r.code).toBe(3);
    const json = JSON.parse(r.stdout) as Report;
    expect(json.coverage.gaps.length).toBeGreaterThan(0);
    for (const g of json.coverage.gaps) expect(g.error).toMatch(/the Buildkite OIDC federated credential could not get a token: .*buildkite-agent oidc request-token exited with 1: fatal: BUILDKITE_JOB_ID is not set/);
  });

  it("needs the tenant and the client ID, and rejects the buildkite-oidc flags without it", () => {
    const env = { ...NOT_BUILDKITE, AZURE_TENANT_ID: undefined, AZURE_CLIENT_ID: undefined, TRUSTSCOPE_GRAPH_TOKEN: undefined, TRUSTSCOPE_ARM_TOKEN: undefined };
    const noTenant = trustscope(["scan", "--azure-auth", "buildkite-oidc", "--azure-client-id", CLIENT], { env });
    expect(noTenant.code).toBe(2);
    expect(noTenant.stderr).toMatch(/--azure-auth buildkite-oidc needs the tenant: give --tenant ID or set AZURE_TENANT_ID/);
    const noClient = trustscope(["scan", "--azure-auth", "buildkite-oidc", "--tenant", TENANT], { env });
    expect(noClient.code).toBe(2);
    expect(noClient.stderr).toMatch(/needs the client ID to log in as: give --azure-client-id ID or set AZURE_CLIENT_ID/);
    const fromEnv = trustscope(["scan", "--azure-auth", "buildkite-oidc", "--authority-url", "http://127.0.0.1:1"], { env: { ...env, AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT } });
    expect(fromEnv.stderr).toMatch(/--authority-url must be an https:\/\/ URL/);
    const bad = trustscope(["scan", "--azure-auth", "magic", "--tenant", TENANT], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--azure-auth must be one of default, buildkite-oidc, got 'magic'/);
    const stray = trustscope(["scan", "--tenant", TENANT, "--azure-client-id", CLIENT], { env });
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--azure-client-id is for --azure-auth buildkite-oidc/);
    const demo = trustscope(["scan", "--demo", "--azure-auth", "buildkite-oidc"], { env });
    expect(demo.stderr).toMatch(/give one source: --demo or live options/);
    expect(trustscope(["scan", "--demo", "--azure-auth", "default", "--format", "json"], { env }).code).toBe(1);
  });

  it("documents the flags in --help", () => {
    const help = trustscope(["scan", "--help"]).stdout;
    for (const flag of ["--buildkite-annotate", "--no-buildkite-annotate", "--azure-auth MODE", "--azure-client-id ID", "--oidc-subject-claim CLAIM", "--authority-url URL"]) expect(help).toContain(flag);
    expect(trustscope(["collect", "--help"]).stdout).toContain("--azure-auth MODE");
  });
});
