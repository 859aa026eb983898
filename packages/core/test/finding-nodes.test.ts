/**
 * Which trust-map nodes a finding names: one answer for the map's colours, the HTML report's
 * details panel and explain-access.
 */
import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "../src/testing/index.ts";
import { buildTrustGraph } from "../src/graph/trust-graph.ts";
import { EnvironmentClassifier } from "../src/policy/environments.ts";
import { DEFAULT_POLICY } from "../src/policy/policy.ts";
import { buildTrustMap, credentialNodeId, findingNodeIds, findingSubjectIds } from "../src/graph/build-trust-map.ts";
import { findingNodes } from "../src/report/html.ts";
import type { Finding } from "../src/model/finding.ts";
import type { Inventory } from "../src/model/inventory.ts";

function world() {
  const b = new InventoryBuilder({ org: "acme" });
  const deploy = b.pipeline("deploy");
  const web = b.pipeline("web");
  // Two credentials whose names differ only in case, each trusting its own pipeline.
  const app = b.app("deployer", { credentials: [{ subject: deploy, name: "deploy-cred" }, { subject: web, name: "DEPLOY-CRED" }] });
  b.assign(app.principalId, "Owner", b.subscription("Contoso-Dev"));
  return { inventory: b.build(), app, deploy, web };
}

function mapOf(inventory: Inventory, findings: Finding[]) {
  const graph = buildTrustGraph(inventory);
  return buildTrustMap(graph, new EnvironmentClassifier(inventory, DEFAULT_POLICY, graph.pipelineUse), findings);
}

function credentialFinding(w: ReturnType<typeof world>, name: string, anchor?: string): Finding {
  return {
    ruleId: "test-rule",
    severity: "high",
    message: "m",
    evidence: [],
    remediation: "r",
    fingerprint: `fp-${name}-${anchor ?? ""}`,
    identity: { kind: "application", appId: w.app.appId, objectId: w.app.objectId, displayName: "deployer" },
    credential: { name, issuer: "https://agent.buildkite.com", subject: w.deploy, audiences: [] },
    ...(anchor ? { anchor } : {}),
  };
}

const FIRST = "/entra/applications/0/federatedIdentityCredentials/0";
const SECOND = "/entra/applications/0/federatedIdentityCredentials/1";
const coloured = (map: ReturnType<typeof mapOf>) => map.nodes.filter((n) => n.kind === "credential" && n.severity).map((n) => n.id).sort();

describe("the map nodes a finding names", () => {
  it("matches a credential named in another case the same way on the map and in the HTML details", () => {
    const w = world();
    // No anchor (as a custom rule may write it): the name decides, in any case.
    const f = credentialFinding(w, "Deploy-Cred");
    const map = mapOf(w.inventory, [f]);
    const both = [credentialNodeId({ anchor: FIRST }), credentialNodeId({ anchor: SECOND })];
    expect(coloured(map)).toEqual(both);
    // The details panel lists the finding under the credentials the map colours for it.
    expect(findingNodes(map)(f).filter((id) => id.startsWith("credential:")).sort()).toEqual(both);
  });

  it("takes the credential the finding's anchor points at, whatever its name says", () => {
    const w = world();
    const f = credentialFinding(w, "deploy-cred", SECOND);
    const map = mapOf(w.inventory, [f]);
    expect(coloured(map)).toEqual([credentialNodeId({ anchor: SECOND })]);
    expect(findingNodes(map)(f)).toEqual([`identity:application:${w.app.appId.toLowerCase()}`, credentialNodeId({ anchor: SECOND })]);
    // Only the pipeline that can use that credential gets a coloured can-mint edge.
    const minted = map.edges.filter((e) => e.kind === "can-mint" && e.severity).map((e) => e.from);
    expect(minted).toEqual([`pipeline:${w.web.toLowerCase()}`]);
  });

  it("names no credential node for an anchor whose credential is not on the map, and none by name then", () => {
    const w = world();
    const f = credentialFinding(w, "deploy-cred", "/entra/applications/0/federatedIdentityCredentials/7");
    const map = mapOf(w.inventory, [f]);
    expect(findingNodeIds(map)(f).credentials).toEqual([]);
    expect(coloured(map)).toEqual([]);
  });

  it("works out pipeline, identity and scope ids from the finding alone, in any case", () => {
    const w = world();
    const ids = findingSubjectIds({
      ...credentialFinding(w, "x"),
      identity: { kind: "application", appId: w.app.appId.toUpperCase(), objectId: "", displayName: "" },
      pipeline: { uuid: w.deploy.toUpperCase(), slug: "deploy" },
      scope: "/SUBSCRIPTIONS/ABC/",
    });
    expect(ids).toEqual({ pipeline: `pipeline:${w.deploy.toLowerCase()}`, identity: `identity:application:${w.app.appId.toLowerCase()}`, scope: "scope:/subscriptions/abc" });
  });
});
