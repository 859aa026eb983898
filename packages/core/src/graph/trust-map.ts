/**
 * The trust map: the trust graph flattened into nodes and edges for pictures (HTML report,
 * `trustscope graph --format dot|mermaid|json`). It is data only; front ends draw it.
 *
 * Path of a login: pipeline --can-mint--> credential --unlocks--> identity --grants--> scope.
 * Other issuers' workloads (a GitHub repository, a Kubernetes namespace, a Terraform Cloud
 * workspace) stand where pipelines do: workload --can-mint--> credential.
 */
import type { Severity } from "../model/finding.ts";

export type TrustMapNodeKind = "pipeline" | "workload" | "credential" | "identity" | "scope";

export interface TrustMapNode {
  /**
   * Stable id: `pipeline:<uuid>`, `workload:<platform>:<workload>`, `credential:<inventory pointer>`,
   * `identity:<identity key>`, `scope:<lower-cased scope>`.
   */
  id: string;
  kind: TrustMapNodeKind;
  label: string;
  /** Lines for a details panel (subject, client ID, role names, …). */
  detail: string[];
  /** What to collapse by: the cluster name for pipelines ("(no cluster)" when unclustered), the platform for workloads ("GitHub Actions"), the subscription for scopes. */
  group?: string;
  /** Set when the node is production: the fact that made it so. */
  production?: string;
  /** Highest severity of the unsuppressed findings that name this node. */
  severity?: Severity;
}

export type TrustMapEdgeKind = "can-mint" | "unlocks" | "grants";

export interface TrustMapEdge {
  from: string;
  to: string;
  kind: TrustMapEdgeKind;
  /** Role name for `grants`; subject kind for `can-mint` (a pipeline's), or what of the workload the credential trusts (`pull_request`, `environment:production`, `expression`). */
  label?: string;
  /** Highest severity of the unsuppressed findings that name both ends (or the edge's credential/grant). */
  severity?: Severity;
  /** Set when the edge leads into production (a production pipeline, or a grant whose scope touches production). */
  production?: string;
  /** `grants` only: true when the role only reads (every action and data action is a read). */
  readOnly?: boolean;
}

export interface TrustMap {
  schemaVersion: 1;
  nodes: TrustMapNode[];
  edges: TrustMapEdge[];
}
