/** The policy file (`trustscope.yaml`): environments, suppressions, rule settings. */
import type { Severity } from "../model/finding.ts";
import type { FindingLocation } from "../model/finding.ts";

export interface EnvironmentSelector {
  buildkite: { clusters: string[]; queues: string[]; pipelines: string[] };
  azure: { subscriptions: string[]; managementGroups: string[]; tags: Record<string, string> };
  /**
   * Subjects of other issuers' credentials (globs): `repo:acme/app:environment:production`,
   * `system:serviceaccount:prod-*:*`, `organization:acme:project:*:workspace:prod-*:run_phase:apply`.
   * Absent: those workloads are judged by the default heuristics (environment, workspace or namespace names).
   */
  workloads?: string[];
}

export interface Suppression {
  rule: string;
  identity?: string;
  pipeline?: string;
  scope?: string;
  fingerprint?: string;
  reason: string;
  /** `YYYY-MM-DD`; the suppression holds through that day (UTC). */
  expires: string;
  location?: FindingLocation;
}

export interface RuleSetting {
  enabled?: boolean;
  severity?: Severity;
  location?: FindingLocation;
}

export interface Policy {
  /** Where the policy came from, for messages and SARIF anchors; undefined for the default. */
  file?: string;
  /** Undefined when the file has no `environments` section: the default heuristics apply. */
  environments?: Record<string, EnvironmentSelector>;
  suppressions: Suppression[];
  ruleSettings: Record<string, RuleSetting>;
  /** Custom rule packs: module paths (globs allowed, relative to the policy file) or package names, as written. */
  rules: RulePackRef[];
}

/** One entry of the policy's `rules:` list. */
export interface RulePackRef {
  /** `./policy/rules/*.js`, `/abs/path/pack.mjs` or a package name such as `@acme/trustscope-rules`. */
  spec: string;
  location?: FindingLocation;
}

export const DEFAULT_POLICY: Policy = { suppressions: [], ruleSettings: {}, rules: [] };

/** The environment whose members the production rules look at. */
export const PRODUCTION_ENVIRONMENT = "prod";
