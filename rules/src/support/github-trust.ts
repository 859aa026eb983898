/**
 * Shared questions of the GitHub-side rules (issue 20): what an identity can change, which flexible
 * credentials `wildcard-expression` owns (so `wildcard-claims-expression` and `pull-request-subject`
 * step aside for them), and where a credential's repository is in `inventory.github`.
 */
import {
  classifyIssuer,
  describeGrant,
  expressionBreadth,
  grantReach,
  productionGrants,
  type EnvironmentClassifier,
  type ExpressionBreadth,
  type FederatedCredential,
  type GitHubSubject,
  type Grant,
  type Identity,
  type ProductionGrant,
  type TrustEdge,
} from "@trustscope/core";

/** What an identity's role assignments let it do, split the way the severities of these rules are. */
export interface ChangeReach {
  /** Production grants that can change something (unknown roles count: their power cannot be bounded). */
  productionChange: ProductionGrant[];
  /** Production grants that only read. */
  productionRead: ProductionGrant[];
  /** Grants that can change something on scopes that do not touch production. */
  otherChange: Grant[];
}

export function changeReach(identity: Identity, environments: EnvironmentClassifier): ChangeReach {
  const prod = productionGrants(identity, environments);
  return {
    productionChange: prod.filter((p) => !p.readOnly),
    productionRead: prod.filter((p) => p.readOnly),
    otherChange: identity.grants.filter((g) => {
      const r = grantReach(g, environments);
      return r.production === undefined && !r.readOnly;
    }),
  };
}

/** Evidence lines for the grants that decided a severity (at most three of each kind). */
export function grantEvidence(reach: ChangeReach): string[] {
  if (reach.productionChange.length > 0) return reach.productionChange.slice(0, 3).map((p) => `holds ${describeGrant(p.grant)}: production because ${p.reason}`);
  const lines = reach.productionRead.slice(0, 3).map((p) => `holds read-only ${describeGrant(p.grant)}: production because ${p.reason}`);
  lines.push(...reach.otherChange.slice(0, 3).map((g) => `holds ${describeGrant(g)}, which can change a scope that is not production`));
  return lines;
}

/** The breadth flags that make an expression reach more than one workload (pull requests alone do not). */
export function reachesManyWorkloads(b: ExpressionBreadth): boolean {
  return b.moreThanOneRepository || b.allBranches || b.allServiceAccounts || b.moreThanOneWorkspace;
}

/**
 * The breadth of a credential's expression when `wildcard-expression` reports it: an expression
 * of a non-Buildkite issuer that reaches more than one repository, branch, service account or
 * workspace, on an identity with a production grant. Undefined otherwise. `wildcard-claims-expression`
 * and `pull-request-subject` skip exactly these credentials, so each gets one finding.
 */
export function wildcardExpressionBreadth(identity: Identity, credential: FederatedCredential, environments: EnvironmentClassifier): ExpressionBreadth | undefined {
  if (!credential.claimsMatchingExpression || classifyIssuer(credential.issuer) !== "other") return undefined;
  const breadth = expressionBreadth(credential);
  if (!breadth || !reachesManyWorkloads(breadth)) return undefined;
  return productionGrants(identity, environments).length > 0 ? breadth : undefined;
}

/** What a credential matches, for messages and keys: its subject or its expression. */
export function matchText(credential: FederatedCredential): string {
  return credential.claimsMatchingExpression?.value ?? credential.subject;
}

/**
 * A GitHub credential that names one workload and can match a token: a subject (or pinned
 * expression) with no problem. Undefined for other issuers, wide expressions and dead subjects.
 */
export function exactGitHubSubject(edge: TrustEdge): GitHubSubject | undefined {
  const { trust } = edge;
  if (trust.platform !== "github" || trust.wide || trust.problem !== undefined) return undefined;
  return trust.github;
}

// One answer everywhere: these live in core, where explain-access asks them too.
// Under its own name: core's `githubRepositoryOf` is another function (a remote URL's owner/repo).
export { deadOnGitHub, exactSubject, githubFor, githubRepositoryFor } from "@trustscope/core";
