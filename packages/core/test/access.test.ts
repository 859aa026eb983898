import { describe, expect, it } from "vitest";
import { InventoryBuilder, uuidFor } from "../src/testing/index.ts";
import { buildTrustGraph, pipelinesReaching, type Identity, type TrustGraph } from "../src/graph/trust-graph.ts";
import { grantsAllowing } from "../src/graph/queries.ts";
import { EnvironmentClassifier } from "../src/policy/environments.ts";
import { DEFAULT_POLICY } from "../src/policy/policy.ts";
import {
  blastRadius,
  describeRoleAccess,
  effectivePermissions,
  findAccessTargets,
  identitiesReachableFrom,
  productionVerdict,
  suggestAccessTargets,
} from "../src/graph/access.ts";
import { ROLE_ASSIGNMENT_WRITE, BLOB_READ } from "../src/azure/rbac.ts";

/**
 * platform (management group)
 *   ├─ Contoso-Prod (subscription, production by name) ─ rg-app ─ stapp (storage account)
 *   └─ Contoso-Dev  (subscription)
 * deployer: pipeline `deploy` (two credentials); Owner on rg-app; Reader on the management
 *           group through group `grp-readers`; a custom "all but auth writes" role on Contoso-Dev.
 * orgwide:  every pipeline (organisation subject); Contributor on Contoso-Dev.
 */
function world() {
  const b = new InventoryBuilder({ org: "acme" });
  const mg = b.managementGroup("platform");
  const prod = b.subscription("Contoso-Prod", { managementGroup: mg });
  const dev = b.subscription("Contoso-Dev", { managementGroup: mg });
  const rg = b.resourceGroup(prod, "rg-app");
  const account = b.storageAccount(rg, "stapp");
  const deploy = b.pipeline("deploy", { cluster: "Production" });
  const web = b.pipeline("web", { cluster: "CI" });
  const deployer = b.app("deployer", { credentials: [{ subject: deploy, name: "by-uuid" }, { subject: b.cluster("Production"), name: "by-cluster" }], groups: ["grp-readers"] });
  b.assign(deployer.principalId, "Owner", rg);
  b.assign(b.group("grp-readers"), "Reader", mg);
  b.customRole("All but auth writes", { actions: ["*"], notActions: ["Microsoft.Authorization/*/Write"] });
  b.assign(deployer.principalId, "All but auth writes", dev);
  const orgwide = b.app("orgwide", { credentials: [{ subject: b.orgUuid, name: "org" }] });
  b.assign(orgwide.principalId, "Contributor", dev);
  const graph = buildTrustGraph(b.build());
  const environments = new EnvironmentClassifier(graph.inventory, DEFAULT_POLICY, graph.pipelineUse);
  const identity = (name: string): Identity => graph.identities.find((i) => i.displayName === name)!;
  return { b, graph, environments, identity, mg, prod, dev, rg, account, deploy, web, deployer };
}

const slugs = (g: TrustGraph, uuid: string) => identitiesReachableFrom(g, uuid).map((r) => [r.identity.displayName, r.edges.map((e) => e.credential.name)]);

describe("who can log in as whom", () => {
  it("lists each identity a pipeline reaches with every credential that lets it (UUID in any case)", () => {
    const w = world();
    expect(slugs(w.graph, w.deploy.toUpperCase())).toEqual([
      ["deployer", ["by-uuid", "by-cluster"]],
      ["orgwide", ["org"]],
    ]);
    expect(slugs(w.graph, w.web)).toEqual([["orgwide", ["org"]]]);
    expect(slugs(w.graph, uuidFor("pipeline:nope"))).toEqual([]);
  });

  it("lists each pipeline that reaches an identity once, with all its credentials", () => {
    const w = world();
    const r = pipelinesReaching(w.identity("deployer"));
    expect(r.map((x) => [x.pipeline.slug, x.edges.map((e) => e.credential.name)])).toEqual([["deploy", ["by-uuid", "by-cluster"]]]);
    expect(pipelinesReaching(w.identity("orgwide")).map((x) => x.pipeline.slug).sort()).toEqual(["deploy", "web"]);
  });

  it("names the first of those credentials as `edge`, for evidence that cites one", () => {
    const w = world();
    const [r] = pipelinesReaching(w.identity("deployer"));
    expect(r!.edge.credential.name).toBe("by-uuid");
    expect(r!.edge).toBe(r!.edges[0]);
  });
});

describe("effective permissions at a scope", () => {
  it("includes grants inherited from above, directly or through a group, and marks where each is assigned", () => {
    const w = world();
    const at = effectivePermissions(w.graph, w.identity("deployer"), w.account);
    expect(at.map((g) => [g.roleName, g.relation, g.assignedAt, g.grant.viaGroup?.displayName])).toEqual([
      ["Owner", "above", w.rg, undefined],
      ["Reader", "above", w.mg, "grp-readers"],
    ]);
    expect(at.find((g) => g.roleName === "Reader")?.readOnly).toBe(true);
    expect(effectivePermissions(w.graph, w.identity("deployer"), w.rg).find((g) => g.roleName === "Owner")?.relation).toBe("at");
    // Nothing assigned below the scope counts at the scope.
    expect(effectivePermissions(w.graph, w.identity("deployer"), w.prod).map((g) => g.roleName)).toEqual(["Reader"]);
  });

  it("keeps each role's notActions to that role: another role's actions still allow the operation", () => {
    const w = world();
    const deployer = w.identity("deployer");
    expect(grantsAllowing(w.graph, deployer, "Microsoft.Compute/virtualMachines/write", w.dev).length > 0).toBe(true);
    expect(grantsAllowing(w.graph, deployer, ROLE_ASSIGNMENT_WRITE, w.dev).length > 0).toBe(false);
    const custom = effectivePermissions(w.graph, deployer, w.dev).find((g) => g.roleName === "All but auth writes")!;
    expect(custom.permissions[0]!.notActions).toEqual(["Microsoft.Authorization/*/Write"]);
    // Owner at the resource group allows what the custom role's notActions take away elsewhere.
    expect(grantsAllowing(w.graph, deployer, ROLE_ASSIGNMENT_WRITE, w.account).length > 0).toBe(true);
  });

  it("keeps the data plane apart: '*' in actions grants no data action", () => {
    const w = world();
    expect(grantsAllowing(w.graph, w.identity("deployer"), BLOB_READ, w.account, "data").length > 0).toBe(false);
    w.b.assign(w.deployer.principalId, "Storage Blob Data Reader", w.account);
    const graph = buildTrustGraph(w.b.build());
    const deployer = graph.identities.find((i) => i.displayName === "deployer")!;
    expect(grantsAllowing(graph, deployer, BLOB_READ, w.account, "data").length > 0).toBe(true);
  });

  it("summarises what a role allows", () => {
    const w = world();
    const role = (name: string) => w.graph.inventory.azure!.roleDefinitions.find((r) => r.roleName === name);
    expect(describeRoleAccess(role("Owner"))).toBe("all actions");
    expect(describeRoleAccess(role("All but auth writes"))).toBe("all actions except Microsoft.Authorization/*/Write");
    expect(describeRoleAccess(role("Reader"))).toBe("read (*/read)");
    expect(describeRoleAccess(role("Storage Blob Data Reader"))).toMatch(/; read data \(.*blobs\/read/);
    expect(describeRoleAccess(undefined)).toMatch(/unknown/);
  });
});

describe("production verdicts", () => {
  it("tells a production scope from one that only contains production", () => {
    const w = world();
    expect(productionVerdict(w.environments, w.prod)).toEqual({ production: true, touchesProduction: true, reason: expect.stringMatching(/Contoso-Prod/) });
    expect(productionVerdict(w.environments, w.account)).toMatchObject({ production: true, touchesProduction: true });
    expect(productionVerdict(w.environments, w.mg)).toEqual({ production: false, touchesProduction: true, reason: expect.stringMatching(/contains production scope/) });
    expect(productionVerdict(w.environments, w.dev)).toEqual({ production: false, touchesProduction: false });
  });
});

describe("blast radius", () => {
  it("of a pipeline: credential → identity → grants, with production reasons and read-only flags", () => {
    const w = world();
    const deploy = w.graph.inventory.buildkite!.pipelines.find((p) => p.slug === "deploy")!;
    const r = blastRadius(w.graph, w.environments, { kind: "pipeline", pipeline: deploy });
    if (r.kind !== "pipeline") throw new Error("kind");
    expect(r.production).toMatch(/cluster 'Production'/);
    expect(r.paths.map((p) => [p.edge.credential.name, p.identity.displayName])).toEqual([
      ["by-uuid", "deployer"],
      ["by-cluster", "deployer"],
      ["org", "orgwide"],
    ]);
    const grants = r.paths[0]!.grants.map((g) => [g.roleName, g.readOnly, Boolean(g.production)]);
    expect(grants).toEqual([
      ["Owner", false, true],
      ["All but auth writes", false, false],
      ["Reader", true, true], // through the group; the management group contains a production subscription
    ]);
  });

  it("of an identity: the pipelines that can log in as it, each with its own production verdict", () => {
    const w = world();
    const r = blastRadius(w.graph, w.environments, { kind: "identity", identity: w.identity("orgwide") });
    if (r.kind !== "identity") throw new Error("kind");
    expect(r.pipelines.map((p) => [p.pipeline.slug, Boolean(p.production)]).sort()).toEqual([
      ["deploy", true],
      ["web", false],
    ]);
    expect(r.grants.map((g) => g.roleName)).toEqual(["Contributor"]);
  });

  it("of a scope: grants at it, above it, and partial ones inside it, in that order", () => {
    const w = world();
    const r = blastRadius(w.graph, w.environments, { kind: "scope", scope: w.prod.toUpperCase() });
    if (r.kind !== "scope") throw new Error("kind");
    expect(r.scope).toBe(w.prod.toLowerCase());
    expect(r.reaches.map((x) => [x.identity.displayName, x.grant.roleName, x.relation])).toEqual([
      ["deployer", "Reader", "above"],
      ["deployer", "Owner", "below"],
    ]);
    expect(r.reaches[0]!.pipelines.map((p) => p.pipeline.slug)).toEqual(["deploy"]);
    const dev = blastRadius(w.graph, w.environments, { kind: "scope", scope: w.dev });
    if (dev.kind !== "scope") throw new Error("kind");
    expect(dev.reaches.map((x) => [x.identity.displayName, x.relation])).toEqual([
      ["deployer", "at"],
      ["orgwide", "at"],
      ["deployer", "above"],
    ]);
    expect(dev.production.touchesProduction).toBe(false);
  });

  it("leaves out identities no pipeline can log in as", () => {
    const w = world();
    const lonely = w.b.app("lonely", { credentials: [{ subject: uuidFor("pipeline:deleted"), name: "dead" }] });
    w.b.assign(lonely.principalId, "Owner", w.dev);
    const graph = buildTrustGraph(w.b.build());
    const r = blastRadius(graph, new EnvironmentClassifier(graph.inventory, DEFAULT_POLICY), { kind: "scope", scope: w.dev });
    if (r.kind !== "scope") throw new Error("kind");
    expect(r.reaches.map((x) => x.identity.displayName)).not.toContain("lonely");
  });
});

describe("finding the target of explain-access", () => {
  const kinds = (w: ReturnType<typeof world>, q: string) => findAccessTargets(w.graph, q).map((t) => (t.kind === "pipeline" ? `pipeline ${t.pipeline.slug}` : t.kind === "identity" ? `identity ${t.identity.displayName}` : `scope ${t.scope}`));

  it("finds pipelines by slug, org/slug and UUID; identities by client ID, object ID and name; scopes by ID and name", () => {
    const w = world();
    const deployer = w.identity("deployer");
    expect(kinds(w, "deploy")).toEqual(["pipeline deploy"]);
    expect(kinds(w, "ACME/deploy")).toEqual(["pipeline deploy"]);
    expect(kinds(w, w.deploy.toUpperCase())).toEqual(["pipeline deploy"]);
    expect(kinds(w, deployer.appId)).toEqual(["identity deployer"]);
    expect(kinds(w, deployer.objectId)).toEqual(["identity deployer"]);
    expect(kinds(w, "DEPLOYER")).toEqual(["identity deployer"]);
    expect(kinds(w, "contoso-prod")).toEqual([`scope ${w.prod.toLowerCase()}`]);
    expect(kinds(w, w.prod.split("/")[2]!)).toEqual([`scope ${w.prod.toLowerCase()}`]);
    expect(kinds(w, `${w.account}/`)).toEqual([`scope ${w.account.toLowerCase()}`]);
    expect(kinds(w, "platform")).toEqual([`scope ${w.mg.toLowerCase()}`]);
    expect(kinds(w, "/")).toEqual(["scope /"]);
  });

  it("returns every match for an ambiguous name, and a prefix narrows it", () => {
    const w = world();
    w.b.pipeline("deployer");
    const graph = buildTrustGraph(w.b.build());
    expect(findAccessTargets(graph, "deployer").map((t) => t.kind)).toEqual(["pipeline", "identity"]);
    expect(findAccessTargets(graph, "identity:deployer").map((t) => t.kind)).toEqual(["identity"]);
    expect(findAccessTargets(graph, "pipeline:deployer").map((t) => t.kind)).toEqual(["pipeline"]);
  });

  it("finds nothing for unknown names or scopes outside the inventory, and suggests near names", () => {
    const w = world();
    expect(kinds(w, "nope")).toEqual([]);
    expect(kinds(w, "/subscriptions/00000000-0000-0000-0000-000000000000")).toEqual([]);
    expect(kinds(w, "")).toEqual([]);
    expect(suggestAccessTargets(w.graph, "deplo")).toEqual(["pipeline deploy", expect.stringMatching(/^identity deployer \(client ID /)]);
    expect(suggestAccessTargets(w.graph, "contoso", 1)).toHaveLength(1);
  });
});
