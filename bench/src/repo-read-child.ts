/**
 * Reading a big template tree in a fresh process, so its peak memory is its own: writes the
 * synthetic tree (Bicep/ARM templates and a Terraform estate) to a temporary directory and times
 * `loadRepo` with the HCL parser + `analyzeRepo` (what `scan --repo` does before judging), median
 * of a few runs; then the Terraform part alone, for what Terraform adds.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { analyzeRepo, loadHclParser, loadRepo, type DeclaredObjects, type HclParser, type RepoInventory } from "@trustscope/core";
import type { ChildReply, ChildRequest } from "./ipc.ts";
import { templateTree } from "./template-tree.ts";
import { TERRAFORM_DIR, terraformTree } from "./terraform-tree.ts";

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const factsOf = (templates: RepoInventory["templates"]) => templates.reduce((n, t) => n + t.roleAssignments.length + t.storageAccounts.length + t.federatedCredentials.length, 0);

function declaredCount(o: DeclaredObjects): number {
  return o.clusters.length + o.pipelines.length + o.applications.length + o.servicePrincipals.length + o.managedIdentities.length + o.resourceGroups.length + o.roleAssignments.length + o.roleDefinitions.length + o.storageAccounts.length;
}

/** Reads `dir` `runs` times as `scan --repo` does; the times and the last run's inventory. */
function readRuns(dir: string, runs: number, hcl: HclParser): { times: number[]; repo: RepoInventory } {
  const times: number[] = [];
  let last: RepoInventory | undefined;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const { repo, remoteUrl } = loadRepo(dir, { hcl });
    analyzeRepo(repo, remoteUrl);
    times.push(performance.now() - started);
    last = repo;
  }
  return { times, repo: last! };
}

process.on("message", async (message: ChildRequest) => {
  if (message.kind !== "read-repo") return;
  const dir = mkdtempSync(join(tmpdir(), "trustscope-bench-templates-"));
  try {
    const templates = templateTree(message.files);
    const terraform = terraformTree(message.terraformRoots);
    const files = { ...templates, ...terraform };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    // Loaded once per process, as the CLI does; reported apart from the reading.
    const loadStarted = performance.now();
    const hcl = await loadHclParser();
    const hclLoadMs = performance.now() - loadStarted;

    const whole = readRuns(dir, message.runs, hcl);
    const gaps = whole.repo.diagnostics.filter((d) => !d.note).length;
    const inTerraform = (file: string) => file.startsWith(`${TERRAFORM_DIR}/`);
    const tfDiagnostics = whole.repo.diagnostics.filter((d) => inTerraform(d.file));
    const tfGaps = tfDiagnostics.filter((d) => !d.note).length;
    const models = whole.repo.terraform ?? [];
    const alone = readRuns(join(dir, TERRAFORM_DIR), message.runs, hcl);

    const reply: ChildReply = {
      kind: "read-repo",
      files: Object.keys(files).length,
      medianMs: median(whole.times),
      gaps,
      notes: whole.repo.diagnostics.length - gaps,
      facts: factsOf(whole.repo.templates),
      peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
      hclLoadMs,
      terraform: {
        files: Object.keys(terraform).length,
        roots: new Set(models.map((m) => m.root)).size,
        configurations: models.length,
        declared: models.reduce((n, m) => n + declaredCount(m.objects), 0),
        facts: factsOf(whole.repo.templates.filter((t) => t.kind === "terraform")),
        notes: tfDiagnostics.length - tfGaps,
        gaps: tfGaps,
        medianMs: median(alone.times),
      },
    };
    process.send!(reply, () => process.exit(0));
  } catch (e) {
    process.send!({ kind: "error", message: e instanceof Error ? e.message : String(e) } satisfies ChildReply, () => process.exit(1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
