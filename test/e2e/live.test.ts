/**
 * Live collection end to end: the real CLI, the real SDKs, the loopback HTTPS emulator serving
 * the demo organisation with small pages and injected faults.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalInventory, parseInventory, type Inventory } from "@trustscope/core";
import type { Fault } from "@trustscope/emulator";
import { demoScenario as scenario, liveEmulatorPerTest } from "../support/live-emulator.ts";
import { trustscopeAsync } from "../support/cli.ts";
import { withoutActivity, withoutVolatile as withoutVolatileFields } from "../support/without-activity.ts";
import { SHARED } from "../support/paths.ts";

const schemaSdl = readFileSync(join(SHARED, "schemas/buildkite-graphql-schema.graphql"), "utf8");
const TOKENS = { buildkite: "bk-test-9f8e7d6c5b4a39281706", graph: "graph-test-1a2b3c4d5e6f70819293", arm: "arm-test-0f1e2d3c4b5a69788796" };
const SUB_PROD = "0b1f6471-1bf0-4dda-aec3-111122223333";
const SUB_NONPROD = "4d6e8f10-2a3b-4c5d-8e9f-444455556666";

const startLive = liveEmulatorPerTest({ tokens: TOKENS, buildkiteSchemaSdl: schemaSdl });

async function start(faults: Fault[] = [], tokens = TOKENS) {
  const { emu, dir, env, live } = await startLive(faults, tokens);
  return { emulator: emu, dir, env, live };
}

function withoutVolatile(inv: Inventory): Inventory {
  return withoutVolatileFields(inv, canonicalInventory);
}


function expectNoSecrets(...texts: string[]) {
  for (const t of texts) for (const token of Object.values(TOKENS)) expect(t).not.toContain(token);
}

describe("live collection against the emulator", () => {
  it("collects the demo organisation exactly, paging every list, and scan = collect + scan --snapshot", async () => {
    const { dir, env, live, emulator: emu } = await start();
    const collected = await trustscopeAsync(["collect", "-o", join(dir, "snap.json"), ...live], { env });
    expect(collected.stderr).toBe("");
    expect(collected.code).toBe(0);
    const snapText = readFileSync(join(dir, "snap.json"), "utf8");
    expect(withoutVolatile(parseInventory(snapText, "snap.json"))).toEqual(withoutVolatile(withoutActivity(scenario)));

    const fromSnapshot = await trustscopeAsync(["scan", "--snapshot", join(dir, "snap.json"), "--format", "json"], { env });
    const direct = await trustscopeAsync(["scan", ...live, "--format", "json"], { env });
    expect(direct.code).toBe(1);
    expect(direct.stdout).toBe(fromSnapshot.stdout);
    // The same facts offline: the demo scenario without its Activity Log (not read without --activity).
    writeFileSync(join(dir, "demo-without-activity.json"), JSON.stringify(withoutActivity(scenario), null, 2));
    const demo = await trustscopeAsync(["scan", "--snapshot", join(dir, "demo-without-activity.json"), "--format", "json"]);
    expect(direct.stdout).toBe(demo.stdout);

    // Small pages: every list needed more than one request.
    const count = (re: RegExp) => emu.requests.filter((r) => re.test(r.path) && r.status === 200).length;
    expect(count(/^\/v1\.0\/applications/)).toBeGreaterThan(1);
    expect(count(/\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleAssignments/i)).toBeGreaterThan(2);
    expect(count(/\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleDefinitions/i)).toBeGreaterThan(2);
    expect(count(/\/subscriptions\/[^/]+\/resourcegroups/i)).toBeGreaterThan(2);
    expect(count(/^\/subscriptions\?/i)).toBeGreaterThan(0);
    expect(emu.requests.filter((r) => r.api === "buildkite").length).toBeGreaterThan(6);
    // GitHub too: the organisation's repository list over pages, each named repository's environments and template.
    expect(count(/^\/orgs\/acme\/repos|^\/organizations\/\d+\/repos/)).toBeGreaterThan(1);
    expect(count(/^\/repos\/acme\/web-storefront\/environments/)).toBeGreaterThan(0);
    // Once per run (the collection and the live scan).
    expect(count(/^\/repos\/acme\/web-legacy\/actions\/oidc\/customization\/sub/)).toBe(2);
    // Every request carried the right token; none went elsewhere.
    expect(emu.requests.every((r) => r.authorizationValid)).toBe(true);
    expectNoSecrets(collected.stdout, collected.stderr, snapText, direct.stdout, direct.stderr);
  });

  it("retries a 429 after its Retry-After and ends complete", async () => {
    const { env, live, emulator: emu } = await start([
      { kind: "throttle", api: "graph", match: /\/applications/, times: 1, retryAfterSeconds: 1 },
      { kind: "throttle", api: "arm", match: /roleAssignments/, times: 1, retryAfterSeconds: 1 },
      { kind: "throttle", api: "buildkite", match: /.*/, times: 1, retryAfterSeconds: 1 },
      // Inside a $batch, each request is throttled on its own.
      { kind: "throttle", api: "graph", match: /transitiveMemberOf/, times: 1, retryAfterSeconds: 1 },
    ]);
    const r = await trustscopeAsync(["scan", ...live, "--format", "json"], { env });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).coverage).toEqual({ complete: true, gaps: [] });
    expect(emu.requests.some((x) => x.batchInner && x.status === 429 && /transitiveMemberOf/.test(x.path))).toBe(true);
    for (const api of ["graph", "arm", "buildkite"] as const) {
      expect(emu.requests.some((x) => x.api === api && x.status === 429), api).toBe(true);
    }
  });

  it("a 403 on one subscription is a coverage gap naming it and the permission; the other's findings stay; exit 3", async () => {
    const { env, live } = await start([{ kind: "forbidden", api: "arm", match: new RegExp(`/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleAssignments`, "i") }]);
    const r = await trustscopeAsync(["scan", ...live, "--format", "json", "--fail-on", "never"], { env });
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as { coverage: { complete: boolean; gaps: { source: string; scope: string; error: string }[] }; findings: { ruleId: string; scope?: string }[] };
    expect(report.coverage.complete).toBe(false);
    expect(report.coverage.gaps).toHaveLength(1);
    expect(report.coverage.gaps[0]).toMatchObject({ source: "arm", scope: `/subscriptions/${SUB_NONPROD}` });
    expect(report.coverage.gaps[0]!.error).toMatch(/403 AuthorizationFailed listing role assignments: the ARM credential \(TRUSTSCOPE_ARM_TOKEN\) needs Reader/);
    expect(report.findings.some((f) => f.ruleId === "org-scoped-trust" && f.scope === `/subscriptions/${SUB_PROD}`)).toBe(true);
    expect(r.stderr).toMatch(/the scan is incomplete/);
  });

  it("a 403 from GitHub on a repository's environments is a gap naming the repository and the permission; the rest is judged; exit 3", async () => {
    const { env, live, emulator: emu } = await start([{ kind: "forbidden", api: "github", match: /^\/repos\/acme\/web-storefront\/environments/i }]);
    const r = await trustscopeAsync(["scan", ...live, "--format", "json", "--fail-on", "never"], { env });
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as { coverage: { complete: boolean; gaps: { source: string; scope: string; error: string }[] }; findings: { ruleId: string }[] };
    expect(report.coverage.complete).toBe(false);
    expect(report.coverage.gaps).toHaveLength(1);
    expect(report.coverage.gaps[0]).toMatchObject({ source: "github", scope: "acme/web-storefront" });
    expect(report.coverage.gaps[0]!.error).toMatch(/403/);
    expect(report.coverage.gaps[0]!.error).toMatch(/Actions.*read/i);
    // Its environments unread, the environment rule is quiet; what needs no environment still fires.
    const rules = new Set(report.findings.map((f) => f.ruleId));
    expect(rules.has("unprotected-environment-subject")).toBe(false);
    for (const id of ["pull-request-subject", "wildcard-expression", "customised-subject-mismatch", "subject-names-missing-repository", "org-scoped-trust"]) expect(rules.has(id), id).toBe(true);
    expect(emu.requests.filter((x) => x.api === "github").every((x) => x.authorizationValid)).toBe(true);
    expectNoSecrets(r.stdout, r.stderr);
    expect(r.stdout).not.toContain(emu.tokens.github);
  });

  it("a 403 on each of a subscription's other listings is a gap naming that listing and the permission", async () => {
    const listing = (path: string) => new RegExp(`/subscriptions/${SUB_NONPROD}/${path}`, "i");
    const paths = ["resourcegroups", "providers/Microsoft.Authorization/roleDefinitions", "providers/Microsoft.Storage/storageAccounts", "providers/Microsoft.ManagedIdentity/userAssignedIdentities"];
    const { env, live } = await start(paths.map((p) => ({ kind: "forbidden" as const, api: "arm" as const, match: listing(p) })));
    const r = await trustscopeAsync(["scan", ...live, "--format", "json", "--fail-on", "never"], { env });
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as { coverage: { gaps: { source: string; scope: string; error: string }[] } };
    const listings = report.coverage.gaps.filter((g) => g.error.startsWith("403"));
    expect(listings.map((g) => g.error.replace(/ \(TRUSTSCOPE_ARM_TOKEN\).*/, "")).sort()).toEqual(
      ["resource groups", "role definitions", "storage accounts", "user-assigned managed identities"].map((what) => `403 AuthorizationFailed listing ${what}: the ARM credential`),
    );
    expect(listings.every((g) => g.scope === `/subscriptions/${SUB_NONPROD}` && g.error.endsWith(`needs Reader on /subscriptions/${SUB_NONPROD}`))).toBe(true);
    // Without that subscription's role definitions, its custom role cannot be evaluated: said, not skipped.
    expect(report.coverage.gaps.filter((g) => !g.error.startsWith("403")).map((g) => g.error)).toEqual([expect.stringMatching(/^role definition c0570002-.* is not in the inventory, so its permissions could not be evaluated$/)]);
  });

  it("a $batch reply that is not a batch is a gap for each lookup it carried, not a crash", async () => {
    const { env, live } = await start([{ kind: "fail", api: "graph", match: /\$batch/, status: 200, body: "<html><body>gateway</body></html>" }]);
    const r = await trustscopeAsync(["scan", ...live, "--format", "json", "--fail-on", "never"], { env });
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+|Unhandled/);
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as { coverage: { gaps: { source: string; scope: string; error: string }[] } };
    const batchGaps = report.coverage.gaps.filter((g) => g.source === "graph");
    expect(batchGaps.length).toBeGreaterThan(0);
    expect(batchGaps.every((g) => g.error.includes("the $batch reply has no 'responses' list"))).toBe(true);
    // A service-principal lookup's gap says whose service principals are missing.
    expect(batchGaps.some((g) => g.scope === "/servicePrincipals" && /service principals of \d+ applications?: [0-9a-f-]{36}/.test(g.error))).toBe(true);
  });

  it("an error page that is not JSON is a gap that names its status and the listing", async () => {
    const { env, live } = await start([{ kind: "fail", api: "arm", match: new RegExp(`/subscriptions/${SUB_NONPROD}/providers/Microsoft.Storage/storageAccounts`, "i"), status: 404, body: "<html><body><h1>404 Not Found</h1></body></html>" }]);
    const r = await trustscopeAsync(["scan", ...live, "--format", "json", "--fail-on", "never"], { env });
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as { coverage: { gaps: { source: string; scope: string; error: string }[] } };
    expect(report.coverage.gaps).toEqual([{ source: "arm", scope: `/subscriptions/${SUB_NONPROD}`, error: "404 listing storage accounts: not an ARM error response (text/html; charset=utf-8)" }]);
  });

  it("never sends the token to a next link on another origin, and says the listing is incomplete", async () => {
    const { env, live, emulator: emu } = await start([
      { kind: "foreignNextLink", api: "arm", match: /roleAssignments/i },
      { kind: "foreignNextLink", api: "graph", match: /\/applications/ },
    ]);
    const r = await trustscopeAsync(["scan", ...live, "--format", "json"], { env });
    expect(r.code).toBe(3);
    // Not even a request without the token: the link is refused before anything is sent.
    expect(emu.requests.filter((x) => x.api === "foreign")).toEqual([]);
    const gaps = (JSON.parse(r.stdout) as { coverage: { gaps: { source: string; error: string }[] } }).coverage.gaps;
    expect(gaps.some((g) => g.source === "arm" && /points outside/.test(g.error))).toBe(true);
    expect(gaps.some((g) => g.source === "graph" && /points outside/.test(g.error))).toBe(true);
  });

  it("a rejected token is a gap that names the credential and the endpoint", async () => {
    const { env, live } = await start();
    const r = await trustscopeAsync(["scan", ...live, "--format", "json"], { env: { ...env, TRUSTSCOPE_ARM_TOKEN: "arm-wrong-token-0000000000" } });
    expect(r.code).toBe(3);
    const gaps = (JSON.parse(r.stdout) as { coverage: { gaps: { error: string }[] } }).coverage.gaps;
    expect(gaps[0]!.error).toMatch(/401 .*the ARM token from TRUSTSCOPE_ARM_TOKEN was rejected/);
    expect(r.stdout + r.stderr).not.toContain("arm-wrong-token-0000000000");
  });

  it("a Buildkite token that is rejected names BUILDKITE_API_TOKEN and the URL, and nothing leaks", async () => {
    const { env, live } = await start();
    const r = await trustscopeAsync(["scan", ...live, "--format", "json"], { env: { ...env, BUILDKITE_API_TOKEN: "bk-wrong-token-00000000000" } });
    expect(r.code).toBe(3);
    const gaps = (JSON.parse(r.stdout) as { coverage: { gaps: { source: string; error: string }[] } }).coverage.gaps;
    expect(gaps.find((g) => g.source === "buildkite")!.error).toMatch(/401 Unauthorized from https:\/\/127\.0\.0\.1:\d+\/v1: the token in BUILDKITE_API_TOKEN was rejected/);
    expect(r.stdout + r.stderr).not.toContain("bk-wrong-token-00000000000");
  });
});
