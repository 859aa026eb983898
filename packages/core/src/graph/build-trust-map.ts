/**
 * Flattens the trust graph into the trust map (see trust-map.ts): pipelines → federated
 * credentials → identities → Azure scopes, each node and edge carrying the highest severity of
 * the unsuppressed findings that name it and, where it applies, why it is production.
 * Deterministic: the same inputs give byte-identical JSON.
 */
import type { Grant } from "../azure/rbac.ts";
import { normalizeScope } from "../azure/scope.ts";
import { severityRank, type Finding, type Severity } from "../model/finding.ts";
import type { BuildkitePipeline } from "../model/inventory.ts";
import type { EnvironmentClassifier } from "../policy/environments.ts";
import { jsonText } from "../report/escape.ts";
import { describeScope, grantReach, productionVerdict, scopeLabel, subscriptionName } from "./access.ts";
import { compareText } from "./compare.ts";
import { identityKey, type Identity, type TrustEdge, type TrustGraph } from "./trust-graph.ts";
import type { WorkloadTrust } from "../issuers/types.ts";
import type { TrustMap, TrustMapEdge, TrustMapEdgeKind, TrustMapNode, TrustMapNodeKind } from "./trust-map.ts";

/** Group of pipelines outside any cluster. */
export const NO_CLUSTER = "(no cluster)";
/** Group of scopes above subscriptions (management groups, the tenant root). */
export const ABOVE_SUBSCRIPTIONS = "(management groups)";

export const pipelineNodeId = (p: Pick<BuildkitePipeline, "uuid">): string => `pipeline:${p.uuid.toLowerCase()}`;
export const workloadNodeId = (t: Pick<WorkloadTrust, "platform" | "workload">): string => `workload:${t.platform}:${t.workload}`;
export const credentialNodeId = (e: Pick<TrustEdge, "anchor">): string => `credential:${e.anchor}`;
export const identityNodeId = (i: Pick<Identity, "key">): string => `identity:${i.key}`;
export const scopeNodeId = (scope: string): string => `scope:${normalizeScope(scope)}`;

export function buildTrustMap(graph: TrustGraph, environments: EnvironmentClassifier, findings: Finding[]): TrustMap {
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
      ...optional(production),
    });
  }

  const identityProduction = new Map<Identity, string | undefined>();
  for (const edge of graph.edges) {
    const identity = edge.identity;
    const identityId = identityNodeId(identity);
    if (!nodes.has(identityId)) {
      const production = identityProductionReason(graph, environments, identity.grants);
      identityProduction.set(identity, production);
      addIdentity(nodes, identity, production);
      for (const grant of identity.grants) addScopeAndGrant(graph, environments, nodes, addEdge, identity, grant);
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
        edge.trust.platform === "buildkite" ? `pipelines that can mint a token for it: ${edge.reach.length}` : `trusts ${edge.trust.label} (${edge.trust.platformName})`,
        ...(edge.trust.problem ? [`matches no token: ${edge.trust.problem}`] : []),
      ],
    });
    const intoProduction = identityProduction.get(identity);
    addEdge({ from: credId, to: identityId, kind: "unlocks", ...(edge.issuerKind === "buildkite-near-miss" ? { label: "near-miss issuer" } : {}), ...optional(intoProduction) });
    for (const p of edge.reach) {
      const production = pipelineProduction.get(p.uuid.toLowerCase()) ?? intoProduction;
      addEdge({ from: pipelineNodeId(p), to: credId, kind: "can-mint", ...(edge.subject ? { label: edge.subject.kind } : {}), ...optional(production) });
    }
    // Another issuer's workload stands where pipelines do; a subject it can never issue mints nothing.
    if (edge.trust.platform !== "buildkite" && !edge.trust.problem) {
      const { id, production } = addWorkload(nodes, environments, edge);
      // The edge is production by what this credential trusts (a pull request is not), else by where it leads.
      addEdge({ from: id, to: credId, kind: "can-mint", label: workloadEdgeLabel(edge.trust), ...optional(production ?? intoProduction) });
    }
  }

  const map: TrustMap = {
    schemaVersion: 1,
    nodes: [...nodes.values()].sort((a, b) => NODE_ORDER[a.kind] - NODE_ORDER[b.kind] || compareText(a.group ?? "", b.group ?? "") || compareText(a.label, b.label) || compareText(a.id, b.id)),
    edges: [...edges.values()].sort((a, b) => EDGE_ORDER[a.kind] - EDGE_ORDER[b.kind] || compareText(a.from, b.from) || compareText(a.to, b.to) || compareText(a.label ?? "", b.label ?? "")),
  };
  markSeverities(map, findings);
  return map;
}

/** The same map as JSON: byte-stable, two-space indented, with a trailing newline; no raw controls a terminal would act on. */
export function renderTrustMapJson(map: TrustMap): string {
  return `${jsonText(map, 2)}\n`;
}

const NODE_ORDER: Record<TrustMapNodeKind, number> = { pipeline: 0, workload: 1, credential: 2, identity: 3, scope: 4 };
const EDGE_ORDER: Record<TrustMapEdgeKind, number> = { "can-mint": 0, unlocks: 1, grants: 2 };

/** Only the optional field that is set, so the JSON carries no `undefined` noise. */
function optional(production: string | undefined): { production?: string } {
  return production ? { production } : {};
}

/** The workload node of another issuer's credential (one per platform and workload), added once. */
function addWorkload(nodes: Map<string, TrustMapNode>, environments: EnvironmentClassifier, edge: TrustEdge): { id: string; production: string | undefined } {
  const t = edge.trust;
  const id = workloadNodeId(t);
  const verdict = environments.workload(t, edge.credential.claimsMatchingExpression?.value ?? edge.credential.subject);
  const production = verdict.production ? (verdict.reason ?? "production") : undefined;
  const existing = nodes.get(id);
  if (existing) {
    // Several credentials may trust one repository: it is production when any of them says so.
    if (!existing.production && production) {
      existing.production = production;
      existing.detail.push(`production: ${production}`);
    }
    return { id, production };
  }
  nodes.set(id, {
    id,
    kind: "workload",
    label: t.workload,
    detail: [`${t.platformName}: ${t.workload}`, `issuer: ${edge.credential.issuer}`, ...(production ? [`production: ${production}`] : [])],
    group: t.platformName,
    ...optional(production),
  });
  return { id, production };
}

/** What of the workload a credential trusts, short: `pull_request`, `environment:production`, `expression`. */
function workloadEdgeLabel(t: WorkloadTrust): string {
  if (t.expression && t.wide) return "expression";
  const c = t.github?.context;
  if (c) return c.kind === "pull_request" ? "pull_request" : c.kind === "other" ? (c.value ?? "other") : `${c.kind}:${c.value ?? ""}`;
  if (t.gitlab?.ref) return `${t.gitlab.refType ?? "ref"}:${t.gitlab.ref}`;
  if (t.terraformCloud?.runPhase) return `run_phase:${t.terraformCloud.runPhase}`;
  if (t.kubernetes) return `serviceaccount:${t.kubernetes.serviceAccount}`;
  return t.platform;
}

function addIdentity(nodes: Map<string, TrustMapNode>, identity: Identity, production: string | undefined): void {
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
    ...optional(production),
  });
}

function addScopeAndGrant(
  graph: TrustGraph,
  environments: EnvironmentClassifier,
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
      ...optional(production),
    });
  }
  const label = `${reach.roleName}${grant.viaGroup ? ` (via group ${grant.viaGroup.displayName})` : ""}${grant.conditional ? " (conditional)" : ""}`;
  addEdge({ from: identityNodeId(identity), to: id, kind: "grants", label, ...(reach.readOnly ? { readOnly: true } : {}), ...optional(production) });
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

// ---------------------------------------------------------------------------------------------
// Findings on the map: which nodes a finding names. The map's colours, the HTML report's
// details panel and explain-access all ask this, so it is answered here only.

/** The map nodes a finding names. */
export interface FindingNodeIds {
  /** The node id of its pipeline, identity and scope, whether or not the map holds them. */
  pipeline?: string;
  identity?: string;
  scope?: string;
  /**
   * Set when the finding names a credential: the credential nodes of the map it is about (none
   * when the map does not hold it). The finding's `anchor` decides when it points at a
   * federated credential; otherwise the credential's name on the finding's identity, in any case.
   */
  credentials?: string[];
}

/** The pipeline, identity and scope node ids a finding names by its own fields (the credential needs a map: see {@link findingNodeIds}). */
export function findingSubjectIds(f: Finding): Omit<FindingNodeIds, "credentials"> {
  return {
    ...(f.pipeline ? { pipeline: pipelineNodeId(f.pipeline) } : {}),
    ...(f.identity ? { identity: identityNodeId({ key: identityKey(f.identity) }) } : {}),
    ...(f.scope ? { scope: scopeNodeId(f.scope) } : {}),
  };
}

/** JSON pointers of federated credentials, which are the ids of the map's credential nodes (after `credential:`). */
const CREDENTIAL_POINTER = /\/federatedIdentityCredentials\/\d+$/;

/** Resolves findings to the nodes of `map` they name (see {@link FindingNodeIds}). */
export function findingNodeIds(map: Pick<TrustMap, "nodes" | "edges">): (f: Finding) => FindingNodeIds {
  const credentialIds = new Set<string>();
  const credentialsOf = new Map<string, { id: string; name: string }[]>();
  const labels = new Map(map.nodes.map((n) => [n.id, n.label]));
  for (const e of map.edges) {
    if (e.kind !== "unlocks") continue;
    credentialIds.add(e.from);
    const list = credentialsOf.get(e.to) ?? [];
    list.push({ id: e.from, name: (labels.get(e.from) ?? "").toLowerCase() });
    credentialsOf.set(e.to, list);
  }
  return (f) => {
    const ids: FindingNodeIds = findingSubjectIds(f);
    if (!f.credential) return ids;
    if (f.anchor !== undefined && CREDENTIAL_POINTER.test(f.anchor)) {
      const id = credentialNodeId({ anchor: f.anchor });
      ids.credentials = credentialIds.has(id) ? [id] : [];
    } else {
      const name = f.credential.name.toLowerCase();
      ids.credentials = ids.identity ? (credentialsOf.get(ids.identity) ?? []).filter((c) => c.name === name).map((c) => c.id) : [];
    }
    return ids;
  };
}

/** The ids of the nodes of `map` a finding names: its pipeline, identity, scope and credential, those the map holds. */
export function findingNodes(map: Pick<TrustMap, "nodes" | "edges">): (f: Finding) => string[] {
  const resolve = findingNodeIds(map);
  const held = new Set(map.nodes.map((n) => n.id));
  return (f) => {
    const n = resolve(f);
    return [...new Set([n.pipeline, n.identity, n.scope, ...(n.credentials ?? [])])].filter((id): id is string => id !== undefined && held.has(id));
  };
}

/**
 * Marks each node and edge with the highest severity of the unsuppressed findings naming it:
 * a node when the finding names it; an `unlocks` edge by its credential; a `can-mint` edge by
 * its credential together with its pipeline (a credential finding that names no pipeline is
 * about every pipeline that can use it), or, for a finding that names no credential, by the
 * credential's identity together with the pipeline; a `grants` edge by its identity together
 * with its scope (exactly: a finding about a storage account does not colour its resource group).
 */
function markSeverities(map: TrustMap, findings: Finding[]): void {
  const resolve = findingNodeIds(map);
  const worse = (a: Severity | undefined, b: Severity | undefined) => (!a ? b : !b || severityRank(a) <= severityRank(b) ? a : b);
  const worst = new Map<string, Severity>();
  const bump = (key: string | undefined, s: Severity) => {
    if (key !== undefined) worst.set(key, worse(worst.get(key), s)!);
  };
  const pair = (a: string | undefined, b: string | undefined) => (a === undefined || b === undefined ? undefined : `${a}\u0000${b}`);
  const ANY_PIPELINE = "*";
  for (const f of findings) {
    if (f.suppression) continue;
    const n = resolve(f);
    for (const id of [n.pipeline, n.identity, n.scope, ...(n.credentials ?? [])]) bump(id, f.severity);
    for (const c of n.credentials ?? []) bump(pair(c, n.pipeline ?? ANY_PIPELINE), f.severity);
    if (!n.credentials) bump(pair(n.identity, n.pipeline), f.severity);
    bump(pair(n.identity, n.scope), f.severity);
  }
  const unlocked = new Map(map.edges.filter((e) => e.kind === "unlocks").map((e) => [e.from, e.to]));
  const highest = (...keys: (string | undefined)[]) => keys.reduce<Severity | undefined>((best, k) => worse(best, k === undefined ? undefined : worst.get(k)), undefined);
  for (const node of map.nodes) {
    const s = worst.get(node.id);
    if (s) node.severity = s;
  }
  for (const e of map.edges) {
    const s =
      e.kind === "unlocks" ? highest(e.from)
      : e.kind === "can-mint" ? highest(pair(e.to, e.from), pair(e.to, ANY_PIPELINE), pair(unlocked.get(e.to), e.from))
      : highest(pair(e.from, e.to));
    if (s) e.severity = s;
  }
}
