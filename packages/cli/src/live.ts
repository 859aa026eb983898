/**
 * Live-source options shared by `scan` and `collect`: which Buildkite organisation and Azure
 * tenant to read, with which endpoints and credentials. Flags win over environment variables.
 */
import {
  CLOUDS,
  CLOUD_NAMES,
  UsageError,
  azureCredentials,
  type AzureCloudName,
  type CollectOptions,
  type Redactor,
} from "@trustscope/core";
import type { Io } from "./io.ts";

export const LIVE_OPTIONS = {
  "buildkite-org": { type: "string" },
  "buildkite-graphql-url": { type: "string" },
  tenant: { type: "string" },
  subscription: { type: "string", multiple: true },
  cloud: { type: "string" },
  "graph-url": { type: "string" },
  "arm-url": { type: "string" },
} as const;

export interface LiveValues {
  "buildkite-org"?: string;
  "buildkite-graphql-url"?: string;
  tenant?: string;
  subscription?: string[];
  cloud?: string;
  "graph-url"?: string;
  "arm-url"?: string;
}

export const LIVE_HELP = `Live sources (read-only):
  --buildkite-org SLUG         Buildkite organisation (env BUILDKITE_ORGANIZATION_SLUG); token from env BUILDKITE_API_TOKEN
  --buildkite-graphql-url URL  default https://graphql.buildkite.com/v1
  --tenant ID                  Entra tenant (env AZURE_TENANT_ID)
  --subscription ID            repeatable; default: every subscription the credential can list
  --cloud NAME                 AzureCloud | AzureUSGovernment | AzureChinaCloud (default AzureCloud)
  --graph-url URL, --arm-url URL   override the cloud's endpoints (proxies, test servers)
  Azure credentials: env TRUSTSCOPE_GRAPH_TOKEN / TRUSTSCOPE_ARM_TOKEN as bearer tokens, otherwise
  the Azure default credential chain (Azure CLI, environment, workload identity, managed identity).
`;

function url(flag: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag} must be an absolute URL, got '${value}'`);
  }
  // Bearer tokens only ever travel over TLS.
  if (u.protocol !== "https:") throw new UsageError(`${flag} must be an https:// URL, got '${value}'`);
  return value.replace(/\/+$/, "");
}

export function hasLiveFlags(v: LiveValues): boolean {
  return Object.keys(LIVE_OPTIONS).some((k) => v[k as keyof LiveValues] !== undefined);
}

/**
 * Turns flags and environment into collector options, or undefined when nothing live was asked
 * for. Registers every secret with the redactor before anything can print it.
 */
export function liveOptions(v: LiveValues, io: Io, redactor: Redactor): CollectOptions | undefined {
  const env = io.env;
  const cloudName = (v.cloud ?? "AzureCloud") as AzureCloudName;
  if (!CLOUD_NAMES.includes(cloudName)) throw new UsageError(`--cloud must be one of ${CLOUD_NAMES.join(", ")}, got '${v.cloud}'`);
  const cloud = CLOUDS[cloudName];
  redactor.add(env.BUILDKITE_API_TOKEN);
  redactor.add(env.TRUSTSCOPE_GRAPH_TOKEN);
  redactor.add(env.TRUSTSCOPE_ARM_TOKEN);

  const org = v["buildkite-org"] ?? env.BUILDKITE_ORGANIZATION_SLUG;
  const wantAzure =
    v.tenant !== undefined || v.subscription !== undefined || v["graph-url"] !== undefined || v["arm-url"] !== undefined ||
    Boolean(env.AZURE_TENANT_ID || env.TRUSTSCOPE_GRAPH_TOKEN || env.TRUSTSCOPE_ARM_TOKEN);
  if (!org && !wantAzure) return undefined;

  const opts: CollectOptions = { cloud: cloudName };
  if (org) {
    const token = env.BUILDKITE_API_TOKEN;
    if (!token) throw new UsageError("reading Buildkite needs an API token with GraphQL access in BUILDKITE_API_TOKEN");
    opts.buildkite = { organization: org, graphqlUrl: url("--buildkite-graphql-url", v["buildkite-graphql-url"] ?? "https://graphql.buildkite.com/v1"), token };
  }
  if (wantAzure) {
    const tenantId = v.tenant ?? env.AZURE_TENANT_ID;
    const creds = azureCredentials(env, cloud, tenantId);
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
  }
  return opts;
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
