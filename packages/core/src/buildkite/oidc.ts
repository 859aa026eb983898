/**
 * What a federated credential says about Buildkite: is its issuer Buildkite's, which audience
 * does the tenant's cloud expect, and what does its subject name?
 */
import type { AzureCloudName, BuildkiteInventory, BuildkitePipeline } from "../model/inventory.ts";

export const BUILDKITE_ISSUER = "https://agent.buildkite.com";

export const TOKEN_EXCHANGE_AUDIENCES: Record<AzureCloudName, string> = {
  AzureCloud: "api://AzureADTokenExchange",
  AzureUSGovernment: "api://AzureADTokenExchangeUSGov",
  AzureChinaCloud: "api://AzureADTokenExchangeChina",
};

export type IssuerKind = "buildkite" | "buildkite-near-miss" | "other";

/**
 * Entra compares the issuer exactly and case-sensitively, so anything that is Buildkite's issuer
 * after trimming, lower-casing and dropping a scheme or trailing slash is a near miss that
 * will never match a token.
 */
export function classifyIssuer(issuer: string): IssuerKind {
  if (issuer === BUILDKITE_ISSUER) return "buildkite";
  const loose = issuer
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, "")
    .replace(/\/+$/, "");
  return loose === "agent.buildkite.com" ? "buildkite-near-miss" : "other";
}

export type SubjectKind =
  | "pipeline"
  | "cluster"
  | "queue"
  | "organization"
  | "agent"
  | "compound"
  | "unresolved";

export interface SubjectResolution {
  kind: SubjectKind;
  /** What the subject names, for messages: `pipeline 'deploy-prod'`. */
  label: string;
  /** The UUID the subject matched (or, for a case mismatch, the canonical UUID it nearly matched). */
  uuid?: string;
  /** The subject matches an entity only when compared case-insensitively: the exchange fails. */
  caseMismatch?: boolean;
  /** Set for compound `organization:…:pipeline:…` subjects. */
  compound?: CompoundSubject;
  /** True when the subject looks like a UUID (unresolved ones may be build or job UUIDs). */
  isUuid: boolean;
}

export interface CompoundSubject {
  organization: string;
  pipeline: string;
  ref?: string;
  commit?: string;
  step?: string;
  /** Azure matches subjects exactly: a `*` here is a literal character, not a wildcard. */
  hasWildcard: boolean;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMPOUND_RE = /^organization:([^:]*):pipeline:([^:]*)(?::ref:(.*?))?(?::commit:([^:]*))?(?::step:(.*))?$/;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

export function parseCompoundSubject(subject: string): CompoundSubject | undefined {
  const m = COMPOUND_RE.exec(subject);
  if (!m) return undefined;
  return {
    organization: m[1] ?? "",
    pipeline: m[2] ?? "",
    ...(m[3] !== undefined ? { ref: m[3] } : {}),
    ...(m[4] !== undefined ? { commit: m[4] } : {}),
    ...(m[5] !== undefined ? { step: m[5] } : {}),
    hasWildcard: subject.includes("*"),
  };
}

/**
 * What can be said of a subject without the Buildkite inventory: only that it is compound.
 */
export function resolveWithoutInventory(subject: string): SubjectResolution | undefined {
  const compound = parseCompoundSubject(subject);
  return compound
    ? { kind: "compound", label: `compound subject for pipeline '${compound.pipeline}' of organisation '${compound.organization}'`, compound, isUuid: false }
    : undefined;
}

/** Look-ups over the Buildkite inventory by UUID (case-insensitive) and slug. */
export class BuildkiteIndex {
  readonly pipelinesByUuid = new Map<string, BuildkitePipeline>();
  readonly pipelinesBySlug = new Map<string, BuildkitePipeline>();
  readonly pipelinesByCluster = new Map<string | null, BuildkitePipeline[]>();
  private readonly entities = new Map<string, { kind: SubjectKind; uuid: string; label: string; clusterUuid?: string | null }>();

  constructor(readonly inventory: BuildkiteInventory) {
    const org = inventory.organization;
    this.entities.set(org.uuid.toLowerCase(), { kind: "organization", uuid: org.uuid, label: `organisation '${org.slug}'` });
    for (const c of inventory.clusters) {
      this.entities.set(c.uuid.toLowerCase(), { kind: "cluster", uuid: c.uuid, label: `cluster '${c.name}'`, clusterUuid: c.uuid });
      for (const q of c.queues) {
        this.entities.set(q.uuid.toLowerCase(), { kind: "queue", uuid: q.uuid, label: `queue '${q.key}' of cluster '${c.name}'`, clusterUuid: c.uuid });
      }
    }
    for (const p of inventory.pipelines) {
      this.pipelinesByUuid.set(p.uuid.toLowerCase(), p);
      this.pipelinesBySlug.set(p.slug, p);
      const list = this.pipelinesByCluster.get(p.clusterUuid?.toLowerCase() ?? null) ?? [];
      list.push(p);
      this.pipelinesByCluster.set(p.clusterUuid?.toLowerCase() ?? null, list);
      this.entities.set(p.uuid.toLowerCase(), { kind: "pipeline", uuid: p.uuid, label: `pipeline '${p.slug}'`, clusterUuid: p.clusterUuid });
    }
    for (const a of inventory.agents) {
      const queue = a.queueUuid ? this.entities.get(a.queueUuid.toLowerCase()) : undefined;
      this.entities.set(a.uuid.toLowerCase(), {
        kind: "agent",
        uuid: a.uuid,
        label: `agent '${a.name ?? a.uuid}'`,
        clusterUuid: queue?.clusterUuid ?? null,
      });
    }
  }

  clusterName(uuid: string | null): string | undefined {
    if (!uuid) return undefined;
    return this.inventory.clusters.find((c) => c.uuid.toLowerCase() === uuid.toLowerCase())?.name;
  }

  resolve(subject: string): SubjectResolution {
    const compound = parseCompoundSubject(subject);
    if (compound) {
      const p = compound.organization === this.inventory.organization.slug ? this.pipelinesBySlug.get(compound.pipeline) : undefined;
      return {
        kind: "compound",
        label: `compound subject for pipeline '${compound.pipeline}' of organisation '${compound.organization}'`,
        ...(p ? { uuid: p.uuid } : {}),
        compound,
        isUuid: false,
      };
    }
    // Entra compares exactly: a subject with stray whitespace names nothing.
    const e = this.entities.get(subject.toLowerCase());
    if (!e) return { kind: "unresolved", label: `subject '${subject}'`, isUuid: isUuid(subject) };
    return {
      kind: e.kind,
      label: e.label,
      uuid: e.uuid,
      isUuid: true,
      ...(e.uuid !== subject ? { caseMismatch: true } : {}),
    };
  }

  /**
   * The pipelines that can mint a token carrying this subject. Any pipeline in a cluster can
   * target any of its queues, so queue trust reaches the whole cluster; an agent runs jobs of
   * every pipeline in its cluster.
   */
  reach(resolution: SubjectResolution): BuildkitePipeline[] {
    if (!resolution.uuid) return [];
    const id = resolution.uuid.toLowerCase();
    switch (resolution.kind) {
      case "organization":
        return [...this.inventory.pipelines];
      case "pipeline":
      case "compound": {
        const p = this.pipelinesByUuid.get(id);
        return p ? [p] : [];
      }
      case "cluster":
      case "queue":
      case "agent": {
        const cluster = this.entities.get(id)?.clusterUuid ?? null;
        return [...(this.pipelinesByCluster.get(cluster?.toLowerCase() ?? null) ?? [])];
      }
      default:
        return [];
    }
  }
}

/**
 * Facts read from a pipeline's stored steps YAML that tell whether it uses a credential: the
 * client IDs it names and the subject claims it requests. A plain text scan: the full pipeline
 * reader belongs to the repository scan.
 */
export interface PipelineOidcUse {
  clientIds: Set<string>;
  subjectClaims: Set<string>;
  requestsToken: boolean;
  queues: Set<string>;
}

const GUID_G = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export function readPipelineOidcUse(stepsYaml: string | null | undefined): PipelineOidcUse | undefined {
  if (stepsYaml === null || stepsYaml === undefined) return undefined;
  const clientIds = new Set((stepsYaml.match(GUID_G) ?? []).map((g) => g.toLowerCase()));
  const subjectClaims = new Set<string>();
  for (const m of stepsYaml.matchAll(/--subject-claim(?:=|\s+)["']?([a-z_]+)/g)) subjectClaims.add(m[1] ?? "");
  for (const m of stepsYaml.matchAll(/BUILDKITE_OIDC_TOKEN_SUBJECT_CLAIM["']?\s*[:=]\s*["']?([a-z_]+)/g)) subjectClaims.add(m[1] ?? "");
  const queues = new Set<string>();
  for (const m of stepsYaml.matchAll(/\bqueue\s*[:=]\s*["']?([A-Za-z0-9_.-]+)/g)) queues.add(m[1] ?? "");
  return {
    clientIds,
    subjectClaims,
    requestsToken: /oidc\s+request-token/.test(stepsYaml),
    queues,
  };
}

/** The `--subject-claim` value that yields a subject of the given kind. */
export const SUBJECT_CLAIM_FOR: Partial<Record<SubjectKind, string>> = {
  pipeline: "pipeline_id",
  cluster: "cluster_id",
  queue: "queue_id",
  organization: "organization_id",
  agent: "agent_id",
};
