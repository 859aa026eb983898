import { describe, expect, it } from "vitest";
import { InventoryBuilder, uuidFor } from "../src/testing/index.ts";
import { buildTrustGraph, pipelinesReaching } from "../src/graph/trust-graph.ts";
import { identitiesReachableFromBuildkite } from "../src/graph/queries.ts";

function world() {
  const b = new InventoryBuilder({ org: "acme" });
  b.cluster("prod", ["prod-a", "prod-b"]);
  b.cluster("ci", ["ci-agents"]);
  for (const p of ["deploy", "web"]) b.pipeline(p, { cluster: "prod" });
  for (const p of ["test", "lint"]) b.pipeline(p, { cluster: "ci" });
  b.pipeline("loose");
  b.agent("prod-agent", "prod-b");
  return b;
}

const reachOf = (b: InventoryBuilder, subject: string, issuer?: string) => {
  b.app("id", { credentials: [{ subject, ...(issuer ? { issuer } : {}) }] });
  const g = buildTrustGraph(b.build());
  return { edge: g.edges[0]!, slugs: g.edges[0]!.reach.map((p) => p.slug).sort() };
};

describe("trust graph: which pipelines can mint a token a credential accepts", () => {
  it("pipeline UUID → that pipeline", () => {
    const b = world();
    const { edge, slugs } = reachOf(b, uuidFor("pipeline:deploy"));
    expect(edge.subject?.kind).toBe("pipeline");
    expect(slugs).toEqual(["deploy"]);
  });

  it("cluster UUID → every pipeline in the cluster", () => {
    const b = world();
    expect(reachOf(b, b.cluster("prod")).slugs).toEqual(["deploy", "web"]);
  });

  it("queue UUID → every pipeline of the queue's cluster (any pipeline may target any queue)", () => {
    const b = world();
    const { edge, slugs } = reachOf(b, b.queueUuid("prod-a"));
    expect(edge.subject?.label).toBe("queue 'prod-a' of cluster 'prod'");
    expect(slugs).toEqual(["deploy", "web"]);
  });

  it("agent UUID → every pipeline of the agent's cluster", () => {
    const b = world();
    expect(reachOf(b, uuidFor("agent:prod-agent")).slugs).toEqual(["deploy", "web"]);
  });

  it("organisation UUID → every pipeline, clustered or not", () => {
    const b = world();
    expect(reachOf(b, b.orgUuid).slugs).toEqual(["deploy", "lint", "loose", "test", "web"]);
  });

  it("compound subject → the named pipeline; with '*' → nobody", () => {
    expect(reachOf(world(), "organization:acme:pipeline:web:ref:refs/heads/main:commit:abc:step:").slugs).toEqual(["web"]);
    expect(reachOf(world(), "organization:other:pipeline:web:ref:refs/heads/main:commit:abc:step:").slugs).toEqual([]);
    const wild = reachOf(world(), "organization:acme:pipeline:web:ref:refs/heads/main:commit:*:step:*");
    expect(wild.edge.subject?.compound?.hasWildcard).toBe(true);
    expect(wild.slugs).toEqual([]);
  });

  it("unresolved and case-mismatched subjects reach nobody", () => {
    expect(reachOf(world(), uuidFor("nothing")).edge.subject?.kind).toBe("unresolved");
    const upper = reachOf(world(), uuidFor("pipeline:deploy").toUpperCase());
    expect(upper.edge.subject).toMatchObject({ kind: "pipeline", caseMismatch: true });
    expect(upper.slugs).toEqual([]);
  });

  it("a near-miss issuer reaches nobody; other issuers' credentials are edges to their workloads, never to pipelines", () => {
    expect(reachOf(world(), uuidFor("pipeline:deploy"), "https://agent.buildkite.com/").slugs).toEqual([]);
    const b = world();
    // A GitHub subject that happens to be a pipeline's UUID still names no pipeline.
    b.app("gh", {
      credentials: [
        { subject: "repo:acme/x:ref:refs/heads/main", issuer: "https://token.actions.githubusercontent.com" },
        { subject: uuidFor("pipeline:deploy"), issuer: "https://oidc.prod-aks.azure.com/tenant/issuer/", name: "k8s" },
      ],
    });
    const graph = buildTrustGraph(b.build());
    const edges = graph.edges.filter((e) => e.identity.displayName === "gh");
    expect(edges.map((e) => [e.issuerKind, e.trust.platform, e.trust.workload, e.reach.length, e.subject])).toEqual([
      ["other", "github", "acme/x", 0, undefined],
      ["other", "kubernetes", uuidFor("pipeline:deploy"), 0, undefined],
    ]);
    expect((graph.edgesByPipeline.get(uuidFor("pipeline:deploy").toLowerCase()) ?? []).map((e) => e.identity.displayName)).not.toContain("gh");
  });

  it("joins managed identities by principal ID and apps by their service principal", () => {
    const b = world();
    const rg = b.resourceGroup(b.subscription("s"), "rg");
    const mi = b.managedIdentity("id-deploy", rg, [{ subject: uuidFor("pipeline:deploy") }]);
    const app = b.app("app", { credentials: [{ subject: b.cluster("ci") }], groups: ["g"] });
    b.assign(mi.principalId, "Contributor", rg);
    b.assign(b.group("g"), "Reader", rg);
    b.app("no-federation");
    const g = buildTrustGraph(b.build());
    expect(identitiesReachableFromBuildkite(g).map((i) => i.displayName).sort()).toEqual(["app", "id-deploy"]);
    const miNode = g.identities.find((i) => i.kind === "managedIdentity")!;
    expect(miNode).toMatchObject({ appId: mi.appId, objectId: mi.principalId, principalId: mi.principalId, anchor: "/azure/managedIdentities/0" });
    expect(miNode.grants.map((x) => x.role?.roleName)).toEqual(["Contributor"]);
    const appNode = g.identities.find((i) => i.appId === app.appId)!;
    expect(appNode.grants[0]?.viaGroup?.displayName).toBe("g");
    expect(pipelinesReaching(appNode).map((r) => r.pipeline.slug).sort()).toEqual(["lint", "test"]);
    expect(g.edgesByPipeline.get(uuidFor("pipeline:test"))?.[0]?.identity.displayName).toBe("app");
  });
});
