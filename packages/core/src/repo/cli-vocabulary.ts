import type { AzLoginMethod } from "../model/repo.ts";

/**
 * The command-line vocabulary of the tools trustscope reads, the same whatever shell runs them
 * (bash, sh or PowerShell): which flags of `buildkite-agent`, `az` and `azd` take a value, and the
 * names of client-secret variables. One list, so both script readers parse the same flags alike.
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

/**
 * Flags of `azd` (Azure Developer CLI) that take a value: the global ones (`-C/--cwd`,
 * `-e/--environment`, `--trace-log-file`, `--trace-log-url`, `-o/--output`; Azure/azure-dev
 * cli/azd/cmd/auto_install.go) and those of `azd auth login` (cli/azd/cmd/auth_login.go).
 * `--federated-credential` took the token itself before azd 0.8 (Azure/azure-dev#1963 removed it);
 * old scripts still pass it. Everything else is a switch: `--check-status`, `--managed-identity`,
 * `--browser`, `--use-device-code` (a value only as `--use-device-code=false`), `--no-prompt`,
 * `--debug`.
 */
export const AZD_GLOBAL_VALUES = ["-C", "--cwd", "-e", "--environment", "-o", "--output", "--trace-log-file", "--trace-log-url"];
export const AZD_LOGIN_VALUES = new Set([
  ...AZD_GLOBAL_VALUES,
  "--client-id",
  "--client-secret",
  "--client-certificate",
  "--federated-credential-provider",
  "--federated-credential",
  "--tenant-id",
  "--scope",
  "--claims",
  "--redirect-port",
]);
const AZD_GLOBAL_VALUE_SET = new Set(AZD_GLOBAL_VALUES);

/**
 * Where the login flags of an `azd` command line start (the index after `login`), or undefined
 * when it is not a login: `azd auth login`, or `azd login` (removed in azd 1.23,
 * Azure/azure-dev#6395, but older installs still run it), with global flags before the subcommand
 * (`azd -C infra auth login`). `texts[0]` is the command word; an entry is undefined when the word
 * is not fixed text.
 */
export function azdLoginStart(texts: readonly (string | undefined)[]): { start: number; command: "azd auth login" | "azd login" } | undefined {
  let i = 1;
  // global flags may come before the subcommand; a word that is not fixed text ends them
  while (i < texts.length) {
    const t = texts[i];
    if (t === undefined || !t.startsWith("-") || t === "-") break;
    i += AZD_GLOBAL_VALUE_SET.has(t) ? 2 : 1;
  }
  if (texts[i] === "auth" && texts[i + 1] === "login") return { start: i + 2, command: "azd auth login" };
  if (texts[i] === "login") return { start: i + 1, command: "azd login" };
  return undefined;
}

/** Whether a pflag switch is on: present, and not `--x=false` (Go's strconv.ParseBool spellings). */
export function switchOn(present: boolean, value: string | undefined): boolean {
  return present && !(value !== undefined && /^(0|f|false)$/i.test(value));
}

/**
 * How an azd login logs in, from its flags (`flag(name)`: present, and the value's fixed text);
 * undefined for `--check-status`, which only reports, and for `--help`/`--docs`. azd's order
 * (auth_login.go): a managed identity first; then a service principal with one of
 * `--federated-credential-provider`, `--client-certificate`, `--client-secret` (azd refuses more
 * than one); else a browser or device code. The provider is `github`, `azure-pipelines` or `oidc`
 * (which reads `AZURE_OIDC_TOKEN`).
 */
export function azdLoginMethod(flag: (name: string) => { present: boolean; text?: string }): AzLoginMethod | undefined {
  const on = (name: string): boolean => {
    const f = flag(name);
    return switchOn(f.present, f.text);
  };
  if (on("--check-status") || on("--help") || on("-h") || on("--docs")) return undefined;
  if (on("--managed-identity")) return "identity";
  if (flag("--federated-credential-provider").present || flag("--federated-credential").present) return "federated-token";
  if (flag("--client-certificate").present) return "certificate";
  if (flag("--client-secret").present) return "password";
  return "interactive";
}
