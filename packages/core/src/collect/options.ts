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
    /**
     * Subscription IDs to read, whatever their tenant; empty or undefined: every subscription the
     * credential can list, of `tenantId` only when that is given (see onOtherTenantSubscriptions).
     */
    subscriptions?: string[];
    graphUrl: string;
    armUrl: string;
    graphCredential: TokenCredential;
    armCredential: TokenCredential;
    /** Names the credentials in messages ("TRUSTSCOPE_GRAPH_TOKEN", "the Azure default credential chain"). */
    graphCredentialName: string;
    armCredentialName: string;
  };
  /**
   * GitHub's REST API (`https://api.github.com`, or a GHES `https://HOST/api/v3`) and the token
   * read with (a secret: never in a message), with the organisations and `owner/repo`
   * repositories asked for (which of them are read is githubTargets's choice).
   */
  github?: {
    apiUrl: string;
    token: string;
    organizations: string[];
    repositories: string[];
  };
  /** Extra CA certificates to trust (PEM), e.g. a test emulator's; default: the system's. */
  caPem?: string;
  /**
   * Requests in flight at once, per API family (Buildkite, Graph, ARM and GitHub each have their
   * own limit; GitHub's is at most GITHUB_MAX_CONCURRENCY whatever is asked).
   */
  concurrency?: number;
  /**
   * Page sizes asked for; servers may return fewer (ARM chooses its own). `buildkiteNested` pages
   * the connections inside a page (a pipeline's teams, a cluster's queues).
   */
  pageSize?: { buildkite?: number; buildkiteNested?: number; graph?: number };
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
  /** Retries of a throttled or failed request before it becomes a coverage gap. */
  maxRetries?: number;
  /** The largest response body read, in bytes; a larger one is a coverage gap, never read whole. */
  maxResponseBytes?: number;
  /** The most bytes read of one API's answers in all; past it, what is left is a coverage gap. */
  maxTotalResponseBytes?: number;
  /** The most pages read of one listing; a longer one (or one whose next link repeats) is a coverage gap. */
  maxPagesPerListing?: number;
  /**
   * Hears the subscriptions the listing returned from tenants other than `azure.tenantId`
   * (Lighthouse, guest access). They are not read: a scan covers one tenant. Naming one in
   * `azure.subscriptions` reads it.
   */
  onOtherTenantSubscriptions?: (subscriptions: { subscriptionId: string; displayName: string; tenantId: string }[]) => void;
  /**
   * Read the Activity Log of each privileged federated identity, in each subscription its
   * privileged grants reach, for the `days` (1–90) before the collection (Azure keeps 90).
   * Absent: not read, and the inventory has no `azure.activity`.
   */
  activity?: { days: number };
  /** Progress counts per source; called often, cheap to ignore. */
  onProgress?: (source: string, message: string) => void;
}

export const DEFAULTS = {
  // Four requests in flight per API stays inside every documented limit even at low latency:
  // ARM allows 250 reads per subscription and principal, refilled at 25/s; Graph's application
  // limits are thousands of resource units per 10 s; Buildkite allows 20,000 actual complexity
  // points per 5 minutes per organisation, and a 1,500-pipeline organisation costs a few
  // thousand. Page sizes are the documented maxima (Graph 999; Buildkite's cookbook pages with
  // 500), which minimises requests; see buildkite-queries.ts for the nested size.
  concurrency: 4,
  pageSize: { buildkite: 500, buildkiteNested: 20, graph: 999 },
  timeoutMs: 30_000,
  maxRetries: 4,
  // Far above any real page: Graph's largest (999 applications with credentials) and ARM's are a
  // few MiB, and 500 Buildkite pipelines with their steps' YAML rarely reach 10 MiB. Below it,
  // a hostile or broken server cannot make the scan hold gigabytes (V8 gives up near 512 MiB
  // strings); above it, the listing is a coverage gap.
  maxResponseBytes: 64 * 1024 * 1024,
  // Per API (Buildkite, Graph, ARM): a 40,000-assignment tenant reads about 40 MB from ARM; a
  // server that pages on without end is stopped before the scan holds gigabytes.
  maxTotalResponseBytes: 512 * 1024 * 1024,
  // 10,000 pages are about ten million items at the page sizes asked for: no real tenant or
  // organisation comes near; a server that never stops paging does.
  maxPagesPerListing: 10_000,
};
