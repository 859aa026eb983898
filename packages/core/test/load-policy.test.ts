import { describe, expect, it } from "vitest";
import { parsePolicy } from "../src/policy/load-policy.ts";
import { UsageError } from "../src/util/errors.ts";

function errorOf(text: string): string {
  try {
    parsePolicy(text, "trustscope.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message.split("\n")).toHaveLength(1);
    return (e as Error).message;
  }
  throw new Error("expected a UsageError");
}

const FULL = `environments:
  prod:
    buildkite:
      clusters: ["Production", "6f1c*"]
      queues: ["prod-*"]
      pipelines: ["*-prod"]
    azure:
      subscriptions: ["Contoso-Prod"]
      managementGroups: ["mg-prod"]
      tags: { environment: prod }
suppressions:
  - rule: owner-where-contributor-would-do
    identity: "c0ffee01-1111-4aaa-8bbb-000000000001"
    reason: "Landing zone assigns roles; reviewed"
    expires: 2027-03-31
ruleSettings:
  overbroad-subject: { enabled: false }
  compound-subject: { severity: medium }
`;

describe("parsePolicy", () => {
  it("reads the contract's example", () => {
    const p = parsePolicy(FULL, "trustscope.yaml");
    expect(p.environments?.prod?.buildkite.clusters).toEqual(["Production", "6f1c*"]);
    expect(p.environments?.prod?.azure.tags).toEqual({ environment: "prod" });
    expect(p.suppressions[0]).toMatchObject({ rule: "owner-where-contributor-would-do", expires: "2027-03-31", location: { file: "trustscope.yaml", line: 12 } });
    expect(p.ruleSettings["overbroad-subject"]?.enabled).toBe(false);
    expect(p.ruleSettings["compound-subject"]?.severity).toBe("medium");
  });

  it("treats an empty file as no policy", () => {
    const p = parsePolicy("", "t.yaml");
    expect(p.suppressions).toEqual([]);
    expect(p.environments).toBeUndefined();
  });

  it("names an unknown top-level key and its line", () => {
    expect(errorOf("suppressions: []\nenviroments: {}\n")).toBe("trustscope.yaml:2: unknown key 'enviroments' (expected one of: environments, suppressions, ruleSettings, rules)");
  });

  it("names an unknown nested key", () => {
    expect(errorOf("environments:\n  prod:\n    azure:\n      subscription: [x]\n")).toMatch(/^trustscope.yaml:4: unknown key 'environments.prod.azure.subscription'/);
  });

  it("rejects wrong types with the path", () => {
    expect(errorOf("environments:\n  prod:\n    buildkite:\n      clusters: Production\n")).toBe("trustscope.yaml:4: environments.prod.buildkite.clusters must be a list of strings");
  });

  it("requires a reason and an expiry on suppressions", () => {
    expect(errorOf("suppressions:\n  - rule: x\n    identity: a\n    expires: 2027-01-01\n")).toMatch(/^trustscope.yaml:2: suppressions\[0\] needs a 'reason'/);
    expect(errorOf("suppressions:\n  - rule: x\n    identity: a\n    reason: ok\n")).toMatch(/needs 'expires'/);
    expect(errorOf("suppressions:\n  - rule: x\n    reason: ok\n    expires: 2027-01-01\n")).toMatch(/needs one of identity, pipeline, scope or fingerprint/);
  });

  it("rejects a malformed date", () => {
    expect(errorOf("suppressions:\n  - rule: x\n    identity: a\n    reason: ok\n    expires: next year\n")).toBe("trustscope.yaml:5: suppressions[0].expires must be a date YYYY-MM-DD, got 'next year'");
    expect(errorOf("suppressions:\n  - rule: x\n    identity: a\n    reason: ok\n    expires: 2027-02-31\n")).toMatch(/must be a date/);
  });

  it("rejects a bad severity", () => {
    expect(errorOf("ruleSettings:\n  x:\n    severity: urgent\n")).toMatch(/^trustscope.yaml:3: ruleSettings.x.severity must be one of critical, high, medium, low, info/);
  });

  it("reports YAML syntax errors with a line", () => {
    expect(errorOf("environments:\n  prod: [\n")).toMatch(/^trustscope.yaml:\d+: not valid YAML/);
  });

  it("rejects duplicate keys", () => {
    expect(errorOf("suppressions: []\nsuppressions: []\n")).toMatch(/^trustscope.yaml:\d+: not valid YAML: Map keys must be unique/);
  });
});
