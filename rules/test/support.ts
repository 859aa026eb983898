import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { analyzeRepo, evaluate, loadRepo, type Finding, type Inventory, type Policy, type Rule } from "@trustscope/core";

/** Run one rule over an inventory under a policy (default: no policy, heuristics apply). */
export function run(rule: Rule, inventory: Inventory, policy?: Policy): Finding[] {
  return evaluate({ inventory, rules: [rule], ...(policy ? { policy } : {}), now: new Date("2026-11-25T12:00:00Z") }).findings.filter(
    (f) => f.ruleId === rule.meta.id,
  );
}

export const PROD_TAGS = { environment: "production" };
export const NONPROD_TAGS = { environment: "nonprod" };

/** Run one rule over a repository made of `files` (path → text), with no inventory. */
export function runRepo(rule: Rule, files: Record<string, string>): Finding[] {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-rule-"));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const { repo, remoteUrl } = loadRepo(dir);
    const inventory: Inventory = { schemaVersion: 1, cloud: "AzureCloud", coverage: { complete: true, gaps: [] } };
    return evaluate({ inventory, rules: [rule], repo: analyzeRepo(repo, remoteUrl), now: new Date("2026-11-25T12:00:00Z") }).findings.filter((f) => f.ruleId === rule.meta.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
