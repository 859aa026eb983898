import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILDKITE_QUERIES } from "../../core/src/collect/buildkite-queries.ts";
import { buildkiteGlobalId, startEmulator, type Emulator, type Fault } from "../src/index.ts";
import { clientFor, demo, fullSchemaSdl, HAS_SHARED, type Json } from "./helpers.ts";

const { ORGANIZATION_QUERY, CLUSTERS_QUERY, CLUSTER_QUEUES_QUERY, PIPELINES_QUERY, PIPELINE_TEAMS_QUERY, AGENTS_QUERY } = BUILDKITE_QUERIES;
const bk = demo.buildkite!;

interface Connection<T> {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: T }[];
}

describe.skipIf(!HAS_SHARED)("Buildkite GraphQL against the full published schema", () => {
  let emu: Emulator;
  let http: ReturnType<typeof clientFor>;
  const gql = async (query: string, variables: Json = {}) => {
    const r = await http.post(emu.buildkiteGraphqlUrl, { query, variables }, emu.tokens.buildkite);
    expect(r.status).toBe(200);
    return r.body as { data?: Json; errors?: { message: string }[] };
  };
  /** Pages a connection to the end, like the collector: first/after with endCursor. */
  async function pageAll<T>(query: string, variables: Json, pick: (data: Json) => Connection<T> | undefined): Promise<{ nodes: T[]; pages: number }> {
    const nodes: T[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r = await gql(query, { ...variables, first: 100, after });
      expect(r.errors).toBeUndefined();
      const conn = pick(r.data!)!;
      nodes.push(...conn.edges.map((e) => e.node));
      pages++;
      if (!conn.pageInfo.hasNextPage) return { nodes, pages };
      after = conn.pageInfo.endCursor;
    }
  }

  beforeAll(async () => {
    emu = await startEmulator({ scenario: demo, buildkiteSchemaSdl: fullSchemaSdl(), pageSize: { buildkite: 2 } });
    http = clientFor(emu);
  });
  afterAll(async () => {
    await http.close();
    await emu.close();
  });

  it("answers the organisation query; an unknown slug is null", async () => {
    expect(await gql(ORGANIZATION_QUERY, { slug: bk.organization.slug })).toEqual({
      data: { organization: { id: buildkiteGlobalId("Organization", bk.organization.uuid), uuid: bk.organization.uuid, slug: bk.organization.slug, name: bk.organization.name } },
    });
    expect(await gql(ORGANIZATION_QUERY, { slug: "nobody" })).toEqual({ data: { organization: null } });
    expect(Buffer.from(buildkiteGlobalId("Pipeline", "x"), "base64").toString()).toBe("Pipeline---x");
  });

  it("pages clusters and their queues (at most pageSize per page, whatever `first` asks)", async () => {
    const { nodes, pages } = await pageAll<{ id: string; uuid: string; name: string; queues: Connection<{ uuid: string; key: string }> }>(CLUSTERS_QUERY, { slug: "acme" }, (d) => (d.organization as { clusters: Connection<never> }).clusters);
    expect(pages).toBe(Math.ceil(bk.clusters.length / 2));
    expect(nodes.map((c) => ({ uuid: c.uuid, name: c.name, queues: c.queues.edges.map((e) => e.node) }))).toEqual(bk.clusters);
    const queues = await pageAll<{ uuid: string; key: string }>(CLUSTER_QUEUES_QUERY, { slug: "acme", cluster: nodes[0]!.id }, (d) => ((d.organization as Json).cluster as { queues: Connection<never> }).queues);
    expect(queues.nodes).toEqual(bk.clusters[0]!.queues);
  });

  it("pages pipelines with provider settings, steps and teams", async () => {
    const { nodes, pages } = await pageAll<Json>(PIPELINES_QUERY, { slug: "acme" }, (d) => (d.organization as { pipelines: Connection<never> }).pipelines);
    expect(pages).toBe(Math.ceil(bk.pipelines.length / 2));
    expect(nodes.map((p) => p.uuid)).toEqual(bk.pipelines.map((p) => p.uuid));
    for (const p of bk.pipelines) {
      const got = nodes.find((n) => n.uuid === p.uuid)! as {
        id: string; slug: string; name: string; visibility: string; defaultBranch: string | null; cluster: { uuid: string } | null;
        repository: { url: string; provider: { __typename: string; settings?: Json } } | null; steps: { yaml: string | null }; teams: Connection<{ accessLevel: string; team: { uuid: string; slug: string } }>;
      };
      expect(got).toMatchObject({ id: buildkiteGlobalId("Pipeline", p.uuid), slug: p.slug, name: p.name, visibility: p.visibility, defaultBranch: p.defaultBranch ?? null });
      expect(got.cluster).toEqual(p.clusterUuid ? { uuid: p.clusterUuid } : null);
      expect(got.steps.yaml).toBe(p.stepsYaml ?? null);
      expect(got.repository!.url).toBe(p.repository!.url);
      expect(got.repository!.provider.__typename).toBe(p.repository!.provider);
      expect(got.repository!.provider.settings).toMatchObject(p.repository!.settings!);
      // The demo's pipelines have at most two teams: one page (node(id) paging is tested below).
      expect(got.teams.pageInfo.hasNextPage).toBe(false);
      const teams = got.teams.edges.map((e) => e.node);
      expect(teams.map((t) => ({ uuid: t.team.uuid, slug: t.team.slug, accessLevel: t.accessLevel }))).toEqual(p.teams);
    }
  });

  it("pages a pipeline's teams through node(id)", async () => {
    const p = bk.pipelines.find((x) => x.teams.length > 1)!;
    const { nodes } = await pageAll<{ accessLevel: string; team: { uuid: string; slug: string } }>(PIPELINE_TEAMS_QUERY, { pipeline: buildkiteGlobalId("Pipeline", p.uuid) }, (d) => (d.node as { teams: Connection<never> }).teams);
    expect(nodes.map((t) => ({ uuid: t.team.uuid, slug: t.team.slug, accessLevel: t.accessLevel }))).toEqual(p.teams);
    expect(await gql(PIPELINE_TEAMS_QUERY, { pipeline: buildkiteGlobalId("Pipeline", "00000000-0000-0000-0000-000000000000"), first: 2 })).toEqual({ data: { node: null } });
  });

  it("pages agents with their queue", async () => {
    const { nodes, pages } = await pageAll<{ uuid: string; name: string; version: string | null; clusterQueue: { uuid: string } | null }>(AGENTS_QUERY, { slug: "acme" }, (d) => (d.organization as { agents: Connection<never> }).agents);
    expect(pages).toBe(Math.ceil(bk.agents.length / 2));
    expect(nodes.map((a) => ({ uuid: a.uuid, name: a.name, version: a.version, queueUuid: a.clusterQueue?.uuid ?? null }))).toEqual(bk.agents);
  });

  it("respects clustered: false, and validates like the real API (errors[] with HTTP 200)", async () => {
    const unclustered = await gql(`query($slug: ID!) { organization(slug: $slug) { pipelines(first: 10, clustered: false) { edges { node { slug } } } agents(first: 10, clustered: false) { edges { node { uuid } } } } }`, { slug: "acme" });
    expect(unclustered).toEqual({ data: { organization: { pipelines: { edges: [] }, agents: { edges: [] } } } });
    const invalid = await gql("{ organization(slug: \"acme\") { noSuchField } }");
    expect(invalid.data).toBeUndefined();
    expect(invalid.errors![0]!.message).toBe('Cannot query field "noSuchField" on type "Organization".');
    const syntax = await gql("{ organization(slug: ");
    expect(syntax.errors![0]!.message).toMatch(/^Syntax Error/);
    const missingVariable = await gql(ORGANIZATION_QUERY, {});
    expect(missingVariable.errors![0]!.message).toMatch(/Variable "\$slug" of required type "ID!" was not provided/);
  });
});

describe("Buildkite faults", () => {
  let emu: Emulator | undefined;
  afterAll(async () => emu?.close());

  it("throttles, forbids and fails by operation name (fault regexes see /v1#OperationName)", async () => {
    const faults: Fault[] = [
      { kind: "throttle", api: "buildkite", match: /#TrustscopeAgents$/, times: 1, retryAfterSeconds: 2 },
      { kind: "forbidden", api: "buildkite", match: /#TrustscopeClusters$/ },
      { kind: "fail", api: "buildkite", match: /#TrustscopePipelines$/, status: 502 },
    ];
    emu = await startEmulator({ scenario: demo, faults });
    const http = clientFor(emu);
    const post = (query: string) => http.post(emu!.buildkiteGraphqlUrl, { query, variables: { slug: "acme", first: 10 } }, emu!.tokens.buildkite);
    const throttled = await post(AGENTS_QUERY);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("2");
    expect((await post(AGENTS_QUERY)).status).toBe(200);
    expect((await post(CLUSTERS_QUERY)).status).toBe(403);
    expect((await post(PIPELINES_QUERY)).status).toBe(502);
    expect((await post(ORGANIZATION_QUERY)).status).toBe(200);
    expect(emu.requests.map((r) => [r.operationName, r.status])).toEqual([
      ["TrustscopeAgents", 429],
      ["TrustscopeAgents", 200],
      ["TrustscopeClusters", 403],
      ["TrustscopePipelines", 502],
      ["TrustscopeOrganization", 200],
    ]);
    await http.close();
  });
});
