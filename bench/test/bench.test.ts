/**
 * A smoke run of the benchmark's parts on a tiny tenant with no latency: the generator plants a
 * finding for every built-in rule (the repository rules' in a synthetic repository one of the
 * tenant's pipelines builds), the real collectors read the tenant from the emulator in exactly the
 * requests the lower bound allows (never fewer: the bound would be wrong), and every planted
 * finding survives collection. No timings are asserted.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activityCandidates, buildTrustGraph, canonicalInventory, evaluate, pipelinesForRepo, type Inventory, type RepoAnalysis } from "@trustscope/core";
import { collectInventory, staticTokenCredential } from "@trustscope/core/collect";
import { startEmulator, type Emulator } from "@trustscope/emulator";
import { builtinRules } from "@trustscope/rules";
import { missed } from "../src/check.ts";
import { ACTIVITY_DAYS, BENCH_NOW, generateTenant, GITHUB_ORG, type TenantSize } from "../src/generate.ts";
import { lowerBound, MAX_PAGE } from "../src/lower-bound.ts";
import { scanSyntheticRepo } from "../src/repo.ts";

const TINY: TenantSize = {
  applications: 150,
  buildkiteApplications: 40,
  pipelines: 40,
  clusters: 6,
  subscriptions: 4,
  roleAssignmentsPerSubscription: 60,
  storageAccounts: 8,
  managedIdentitiesPerSubscription: 1,
  resourceGroupsPerSubscription: 2,
  agentsPerCluster: 1,
  // Three pages of the organisation's listing.
  githubRepositories: 250,
};

const tenant = generateTenant(TINY, 7);
const REPO_RULES = ["azure-login-on-untrusted-trigger", "client-secret-login", "role-decided-at-deploy", "subject-claim-mismatch", "token-shared-between-steps", "unguarded-token-request", "upload-time-interpolation"];

/** The synthetic repository, read in a directory of the test's own that must be empty afterwards. */
function scanRepo(): RepoAnalysis {
  const parent = mkdtempSync(join(tmpdir(), "trustscope-bench-test-"));
  try {
    const analysis = scanSyntheticRepo(tenant.repo, parent);
    expect(readdirSync(parent), "the temporary checkout is removed").toEqual([]);
    return analysis;
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

describe("bench generator", () => {
  it("is deterministic for a seed", () => {
    expect(generateTenant(TINY, 7).inventory).toEqual(tenant.inventory);
    expect(generateTenant(TINY, 8).inventory).not.toEqual(tenant.inventory);
  });

  it("gives the log to exactly the identities whose log a collection reads, one of them with tens of thousands of events", () => {
    const log = tenant.inventory.azure!.activity!;
    const candidates = activityCandidates(buildTrustGraph(tenant.inventory), tenant.inventory);
    expect(log.reads.map((r) => `${r.principalId} ${r.subscriptionId}`).sort()).toEqual(candidates.flatMap((c) => c.subscriptionIds.map((s) => `${c.principalId} ${s}`)).sort());
    const events = log.reads.map((r) => r.operations.reduce((n, o) => n + o.count, 0));
    expect(Math.max(...events)).toBeGreaterThanOrEqual(10_000);
    // Ten times the events: ten times the (events of the) log, the same identities and operations.
    const tenfold = generateTenant(TINY, 7, { eventsFactor: 10 }).inventory;
    expect(tenfold.azure!.activity!.reads.map((r) => r.operations.map((o) => o.operation))).toEqual(log.reads.map((r) => r.operations.map((o) => o.operation)));
    expect(tenfold.azure!.activity!.reads.reduce((n, r) => n + r.operations.reduce((m, o) => m + o.count, 0), 0)).toBeGreaterThan(9 * events.reduce((a, b) => a + b, 0));
  });

  it("plants every built-in rule", () => {
    expect([...new Set(tenant.planted.map((p) => p.ruleId))].sort()).toEqual(builtinRules.map((r) => r.meta.id).sort());
    expect(tenant.notApplicable).toEqual([]);
    expect(generateTenant(TINY, 7).repo).toEqual(tenant.repo);
  });

  it("writes a repository that reads without a gap and is built by one pull-request pipeline of the tenant", () => {
    const repo = scanRepo();
    // Complete; the template's subject and role are decided at deploy time: notes (and the planted info finding).
    expect(repo.repo.diagnostics.filter((d) => !d.note)).toEqual([]);
    expect(repo.repo.diagnostics.map((d) => [d.file, d.line, d.kind])).toEqual([
      ["infra/deployer.bicep", 7, "deploy-time-value"],
      ["infra/deployer.bicep", 16, "deploy-time-value"],
    ]);
    const built = pipelinesForRepo(tenant.inventory.buildkite!.pipelines, repo.remoteUrl);
    expect(built).toHaveLength(1);
    expect(built[0]!.repository!.settings).toMatchObject({ buildPullRequests: true, buildPullRequestForks: false });
    expect(tenant.planted.filter((p) => p.pipelineUuid === built[0]!.uuid).map((p) => p.ruleId).sort()).toEqual(["subject-claim-mismatch", "unguarded-token-request"]);
  });

  it("every planted finding is found in the generated inventory and repository, and a missing one is reported", () => {
    const repo = scanRepo();
    const { findings, coverage } = evaluate({ inventory: tenant.inventory, rules: builtinRules, now: BENCH_NOW, repo });
    expect(coverage).toEqual({ complete: true, gaps: [] });
    expect(missed(tenant.planted, findings)).toEqual([]);
    // The repository adds exactly its planted findings, one per repository rule.
    const inRepo = findings.filter((f) => f.location);
    expect(inRepo.map((f) => f.ruleId).sort()).toEqual(REPO_RULES);
    const withoutOne = findings.filter((f) => f.ruleId !== "org-scoped-trust");
    expect(missed(tenant.planted, withoutOne)).toEqual(["org-scoped-trust: organisation-UUID subject with Contributor on a production subscription"]);
    // Repository findings are matched by file and line too.
    const moved = findings.map((f) => (f.ruleId === "client-secret-login" ? { ...f, location: { file: f.location!.file, line: f.location!.line + 1 } } : f));
    expect(missed(tenant.planted, moved)).toEqual(["client-secret-login: az login with a client secret in a script a step runs"]);
    // Without the repository, its rules are quiet and their planted findings missed.
    const inventoryOnly = evaluate({ inventory: tenant.inventory, rules: builtinRules, now: BENCH_NOW }).findings;
    expect(missed(tenant.planted, inventoryOnly).map((m) => m.split(":")[0]).sort()).toEqual(REPO_RULES);
  });
});

describe("bench collection against the emulator", () => {
  let emu: Emulator;
  let collected: Inventory;
  beforeAll(async () => {
    emu = await startEmulator({ scenario: tenant.inventory, pageSize: { buildkite: MAX_PAGE.buildkite, graph: 999, arm: MAX_PAGE.arm, github: MAX_PAGE.github } });
    collected = await collectInventory({
      cloud: "AzureCloud",
      buildkite: { organization: "bench-org", graphqlUrl: emu.buildkiteGraphqlUrl, token: emu.tokens.buildkite },
      azure: {
        // As bench.ts: the tenant known, its subscriptions carry no tenantId of their own.
        tenantId: tenant.inventory.tenantId!,
        graphUrl: emu.graphUrl,
        armUrl: emu.armUrl,
        graphCredential: staticTokenCredential(emu.tokens.graph),
        armCredential: staticTokenCredential(emu.tokens.arm),
        graphCredentialName: "test token",
        armCredentialName: "test token",
      },
      github: { apiUrl: emu.githubApiUrl, token: emu.tokens.github, organizations: [GITHUB_ORG], repositories: [] },
      caPem: emu.caPem,
      activity: { days: ACTIVITY_DAYS },
    }, BENCH_NOW);
  });
  afterAll(() => emu.close());

  it("makes exactly the lower bound's requests per API family, all answered", () => {
    const bound = lowerBound(tenant.inventory);
    const isActivity = (path: string) => /\/eventtypes\/management\/values\?/i.test(path);
    for (const api of ["buildkite", "graph", "arm", "github"] as const) {
      expect(emu.requests.filter((r) => r.api === api && !r.batchInner && !isActivity(r.path)).length, api).toBe(bound.requests[api]);
    }
    // One listing per (privileged federated identity, subscription), paged: the heavy identities' many pages included.
    const listings = emu.requests.filter((r) => r.api === "arm" && isActivity(r.path));
    expect(listings.length, "activity").toBe(bound.requests.activity);
    expect(listings.length).toBeGreaterThan(tenant.inventory.azure!.activity!.reads.length);
    // Every request answered, but the planted missing repository's 404 (a finding, not a failure).
    expect(emu.requests.filter((r) => r.status >= 400).map((r) => `${r.status} ${r.path}`)).toEqual([`404 /repos/${tenant.inventory.github!.missingRepositories![0]}`]);
    expect(collected.coverage).toEqual({ complete: true, gaps: [] });
  });

  it("reads the Azure side exactly, already in canonical order", () => {
    expect(canonicalInventory(collected)).toEqual(collected);
    // The generator leaves subscription states out; the emulator answers "Enabled".
    const withoutState = (az: NonNullable<Inventory["azure"]>) => ({ ...az, subscriptions: az.subscriptions.map(({ state: _state, ...s }) => s) });
    expect(withoutState(collected.azure!)).toEqual(withoutState(canonicalInventory(tenant.inventory).azure!));
  });

  it("reads the GitHub side exactly: the organisation's listing, and the named repositories' environments and templates", () => {
    // The API's address is the emulator's.
    expect(collected.github!.apiUrl).toBe(emu.githubApiUrl.replace(/\/+$/, ""));
    expect({ ...collected.github!, apiUrl: "" }).toEqual({ ...canonicalInventory(tenant.inventory).github!, apiUrl: "" });
    expect(collected.github!.repositories.length).toBeGreaterThan(2 * MAX_PAGE.github);
    expect(collected.github!.repositories.filter((r) => r.environments).length).toBeGreaterThan(0);
  });

  it("finds every planted finding in what it collected, with the synthetic repository", () => {
    const { findings } = evaluate({ inventory: collected, rules: builtinRules, now: BENCH_NOW, repo: scanRepo() });
    expect(missed(tenant.planted, findings)).toEqual([]);
  });
});
