/**
 * Which Buildkite entities and Azure scopes are production, and why. With an `environments`
 * section in the policy, only what it names counts; without one, documented heuristics on names
 * and tags apply. Every verdict carries the fact that decided it.
 */
import picomatch from "picomatch";
import type { BuildkitePipeline, Inventory } from "../model/inventory.ts";
import { PRODUCTION_ENVIRONMENT, type EnvironmentSelector, type Policy } from "./policy.ts";
import { ScopeTree, managementGroupName, normalizeScope, resourceGroupIdOf, scopeKind, subscriptionOf } from "../azure/scope.ts";
import type { PipelineOidcUse } from "../buildkite/oidc.ts";
import type { WorkloadTrust } from "../issuers/types.ts";

export interface Verdict {
  production: boolean;
  /** The fact that made it production (or, for non-production, undefined). */
  reason?: string;
}

const NOT_PRODUCTION: Verdict = { production: false };

/** A workload outside Buildkite: production, known not to be (and why), or neither. */
export interface WorkloadVerdict extends Verdict {
  /** Set when the workload is known not to be production: the fact that says so. */
  nonProduction?: string;
}

const NON_PROD_WORDS = new Set(["dev", "develop", "development", "test", "testing", "qa", "staging", "stage", "sandbox", "nonprod", "preprod", "preview", "review", "uat", "int", "integration", "ci"]);

/** A name whose words say it is not production (`dev`, `staging`, `nonprod`, …), or undefined. */
export function nameLooksNonProduction(name: string): string | undefined {
  if (nameLooksProduction(name)) return undefined;
  const words = wordsOf(name);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (NON_PROD_WORDS.has(w)) return w;
    // non-prod, pre-prod, not-production: two words
    if (NEGATING_PREFIXES.has(w) && PROD_WORDS.has(words[i + 1] ?? "")) return `${w}-${words[i + 1]}`;
  }
  return undefined;
}

const PROD_WORDS = new Set(["prod", "production", "prd"]);
const NEGATING_PREFIXES = new Set(["non", "pre", "not"]);
export const ENVIRONMENT_TAG_KEYS = ["environment", "env", "stage", "tier"];

/** A name's words, lower-cased: split on `-`, `_`, `.`, `/`, spaces and case changes. */
function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * Default heuristic: a name is production when one of its words (split on `-`, `_`, `.`, `/`,
 * spaces and case changes) is `prod`, `production` or `prd`, not preceded by `non`/`pre`/`not`.
 * `nonprod`, `preprod`, `non-prod` and `pre-production` are therefore not production.
 */
export function nameLooksProduction(name: string): string | undefined {
  const words = wordsOf(name);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (PROD_WORDS.has(w) && !NEGATING_PREFIXES.has(words[i - 1] ?? "")) return w;
  }
  return undefined;
}

function tagVerdict(tags: Record<string, string> | undefined, what: string): Verdict | undefined {
  for (const [k, v] of Object.entries(tags ?? {})) {
    if (!ENVIRONMENT_TAG_KEYS.includes(k.toLowerCase())) continue;
    return nameLooksProduction(v)
      ? { production: true, reason: `${what} has tag ${k}=${v}` }
      : NOT_PRODUCTION; // an explicit non-production tag outranks the name
  }
  return undefined;
}

/** The cached value for `key`, computed on first use. */
function memo<K, V>(cache: { get(key: K): V | undefined; set(key: K, value: V): unknown }, key: K, compute: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    cache.set(key, value);
  }
  return value;
}

const matchers = new Map<string, (candidate: string) => boolean>();

function globMatch(patterns: string[], ...candidates: (string | undefined | null)[]): string | undefined {
  for (const pattern of patterns) {
    // Compiled once per pattern: a policy's globs are matched against every pipeline and scope.
    const isMatch = memo(matchers, pattern, () => picomatch(pattern, { nocase: true, dot: true }));
    if (candidates.some((c) => c !== undefined && c !== null && isMatch(c))) return pattern;
  }
  return undefined;
}

export class EnvironmentClassifier {
  private readonly scopes: ScopeTree;
  private readonly selector: EnvironmentSelector | undefined;
  private readonly configured: boolean;
  private readonly scopeCache = new Map<string, Verdict>();
  private readonly touchCache = new Map<string, Verdict>();
  private readonly pipelineCache = new WeakMap<BuildkitePipeline, Verdict>();
  // Lookups by normalised ID, so judging hundreds of thousands of assignments stays linear.
  private readonly subscriptionsById: Map<string, NonNullable<Inventory["azure"]>["subscriptions"][number]>;
  private readonly resourceGroupsById: Map<string, NonNullable<Inventory["azure"]>["resourceGroups"][number]>;
  private readonly managementGroupsByName: Map<string, NonNullable<Inventory["azure"]>["managementGroups"][number]>;
  private readonly storageAccountsById: Map<string, NonNullable<Inventory["azure"]>["storageAccounts"][number]>;
  /** For each scope, the first production subscription or resource group at or below it (built on first use). */
  private productionBelow: Map<string, { scope: string; verdict: Verdict }> | undefined;

  constructor(
    private readonly inventory: Inventory,
    private readonly policy: Policy,
    private readonly pipelineUse: Map<string, PipelineOidcUse> = new Map(),
  ) {
    this.scopes = new ScopeTree(inventory);
    this.configured = policy.environments !== undefined;
    this.selector = policy.environments?.[PRODUCTION_ENVIRONMENT];
    const az = inventory.azure;
    // First one wins, as `find` did.
    const index = <T>(items: T[] | undefined, key: (t: T) => string | undefined) => {
      const map = new Map<string, T>();
      for (const item of items ?? []) {
        const k = key(item);
        if (k !== undefined && !map.has(k)) map.set(k, item);
      }
      return map;
    };
    this.subscriptionsById = index(az?.subscriptions, (s) => s.subscriptionId.toLowerCase());
    this.resourceGroupsById = index(az?.resourceGroups, (r) => normalizeScope(r.id));
    this.managementGroupsByName = index(az?.managementGroups, (m) => managementGroupName(m.id));
    this.storageAccountsById = index(az?.storageAccounts, (a) => normalizeScope(a.id));
  }

  private where(): string {
    return this.policy.file ?? "the policy";
  }

  /** Cached per pipeline: rules ask about every pipeline each identity reaches. */
  pipeline(p: BuildkitePipeline): Verdict {
    return memo(this.pipelineCache, p, () => this.pipelineVerdict(p));
  }

  private pipelineVerdict(p: BuildkitePipeline): Verdict {
    const cluster = this.inventory.buildkite?.clusters.find((c) => c.uuid.toLowerCase() === p.clusterUuid?.toLowerCase());
    const queues = [...(this.pipelineUse.get(p.uuid.toLowerCase())?.queues ?? [])];
    if (this.configured) {
      const sel = this.selector?.buildkite;
      if (!sel) return NOT_PRODUCTION;
      let m = globMatch(sel.pipelines, p.slug, p.uuid);
      if (m) return { production: true, reason: `pipeline '${p.slug}' matches environments.prod.buildkite.pipelines '${m}' in ${this.where()}` };
      m = cluster ? globMatch(sel.clusters, cluster.name, cluster.uuid) : undefined;
      if (m) return { production: true, reason: `cluster '${cluster!.name}' matches environments.prod.buildkite.clusters '${m}' in ${this.where()}` };
      for (const q of queues) {
        const queue = cluster?.queues.find((x) => x.key === q);
        m = globMatch(sel.queues, q, queue?.uuid);
        if (m) return { production: true, reason: `pipeline '${p.slug}' targets queue '${q}', which matches environments.prod.buildkite.queues '${m}' in ${this.where()}` };
      }
      return NOT_PRODUCTION;
    }
    let w = nameLooksProduction(p.slug) ?? nameLooksProduction(p.name);
    if (w) return { production: true, reason: `pipeline '${p.slug}' has '${w}' in its name (default heuristic)` };
    w = cluster ? nameLooksProduction(cluster.name) : undefined;
    if (w) return { production: true, reason: `cluster '${cluster!.name}' has '${w}' in its name (default heuristic)` };
    for (const q of queues) {
      w = nameLooksProduction(q);
      if (w) return { production: true, reason: `pipeline '${p.slug}' targets queue '${q}' (default heuristic)` };
    }
    return NOT_PRODUCTION;
  }

  /**
   * Whether a workload of another issuer (a GitHub environment, a Terraform Cloud workspace, a
   * Kubernetes namespace) is production. With `environments.prod.workloads` in the policy, a
   * credential subject matching one of its globs is, and every other is not; without it, the
   * workload's name decides by the default heuristic, and a name that says neither is unknown
   * (a `main` branch may deploy anything). GitHub pull requests are never production.
   */
  workload(trust: WorkloadTrust, subject: string): WorkloadVerdict {
    const list = this.selector?.workloads;
    if (this.configured && list !== undefined) {
      const m = globMatch(list, subject, trust.workload);
      return m
        ? { production: true, reason: `${trust.platformName} subject '${subject}' matches environments.prod.workloads '${m}' in ${this.where()}` }
        : { production: false, nonProduction: `${trust.platformName} subject '${subject}' matches none of environments.prod.workloads in ${this.where()}` };
    }
    if (trust.github?.context?.kind === "pull_request") return { production: false, nonProduction: `${trust.label}: pull requests are not production` };
    const named: [string, string | undefined][] = [
      ["GitHub environment", trust.github?.context?.kind === "environment" ? trust.github.context.value : undefined],
      ["Terraform Cloud workspace", trust.terraformCloud?.workspace],
      ["Kubernetes namespace", trust.kubernetes?.namespace],
      ["Azure DevOps service connection", trust.azureDevOps?.connection],
      ["GitLab ref", trust.gitlab?.ref],
    ];
    for (const [what, name] of named) {
      if (!name) continue;
      const w = nameLooksProduction(name);
      if (w) return { production: true, reason: `${what} '${name}' has '${w}' in its name (default heuristic)` };
      const n = nameLooksNonProduction(name);
      if (n) return { production: false, nonProduction: `${what} '${name}' has '${n}' in its name (default heuristic)` };
    }
    return NOT_PRODUCTION;
  }

  /** Why a queue key is production (configured queues or the name heuristic), or undefined. */
  queueName(key: string): string | undefined {
    if (this.configured) {
      const m = this.selector ? globMatch(this.selector.buildkite.queues, key) : undefined;
      return m ? `queue '${key}' matches environments.prod.buildkite.queues '${m}' in ${this.where()}` : undefined;
    }
    const w = nameLooksProduction(key);
    return w ? `queue '${key}' has '${w}' in its name (default heuristic)` : undefined;
  }

  /** Whether a scope is production: it, or a scope above it, is. */
  scope(scope: string): Verdict {
    const key = normalizeScope(scope);
    let v = this.scopeCache.get(key);
    if (!v) {
      v = NOT_PRODUCTION;
      for (const s of this.scopes.ancestorsOf(key)) {
        const own = this.ownVerdict(s);
        if (own) {
          v = own;
          break;
        }
      }
      this.scopeCache.set(key, v);
    }
    return v;
  }

  /** The verdict that this scope's own name or tags give, or undefined to look further up. */
  private ownVerdict(scope: string): Verdict | undefined {
    const kind = scopeKind(scope);
    const sel = this.selector?.azure;
    if (kind === "subscription") {
      const id = subscriptionOf(scope)!;
      const sub = this.subscriptionsById.get(id);
      const label = `subscription '${sub?.displayName ?? id}'`;
      if (this.configured) {
        const m = sel ? globMatch(sel.subscriptions, sub?.displayName, id) : undefined;
        if (m) return { production: true, reason: `${label} matches environments.prod.azure.subscriptions '${m}' in ${this.where()}` };
        return this.configuredTags(sub?.tags, label);
      }
      const t = tagVerdict(sub?.tags, label);
      if (t) return t;
      const w = sub ? nameLooksProduction(sub.displayName) : undefined;
      return w ? { production: true, reason: `${label} has '${w}' in its name (default heuristic)` } : undefined;
    }
    if (kind === "resourceGroup") {
      const rgId = resourceGroupIdOf(scope);
      const rg = rgId === undefined ? undefined : this.resourceGroupsById.get(rgId);
      const label = `resource group '${rg?.name ?? scope.split("/").pop()}'`;
      if (this.configured) return this.configuredTags(rg?.tags, label);
      const t = tagVerdict(rg?.tags, label);
      if (t) return t;
      const w = rg ? nameLooksProduction(rg.name) : undefined;
      return w ? { production: true, reason: `${label} has '${w}' in its name (default heuristic)` } : undefined;
    }
    if (kind === "managementGroup") {
      const name = managementGroupName(scope)!;
      const mg = this.managementGroupsByName.get(name);
      const label = `management group '${mg?.displayName ?? name}'`;
      if (this.configured) {
        const m = sel ? globMatch(sel.managementGroups, mg?.name, mg?.displayName, name) : undefined;
        return m ? { production: true, reason: `${label} matches environments.prod.azure.managementGroups '${m}' in ${this.where()}` } : undefined;
      }
      const w = nameLooksProduction(mg?.displayName ?? name) ?? nameLooksProduction(name);
      return w ? { production: true, reason: `${label} has '${w}' in its name (default heuristic)` } : undefined;
    }
    if (kind === "resource") {
      const sa = this.storageAccountsById.get(scope);
      if (this.configured) return this.configuredTags(sa?.tags, `storage account '${sa?.name}'`);
      return sa ? tagVerdict(sa.tags, `storage account '${sa.name}'`) : undefined;
    }
    return undefined;
  }

  private configuredTags(tags: Record<string, string> | undefined, label: string): Verdict | undefined {
    const want = this.selector?.azure.tags ?? {};
    const keys = Object.keys(want);
    if (keys.length === 0 || !tags) return undefined;
    const lower = new Map(Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v]));
    const ok = keys.every((k) => (lower.get(k.toLowerCase()) ?? "").toLowerCase() === String(want[k]).toLowerCase());
    if (!ok) return undefined;
    const shown = keys.map((k) => `${k}=${want[k]}`).join(", ");
    return { production: true, reason: `${label} has tag ${shown} (environments.prod.azure.tags in ${this.where()})` };
  }

  /**
   * Whether an assignment at `scope` touches production: the scope is production, or it sits
   * above a production scope (an assignment at a management group or the root reaches down).
   */
  touchesProduction(scope: string): Verdict {
    const key = normalizeScope(scope);
    return memo(this.touchCache, key, () => this.computeTouches(key));
  }

  private computeTouches(scope: string): Verdict {
    const own = this.scope(scope);
    if (own.production) return own;
    const hit = this.productionScopesBelow().get(scope);
    return hit ? { production: true, reason: `it contains production scope ${hit.scope}: ${hit.verdict.reason}` } : NOT_PRODUCTION;
  }

  /**
   * Every production subscription and resource group, filed under each scope above it (the
   * scopes that cover it), first one in inventory order kept: one pass instead of a scan of
   * every subscription and resource group per scope asked about.
   */
  private productionScopesBelow(): Map<string, { scope: string; verdict: Verdict }> {
    if (this.productionBelow) return this.productionBelow;
    const index = new Map<string, { scope: string; verdict: Verdict }>();
    const az = this.inventory.azure;
    const below = [
      ...(az?.subscriptions ?? []).map((s) => `/subscriptions/${s.subscriptionId}`),
      ...(az?.resourceGroups ?? []).map((r) => r.id),
    ];
    for (const b of below) {
      const verdict = this.scope(b);
      if (!verdict.production) continue;
      for (const above of this.scopes.ancestorsOf(b)) if (!index.has(above)) index.set(above, { scope: b, verdict });
    }
    this.productionBelow = index;
    return index;
  }
}
