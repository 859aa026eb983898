/**
 * `trustscope graph` and `trustscope explain-access` on the demo snapshot, as a user runs them:
 * the exports parse with the real Graphviz and Mermaid parsers, the blast radius reads right,
 * and bad input is a one-line usage error.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { trustscope, type CliResult } from "../support/cli.ts";
import { expectUsageError } from "../support/expect-usage-error.ts";
import { parseMermaid, renderDotSvg } from "../support/graph-syntax.ts";
import { DEMO_SNAPSHOT } from "../support/paths.ts";

const SNAPSHOT = ["--snapshot", DEMO_SNAPSHOT];

interface MapJson {
  schemaVersion: number;
  nodes: { id: string; kind: string; label: string; production?: string; severity?: string }[];
  edges: { from: string; to: string; kind: string; label?: string; severity?: string }[];
}

/** A copy of the demo snapshot, changed by `edit`. */
function demoVariant(edit: (inv: Record<string, unknown> & { buildkite: { pipelines: Record<string, unknown>[] }; coverage: { complete: boolean; gaps: unknown[] } }) => void): string {
  const inv = JSON.parse(readFileSync(DEMO_SNAPSHOT, "utf8")) as Parameters<typeof edit>[0];
  edit(inv);
  const file = join(mkdtempSync(join(tmpdir(), "trustscope-graph-")), "inventory.json");
  writeFileSync(file, JSON.stringify(inv));
  return file;
}

let jsonRun: CliResult | undefined;
/** `graph --format json` on the demo, run once for the tests that compare against it. */
const graphJson = () => (jsonRun ??= trustscope(["graph", ...SNAPSHOT, "--format", "json"]));

describe("trustscope graph", () => {
  it("writes the trust map as JSON, byte-stable, with production and severities marked", () => {
    const r = graphJson();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(trustscope(["graph", ...SNAPSHOT, "--format", "json"]).stdout).toBe(r.stdout);
    const map = JSON.parse(r.stdout) as MapJson;
    expect(map.schemaVersion).toBe(1);
    const byLabel = (kind: string, label: string) => map.nodes.find((n) => n.kind === kind && n.label === label);
    expect(byLabel("pipeline", "landing-zone-prod")?.production).toMatch(/prod/);
    expect(byLabel("pipeline", "dev-sandbox")?.production).toBeUndefined();
    expect(byLabel("identity", "platform-tools")?.severity).toBe("critical");
    expect(byLabel("scope", "Contoso-Prod")?.production).toMatch(/environment=production/);
    // Every edge joins two nodes of the map, in the order pipeline (or another issuer's workload) →
    // credential → identity → scope.
    const kind = new Map(map.nodes.map((n) => [n.id, n.kind]));
    const expected = { "can-mint": ["credential"], unlocks: ["credential", "identity"], grants: ["identity", "scope"] };
    for (const e of map.edges) {
      const ends = [kind.get(e.from), kind.get(e.to)];
      if (e.kind === "can-mint") expect([["pipeline", "credential"], ["workload", "credential"]], JSON.stringify(e)).toContainEqual(ends);
      else expect(ends, JSON.stringify(e)).toEqual(expected[e.kind as keyof typeof expected]);
    }
    // The demo's GitHub deployer: its repositories are workloads, grouped under GitHub Actions.
    expect(byLabel("workload", "acme/web-storefront")).toMatchObject({ id: "workload:github:acme/web-storefront", group: "GitHub Actions" });
    expect(byLabel("workload", "acme/web-storefront")?.production).toMatch(/environment 'production'/);
    const prEdge = map.edges.find((e) => e.from === "workload:github:acme/web-storefront" && e.label === "pull_request");
    expect(prEdge?.severity).toBe("critical");
  });

  it("writes DOT that Graphviz lays out, one SVG node per map node", async () => {
    const json = JSON.parse(graphJson().stdout) as MapJson;
    const r = trustscope(["graph", ...SNAPSHOT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^digraph trustscope \{/);
    const svg = await renderDotSvg(r.stdout);
    expect(svg.match(/class="node"/g)).toHaveLength(json.nodes.length);
    expect(svg.match(/class="edge"/g)).toHaveLength(json.edges.length);
    expect(svg).toContain(">landing&#45;zone&#45;prod</text>"); // Graphviz writes "-" as &#45;
  });

  it("writes a Mermaid flowchart that Mermaid's parser accepts, to a file with -o", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "trustscope-graph-")), "map.mmd");
    const r = trustscope(["graph", ...SNAPSHOT, "--format", "mermaid", "-o", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^flowchart LR\n/);
    expect(await parseMermaid(text)).toMatch(/^flowchart/);
  });

  it("exits 3 and says so on stderr when the scan is incomplete, still writing the map", () => {
    const file = demoVariant((inv) => {
      inv.coverage = { complete: false, gaps: [{ source: "arm", scope: "/subscriptions/x", error: "403 Forbidden" }] };
    });
    const r = trustscope(["graph", "--snapshot", file, "--format", "json"]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ schemaVersion: 1 });
    expect(r.stderr).toMatch(/incomplete .*exit code 3/);
    expect(r.stderr).toMatch(/403 Forbidden/);
  });

  // One CLI run per case, so a loaded machine cannot push one test past its time limit.
  it.each([
    ["an unknown format", ["--format", "svg"], /--format must be one of dot, mermaid, json, got 'svg'/],
    ["an extra argument", ["extra"], /graph: unexpected argument 'extra'/],
    ["a scan-only option", ["--fail-on", "high"], /graph: unknown option '--fail-on'/],
  ])("rejects %s with one line and exit 2", (_what, args, pattern) => {
    expectUsageError(trustscope(["graph", ...SNAPSHOT, ...args]), pattern);
  });

  it("rejects a run with no source", () => {
    expectUsageError(trustscope(["graph"]), /graph: nothing to read: .*trustscope graph --help/);
  });

  it("has help", () => {
    const r = trustscope(["graph", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: trustscope graph/);
    expect(r.stdout).toMatch(/--format FORMAT +dot \| mermaid \| json/);
  });
});

describe("trustscope explain-access", () => {
  it("explains a pipeline: credential → identity → scopes with role, reach, production and findings", () => {
    const r = trustscope(["explain-access", "acme/app-platform-nonprod", ...SNAPSHOT]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^Pipeline acme\/app-platform-nonprod \(01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e04\), cluster 'Non-production'\nNot production\./);
    expect(out).toMatch(/It can log in to Azure through 4 credentials/);
    expect(out).toMatch(/credential 'acme-org' \(subject organisation 'acme'\)\n {2}→ app registration 'platform-tools' \(client ID c0ffee04-4444-4aaa-8bbb-000000000004\)/);
    expect(out).toMatch(/- Contributor at subscription 'Contoso-Prod' \(\/subscriptions\/0b1f6471-1bf0-4dda-aec3-111122223333\)\n +can change things: all actions except Microsoft\.Authorization\/\*\/Delete/);
    expect(out).toMatch(/- Reader at management group .*\n +read-only: /);
    expect(out).toMatch(/PRODUCTION: subscription 'Contoso-Prod' has tag environment=production/);
    expect(out).toMatch(/through group 'grp-platform-deployers'/);
    expect(out).toMatch(/CRITICAL +fork-builds-on-trusted-pipeline: /);
  });

  it("explains an identity by client ID: who can log in as it, through which credential, and its grants", () => {
    const r = trustscope(["explain-access", "C0FFEE04-4444-4AAA-8BBB-000000000004", ...SNAPSHOT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^App registration 'platform-tools'/);
    expect(r.stdout).toMatch(/7 pipelines can log in as it/);
    expect(r.stdout).toMatch(/- landing-zone-prod through 'acme-org' \(PRODUCTION: /);
    expect(r.stdout).toMatch(/Its role assignments:\n {2}- Reader at /);
  });

  it("explains an identity only GitHub can log in as: each workload, and which credentials no token matches today", () => {
    const r = trustscope(["explain-access", "web-storefront-deployer", ...SNAPSHOT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("6 credentials of other issuers let other workloads log in as it:");
    expect(r.stdout).toMatch(/pull requests of GitHub repository 'acme\/web-storefront' through 'github-pull-requests'\n/);
    // Dead by GitHub's answers: another template; a repository GitHub does not return (claimable).
    expect(r.stdout).toMatch(/'github-legacy-main' \(no token matches today: the subject does not follow the template of acme\/web-legacy/);
    expect(r.stdout).toMatch(/'github-old-storefront' \(no token matches today: GitHub does not return repository 'acme\/storefront-v1' \(404\): whoever creates it can log in\)/);
  });

  it("explains a scope as JSON: pipelines reaching it at, above and (partially) inside it", () => {
    const r = trustscope(["explain-access", "Contoso-Prod", ...SNAPSHOT, "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      schemaVersion: number;
      kind: string;
      scope: string;
      production: { production: boolean };
      reaches: { relation: string; partial: boolean; identity: { displayName: string }; grant: { role: string; readOnly: boolean }; pipelines: { slug: string }[]; otherWorkloads: { platform: string; workload: string }[] }[];
    };
    expect(j).toMatchObject({ schemaVersion: 1, kind: "scope" });
    expect(j.scope).toBe("/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333");
    expect(j.production.production).toBe(true);
    const rows = j.reaches.map((x) => `${x.relation} ${x.identity.displayName} ${x.grant.role}`);
    expect(rows).toEqual([
      "at lz-prod-deployer Owner",
      "at platform-tools Contributor",
      "above platform-tools Reader",
      "below app-platform-deployer Contributor",
      "below app-platform-deployer User Access Administrator",
      // Reached by GitHub Actions workloads only: no pipeline, but a way in all the same.
      "below web-storefront-deployer Website Contributor",
    ]);
    expect(j.reaches.filter((x) => x.partial).map((x) => x.relation)).toEqual(["below", "below", "below"]);
    expect(j.reaches[0]!.pipelines.map((p) => p.slug)).toEqual(["landing-zone-prod"]);
    const github = j.reaches.at(-1)!;
    expect(github.pipelines).toEqual([]);
    expect(github.otherWorkloads.map((w) => `${w.platform} ${w.workload}`)).toContain("github acme/web-storefront");
  });

  it("shows the findings inside a management group, on its subscriptions included", () => {
    const r = trustscope(["explain-access", "scope:mg-prod", ...SNAPSHOT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/No findings name it/);
    // Findings on the subscription under the management group, and on a resource group inside it.
    expect(r.stdout).toMatch(/unconstrained-role-assignment: .*'Owner' at \/subscriptions\/0b1f6471-1bf0-4dda-aec3-111122223333 /);
    expect(r.stdout).toMatch(/owner-where-contributor-would-do: .*rg-app-platform-prod/);
  });

  it("marks partial reach in text too", () => {
    const r = trustscope(["explain-access", "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333", ...SNAPSHOT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Contributor at resource group 'rg-app-platform-prod' .*inside this scope \(PARTIAL/);
  });

  it("rejects an unknown target, listing a few near names", () => {
    const unknown = trustscope(["explain-access", "prod", ...SNAPSHOT]);
    expectUsageError(unknown, /no pipeline, identity or scope matches 'prod'; did you mean: pipeline app-platform-nonprod; /);
    expect(unknown.stderr.split(";").length).toBeLessThanOrEqual(6);
  });

  it("rejects an ambiguous target listing the candidates; a prefix narrows it", () => {
    const file = demoVariant((inv) => {
      inv.buildkite.pipelines.push({ ...inv.buildkite.pipelines[0]!, uuid: "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e99", slug: "platform-tools" });
    });
    expectUsageError(
      trustscope(["explain-access", "platform-tools", "--snapshot", file]),
      /'platform-tools' is ambiguous: pipeline acme\/platform-tools \(.*\); identity 'platform-tools' .*prefix pipeline:, identity: or scope:/,
    );
    const narrowed = trustscope(["explain-access", "identity:platform-tools", "--snapshot", file]);
    expect(narrowed.code, narrowed.stderr).toBe(0);
  });

  it.each([
    ["a missing TARGET", [...SNAPSHOT], /explain-access: give a TARGET/],
    ["two TARGETs", ["a", "b", ...SNAPSHOT], /give one TARGET, got 'a' and 'b'/],
    ["an unknown format", ["x", ...SNAPSHOT, "--format", "dot"], /--format must be one of text, json/],
    ["a run with no source", ["x"], /explain-access: nothing to read/],
  ])("rejects %s with one line and exit 2", (_what, args, pattern) => {
    expectUsageError(trustscope(["explain-access", ...args]), pattern);
  });

  it("has help", () => {
    const r = trustscope(["explain-access", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: trustscope explain-access TARGET/);
  });
});
