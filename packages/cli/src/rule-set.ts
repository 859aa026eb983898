import type { RuleMeta } from "@trustscope/core";
import { builtinRules, engineRules } from "@trustscope/rules";

/** Built-in rules plus the engine's own policy diagnostics, sorted by id. */
export function allRuleMetas(): RuleMeta[] {
  return [...builtinRules.map((r) => r.meta), ...engineRules].sort((a, b) => (a.id < b.id ? -1 : 1));
}
