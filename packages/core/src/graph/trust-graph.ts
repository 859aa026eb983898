/**
 * The trust graph joins the three sides: for every federated credential, which pipelines can
 * mint a token it accepts, which identity it unlocks, and what that identity may do in Azure.
 */
import type {
  AzureManagementGroup,
  AzureSubscription,
  BuildkitePipeline,
  CoverageGap,
  EntraApplication,
  FederatedCredential,
  Inventory,
  ManagedIdentity,
} from "../model/inventory.ts";
import type { FindingCredential, FindingIdentity } from "../model/finding.ts";
import { RbacIndex, roleDefinitionGuid, type Grant } from "../azure/rbac.ts";
import { managementGroupName, normalizeScope } from "../azure/scope.ts";
import {
  BuildkiteIndex,
  classifyIssuer,
  readPipelineOidcUse,
  resolveWithoutInventory,
  type IssuerKind,
  type PipelineOidcUse,
  type SubjectResolution,
} from "../buildkite/oidc.ts";
import { readTrust } from "../issuers/read-trust.ts";
import type { WorkloadTrust } from "../issuers/types.ts";

export interface Identity {
  /** Stable key: `application:<appId>` or `managedIdentity:<clientId>`, lower-cased (see {@link identityKey}). */
  key: string;
  kind: "application" | "managedIdentity";
  appId: string;
  /** Application object ID, or the managed identity's principal ID. */
  objectId: string;
  displayName: string;
  /** Object ID of the service principal that role assignments name; undefined if unknown. */
  principalId: string | undefined;
  application?: EntraApplication;
  managedIdentity?: ManagedIdentity;
  credentials: TrustEdge[];
  /** Every role assignment the identity holds, directly or through groups. */
  grants: Grant[];
  /** JSON pointer to the identity in the inventory. */
  anchor: string;
}

export interface TrustEdge {
  identity: Identity;
  credential: FederatedCredential;
  /** Buildkite's issuer, a near miss of it, or another issuer (see `trust.platform` for which). */
  issuerKind: IssuerKind;
  /** What the credential trusts, whatever its issuer: platform, workload, subject problems. */
  trust: WorkloadTrust;
  /**
   * Undefined when nothing can be resolved: the Buildkite side was not collected, or the
   * credential matches by `claimsMatchingExpression` rather than a subject.
   */
  subject: SubjectResolution | undefined;
  /** Pipelines that can mint a token this credential accepts (empty for a near-miss issuer's intent, see `intendedReach`). */
  reach: BuildkitePipeline[];
  /** JSON pointer to the credential in the inventory. */
  anchor: string;
}

export interface TrustGraph {
  inventory: Inventory;
  identities: Identity[];
  /** Every federated credential, whatever its issuer (Buildkite's are the ones with `reach`). */
  edges: TrustEdge[];
  rbac: RbacIndex;
  buildkite: BuildkiteIndex | undefined;
  /** Facts from each pipeline's steps YAML, by lower-cased pipeline UUID. */
  pipelineUse: Map<string, PipelineOidcUse>;
  /** Edges whose tokens can reach the pipeline, by lower-cased pipeline UUID. */
  edgesByPipeline: Map<string, TrustEdge[]>;
  /** Client IDs of every identity in the inventory (lower-cased). */
  clientIds: Set<string>;
  // Scope lookups by name, built once: describing the scopes of every grant on the trust map
  // must not scan the inventory's lists per grant.
  /** Subscriptions by lower-cased subscription ID (the first of each ID). */
  subscriptionsById: Map<string, AzureSubscription>;
  /** Management groups by lower-cased name, the last segment of their ID (the first of each name). */
  managementGroupsByName: Map<string, AzureManagementGroup>;
  /**
   * Normalised subscription and management group scopes by lower-cased subscription ID,
   * management group name, or display name; in inventory order, subscriptions first.
   */
  scopesByName: Map<string, string[]>;
  /** What the graph could not evaluate: these make the scan incomplete. */
  gaps: CoverageGap[];
}

export function buildTrustGraph(inventory: Inventory): TrustGraph {
  const rbac = new RbacIndex(inventory);
  const buildkite = inventory.buildkite ? new BuildkiteIndex(inventory.buildkite) : undefined;
  const spByAppId = new Map((inventory.entra?.servicePrincipals ?? []).map((sp) => [sp.appId.toLowerCase(), sp]));

  const identities: Identity[] = [];
  (inventory.entra?.applications ?? []).forEach((app, i) => {
    const sp = spByAppId.get(app.appId.toLowerCase());
    identities.push({
      key: identityKey({ kind: "application", appId: app.appId }),
      kind: "application",
      appId: app.appId,
      objectId: app.objectId,
      displayName: app.displayName,
      principalId: sp?.objectId,
      application: app,
      credentials: [],
      grants: sp ? rbac.grantsOf(sp.objectId) : [],
      anchor: `/entra/applications/${i}`,
    });
  });
  (inventory.azure?.managedIdentities ?? []).forEach((mi, i) => {
    identities.push({
      key: identityKey({ kind: "managedIdentity", appId: mi.clientId }),
      kind: "managedIdentity",
      appId: mi.clientId,
      objectId: mi.principalId,
      displayName: mi.name,
      principalId: mi.principalId,
      managedIdentity: mi,
      credentials: [],
      grants: rbac.grantsOf(mi.principalId),
      anchor: `/azure/managedIdentities/${i}`,
    });
  });

  const edges: TrustEdge[] = [];
  const edgesByPipeline = new Map<string, TrustEdge[]>();
  for (const identity of identities) {
    credentialsOf(identity).forEach((credential, j) => {
      const issuerKind = classifyIssuer(credential.issuer);
      // A credential that matches by expression has no subject to resolve, and Entra accepts
      // expressions from no Buildkite issuer: it reaches nobody. Other issuers' subjects name
      // workloads outside Buildkite (see `trust`).
      const subject =
        issuerKind === "other" || credential.claimsMatchingExpression ? undefined : buildkite ? buildkite.resolve(credential.subject) : resolveWithoutInventory(credential.subject);
      // A near-miss issuer never matches a token: the credential reaches nobody.
      const matchable = issuerKind === "buildkite" && subject && !subject.caseMismatch && !subject.compound?.hasWildcard;
      const reach = buildkite && matchable ? buildkite.reach(subject) : [];
      const edge: TrustEdge = {
        identity,
        credential,
        issuerKind,
        trust: readTrust(credential),
        subject,
        reach,
        anchor: credentialAnchor(identity, j),
      };
      identity.credentials.push(edge);
      edges.push(edge);
      for (const p of reach) {
        const key = p.uuid.toLowerCase();
        // Pushed in place: an organisation-wide credential reaches every pipeline.
        const list = edgesByPipeline.get(key);
        if (list) list.push(edge);
        else edgesByPipeline.set(key, [edge]);
      }
    });
  }

  const pipelineUse = new Map<string, PipelineOidcUse>();
  for (const p of inventory.buildkite?.pipelines ?? []) {
    const use = readPipelineOidcUse(p.stepsYaml);
    if (use) pipelineUse.set(p.uuid.toLowerCase(), use);
  }

  // An assignment whose role definition was not collected cannot be judged: say so.
  const gaps: CoverageGap[] = [];
  const missing = new Set<string>();
  for (const identity of identities) {
    for (const g of identity.grants) {
      const guid = roleDefinitionGuid(g.assignment.roleDefinitionId);
      if (g.role || missing.has(guid)) continue;
      missing.add(guid);
      gaps.push({
        source: "arm",
        scope: g.assignment.scope,
        error: `role definition ${guid} (used by assignment ${g.assignment.id}) is not in the inventory, so its permissions could not be evaluated`,
      });
    }
  }
  const clientIds = new Set(identities.map((i) => i.appId.toLowerCase()));
  return { inventory, identities, edges, rbac, buildkite, pipelineUse, edgesByPipeline, clientIds, gaps, ...scopeIndexes(inventory) };
}

function scopeIndexes(inventory: Inventory): Pick<TrustGraph, "subscriptionsById" | "managementGroupsByName" | "scopesByName"> {
  const az = inventory.azure;
  const subscriptionsById = new Map<string, AzureSubscription>();
  const managementGroupsByName = new Map<string, AzureManagementGroup>();
  const scopesByName = new Map<string, string[]>();
  const name = (key: string, scope: string) => {
    const list = scopesByName.get(key);
    if (!list) scopesByName.set(key, [scope]);
    else if (!list.includes(scope)) list.push(scope);
  };
  for (const s of az?.subscriptions ?? []) {
    const id = s.subscriptionId.toLowerCase();
    if (!subscriptionsById.has(id)) subscriptionsById.set(id, s);
    const scope = normalizeScope(`/subscriptions/${s.subscriptionId}`);
    name(id, scope);
    name(s.displayName.toLowerCase(), scope);
  }
  for (const m of az?.managementGroups ?? []) {
    const key = managementGroupName(m.id);
    if (key !== undefined && !managementGroupsByName.has(key)) managementGroupsByName.set(key, m);
    const scope = normalizeScope(m.id);
    name(m.name.toLowerCase(), scope);
    name(m.displayName.toLowerCase(), scope);
  }
  return { subscriptionsById, managementGroupsByName, scopesByName };
}

/**
 * An identity's key, as `Identity.key` and the trust map's identity nodes hold it:
 * `application:<appId>` or `managedIdentity:<clientId>`, lower-cased. Takes an `Identity` or a
 * finding's `FindingIdentity`, so a finding is matched to its identity in one way everywhere.
 */
export function identityKey(identity: Pick<Identity, "kind" | "appId">): string {
  return `${identity.kind}:${identity.appId.toLowerCase()}`;
}

/** The identity's federated credentials, whatever their issuer. */
export function credentialsOf(identity: Identity): FederatedCredential[] {
  return identity.application?.federatedIdentityCredentials ?? identity.managedIdentity?.federatedIdentityCredentials ?? [];
}

/** JSON pointer to the identity's `index`-th federated credential. */
export function credentialAnchor(identity: Pick<Identity, "anchor">, index: number): string {
  return `${identity.anchor}/federatedIdentityCredentials/${index}`;
}

/** A pipeline that can log in as an identity, with every credential that lets it. */
export interface PipelineReach {
  pipeline: BuildkitePipeline;
  /** The federated credentials (trust edges) whose subject the pipeline's tokens match, in the identity's order. */
  edges: TrustEdge[];
  /** The first of `edges`, for evidence that names one credential. */
  edge: TrustEdge;
}

/**
 * The pipelines that can log in as the identity, each once (by UUID, any case) with every
 * credential that lets it; in the order the identity's credentials first reach them.
 */
export function pipelinesReaching(identity: Identity): PipelineReach[] {
  const out = new Map<string, PipelineReach>();
  for (const edge of identity.credentials) {
    for (const pipeline of edge.reach) {
      const key = pipeline.uuid.toLowerCase();
      const r = out.get(key);
      if (r) r.edges.push(edge);
      else out.set(key, { pipeline, edges: [edge], edge });
    }
  }
  return [...out.values()];
}

export function findingIdentity(identity: Identity): FindingIdentity {
  return { kind: identity.kind, appId: identity.appId, objectId: identity.objectId, displayName: identity.displayName };
}

/** The credential as findings show it: an expression credential carries its expression, not an empty subject. */
export function findingCredential(edge: Pick<TrustEdge, "credential">): FindingCredential {
  const c = edge.credential;
  const e = c.claimsMatchingExpression;
  return {
    name: c.name,
    issuer: c.issuer,
    ...(c.subject !== "" || !e ? { subject: c.subject } : {}),
    ...(e ? { claimsMatchingExpression: { value: e.value, languageVersion: e.languageVersion } } : {}),
    audiences: [...c.audiences],
  };
}

export function describeIdentity(identity: Identity): string {
  return identity.kind === "application"
    ? `app registration '${identity.displayName}' (client ID ${identity.appId})`
    : `managed identity '${identity.displayName}' (client ID ${identity.appId})`;
}
