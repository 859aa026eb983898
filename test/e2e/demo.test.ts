import { describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";

interface JsonReport {
  schemaVersion: number;
  tool: { name: string; version: string };
  findings: { ruleId: string; severity: string; message: string; evidence: string[]; remediation: string; fingerprint: string; identity?: { kind: string; appId: string; objectId: string; displayName: string }; credential?: object; pipeline?: object; scope?: string }[];
  coverage: { complete: boolean; gaps: unknown[] };
  summary: Record<string, number>;
}

const CONTRACT_RULES = ["org-scoped-trust", "fork-builds-on-trusted-pipeline", "owner-where-contributor-would-do", "missing-storage-data-role"];
const HYGIENE_RULES = ["issuer-near-miss", "unexpected-audience", "unresolved-subject", "compound-subject", "client-secret-on-federated-app", "shared-identity-across-environments", "overbroad-subject", "unconstrained-role-assignment"];

describe("trustscope scan --demo", () => {
  const json = trustscope(["scan", "--demo", "--format", "json"]);
  const report = JSON.parse(json.stdout) as JsonReport;

  it("shows each contract rule and each hygiene rule at least once", () => {
    const fired = new Set(report.findings.map((f) => f.ruleId));
    for (const id of [...CONTRACT_RULES, ...HYGIENE_RULES]) expect(fired, id).toContain(id);
  });

  it("gives every finding evidence and a remediation", () => {
    for (const f of report.findings) {
      expect(f.evidence.length, f.ruleId).toBeGreaterThan(0);
      expect(f.remediation.length, f.ruleId).toBeGreaterThan(20);
      expect(f.message).toMatch(/[.!]$/);
    }
  });

  it("says, on every production finding, which fact made the scope production", () => {
    for (const f of report.findings.filter((x) => x.severity === "critical")) {
      expect(f.evidence.join("\n"), f.ruleId).toMatch(/production|prod/);
      expect(f.evidence.join("\n"), f.ruleId).toMatch(/tag environment=production|default heuristic|matches environments/);
    }
  });

  it("matches the contract's JSON shape", () => {
    expect(report.schemaVersion).toBe(1);
    expect(report.tool.name).toBe("trustscope");
    expect(report.coverage).toEqual({ complete: true, gaps: [] });
    expect(Object.keys(report.summary)).toEqual(["critical", "high", "medium", "low", "info"]);
    const total = Object.values(report.summary).reduce((a, b) => a + b, 0);
    expect(total).toBe(report.findings.length);
    for (const f of report.findings) {
      expect(Object.keys(f)[0]).toBe("ruleId");
      expect(f.fingerprint).toMatch(/^[0-9a-f]{32}$/);
      if (f.identity) expect(Object.keys(f.identity).sort()).toEqual(["appId", "displayName", "kind", "objectId"]);
      if (f.scope) expect(f.scope).toMatch(/^\/(subscriptions|providers\/Microsoft.Management)\//);
      expect(f).not.toHaveProperty("anchor");
    }
    const ranks = report.findings.map((f) => ["critical", "high", "medium", "low", "info"].indexOf(f.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it("is byte-stable across two runs", () => {
    expect(trustscope(["scan", "--demo", "--format", "json"]).stdout).toBe(json.stdout);
  });

  it("keeps stdout pure JSON and exits 1 on findings at or above high", () => {
    expect(json.code).toBe(1);
    expect(json.stdout.trimStart().startsWith("{")).toBe(true);
    expect(json.stderr).toBe("");
  });

  it("--fail-on never exits 0; --fail-on critical still exits 1 (the demo has critical findings)", () => {
    expect(trustscope(["scan", "--demo", "--format", "json", "--fail-on", "never"]).code).toBe(0);
    expect(trustscope(["scan", "--demo", "--format", "json", "--fail-on", "critical"]).code).toBe(1);
  });

  it("quiet examples of good practice stay quiet", () => {
    // nonprod-deployer: cluster trust used by most of its cluster, blob role present, conditional RBAC admin.
    const nonprod = report.findings.filter((f) => f.identity?.displayName === "nonprod-deployer");
    expect(nonprod.map((f) => f.ruleId).sort()).toEqual(["fork-builds-on-trusted-pipeline"]);
    // metrics-exporter holds a Contributor clone: not an owner finding.
    expect(report.findings.some((f) => f.identity?.displayName === "metrics-exporter" && f.ruleId === "owner-where-contributor-would-do")).toBe(false);
  });

  it("renders the table without colour under NO_COLOR, and markdown", () => {
    const table = trustscope(["scan", "--demo"]);
    expect(table.code).toBe(1);
    expect(table.stdout).not.toContain("\u001b[");
    expect(table.stdout).toMatch(/^CRITICAL +org-scoped-trust|^CRITICAL/m);
    const md = trustscope(["scan", "--demo", "--format", "markdown"]);
    expect(md.stdout).toMatch(/^## trustscope/);
    expect(md.stdout).toMatch(/### 🟥 Critical \(\d+\)/);
    expect(md.stdout).toMatch(/Path: pipeline app-platform-nonprod → credential/);
  });

  it("colours the table when forced", () => {
    expect(trustscope(["scan", "--demo"], { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } }).stdout).toContain("\u001b[1;31mCRITICAL");
  });
});
