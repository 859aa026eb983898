/**
 * trustscope as a library: everything here comes from the packages' public exports, imported by
 * package name as an embedding tool would. It scans the demo inventory with the example custom
 * rule pack loaded through a policy file, and reads the custom findings from JSON and SARIF.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseInventory, parsePolicy, ruleSetFor, scan, UsageError, type Report } from "@trustscope/core";
import { renderScanHtml } from "@trustscope/core/html";
import { builtinRules, engineRules } from "@trustscope/rules";
import { DEMO_SNAPSHOT, REPO_ROOT } from "../support/paths.ts";
import { schemaErrors } from "../support/sarif.ts";

const dir = mkdtempSync(join(tmpdir(), "trustscope-library-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CUSTOM = "production-only-from-production-cluster";

async function scanDemo(policyText: string) {
  const policyFile = join(dir, "trustscope.yaml");
  writeFileSync(policyFile, policyText);
  const policy = parsePolicy(policyText, policyFile);
  const rules = await ruleSetFor(policy, { cwd: dir, builtinRules });
  const inventory = parseInventory(readFileSync(DEMO_SNAPSHOT, "utf8"), "organisation.json");
  return scan({ inventory, rules, policy, documentation: engineRules, toolVersion: "0.0.0-test", now: new Date("2026-11-25T12:00:00Z") });
}

const examplePack = `rules: ["${join(REPO_ROOT, "rules/examples")}/*.ts"]\n`;

describe("the public API", () => {
  it("scans the demo with a custom rule pack and reports its findings in JSON and SARIF", async () => {
    const outcome = await scanDemo(examplePack);
    const json = JSON.parse(outcome.render("json")) as Report;
    const custom = json.findings.filter((f) => f.ruleId === CUSTOM);
    expect(custom.length).toBeGreaterThan(0);
    expect(custom.every((f) => f.severity === "high" && f.pipeline && f.identity && f.scope)).toBe(true);
    expect(custom.map((f) => f.pipeline!.slug)).toContain("app-platform-nonprod");
    // Built-in rules ran alongside it.
    expect(json.findings.some((f) => f.ruleId === "org-scoped-trust")).toBe(true);

    const sarif = JSON.parse(outcome.render("sarif")) as {
      runs: { tool: { driver: { rules: { id: string; help?: { markdown?: string } }[] } }; results: { ruleId: string }[] }[];
    };
    expect(schemaErrors(sarif)).toEqual([]);
    const run = sarif.runs[0]!;
    const descriptor = run.tool.driver.rules.find((r) => r.id === CUSTOM);
    expect(descriptor?.help?.markdown).toMatch(/^# production-only-from-production-cluster/);
    expect(run.results.filter((r) => r.ruleId === CUSTOM)).toHaveLength(custom.length);
    expect(outcome.exitCode("high")).toBe(1);
  });

  it("re-rates and switches off rules from the policy file, custom ones included", async () => {
    const outcome = await scanDemo(`${examplePack}ruleSettings:\n  ${CUSTOM}: { severity: low }\n  org-scoped-trust: { enabled: false }\n`);
    const { findings } = outcome.report;
    const custom = findings.filter((f) => f.ruleId === CUSTOM);
    expect(custom.length).toBeGreaterThan(0);
    expect(custom.every((f) => f.severity === "low")).toBe(true);
    expect(findings.some((f) => f.ruleId === "org-scoped-trust")).toBe(false);
    expect(outcome.rules.map((r) => r.id)).not.toContain("org-scoped-trust");
  });

  it("renders the HTML page with the scan's time and organisation in its header, with no options", async () => {
    const outcome = await scanDemo(examplePack);
    const html = renderScanHtml(outcome);
    // The demo snapshot's collectedAt and Buildkite organisation.
    expect(html).toContain("<title>trustscope report: acme</title>");
    expect(html).toContain(`<span class="org">acme</span>`);
    expect(html).toContain("trustscope 0.0.0-test · scanned 2026-11-01T06:00:00Z");

    // An inventory without a collection time shows when the scan ran.
    const inventory = { ...parseInventory(readFileSync(DEMO_SNAPSHOT, "utf8"), "organisation.json"), collectedAt: undefined };
    const uncollected = scan({ inventory, rules: builtinRules, documentation: engineRules, now: new Date("2026-11-25T12:00:00Z") });
    expect(renderScanHtml(uncollected)).toContain("scanned 2026-11-25T12:00:00.000Z");
  });

  it("rejects an unknown rule id in the policy with the file and line", async () => {
    await expect(scanDemo(`${examplePack}ruleSettings:\n  production-only-from-prod-cluster: { enabled: false }\n`)).rejects.toThrow(UsageError);
    await expect(scanDemo(`${examplePack}ruleSettings:\n  production-only-from-prod-cluster: { enabled: false }\n`)).rejects.toThrow(
      /trustscope\.yaml:3: ruleSettings names unknown rule 'production-only-from-prod-cluster'/,
    );
  });
});
