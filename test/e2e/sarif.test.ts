import { describe, expect, it } from "vitest";
import { multitoolProblems, schemaErrors } from "../support/sarif.ts";
import { trustscope } from "../support/cli.ts";
import { REPO_ROOT } from "../support/paths.ts";

interface Sarif {
  runs: {
    tool: { driver: { rules: { id: string; fullDescription: { text: string }; help: { text: string; markdown: string }; properties: { "security-severity": string; tags: string[] } }[] } };
    results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[]; partialFingerprints: Record<string, string> }[];
  }[];
}

describe("SARIF for GitHub code scanning", () => {
  const out = trustscope(["scan", "--demo", "--format", "sarif"]);
  const sarif = JSON.parse(out.stdout) as Sarif;
  const run = sarif.runs[0]!;

  it("is written to stdout with the findings exit code", () => {
    expect(out.code).toBe(1);
    expect(run.results.length).toBeGreaterThan(10);
  });

  it("is valid against the OASIS SARIF 2.1.0 schema", () => {
    expect(schemaErrors(sarif)).toEqual([]);
  });

  it("has no errors or warnings under the SARIF Multitool's Sarif and GitHub rules", () => {
    expect(multitoolProblems(out.stdout)).toEqual([]);
  });

  it("gives every rule a full description, help and a numeric security-severity", () => {
    for (const rule of run.tool.driver.rules) {
      expect(rule.fullDescription.text.length).toBeGreaterThan(20);
      expect(rule.help.text.length).toBeGreaterThan(20);
      expect(rule.help.markdown).toMatch(/## Failing example/);
      const sev = Number(rule.properties["security-severity"]);
      expect(sev).toBeGreaterThan(0);
      expect(sev).toBeLessThanOrEqual(10);
      expect(rule.properties.tags.length).toBeLessThanOrEqual(10);
    }
  });

  it("gives every result a file location with a line, and a stable fingerprint", () => {
    for (const r of run.results) {
      const loc = r.locations[0]!.physicalLocation;
      expect(loc.artifactLocation.uri).toBe("packages/cli/demo/organisation.json");
      expect(loc.region.startLine).toBeGreaterThan(1);
      expect(r.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{32}:1$/);
    }
    const again = JSON.parse(trustscope(["scan", "--demo", "--format", "sarif"]).stdout) as Sarif;
    expect(again.runs[0]!.results.map((r) => r.partialFingerprints)).toEqual(run.results.map((r) => r.partialFingerprints));
  });

  it("anchors a credential finding at the credential's line in the snapshot", async () => {
    const { readFileSync } = await import("node:fs");
    const { DEMO_SNAPSHOT } = await import("../support/paths.ts");
    const lines = readFileSync(DEMO_SNAPSHOT, "utf8").split("\n");
    const near = run.results.find((r) => r.ruleId === "issuer-near-miss")!;
    const line = near.locations[0]!.physicalLocation.region.startLine;
    expect(lines.slice(line - 1, line + 3).join("\n")).toContain('"issuer": "https://agent.buildkite.com/"');
  });
});

describe("SARIF for Terraform findings", () => {
  // From the fixture's directory, as a pull-request check runs it: locations are its .tf files.
  const out = trustscope(["scan", "--repo", ".", "--format", "sarif"], { cwd: `${REPO_ROOT}/test/fixtures/repos/terraform/ci` });
  type Location = { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } };
  const sarif = JSON.parse(out.stdout) as Sarif;
  const results = sarif.runs[0]!.results as (Sarif["runs"][number]["results"][number] & { relatedLocations?: Location[] })[];

  it("is valid and clean under the Multitool, with results at the .tf lines that declare them", () => {
    expect(out.code).toBe(1);
    expect(schemaErrors(sarif)).toEqual([]);
    expect(multitoolProblems(out.stdout)).toEqual([]);
    const owner = results.find((r) => r.ruleId === "owner-where-contributor-would-do")!;
    expect(owner.locations[0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: "azure.tf" }, region: { startLine: 66 } });
    // The other declared objects of the finding are related locations.
    const org = results.find((r) => r.ruleId === "org-scoped-trust")!;
    expect(org.relatedLocations?.map((l) => `${l.physicalLocation.artifactLocation.uri}:${l.physicalLocation.region.startLine}`)).toEqual(["azure.tf:44", "azure.tf:28"]);
  });
});
