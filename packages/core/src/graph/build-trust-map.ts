/**
 * Flattens the trust graph into the trust map (see trust-map.ts): pipelines → federated
 * credentials → identities → Azure scopes, each node and edge carrying the highest severity of
 * the unsuppressed findings that name it and, where it applies, why it is production.
 * Deterministic: the same inputs give byte-identical JSON.
 */
import type { Grant } from "../azure/rbac.ts";
import { managementGroupName, normalizeScope, scopeKind } from "../azure/scope.ts";
import { severityRank, type Finding, type Severity } from "../model/finding.ts";
import type { BuildkitePipeline } from "../model/inventory.ts";
import type { EnvironmentClassifier } from "../policy/environments.ts";
import { jsonText } from "../report/escape.ts";
import { describeScope, grantReach, productionVerdict, subscriptionName } from "./access.ts";
import type { Identity, TrustEdge, TrustGraph } from "./trust-graph.ts";
import type { TrustMap, TrustMapEdge, TrustMapEdgeKind, TrustMapNode, TrustMapNodeKind } from "./trust-map.ts";

/** Group of pipelines outside any cluster. */
export const NO_CLUSTER = "(no cluster)";
/** Group of scopes above subscriptions (management groups, the tenant root). */
export const ABOVE_SUBSCRIPTIONS = "(management groups)";

export const pipelineNodeId = (p: Pick<BuildkitePipeline, "uuid">): string => `pipeline:${p.uuid.toLowerCase()}`;
export const credentialNodeId = (e: Pick<TrustEdge, "anchor">): string => `credential:${e.anchor}`;
export const identityNodeId = (i: Pick<Identity, "key">): string => `identity:${i.key}`;
export const scopeNodeId = (scope: string): string => `scope:${normalizeScope(scope)}`;

export function buildTrustMap(graph: TrustGraph, environments: EnvironmentClassifier, findings: Finding[]): TrustMap {
  const sev = new FindingIndex(findings);
  const nodes = new Map<string, TrustMapNode>();
  const edges = new Map<string, TrustMapEdge>();
  const addEdge = (e: TrustMapEdge) => {
    const key = `${e.kind}\u0000${e.from}\u0000${e.to}\u0000${e.label ?? ""}`;
    if (!edges.has(key)) edges.set(key, e);
  };

  const bk = graph.inventory.buildkite;
  const clusters = new Map((bk?.clusters ?? []).map((c) => [c.uuid.toLowerCase(), c.name]));
  const pipelineProduction = new Map<string, string | undefined>();
  for (const p of bk?.pipelines ?? []) {
    const v = environments.pipeline(p);
    const production = v.production ? (v.reason ?? "production") : undefined;
    pipelineProduction.set(p.uuid.toLowerCase(), production);
    const cluster = p.clusterUuid ? (clusters.get(p.clusterUuid.toLowerCase()) ?? p.clusterUuid) : NO_CLUSTER;
    nodes.set(pipelineNodeId(p), {
      id: pipelineNodeId(p),
      kind: "pipeline",
      label: p.slug,
      detail: [
        `${bk?.organization.slug ?? "?"}/${p.slug}`,
        ...(p.name !== p.slug ? [`name: ${p.name}`] : []),
        `UUID: ${p.uuid}`,
        `cluster: ${cluster}`,
        ...(p.visibility === "PUBLIC" ? ["visibility: public"] : []),
        ...(production ? [`production: ${production}`] : []),
      ],
      group: cluster,
      ...optional(production, sev.pipeline(p.uuid)),
    });
  }

  const identityProduction = new Map<Identity, string | undefined>();
  for (const edge of graph.edges) {
    const identity = edge.identity;
    const identityId = identityNodeId(identity);
    if (!nodes.has(identityId)) {
      const production = identityProductionReason(graph, environments, identity.grants);
      identityProduction.set(identity, production);
      addIdentity(nodes, identity, production, sev.identity(identity));
      for (const grant of identity.grants) addScopeAndGrant(graph, environments, sev, nodes, addEdge, identity, grant);
    }
    const credId = credentialNodeId(edge);
    const c = edge.credential;
    nodes.set(credId, {
      id: credId,
      kind: "credential",
      label: c.name,
      detail: [
        `issuer: ${c.issuer}${edge.issuerKind === "buildkite-near-miss" ? " (near-miss: not Buildkite's issuer, matches no token)" : ""}`,
        ...(c.claimsMatchingExpression
          ? [`claims expression: ${c.claimsMatchingExpression.value}${edge.issuerKind === "other" ? "" : " (Entra accepts expressions only for GitHub, GitLab and Terraform Cloud issuers: it matches no Buildkite token)"}`]
          : [`subject: ${c.subject}${edge.subject ? ` (${edge.subject.label})` : ""}`]),
        `audiences: ${c.audiences.join(", ")}`,
        `on ${identity.kind === "application" ? "app registration" : "managed identity"} '${identity.displayName}'`,
        `pipelines that can mint a token for it: ${edge.reach.length}`,
      ],
      ...optional(undefined, sev.credential(identity, c.name)),
    });
    const intoProduction = identityProduction.get(identity);
    addEdge({ from: credId, to: identityId, kind: "unlocks", ...(edge.issuerKind === "buildkite-near-miss" ? { label: "near-miss issuer" } : {}), ...optional(intoProduction, sev.credential(identity, c.name)) });
    for (const p of edge.reach) {
      const production = pipelineProduction.get(p.uuid.toLowerCase()) ?? intoProduction;
      addEdge({ from: pipelineNodeId(p), to: credId, kind: "can-mint", ...(edge.subject ? { label: edge.subject.kind } : {}), ...optional(production, sev.canMint(p, identity, c.name)) });
    }
  }

  return {
    schemaVersion: 1,
    nodes: [...nodes.values()].sort((a, b) => NODE_ORDER[a.kind] - NODE_ORDER[b.kind] || compare(a.group ?? "", b.group ?? "") || compare(a.label, b.label) || compare(a.id, b.id)),
    edges: [...edges.values()].sort((a, b) => EDGE_ORDER[a.kind] - EDGE_ORDER[b.kind] || compare(a.from, b.from) || compare(a.to, b.to) || compare(a.label ?? "", b.label ?? "")),
  };
}

/** The same map as JSON: byte-stable, two-space indented, with a trailing newline; no raw controls a terminal would act on. */
export function renderTrustMapJson(map: TrustMap): string {
  return `${jsonText(map, 2)}\n`;
}

const NODE_ORDER: Record<TrustMapNodeKind, number> = { pipeline: 0, credential: 1, identity: 2, scope: 3 };
const EDGE_ORDER: Record<TrustMapEdgeKind, number> = { "can-mint": 0, unlocks: 1, grants: 2 };

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Only the optional fields that are set, so the JSON carries no `undefined` noise. */
function optional(production: string | undefined, severity: Severity | undefined): { production?: string; severity?: Severity } {
  return { ...(production ? { production } : {}), ...(severity ? { severity } : {}) };
}

function addIdentity(nodes: Map<string, TrustMapNode>, identity: Identity, production: string | undefined, severity: Severity | undefined): void {
  const id = identityNodeId(identity);
  nodes.set(id, {
    id,
    kind: "identity",
    label: identity.displayName,
    detail: [
      identity.kind === "application" ? "app registration" : "managed identity",
      `client ID: ${identity.appId}`,
      `${identity.kind === "application" ? "object ID" : "principal ID"}: ${identity.objectId}`,
      ...(identity.kind === "application" ? [`service principal: ${identity.principalId ?? "not found"}`] : []),
      `role assignments: ${identity.grants.length}`,
      ...(production ? [`production: ${production}`] : []),
    ],
    ...optional(production, severity),
  });
}

function addScopeAndGrant(
  graph: TrustGraph,
  environments: EnvironmentClassifier,
  sev: FindingIndex,
  nodes: Map<string, TrustMapNode>,
  addEdge: (e: TrustMapEdge) => void,
  identity: Identity,
  grant: Grant,
): void {
  const reach = grantReach(grant, environments);
  const { scope, production } = reach;
  const id = scopeNodeId(scope);
  if (!nodes.has(id)) {
    nodes.set(id, {
      id,
      kind: "scope",
      label: scopeLabel(graph, scope),
      detail: [scope, describeScope(graph, scope), ...(production ? [`production: ${production}`] : [])],
      group: subscriptionName(graph, scope) ?? ABOVE_SUBSCRIPTIONS,
      ...optional(production, sev.scope(scope)),
    });
  }
  const label = `${reach.roleName}${grant.viaGroup ? ` (via group ${grant.viaGroup.displayName})` : ""}${grant.conditional ? " (conditional)" : ""}`;
  addEdge({ from: identityNodeId(identity), to: id, kind: "grants", label, ...(reach.readOnly ? { readOnly: true } : {}), ...optional(production, sev.grant(identity, scope)) });
}

/** The short name of a scope for a node label. */
function scopeLabel(graph: TrustGraph, scope: string): string {
  const s = normalizeScope(scope);
  const kind = scopeKind(s);
  if (kind === "root") return "/ (tenant root)";
  if (kind === "managementGroup") {
    const name = managementGroupName(s)!;
    return graph.inventory.azure?.managementGroups.find((m) => managementGroupName(m.id) === name)?.displayName ?? name;
  }
  if (kind === "subscription") return subscriptionName(graph, s) ?? s;
  return scope.trim().replace(/\/+$/, "").split("/").pop() ?? s;
}

/**
 * Why the identity reaches production, from its most telling production grant (one that can
 * change things, at a production scope rather than above one), chosen independently of the
 * inventory's order.
 */
function identityProductionReason(graph: TrustGraph, environments: EnvironmentClassifier, grants: Grant[]): string | undefined {
  let best: { rank: string; reason: string } | undefined;
  for (const g of grants) {
    const r = grantReach(g, environments);
    if (!r.production) continue;
    const rank = `${productionVerdict(environments, r.scope).production ? 0 : 1}${r.readOnly ? 1 : 0}${normalizeScope(r.scope)}\u0000${r.roleName}`;
    if (!best || rank < best.rank) best = { rank, reason: `'${r.roleName}' at ${describeScope(graph, r.scope)}: ${r.production}` };
  }
  return best?.reason;
}

/**
 * The highest severity of the unsuppressed findings naming each thing, matched
 * case-insensitively: pipelines by UUID, identities by kind and client ID, credentials by their
 * identity and name, scopes by normalised ARM ID (exactly: a finding about a storage account does
 * not colour its resource group).
 */
class FindingIndex {
  private readonly map = new Map<string, Severity>();

  constructor(findings: Finding[]) {
    for (const f of findings) {
      if (f.suppression) continue;
      const p = f.pipeline ? f.pipeline.uuid.toLowerCase() : undefined;
      const i = f.identity ? `${f.identity.kind}:${f.identity.appId.toLowerCase()}` : undefined;
      const c = f.credential && i ? `${i}|${f.credential.name.toLowerCase()}` : undefined;
      const s = f.scope ? normalizeScope(f.scope) : undefined;
      if (p) this.bump(`p|${p}`, f.severity);
      if (i) this.bump(`i|${i}`, f.severity);
      if (s) this.bump(`s|${s}`, f.severity);
      if (c) {
        this.bump(`c|${c}`, f.severity);
        // A finding about a credential and no pipeline is about every pipeline that can use it.
        this.bump(p ? `cp|${c}|${p}` : `c*|${c}`, f.severity);
      } else if (i && p) this.bump(`ip|${i}|${p}`, f.severity);
      if (i && s) this.bump(`is|${i}|${s}`, f.severity);
    }
  }

  private bump(key: string, s: Severity): void {
    const old = this.map.get(key);
    if (!old || severityRank(s) < severityRank(old)) this.map.set(key, s);
  }

  private max(...keys: string[]): Severity | undefined {
    let best: Severity | undefined;
    for (const k of keys) {
      const s = this.map.get(k);
      if (s && (!best || severityRank(s) < severityRank(best))) best = s;
    }
    return best;
  }

  pipeline(uuid: string) {
    return this.max(`p|${uuid.toLowerCase()}`);
  }

  identity(identity: Identity) {
    return this.max(`i|${identity.key}`);
  }

  credential(identity: Identity, name: string) {
    return this.max(`c|${identity.key}|${name.toLowerCase()}`);
  }

  scope(scope: string) {
    return this.max(`s|${normalizeScope(scope)}`);
  }

  canMint(p: BuildkitePipeline, identity: Identity, name: string) {
    const c = `${identity.key}|${name.toLowerCase()}`;
    const u = p.uuid.toLowerCase();
    return this.max(`cp|${c}|${u}`, `c*|${c}`, `ip|${identity.key}|${u}`);
  }

  grant(identity: Identity, scope: string) {
    return this.max(`is|${identity.key}|${normalizeScope(scope)}`);
  }
}
