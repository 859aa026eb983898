/**
 * @trustscope/emulator: a loopback HTTPS emulator of Buildkite's GraphQL API, Microsoft Graph and
 * Azure Resource Manager, serving an inventory scenario with the real response shapes, paging and
 * errors. Used by end-to-end tests, `trustscope scan --demo` (in process) and benchmarks.
 */
import type { Inventory } from "@trustscope/core";
import { createArmHandler } from "./arm.ts";
import { bundledSchemaSdl, createBuildkiteHandler } from "./buildkite.ts";
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
  /** Bearer tokens each API requires. */
  tokens?: { buildkite?: string; graph?: string; arm?: string };
  /** Largest page each API serves (the server may serve fewer than requested, like the real ones). Default 100 each. */
  pageSize?: { buildkite?: number; graph?: number; arm?: number };
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
  /** Another origin that records what it receives (for next links that leave the API's origin). */
  foreignUrl: string;
  /** The self-signed certificate every server presents; clients must trust it. */
  caPem: string;
  tokens: { buildkite: string; graph: string; arm: string };
  /** Every request in arrival order. Token values are never recorded. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export const DEFAULT_TOKENS = { buildkite: "emulator-buildkite-token", graph: "emulator-graph-token", arm: "emulator-arm-token" } as const;
const DEFAULT_PAGE_SIZE = 100;

function pageSizeOf(value: number | undefined, api: ApiFamily): number {
  const size = value ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`pageSize.${api} must be a positive integer, got ${String(value)}`);
  return size;
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const tokens = {
    buildkite: options.tokens?.buildkite ?? DEFAULT_TOKENS.buildkite,
    graph: options.tokens?.graph ?? DEFAULT_TOKENS.graph,
    arm: options.tokens?.arm ?? DEFAULT_TOKENS.arm,
  };
  const pageSize = {
    buildkite: pageSizeOf(options.pageSize?.buildkite, "buildkite"),
    graph: pageSizeOf(options.pageSize?.graph, "graph"),
    arm: pageSizeOf(options.pageSize?.arm, "arm"),
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
    const foreign = await listenForeign(state, tls);
    servers.push(foreign);
    state.urls = { buildkite: buildkite.url, graph: graph.url, arm: arm.url, foreign: foreign.url };
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }

  let closed: Promise<void> | undefined;
  return {
    buildkiteGraphqlUrl: `${state.urls.buildkite}/v1`,
    graphUrl: state.urls.graph,
    armUrl: state.urls.arm,
    foreignUrl: state.urls.foreign,
    caPem: tls.cert,
    tokens,
    requests: state.requests,
    close: () => (closed ??= Promise.all(servers.map((s) => s.close())).then(() => undefined)),
  };
}
