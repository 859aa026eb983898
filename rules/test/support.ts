import { evaluate, type Finding, type Inventory, type Policy, type Rule } from "@trustscope/core";

/** Run one rule over an inventory under a policy (default: no policy, heuristics apply). */
export function run(rule: Rule, inventory: Inventory, policy?: Policy): Finding[] {
  return evaluate({ inventory, rules: [rule], ...(policy ? { policy } : {}), now: new Date("2026-11-25T12:00:00Z") }).findings.filter(
    (f) => f.ruleId === rule.meta.id,
  );
}

export const PROD_TAGS = { environment: "production" };
export const NONPROD_TAGS = { environment: "nonprod" };
