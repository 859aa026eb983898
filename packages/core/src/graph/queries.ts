/**
 * Questions rule authors ask of the trust graph, answered once here so rules stay short.
 */
import { describeGrant, roleAllows, type Grant, type Plane } from "../azure/rbac.ts";
import type { EnvironmentClassifier, Verdict, WorkloadVerdict } from "../policy/environments.ts";
import { pipelinesReaching, type Identity, type PipelineReach, type TrustEdge, type TrustGraph } from "./trust-graph.ts";
import { describeMatch } from "./claims-expression.ts";

/**
 * Grants of the identity that allow `operation` (e.g. `Microsoft.Storage/storageAccounts/write`)
 * at `scope` on the given plane: assigned there or above, directly or through a group, each
 * role's notActions applied to that role only. Conditional grants count as allowing (a condition
 * narrows, it does not remove the access); grants whose role is unknown do not. Whether the
 * identity may do it at all: `.length > 0`.
 */
export function grantsAllowing(graph: TrustGraph, identity: Identity, operation: string, scope: string, plane: Plane = "control"): Grant[] {
  return graph.rbac.grantsAllowing(identity.grants, operation, scope, plane);
}

/** Grants of the identity that allow `operation` anywhere (at the grant's own scope). */
export function grantsWith(identity: Identity, operation: string, plane: Plane = "control"): Grant[] {
  return identity.grants.filter((g) => g.role !== undefined && roleAllows(g.role, operation, plane));
}

/** The pipelines that can log in as the identity, split by environment. */
export function pipelinesByEnvironment(identity: Identity, environments: EnvironmentClassifier): {
  production: (PipelineReach & { verdict: Verdict })[];
  other: PipelineReach[];
} {
  const production: (PipelineReach & { verdict: Verdict })[] = [];
  const other: PipelineReach[] = [];
  for (const r of pipelinesReaching(identity)) {
    const verdict = environments.pipeline(r.pipeline);
    if (verdict.production) production.push({ ...r, verdict });
    else other.push(r);
  }
  return { production, other };
}

/**
 * Identities with at least one federated credential, whatever its issuer: the blast radius of
 * an identity is every token Entra accepts for it, from Buildkite, GitHub, a cluster or anywhere.
 */
export function federatedIdentities(graph: TrustGraph): Identity[] {
  return graph.identities.filter((i) => i.credentials.length > 0);
}

/**
 * The identity's credentials of issuers other than Buildkite's (and its near misses) that can
 * match a token: one whose subject the platform never issues (`trust.problem`) lets nobody in.
 */
const otherEdges = new WeakMap<Identity, TrustEdge[]>();

/** Cached per identity: rules ask once per finding, and an identity may have many credentials. */
export function otherIssuerEdges(identity: Identity): TrustEdge[] {
  let edges = otherEdges.get(identity);
  if (!edges) {
    edges = identity.credentials.filter((e) => e.trust.platform !== "buildkite" && e.trust.problem === undefined);
    otherEdges.set(identity, edges);
  }
  return edges;
}

/**
 * One evidence line naming the workloads outside Buildkite that can log in as the identity, or
 * none when only Buildkite can (so Buildkite-only findings read as before).
 */
export function otherIssuerEvidence(identity: Identity): string[] {
  const other = otherIssuerEdges(identity);
  if (other.length === 0) return [];
  const what = other.map((e) => `${e.trust.platformName}: ${e.trust.label} (credential '${e.credential.name}')`);
  return [`also trusted outside Buildkite: ${listSome(what, 4)}`];
}

/** A workload of another issuer that can log in as an identity, with its environment verdict. */
export interface WorkloadReach {
  edge: TrustEdge;
  verdict: WorkloadVerdict;
}

/** The identity's credentials of other issuers, split into production, known non-production, and unknown. */
export function workloadsByEnvironment(identity: Identity, environments: EnvironmentClassifier): { production: WorkloadReach[]; nonProduction: WorkloadReach[]; unknown: WorkloadReach[] } {
  const out = { production: [] as WorkloadReach[], nonProduction: [] as WorkloadReach[], unknown: [] as WorkloadReach[] };
  for (const edge of otherIssuerEdges(identity)) {
    const verdict = environments.workload(edge.trust, edge.credential.claimsMatchingExpression?.value ?? edge.credential.subject);
    (verdict.production ? out.production : verdict.nonProduction ? out.nonProduction : out.unknown).push({ edge, verdict });
  }
  return out;
}

/** Identities with at least one credential that trusts Buildkite's issuer (whether or not a collected pipeline matches it). */
export function identitiesReachableFromBuildkite(graph: TrustGraph): Identity[] {
  return graph.identities.filter((i) => i.credentials.some((e) => e.issuerKind === "buildkite"));
}

/** Evidence line for a grant. */
export { describeGrant };

/** `a, b, c and 4 more` for evidence lines. */
export function listSome(items: string[], max = 5): string {
  if (items.length <= max) return items.join(", ");
  return `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

/** How a subject reaches pipelines, in words. */
export function describeReach(edge: TrustEdge): string {
  const n = edge.reach.length;
  const subject = edge.subject?.label ?? describeMatch(edge.credential);
  // An organisation the scan knows no pipeline of (a Terraform configuration that declares none) is still every pipeline.
  if (n === 0 && edge.subject?.kind === "organization") return `credential '${edge.credential.name}' trusts ${subject}: every pipeline in it can mint a token for it (the scan knows of none)`;
  return `credential '${edge.credential.name}' trusts ${subject}, which ${n === 1 ? "1 pipeline" : `${n} pipelines`} can mint a token for${n ? `: ${listSome(edge.reach.map((p) => p.slug))}` : ""}`;
}
