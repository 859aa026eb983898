import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "../src/testing/index.ts";
import { checkPolicyRuleIds, evaluate, exitCodeFor, fingerprintOf } from "../src/engine/evaluate.ts";
import { parsePolicy } from "../src/policy/load-policy.ts";
import { UsageError } from "../src/util/errors.ts";
import type { Rule } from "../src/engine/rule.ts";
import type { Inventory } from "../src/model/inventory.ts";

/** A rule that reports every application with the given severity. */
const perApp = (id: string, severity: "high" | "low" = "high"): Rule => ({
  meta: { id, title: id, defaultSeverity: severity, description: id, tags: [] },
  *check({ graph }) {
    for (const i of graph.identities) {
      yield { message: `app ${i.displayName}`, identity: { kind: i.kind, appId: i.appId, objectId: i.objectId, displayName: i.displayName }, evidence: [], remediation: "fix", key: [i.appId] };
    }
  },
});

function inventory(names: string[]): Inventory {
  const b = new InventoryBuilder();
  for (const n of names) b.app(n);
  return b.build();
}

const NOW = new Date("2026-11-25T12:00:00Z");
const policy = (yaml: string) => parsePolicy(yaml, "trustscope.yaml");

describe("evaluate", () => {
  it("sorts by severity, rule id and fingerprint, whatever the input order", () => {
    const rules = [perApp("b-rule", "low"), perApp("a-rule")];
    const one = evaluate({ inventory: inventory(["x", "y", "z"]), rules, now: NOW }).findings;
    const two = evaluate({ inventory: inventory(["z", "x", "y"]), rules: [...rules].reverse(), now: NOW }).findings;
    expect(one.map((f) => [f.ruleId, f.fingerprint])).toEqual(two.map((f) => [f.ruleId, f.fingerprint]));
    expect(one.map((f) => f.ruleId)).toEqual(["a-rule", "a-rule", "a-rule", "b-rule", "b-rule", "b-rule"]);
  });

  it("fingerprints by rule and key, case-insensitively, independent of message", () => {
    expect(fingerprintOf("r", ["ABC"])).toBe(fingerprintOf("r", ["abc"]));
    expect(fingerprintOf("r", ["a"])).not.toBe(fingerprintOf("s", ["a"]));
    expect(fingerprintOf("r", ["a", "b"])).not.toBe(fingerprintOf("r", ["ab"]));
  });

  it("applies ruleSettings: disable and re-rate", () => {
    const inv = inventory(["x"]);
    const off = evaluate({ inventory: inv, rules: [perApp("r")], policy: policy("ruleSettings:\n  r: { enabled: false }\n"), now: NOW });
    expect(off.findings).toEqual([]);
    expect(off.rules.map((r) => r.id)).not.toContain("r");
    const low = evaluate({ inventory: inv, rules: [perApp("r")], policy: policy("ruleSettings:\n  r: { severity: low }\n"), now: NOW });
    expect(low.findings[0]?.severity).toBe("low");
  });

  it("keeps suppressed findings, marks them, and leaves them out of the summary and exit code", () => {
    const inv = inventory(["x"]);
    const appId = inv.entra!.applications[0]!.appId;
    const e = evaluate({ inventory: inv, rules: [perApp("r")], policy: policy(`suppressions:\n  - rule: r\n    identity: "${appId}"\n    reason: accepted\n    expires: 2027-01-01\n`), now: NOW });
    expect(e.findings[0]?.suppression).toMatchObject({ kind: "policy", reason: "accepted", expires: "2027-01-01", location: { file: "trustscope.yaml", line: 2 } });
    expect(e.summary.high).toBe(0);
    expect(exitCodeFor(e, "low")).toBe(0);
  });

  it("an expired suppression stops suppressing and is reported at its line", () => {
    const inv = inventory(["x"]);
    const e = evaluate({ inventory: inv, rules: [perApp("r")], policy: policy(`suppressions:\n  - rule: r\n    identity: x\n    reason: accepted\n    expires: 2026-11-24\n`), now: NOW });
    const [main, expired] = [e.findings.find((f) => f.ruleId === "r")!, e.findings.find((f) => f.ruleId === "expired-suppression")!];
    expect(main.suppression).toBeUndefined();
    expect(expired).toMatchObject({ severity: "low", location: { file: "trustscope.yaml", line: 2 } });
    expect(expired.message).toMatch(/expired on 2026-11-24; it no longer hides its finding/);
    expect(exitCodeFor(e, "high")).toBe(1);
  });

  it("a suppression holds through its expiry day", () => {
    const e = evaluate({ inventory: inventory(["x"]), rules: [perApp("r")], policy: policy(`suppressions:\n  - rule: r\n    identity: x\n    reason: ok\n    expires: 2026-11-25\n`), now: NOW });
    expect(e.findings).toHaveLength(1);
    expect(e.findings[0]?.suppression).toBeDefined();
  });

  it("matches suppressions by scope prefix and by fingerprint", () => {
    const scoped: Rule = { ...perApp("s"), *check() { yield { message: "m", scope: "/subscriptions/ABC/resourceGroups/rg", evidence: [], remediation: "r", key: ["k"] }; } };
    const bySub = evaluate({ inventory: inventory([]), rules: [scoped], policy: policy("suppressions:\n  - rule: s\n    scope: /subscriptions/abc\n    reason: ok\n    expires: 2030-01-01\n"), now: NOW });
    expect(bySub.findings[0]?.suppression).toBeDefined();
    const other = evaluate({ inventory: inventory([]), rules: [scoped], policy: policy("suppressions:\n  - rule: s\n    scope: /subscriptions/ab\n    reason: ok\n    expires: 2030-01-01\n"), now: NOW });
    expect(other.findings[0]?.suppression).toBeUndefined();
    const fp = fingerprintOf("s", ["k"]);
    const byFp = evaluate({ inventory: inventory([]), rules: [scoped], policy: policy(`suppressions:\n  - rule: s\n    fingerprint: ${fp}\n    reason: ok\n    expires: 2030-01-01\n`), now: NOW });
    expect(byFp.findings[0]?.suppression).toBeDefined();
  });

  it("rejects unknown rule ids in the policy", () => {
    expect(() => checkPolicyRuleIds(policy("ruleSettings:\n  nope: { enabled: false }\n"), ["r"])).toThrow(UsageError);
    expect(() => checkPolicyRuleIds(policy("suppressions:\n  - rule: nope\n    identity: x\n    reason: ok\n    expires: 2030-01-01\n"), ["r"])).toThrow(/trustscope.yaml:2: suppression names unknown rule 'nope'/);
    expect(() => checkPolicyRuleIds(policy("ruleSettings:\n  expired-suppression: { severity: info }\n"), ["r"])).not.toThrow();
  });
});

describe("exitCodeFor", () => {
  const f = (severity: "high" | "medium") => ({ ruleId: "r", severity, message: "", evidence: [], remediation: "", fingerprint: "x" });
  const complete = { complete: true, gaps: [] };
  it("follows --fail-on", () => {
    expect(exitCodeFor({ findings: [f("medium")], coverage: complete }, "high")).toBe(0);
    expect(exitCodeFor({ findings: [f("medium")], coverage: complete }, "medium")).toBe(1);
    expect(exitCodeFor({ findings: [f("high")], coverage: complete }, "never")).toBe(0);
    expect(exitCodeFor({ findings: [], coverage: complete }, "info")).toBe(0);
  });
  it("returns 3 for an incomplete scan, even with findings and with --fail-on never", () => {
    const gaps = { complete: false, gaps: [{ source: "arm", scope: "/subscriptions/x", error: "403" }] };
    expect(exitCodeFor({ findings: [f("high")], coverage: gaps }, "high")).toBe(3);
    expect(exitCodeFor({ findings: [], coverage: gaps }, "never")).toBe(3);
  });
  it("an assignment whose role definition is missing is a coverage gap, not a silent skip", () => {
    const b = new InventoryBuilder();
    const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
    b.assign(app.principalId, "Owner", b.subscription("Contoso-Prod"));
    b.raw.azure!.roleDefinitions = b.raw.azure!.roleDefinitions.filter((r) => r.roleName !== "Owner");
    const e = evaluate({ inventory: b.build(), rules: [], now: NOW });
    expect(e.coverage.complete).toBe(false);
    expect(e.coverage.gaps[0]).toMatchObject({ source: "arm", error: expect.stringMatching(/^role definition 8e3af657-a8ff-443c-a75c-2fe8c4bcb635 \(used by assignment .*\) is not in the inventory/) });
    expect(exitCodeFor(e, "never")).toBe(3);
  });

  it("an inventory's coverage gaps make the evaluation incomplete", () => {
    const b = new InventoryBuilder();
    b.raw.coverage = { complete: false, gaps: [{ source: "graph", scope: "/applications", error: "page 3 failed" }] };
    const e = evaluate({ inventory: b.build(), rules: [], now: NOW });
    expect(e.coverage.complete).toBe(false);
    expect(exitCodeFor(e, "high")).toBe(3);
  });
});
