/**
 * Reads a Buildkite pipeline file (YAML or JSON) into steps with line numbers: commands, env,
 * agents queue, if, branches, block steps, plugins, artifact paths and secrets. Every shape the
 * pipeline schema allows is accepted; anything else is a diagnostic at its line, never a crash.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type { Diagnostic, EnvEntry, PipelineFile, PipelineStep } from "../../model/repo.ts";
import { diag, errorLine, get, key, lineOf, pairs, scalarText } from "../yaml-nodes.ts";
import { MAX_YAML_NESTING, yamlErrorReason, yamlTooDeepAt } from "../../util/yaml-guard.ts";
import { resolveAliases } from "./yaml-aliases.ts";

interface Ctx {
  file: string;
  lines: LineCounter;
  diagnostics: Diagnostic[];
  /** Nodes copied from an anchor, and where the original starts. */
  origins?: WeakMap<object, number>;
}

const STEP_TYPES = ["command", "commands", "script", "block", "input", "wait", "waiter", "trigger", "group"] as const;

/** `{ fromAnchor: line }` for a node copied from an anchor, else nothing. */
function anchored(ctx: Ctx, node: unknown): { fromAnchor?: number } {
  const at = typeof node === "object" && node !== null ? ctx.origins?.get(node) : undefined;
  return at === undefined ? {} : { fromAnchor: ctx.lines.linePos(at).line };
}

/** Absent, `~`, or a key with nothing but comments under it: YAML gives a null scalar. */
function isEmpty(node: unknown): boolean {
  return node === undefined || node === null || (isScalar(node) && node.value === null);
}

function readEnv(ctx: Ctx, node: unknown): EnvEntry[] {
  if (isEmpty(node)) return [];
  if (!isMap(node)) {
    diag(ctx, node, "env must be a mapping of names to values");
    return [];
  }
  return pairs(node).map((p) => ({
    file: ctx.file,
    line: lineOf(ctx, p.key),
    name: key(p),
    value: scalarText(p.value) ?? (p.value === null ? "" : String((p.value as Node).toJSON?.() ?? "")),
    ...anchored(ctx, p.key),
  }));
}

/** `agents: { queue: x }` or `agents: ["queue=x"]`. */
function readQueue(node: unknown): string | undefined {
  if (isMap(node)) return scalarText(get(node, "queue"));
  if (isSeq(node)) {
    for (const item of node.items) {
      const m = /^queue=(.+)$/.exec(scalarText(item) ?? "");
      if (m) return m[1];
    }
  }
  return undefined;
}

function readStringList(node: unknown): string[] {
  if (isSeq(node)) return node.items.map((i) => scalarText(i)).filter((s): s is string => s !== undefined);
  const s = scalarText(node);
  return s === undefined ? [] : [s];
}

function readCommands(ctx: Ctx, node: unknown): PipelineStep["commands"] {
  const out: PipelineStep["commands"] = [];
  const add = (n: unknown) => {
    const text = scalarText(n);
    if (text === undefined) return diag(ctx, n, "a command must be a string");
    // A block scalar's text starts on the line after its indicator (a copy sits at its use).
    const scalar = n as { type?: string };
    const from = anchored(ctx, n);
    const first = lineOf(ctx, n) + (from.fromAnchor === undefined && (scalar.type === "BLOCK_LITERAL" || scalar.type === "BLOCK_FOLDED") ? 1 : 0);
    out.push({ file: ctx.file, line: first, text, ...from });
  };
  if (isSeq(node)) node.items.forEach(add);
  else if (!isEmpty(node)) add(node);
  return out;
}

function readPlugins(ctx: Ctx, node: unknown): PipelineStep["plugins"] {
  const out: PipelineStep["plugins"] = [];
  if (isSeq(node)) {
    for (const item of node.items) {
      if (isScalar(item)) out.push({ file: ctx.file, line: lineOf(ctx, item), name: String(item.value), config: null });
      else if (isMap(item)) for (const p of pairs(item)) out.push({ file: ctx.file, line: lineOf(ctx, p.key), name: key(p), config: (p.value as Node | null)?.toJSON?.() ?? null });
      else diag(ctx, item, "a plugin must be a name or a mapping of one name to its configuration");
    }
  } else if (isMap(node)) {
    // The deprecated map form.
    for (const p of pairs(node)) out.push({ file: ctx.file, line: lineOf(ctx, p.key), name: key(p), config: (p.value as Node | null)?.toJSON?.() ?? null });
  } else if (!isEmpty(node)) diag(ctx, node, "plugins must be a list or a mapping");
  return out;
}

function readArtifacts(ctx: Ctx, node: unknown): PipelineStep["artifactPaths"] {
  const out: PipelineStep["artifactPaths"] = [];
  const add = (n: unknown) => {
    for (const path of (scalarText(n) ?? "").split(";").map((s) => s.trim()).filter(Boolean)) out.push({ file: ctx.file, line: lineOf(ctx, n), path });
  };
  if (isSeq(node)) node.items.forEach(add);
  else if (!isEmpty(node)) add(node);
  return out;
}

function readSecrets(ctx: Ctx, node: unknown): PipelineStep["secrets"] {
  if (isSeq(node)) {
    return node.items.map((i) => {
      const name = scalarText(i) ?? "";
      return { file: ctx.file, line: lineOf(ctx, i), env: name, secret: name };
    });
  }
  if (isMap(node)) return pairs(node).map((p) => ({ file: ctx.file, line: lineOf(ctx, p.key), env: key(p), secret: scalarText(p.value) ?? "" }));
  return [];
}

function readDependsOn(node: unknown): string[] {
  if (isSeq(node)) {
    return node.items.map((i) => scalarText(i) ?? scalarText(get(i, "step")) ?? "").filter(Boolean);
  }
  const s = scalarText(node);
  return s ? [s] : [];
}

/** `matrix: [a, b]`, or `setup:` (a list, or lists per dimension) and the `adjustments` that are not skipped. */
function readMatrix(node: unknown): Record<string, string[]> | undefined {
  if (node === undefined || node === null) return undefined;
  const dims = new Map<string, Set<string>>();
  const add = (dim: string, n: unknown) => {
    const v = scalarText(n);
    if (v === undefined) return;
    const set = dims.get(dim) ?? new Set<string>();
    dims.set(dim, set.add(v));
  };
  const addAll = (n: unknown) => {
    if (isSeq(n)) n.items.forEach((i) => add("", i));
    else if (isMap(n)) for (const p of pairs(n)) (isSeq(p.value) ? p.value.items : [p.value]).forEach((v) => add(key(p), v));
    else add("", n);
  };
  addAll(isMap(node) ? get(node, "setup") : node);
  const adjustments = isMap(node) ? get(node, "adjustments") : undefined;
  if (isSeq(adjustments)) {
    for (const a of adjustments.items) {
      const skip = scalarText(get(a, "skip"));
      if (skip === undefined || skip === "false") addAll(get(a, "with"));
    }
  }
  return Object.fromEntries([...dims].map(([k, v]) => [k, [...v]]));
}

function readSteps(ctx: Ctx, node: unknown, group: string | undefined, pipelineQueue: string | undefined, out: PipelineStep[]): void {
  if (isEmpty(node)) return;
  if (!isSeq(node)) {
    diag(ctx, node, "steps must be a list");
    return;
  }
  for (const item of node.items) {
    const line = lineOf(ctx, item);
    const base = { file: ctx.file, line, commands: [], env: [], plugins: [], artifactPaths: [], secrets: [], dependsOn: [], ...(group ? { group } : {}), ...anchored(ctx, item) };
    if (isScalar(item)) {
      const s = String(item.value);
      if (s === "wait" || s === "waiter") out.push({ ...base, kind: "wait" });
      else if (s === "block" || s === "input") out.push({ ...base, kind: s });
      else diag(ctx, item, `unknown string step '${s}' (expected wait, block or input)`);
      continue;
    }
    if (!isMap(item)) {
      diag(ctx, item, "a step must be a mapping or one of wait, block, input");
      continue;
    }
    // Nested form: `- command: { … }`, `- wait: { … }` whose only key names the type.
    let body: unknown = item;
    const only = pairs(item).length === 1 ? pairs(item)[0]! : undefined;
    if (only && (STEP_TYPES as readonly string[]).includes(key(only)) && isMap(only.value)) body = only.value;
    const has = (k: string) => pairs(body).some((p) => key(p) === k) || (body !== item && only !== undefined && key(only) === k);
    const typed = scalarText(get(body, "type"));
    const kind: PipelineStep["kind"] = typed !== undefined
      ? typed === "waiter" ? "wait" : typed === "script" || typed === "commands" ? "command" : (["command", "block", "input", "wait", "trigger", "group"].includes(typed) ? (typed as PipelineStep["kind"]) : "command")
      : has("group") && get(item, "steps") !== undefined
      ? "group"
      : has("block") ? "block"
      : has("input") ? "input"
      : has("trigger") ? "trigger"
      : has("wait") || has("waiter") ? "wait"
      : "command";
    const label = scalarText(get(body, "label")) ?? scalarText(get(body, "name")) ?? scalarText(get(body, kind === "group" ? "group" : kind)) ?? undefined;
    const step: PipelineStep = {
      ...base,
      kind,
      ...(scalarText(get(body, "key")) ?? scalarText(get(body, "id")) ? { key: (scalarText(get(body, "key")) ?? scalarText(get(body, "id")))! } : {}),
      ...(label ? { label } : {}),
      commands: kind === "command" ? [...readCommands(ctx, get(body, "command")), ...readCommands(ctx, get(body, "commands")), ...readCommands(ctx, get(body, "script"))] : [],
      env: readEnv(ctx, get(body, "env")),
      plugins: readPlugins(ctx, get(body, "plugins")),
      artifactPaths: readArtifacts(ctx, get(body, "artifact_paths")),
      secrets: readSecrets(ctx, get(body, "secrets")),
      dependsOn: readDependsOn(get(body, "depends_on")),
    };
    const queue = readQueue(get(body, "agents")) ?? pipelineQueue;
    if (queue) step.queue = queue;
    const matrix = readMatrix(get(body, "matrix"));
    if (matrix) step.matrix = matrix;
    const cond = scalarText(get(body, "if"));
    if (cond) step.if = cond;
    const branches = get(body, "branches");
    if (branches !== undefined) step.branches = readStringList(branches).flatMap((b) => b.split(/\s+/)).filter(Boolean);
    out.push(step);
    if (kind === "group") readSteps(ctx, get(item, "steps"), label ?? "group", queue, out);
  }
}

/** Keys only a step has: a list of mappings with none of them is some other YAML (a compose file, a config). */
const STEP_KEYS = new Set(["command", "commands", "script", "wait", "waiter", "block", "input", "trigger", "group", "plugins", "label"]);

/**
 * Why a YAML document found under `.buildkite/` is not a pipeline, or undefined when it has the
 * shape of one: a mapping with a `steps` list, or a list of steps.
 */
export function notPipelineReason(root: unknown): string | undefined {
  if (isMap(root)) {
    const steps = get(root, "steps");
    if (steps === undefined) return "a mapping without 'steps'";
    return isSeq(steps) || isEmpty(steps) ? undefined : "its 'steps' is not a list";
  }
  if (isSeq(root)) {
    const stepLike = (i: unknown) => (isScalar(i) ? ["wait", "waiter", "block", "input"].includes(String(i.value)) : pairs(i).some((p) => STEP_KEYS.has(key(p))));
    return root.items.length > 0 && root.items.every(stepLike) ? undefined : "a list whose items are not steps";
  }
  return "neither a mapping with 'steps' nor a list of steps";
}

export interface ReadPipelineResult {
  pipeline?: PipelineFile;
  diagnostics: Diagnostic[];
  /** With `candidate`: why the file is not a pipeline (it is then not read, and has no diagnostics). */
  notPipeline?: string;
}

/**
 * Reads a pipeline file. `candidate` is for YAML found under `.buildkite/` that no step uploads
 * and whose name is not a pipeline's: when it does not have a pipeline's shape, `notPipeline`
 * says why instead of a diagnostic.
 */
export function readPipeline(text: string, file: string, opts: { candidate?: boolean } = {}): ReadPipelineResult {
  const lines = new LineCounter();
  const ctx: Ctx = { file, lines, diagnostics: [] };
  const deep = yamlTooDeepAt(text);
  if (deep !== undefined) return { diagnostics: [{ file, line: deep, message: `not valid YAML: nested deeper than ${MAX_YAML_NESTING} levels; not read` }] };
  let doc;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  } catch (e) {
    return { diagnostics: [{ file, line: 1, message: `cannot parse: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` }] };
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    return { diagnostics: [{ file, line: errorLine(e, lines), message: `not valid YAML: ${yamlErrorReason(e.message)}` }] };
  }
  // Aliases first: a pipeline may build its steps from anchors (`steps: *steps`, `<<: *base`).
  const aliases = resolveAliases(doc);
  if ("message" in aliases) return { diagnostics: [{ file, line: lineOf(ctx, aliases.node), message: aliases.message }] };
  if (opts.candidate) {
    const reason = notPipelineReason(doc.contents);
    if (reason !== undefined) return { diagnostics: [], notPipeline: reason };
  }
  ctx.origins = aliases.origins;
  const root = doc.contents;
  const steps: PipelineStep[] = [];
  let env: EnvEntry[] = [];
  let queue: string | undefined;
  if (isSeq(root)) {
    readSteps(ctx, root, undefined, undefined, steps);
  } else if (isMap(root)) {
    env = readEnv(ctx, get(root, "env"));
    queue = readQueue(get(root, "agents"));
    const s = get(root, "steps");
    if (s === undefined) diag(ctx, root, "a pipeline needs 'steps'");
    else readSteps(ctx, s, undefined, queue, steps);
  } else {
    return { diagnostics: [{ file, line: lineOf(ctx, root), message: "a pipeline must be a mapping with 'steps' (or a list of steps)" }] };
  }
  return { pipeline: { file, env, ...(queue ? { queue } : {}), steps }, diagnostics: ctx.diagnostics };
}
