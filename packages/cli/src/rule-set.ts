/** The policy file and the rules it runs: built-in rules plus the policy's custom rule packs. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parsePolicy, ruleSetFor, type Policy, type Rule, type RuleMeta } from "@trustscope/core";
import { builtinRules, engineRules } from "@trustscope/rules";
import { readText, type Io } from "./io.ts";

export interface RuleSet {
  /** Undefined when no policy file was given and there is no trustscope.yaml. */
  policy: Policy | undefined;
  /** Built-in and custom rules, in the order they run. */
  rules: Rule[];
  /** Every rule's metadata, the engine's diagnostics included, sorted by id. */
  metas: RuleMeta[];
}

/** Parse the policy (`--config`, or trustscope.yaml in the working directory when present). */
export function loadPolicy(configFlag: string | undefined, io: Io): Policy | undefined {
  const path = configFlag ?? (existsSync(resolve(io.cwd, "trustscope.yaml")) ? "trustscope.yaml" : undefined);
  if (!path) return undefined;
  return parsePolicy(readText(resolve(io.cwd, path), "the policy file"), path);
}

/**
 * The policy and its rule set; a malformed pack, or an unknown rule id unless `checkPolicyIds` is
 * false (`rules` and `explain`, which the unknown-id error points to), is a UsageError.
 */
export async function loadRuleSet(configFlag: string | undefined, io: Io, checkPolicyIds = true): Promise<RuleSet> {
  const policy = loadPolicy(configFlag, io);
  const rules = await ruleSetFor(policy, { cwd: io.cwd, builtinRules, checkPolicyIds });
  const metas = [...rules.map((r) => r.meta), ...engineRules].sort((a, b) => (a.id < b.id ? -1 : 1));
  return { policy, rules, metas };
}
