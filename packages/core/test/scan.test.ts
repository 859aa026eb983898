/** `scan()` is complete for library users: the HTML header's facts and the SARIF anchor are its own. */
import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "../src/testing/index.ts";
import { parsePolicy } from "../src/policy/load-policy.ts";
import { renderScanHtml } from "../src/report/html.ts";
import { scan } from "../src/scan/scan.ts";
import { Redactor } from "../src/util/redactor.ts";
import type { Rule } from "../src/engine/rule.ts";

const NOW = new Date("2026-11-25T12:00:00Z");

/** One finding per identity, without a file of its own (so SARIF anchors it). */
const perIdentity: Rule = {
  meta: { id: "per-identity", title: "Every identity", defaultSeverity: "high", description: "test", tags: [] },
  *check({ graph }) {
    for (const i of graph.identities) {
      yield {
        message: `Identity ${i.displayName}.`,
        identity: { kind: i.kind, appId: i.appId, objectId: i.objectId, displayName: i.displayName },
        evidence: [],
        remediation: "none",
        key: [i.appId],
      };
    }
  },
};

function inventory(opts: { org?: string; collectedAt?: string } = {}) {
  const b = new InventoryBuilder(opts.org ? { org: opts.org } : {});
  b.app("deployer");
  const inv = b.build();
  return opts.collectedAt ? { ...inv, collectedAt: opts.collectedAt } : inv;
}

function sarifUris(sarif: string): string[] {
  const doc = JSON.parse(sarif) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
  return doc.runs[0]!.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri);
}

describe("scan(): the HTML header", () => {
  it("is the inventory's collection time, else the scan's, and the Buildkite organisation", () => {
    const collected = scan({ inventory: inventory({ org: "contoso", collectedAt: "2026-11-01T06:00:00Z" }), rules: [], now: NOW });
    expect(collected.scannedAt).toBe("2026-11-01T06:00:00Z");
    expect(collected.organization).toBe("contoso");
    const uncollected = scan({ inventory: inventory(), rules: [], now: NOW });
    expect(uncollected.scannedAt).toBe("2026-11-25T12:00:00.000Z");
    const noBuildkite = scan({ inventory: { ...inventory(), buildkite: undefined }, rules: [], now: NOW });
    expect(noBuildkite.organization).toBeUndefined();
  });

  it("renderScanHtml(outcome) shows them without options, and options override them", () => {
    const outcome = scan({ inventory: inventory({ org: "contoso", collectedAt: "2026-11-01T06:00:00Z" }), rules: [], toolVersion: "9.9.9", now: NOW });
    const html = renderScanHtml(outcome);
    expect(html).toContain("<title>trustscope report: contoso</title>");
    expect(html).toContain("trustscope 9.9.9 · scanned 2026-11-01T06:00:00Z");
    const overridden = renderScanHtml(outcome, { organization: "other", scannedAt: "2027-01-01T00:00:00Z" });
    expect(overridden).toContain("<title>trustscope report: other</title>");
    expect(overridden).toContain("scanned 2027-01-01T00:00:00Z");
  });

  it("names the organisation as redacted, like the rest of the report", () => {
    const redactor = new Redactor();
    redactor.add("secret-org-token-123");
    const outcome = scan({ inventory: inventory({ org: "secret-org-token-123" }), rules: [], redactor, now: NOW });
    expect(outcome.organization).not.toContain("secret-org-token-123");
    expect(renderScanHtml(outcome)).not.toContain("secret-org-token-123");
  });
});

describe("scan(): the SARIF anchor", () => {
  it("is the policy file, else trustscope.yaml, unless the caller names one", () => {
    const policy = parsePolicy("ruleSettings: {}\n", "ci/policy.yaml");
    expect(sarifUris(scan({ inventory: inventory(), rules: [perIdentity], now: NOW }).render("sarif"))).toEqual(["trustscope.yaml"]);
    const withPolicy = scan({ inventory: inventory(), rules: [perIdentity], policy, now: NOW });
    expect(sarifUris(withPolicy.render("sarif"))).toEqual(["ci/policy.yaml"]);
    expect(sarifUris(withPolicy.render("sarif", { sarif: { anchorFile: "snap.json" } }))).toEqual(["snap.json"]);
    // Options for other parts of the SARIF run leave the anchor to scan().
    expect(sarifUris(withPolicy.render("sarif", { sarif: { informationUri: "https://example.com" } }))).toEqual(["ci/policy.yaml"]);
  });
});
