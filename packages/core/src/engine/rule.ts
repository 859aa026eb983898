/** The shape of a rule module: metadata and a pure check over the trust graph. */
import type { Finding, FindingCredential, FindingIdentity, FindingLocation, RelatedLocation, Severity } from "../model/finding.ts";
import type { TrustGraph } from "../graph/trust-graph.ts";
import type { EnvironmentClassifier } from "../policy/environments.ts";
import type { Policy } from "../policy/policy.ts";
import type { RepoAnalysis } from "../repo/analyze.ts";

export interface RuleMeta {
  /** kebab-case, stable forever: baselines, suppressions and SARIF alerts key on it. */
  id: string;
  title: string;
  defaultSeverity: Severity;
  /** One paragraph: what the rule looks for and why it matters (SARIF fullDescription). */
  description: string;
  tags: string[];
  /** Full documentation in Markdown with a failing and a passing example (`explain`). */
  docs?: string;
  helpUri?: string;
  /**
   * The rule is sound on what a Terraform configuration declares (a partial inventory: the
   * declared objects, over the collected ones when there are any). The engine runs it again over
   * each configuration laid over the inventory, and keeps what it finds about declared objects.
   */
  declared?: boolean;
}

export interface RuleContext {
  graph: TrustGraph;
  environments: EnvironmentClassifier;
  policy: Policy;
  /** The evaluation time, so rules stay pure (expiry of secrets, suppressions). */
  now: Date;
  /** What the repository scan found, when `--repo` was given. */
  repo?: RepoAnalysis;
}

/** What a rule yields; the engine adds the fingerprint and applies policy. */
export interface RuleResult {
  /** Overrides the rule's default severity when context decides it (say which in evidence). */
  severity?: Severity;
  message: string;
  identity?: FindingIdentity;
  credential?: FindingCredential;
  pipeline?: { uuid: string; slug: string };
  scope?: string;
  location?: FindingLocation;
  /** Other places that are part of this problem (a secret's definition, its other uses). */
  relatedLocations?: RelatedLocation[];
  evidence: string[];
  remediation: string;
  /** The facts that identify this problem across runs; hashed into the fingerprint. */
  key: string[];
  /** JSON pointer into the inventory of the fact this finding is about. */
  anchor?: string;
}

export interface Rule {
  meta: RuleMeta;
  check(ctx: RuleContext): Iterable<RuleResult>;
}

export type { Finding };
