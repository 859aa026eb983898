/**
 * Reading a big template tree in a fresh process, so its peak memory is its own: writes the
 * synthetic tree to a temporary directory and times `loadRepo` + `analyzeRepo` (what
 * `scan --repo` does before judging), best of a few runs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { analyzeRepo, loadRepo } from "@trustscope/core";
import type { ChildReply, ChildRequest } from "./ipc.ts";
import { templateTree } from "./template-tree.ts";

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

process.on("message", (message: ChildRequest) => {
  if (message.kind !== "read-repo") return;
  const dir = mkdtempSync(join(tmpdir(), "trustscope-bench-templates-"));
  try {
    const files = templateTree(message.files);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const times: number[] = [];
    let gaps = 0;
    let notes = 0;
    let facts = 0;
    for (let run = 0; run < message.runs; run++) {
      const started = performance.now();
      const { repo, remoteUrl } = loadRepo(dir);
      analyzeRepo(repo, remoteUrl);
      times.push(performance.now() - started);
      gaps = repo.diagnostics.filter((d) => !d.note).length;
      notes = repo.diagnostics.length - gaps;
      facts = repo.templates.reduce((n, t) => n + t.roleAssignments.length + t.storageAccounts.length + t.federatedCredentials.length, 0);
    }
    times.sort((a, b) => a - b);
    const reply: ChildReply = { kind: "read-repo", files: Object.keys(files).length, medianMs: times[Math.floor(times.length / 2)]!, gaps, notes, facts, peakRssMb: mb(process.resourceUsage().maxRSS * 1024) };
    process.send!(reply, () => process.exit(0));
  } catch (e) {
    process.send!({ kind: "error", message: e instanceof Error ? e.message : String(e) } satisfies ChildReply, () => process.exit(1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
