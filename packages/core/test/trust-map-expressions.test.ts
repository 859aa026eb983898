import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "../src/testing/index.ts";
import { buildTrustGraph, findingCredential } from "../src/graph/trust-graph.ts";
import { describeReach } from "../src/graph/queries.ts";
import { EnvironmentClassifier } from "../src/policy/environments.ts";
import { DEFAULT_POLICY } from "../src/policy/policy.ts";
import { buildTrustMap } from "../src/graph/build-trust-map.ts";
import { renderDot } from "../src/report/graph-dot.ts";

const EXPRESSION = "claims['sub'] matches 'organization:acme:pipeline:*'";

function world() {
  const b = new InventoryBuilder({ org: "acme" });
  const deploy = b.pipeline("deploy", { cluster: "Production" });
  b.pipeline("web");
  const app = b.app("deployer", { credentials: [{ name: "exact", subject: deploy }, { name: "flex", expression: EXPRESSION }] });
  b.assign(app.principalId, "Owner", b.subscription("Contoso-Prod"));
  return b.build();
}

describe("a Buildkite-issuer credential that matches by expression", () => {
  it("resolves no subject and reaches no pipeline (Entra does not accept it)", () => {
    const graph = buildTrustGraph(world());
    const flex = graph.edges.find((e) => e.credential.name === "flex")!;
    expect(flex.subject).toBeUndefined();
    expect(flex.reach).toEqual([]);
    expect(describeReach(flex)).toBe(`credential 'flex' trusts claims expression "${EXPRESSION}", which 0 pipelines can mint a token for`);
    expect(findingCredential(flex)).toEqual({ name: "flex", issuer: "https://agent.buildkite.com", claimsMatchingExpression: { value: EXPRESSION, languageVersion: 1 }, audiences: ["api://AzureADTokenExchange"] });
    // A subject credential is shown as before.
    expect(findingCredential(graph.edges.find((e) => e.credential.name === "exact")!).subject).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("shows its expression on the trust map, not a blank subject, and no pipeline can mint for it", () => {
    const inventory = world();
    const graph = buildTrustGraph(inventory);
    const map = buildTrustMap(graph, new EnvironmentClassifier(inventory, DEFAULT_POLICY, graph.pipelineUse), []);
    const node = map.nodes.find((n) => n.kind === "credential" && n.label === "flex")!;
    expect(node.detail).toContain(`claims expression: ${EXPRESSION} (Entra accepts expressions only for GitHub, GitLab and Terraform Cloud issuers: it matches no Buildkite token)`);
    expect(node.detail.some((d) => d.startsWith("subject:"))).toBe(false);
    expect(map.edges.filter((e) => e.to === node.id && e.kind === "can-mint")).toEqual([]);
    expect(map.edges.some((e) => e.from === node.id && e.kind === "unlocks")).toBe(true);
    expect(renderDot(map)).toContain("claims expression: claims['sub'] matches 'organization:acme:pipeline:*'");
  });
});
