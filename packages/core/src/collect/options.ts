/** What a live collection needs: endpoints, credentials, scope and limits. */
import type { TokenCredential } from "@azure/core-auth";
import type { AzureCloudName } from "../model/inventory.ts";

export interface CollectOptions {
  cloud: AzureCloudName;
  buildkite?: {
    organization: string;
    graphqlUrl: string;
    token: string;
  };
  azure?: {
    tenantId?: string;
    /** Subscription IDs to read; empty or undefined: every subscription the credential can list. */
    subscriptions?: string[];
    graphUrl: string;
    armUrl: string;
    graphCredential: TokenCredential;
    armCredential: TokenCredential;
    /** Names the credentials in messages ("TRUSTSCOPE_GRAPH_TOKEN", "the Azure default credential chain"). */
    graphCredentialName: string;
    armCredentialName: string;
  };
  /** Extra CA certificates to trust (PEM), e.g. a test emulator's; default: the system's. */
  caPem?: string;
  /** Requests in flight at once, per API family. */
  concurrency?: number;
  /** Page sizes asked for; servers may return fewer (ARM chooses its own). */
  pageSize?: { buildkite?: number; graph?: number };
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
  /** Retries of a throttled or failed request before it becomes a coverage gap. */
  maxRetries?: number;
  /** Progress counts per source; called often, cheap to ignore. */
  onProgress?: (source: string, message: string) => void;
}

export const DEFAULTS = {
  // Buildkite allows 20,000 complexity points per 5 minutes per organisation; Graph and ARM
  // throttle per app and per subscription. Four requests in flight per API stays well inside.
  concurrency: 4,
  pageSize: { buildkite: 100, graph: 999 },
  timeoutMs: 30_000,
  maxRetries: 4,
};
