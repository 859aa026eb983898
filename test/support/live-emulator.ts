/**
 * The loopback emulator serving the demo organisation for live end-to-end tests, with what the
 * CLI needs to read it: the CA in a temp directory (NODE_EXTRA_CA_CERTS), tokens in the
 * environment and the live flags.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { parseInventory } from "@trustscope/core";
import { startEmulator, type Emulator, type EmulatorOptions, type Fault } from "@trustscope/emulator";
import { DEMO_SNAPSHOT } from "./paths.ts";

export const demoScenario = parseInventory(readFileSync(DEMO_SNAPSHOT, "utf8"), "organisation.json");

export interface LiveTokens {
  buildkite: string;
  graph: string;
  arm: string;
  /** GitHub's REST token; default the emulator's own. */
  github?: string;
}

export interface LiveEmulator {
  emu: Emulator;
  /** A temp directory holding the CA (and free for a test's files). */
  dir: string;
  env: Record<string, string>;
  /** Flags that point `scan` and `collect` at the emulator. */
  live: string[];
}

/**
 * Registers an `afterEach` that closes the emulator the returned `start` opened (pages of 2, so
 * every list is paged; the demo organisation unless another scenario is given), so a failing
 * test never leaks a server into the next.
 */
export function liveEmulatorPerTest(defaults: { tokens: LiveTokens } & Omit<EmulatorOptions, "scenario" | "tokens" | "faults"> & { scenario?: EmulatorOptions["scenario"] }): (faults?: Fault[], tokens?: LiveTokens) => Promise<LiveEmulator> {
  let running: Emulator | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
  return async (faults = [], tokens = defaults.tokens) => {
    const scenario = defaults.scenario ?? demoScenario;
    const emu = (running = await startEmulator({ pageSize: { buildkite: 2, graph: 2, arm: 2, github: 2 }, scenario: demoScenario, ...defaults, tokens, faults }));
    const dir = mkdtempSync(join(tmpdir(), "trustscope-live-"));
    writeFileSync(join(dir, "ca.pem"), emu.caPem);
    const env: Record<string, string> = { NODE_EXTRA_CA_CERTS: join(dir, "ca.pem"), BUILDKITE_API_TOKEN: tokens.buildkite, TRUSTSCOPE_GRAPH_TOKEN: tokens.graph, TRUSTSCOPE_ARM_TOKEN: tokens.arm };
    const live = [
      "--buildkite-org", "acme", "--buildkite-graphql-url", emu.buildkiteGraphqlUrl,
      "--tenant", demoScenario.tenantId!, "--graph-url", emu.graphUrl, "--arm-url", emu.armUrl,
    ];
    // All four sources together, as a live scan of the demo organisation reads them.
    if (scenario.github) {
      env.GITHUB_TOKEN = emu.tokens.github;
      live.push(...scenario.github.organizations.flatMap((o) => ["--github-org", o.login]), "--github-api-url", emu.githubApiUrl);
    }
    return { emu, dir, env, live };
  };
}
