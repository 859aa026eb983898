/** Custom rule packs through the CLI: loaded from the policy file, listed, explained, judged. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";
import { expectUsageError } from "../support/expect-usage-error.ts";
import { DEMO_SNAPSHOT } from "../support/paths.ts";

const root = mkdtempSync(join(tmpdir(), "trustscope-custom-rules-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const META = {
  id: "no-public-pipelines-with-identities",
  title: "A public pipeline can log in to Azure",
  defaultSeverity: "medium",
  description: "Public pipelines show their logs to everyone; they should not hold Azure identities.",
  tags: ["custom"],
  docs: "# no-public-pipelines-with-identities\n\n## Failing example\n\nA public pipeline that a credential trusts.\n\n## Passing example\n\nThe pipeline is private.\n",
};

/** A rule pack in plain JavaScript that uses only the context it is handed. */
const PACK = `export default {
  meta: ${JSON.stringify(META)},
  *check({ graph }) {
    for (const edge of graph.edges) {
      for (const p of edge.reach) {
        yield { message: "pipeline " + p.slug + " can log in as " + edge.identity.displayName, pipeline: { uuid: p.uuid, slug: p.slug },
          evidence: ["credential " + edge.credential.name], remediation: "Make the pipeline private.", key: [p.uuid, edge.identity.key] };
      }
    }
  },
};
`;

/** A directory with a policy file and its rule packs; returns its path. */
function project(name: string, policy: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(join(dir, "policy/rules"), { recursive: true });
  writeFileSync(join(dir, "trustscope.yaml"), policy);
  for (const [rel, text] of Object.entries(files)) writeFileSync(join(dir, rel), text);
  return dir;
}

const scanDemo = (cwd: string, ...extra: string[]) => trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "json", "--fail-on", "never", ...extra], { cwd });

describe("custom rule packs in the policy file", () => {
  const dir = project("good", 'rules: ["./policy/rules/*.mjs"]\n', { "policy/rules/public.mjs": PACK });

  it("run beside the built-in rules and report like them", () => {
    const r = scanDemo(dir);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; severity: string; fingerprint: string }[] };
    const custom = report.findings.filter((f) => f.ruleId === META.id);
    expect(custom.length).toBeGreaterThan(0);
    expect(custom.every((f) => f.severity === "medium" && /^[0-9a-f]{32}$/.test(f.fingerprint))).toBe(true);
    expect(report.findings.some((f) => f.ruleId === "org-scoped-trust")).toBe(true);
  });

  it("are listed by 'rules' and explained by 'explain'", () => {
    const list = trustscope(["rules"], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^no-public-pipelines-with-identities\s+medium\s+A public pipeline can log in to Azure$/m);
    const doc = trustscope(["explain", META.id], { cwd: dir });
    expect(doc.code).toBe(0);
    expect(doc.stdout).toBe(META.docs);
  });

  it("a policy naming an unknown rule stops the scan, and 'rules', which the error points to, still lists them", () => {
    const typo = project("typo", `rules: ["./policy/rules/*.mjs"]\nruleSettings:\n  org-scope-trust: { enabled: false }\n`, { "policy/rules/public.mjs": PACK });
    const scan = scanDemo(typo);
    expect(scan.code).toBe(2);
    expect(scan.stderr).toMatch(/trustscope\.yaml:3: ruleSettings names unknown rule 'org-scope-trust' \(see 'trustscope rules'\)/);
    const rules = trustscope(["rules"], { cwd: typo });
    expect(rules.code, rules.stderr).toBe(0);
    expect(rules.stdout).toMatch(/^org-scoped-trust\s/m);
    expect(rules.stdout).toContain(META.id);
    expect(trustscope(["explain", "org-scoped-trust"], { cwd: typo }).code).toBe(0);
  });

  it("can be re-rated or switched off in the policy, like built-in rules", () => {
    const rerated = project("rerated", `rules: ["./policy/rules/*.mjs"]\nruleSettings:\n  ${META.id}: { severity: high }\n  org-scoped-trust: { enabled: false }\n`, { "policy/rules/public.mjs": PACK });
    const report = JSON.parse(scanDemo(rerated).stdout) as { findings: { ruleId: string; severity: string }[] };
    const custom = report.findings.filter((f) => f.ruleId === META.id);
    expect(custom.length).toBeGreaterThan(0);
    expect(custom.every((f) => f.severity === "high")).toBe(true);
    expect(report.findings.some((f) => f.ruleId === "org-scoped-trust")).toBe(false);
    expect(trustscope(["rules"], { cwd: rerated }).stdout).toMatch(/^org-scoped-trust\s+critical\s+.*\(off in the policy\)$/m);
  });

  it("a malformed rule module is a usage error naming the policy line and the problem", () => {
    const bad = project("malformed", 'environments: {}\nrules:\n  - "./policy/rules/*.mjs"\n', {
      "policy/rules/bad.mjs": PACK.replace('"defaultSeverity":"medium"', '"defaultSeverity":"urgent"'),
    });
    expectUsageError(scanDemo(bad), /^trustscope: trustscope\.yaml:3: rule pack '\.\/policy\/rules\/\*\.mjs' \(policy\/rules\/bad\.mjs\): rule 'no-public-pipelines-with-identities': meta\.defaultSeverity must be one of critical, high, medium, low, info$/m);
  });

  it("a module that does not load is a usage error, not a stack trace", () => {
    const broken = project("broken", 'rules: ["./policy/rules/broken.mjs"]\n', { "policy/rules/broken.mjs": "export default {\n" });
    expectUsageError(scanDemo(broken), /trustscope\.yaml:1: rule pack '\.\/policy\/rules\/broken\.mjs': could not load policy\/rules\/broken\.mjs: /);
  });

  it("a pack that cannot resolve @trustscope/core says how to fix it", () => {
    const unresolved = project("unresolved", 'rules: ["./policy/rules/*.mjs"]\n', { "policy/rules/helpers.mjs": `import { findingIdentity } from "@trustscope/core";\n${PACK}` });
    expectUsageError(scanDemo(unresolved), /Cannot find package '@trustscope\/core'.* \(install @trustscope\/core where the pack can resolve it/);
  });

  it("a TypeScript pack loads where Node strips types, and elsewhere says how to fix it", () => {
    const typed = project("typed", 'rules: ["./policy/rules/*.ts"]\n', { "policy/rules/public.ts": `const rule: unknown = ${PACK.replace(/^export default /, "").replace(/;\n$/, "")};\nexport default rule;\n` });
    const r = scanDemo(typed);
    // Node 22.18+ strips types by default (process.features.typescript); Node 20 cannot.
    if ((process.features as { typescript?: unknown }).typescript) expect(r.stdout).toContain("no-public-pipelines-with-identities");
    else expectUsageError(r, /could not load policy\/rules\/public\.ts: .*\(Node [\d.]+ cannot load TypeScript: compile the pack to \.mjs, or run trustscope on Node ≥ 22\.18, which strips types\)/);
  });

  it("a pattern that matches nothing is a usage error", () => {
    const empty = project("empty", 'rules: ["./policy/rules/*.js"]\n', {});
    expectUsageError(scanDemo(empty), /trustscope\.yaml:1: rule pack pattern '\.\/policy\/rules\/\*\.js' matched no module file/);
  });

  it("an unknown rule id in the policy file is a usage error", () => {
    const typo = project("typo", `rules: ["./policy/rules/*.mjs"]\nsuppressions:\n  - rule: no-public-pipeline-with-identities\n    pipeline: docs\n    reason: typo\n    expires: 2099-01-01\n`, { "policy/rules/public.mjs": PACK });
    expectUsageError(scanDemo(typo), /trustscope\.yaml:3: suppression names unknown rule 'no-public-pipeline-with-identities'/);
  });

  it("a rule that throws makes the scan incomplete (exit 3) and names the rule", () => {
    const throws = project("throws", 'rules: ["./policy/rules/*.mjs"]\n', { "policy/rules/public.mjs": PACK.replace("for (const edge of graph.edges)", "if (graph) throw new Error('boom');\n    for (const edge of graph.edges)") });
    const r = scanDemo(throws);
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as { coverage: { complete: boolean; gaps: { source: string; error: string }[] } };
    expect(report.coverage.complete).toBe(false);
    expect(report.coverage.gaps).toContainEqual({ source: "rule", scope: META.id, error: `rule '${META.id}' failed: boom` });
  });
});
