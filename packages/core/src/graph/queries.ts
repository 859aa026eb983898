/**
 * Questions rule authors ask of the trust graph, answered once here so rules stay short.
 */
import { describeGrant, isReadOnlyRole, roleAllows, type Grant, type Plane } from "../azure/rbac.ts";
import type { BuildkitePipeline } from "../model/inventory.ts";
import type { EnvironmentClassifier, Verdict } from "../policy/environments.ts";
import { pipelinesReaching, type Identity, type TrustEdge, type TrustGraph } from "./trust-graph.ts";
import { describeMatch } from "./claims-expression.ts";

/** A grant whose scope touches production, with the fact that makes it so. */
export interface ProductionGrant {
  grant: Grant;
  reason: string;
  readOnly: boolean;
}

/** Grants of the identity whose scope is, or contains, a production scope. */
export function productionGrants(identity: Identity, environments: EnvironmentClassifier): ProductionGrant[] {
  const out: ProductionGrant[] = [];
  for (const grant of identity.grants) {
    const v = environments.touchesProduction(grant.assignment.scope);
    if (v.production) out.push({ grant, reason: v.reason ?? "production", readOnly: grant.role ? isReadOnlyRole(grant.role) : false });
  }
  return out;
}

/** Grants of the identity that allow `operation` at `scope`. */
export function grantsAllowing(graph: TrustGraph, identity: Identity, operation: string, scope: string, plane: Plane = "control"): Grant[] {
  return graph.rbac.grantsAllowing(identity.grants, operation, scope, plane);
}

/** Grants of the identity that allow `operation` anywhere (at the grant's own scope). */
export function grantsWith(identity: Identity, operation: string, plane: Plane = "control"): Grant[] {
  return identity.grants.filter((g) => g.role !== undefined && roleAllows(g.role, operation, plane));
}

/** The pipelines that can log in as the identity, split by environment. */
export function pipelinesByEnvironment(identity: Identity, environments: EnvironmentClassifier): {
  production: { pipeline: BuildkitePipeline; edge: TrustEdge; verdict: Verdict }[];
  other: { pipeline: BuildkitePipeline; edge: TrustEdge }[];
} {
  const production: { pipeline: BuildkitePipeline; edge: TrustEdge; verdict: Verdict }[] = [];
  const other: { pipeline: BuildkitePipeline; edge: TrustEdge }[] = [];
  for (const r of pipelinesReaching(identity)) {
    const verdict = environments.pipeline(r.pipeline);
    if (verdict.production) production.push({ ...r, verdict });
    else other.push(r);
  }
  return { production, other };
}

/** Identities that pipelines can log in as through Buildkite-issued credentials. */
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
  return `credential '${edge.credential.name}' trusts ${subject}, which ${n === 1 ? "1 pipeline" : `${n} pipelines`} can mint a token for${n ? `: ${listSome(edge.reach.map((p) => p.slug))}` : ""}`;
}
