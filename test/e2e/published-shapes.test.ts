/**
 * `collect` against the vendors' own published shapes, end to end: the emulator serves the demo
 * organisation with every kind of odd-but-valid value (open enums, fields left out, a subscription
 * of another tenant, flexible credentials read from Graph beta and ARM's preview version), and what `collect` writes, `scan --snapshot` reads, giving the report the
 * live scan gives.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseInventory } from "@trustscope/core";
import { trustscopeAsync } from "../support/cli.ts";
import { demoScenario, liveEmulatorPerTest } from "../support/live-emulator.ts";
import { FLEXIBLE, flexibleScenario } from "../support/flexible-scenario.ts";
import { APP_WITHOUT_ID, FOREIGN_TENANT, ODD_FAULTS, oddScenario, SUB_FOREIGN, SUB_NONPROD, SUB_PROD } from "../support/odd-scenario.ts";

const TOKENS = { buildkite: "bk-test-5e4d3c2b1a0918273645", graph: "graph-test-0a1b2c3d4e5f60718293", arm: "arm-test-9f8e7d6c5b4a39281706" };
const start = liveEmulatorPerTest({ tokens: TOKENS, scenario: flexibleScenario(oddScenario(demoScenario)) });

interface Report {
  findings: { ruleId: string; scope?: string }[];
  coverage: { complete: boolean; gaps: { source: string; scope: string; error: string }[] };
}

describe("collect against the published shapes", () => {
  it("writes a snapshot that scan --snapshot reads, with the live scan's report; another tenant's subscription is a note, not scanned", async () => {
    const { dir, env, live } = await start(ODD_FAULTS);
    const snap = join(dir, "snap.json");
    const collected = await trustscopeAsync(["collect", "-o", snap, ...live], { env });
    // Incomplete: an application came without its id (a gap naming it), nothing else.
    expect(collected.code).toBe(3);
    const note = `trustscope: note: 1 subscription(s) the credential can list belong to another tenant than ${demoScenario.tenantId} and were not scanned: Partner-Prod (${SUB_FOREIGN}, tenant ${FOREIGN_TENANT}). Name one with --subscription to scan it.\n`;
    expect(collected.stderr).toContain(note);

    const inventory = parseInventory(readFileSync(snap, "utf8"), "snap.json");
    expect(inventory.azure!.subscriptions.map((s) => s.subscriptionId).sort()).toEqual([SUB_NONPROD, SUB_PROD].sort());
    expect(inventory.azure!.roleAssignments.map((a) => a.principalType)).toEqual(expect.arrayContaining(["Unknown", "ManagedIdentity", "User"]));
    // Flexible credentials keep their expressions, from an application (Graph beta) and a managed identity (ARM preview).
    expect(inventory.entra!.applications.find((a) => a.appId === FLEXIBLE.app.appId)!.federatedIdentityCredentials.some((c) => c.claimsMatchingExpression)).toBe(true);
    expect(inventory.azure!.managedIdentities.find((m) => m.name === FLEXIBLE.managedIdentity.name)!.federatedIdentityCredentials.some((c) => c.claimsMatchingExpression)).toBe(true);
    expect(inventory.coverage.gaps).toEqual([{ source: "graph", scope: "/applications", error: expect.stringContaining(`"${APP_WITHOUT_ID}" without id`) }]);

    const fromSnapshot = await trustscopeAsync(["scan", "--snapshot", snap, "--format", "json"], { env });
    expect(fromSnapshot.stderr).not.toMatch(/not a valid trustscope snapshot/);
    const direct = await trustscopeAsync(["scan", ...live, "--format", "json"], { env });
    expect(direct.stderr).toContain(note);
    expect(fromSnapshot.code).toBe(3);
    expect(direct.code).toBe(3);
    expect(direct.stdout).toBe(fromSnapshot.stdout);
    const report = JSON.parse(direct.stdout) as Report;
    expect(report.findings.some((f) => f.scope?.includes(SUB_FOREIGN))).toBe(false);
    // The scenario's two wildcard credentials on production, and the demo's own (acme/* on main).
    expect(report.findings.filter((f) => f.ruleId === "wildcard-expression").length).toBe(3);
  });

  it("scans another tenant's subscription when it is named with --subscription", async () => {
    const { env, live } = await start(ODD_FAULTS);
    const r = await trustscopeAsync(["scan", ...live, "--subscription", SUB_FOREIGN, "--subscription", SUB_PROD, "--format", "json", "--fail-on", "never"], { env });
    expect(r.stderr).not.toMatch(/another tenant/);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings.some((f) => f.scope === `/subscriptions/${SUB_FOREIGN}`)).toBe(true);
  });
});
