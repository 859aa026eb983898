/**
 * `--activity` end to end: the real CLI reads the emulator's Activity Log, a snapshot collected with
 * it judges the same as the live scan, and a 403 or 429 on the log behaves as on every ARM listing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseInventory } from "@trustscope/core";
import { activityScenario } from "../../packages/emulator/test/activity-scenario.ts";
import { liveEmulatorPerTest } from "../support/live-emulator.ts";
import { trustscopeAsync } from "../support/cli.ts";

const TOKENS = { buildkite: "bk-act-9f8e7d6c5b4a39281706", graph: "graph-act-1a2b3c4d5e6f70819293", arm: "arm-act-0f1e2d3c4b5a69788796" };
// The CLI reads the window before its own clock: the history ends a minute before now.
const S = activityScenario(new Date(Date.now() - 60_000));
const startLive = liveEmulatorPerTest({ tokens: TOKENS, scenario: S.inventory, pageSize: { buildkite: 100, graph: 100, arm: 100 } });
const isActivity = (path: string) => /\/providers\/microsoft\.insights\/eventtypes\/management\/values\?/i.test(path);

async function start(faults: Parameters<typeof startLive>[0] = []) {
  const { emu, dir, env, live } = await startLive(faults);
  // The scenario has no Buildkite organisation worth reading: Azure only.
  return { emu, dir, env, live: live.slice(4).map((a) => (a === "72f988bf-86f1-41af-91ab-2d7cd011db47" ? S.inventory.tenantId! : a)) };
}

describe("scan --activity against the emulator", () => {
  it("reads the log of the privileged federated identities, and collect --activity + scan --snapshot gives the live findings", async () => {
    const { emu, dir, env, live } = await start();
    const direct = await trustscopeAsync(["scan", ...live, "--activity", "--format", "json"], { env });
    expect(direct.stderr).toBe("");
    const report = JSON.parse(direct.stdout) as { coverage: unknown; findings: unknown[] };
    expect(report.coverage).toEqual({ complete: true, gaps: [] });
    // One request per page per (identity, subscription): 5 + 1 + 1, never one per event.
    const pages = emu.requests.filter((r) => isActivity(r.path));
    expect(pages.filter((r) => r.status === 200)).toHaveLength(7);

    const collected = await trustscopeAsync(["collect", "-o", join(dir, "snap.json"), ...live, "--activity-days", "90"], { env });
    expect(collected.code).toBe(0);
    const snap = parseInventory(readFileSync(join(dir, "snap.json"), "utf8"), "snap.json");
    expect(snap.azure!.activity!.reads.map((r) => `${r.principalId} ${r.subscriptionId}`).sort()).toEqual([`${S.deployer} ${S.dev}`, `${S.deployer} ${S.prod}`, `${S.miPrincipal} ${S.prod}`].sort());
    const fromSnapshot = await trustscopeAsync(["scan", "--snapshot", join(dir, "snap.json"), "--format", "json"], { env });
    expect(fromSnapshot.code).toBe(direct.code);
    // The same findings; only the window differs, as the two collections ran a moment apart.
    const window = (findings: unknown[]) => JSON.parse(JSON.stringify(findings).replace(/Activity Log [\d\-T:.Z]+…[\d\-T:.Z]+/g, "Activity Log (window)")) as unknown[];
    const snapshotFindings = (JSON.parse(fromSnapshot.stdout) as { findings: unknown[] }).findings;
    expect(JSON.stringify(snapshotFindings)).toContain(`Activity Log ${snap.azure!.activity!.from}…${snap.azure!.activity!.to}`);
    expect(window(snapshotFindings)).toEqual(window(report.findings));
    expect(report.findings.length).toBeGreaterThan(0);
  });

  it("a 403 on one subscription's Activity Log is a gap naming the permission and the identity, exit 3", async () => {
    const { env, live } = await start([{ kind: "forbidden", api: "arm", match: new RegExp(`/subscriptions/${S.dev}/providers/microsoft\\.insights/`, "i") }]);
    const r = await trustscopeAsync(["scan", ...live, "--activity", "--format", "json", "--fail-on", "never"], { env });
    expect(r.code).toBe(3);
    const gaps = (JSON.parse(r.stdout) as { coverage: { gaps: { scope: string; error: string }[] } }).coverage.gaps;
    expect(gaps).toEqual([{ source: "arm", scope: `/subscriptions/${S.dev}`, error: expect.stringContaining(`Activity Log of deployer (${S.deployer}): the ARM credential (TRUSTSCOPE_ARM_TOKEN) needs Microsoft.Insights/eventtypes/values/read (Reader has it)`) }]);
    expect(r.stderr).toContain("Microsoft.Insights/eventtypes/values/read");
  });

  it("honours 429s on the log and ends complete", async () => {
    const { emu, env, live } = await start([{ kind: "throttle", api: "arm", match: /eventtypes\/management\/values/i, times: 2, retryAfterSeconds: 1 }]);
    const r = await trustscopeAsync(["scan", ...live, "--activity", "--format", "json"], { env });
    expect((JSON.parse(r.stdout) as { coverage: unknown }).coverage).toEqual({ complete: true, gaps: [] });
    expect(emu.requests.filter((x) => isActivity(x.path) && x.status === 429)).toHaveLength(2);
  });

  it("without --activity, reads no log", async () => {
    const { emu, env, live } = await start();
    const r = await trustscopeAsync(["scan", ...live, "--format", "json"], { env });
    expect(r.stderr).toBe("");
    expect(emu.requests.filter((x) => isActivity(x.path))).toEqual([]);
  });

  it("--activity-days outside 1–90 is a usage error", async () => {
    const r = await trustscopeAsync(["scan", "--arm-url", "https://127.0.0.1:1", "--tenant", "t", "--activity-days", "91"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--activity-days must be a whole number from 1 to 90");
  });
});
