/**
 * Reads `trustscope.yaml`. Every problem is a UsageError naming the file, line and key, so a
 * typo never silently changes what the scan judges.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from "yaml";
import { SEVERITIES, type Severity } from "../model/finding.ts";
import { UsageError } from "../util/errors.ts";
import { MAX_YAML_NESTING, yamlErrorReason, yamlTooDeepAt } from "../util/yaml-guard.ts";
import type { EnvironmentSelector, Policy, RuleSetting, Suppression } from "./policy.ts";

interface Ctx {
  file: string;
  lines: LineCounter;
}

function lineOf(ctx: Ctx, node: Node | null | undefined): number {
  const offset = node?.range?.[0];
  return offset === undefined ? 1 : ctx.lines.linePos(offset).line;
}

function fail(ctx: Ctx, node: Node | null | undefined, message: string): never {
  throw new UsageError(`${ctx.file}:${lineOf(ctx, node)}: ${message}`);
}

function keyName(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function entries(ctx: Ctx, node: Node | null | undefined, path: string, allowed?: readonly string[]): [string, Node | null, Pair][] {
  if (!isMap(node)) fail(ctx, node, `${path} must be a mapping`);
  const out: [string, Node | null, Pair][] = [];
  for (const pair of (node as YAMLMap).items) {
    const k = keyName(pair);
    // Names become object keys: these would reach the prototype instead of a setting.
    if (PROTOTYPE_KEYS.has(k)) fail(ctx, pair.key as Node, `key '${path ? `${path}.` : ""}${k}' is not allowed`);
    if (allowed && !allowed.includes(k)) {
      fail(ctx, pair.key as Node, `unknown key '${path ? `${path}.` : ""}${k}' (expected one of: ${allowed.join(", ")})`);
    }
    out.push([k, pair.value as Node | null, pair]);
  }
  return out;
}

function str(ctx: Ctx, node: Node | null, path: string): string {
  if (!isScalar(node) || (typeof node.value !== "string" && typeof node.value !== "number")) {
    fail(ctx, node, `${path} must be a string`);
  }
  const v = String(node.value).trim();
  if (v === "") fail(ctx, node, `${path} must not be empty`);
  return v;
}

function strList(ctx: Ctx, node: Node | null, path: string): string[] {
  if (!isSeq(node)) fail(ctx, node, `${path} must be a list of strings`);
  return node.items.map((item, i) => str(ctx, item as Node, `${path}[${i}]`));
}

function selector(ctx: Ctx, node: Node | null, path: string): EnvironmentSelector {
  const sel: EnvironmentSelector = {
    buildkite: { clusters: [], queues: [], pipelines: [] },
    azure: { subscriptions: [], managementGroups: [], tags: {} },
  };
  for (const [k, v] of entries(ctx, node, path, ["buildkite", "azure", "workloads"])) {
    if (k === "workloads") {
      sel.workloads = strList(ctx, v, `${path}.workloads`);
    } else if (k === "buildkite") {
      for (const [bk, bv] of entries(ctx, v, `${path}.buildkite`, ["clusters", "queues", "pipelines"])) {
        sel.buildkite[bk as keyof EnvironmentSelector["buildkite"]] = strList(ctx, bv, `${path}.buildkite.${bk}`);
      }
    } else {
      for (const [ak, av] of entries(ctx, v, `${path}.azure`, ["subscriptions", "managementGroups", "tags"])) {
        if (ak === "tags") {
          for (const [tk, tv] of entries(ctx, av, `${path}.azure.tags`)) sel.azure.tags[tk] = str(ctx, tv, `${path}.azure.tags.${tk}`);
        } else {
          sel.azure[ak as "subscriptions" | "managementGroups"] = strList(ctx, av, `${path}.azure.${ak}`);
        }
      }
    }
  }
  return sel;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` naming a real day (no 2027-02-31). */
function isCalendarDate(s: string): boolean {
  if (!DATE_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function suppression(ctx: Ctx, node: Node | null, path: string): Suppression {
  const fields = entries(ctx, node, path, ["rule", "identity", "pipeline", "scope", "fingerprint", "reason", "expires"]);
  const get = (k: string) => fields.find(([name]) => name === k);
  const s: Partial<Suppression> = { location: { file: ctx.file, line: lineOf(ctx, node) } };
  for (const [k, v] of fields) {
    if (k === "expires") {
      // YAML reads an unquoted 2027-03-31 as a string with the core schema; accept both forms.
      const raw = isScalar(v) && v.value instanceof Date ? v.value.toISOString().slice(0, 10) : str(ctx, v, `${path}.expires`);
      if (!isCalendarDate(raw)) fail(ctx, v, `${path}.expires must be a date YYYY-MM-DD, got '${raw}'`);
      s.expires = raw;
    } else {
      (s as Record<string, unknown>)[k] = str(ctx, v, `${path}.${k}`);
    }
  }
  if (!get("rule")) fail(ctx, node, `${path} needs 'rule'`);
  if (!get("reason")) fail(ctx, node, `${path} needs a 'reason': say why the finding is accepted`);
  if (!get("expires")) fail(ctx, node, `${path} needs 'expires' (YYYY-MM-DD): suppressions must be reviewed`);
  if (!["identity", "pipeline", "scope", "fingerprint"].some((k) => get(k))) {
    fail(ctx, node, `${path} needs one of identity, pipeline, scope or fingerprint to say what it suppresses`);
  }
  return s as Suppression;
}

function ruleSetting(ctx: Ctx, node: Node | null, path: string): RuleSetting {
  const out: RuleSetting = { location: { file: ctx.file, line: lineOf(ctx, node) } };
  for (const [k, v] of entries(ctx, node, path, ["enabled", "severity"])) {
    if (k === "enabled") {
      if (!isScalar(v) || typeof v.value !== "boolean") fail(ctx, v, `${path}.enabled must be true or false`);
      out.enabled = v.value as boolean;
    } else {
      const sev = str(ctx, v, `${path}.severity`);
      if (!(SEVERITIES as readonly string[]).includes(sev)) fail(ctx, v, `${path}.severity must be one of ${SEVERITIES.join(", ")}, got '${sev}'`);
      out.severity = sev as Severity;
    }
  }
  return out;
}

/** Parse policy text. `file` is used in messages and as the SARIF anchor. */
export function parsePolicy(text: string, file: string): Policy {
  const deep = yamlTooDeepAt(text);
  if (deep !== undefined) throw new UsageError(`${file}:${deep}: not valid YAML: nested deeper than ${MAX_YAML_NESTING} levels; not read`);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const ctx: Ctx = { file, lines };
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line ?? 1;
    throw new UsageError(`${file}:${line}: not valid YAML: ${yamlErrorReason(err.message)}`);
  }
  const policy: Policy = { file, suppressions: [], ruleSettings: {}, rules: [] };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return policy;
  for (const [k, v] of entries(ctx, doc.contents as Node, "", ["environments", "suppressions", "ruleSettings", "rules"])) {
    if (k === "environments") {
      policy.environments = {};
      for (const [name, sel] of entries(ctx, v, "environments")) policy.environments[name] = selector(ctx, sel, `environments.${name}`);
    } else if (k === "suppressions") {
      if (!isSeq(v)) fail(ctx, v, "suppressions must be a list");
      policy.suppressions = v.items.map((item, i) => suppression(ctx, item as Node, `suppressions[${i}]`));
    } else if (k === "ruleSettings") {
      for (const [id, setting] of entries(ctx, v, "ruleSettings")) policy.ruleSettings[id] = ruleSetting(ctx, setting, `ruleSettings.${id}`);
    } else {
      if (!isSeq(v)) fail(ctx, v, "rules must be a list of module paths or package names");
      policy.rules = v.items.map((item, i) => ({ spec: str(ctx, item as Node, `rules[${i}]`), location: { file: ctx.file, line: lineOf(ctx, item as Node) } }));
    }
  }
  return policy;
}
