/**
 * The synthetic repository on disk: written to a temporary directory as a checkout whose `origin`
 * is the generated pipeline's repository, read with the scanner's own loader and analysis (as
 * `trustscope scan --repo` reads one), and removed again.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { analyzeRepo, loadRepo, type RepoAnalysis } from "@trustscope/core";
import type { SyntheticRepo } from "./generate.ts";

/** `parent` is where the temporary directory is made (the system's temp dir by default). */
export function scanSyntheticRepo(repo: SyntheticRepo, parent = tmpdir()): RepoAnalysis {
  const dir = mkdtempSync(join(parent, "trustscope-bench-repo-"));
  try {
    for (const [path, text] of Object.entries(repo.files)) {
      const abs = join(dir, ...path.split("/"));
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, text, { mode: path.endsWith(".sh") ? 0o755 : 0o644 });
    }
    // What `git init` and `git remote add origin URL` leave in .git/config, which is all of .git
    // that the loader reads (no git binary needed).
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, ".git", "config"), `[core]\n\trepositoryformatversion = 0\n\tbare = false\n[remote "origin"]\n\turl = ${repo.remoteUrl}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`);
    const { repo: inventory, remoteUrl } = loadRepo(dir);
    return analyzeRepo(inventory, remoteUrl);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
