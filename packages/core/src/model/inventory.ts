/**
 * The inventory: everything trustscope collected, as plain data. It is exactly what a snapshot
 * file holds (see `schema/inventory.schema.json`). Collected facts only, no judgement.
 */

export const INVENTORY_SCHEMA_VERSION = 1;

export type AzureCloudName = "AzureCloud" | "AzureUSGovernment" | "AzureChinaCloud";

export interface Inventory {
  schemaVersion: typeof INVENTORY_SCHEMA_VERSION;
  /** When the data was collected (ISO 8601). Informational. */
  collectedAt?: string;
  /** Which cloud the tenant lives in; decides the expected token-exchange audience. */
  cloud: AzureCloudName;
  tenantId?: string;
  /** Absent when the Buildkite side was not collected. */
  buildkite?: BuildkiteInventory;
  /** Absent when Microsoft Graph was not collected. */
  entra?: EntraInventory;
  /** Absent when Azure Resource Manager was not collected. */
  azure?: AzureInventory;
  /** Absent when GitHub was not read (no --github-org/--github-repo). */
  github?: GitHubInventory;
  coverage: Coverage;
}

export interface Coverage {
  complete: boolean;
  gaps: CoverageGap[];
  /**
   * What was not judged because a source was not asked for (GitHub not read, say): worth
   * knowing, but not a failure to read, so it does not make the scan incomplete.
   */
  notes?: CoverageNote[];
}

export interface CoverageNote {
  source: string;
  message: string;
}

export interface CoverageGap {
  /** `buildkite`, `graph`, `arm`, `repo`, `snapshot` … */
  source: string;
  /** What could not be read: an ARM scope, a URL, a file. */
  scope: string;
  error: string;
}

// ---------------------------------------------------------------------------------------------
// Buildkite

export interface BuildkiteInventory {
  organization: { uuid: string; slug: string; name?: string };
  clusters: BuildkiteCluster[];
  pipelines: BuildkitePipeline[];
  agents: BuildkiteAgent[];
}

export interface BuildkiteCluster {
  uuid: string;
  name: string;
  queues: { uuid: string; key: string }[];
}

/**
 * A value from a vendor's enumeration. Vendors add values (ARM's enums are open, GraphQL enums
 * grow), so a value not listed here is kept as read rather than rejected.
 */
export type OpenEnum<Known extends string> = Known | (string & Record<never, never>);

export type PipelineAccessLevel = OpenEnum<"MANAGE_BUILD_AND_READ" | "BUILD_AND_READ" | "READ_ONLY">;

export interface BuildkitePipeline {
  uuid: string;
  slug: string;
  name: string;
  /** UUID of the cluster the pipeline belongs to; null when unclustered. */
  clusterUuid: string | null;
  visibility: OpenEnum<"PUBLIC" | "PRIVATE">;
  repository?: {
    url: string;
    /** GraphQL `__typename` of the provider, e.g. `RepositoryProviderGithub`. */
    provider: string;
    settings?: ProviderSettings;
  };
  defaultBranch?: string | null;
  /** The pipeline's steps as stored in Buildkite (YAML), when readable. */
  stepsYaml?: string | null;
  teams: { uuid: string; slug: string; accessLevel: PipelineAccessLevel }[];
}

/** The provider settings that decide who can start a build. Absent fields are unknown. */
export interface ProviderSettings {
  buildPullRequests?: boolean;
  buildPullRequestForks?: boolean;
  prefixPullRequestForkBranchNames?: boolean;
  buildBranches?: boolean;
  buildTags?: boolean;
  filterEnabled?: boolean;
  filterCondition?: string | null;
  pullRequestBranchFilterEnabled?: boolean;
  pullRequestBranchFilterConfiguration?: string | null;
  triggerMode?: string;
}

export interface BuildkiteAgent {
  uuid: string;
  name?: string;
  version?: string | null;
  /** UUID of the cluster queue the agent serves; null for unclustered agents. */
  queueUuid: string | null;
}

// ---------------------------------------------------------------------------------------------
// Microsoft Entra (Graph)

export interface EntraInventory {
  applications: EntraApplication[];
  servicePrincipals: EntraServicePrincipal[];
  groups: { objectId: string; displayName: string }[];
}

export interface FederatedCredential {
  /** Graph `id` or the ARM resource ID of a managed identity's credential. */
  id?: string;
  name: string;
  issuer: string;
  /**
   * The exact `sub` the credential accepts. Empty for a flexible credential, which matches by
   * `claimsMatchingExpression` instead (the APIs return no subject for it); kept a string so
   * that snapshots and readers from before expressions stay valid.
   */
  subject: string;
  /**
   * A flexible credential's expression (Graph beta; ARM from 2025-01-31-preview), e.g.
   * `claims['sub'] matches 'repo:contoso/*'`. Absent for a credential that matches `subject`.
   */
  claimsMatchingExpression?: ClaimsMatchingExpression;
  audiences: string[];
  description?: string | null;
}

/** Graph's `federatedIdentityExpression`, ARM's `ClaimsMatchingExpression`. */
export interface ClaimsMatchingExpression {
  value: string;
  /** Version of the expression language; 1 is the only one defined. */
  languageVersion: number;
}

export interface PasswordCredentialMetadata {
  keyId: string;
  displayName?: string | null;
  /** First characters of the secret, as Graph returns it. Never the value. */
  hint?: string | null;
  startDateTime?: string | null;
  endDateTime?: string | null;
}

export interface EntraApplication {
  objectId: string;
  appId: string;
  displayName: string;
  passwordCredentials: PasswordCredentialMetadata[];
  federatedIdentityCredentials: FederatedCredential[];
}

export interface EntraServicePrincipal {
  objectId: string;
  appId: string;
  displayName: string;
  servicePrincipalType?: string;
  /** Object IDs of the groups the principal belongs to, nested groups included. */
  memberOf: string[];
}

// ---------------------------------------------------------------------------------------------
// Azure Resource Manager

export interface AzureInventory {
  managementGroups: AzureManagementGroup[];
  subscriptions: AzureSubscription[];
  resourceGroups: AzureResourceGroup[];
  roleDefinitions: RoleDefinition[];
  roleAssignments: RoleAssignment[];
  storageAccounts: StorageAccount[];
  managedIdentities: ManagedIdentity[];
  /**
   * What privileged federated identities did, from each subscription's Activity Log (collected
   * only with `--activity`). Absent: not read, so no rule may conclude anything from it.
   */
  activity?: ActivityLog;
}

/** The Activity Log window that was read, and what each candidate identity did in it. */
export interface ActivityLog {
  /** The window read, ISO 8601 (`to` is the collection time; Azure keeps 90 days). */
  from: string;
  to: string;
  /**
   * One entry per (identity, subscription) whose log was read in full. Only here is the absence
   * of an operation evidence: a pair whose read failed is a coverage gap and has no entry.
   */
  reads: ActivityRead[];
}

export interface ActivityRead {
  /** The identity's object ID (the service principal's or managed identity's principal ID), lower case. */
  principalId: string;
  subscriptionId: string;
  /** Succeeded control-plane operations other than reads (`…/write`, `…/delete`, `…/action`), one entry per operation name. */
  operations: ActivityOperation[];
}

export interface ActivityOperation {
  /** `operationName.value` as Azure wrote it, e.g. `Microsoft.Authorization/roleAssignments/write`. */
  operation: string;
  /** How many succeeded events. */
  count: number;
  /** First and last event time in the window, ISO 8601. */
  first: string;
  last: string;
  /** The distinct resource IDs (or scopes) it was performed on, sorted, at most ACTIVITY_SCOPES_KEPT. */
  scopes: string[];
  /** How many more distinct scopes there were than `scopes` lists. */
  moreScopes?: number;
}

/** How many distinct scopes an operation keeps in a snapshot (the rest are counted). */
export const ACTIVITY_SCOPES_KEPT = 20;

export interface AzureManagementGroup {
  /** `/providers/Microsoft.Management/managementGroups/{name}` */
  id: string;
  name: string;
  displayName: string;
  /** Full ID of the parent management group; absent for the tenant root group. */
  parentId?: string | null;
}

export interface AzureSubscription {
  subscriptionId: string;
  displayName: string;
  state?: string;
  /**
   * The tenant the subscription belongs to, as the subscriptions listing says. Absent: the
   * inventory's `tenantId` (recorded only where it differs, or where that is unknown).
   */
  tenantId?: string;
  tags: Record<string, string>;
  /** Full ID of the management group the subscription sits in, when readable. */
  managementGroupId?: string | null;
}

export interface AzureResourceGroup {
  id: string;
  name: string;
  subscriptionId: string;
  tags: Record<string, string>;
}

export interface RolePermission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinition {
  /** Full ARM ID; its trailing GUID is what assignments refer to. */
  id: string;
  /** The GUID. */
  name: string;
  roleName: string;
  roleType: OpenEnum<"BuiltInRole" | "CustomRole">;
  permissions: RolePermission[];
  assignableScopes: string[];
}

export interface RoleAssignment {
  id: string;
  scope: string;
  roleDefinitionId: string;
  /** Object ID of the user, group or service principal. */
  principalId: string;
  /** ARM's value as read (an open enum: `Unknown` and new values occur); absent in ARM means `User`, its documented default. */
  principalType: OpenEnum<"User" | "Group" | "ServicePrincipal" | "ForeignGroup" | "Device">;
  condition?: string | null;
  conditionVersion?: string | null;
  /** Object ID of whoever created the assignment, as ARM reports it. */
  createdBy?: string | null;
}

export interface StorageAccount {
  id: string;
  name: string;
  /** Absent or null means shared-key access is allowed (the ARM default). */
  allowSharedKeyAccess?: boolean | null;
  tags?: Record<string, string>;
}

export interface ManagedIdentity {
  id: string;
  name: string;
  /** The identity's client ID (its appId). */
  clientId: string;
  /** Object ID of its service principal: what role assignments refer to. */
  principalId: string;
  tenantId?: string;
  federatedIdentityCredentials: FederatedCredential[];
}

// ---------------------------------------------------------------------------------------------
// GitHub (the repositories that federated credentials with GitHub's issuer name)

export interface GitHubInventory {
  /** The REST API the data came from: `https://api.github.com`, or a GHES `https://HOST/api/v3`. */
  apiUrl: string;
  /** The organisations read (for their OIDC subject template), by login. */
  organizations: GitHubOrganization[];
  /** The repositories read. A repository a credential names that is not here was not read (or does not exist: see `missingRepositories`). */
  repositories: GitHubRepository[];
  /** `owner/repo` names the API answered 404 for: they do not exist (or the token cannot see them). */
  missingRepositories?: string[];
  /**
   * `owner/repo` names the API answered with a redirect: the repository was renamed or transferred,
   * and its workflows' tokens carry the new name.
   */
  movedRepositories?: string[];
}

export interface GitHubOrganization {
  login: string;
  id?: number;
  /**
   * The organisation's OIDC subject template (`GET /orgs/{org}/actions/oidc/customization/sub`):
   * its `include_claim_keys`, or null when the organisation uses GitHub's default. Absent: not read.
   */
  oidcSubjectClaimKeys?: string[] | null;
}

export interface GitHubRepository {
  /** `owner/repo`, as GitHub spells it (the case GitHub puts in the `sub` claim). */
  fullName: string;
  id: number;
  owner: { login: string; id: number };
  private: boolean;
  fork?: boolean;
  archived?: boolean;
  defaultBranch?: string;
  /**
   * The repository's subject template (`GET /repos/{o}/{r}/actions/oidc/customization/sub`):
   * `useDefault: true` is GitHub's default; false with `includeClaimKeys` is the repository's own;
   * false without keys follows the organisation's template. Absent: not read.
   */
  oidcSubject?: {
    useDefault: boolean;
    includeClaimKeys?: string[];
    /**
     * The `repo` claim renders in GitHub's immutable form `owner@OWNER_ID/repo@REPO_ID`
     * (`use_immutable_subject`; the default for repositories created, renamed or transferred
     * after 15 July 2026). Absent: the answer did not say.
     */
    useImmutableSubject?: boolean;
    /** `sub_claim_prefix` as GitHub answered it: how the subject starts (`repo:acme@51/app@72`). */
    subClaimPrefix?: string;
  };
  /** Every environment of the repository, read in full. Absent: not read. */
  environments?: GitHubEnvironment[];
}

export interface GitHubEnvironment {
  name: string;
  /** Reviewers named in the `required_reviewers` protection rule; 0 when there is none. */
  requiredReviewers: number;
  preventSelfReview?: boolean;
  /** Minutes of the `wait_timer` protection rule, when there is one. */
  waitTimerMinutes?: number;
  /** Which branches may deploy: null when any branch may. */
  deploymentBranchPolicy: {
    protectedBranches: boolean;
    customBranchPolicies: boolean;
    /**
     * With `customBranchPolicies`, the name patterns a branch or tag must match to deploy
     * (`GET …/environments/{name}/deployment-branch-policies`); empty when there are none (nothing
     * may deploy). Absent: not read (trustscope reads them only for custom branch policies).
     */
    patterns?: GitHubBranchPattern[];
  } | null;
  canAdminsBypass?: boolean;
  /**
   * The slugs of the GitHub Apps behind the environment's enabled custom deployment protection
   * rules (`GET …/environments/{name}/deployment_protection_rules`); empty when it has none.
   * Absent: not read (trustscope reads them only for an environment with no required reviewers and
   * no deployment branch policy).
   */
  customProtectionRules?: string[];
}

/** One custom deployment branch policy: a Ruby `File.fnmatch` pattern in which wildcards do not match `/`. */
export interface GitHubBranchPattern {
  name: string;
  /** What it lets deploy: branches or tags (answers from before GitHub added tag policies mean a branch). */
  type: "branch" | "tag";
}

/**
 * The first of an environment's custom deployment branch patterns that anyone who can push a
 * branch can match by naming it so: a branch pattern whose `/`-separated segments are each `*` or
 * `**` (`*` alone matches every name without a `/`). Such a policy does not restrict which branches
 * deploy. Undefined when there is none, or when the patterns were not read. Other wildcards (`?`,
 * `[…]`, `{…}`) are not judged.
 */
export function openBranchPattern(env: GitHubEnvironment): string | undefined {
  const policy = env.deploymentBranchPolicy;
  if (!policy?.customBranchPolicies || !policy.patterns) return undefined;
  return policy.patterns.find((p) => p.type === "branch" && p.name.split("/").every((s) => s === "*" || s === "**"))?.name;
}
