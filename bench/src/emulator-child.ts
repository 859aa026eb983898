/**
 * The emulator in its own process, so serving a large tenant never competes with the collector
 * for the event loop (the machine has two cores: one each). Driven over IPC by bench.ts.
 */
import { startEmulator, type Emulator } from "@trustscope/emulator";
import { generateTenant, type TenantSize } from "./generate.ts";
import { MAX_PAGE } from "./lower-bound.ts";
import type { ChildReply, ChildRequest, RequestCounts } from "./ipc.ts";

let emulator: Emulator | undefined;
const ACTIVITY_PATH = /\/providers\/microsoft\.insights\/eventtypes\/management\/values\?/i;
/** GitHub's answer for one repository: a 404 there is a missing repository (a planted finding), not a failure. */
const GITHUB_REPOSITORY_PATH = /^\/repos\/[^/]+\/[^/?]+$/;

function counts(emu: Emulator): RequestCounts {
  const out: RequestCounts = { buildkite: 0, graph: 0, graphInner: 0, arm: 0, activity: 0, github: 0, foreign: 0, failed: 0 };
  for (const r of emu.requests) {
    if (r.batchInner) out.graphInner++;
    else if (r.api === "arm" && ACTIVITY_PATH.test(r.path)) out.activity++;
    else out[r.api]++;
    if (r.status >= 400 && !(r.api === "github" && r.status === 404 && GITHUB_REPOSITORY_PATH.test(r.path))) out.failed++;
  }
  return out;
}

const reply = (m: ChildReply) => process.send!(m);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

process.on("message", (message: ChildRequest) => {
  void (async () => {
    switch (message.kind) {
      case "start": {
        const { inventory } = generateTenant(message.size as TenantSize, message.seed, message.activity);
        emulator = await startEmulator({
          scenario: inventory,
          latencyMs: message.latencyMs,
          tls: message.tls,
          // Each API's largest page (Graph's own caps apply on top: 999, or 100 with $expand).
          pageSize: { buildkite: MAX_PAGE.buildkite, graph: 999, arm: MAX_PAGE.arm, github: MAX_PAGE.github },
        });
        reply({ kind: "started", buildkiteGraphqlUrl: emulator.buildkiteGraphqlUrl, graphUrl: emulator.graphUrl, armUrl: emulator.armUrl, githubApiUrl: emulator.githubApiUrl, caPem: emulator.caPem, tokens: emulator.tokens });
        break;
      }
      case "counts":
        reply({ kind: "counts", counts: counts(emulator!), cpuMs: cpuMs() });
        emulator!.requests.length = 0;
        break;
      case "close":
        await emulator?.close();
        process.exit(0);
    }
  })().catch((e: unknown) => {
    reply({ kind: "error", message: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  });
});
