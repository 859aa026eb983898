/**
 * Facts read from a repository: pipeline files, shell scripts and infrastructure templates,
 * each with the file and line it came from. Facts only; the rules judge.
 */
import type { TerraformModel } from "../repo/terraform/join.ts";

export interface Located {
  /** Repository-relative path, `/`-separated. */
  file: string;
  /** 1-based line. */
  line: number;
}

/** A value that may be a literal, a variable reference, or something the reader cannot evaluate. */
export interface ValueRef {
  /** The text as written (`"$BUILDKITE_OIDC_SUBJECT_CLAIM"`, `'api://AzureADTokenExchange'`). */
  raw: string;
  /** The literal value when the text is one (quotes removed). */
  literal?: string;
  /** The variable it reads (`BUILDKITE_OIDC_SUBJECT_CLAIM` for `$X`, `${X}`, `${X:-d}`). */
  variable?: string;
  /** A default the expression falls back to (`${X:-pipeline_id}` → `pipeline_id`). */
  fallback?: string;
}

// ---------------------------------------------------------------------------------------------
// Shell

export interface TokenRequest extends Located {
  audience?: ValueRef;
  subjectClaim?: ValueRef;
  lifetime?: ValueRef;
  /** The variable the token is assigned to (`TOKEN=$(buildkite-agent oidc request-token …)`). */
  assignedTo?: string;
  /** A file the command's output is redirected to (`… > token.jwt`). */
  writtenTo?: string;
}

export type AzLoginMethod = "federated-token" | "password" | "certificate" | "identity" | "interactive";

export interface AzLogin extends Located {
  method: AzLoginMethod;
  /** The command that logs in when it is not `az login` (`Connect-AzAccount`, `azd auth login`, `azd login`). */
  command?: string;
  /** `-u/--username` (the client ID for a service principal; azd's `--client-id`). */
  username?: ValueRef;
  /** `--password`/`-p` (azd's `--client-secret`) value as written (never evaluated: it is a secret). */
  password?: ValueRef;
  /** `-t/--tenant` (azd's `--tenant-id`). */
  tenant?: ValueRef;
  /**
   * azd's `--federated-credential-provider`: where azd gets the token itself (`github`,
   * `azure-pipelines`, `oidc`). Absent for `az login`, which is handed the token.
   */
  provider?: ValueRef;
}

/** A use of a client secret: an env var named like one, a secret fetched for a login. */
export interface ClientSecretUse extends Located {
  kind: "env-reference" | "env-assignment" | "secret-get" | "password-flag";
  /** Variable or secret name, never its value. */
  name: string;
}

/** Where a token goes that another step can read. */
export interface TokenSink extends Located {
  kind: "file" | "artifact" | "meta-data" | "environment-file";
  /** The file, artifact path or meta-data key. */
  target: string;
  /** The variable or command that carried the token. */
  via: string;
}

export interface RoleAssignmentCommand extends Located {
  role?: ValueRef;
  scope?: ValueRef;
  assignee?: ValueRef;
}

export interface ShellFacts {
  tokenRequests: TokenRequest[];
  azLogins: AzLogin[];
  clientSecretUses: ClientSecretUse[];
  tokenSinks: TokenSink[];
  roleAssignments: RoleAssignmentCommand[];
  /** `export X=…` and `X=…` assignments (later references resolve through them). */
  assignments: (Located & { name: string; value: ValueRef })[];
  /** Scripts the text runs (`./scripts/deploy.sh`, `bash .buildkite/login.sh`), as written. */
  scriptCalls: (Located & { path: string })[];
  /** Files passed to `buildkite-agent pipeline upload`. */
  pipelineUploads: (Located & { path: string })[];
  /**
   * `$X` / `${X}` in a pipeline step's command, which `pipeline upload` replaces before the job
   * runs (not the shell). Only read in pipeline YAML commands; `$$X` is the escaped form.
   */
  uploadInterpolations: (Located & { name: string; raw: string })[];
}

export interface Diagnostic extends Located {
  message: string;
  /**
   * True for something worth knowing that does not leave the scan blind (a resource read as if
   * its condition holds). Notes are shown, but only other diagnostics are coverage gaps.
   */
  note?: boolean;
  /**
   * What kind of note, for the summary on stderr: `loop`, `condition`, `not-a-pipeline`,
   * `other-language`, `not-in-repository`, `registry-module`, `deploy-time-value`, `link`, …
   */
  kind?: string;
}

// ---------------------------------------------------------------------------------------------
// Pipelines

export interface EnvEntry extends Located {
  name: string;
  value: string;
  /** Line of the anchored value this was copied from (`*x`, `<<: *x`); `line` is where it is used. */
  fromAnchor?: number;
}

export interface PipelineStep extends Located {
  kind: "command" | "block" | "input" | "wait" | "trigger" | "group";
  key?: string;
  label?: string;
  /** Each command line with the line it starts on (where it is used, for one copied from an anchor). */
  commands: (Located & { text: string; fromAnchor?: number })[];
  env: EnvEntry[];
  /** The queue from `agents: { queue: … }` / `agents: ["queue=…"]`, step or pipeline level. */
  queue?: string;
  if?: string;
  branches?: string[];
  plugins: (Located & { name: string; config: unknown })[];
  artifactPaths: (Located & { path: string })[];
  /** Secret names the step asks Buildkite Secrets for (`secrets:`). */
  secrets: (Located & { env: string; secret: string })[];
  dependsOn: string[];
  /** The label of the group the step sits in. */
  group?: string;
  /** `matrix:` values per dimension ("" for `{{matrix}}`), adjustments that are not skipped included. */
  matrix?: Record<string, string[]>;
  /** Line of the anchored step this was copied from, when the whole step is an alias. */
  fromAnchor?: number;
}

export interface PipelineFile {
  file: string;
  env: EnvEntry[];
  /** Pipeline-level `agents` queue, if any. */
  queue?: string;
  steps: PipelineStep[];
}

// ---------------------------------------------------------------------------------------------
// Templates (ARM JSON and Bicep)

export interface TemplateRoleAssignment extends Located {
  /** Role definition GUID when it can be read from the template (lower-case). */
  roleDefinitionGuid?: string;
  roleDefinitionRaw: string;
  principalRaw?: string;
  scopeRaw?: string;
  hasCondition: boolean;
  /**
   * The template parameter (or loop item) that decides the role definition, when it is known only
   * at deploy time (`roleDefinitionGuid` is then undefined).
   */
  roleDecidedBy?: string;
  /** Where the resource is declared, when the fact is attributed to a module call (file/line are the call's). */
  definedAt?: Located;
}

export interface TemplateFederatedCredential extends Located {
  parentKind: "application" | "managedIdentity";
  name?: string;
  issuer?: ValueRef;
  subject?: ValueRef;
  audiences?: ValueRef[];
  /** Where the resource is declared, when the fact is attributed to a module call. */
  definedAt?: Located;
}

export interface TemplateStorageAccount extends Located {
  name?: string;
  /** undefined: the property is absent (shared keys allowed); null: present but not a literal. */
  allowSharedKeyAccess?: boolean | null;
  /** Where the resource is declared, when the fact is attributed to a module call. */
  definedAt?: Located;
}

export interface TemplateFacts {
  roleAssignments: TemplateRoleAssignment[];
  federatedCredentials: TemplateFederatedCredential[];
  storageAccounts: TemplateStorageAccount[];
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions workflows (`.github/workflows/*.yml|yaml`)

/**
 * A value written in a workflow: a literal, or `${{ ctx.NAME }}` (`variable` is then the dotted
 * name read: `secrets.AZURE_CLIENT_ID`, `vars.AZURE_CLIENT_ID`, `env.AZURE_CLIENT_ID`, `inputs.x`),
 * or another expression (only `raw`). A shell `$X` in a `run:` step is read as `env.X`.
 */
export interface GitHubValue {
  /** The text as written. */
  raw: string;
  /** The value when the text is a literal (no `${{ }}`). */
  literal?: string;
  /** The dotted name when the whole text is one `${{ ctx.NAME }}` (or a shell `$NAME`, as `env.NAME`). */
  variable?: string;
  /** For an `env.X` read: what the nearest step, job or workflow `env:` gives X (read as a value itself), and where. */
  resolved?: { raw: string; literal?: string; variable?: string; at: Located };
}

/** One event of `on:`, with its filters as written. */
export interface GitHubTrigger extends Located {
  /** `push`, `pull_request`, `pull_request_target`, `workflow_run`, `workflow_dispatch`, `schedule`, `workflow_call`, or any other event by name. */
  event: string;
  /** `branches:` (push, pull_request, pull_request_target, workflow_run). */
  branches?: string[];
  /** `branches-ignore:`. */
  branchesIgnore?: string[];
  /** `tags:` (push). */
  tags?: string[];
  /** `tags-ignore:` (push). */
  tagsIgnore?: string[];
  /** `types:` (activity types: `opened`, `completed`, …). */
  types?: string[];
  /** `workflows:` (workflow_run: the workflows whose runs trigger this one). */
  workflows?: string[];
}

/** `permissions:` at workflow or job level. */
export interface GitHubPermissions extends Located {
  /** `write-all` / `read-all` as written, or a mapping (`{}` is a mapping with no scope: all none). */
  kind: "write-all" | "read-all" | "map" | "other";
  /** The mapping's scopes and levels (`id-token` → `write`). */
  scopes: Record<string, string>;
}

/** A step that logs in to Azure with an OIDC token. */
export interface GitHubAzureLogin extends Located {
  /**
   * `azure/login` action; `az login --federated-token` or `Connect-AzAccount -FederatedToken` in
   * a `run:` step; Terraform's azurerm provider through `ARM_USE_OIDC=true` in job or step env.
   */
  kind: "azure-login-action" | "az-cli" | "az-powershell" | "azd" | "terraform-oidc";
  /** 0-based index of the step in the job, its `id:` and `name:`; no step for an `ARM_USE_OIDC` in job or workflow env. */
  step?: number;
  stepId?: string;
  stepName?: string;
  /** The action reference as written (`azure/login@v2`, `Azure/login@a457da9…`). */
  uses?: string;
  clientId?: GitHubValue;
  tenantId?: GitHubValue;
  subscriptionId?: GitHubValue;
  /** azure/login `audience` (default `api://AzureADTokenExchange`). */
  audience?: GitHubValue;
  allowNoSubscriptions?: GitHubValue;
  /** The step's `if:`. */
  if?: string;
}

/** An `actions/checkout` step, or a `run:` step that fetches pull-request code. */
export interface GitHubCheckout extends Located {
  step: number;
  /** `actions/checkout@v4`, or `run` for `gh pr checkout` / `git fetch … pull/…`. */
  uses: string;
  /** `ref:` as written. */
  ref?: string;
  /** `repository:` as written. */
  repository?: string;
  /**
   * True when it reads the pull request's code: `ref:` from `github.event.pull_request.head.*`,
   * `github.head_ref`, `refs/pull/…`, `github.event.workflow_run.head_*`, or `gh pr checkout`.
   */
  pullRequestHead: boolean;
}

export interface GitHubJob extends Located {
  /** The key under `jobs:`. */
  id: string;
  name?: string;
  /** `environment:` as a string or `{ name, url }`; an expression is kept raw. */
  environment?: Located & { name: string; url?: string; expression: boolean };
  if?: string;
  /** `runs-on:` labels (a string, a list, or a mapping's `labels`/`group`), as written. */
  runsOn: string[];
  needs: string[];
  /** The job's own `permissions:`. */
  permissions?: GitHubPermissions;
  /**
   * Whether the job's token may be an OIDC token: job permissions replace the workflow's; with
   * neither, GitHub's default token permissions, which do not include `id-token: write`. `caller`:
   * a reusable workflow (`workflow_call`) without permissions gets those of the job that calls it.
   */
  idToken: "write" | "none" | "caller";
  /** The `permissions:` that decide `idToken` (undefined for the default). */
  idTokenFrom?: Located;
  /** `uses:` of a reusable-workflow call: the called workflow's jobs do the work (and any login). */
  uses?: string;
  /** `with:` of a reusable-workflow call, as written. */
  with?: Record<string, string>;
  /** `secrets: inherit` or the names passed. */
  secrets?: "inherit" | string[];
  env: EnvEntry[];
  logins: GitHubAzureLogin[];
  checkouts: GitHubCheckout[];
  /** Number of steps. */
  steps: number;
}

export interface GitHubWorkflowFile {
  file: string;
  name?: string;
  triggers: GitHubTrigger[];
  /** Workflow-level `permissions:`. */
  permissions?: GitHubPermissions;
  env: EnvEntry[];
  jobs: GitHubJob[];
  /**
   * What the `run:` steps that log in say, as the shell and PowerShell readers read them (client
   * secrets, logins), with this file's lines; the repository scan files them with the scripts, so
   * the script rules (`client-secret-login`) judge workflow steps too.
   */
  runFacts?: ShellFacts;
}

// ---------------------------------------------------------------------------------------------

/** `# trustscope: ignore[rule-id] reason` in a file. */
export interface InlineSuppression extends Located {
  /** The line whose findings it covers. */
  appliesTo: number;
  rules: string[];
  /** Empty when none was given: such a suppression does not suppress. */
  reason: string;
}

export interface RepoInventory {
  pipelines: PipelineFile[];
  /** Shell facts per file: script files, and the inline commands of pipeline steps. */
  scripts: (ShellFacts & { file: string })[];
  /** Facts of ARM, Bicep and Terraform files (a plan's facts carry the plan file). */
  templates: (TemplateFacts & { file: string; kind: "arm" | "bicep" | "terraform" })[];
  /** Files that could not be read fully, with file and line. */
  diagnostics: Diagnostic[];
  /** Inline suppressions found in the files read. */
  inlineSuppressions?: InlineSuppression[];
  /**
   * Each Terraform configuration (root module, and each `-var-file` variant; or a plan), joined:
   * what it declares in inventory shape and where, for the rules that judge declared objects.
   */
  terraform?: TerraformModel[];
  /** GitHub Actions workflows under `.github/workflows/` (absent from readers that predate them). */
  githubWorkflows?: GitHubWorkflowFile[];
}
