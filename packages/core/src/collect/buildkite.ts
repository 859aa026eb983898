/**
 * Buildkite collector: organisation, clusters and queues, pipelines (provider settings, steps,
 * teams) and agents, through `graphql-request`, paged to the end.
 */
import { ClientError, GraphQLClient } from "graphql-request";
import type { BuildkiteAgent, BuildkiteCluster, BuildkiteInventory, BuildkitePipeline, CoverageGap, PipelineAccessLevel, ProviderSettings } from "../model/inventory.ts";
import { AGENTS_QUERY, CLUSTERS_QUERY, CLUSTER_QUEUES_QUERY, ORGANIZATION_QUERY, PIPELINES_QUERY, PIPELINE_TEAMS_QUERY } from "./buildkite-queries.ts";
import { backoffMs, bufferedResponse, dispatcherFor, Limiter, PageGuard, refusalOf, responseLimits, retryAfterMs, sleep } from "./http.ts";
import { DEFAULTS, type CollectOptions } from "./options.ts";

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
interface Connection<T> {
  pageInfo: PageInfo;
  edges: { node: T }[] | null;
}
interface QueueNode {
  uuid: string;
  key: string;
}
interface ClusterNode {
  id: string;
  uuid: string;
  name: string;
  queues: Connection<QueueNode> | null;
}
interface TeamEdgeNode {
  accessLevel: PipelineAccessLevel;
  team: { uuid: string; slug: string } | null;
}
interface PipelineNode {
  id: string;
  uuid: string;
  slug: string;
  name: string;
  visibility: "PUBLIC" | "PRIVATE";
  defaultBranch: string | null;
  cluster: { uuid: string } | null;
  repository: { url: string; provider: ({ __typename: string; settings?: Record<string, unknown> | null } & Record<string, unknown>) | null } | null;
  steps: { yaml: string | null } | null;
  teams: Connection<TeamEdgeNode> | null;
}
interface AgentNode {
  uuid: string;
  name: string | null;
  version: string | null;
  clusterQueue: { uuid: string } | null;
}

export class BuildkiteError extends Error {}

/** The largest `first` asked for: Buildkite's own cookbook and Terraform provider page with 500. */
const MAX_FIRST = 500;

const SETTING_KEYS: (keyof ProviderSettings)[] = [
  "buildPullRequests",
  "buildPullRequestForks",
  "prefixPullRequestForkBranchNames",
  "buildBranches",
  "buildTags",
  "filterEnabled",
  "filterCondition",
  "pullRequestBranchFilterEnabled",
  "pullRequestBranchFilterConfiguration",
  "triggerMode",
];

/** Provider settings the inventory knows; unknown provider types keep only what they share. */
function settingsOf(raw: Record<string, unknown> | null | undefined): ProviderSettings | undefined {
  if (!raw) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) if (raw[k] !== undefined) out[k] = raw[k];
  return out as ProviderSettings;
}

/**
 * A fetch that retries throttling (429), server errors and network failures, honouring
 * Retry-After; follows no redirect (a 307 would take the query elsewhere) and reads at most
 * `maxResponseBytes` of the answer, `maxTotalResponseBytes` of all of them (see bufferedResponse).
 */
function retryingFetch(opts: CollectOptions): typeof fetch {
  const dispatcher = dispatcherFor(opts.caPem);
  const maxRetries = opts.maxRetries ?? DEFAULTS.maxRetries;
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  const limits = responseLimits(opts, DEFAULTS);
  return async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(input, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs), ...(dispatcher ? { dispatcher } : {}) } as RequestInit);
        if ((res.status === 429 || res.status >= 500) && attempt < maxRetries) {
          const reset = res.headers.get("retry-after") ?? res.headers.get("ratelimit-reset");
          await res.body?.cancel();
          await sleep(retryAfterMs(reset, backoffMs(attempt)));
          continue;
        }
      } catch (e) {
        if (attempt >= maxRetries) throw e;
        await sleep(backoffMs(attempt));
        continue;
      }
      // Outside the retries: a refused answer would be refused again.
      return bufferedResponse(res, input instanceof Request ? input.url : String(input), limits);
    }
  };
}

function describeError(e: unknown, url: string): string {
  const refused = refusalOf(e);
  if (refused) return refused.message;
  if (e instanceof ClientError) {
    const status = e.response.status;
    const first = e.response.errors?.[0]?.message;
    if (status === 401) return `401 Unauthorized from ${url}: the token in BUILDKITE_API_TOKEN was rejected (it needs GraphQL API access)`;
    if (status === 403) return `403 Forbidden from ${url}: the token in BUILDKITE_API_TOKEN lacks GraphQL API access to this organisation`;
    return `${status ? `HTTP ${status}` : "GraphQL error"} from ${url}${first ? `: ${first}` : ""}`;
  }
  return `${url}: ${e instanceof Error ? e.message : String(e)}`;
}

export interface BuildkiteCollection {
  buildkite?: BuildkiteInventory;
  gaps: CoverageGap[];
}

export async function collectBuildkite(opts: CollectOptions): Promise<BuildkiteCollection> {
  const bk = opts.buildkite!;
  const client = new GraphQLClient(bk.graphqlUrl, { headers: { Authorization: `Bearer ${bk.token}` }, fetch: retryingFetch(opts) });
  const limiter = new Limiter(opts.concurrency ?? DEFAULTS.concurrency);
  const first = Math.min(opts.pageSize?.buildkite ?? DEFAULTS.pageSize.buildkite, MAX_FIRST);
  const maxPages = opts.maxPagesPerListing ?? DEFAULTS.maxPagesPerListing;
  const nested = Math.min(opts.pageSize?.buildkiteNested ?? DEFAULTS.pageSize.buildkiteNested, first);
  const progress = (m: string) => opts.onProgress?.("buildkite", m);
  const gaps: CoverageGap[] = [];
  const request = <T>(doc: string, vars: Record<string, unknown>) => limiter.run(() => client.request<T>(doc, vars));

  // The organisation is read alongside the listings (they need only its slug); what the
  // listings found is discarded when the organisation itself cannot be read.
  const orgRead = request<{ organization: { uuid: string; slug: string; name: string } | null }>(ORGANIZATION_QUERY, { slug: bk.organization }).then(
    (r) => r.organization,
    (e: unknown) => new BuildkiteError(describeError(e, bk.graphqlUrl)),
  );

  /**
   * Pages a connection to the end, from `start` (the end cursor of a first page read elsewhere);
   * a failed page, a cursor that repeats or too many pages become a gap and stop that listing.
   */
  async function pageAll<T>(what: string, fetchPage: (after: string | null) => Promise<Connection<T> | null | undefined>, start: string | null = null): Promise<T[]> {
    const out: T[] = [];
    const guard = new PageGuard(maxPages, () => "the end cursor");
    let after: string | null = start;
    for (;;) {
      let conn: Connection<T> | null | undefined;
      try {
        guard.next(after ?? "");
        conn = await fetchPage(after);
      } catch (e) {
        gaps.push({ source: "buildkite", scope: what, error: describeError(e, bk.graphqlUrl) });
        return out;
      }
      for (const edge of conn?.edges ?? []) out.push(edge.node);
      progress(`${out.length} ${what}`);
      if (!conn?.pageInfo.hasNextPage || !conn.pageInfo.endCursor) return out;
      after = conn.pageInfo.endCursor;
    }
  }

  const slug = bk.organization;
  // A missing organisation answers `organization: null`: each listing then ends empty.
  const [org, clusterNodes, pipelineNodes, agentNodes] = await Promise.all([
    orgRead,
    pageAll<ClusterNode>("clusters", async (after) => (await request<{ organization: { clusters: Connection<ClusterNode> } | null }>(CLUSTERS_QUERY, { slug, first, nested, after })).organization?.clusters),
    pageAll<PipelineNode>("pipelines", async (after) => (await request<{ organization: { pipelines: Connection<PipelineNode> } | null }>(PIPELINES_QUERY, { slug, first, nested, after })).organization?.pipelines),
    pageAll<AgentNode>("agents", async (after) => (await request<{ organization: { agents: Connection<AgentNode> } | null }>(AGENTS_QUERY, { slug, first, after })).organization?.agents),
  ]);
  if (org instanceof BuildkiteError) return { gaps: [{ source: "buildkite", scope: `organization ${bk.organization}`, error: org.message }] };
  if (!org) {
    return { gaps: [{ source: "buildkite", scope: `organization ${bk.organization}`, error: `no organisation '${bk.organization}' is visible to the token in BUILDKITE_API_TOKEN` }] };
  }

  const clusters: BuildkiteCluster[] = await Promise.all(
    clusterNodes.map(async (c) => {
      let queues = (c.queues?.edges ?? []).map((e) => e.node);
      if (c.queues?.pageInfo.hasNextPage) {
        // The first page came with the cluster; fetch the rest from where it ended.
        const rest = await pageAll<QueueNode>(
          `queues of cluster ${c.name}`,
          async (after) => (await request<{ organization: { cluster: { queues: Connection<QueueNode> } | null } }>(CLUSTER_QUEUES_QUERY, { slug, cluster: c.id, first, after })).organization.cluster?.queues,
          c.queues.pageInfo.endCursor,
        );
        queues = [...queues, ...rest];
      }
      return { uuid: c.uuid, name: c.name, queues: queues.map((q) => ({ uuid: q.uuid, key: q.key })) };
    }),
  );

  const pipelines: BuildkitePipeline[] = await Promise.all(
    pipelineNodes.map(async (p) => {
      let teams = (p.teams?.edges ?? []).map((e) => e.node);
      if (p.teams?.pageInfo.hasNextPage) {
        const rest = await pageAll<TeamEdgeNode>(
          `teams of pipeline ${p.slug}`,
          async (after) => (await request<{ node: { teams: Connection<TeamEdgeNode> } | null }>(PIPELINE_TEAMS_QUERY, { pipeline: p.id, first, after })).node?.teams,
          p.teams.pageInfo.endCursor,
        );
        teams = [...teams, ...rest];
      }
      const provider = p.repository?.provider;
      const settings = settingsOf(provider?.settings ?? undefined);
      return {
        uuid: p.uuid,
        slug: p.slug,
        name: p.name,
        clusterUuid: p.cluster?.uuid ?? null,
        visibility: p.visibility,
        ...(p.repository ? { repository: { url: p.repository.url, provider: provider?.__typename ?? "unknown", ...(settings ? { settings } : {}) } } : {}),
        defaultBranch: p.defaultBranch,
        stepsYaml: p.steps?.yaml ?? null,
        teams: teams.filter((t) => t.team).map((t) => ({ uuid: t.team!.uuid, slug: t.team!.slug, accessLevel: t.accessLevel })),
      };
    }),
  );

  const agents: BuildkiteAgent[] = agentNodes.map((a) => ({
    uuid: a.uuid,
    ...(a.name ? { name: a.name } : {}),
    version: a.version,
    queueUuid: a.clusterQueue?.uuid ?? null,
  }));
  progress(`${clusters.length} clusters, ${pipelines.length} pipelines, ${agents.length} agents`);
  return { buildkite: { organization: { uuid: org.uuid, slug: org.slug, name: org.name }, clusters, pipelines, agents }, gaps };
}
