/**
 * Buildkite's GraphQL API (POST /v1). Queries are validated and executed with graphql-js against
 * Buildkite's own schema (the full published SDL, or the bundled subset), so a query the real API
 * would reject fails here too. Data comes from plain objects built from the scenario; fields the
 * scenario does not model resolve to null, or to the type's zero value when the schema says non-null.
 */
import { readFileSync } from "node:fs";
import {
  buildSchema,
  defaultFieldResolver,
  execute,
  GraphQLError,
  isAbstractType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLSchema,
} from "graphql";
import type { BuildkiteAgent, BuildkiteCluster, BuildkitePipeline, Inventory } from "@trustscope/core";
import { json, ResponseCache, type ApiRequest, type ApiResponse, type EmulatorState, type FamilyErrors, type FamilyHandler } from "./http.ts";

const CONTENT_TYPE = "application/json; charset=utf-8";

type Obj = Record<string, unknown>;
type Args = Record<string, unknown>;

export interface BuildkiteOptions {
  scenario: Inventory;
  schemaSdl: string;
  pageSize: number;
  /** For faults that shape answers (a looping connection); none without it. */
  state?: EmulatorState;
}

/** The bundled subset of Buildkite's schema (see scripts/make-subset-schema.ts). */
export function bundledSchemaSdl(): string {
  return readFileSync(new URL("./buildkite-schema-subset.graphql", import.meta.url), "utf8");
}

const schemaCache = new Map<string, GraphQLSchema>();
function schemaFor(sdl: string): GraphQLSchema {
  let schema = schemaCache.get(sdl);
  if (!schema) {
    schema = buildSchema(sdl);
    schemaCache.set(sdl, schema);
  }
  return schema;
}

export const buildkiteErrors: FamilyErrors = {
  unauthorized: () => json(401, { message: "Authentication required. Please supply a valid API Access Token: https://buildkite.com/docs/apis/graphql-api#authentication" }),
  throttled: (_req, status, retryAfterSeconds) =>
    status === 429
      ? json(429, { message: "You have exceeded your GraphQL API rate limit. Please wait before making more requests." }, {
          "Retry-After": String(retryAfterSeconds),
          "RateLimit-Remaining": "0",
          "RateLimit-Reset": String(retryAfterSeconds),
        })
      : json(503, { message: "Service Unavailable" }, { "Retry-After": String(retryAfterSeconds) }),
  forbidden: () => json(403, { message: "Your API Access Token does not have access to the GraphQL API." }),
  failed: (_req, status) => json(status, { message: status === 413 ? "Request Entity Too Large" : status >= 500 ? "An unexpected error occurred. Please try again." : `Request failed with status ${status}` }),
  // GraphQL's own shape, which clients read the message from whatever the status.
  failedWith: (_req, status, message) => json(status, { errors: [{ message }] }),
};

// ---------------------------------------------------------------------------------------------
// Ids, cursors and connections

/** Buildkite's opaque global IDs: base64 of "Type---uuid". */
export function globalId(type: string, uuid: string): string {
  return Buffer.from(`${type}---${uuid}`, "utf8").toString("base64");
}

function parseGlobalId(id: string): { type: string; uuid: string } | undefined {
  const m = /^([A-Za-z]+)---(.+)$/.exec(Buffer.from(id, "base64").toString("utf8"));
  return m ? { type: m[1]!, uuid: m[2]! } : undefined;
}

const encodeCursor = (offset: number) => Buffer.from(`cursor:${offset}`, "utf8").toString("base64");
function decodeCursor(cursor: string): number {
  const m = /^cursor:(\d+)$/.exec(Buffer.from(cursor, "base64").toString("utf8"));
  if (!m) throw new GraphQLError(`Invalid cursor: ${JSON.stringify(cursor)}`);
  return Number(m[1]);
}

/** A Relay connection over `items`; serves at most `pageSize` per page, like the real API caps `first`. */
function connection(items: Obj[], args: Args, pageSize: number): Obj {
  const first = typeof args.first === "number" ? args.first : undefined;
  const last = typeof args.last === "number" ? args.last : undefined;
  if ((first ?? 0) < 0 || (last ?? 0) < 0) throw new GraphQLError("Argument 'first' and 'last' must be non-negative integers");
  let start = typeof args.after === "string" ? decodeCursor(args.after) + 1 : 0;
  let end = typeof args.before === "string" ? Math.min(decodeCursor(args.before), items.length) : items.length;
  start = Math.min(start, end);
  if (first !== undefined) end = Math.min(end, start + Math.min(first, pageSize));
  else if (last !== undefined) start = Math.max(start, end - Math.min(last, pageSize));
  else end = Math.min(end, start + pageSize);
  const edges = items.slice(start, end).map((node, i) => ({ cursor: encodeCursor(start + i), node }));
  return {
    count: items.length,
    edges,
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The object graph

/** Buildkite's defaults for a new GitHub pipeline, for settings the scenario leaves out. */
const GITHUB_SETTINGS_DEFAULTS: Obj = {
  buildPullRequests: true,
  buildPullRequestForks: false,
  prefixPullRequestForkBranchNames: true,
  buildBranches: true,
  buildTags: false,
  filterEnabled: false,
  filterCondition: null,
  pullRequestBranchFilterEnabled: false,
  pullRequestBranchFilterConfiguration: null,
  triggerMode: "code",
  skipPullRequestBuildsForExistingCommits: true,
  publishCommitStatus: true,
};

const PROVIDER_NAMES: Record<string, string> = {
  RepositoryProviderGithub: "GitHub",
  RepositoryProviderGithubEnterprise: "GitHub Enterprise",
  RepositoryProviderBitbucket: "Bitbucket",
  RepositoryProviderBitbucketServer: "Bitbucket Server",
  RepositoryProviderGitlab: "GitLab",
  RepositoryProviderGitlabCommunity: "GitLab Community",
  RepositoryProviderGitlabEnterprise: "GitLab Enterprise",
  RepositoryProviderBeanstalk: "Beanstalk",
  RepositoryProviderCodebase: "Codebase",
  RepositoryProviderUnknown: "Unknown",
};

const matchesId = (value: unknown, type: string, uuid: string) =>
  typeof value === "string" && (value.toLowerCase() === uuid.toLowerCase() || value === globalId(type, uuid));

interface Graph {
  root: Obj;
}

function buildGraph(scenario: Inventory, schema: GraphQLSchema, pageSize: number): Graph {
  const bk = scenario.buildkite;
  const byId = new Map<string, Obj>();
  const register = (type: string, uuid: string, obj: Obj) => {
    byId.set(`${type}---${uuid.toLowerCase()}`, obj);
    return obj;
  };
  const page = (items: Obj[], args: Args) => connection(items, args, pageSize);

  if (!bk) {
    return { root: { organization: () => null, node: () => null, pipeline: () => null, agent: () => null, team: () => null, viewer: null } };
  }
  const org: Obj = register("Organization", bk.organization.uuid, {
    __typename: "Organization",
    id: globalId("Organization", bk.organization.uuid),
    uuid: bk.organization.uuid,
    slug: bk.organization.slug,
    name: bk.organization.name ?? "",
  });

  const queues = new Map<string, Obj>();
  const clusters = bk.clusters.map((c: BuildkiteCluster) => {
    const cluster: Obj = register("Cluster", c.uuid, { __typename: "Cluster", id: globalId("Cluster", c.uuid), uuid: c.uuid, name: c.name, organization: org });
    const clusterQueues = c.queues.map((q) => {
      const queue = register("ClusterQueue", q.uuid, { __typename: "ClusterQueue", id: globalId("ClusterQueue", q.uuid), uuid: q.uuid, key: q.key, cluster, hosted: false, dispatchPaused: false });
      queues.set(q.uuid.toLowerCase(), queue);
      return queue;
    });
    cluster.queues = (args: Args) => page(clusterQueues, args);
    cluster.defaultQueue = clusterQueues[0] ?? null;
    return cluster;
  });
  const clustersByUuid = new Map(clusters.map((c) => [(c.uuid as string).toLowerCase(), c]));
  const clusterOf = (uuid: string | null) => (uuid ? clustersByUuid.get(uuid.toLowerCase()) ?? null : null);

  const teams = new Map<string, Obj>();
  const teamPipelines = new Map<string, Obj[]>();

  const providerType = (name: string) => {
    // An unknown provider (newer than the schema) comes back as RepositoryProviderUnknown.
    const type = schema.getType(name);
    const iface = schema.getType("RepositoryProvider");
    return type && isObjectType(type) && iface && isAbstractType(iface) && schema.isSubType(iface, type) ? name : "RepositoryProviderUnknown";
  };

  const pipelines = bk.pipelines.map((p: BuildkitePipeline) => {
    const pipeline: Obj = register("Pipeline", p.uuid, {
      __typename: "Pipeline",
      id: globalId("Pipeline", p.uuid),
      uuid: p.uuid,
      slug: p.slug,
      name: p.name,
      visibility: p.visibility,
      public: p.visibility === "PUBLIC",
      archived: false,
      defaultBranch: p.defaultBranch ?? null,
      url: `https://buildkite.com/${bk.organization.slug}/${p.slug}`,
      cluster: clusterOf(p.clusterUuid),
      organization: org,
      tags: [],
      steps: { yaml: p.stepsYaml ?? null },
      repository: p.repository
        ? {
            url: p.repository.url,
            provider: {
              __typename: providerType(p.repository.provider),
              name: PROVIDER_NAMES[p.repository.provider] ?? p.repository.provider,
              url: null,
              webhookUrl: null,
              settings: p.repository.settings ? { ...GITHUB_SETTINGS_DEFAULTS, ...p.repository.settings } : null,
            },
          }
        : null,
    });
    const access = p.teams.map((t) => {
      let team = teams.get(t.uuid.toLowerCase());
      if (!team) {
        team = register("Team", t.uuid, { __typename: "Team", id: globalId("Team", t.uuid), uuid: t.uuid, slug: t.slug, name: t.slug, privacy: "VISIBLE", organization: org });
        teams.set(t.uuid.toLowerCase(), team);
      }
      const tpUuid = `${t.uuid}:${p.uuid}`;
      const teamPipeline = register("TeamPipeline", tpUuid, { __typename: "TeamPipeline", id: globalId("TeamPipeline", tpUuid), uuid: tpUuid, accessLevel: t.accessLevel, team, pipeline });
      // Pushed in place: a team on thousands of pipelines must not copy its list each time.
      const list = teamPipelines.get(t.uuid.toLowerCase());
      if (list) list.push(teamPipeline);
      else teamPipelines.set(t.uuid.toLowerCase(), [teamPipeline]);
      return teamPipeline;
    });
    pipeline.teams = (args: Args) => {
      const search = typeof args.search === "string" ? args.search.toLowerCase() : undefined;
      return page(search ? access.filter((tp) => String((tp.team as Obj).slug).includes(search)) : access, args);
    };
    return pipeline;
  });
  for (const team of teams.values()) team.pipelines = (args: Args) => page(teamPipelines.get(String(team.uuid).toLowerCase()) ?? [], args);

  const agents = bk.agents.map((a: BuildkiteAgent) => {
    const queue = a.queueUuid ? queues.get(a.queueUuid.toLowerCase()) ?? null : null;
    return register("Agent", a.uuid, {
      __typename: "Agent",
      id: globalId("Agent", a.uuid),
      uuid: a.uuid,
      name: a.name ?? "", // String! in the schema: the zero value when the scenario has no name
      version: a.version ?? null,
      clusterQueue: queue,
      connectionState: "connected",
      metaData: queue ? [`queue=${String(queue.key)}`] : [],
      organization: org,
    });
  });

  const clusterArg = (value: unknown) => clusters.find((c) => matchesId(value, "Cluster", c.uuid as string));

  org.clusters = (args: Args) => page(clusters, args);
  org.cluster = (args: Args) => clusterArg(args.id) ?? null;
  org.pipelines = (args: Args) => {
    let list = pipelines;
    // clustered defaults to true (include everything); false leaves out pipelines in a cluster.
    if (args.clustered === false) list = list.filter((p) => p.cluster === null);
    if (typeof args.cluster === "string") {
      const cluster = clusterArg(args.cluster);
      list = list.filter((p) => cluster !== undefined && p.cluster === cluster);
    }
    if (args.archived === true) list = [];
    if (typeof args.search === "string") {
      const s = args.search.toLowerCase();
      list = list.filter((p) => String(p.name).toLowerCase().includes(s) || String(p.slug).toLowerCase().includes(s));
    }
    if (typeof args.team === "string") {
      const team = [...teams.values()].find((t) => t.slug === args.team || matchesId(args.team, "Team", t.uuid as string));
      const allowed = new Set((team ? teamPipelines.get(String(team.uuid).toLowerCase()) ?? [] : []).map((tp) => tp.pipeline));
      list = list.filter((p) => allowed.has(p));
    }
    return page(list, args);
  };
  org.agents = (args: Args) => {
    let list = agents;
    if (args.clustered === false) list = list.filter((a) => a.clusterQueue === null);
    if (typeof args.cluster === "string") {
      const cluster = clusterArg(args.cluster);
      list = list.filter((a) => cluster !== undefined && (a.clusterQueue as Obj | null)?.cluster === cluster);
    }
    if (Array.isArray(args.clusterQueue)) {
      const wanted = args.clusterQueue as unknown[];
      list = list.filter((a) => {
        const q = a.clusterQueue as Obj | null;
        return q !== null && wanted.some((w) => matchesId(w, "ClusterQueue", q.uuid as string));
      });
    }
    if (typeof args.search === "string") {
      const s = args.search.toLowerCase();
      list = list.filter((a) => String(a.name).toLowerCase().includes(s));
    }
    return page(list, args);
  };
  org.teams = (args: Args) => page([...teams.values()], args);

  const orgMatches = (slugOrUuid: unknown) =>
    typeof slugOrUuid === "string" && (slugOrUuid === bk.organization.slug || slugOrUuid.toLowerCase() === bk.organization.uuid.toLowerCase());
  const splitSlug = (value: unknown): [string, string] | undefined => {
    if (typeof value !== "string") return undefined;
    const i = value.indexOf("/");
    return i === -1 ? undefined : [value.slice(0, i), value.slice(i + 1)];
  };

  const root: Obj = {
    organization: (args: Args) => (orgMatches(args.slug) || orgMatches(args.uuid) ? org : null),
    node: (args: Args) => {
      const parsed = typeof args.id === "string" ? parseGlobalId(args.id) : undefined;
      const obj = parsed ? byId.get(`${parsed.type}---${parsed.uuid.toLowerCase()}`) : undefined;
      // Only hand out types the executing schema knows as Nodes (the subset has fewer).
      const type = obj ? schema.getType(String(obj.__typename)) : undefined;
      return obj && type && isObjectType(type) && type.getInterfaces().some((i) => i.name === "Node") ? obj : null;
    },
    pipeline: (args: Args) => {
      const slug = splitSlug(args.slug);
      if (slug) return orgMatches(slug[0]) ? pipelines.find((p) => p.slug === slug[1]) ?? null : null;
      return typeof args.uuid === "string" ? pipelines.find((p) => matchesId(args.uuid, "Pipeline", p.uuid as string)) ?? null : null;
    },
    agent: (args: Args) => {
      const slug = splitSlug(args.slug);
      return slug && orgMatches(slug[0]) ? agents.find((a) => matchesId(slug[1], "Agent", a.uuid as string)) ?? null : null;
    },
    team: (args: Args) => {
      const slug = splitSlug(args.slug);
      return slug && orgMatches(slug[0]) ? [...teams.values()].find((t) => t.slug === slug[1]) ?? null : null;
    },
    viewer: null,
  };
  return { root };
}

/** The value a non-null field gets when the scenario has nothing for it: the type's zero value. */
function zeroValue(type: GraphQLOutputType): unknown {
  if (!isNonNullType(type)) return null;
  const inner = type.ofType;
  if (isListType(inner)) return [];
  if (isEnumType(inner)) return inner.getValues()[0]?.value ?? null;
  if (isScalarType(inner)) {
    switch (inner.name) {
      case "Boolean":
        return false;
      case "Int":
      case "Float":
        return 0;
      default:
        return "";
    }
  }
  return null; // an object: graphql-js reports the missing value, which is the honest outcome
}

const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
  const value: unknown = defaultFieldResolver(source, args, context, info);
  return value === undefined ? zeroValue(info.returnType) : value;
};

function operationNameOf(document: DocumentNode | undefined, requested: unknown): string | undefined {
  if (typeof requested === "string" && requested !== "") return requested;
  const op = document?.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  return op && op.kind === Kind.OPERATION_DEFINITION ? op.name?.value : undefined;
}

interface GraphqlBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

function parseBody(req: ApiRequest): GraphqlBody | undefined {
  try {
    const parsed: unknown = JSON.parse(req.body);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as GraphqlBody) : undefined;
  } catch {
    return undefined;
  }
}

export function createBuildkiteHandler(options: BuildkiteOptions): FamilyHandler {
  const schema = schemaFor(options.schemaSdl);
  const { root } = buildGraph(options.scenario, schema, options.pageSize);
  const responses = new ResponseCache();

  const operationName = (req: ApiRequest) => {
    const body = parseBody(req);
    if (typeof body?.operationName === "string" && body.operationName !== "") return body.operationName;
    const m = typeof body?.query === "string" ? /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(body.query) : null;
    return m?.[1];
  };

  // Every request is POST /v1, so fault regexes also see the operation: "/v1#TrustscopePipelines".
  const faultSubject = (req: ApiRequest) => {
    const name = operationName(req);
    return name ? `${req.rawPath}#${name}` : req.rawPath;
  };

  return {
    api: "buildkite",
    errors: buildkiteErrors,
    contentType: CONTENT_TYPE,
    operationName,
    faultSubject,
    handle(req): Promise<ApiResponse> {
      // The same query and variables always get the same answer: executed once.
      return responses.get(`${req.method} ${req.url.pathname}\n${req.body}`, () => answer(req));
    },
  };

  async function answer(req: ApiRequest): Promise<ApiResponse> {
    if (req.url.pathname !== "/v1" && req.url.pathname !== "/v1/") return json(404, { message: "Not Found" });
    if (req.method !== "POST") return json(405, { message: "Method Not Allowed: send GraphQL queries with POST" });
    const body = parseBody(req);
    if (!body) return json(400, { message: "Request body must be a JSON object with a `query`" });
    if (typeof body.query !== "string" || body.query.trim() === "") return json(200, { errors: [{ message: "No query string was present" }] });
    let document: DocumentNode;
    try {
      document = parse(body.query);
    } catch (e) {
      return json(200, { errors: [e instanceof GraphQLError ? e.toJSON() : { message: String(e) }] });
    }
    const validationErrors = validate(schema, document);
    if (validationErrors.length > 0) return json(200, { errors: validationErrors.map((e) => e.toJSON()) });
    const name = operationNameOf(document, body.operationName);
    const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && (name === undefined || d.name?.value === name));
    if (operation && operation.kind === Kind.OPERATION_DEFINITION && operation.operation !== "query") {
      return json(200, { errors: [{ message: "The emulator serves queries only" }] });
    }
    const variables = typeof body.variables === "object" && body.variables !== null ? (body.variables as Record<string, unknown>) : undefined;
    const result = await execute({
      schema,
      document,
      rootValue: root,
      variableValues: variables,
      operationName: typeof body.operationName === "string" && body.operationName !== "" ? body.operationName : undefined,
      fieldResolver,
    });
    const out: Obj = {};
    if (result.errors) out.errors = result.errors.map((e) => e.toJSON());
    if ("data" in result) out.data = result.data;
    if (out.data && options.state?.fault("loopNextLink", "buildkite", faultSubject(req))) loopConnection(out.data, variables?.after);
    return json(200, out);
  }
}

/**
 * Makes the shallowest connection in `data` a loop: it claims another page, ending at the cursor
 * it was asked to start after (a client that follows it asks for the same page again).
 */
function loopConnection(data: unknown, after: unknown): void {
  for (let level: unknown[] = [data]; level.length > 0; ) {
    const below: unknown[] = [];
    for (const node of level) {
      if (!node || typeof node !== "object") continue;
      const pageInfo = (node as Obj).pageInfo;
      if (pageInfo && typeof pageInfo === "object") {
        (pageInfo as Obj).hasNextPage = true;
        if (typeof after === "string") (pageInfo as Obj).endCursor = after;
        return;
      }
      below.push(...Object.values(node));
    }
    level = below;
  }
}
