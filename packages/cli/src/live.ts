/**
 * Live-source options shared by `scan` and `collect`: which Buildkite organisation and Azure
 * tenant to read, with which endpoints and credentials. Flags win over environment variables.
 */
import {
  CLOUDS,
  CLOUD_NAMES,
  UsageError,
  listSome,
  terminalText,
  type AzureCloudName,
  type CollectOptions,
  type Redactor,
} from "@trustscope/core";
import type { AzureCredentials } from "@trustscope/core/collect";
import { oneOf } from "./args.ts";
import type { Io } from "./io.ts";

export const LIVE_OPTIONS = {
  "buildkite-org": { type: "string" },
  "buildkite-graphql-url": { type: "string" },
  tenant: { type: "string" },
  subscription: { type: "string", multiple: true },
  cloud: { type: "string" },
  "graph-url": { type: "string" },
  "arm-url": { type: "string" },
  "authority-url": { type: "string" },
  "azure-auth": { type: "string" },
  "azure-client-id": { type: "string" },
  "oidc-subject-claim": { type: "string" },
  concurrency: { type: "string" },
  activity: { type: "boolean" },
  "activity-days": { type: "string" },
  "github-org": { type: "string", multiple: true },
  "github-repo": { type: "string", multiple: true },
  "github-api-url": { type: "string" },
} as const;

export const AZURE_AUTH_MODES = ["default", "buildkite-oidc"] as const;

export interface LiveValues {
  "buildkite-org"?: string;
  "buildkite-graphql-url"?: string;
  tenant?: string;
  subscription?: string[];
  cloud?: string;
  "graph-url"?: string;
  "arm-url"?: string;
  "authority-url"?: string;
  "azure-auth"?: string;
  "azure-client-id"?: string;
  "oidc-subject-claim"?: string;
  concurrency?: string;
  activity?: boolean;
  "activity-days"?: string;
  "github-org"?: string[];
  "github-repo"?: string[];
  "github-api-url"?: string;
}

/** Flags that tune a live read without asking for one. */
const TUNING_FLAGS: ReadonlySet<string> = new Set(["concurrency", "activity", "activity-days", "github-api-url"]);

export const LIVE_HELP = `Live sources (read-only):
  --buildkite-org SLUG         Buildkite organisation (env BUILDKITE_ORGANIZATION_SLUG); token from env BUILDKITE_API_TOKEN
  --buildkite-graphql-url URL  default https://graphql.buildkite.com/v1
  --tenant ID                  Entra tenant (env AZURE_TENANT_ID)
  --subscription ID            repeatable; default: every subscription of the tenant that the
                               credential can list (other tenants' are named in a note, not read;
                               one named here is read whatever its tenant)
  --cloud NAME                 AzureCloud | AzureUSGovernment | AzureChinaCloud (default AzureCloud)
  --graph-url URL, --arm-url URL   override the cloud's endpoints (proxies, test servers)
  --authority-url URL          override the cloud's Entra login endpoint (proxies, test servers)
  --azure-auth MODE            how to log in to Azure: default | buildkite-oidc (default: default)
                               default: env TRUSTSCOPE_GRAPH_TOKEN / TRUSTSCOPE_ARM_TOKEN as bearer
                               tokens, otherwise the Azure default credential chain (Azure CLI,
                               environment, workload identity, managed identity).
                               buildkite-oidc: inside a Buildkite job, exchange a token from
                               'buildkite-agent oidc request-token' for Graph and ARM tokens (no
                               secret; needs --tenant and --azure-client-id; the TRUSTSCOPE_*_TOKEN
                               variables are ignored)
  --azure-client-id ID         buildkite-oidc: the app registration or managed identity to log in as
                               (env AZURE_CLIENT_ID)
  --oidc-subject-claim CLAIM   buildkite-oidc: passed as 'request-token --subject-claim CLAIM' (e.g.
                               pipeline_id); without it the agent uses BUILDKITE_OIDC_TOKEN_SUBJECT_CLAIM
                               or its default subject
  --concurrency N              requests in flight per API (Buildkite, Graph, ARM), default 4, which
                               stays inside each API's documented rate limits; live reads only
  --activity                   also read each subscription's Activity Log for the federated identities
                               that hold privileged roles (what they did decides least-privilege
                               findings); needs Microsoft.Insights/eventtypes/values/read, which Reader
                               has; costs a few requests per identity and subscription
  --activity-days N            how many days of the Activity Log to read, 1 to 90 (default 90, all
                               Azure keeps)
  --github-org ORG             repeatable: read the GitHub repositories of ORG that federated
                               credentials name (their environments' protection rules and OIDC
                               subject templates) and ORG's own template; token from env GITHUB_TOKEN
                               (read-only; the Actions token works)
  --github-repo OWNER/REPO     repeatable: read that repository too, whether or not a credential names it
  --github-api-url URL         GitHub's REST API, default env GITHUB_API_URL or https://api.github.com
                               (GitHub Enterprise Server: https://HOST/api/v3)
`;

function url(flag: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag} must be an absolute URL, got '${value}'`);
  }
  // A user:password part would be written to reports and snapshots as the URL is: refuse it, unshown.
  if (u.username !== "" || u.password !== "") throw new UsageError(`${flag} must not carry credentials (user:password@); give tokens in their environment variables`);
  // Bearer tokens only ever travel over TLS.
  if (u.protocol !== "https:") throw new UsageError(`${flag} must be an https:// URL, got '${value}'`);
  return value.replace(/\/+$/, "");
}

/** Only the live flags of parsed `values` (which may hold other commands' flags too). */
export function liveValues(values: LiveValues): LiveValues {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(LIVE_OPTIONS) as (keyof LiveValues)[]) if (values[k] !== undefined) out[k] = values[k];
  return out as LiveValues;
}

/** Whether a flag asks for a live source (`--azure-auth default` alone does not). */
export function hasLiveFlags(v: LiveValues): boolean {
  // Tuning flags (TUNING_FLAGS) shape a live read; on their own they ask for none.
  return Object.keys(LIVE_OPTIONS).some((k) => !TUNING_FLAGS.has(k) && v[k as keyof LiveValues] !== undefined && !(k === "azure-auth" && v[k] === "default"));
}

/** The Activity Log to read: `--activity` (or `--activity-days`, which implies it), 1–90 days. */
export function activityOption(v: Pick<LiveValues, "activity" | "activity-days">): { days: number } | undefined {
  const given = v["activity-days"];
  if (given === undefined) return v.activity ? { days: 90 } : undefined;
  const days = Number(given);
  if (!/^\d+$/.test(given) || days < 1 || days > 90) throw new UsageError(`--activity-days must be a whole number from 1 to 90 (Azure keeps 90 days), got '${given}'`);
  return { days };
}

/**
 * Notes for tuning flags given where nothing is read live (`--snapshot`, `--repo` alone, and for
 * `--concurrency` also `--demo`), where they would silently do nothing.
 */
export function tuningNotes(v: LiveValues, source: string): string[] {
  const notes: string[] = [];
  if (v.concurrency !== undefined) notes.push(`trustscope: note: --concurrency has no effect with ${source} (it sets how many requests a live read has in flight)`);
  // --demo always reads the demo's Activity Log.
  if (source !== "--demo" && activityOption(v)) notes.push(`trustscope: note: --activity has no effect with ${source} (it reads the Activity Log in a live read; a snapshot holds what was collected)`);
  if (v["github-api-url"] !== undefined) notes.push(`trustscope: note: --github-api-url has no effect with ${source} (it says where --github-org and --github-repo are read)`);
  return notes;
}

/**
 * Turns flags and environment into collector options, or undefined when nothing live was asked
 * for. Registers every secret with the redactor before anything can print it.
 */
export async function liveOptions(v: LiveValues, io: Io, redactor: Redactor, quiet = false): Promise<CollectOptions | undefined> {
  const env = io.env;
  const cloudName = (v.cloud ?? "AzureCloud") as AzureCloudName;
  if (!CLOUD_NAMES.includes(cloudName)) throw new UsageError(`--cloud must be one of ${CLOUD_NAMES.join(", ")}, got '${v.cloud}'`);
  const cloud = CLOUDS[cloudName];
  redactor.add(env.BUILDKITE_API_TOKEN);
  redactor.add(env.TRUSTSCOPE_GRAPH_TOKEN);
  redactor.add(env.TRUSTSCOPE_ARM_TOKEN);
  redactor.add(env.GITHUB_TOKEN);

  const auth = oneOf("--azure-auth", v["azure-auth"], AZURE_AUTH_MODES, "default");
  const oidc = auth === "buildkite-oidc";
  for (const flag of ["azure-client-id", "oidc-subject-claim"] as const) {
    if (v[flag] !== undefined && !oidc) throw new UsageError(`--${flag} is for --azure-auth buildkite-oidc`);
  }

  // Inside a Buildkite job the agent sets BUILDKITE_ORGANIZATION_SLUG for every step: without an
  // API token that names the job's organisation, not a request to read it.
  const ambientSlug = env.BUILDKITE === "true" && !env.BUILDKITE_API_TOKEN;
  const org = v["buildkite-org"] ?? (ambientSlug ? undefined : env.BUILDKITE_ORGANIZATION_SLUG);
  const wantAzure =
    oidc || v.tenant !== undefined || v.subscription !== undefined || v["graph-url"] !== undefined || v["arm-url"] !== undefined ||
    v["authority-url"] !== undefined || Boolean(env.AZURE_TENANT_ID || env.TRUSTSCOPE_GRAPH_TOKEN || env.TRUSTSCOPE_ARM_TOKEN);
  const wantGitHub = v["github-org"] !== undefined || v["github-repo"] !== undefined;
  if (!org && !wantAzure && !wantGitHub) return undefined;

  const opts: CollectOptions = { cloud: cloudName };
  // Undocumented limits for tests (a small cap makes a hostile answer cheap to serve); the
  // defaults are in the collectors' DEFAULTS.
  const maxResponseBytes = limitFromEnv(env, "TRUSTSCOPE_MAX_RESPONSE_BYTES");
  if (maxResponseBytes !== undefined) opts.maxResponseBytes = maxResponseBytes;
  const maxTotalResponseBytes = limitFromEnv(env, "TRUSTSCOPE_MAX_TOTAL_RESPONSE_BYTES");
  if (maxTotalResponseBytes !== undefined) opts.maxTotalResponseBytes = maxTotalResponseBytes;
  const maxPagesPerListing = limitFromEnv(env, "TRUSTSCOPE_MAX_PAGES_PER_LISTING");
  if (maxPagesPerListing !== undefined) opts.maxPagesPerListing = maxPagesPerListing;
  const timeoutMs = limitFromEnv(env, "TRUSTSCOPE_TIMEOUT_MS");
  if (timeoutMs !== undefined) opts.timeoutMs = timeoutMs;
  if (v.concurrency !== undefined) {
    const n = Number(v.concurrency);
    if (!Number.isInteger(n) || n < 1 || n > 32) throw new UsageError(`--concurrency must be a whole number from 1 to 32, got '${v.concurrency}'`);
    opts.concurrency = n;
  }
  const activity = activityOption(v);
  if (activity) opts.activity = activity;
  if (org) {
    const token = env.BUILDKITE_API_TOKEN;
    if (!token) throw new UsageError("reading Buildkite needs an API token with GraphQL access in BUILDKITE_API_TOKEN");
    opts.buildkite = { organization: org, graphqlUrl: url("--buildkite-graphql-url", v["buildkite-graphql-url"] ?? "https://graphql.buildkite.com/v1"), token };
  }
  if (wantGitHub) opts.github = githubOption(v, env);
  else if (v["github-api-url"] !== undefined) throw new UsageError("--github-api-url is for --github-org or --github-repo");
  if (wantAzure) {
    const tenantId = v.tenant ?? env.AZURE_TENANT_ID;
    const authorityHost = v["authority-url"] !== undefined ? url("--authority-url", v["authority-url"]) : undefined;
    let creds: AzureCredentials;
    if (oidc) {
      if (!tenantId) throw new UsageError("--azure-auth buildkite-oidc needs the tenant: give --tenant ID or set AZURE_TENANT_ID");
      const clientId = v["azure-client-id"] ?? env.AZURE_CLIENT_ID;
      if (!clientId) throw new UsageError("--azure-auth buildkite-oidc needs the client ID to log in as: give --azure-client-id ID or set AZURE_CLIENT_ID");
      if (!quiet) {
        for (const name of ["TRUSTSCOPE_GRAPH_TOKEN", "TRUSTSCOPE_ARM_TOKEN"]) {
          if (env[name]) io.stderr(`trustscope: note: ${name} is ignored with --azure-auth buildkite-oidc\n`);
        }
      }
      // The Azure SDK loads only when a live scan needs a credential.
      const { buildkiteOidcCredentials } = await import("./buildkite/oidc-credential.ts");
      creds = buildkiteOidcCredentials({
        tenantId,
        clientId,
        cloud,
        ...(v["oidc-subject-claim"] ? { subjectClaim: v["oidc-subject-claim"] } : {}),
        ...(authorityHost ? { authorityHost } : {}),
        env,
        redactor,
      });
    } else {
      const { azureCredentials } = await import("@trustscope/core/collect");
      creds = azureCredentials(env, cloud, tenantId, authorityHost ? { authorityHost } : undefined);
    }
    opts.azure = {
      ...(tenantId ? { tenantId } : {}),
      ...(v.subscription ? { subscriptions: v.subscription } : {}),
      graphUrl: url("--graph-url", v["graph-url"] ?? cloud.graphUrl),
      armUrl: url("--arm-url", v["arm-url"] ?? cloud.armUrl),
      graphCredential: creds.graph,
      armCredential: creds.arm,
      graphCredentialName: creds.graphName,
      armCredentialName: creds.armName,
    };
    // Other tenants' subscriptions (Lighthouse, guest access) are not merged into the tenant's scan.
    opts.onOtherTenantSubscriptions = (subs) => {
      if (quiet) return;
      const named = subs.map((s) => `${s.displayName} (${s.subscriptionId}, tenant ${s.tenantId})`);
      io.stderr(`trustscope: note: ${terminalText(`${subs.length} subscription(s) the credential can list belong to another tenant than ${tenantId} and were not scanned: ${listSome(named, 5)}. Name one with --subscription to scan it.`)}\n`);
    };
  }
  return opts;
}

/** `--github-org`/`--github-repo` as collector options: names checked, token required. */
function githubOption(v: LiveValues, env: NodeJS.ProcessEnv): NonNullable<CollectOptions["github"]> {
  const token = env.GITHUB_TOKEN;
  if (!token) throw new UsageError("reading GitHub needs a token in GITHUB_TOKEN (read access to the repositories' metadata, environments and Actions settings; the Actions token works)");
  // GitHub's own rules for names: no slash in an owner, one slash in a repository.
  for (const o of v["github-org"] ?? []) if (!/^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})$/.test(o)) throw new UsageError(`--github-org must be an organisation's login (letters, digits, hyphens; underscores for managed users), got '${o}'`);
  for (const r of v["github-repo"] ?? []) if ((!/^[A-Za-z0-9][A-Za-z0-9_-]{0,38}\/[A-Za-z0-9._-]{1,100}$/.test(r) || /\/\.\.?$/.test(r))) throw new UsageError(`--github-repo must be OWNER/REPO, got '${r}'`);
  return {
    apiUrl: url("--github-api-url", v["github-api-url"] ?? env.GITHUB_API_URL ?? "https://api.github.com"),
    token,
    organizations: v["github-org"] ?? [],
    repositories: v["github-repo"] ?? [],
  };
}

function limitFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be a positive whole number, got '${value}'`);
  return n;
}

/** Progress on stderr: one line per source when its count changes, only on a terminal. */
export function progressReporter(io: Io, quiet: boolean): ((source: string, message: string) => void) | undefined {
  if (quiet || !io.stderrIsTTY) return undefined;
  const last = new Map<string, number>();
  return (source, message) => {
    const now = Date.now();
    if (now - (last.get(source) ?? 0) < 250) return;
    last.set(source, now);
    io.stderr(`trustscope: ${source}: ${message}\n`);
  };
}
