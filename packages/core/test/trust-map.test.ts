import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "../src/testing/index.ts";
import { buildTrustGraph } from "../src/graph/trust-graph.ts";
import { EnvironmentClassifier } from "../src/policy/environments.ts";
import { DEFAULT_POLICY } from "../src/policy/policy.ts";
import { buildTrustMap, renderTrustMapJson, NO_CLUSTER } from "../src/graph/build-trust-map.ts";
import { renderDot } from "../src/report/graph-dot.ts";
import { mermaidString, renderMermaid } from "../src/report/graph-mermaid.ts";
import type { Finding, Severity } from "../src/model/finding.ts";
import type { Inventory } from "../src/model/inventory.ts";
import type { TrustMap } from "../src/graph/trust-map.ts";
import { parseMermaid, renderDotSvg } from "../../../test/support/graph-syntax.ts";

function world() {
  const b = new InventoryBuilder({ org: "acme" });
  const mg = b.managementGroup("platform");
  const prod = b.subscription("Contoso-Prod", { managementGroup: mg });
  const dev = b.subscription("Contoso-Dev", { managementGroup: mg });
  const deploy = b.pipeline("deploy", { cluster: "Production" });
  const web = b.pipeline("web");
  const deployer = b.app("deployer", { credentials: [{ subject: deploy, name: "by-uuid" }] });
  b.assign(deployer.principalId, "Owner", prod);
  b.assign(deployer.principalId, "Reader", mg);
  const orgwide = b.app("orgwide", { credentials: [{ subject: b.orgUuid, name: "org" }] });
  b.assign(orgwide.principalId, "Contributor", dev);
  b.app("typo", { credentials: [{ subject: deploy, name: "near", issuer: "https://agent.buildkite.com/" }] });
  b.app("not-federated"); // no Buildkite credential: not on the map
  return { b, mg, prod, dev, deploy, web, deployer, orgwide };
}

function mapOf(inventory: Inventory, findings: Finding[] = []): TrustMap {
  const graph = buildTrustGraph(inventory);
  return buildTrustMap(graph, new EnvironmentClassifier(inventory, DEFAULT_POLICY, graph.pipelineUse), findings);
}

let n = 0;
function finding(severity: Severity, about: Partial<Finding>): Finding {
  return { ruleId: "test-rule", severity, message: "m", evidence: [], remediation: "r", fingerprint: `fp${++n}`, ...about };
}

const node = (m: TrustMap, label: string) => m.nodes.find((x) => x.label === label)!;
const edge = (m: TrustMap, from: string, to: string) => m.edges.find((e) => e.from === node(m, from).id && e.to === node(m, to).id)!;

describe("trust map", () => {
  it("has pipelines (by cluster), Buildkite credentials, their identities and those identities' scopes", () => {
    const w = world();
    const m = mapOf(w.b.build());
    expect(m.nodes.map((x) => `${x.kind} ${x.label}`)).toEqual([
      `pipeline web`, // "(no cluster)" sorts before "Production"
      "pipeline deploy",
      "credential by-uuid",
      "credential near",
      "credential org",
      "identity deployer",
      "identity orgwide",
      "identity typo",
      "scope platform",
      "scope Contoso-Dev",
      "scope Contoso-Prod",
    ]);
    expect(node(m, "web").group).toBe(NO_CLUSTER);
    expect(node(m, "deploy").group).toBe("Production");
    expect(node(m, "Contoso-Prod").group).toBe("Contoso-Prod");
    expect(node(m, "deploy").id).toBe(`pipeline:${w.deploy}`);
    expect(node(m, "Contoso-Prod").id).toBe(`scope:${w.prod.toLowerCase()}`);
    expect(m.edges.map((e) => e.kind)).toEqual(["can-mint", "can-mint", "can-mint", "unlocks", "unlocks", "unlocks", "grants", "grants", "grants"]);
    // The near-miss credential unlocks its identity but no pipeline can mint a token for it.
    expect(edge(m, "near", "typo").label).toBe("near-miss issuer");
    expect(m.edges.filter((e) => e.to === node(m, "near").id)).toEqual([]);
    expect(edge(m, "deployer", "platform")).toMatchObject({ label: "Reader", readOnly: true });
    expect(edge(m, "deployer", "Contoso-Prod").readOnly).toBeUndefined();
  });

  it("marks production with the reason: pipelines, scopes (also those containing production), and the paths into it", () => {
    const w = world();
    const m = mapOf(w.b.build());
    expect(node(m, "deploy").production).toMatch(/cluster 'Production'/);
    expect(node(m, "web").production).toBeUndefined();
    expect(node(m, "Contoso-Prod").production).toMatch(/Contoso-Prod/);
    expect(node(m, "platform").production).toMatch(/contains production scope/);
    expect(node(m, "Contoso-Dev").production).toBeUndefined();
    expect(node(m, "deployer").production).toMatch(/'Owner' at subscription 'Contoso-Prod'/);
    expect(edge(m, "deployer", "Contoso-Prod").production).toBeDefined();
    expect(edge(m, "orgwide", "Contoso-Dev").production).toBeUndefined();
    expect(edge(m, "by-uuid", "deployer").production).toBeDefined();
    // The org-wide credential leads nowhere production, but the production pipeline using it is.
    expect(edge(m, "web", "org").production).toBeUndefined();
    expect(edge(m, "deploy", "org").production).toMatch(/pipeline|cluster/);
  });

  it("colours nodes and edges by the highest unsuppressed finding naming them, matched case-insensitively", () => {
    const w = world();
    const inv = w.b.build();
    const deployer = { kind: "application" as const, appId: w.deployer.appId.toUpperCase(), objectId: w.deployer.objectId, displayName: "deployer" };
    const cred = { name: "BY-UUID", issuer: "https://agent.buildkite.com", subject: w.deploy, audiences: [] };
    const m = mapOf(inv, [
      finding("critical", { identity: deployer, credential: cred }),
      finding("high", { identity: deployer, scope: w.prod.toUpperCase() }),
      finding("low", { identity: deployer }),
      finding("medium", { pipeline: { uuid: w.web.toUpperCase(), slug: "web" } }),
      finding("critical", { pipeline: { uuid: w.web, slug: "web" }, suppression: { kind: "policy", reason: "accepted" } }),
      finding("info", { scope: `${w.dev}/` }),
    ]);
    expect(node(m, "by-uuid").severity).toBe("critical");
    expect(edge(m, "by-uuid", "deployer").severity).toBe("critical");
    // A credential finding that names no pipeline concerns every pipeline that can use it.
    expect(edge(m, "deploy", "by-uuid").severity).toBe("critical");
    expect(node(m, "deployer").severity).toBe("critical");
    expect(edge(m, "deployer", "Contoso-Prod").severity).toBe("high");
    expect(node(m, "Contoso-Prod").severity).toBe("high");
    expect(edge(m, "deployer", "platform").severity).toBeUndefined();
    expect(node(m, "web").severity).toBe("medium");
    expect(node(m, "Contoso-Dev").severity).toBe("info");
    expect(node(m, "orgwide").severity).toBeUndefined();
    expect(edge(m, "web", "org").severity).toBeUndefined();
  });

  it("is deterministic: the same JSON bytes whatever the order of the inventory's lists", () => {
    const w = world();
    const inv = w.b.build();
    const json = renderTrustMapJson(mapOf(inv));
    expect(renderTrustMapJson(mapOf(w.b.build()))).toBe(json);
    const shuffled = structuredClone(inv);
    shuffled.buildkite!.pipelines.reverse();
    shuffled.azure!.roleAssignments.reverse();
    shuffled.azure!.subscriptions.reverse();
    expect(renderTrustMapJson(mapOf(shuffled))).toBe(json);
    expect(json.endsWith("}\n")).toBe(true);
    expect(JSON.parse(json)).toMatchObject({ schemaVersion: 1 });
  });
});

/** Names that try to break out of DOT and Mermaid syntax, or inject markup into a rendering. */
const HOSTILE = {
  slug: 'x"];\n}\ndigraph evil {',
  cluster: 'end" subgraph <b>#quot;',
  app: '<img src=x onerror=alert(1)> "a" [b] (c) {d} |e| #35; %% ; \\',
  credential: "cred\\",
  role: 'Role "x" --> y\r\nclassDef',
};

function hostileMap(): TrustMap {
  const b = new InventoryBuilder({ org: "acme" });
  const sub = b.subscription("Contoso-Prod");
  const rg = b.resourceGroup(sub, 'rg" -> "scope:/');
  const p = b.pipeline(HOSTILE.slug, { cluster: HOSTILE.cluster, name: "line1\nline2" });
  const app = b.app(HOSTILE.app, { credentials: [{ subject: p, name: HOSTILE.credential }] });
  b.customRole(HOSTILE.role, { actions: ["*/read"] });
  b.assign(app.principalId, HOSTILE.role, rg);
  b.assign(app.principalId, "Owner", sub);
  b.app("", { credentials: [{ subject: p, name: "" }] }); // empty names are labels too
  return mapOf(b.build(), [finding("critical", { pipeline: { uuid: p, slug: HOSTILE.slug } })]);
}

describe("graph exports of hostile names", () => {
  it("DOT: Graphviz lays out every node and edge, with the names as text", async () => {
    const m = hostileMap();
    const dot = renderDot(m);
    const svg = await renderDotSvg(dot);
    expect(svg.match(/class="node"/g)).toHaveLength(m.nodes.length);
    expect(svg.match(/class="edge"/g)).toHaveLength(m.edges.length);
    expect(svg.match(/class="cluster"/g)?.length).toBeGreaterThanOrEqual(2);
    expect(svg).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(svg).not.toContain("<img");
    expect(svg.match(/class="graph"/g)).toHaveLength(1); // no second graph smuggled in
    expect(dot).toContain('label="x\\"];\\n}\\ndigraph evil {"');
    expect(dot).toContain('label="cred\\\\"');
  });

  it("DOT: Graphviz rejects broken input (the check can fail)", async () => {
    await expect(renderDotSvg('digraph { "a -> "b" }')).rejects.toThrow();
  });

  it("Mermaid: the parser accepts the flowchart and every label decodes back to the name", async () => {
    const m = hostileMap();
    const text = renderMermaid(m);
    expect(await parseMermaid(text)).toMatch(/^flowchart/);
    expect(text.startsWith("flowchart LR\n")).toBe(true);
    expect(text).not.toContain("<img");
    expect(text).not.toMatch(/^\s*digraph/m);
    const decode = (s: string) => s.replace(/#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)));
    const labels = [...text.matchAll(/^ +n\d+[[(]+"([^"]*)"[\])]+$/gm)].map((x) => decode(x[1]!));
    expect(labels).toHaveLength(m.nodes.length);
    expect(labels).toEqual(expect.arrayContaining([HOSTILE.slug.replace(/\n/g, " "), HOSTILE.app, HOSTILE.credential, " "]));
    expect(text).toMatch(/class n\d+ sev_critical/);
    expect(text).toMatch(/classDef production /);
  });

  it("Mermaid: the parser rejects invalid diagrams, unescaped quotes included (the check can fail)", async () => {
    await expect(parseMermaid('flowchart LR\n  n1["a"] --> n2["b')).rejects.toThrow();
    await expect(parseMermaid(`flowchart LR\n  n1["${HOSTILE.app}"]`)).rejects.toThrow();
    await expect(parseMermaid(`flowchart LR\n  n1[${mermaidString(HOSTILE.app)}]`)).resolves.toMatch(/^flowchart/);
  });
});
