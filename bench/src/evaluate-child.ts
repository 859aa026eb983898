/**
 * One evaluation run in a fresh process, so its time and peak memory are its own: generates the
 * tenant at the given scale and reads its synthetic repository, then times `evaluate` (trust graph
 * and every built-in rule, the repository's included) alone.
 */
import { evaluate } from "@trustscope/core";
import { builtinRules } from "@trustscope/rules";
import { missed } from "./check.ts";
import { BENCH_NOW, generateTenant, scaled } from "./generate.ts";
import type { ChildReply, ChildRequest } from "./ipc.ts";
import { scanSyntheticRepo } from "./repo.ts";

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

process.on("message", (message: ChildRequest) => {
  if (message.kind !== "evaluate") return;
  try {
    const { inventory, planted, repo: synthetic } = generateTenant(scaled(message.size, message.factor), message.seed, message.activity);
    const repo = scanSyntheticRepo(synthetic);
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const evaluation = evaluate({ inventory, rules: builtinRules, now: BENCH_NOW, repo });
    const evaluationMs = performance.now() - started;
    const heapAfter = process.memoryUsage().heapUsed;
    const reply: ChildReply = {
      kind: "evaluated",
      factor: message.factor,
      roleAssignments: inventory.azure!.roleAssignments.length,
      evaluationMs,
      heapBeforeMb: mb(heapBefore),
      heapAfterMb: mb(heapAfter),
      // maxRSS is in kilobytes: the process's peak, generation of the inventory included.
      peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
      findings: evaluation.findings.length,
      missed: missed(planted, evaluation.findings),
    };
    process.send!(reply, () => process.exit(0));
  } catch (e) {
    process.send!({ kind: "error", message: e instanceof Error ? e.message : String(e) } satisfies ChildReply, () => process.exit(1));
  }
});
