/**
 * The command-line vocabulary of the tools trustscope reads, the same whatever shell runs them
 * (bash, sh or PowerShell): which flags of `buildkite-agent` and `az` take a value, and the names
 * of client-secret variables. One list, so both script readers parse the same flags alike.
 */

/** Variables the Azure CLI, SDKs and Terraform read as a client secret. */
export const CLIENT_SECRET_ENV = new Set(["AZURE_CLIENT_SECRET", "ARM_CLIENT_SECRET"]);
/** Names of secrets (Buildkite secrets, Key Vault entries) that hold a client secret. */
export const SECRET_NAME = /client[-_]?secret|sp[-_]?password|azure.*(secret|password)/i;
/** POSIX shells whose `-c` text or script is shell. */
export const SHELLS = new Set(["bash", "sh", "zsh", "dash", "ksh", "ash"]);

export const AGENT_GLOBAL_VALUES = ["--agent-access-token", "--endpoint", "--log-level", "--experiment", "--profile", "--redacted-vars", "--trace-context-encoding"];
export const REQUEST_TOKEN_VALUES = new Set([...AGENT_GLOBAL_VALUES, "--audience", "--lifetime", "--job", "--claim", "--aws-session-tag", "--format", "--subject-claim"]);
export const SECRET_GET_VALUES = new Set([...AGENT_GLOBAL_VALUES, "--job", "--format"]);
export const META_DATA_VALUES = new Set([...AGENT_GLOBAL_VALUES, "--job"]);
export const ARTIFACT_UPLOAD_VALUES = new Set([...AGENT_GLOBAL_VALUES, "--job", "--content-type", "--delimiter", "--upload-concurrency"]);
export const PIPELINE_UPLOAD_VALUES = new Set([
  ...AGENT_GLOBAL_VALUES,
  "--job",
  "--format",
  "--jwks-file",
  "--jwks-key-id",
  "--signing-key-path",
  "--signing-jwks-file",
  "--signing-jwks-key-id",
  "--signing-aws-kms-key",
  "--signing-gcp-kms-key",
  "--git-diff-base",
  "--changed-files-path",
]);
export const AZ_COMMON_VALUES = ["-o", "--output", "--query", "--subscription"];
export const AZ_LOGIN_VALUES = new Set([...AZ_COMMON_VALUES, "-u", "--username", "-p", "--password", "--secret", "-t", "--tenant", "--federated-token", "--certificate", "--client-id", "--object-id", "--resource-id", "--scope"]);
export const AZ_ROLE_VALUES = new Set([
  ...AZ_COMMON_VALUES,
  "--role",
  "--scope",
  "--assignee",
  "--assignee-object-id",
  "--assignee-principal-type",
  "--description",
  "--condition",
  "--condition-version",
  "-g",
  "--resource-group",
  "--name",
  "--delegated-managed-identity-resource-id",
]);
