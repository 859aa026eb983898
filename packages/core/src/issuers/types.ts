/**
 * What a federated credential trusts, whatever its issuer: the platform that signs the tokens
 * and the workload its subject (or expression) names. Facts only; the rules judge.
 */

/** Who signs the tokens a credential accepts, from its issuer (and, for Kubernetes, its subject). */
export type Platform = "buildkite" | "github" | "gitlab" | "terraform-cloud" | "azure-devops" | "kubernetes" | "unknown";

/** A GitHub workflow's context, the part of the default subject after `repo:O/R:`. */
export interface GitHubContext {
  kind: "branch" | "tag" | "environment" | "pull_request" | "other";
  /** Branch or tag name (without refs/heads/ or refs/tags/), environment name; the raw text for `other`. */
  value?: string;
}

export interface GitHubSubject {
  /** `owner/repo` as the subject spells it, when it names one (`repo:` claim). */
  repository?: string;
  /** `repository_owner_id` / `repository_id` claims, when the (customised) subject carries them. */
  repositoryOwnerId?: string;
  repositoryId?: string;
  /** `repository_owner` claim when the subject carries it without `repo`. */
  repositoryOwner?: string;
  /**
   * The `repo` part is GitHub's immutable form `owner@OWNER_ID/repo@REPO_ID` (github.com
   * repositories created or renamed from July 2026, or opted in); the IDs are in
   * `repositoryOwnerId`/`repositoryId`.
   */
  immutable?: boolean;
  context?: GitHubContext;
  /** `job_workflow_ref` claim (`owner/repo/.github/workflows/x.yml@refs/heads/main`). */
  jobWorkflowRef?: string;
  /**
   * The claim keys the subject is made of, in order, as GitHub's `include_claim_keys` names
   * them (`repo`, `context`, `job_workflow_ref`, `repository_owner_id`, …). The default
   * template is `["repo", "context"]`.
   */
  claimKeys: string[];
  /** Every claim the subject pins, by key (`context` holds the context text, e.g. `ref:refs/heads/main`). */
  claims: Record<string, string>;
}

export interface GitLabSubject {
  /** `group/subgroup/project`. */
  projectPath: string;
  refType?: string;
  ref?: string;
}

export interface TerraformCloudSubject {
  organization: string;
  project?: string;
  workspace?: string;
  /**
   * `plan` or `apply` (a run phase Terraform Cloud does not issue is kept as written); for a
   * Stack deployment, its `operation`.
   */
  runPhase?: string;
  /** A Stack deployment's subject (`…:stack:S:deployment:D:operation:plan`) names no workspace. */
  stack?: string;
  deployment?: string;
}

export interface AzureDevOpsSubject {
  organization: string;
  project: string;
  /** The service connection's name; empty for a pipeline's own token (`p://…`). */
  connection: string;
  /**
   * Set for a pipeline's own token (`p://ORGANIZATION/PROJECT/PIPELINE`, what `System.OidcRequestUri`
   * returns without a service connection): the pipeline's name.
   */
  pipeline?: string;
  /**
   * Set when the subject names the connection by ID (`/eid1/c/pub/t/…/sc/ORG_ID/CONNECTION_ID`,
   * the Entra-issued form): then `organization` and `connection` hold these IDs and `project` is empty.
   */
  organizationId?: string;
  serviceConnectionId?: string;
}

export interface KubernetesSubject {
  namespace: string;
  serviceAccount: string;
}

/** What one credential trusts, read from its issuer and its subject or expression. */
export interface WorkloadTrust {
  platform: Platform;
  /** The platform as people name it: `GitHub Actions`, `GitLab`, `Terraform Cloud`, `Azure DevOps`, `Kubernetes`, `Buildkite`, or the issuer's host. */
  platformName: string;
  /**
   * The workload it trusts, short, for a map node and grouping: `acme/app` (GitHub, GitLab),
   * `acme/infra/prod` (Terraform Cloud org/project/workspace), `contoso/web/deploy-conn`,
   * `payments/deployer` (Kubernetes namespace/service account), or the raw subject.
   */
  workload: string;
  /** What it trusts, in words, for messages: `pull requests of GitHub repository 'acme/app'`. */
  label: string;
  /** True when the credential matches by a `claimsMatchingExpression` rather than a subject. */
  expression: boolean;
  /** For an expression: more than one subject can match (see `breadth`). */
  wide: boolean;
  github?: GitHubSubject;
  gitlab?: GitLabSubject;
  terraformCloud?: TerraformCloudSubject;
  azureDevOps?: AzureDevOpsSubject;
  kubernetes?: KubernetesSubject;
  /**
   * Why the subject can never match a token the platform issues (a keyword in the wrong case,
   * `refs/heads/` missing, a `*` in an exact subject), or undefined when it can.
   */
  problem?: string;
}

/** How far a flexible credential's expression reaches, per platform (see `expressionBreadth`). */
export interface ExpressionBreadth {
  /** GitHub/GitLab: the subject pattern can match more than one repository or project. */
  moreThanOneRepository: boolean;
  /** GitHub/GitLab: every branch of the repository can match (`ref:refs/heads/*`, `repo:O/R:*`). */
  allBranches: boolean;
  /** GitHub: `repo:O/R:pull_request` can match. */
  pullRequests: boolean;
  /** Kubernetes: every service account of a namespace (or of every namespace). */
  allServiceAccounts: boolean;
  /** Terraform Cloud: more than one workspace (or project, or organisation). */
  moreThanOneWorkspace: boolean;
  /** One line per reason, for evidence. */
  reasons: string[];
}
