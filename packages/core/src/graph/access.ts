/**
 * Access queries over the trust graph: who can log in as whom, what an identity may do at a
 * scope, and the blast radius of a pipeline, an identity or a scope. `trustscope explain-access`,
 * the trust map and custom rules all ask these, so they are answered once, here. Every function
 * is pure: it reads the graph and the classifier and returns data.
 *
 * Path of a login: pipeline --mints a token for--> federated credential --unlocks--> identity
 * --holds--> role assignments (grants) at Azure scopes.
 */
import { isReadOnlyRole, roleDefinitionGuid, type Grant } from "../azure/rbac.ts";
import { managementGroupName, normalizeScope, scopeKind, subscriptionOf } from "../azure/scope.ts";
import type { BuildkitePipeline, RoleDefinition, RolePermission } from "../model/inventory.ts";
import type { EnvironmentClassifier } from "../policy/environments.ts";
import { pipelinesReaching, type Identity, type PipelineReach, type TrustEdge, type TrustGraph } from "./trust-graph.ts";
import { listSome, otherIssuerEdges } from "./queries.ts";
import { compareText } from "./compare.ts";

/** An identity a pipeline can log in as, with every credential that lets it. */
export interface IdentityReach {
  identity: Identity;
  /** The federated credentials (trust edges) whose subject the pipeline's tokens match. */
  edges: TrustEdge[];
}

/**
 * The identities a pipeline can log in as, each with the credential(s) that let it, in the
 * graph's order. `pipeline` is the pipeline or its UUID (any case). Only credentials with
 * Buildkite's exact issuer can match a token, so near-miss credentials never appear here.
 */
export function identitiesReachableFrom(graph: TrustGraph, pipeline: BuildkitePipeline | string): IdentityReach[] {
  const uuid = (typeof pipeline === "string" ? pipeline : pipeline.uuid).toLowerCase();
  const out = new Map<Identity, TrustEdge[]>();
  for (const edge of graph.edgesByPipeline.get(uuid) ?? []) {
    const list = out.get(edge.identity) ?? [];
    list.push(edge);
    out.set(edge.identity, list);
  }
  return [...out].map(([identity, edges]) => ({ identity, edges }));
}

/** One grant that is in force at a scope, with what its role allows. */
export interface EffectiveGrant {
  grant: Grant;
  /** The role's name, or `unknown role <guid>` when its definition was not collected. */
  roleName: string;
  /** Where the assignment is made (as ARM reports it). */
  assignedAt: string;
  /** `at`: assigned at the scope itself; `above`: inherited from a management group, subscription, … above it. */
  relation: "at" | "above";
  /**
   * The role's permission blocks, unmerged: in Azure RBAC a block's notActions subtract only
   * from that block's actions, never from another role's. Empty when the role is unknown.
   */
  permissions: RolePermission[];
  /** The assignment carries an ABAC condition that may narrow it. */
  conditional: boolean;
  /** True when every action and data action is a read; undefined when the role is unknown. */
  readOnly: boolean | undefined;
}

/**
 * What the identity may do at `scope`: every grant in force there (assigned at the scope or any
 * scope above it, directly or through its groups), each with its own role's permissions. The
 * grants are not merged, because one role's notActions never take away another role's actions;
 * to ask whether an operation is allowed, use `grantsAllowing`, which evaluates per role.
 */
export function effectivePermissions(graph: TrustGraph, identity: Identity, scope: string): EffectiveGrant[] {
  const target = normalizeScope(scope);
  return graph.rbac.grantsAt(identity.grants, scope).map((grant) => ({
    grant,
    roleName: roleNameOf(grant),
    assignedAt: grant.assignment.scope,
    relation: normalizeScope(grant.assignment.scope) === target ? "at" : "above",
    permissions: grant.role?.permissions ?? [],
    conditional: grant.conditional,
    readOnly: grant.role ? isReadOnlyRole(grant.role) : undefined,
  }));
}

/** Whether a scope is production, and why. */
export interface ScopeProduction {
  /** The scope is production: it, or a scope above it, is (`EnvironmentClassifier.scope`). */
  production: boolean;
  /**
   * An assignment at this scope reaches production: the scope is production, or contains a
   * production scope, as a management group above a production subscription does
   * (`EnvironmentClassifier.touchesProduction`). This is what marks grants and the trust map.
   */
  touchesProduction: boolean;
  /** The fact that decided it (the scope's own reason first); undefined when neither holds. */
  reason?: string;
}

/**
 * Whether `scope` is production and why. Both questions are answered: `production` for the scope
 * itself (or a production scope above it), and `touchesProduction` for what an assignment there
 * reaches, which is the one that matters for access.
 */
export function productionVerdict(environments: EnvironmentClassifier, scope: string): ScopeProduction {
  const own = environments.scope(scope);
  if (own.production) return { production: true, touchesProduction: true, reason: own.reason ?? "production" };
  const touches = environments.touchesProduction(scope);
  return touches.production ? { production: false, touchesProduction: true, reason: touches.reason ?? "contains production" } : { production: false, touchesProduction: false };
}

/** A grant in a blast radius: what it is, what it allows in short, and whether it reaches production. */
export interface GrantReach {
  grant: Grant;
  roleName: string;
  /** The assignment's scope. */
  scope: string;
  /** Only reads; false when the role is unknown (its power cannot be bounded). */
  readOnly: boolean;
  /** What the role allows, in short (see {@link describeRoleAccess}). */
  allows: string;
  /** Why an assignment at this scope reaches production; undefined when it does not. */
  production?: string;
}

// Per classifier and grant: the rules, the trust map and the blast radius ask about the same
// grants over and over. Weak keys: a scan's cache goes with its graph and classifier.
const reachCache = new WeakMap<EnvironmentClassifier, WeakMap<Grant, GrantReach>>();

/**
 * The grant, with its role summarised and its production verdict (`touchesProduction`). Worked
 * out once per grant and classifier: later calls return the same object, so treat it as read-only.
 */
export function grantReach(grant: Grant, environments: EnvironmentClassifier): GrantReach {
  let cache = reachCache.get(environments);
  if (!cache) {
    cache = new WeakMap();
    reachCache.set(environments, cache);
  }
  let reach = cache.get(grant);
  if (!reach) {
    const v = productionVerdict(environments, grant.assignment.scope);
    reach = {
      grant,
      roleName: roleNameOf(grant),
      scope: grant.assignment.scope,
      readOnly: grant.role ? isReadOnlyRole(grant.role) : false,
      allows: describeRoleAccess(grant.role),
      ...(v.touchesProduction ? { production: v.reason } : {}),
    };
    cache.set(grant, reach);
  }
  return reach;
}

/** A grant whose scope touches production, with the fact that makes it so. */
export interface ProductionGrant {
  grant: Grant;
  reason: string;
  readOnly: boolean;
}

/** Grants of the identity whose scope is, or contains, a production scope (see {@link grantReach}). */
export function productionGrants(identity: Identity, environments: EnvironmentClassifier): ProductionGrant[] {
  const out: ProductionGrant[] = [];
  for (const grant of identity.grants) {
    const { production, readOnly } = grantReach(grant, environments);
    if (production) out.push({ grant, reason: production, readOnly });
  }
  return out;
}

/** A login path from a pipeline: one credential, the identity it unlocks, and that identity's grants. */
export interface PipelineAccessPath {
  edge: TrustEdge;
  identity: Identity;
  grants: GrantReach[];
}

export interface PipelineBlastRadius {
  kind: "pipeline";
  pipeline: BuildkitePipeline;
  /** Why the pipeline itself is production; undefined when it is not. */
  production?: string;
  /** One entry per credential the pipeline's tokens match. */
  paths: PipelineAccessPath[];
}

export interface IdentityBlastRadius {
  kind: "identity";
  identity: Identity;
  /** Buildkite-issued (or near-miss) credentials on the identity, including ones that reach no pipeline. */
  credentials: TrustEdge[];
  /** Pipelines that can log in as it, each with its own production verdict. */
  pipelines: (PipelineReach & { production?: string })[];
  grants: GrantReach[];
}

/** How a grant relates to the scope asked about. */
export type ScopeRelation = "at" | "above" | "below";

/** An identity that pipelines can log in as, and one of its grants that reaches the scope. */
export interface ScopeReach {
  identity: Identity;
  grant: GrantReach;
  /**
   * `at` the scope, inherited from `above` it (full reach), or `below` it: assigned at a scope
   * inside it, so only that part of the scope is reached (partial).
   */
  relation: ScopeRelation;
  pipelines: PipelineReach[];
  /** The identity's credentials of other issuers (GitHub, a cluster, …) that can match a token: their workloads reach the scope too. */
  otherWorkloads: TrustEdge[];
}

export interface ScopeBlastRadius {
  kind: "scope";
  /** The scope asked about, normalised (lower case, no trailing slash). */
  scope: string;
  production: ScopeProduction;
  /** Ordered: grants at the scope, then from above, then partial ones from below; then by identity. */
  reaches: ScopeReach[];
}

export type BlastRadius = PipelineBlastRadius | IdentityBlastRadius | ScopeBlastRadius;

export type AccessTarget =
  | { kind: "pipeline"; pipeline: BuildkitePipeline }
  | { kind: "identity"; identity: Identity }
  | { kind: "scope"; scope: string };

/**
 * If this pipeline is compromised, what can it touch: each credential its tokens match, the
 * identity that credential unlocks, and that identity's grants.
 */
export function pipelineBlastRadius(graph: TrustGraph, environments: EnvironmentClassifier, pipeline: BuildkitePipeline): PipelineBlastRadius {
  const paths = identitiesReachableFrom(graph, pipeline).flatMap(({ identity, edges }) => {
    const grants = identityGrants(identity, environments);
    return edges.map((edge) => ({ edge, identity, grants }));
  });
  const v = environments.pipeline(pipeline);
  return { kind: "pipeline", pipeline, ...(v.production ? { production: v.reason ?? "production" } : {}), paths };
}

/** Who can log in as the identity (and through which credential), and what it may do. */
export function identityBlastRadius(graph: TrustGraph, environments: EnvironmentClassifier, identity: Identity): IdentityBlastRadius {
  const pipelines = pipelinesReaching(identity).map((r) => {
    const v = environments.pipeline(r.pipeline);
    return { ...r, ...(v.production ? { production: v.reason ?? "production" } : {}) };
  });
  return { kind: "identity", identity, credentials: [...identity.credentials], pipelines, grants: identityGrants(identity, environments) };
}

const RELATION_ORDER: Record<ScopeRelation, number> = { at: 0, above: 1, below: 2 };

/**
 * Which pipelines and other issuers' workloads can reach `scope`: through grants at the scope, at
 * scopes above it (full reach), and at scopes inside it (partial reach, marked `below`). Identities
 * nothing can log in as are left out. Linear in the grants of the federated identities.
 */
export function scopeBlastRadius(graph: TrustGraph, environments: EnvironmentClassifier, scope: string): ScopeBlastRadius {
  const target = normalizeScope(scope);
  const tree = graph.rbac.scopes;
  const reaches: ScopeReach[] = [];
  for (const identity of graph.identities) {
    if (identity.credentials.length === 0 || identity.grants.length === 0) continue;
    let pipelines: PipelineReach[] | undefined;
    let otherWorkloads: TrustEdge[] = [];
    for (const grant of identity.grants) {
      const at = normalizeScope(grant.assignment.scope);
      const relation: ScopeRelation | undefined = at === target ? "at" : tree.covers(at, target) ? "above" : tree.covers(target, at) ? "below" : undefined;
      if (!relation) continue;
      if (!pipelines) {
        pipelines = pipelinesReaching(identity);
        otherWorkloads = otherIssuerEdges(identity);
      }
      if (pipelines.length === 0 && otherWorkloads.length === 0) break;
      reaches.push({ identity, grant: grantReach(grant, environments), relation, pipelines, otherWorkloads });
    }
  }
  reaches.sort((a, b) => RELATION_ORDER[a.relation] - RELATION_ORDER[b.relation] || compareText(a.identity.displayName, b.identity.displayName) || compareText(a.identity.key, b.identity.key));
  return { kind: "scope", scope: target, production: productionVerdict(environments, target), reaches };
}

/** The blast radius of any target (see the three functions it dispatches to). */
export function blastRadius(graph: TrustGraph, environments: EnvironmentClassifier, target: AccessTarget): BlastRadius {
  if (target.kind === "pipeline") return pipelineBlastRadius(graph, environments, target.pipeline);
  if (target.kind === "identity") return identityBlastRadius(graph, environments, target.identity);
  return scopeBlastRadius(graph, environments, target.scope);
}

/**
 * The targets `query` names exactly: a pipeline by UUID, slug or `org/slug`; an identity by
 * client ID, object ID, service principal ID or display name; a scope by full ARM ID (of a known
 * subscription, management group or assigned scope), subscription ID or name, or management
 * group name. Case-insensitive. A `pipeline:`, `identity:` or `scope:` prefix restricts the kind.
 * More than one result means the query is ambiguous.
 */
export function findAccessTargets(graph: TrustGraph, query: string): AccessTarget[] {
  const { kind, text } = splitKind(query);
  const q = text.trim().toLowerCase();
  if (!q) return [];
  const out: AccessTarget[] = [];
  const bk = graph.inventory.buildkite;
  if (!kind || kind === "pipeline") {
    const org = bk?.organization.slug.toLowerCase();
    for (const p of bk?.pipelines ?? []) {
      const slug = p.slug.toLowerCase();
      if (p.uuid.toLowerCase() === q || slug === q || `${org}/${slug}` === q) out.push({ kind: "pipeline", pipeline: p });
    }
  }
  if (!kind || kind === "identity") {
    for (const identity of graph.identities) {
      const names = [identity.appId, identity.objectId, identity.principalId, identity.displayName];
      if (names.some((n) => n?.toLowerCase() === q)) out.push({ kind: "identity", identity });
    }
  }
  if (!kind || kind === "scope") {
    const scopes = q.startsWith("/") ? (isKnownScope(graph, q) ? [normalizeScope(q)] : []) : (graph.scopesByName.get(q) ?? []);
    for (const scope of scopes) out.push({ kind: "scope", scope });
  }
  return out;
}

/** Up to `max` targets whose names contain `query` (for "did you mean" lists), as display strings. */
export function suggestAccessTargets(graph: TrustGraph, query: string, max = 5): string[] {
  const q = splitKind(query).text.trim().toLowerCase();
  if (!q) return [];
  const out: string[] = [];
  const add = (names: (string | undefined)[], shown: string) => {
    if (out.length < max && names.some((n) => n?.toLowerCase().includes(q))) out.push(shown);
  };
  for (const p of graph.inventory.buildkite?.pipelines ?? []) add([p.slug, p.name, p.uuid], `pipeline ${p.slug}`);
  for (const i of graph.identities) add([i.displayName, i.appId, i.objectId], `identity ${i.displayName} (client ID ${i.appId})`);
  for (const s of graph.inventory.azure?.subscriptions ?? []) add([s.displayName, s.subscriptionId], `scope /subscriptions/${s.subscriptionId} (${s.displayName})`);
  return out;
}

/** How a target is shown in lists: `pipeline acme/deploy (uuid)`, `identity deployer (client ID …)`, `scope /subscriptions/…`. */
export function describeAccessTarget(graph: TrustGraph, target: AccessTarget): string {
  if (target.kind === "pipeline") return `pipeline ${graph.inventory.buildkite?.organization.slug ?? "?"}/${target.pipeline.slug} (${target.pipeline.uuid})`;
  if (target.kind === "identity") return `identity '${target.identity.displayName}' (${target.identity.kind === "application" ? "app registration" : "managed identity"}, client ID ${target.identity.appId})`;
  return `scope ${target.scope} (${describeScope(graph, target.scope)})`;
}

/**
 * A scope in words: `subscription 'Contoso-Prod'`, `resource group 'rg-app' in subscription
 * 'Contoso-Prod'`, `management group 'Platform'`, `tenant root`, or `storageAccounts 'name'`.
 */
export function describeScope(graph: TrustGraph, scope: string): string {
  const kind = scopeKind(scope);
  if (kind === "root") return "tenant root";
  const name = `'${scopeLabel(graph, scope)}'`;
  if (kind === "managementGroup") return `management group ${name}`;
  if (kind === "subscription") return `subscription ${name}`;
  const sub = subscriptionName(graph, scope);
  const where = sub ? ` in subscription '${sub}'` : "";
  if (kind === "resourceGroup") return `resource group ${name}${where}`;
  const path = scopePath(scope);
  return `${path[path.length - 2] ?? "resource"} ${name}${where}`;
}

/**
 * A scope's short name, as trust map nodes show it: a management group's or subscription's
 * display name (its name or ID when not collected), a resource group's or resource's own name
 * (as written), or `/ (tenant root)`.
 */
export function scopeLabel(graph: TrustGraph, scope: string): string {
  const s = normalizeScope(scope);
  const kind = scopeKind(s);
  if (kind === "root") return "/ (tenant root)";
  if (kind === "managementGroup") {
    const name = managementGroupName(s)!;
    return graph.managementGroupsByName.get(name)?.displayName ?? name;
  }
  if (kind === "subscription") return subscriptionName(graph, s) ?? s;
  return scopePath(scope).pop() ?? s;
}

/** The display name of the scope's subscription (its ID when not collected). */
export function subscriptionName(graph: TrustGraph, scope: string): string | undefined {
  const id = subscriptionOf(scope);
  if (!id) return undefined;
  return graph.subscriptionsById.get(id)?.displayName ?? id;
}

/** The scope's segments as written (case kept for names), without trailing slashes. */
function scopePath(scope: string): string[] {
  return scope.trim().replace(/\/+$/, "").split("/");
}

/**
 * What a role allows, in short: `all actions`, `all actions except Microsoft.Authorization/*\/Write,
 * …`, `read (3 actions)`, or the actions themselves, with data actions after a `;`. Blocks are
 * summarised separately (their notActions apply to themselves only).
 */
export function describeRoleAccess(role: RoleDefinition | undefined): string {
  if (!role) return "unknown (the role definition was not collected)";
  const parts: string[] = [];
  for (const p of role.permissions) {
    const control = describePatterns(p.actions, p.notActions, "actions");
    const data = describePatterns(p.dataActions, p.notDataActions, "data actions");
    if (control) parts.push(control);
    if (data) parts.push(data);
  }
  return parts.length ? parts.join("; ") : "nothing";
}

function describePatterns(allow: string[], deny: string[], what: string): string | undefined {
  if (allow.length === 0) return undefined;
  const except = deny.length ? ` except ${listSome(deny, 3)}` : "";
  if (allow.some((a) => a.trim() === "*")) return `all ${what}${except}`;
  if (allow.every((a) => /\/read$/i.test(a))) return `read ${what === "actions" ? "" : "data "}(${listSome(allow, 3)})${except}`;
  return `${what === "actions" ? "" : "data: "}${listSome(allow, 3)}${except}`;
}


function roleNameOf(grant: Grant): string {
  return grant.role?.roleName ?? `unknown role ${roleDefinitionGuid(grant.assignment.roleDefinitionId)}`;
}

function identityGrants(identity: Identity, environments: EnvironmentClassifier): GrantReach[] {
  return identity.grants.map((grant) => grantReach(grant, environments));
}

function splitKind(query: string): { kind: AccessTarget["kind"] | undefined; text: string } {
  const m = /^(pipeline|identity|scope):(.*)$/is.exec(query.trim());
  return m ? { kind: m[1]!.toLowerCase() as AccessTarget["kind"], text: m[2]! } : { kind: undefined, text: query };
}

/** A scope worth answering about: the root, a collected management group or subscription (or anything in one), or an assigned scope. */
function isKnownScope(graph: TrustGraph, scope: string): boolean {
  const s = normalizeScope(scope);
  if (s === "/") return true;
  if (scopeKind(s) === "managementGroup") {
    const mg = graph.managementGroupsByName.get(managementGroupName(s)!);
    return mg !== undefined && normalizeScope(mg.id) === s;
  }
  const sub = subscriptionOf(s);
  if (sub && graph.subscriptionsById.has(sub)) return true;
  // One pass per query: an index of every assignment's scope would cost every scan, not just this.
  return (graph.inventory.azure?.roleAssignments ?? []).some((a) => normalizeScope(a.scope) === s);
}
