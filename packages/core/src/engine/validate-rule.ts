/**
 * Checks that a value is a rule module of the shape the engine runs (custom rule packs come from
 * files we did not write), and that a rule's result is well formed before it becomes a finding.
 * Every problem is a one-line reason naming where it came from.
 */
import { SEVERITIES } from "../model/finding.ts";
import { UsageError } from "../util/errors.ts";
import type { Rule } from "./rule.ts";

/** kebab-case, as every built-in rule id: baselines, suppressions and SARIF alerts key on it. */
export const RULE_ID_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";

/** The reason `value` is not a rule, or undefined when it is one. */
function ruleProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return "a rule must be an object with 'meta' and 'check'";
  const { meta, check } = value;
  if (!isRecord(meta)) return "a rule needs a 'meta' object";
  const id = isNonEmptyString(meta.id) ? meta.id : undefined;
  if (!id) return "meta.id must be a non-empty string";
  const name = `rule '${id}'`;
  if (!RULE_ID_PATTERN.test(id)) return `${name}: meta.id must be kebab-case (lower-case words joined by '-')`;
  if (!isNonEmptyString(meta.title)) return `${name}: meta.title must be a non-empty string`;
  if (!(SEVERITIES as readonly unknown[]).includes(meta.defaultSeverity)) return `${name}: meta.defaultSeverity must be one of ${SEVERITIES.join(", ")}`;
  if (!isNonEmptyString(meta.description)) return `${name}: meta.description must be a non-empty string (one paragraph: what it looks for and why)`;
  if (!Array.isArray(meta.tags) || !meta.tags.every((t) => typeof t === "string")) return `${name}: meta.tags must be a list of strings`;
  if (meta.declared !== undefined && typeof meta.declared !== "boolean") return `${name}: meta.declared must be true or false`;
  if (!isNonEmptyString(meta.docs)) return `${name}: meta.docs must be the rule's documentation in Markdown (with a failing and a passing example)`;
  if (meta.helpUri !== undefined && typeof meta.helpUri !== "string") return `${name}: meta.helpUri must be a string`;
  if (typeof check !== "function") return `${name}: 'check' must be a function (ctx) => results`;
  return undefined;
}

/** `value` as a rule, or a UsageError that says why it is not one. */
export function validateRule(value: unknown, where: string): Rule {
  const problem = ruleProblem(value);
  if (problem) throw new UsageError(`${where}: ${problem}`);
  return value as Rule;
}

/**
 * The rules a module exports: `export default rule`, `export default [rules]`,
 * `export default { rules: [...] }` or `export const rules = [...]`.
 */
export function rulesOfModule(mod: unknown, where: string): Rule[] {
  const m = isRecord(mod) ? mod : {};
  const candidate = m.default !== undefined ? m.default : m.rules;
  const list = Array.isArray(candidate) ? candidate : isRecord(candidate) && Array.isArray(candidate.rules) ? candidate.rules : candidate !== undefined ? [candidate] : undefined;
  if (list === undefined) throw new UsageError(`${where}: exports no rules (expected a default export of a rule or a list of rules, or an export named 'rules')`);
  if (list.length === 0) throw new UsageError(`${where}: exports an empty list of rules`);
  return list.map((r: unknown, i) => validateRule(r, list.length > 1 ? `${where} (rule ${i + 1})` : where));
}

/** Rule ids must be unique across built-in and custom rules: a clash would merge their findings. */
export function checkUniqueRuleIds(rules: readonly { rule: Rule; where: string }[], reserved: Iterable<string>): void {
  const seen = new Map<string, string>([...reserved].map((id) => [id, "a built-in rule"]));
  for (const { rule, where } of rules) {
    const earlier = seen.get(rule.meta.id);
    if (earlier) throw new UsageError(`${where}: rule id '${rule.meta.id}' is already used by ${earlier}`);
    seen.set(rule.meta.id, where);
  }
}

/** The reason a rule's result cannot become a finding, or undefined when it can. */
export function resultProblem(r: unknown): string | undefined {
  if (!isRecord(r)) return "a result must be an object";
  if (!isNonEmptyString(r.message)) return "'message' must be a non-empty string";
  if (!Array.isArray(r.evidence) || !r.evidence.every((e) => typeof e === "string")) return "'evidence' must be a list of strings";
  if (typeof r.remediation !== "string") return "'remediation' must be a string";
  if (!Array.isArray(r.key) || r.key.length === 0 || !r.key.every((k) => typeof k === "string")) return "'key' must be a non-empty list of strings (it identifies the problem across runs)";
  if (r.severity !== undefined && !(SEVERITIES as readonly unknown[]).includes(r.severity)) return `'severity' must be one of ${SEVERITIES.join(", ")}`;
  if (r.scope !== undefined && typeof r.scope !== "string") return "'scope' must be a string";
  if (r.location !== undefined && !(isRecord(r.location) && typeof r.location.file === "string" && Number.isInteger(r.location.line))) return "'location' must be { file, line }";
  const related = r.relatedLocations;
  if (related !== undefined && !(Array.isArray(related) && related.every((l) => isRecord(l) && typeof l.file === "string" && Number.isInteger(l.line) && typeof l.message === "string"))) {
    return "'relatedLocations' must be a list of { file, line, message }";
  }
  return undefined;
}
