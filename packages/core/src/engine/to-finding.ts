/** A rule's result as a finding: severity decided, message capitalised, fingerprint from its key. */
import { createHash } from "node:crypto";
import type { Finding, Severity } from "../model/finding.ts";
import type { Rule, RuleResult } from "./rule.ts";

export function fingerprintOf(ruleId: string, key: string[]): string {
  return createHash("sha256").update([ruleId, ...key.map((k) => k.toLowerCase())].join("\u0000")).digest("hex").slice(0, 32);
}

export function toFinding(rule: Rule, r: RuleResult, override: Severity | undefined): Finding {
  const { key, severity, message, ...rest } = r;
  return {
    ruleId: rule.meta.id,
    severity: override ?? severity ?? rule.meta.defaultSeverity,
    // Messages are sentences; rules may start them with a lower-case noun phrase.
    message: message.charAt(0).toUpperCase() + message.slice(1),
    ...rest,
    fingerprint: fingerprintOf(rule.meta.id, key),
  };
}
