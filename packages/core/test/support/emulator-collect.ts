/**
 * The collectors against the loopback emulator, called directly: an emulator per test (pages of
 * 2, closed after each test) and the CollectOptions that read it as a live scan with
 * TRUSTSCOPE_GRAPH_TOKEN / TRUSTSCOPE_ARM_TOKEN would, no retries.
 */
import { afterEach } from "vitest";
import { startEmulator, type Emulator, type Fault } from "../../../emulator/src/index.ts";
import { staticTokenCredential } from "../../src/collect/credentials.ts";
import type { CollectOptions } from "../../src/collect/options.ts";
import type { Inventory } from "../../src/model/inventory.ts";

export function collectorsPerTest(scenario: Inventory): (faults?: Fault[], azure?: Partial<NonNullable<CollectOptions["azure"]>>) => Promise<{ emu: Emulator; opts: CollectOptions }> {
  let running: Emulator | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
  return async (faults = [], azure = {}) => {
    const emu = (running = await startEmulator({ scenario, pageSize: { buildkite: 2, graph: 2, arm: 2 }, faults }));
    const opts: CollectOptions = {
      cloud: "AzureCloud",
      caPem: emu.caPem,
      maxRetries: 0,
      buildkite: { organization: scenario.buildkite?.organization.slug ?? "acme", graphqlUrl: emu.buildkiteGraphqlUrl, token: emu.tokens.buildkite },
      azure: {
        tenantId: scenario.tenantId!,
        graphUrl: emu.graphUrl,
        armUrl: emu.armUrl,
        graphCredential: staticTokenCredential(emu.tokens.graph),
        armCredential: staticTokenCredential(emu.tokens.arm),
        graphCredentialName: "TRUSTSCOPE_GRAPH_TOKEN",
        armCredentialName: "TRUSTSCOPE_ARM_TOKEN",
        ...azure,
      },
    };
    return { emu, opts };
  };
}
