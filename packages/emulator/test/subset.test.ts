import { readFileSync } from "node:fs";
import { buildSchema, parse, validate } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSubsetSdl, collectorQueries, SUBSET_PATH } from "../scripts/make-subset-schema.ts";
import { BUILDKITE_QUERIES } from "../../core/src/collect/buildkite-queries.ts";
import { startEmulator, type Emulator } from "../src/index.ts";
import { clientFor, demo, fullSchemaSdl, HAS_SHARED } from "./helpers.ts";

const subsetSdl = readFileSync(SUBSET_PATH, "utf8");

describe("the bundled Buildkite schema subset", () => {
  it("starts with the provenance header", () => {
    expect(subsetSdl).toMatch(/^# Buildkite GraphQL schema: the subset/);
    expect(subsetSdl).toContain("f0f67499faedcddee95edfd0033990976643741f");
    expect(subsetSdl).toContain("MIT License");
    expect(subsetSdl).toContain("make-subset-schema.ts");
  });

  it.skipIf(!HAS_SHARED)("is exactly what the script derives from the full schema for the current queries (regenerate: pnpm --filter @trustscope/emulator schema:subset)", () => {
    expect(subsetSdl).toBe(buildSubsetSdl(fullSchemaSdl(), collectorQueries()));
  });

  it.skipIf(!HAS_SHARED)("every collector query validates against the full schema and against the subset", () => {
    const full = buildSchema(fullSchemaSdl());
    const subset = buildSchema(subsetSdl);
    expect(Object.keys(BUILDKITE_QUERIES).length).toBeGreaterThan(0);
    for (const [name, query] of Object.entries(BUILDKITE_QUERIES)) {
      const document = parse(query);
      expect(validate(full, document).map((e) => e.message), name).toEqual([]);
      expect(validate(subset, document).map((e) => e.message), name).toEqual([]);
    }
  });

  it("is small: far fewer types than the full schema", () => {
    const types = Object.keys(buildSchema(subsetSdl).getTypeMap()).filter((t) => !t.startsWith("__"));
    expect(types.length).toBeLessThan(60);
    expect(types).toContain("RepositoryProviderUnknown"); // __typename is read on RepositoryProvider: all implementations stay
  });
});

describe("the emulator on the bundled subset (as in `trustscope scan --demo`)", () => {
  let emu: Emulator;
  let http: ReturnType<typeof clientFor>;
  beforeAll(async () => {
    emu = await startEmulator({ scenario: demo });
    http = clientFor(emu);
  });
  afterAll(async () => {
    await http.close();
    await emu.close();
  });

  it("answers every collector query without errors", async () => {
    const pipeline = demo.buildkite!.pipelines[0]!;
    const cluster = demo.buildkite!.clusters[0]!;
    const variables = { slug: "acme", first: 100, after: null, cluster: cluster.uuid, pipeline: Buffer.from(`Pipeline---${pipeline.uuid}`).toString("base64") };
    for (const [name, query] of Object.entries(BUILDKITE_QUERIES)) {
      const r = await http.post(emu.buildkiteGraphqlUrl, { query, variables }, emu.tokens.buildkite);
      expect(r.status, name).toBe(200);
      expect(r.body.errors, name).toBeUndefined();
      expect(r.body.data, name).toBeDefined();
    }
    const pipelines = await http.post(emu.buildkiteGraphqlUrl, { query: BUILDKITE_QUERIES.PIPELINES_QUERY, variables }, emu.tokens.buildkite);
    const data = pipelines.body.data as { organization: { pipelines: { edges: { node: { uuid: string } }[] } } };
    expect(data.organization.pipelines.edges.map((e) => e.node.uuid)).toEqual(demo.buildkite!.pipelines.map((p) => p.uuid));
  });
});
