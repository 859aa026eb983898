/**
 * A smoke run of the benchmark's parts on a tiny tenant with no latency: the generator plants a
 * finding for every built-in rule an inventory can show, the real collectors read the tenant from
 * the emulator in exactly the requests the lower bound allows (never fewer: the bound would be
 * wrong), and every planted finding survives collection. No timings are asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectInventory, evaluate, staticTokenCredential, type Inventory } from "@trustscope/core";
import { startEmulator, type Emulator } from "@trustscope/emulator";
import { builtinRules } from "@trustscope/rules";
import { missed } from "../src/check.ts";
import { BENCH_NOW, generateTenant, type TenantSize } from "../src/generate.ts";
import { lowerBound, MAX_PAGE } from "../src/lower-bound.ts";

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
};

const tenant = generateTenant(TINY, 7);

describe("bench generator", () => {
  it("is deterministic for a seed", () => {
    expect(generateTenant(TINY, 7).inventory).toEqual(tenant.inventory);
    expect(generateTenant(TINY, 8).inventory).not.toEqual(tenant.inventory);
  });

  it("plants every built-in rule, or says why it cannot", () => {
    const covered = new Set([...tenant.planted.map((p) => p.ruleId), ...tenant.notApplicable.map((n) => n.ruleId)]);
    expect([...covered].sort()).toEqual(builtinRules.map((r) => r.meta.id).sort());
  });

  it("every planted finding is found in the generated inventory, and a missing one is reported", () => {
    const { findings } = evaluate({ inventory: tenant.inventory, rules: builtinRules, now: BENCH_NOW });
    expect(missed(tenant.planted, findings)).toEqual([]);
    const withoutOne = findings.filter((f) => f.ruleId !== "org-scoped-trust");
    expect(missed(tenant.planted, withoutOne)).toEqual(["org-scoped-trust: organisation-UUID subject with Contributor on a production subscription"]);
  });
});

describe("bench collection against the emulator", () => {
  let emu: Emulator;
  let collected: Inventory;
  beforeAll(async () => {
    emu = await startEmulator({ scenario: tenant.inventory, pageSize: { buildkite: MAX_PAGE.buildkite, graph: 999, arm: MAX_PAGE.arm } });
    collected = await collectInventory({
      cloud: "AzureCloud",
      buildkite: { organization: "bench-org", graphqlUrl: emu.buildkiteGraphqlUrl, token: emu.tokens.buildkite },
      azure: {
        graphUrl: emu.graphUrl,
        armUrl: emu.armUrl,
        graphCredential: staticTokenCredential(emu.tokens.graph),
        armCredential: staticTokenCredential(emu.tokens.arm),
        graphCredentialName: "test token",
        armCredentialName: "test token",
      },
      caPem: emu.caPem,
    });
  });
  afterAll(() => emu.close());

  it("makes exactly the lower bound's requests per API family, all answered", () => {
    const bound = lowerBound(tenant.inventory);
    for (const api of ["buildkite", "graph", "arm"] as const) {
      expect(emu.requests.filter((r) => r.api === api && !r.batchInner).length, api).toBe(bound.requests[api]);
    }
    expect(emu.requests.filter((r) => r.status >= 400)).toEqual([]);
    expect(collected.coverage).toEqual({ complete: true, gaps: [] });
  });

  it("finds every planted finding in what it collected", () => {
    const { findings } = evaluate({ inventory: collected, rules: builtinRules, now: BENCH_NOW });
    expect(missed(tenant.planted, findings)).toEqual([]);
  });
});
