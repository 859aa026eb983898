/**
 * Flexible federated credentials end to end: the real CLI collects them from the emulator (Graph
 * beta for the expression, ARM 2025-01-31-preview), the snapshot keeps the expression, and a scan
 * of the snapshot reports exactly what the live scan does, the wildcards included.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalInventory, parseInventory, type Finding, type Inventory } from "@trustscope/core";
import { demoScenario, liveEmulatorPerTest } from "../support/live-emulator.ts";
import { trustscopeAsync } from "../support/cli.ts";
import { withoutActivity, withoutVolatile as withoutVolatileFields } from "../support/without-activity.ts";
import { APP_EXPRESSION, FLEXIBLE, flexibleScenario, MI_EXPRESSION } from "../support/flexible-scenario.ts";

const TOKENS = { buildkite: "bk-flex-0a1b2c3d4e5f60718293", graph: "graph-flex-9a8b7c6d5e4f30211203", arm: "arm-flex-1f2e3d4c5b6a70819203" };
const scenario = flexibleScenario(demoScenario);
const start = liveEmulatorPerTest({ tokens: TOKENS, scenario });

function withoutVolatile(inv: Inventory): Inventory {
  return withoutVolatileFields(inv, canonicalInventory);
}

describe("flexible federated credentials, live and from a snapshot", () => {
  it("collect keeps the expressions, and scan --snapshot reports what the live scan does", async () => {
    const { dir, env, live } = await start();
    const collected = await trustscopeAsync(["collect", "-o", join(dir, "snap.json"), ...live], { env });
    expect(collected.stderr).toBe("");
    expect(collected.code).toBe(0);
    const snapshot = parseInventory(readFileSync(join(dir, "snap.json"), "utf8"), "snap.json");
    expect(withoutVolatile(snapshot)).toEqual(withoutVolatile(withoutActivity(scenario)));

    const direct = await trustscopeAsync(["scan", ...live, "--format", "json"], { env });
    const fromSnapshot = await trustscopeAsync(["scan", "--snapshot", join(dir, "snap.json"), "--format", "json"], { env });
    expect(direct.code).toBe(1);
    expect(fromSnapshot.stdout).toBe(direct.stdout);

    const report = JSON.parse(direct.stdout) as { findings: Finding[]; coverage: { complete: boolean } };
    expect(report.coverage.complete).toBe(true);
    // The scenario's two wildcard credentials on production: wildcard-expression's (more than one
    // repository, every service account of a namespace), not wildcard-claims-expression's.
    const flexible = new Set(["gh-acme-deployer", "gh-plain", FLEXIBLE.managedIdentity.name]);
    const wildcards = report.findings.filter((f) => /^wildcard-/.test(f.ruleId) && flexible.has(f.identity?.displayName ?? ""));
    expect(wildcards.map((f) => [f.ruleId, f.severity, f.identity?.displayName, f.credential?.claimsMatchingExpression?.value, f.credential?.subject]).sort()).toEqual([
      ["wildcard-expression", "critical", "gh-acme-deployer", APP_EXPRESSION, undefined],
      ["wildcard-expression", "critical", FLEXIBLE.managedIdentity.name, MI_EXPRESSION, undefined],
    ]);
    // The demo's own findings (from the same facts: no Activity Log without --activity) are
    // unchanged, and no flexible credential is an unresolved subject.
    writeFileSync(join(dir, "demo.json"), JSON.stringify(withoutActivity(demoScenario)));
    const demo = JSON.parse((await trustscopeAsync(["scan", "--snapshot", join(dir, "demo.json"), "--format", "json"])).stdout) as { findings: Finding[] };
    expect(report.findings.filter((f) => !flexible.has(f.identity?.displayName ?? "")).map((f) => f.fingerprint)).toEqual(demo.findings.map((f) => f.fingerprint));
  });
});
