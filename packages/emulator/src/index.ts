/**
 * @trustscope/emulator: a loopback HTTPS emulator of Buildkite's GraphQL API, Microsoft Graph,
 * Azure Resource Manager and GitHub's REST API, serving an inventory scenario with the real
 * response shapes, paging and errors. Used by end-to-end tests, `trustscope scan --demo` (in process) and benchmarks.
 */
import type { Inventory } from "@trustscope/core";
import { createArmHandler } from "./arm.ts";
import { bundledSchemaSdl, createBuildkiteHandler } from "./buildkite.ts";
import { createGitHubHandler } from "./github.ts";
import { createGraphHandler } from "./graph.ts";
import { EmulatorState, listenFamily, listenForeign, type ApiFamily, type Fault, type RecordedRequest, type RunningServer } from "./http.ts";
import { generateCertificate, type TlsMaterial } from "./tls.ts";

export type { ApiFamily, Fault, RecordedRequest } from "./http.ts";
export { EMULATOR_CALLER_OBJECT_ID } from "./arm.ts";
export { globalId as buildkiteGlobalId } from "./buildkite.ts";
export { generateCertificate, type TlsMaterial } from "./tls.ts";

export interface EmulatorOptions {
  scenario: Inventory;
  /**
   * SDL the Buildkite GraphQL endpoint executes against (tests pass the full published schema);
   * default: the bundled subset that the collector's queries reach.
   */
  buildkiteSchemaSdl?: string;
  /** Tokens each API requires (GitHub's as `Bearer …` or `token …`, the others' as `Bearer …`). */
  tokens?: { buildkite?: string; graph?: string; arm?: string; github?: string };
  /**
   * Largest page each API serves (the server may serve fewer than requested, like the real ones).
   * Default 100 each, but GitHub's 30 (its default `per_page`; it serves min(per_page, this)).
   */
  pageSize?: { buildkite?: number; graph?: number; arm?: number; github?: number };
  faults?: Fault[];
  /** Fixed delay before each response (benchmarks), default 0. */
  latencyMs?: number;
  /** The key and certificate to serve (several emulators behind one CA); default: a new one per start. */
  tls?: TlsMaterial;
}

export interface Emulator {
  /** `https://127.0.0.1:PORT/v1` */
  buildkiteGraphqlUrl: string;
  /** `https://127.0.0.1:PORT` (the Graph SDK's baseUrl is this plus "/"; requests go to /v1.0/…). */
  graphUrl: string;
  /** `https://127.0.0.1:PORT` */
  armUrl: string;
  /** `https://127.0.0.1:PORT` (GitHub's REST API, served from the scenario's `github`). */
  githubApiUrl: string;
  /** Another origin that records what it receives (for next links that leave the API's origin). */
  foreignUrl: string;
  /** The self-signed certificate every server presents; clients must trust it. */
  caPem: string;
  tokens: { buildkite: string; graph: string; arm: string; github: string };
  /** Every request in arrival order. Token values are never recorded. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export const DEFAULT_TOKENS = { buildkite: "emulator-buildkite-token", graph: "emulator-graph-token", arm: "emulator-arm-token", github: "emulator-github-token" } as const;
const DEFAULT_PAGE_SIZE = 100;
const DEFAULT_GITHUB_PAGE_SIZE = 30;

function pageSizeOf(value: number | undefined, api: ApiFamily, fallback = DEFAULT_PAGE_SIZE): number {
  const size = value ?? fallback;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`pageSize.${api} must be a positive integer, got ${String(value)}`);
  return size;
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const tokens = {
    buildkite: options.tokens?.buildkite ?? DEFAULT_TOKENS.buildkite,
    graph: options.tokens?.graph ?? DEFAULT_TOKENS.graph,
    arm: options.tokens?.arm ?? DEFAULT_TOKENS.arm,
    github: options.tokens?.github ?? DEFAULT_TOKENS.github,
  };
  const pageSize = {
    buildkite: pageSizeOf(options.pageSize?.buildkite, "buildkite"),
    graph: pageSizeOf(options.pageSize?.graph, "graph"),
    arm: pageSizeOf(options.pageSize?.arm, "arm"),
    github: pageSizeOf(options.pageSize?.github, "github", DEFAULT_GITHUB_PAGE_SIZE),
  };
  const state = new EmulatorState(tokens, options.faults ?? [], options.latencyMs ?? 0);
  const tls = options.tls ?? (await generateCertificate());
  const { scenario } = options;

  const servers: RunningServer[] = [];
  try {
    const buildkite = await listenFamily(state, tls, createBuildkiteHandler({ scenario, schemaSdl: options.buildkiteSchemaSdl ?? bundledSchemaSdl(), pageSize: pageSize.buildkite, state }));
    servers.push(buildkite);
    const graph = await listenFamily(state, tls, createGraphHandler({ scenario, pageSize: pageSize.graph, state }));
    servers.push(graph);
    const arm = await listenFamily(state, tls, createArmHandler({ scenario, pageSize: pageSize.arm, state }));
    servers.push(arm);
    const github = await listenFamily(state, tls, createGitHubHandler({ scenario, pageSize: pageSize.github, state }));
    servers.push(github);
    const foreign = await listenForeign(state, tls);
    servers.push(foreign);
    state.urls = { buildkite: buildkite.url, graph: graph.url, arm: arm.url, github: github.url, foreign: foreign.url };
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }

  let closed: Promise<void> | undefined;
  return {
    buildkiteGraphqlUrl: `${state.urls.buildkite}/v1`,
    graphUrl: state.urls.graph,
    armUrl: state.urls.arm,
    githubApiUrl: state.urls.github,
    foreignUrl: state.urls.foreign,
    caPem: tls.cert,
    tokens,
    requests: state.requests,
    close: () => (closed ??= Promise.all(servers.map((s) => s.close())).then(() => undefined)),
  };
}
