/**
 * Evaluates Terraform HCL configurations into the resources they declare (issue 21): each root
 * module with its variables (defaults, `terraform.tfvars`, `*.auto.tfvars`, and one variant per
 * other `*.tfvars` beside it), locals, loops, references between resources and local modules.
 * What it cannot know becomes an `unknown` value saying why, never a guess. Pure: all I/O is the
 * host's; it never throws, and its work is bounded by the size of the input.
 */
import type { Diagnostic, Located } from "../../model/repo.ts";
import { Budget, BudgetExceeded, clip, errorText, MAX_DIAGNOSTICS, STEPS_PER_CHAR } from "../templates/support.ts";
import type { TemplateHost } from "../templates/index.ts";
import type { DeclaredConfiguration, DeclaredProvider, DeclaredResource, TfRef, TfValue } from "./declared.ts";
import { MAX_BYTES } from "../repo-files.ts";
import { posix } from "node:path";
import { parseDocument } from "yaml";
import { jsonHazard } from "../../util/json-guard.ts";
import { readHcl, type HclBlock, type HclBody, type HclExpression, type HclParser } from "./read-hcl.ts";

/** Items in one list or map before it is given up as unknown. */
export const MAX_ITEMS = 10_000;
/** Characters in one string before it is given up as unknown. */
export const MAX_STRING = 1024 * 1024;
/** Local modules nested deeper than this are not read. */
export const MAX_MODULE_DEPTH = 8;
/** Instances of one resource or module call read before the rest are dropped with a note. */
export const MAX_INSTANCES = 1000;
/** `-var-file` variants evaluated per root module. */
export const MAX_VAR_FILES = 8;
/** Nested evaluations (a local naming a local naming …) before one is given up, far below the JS stack. */
const MAX_EVAL_DEPTH = 400;

type Unknown = Extract<TfValue, { k: "unknown" }>;

interface ParsedFile {
  path: string;
  body: HclBody;
  /** What readHcl reported: gaps, given to the first configuration that reads the file. */
  diagnostics: Diagnostic[];
  reported: boolean;
}

/** One evaluation of a module directory: the root, or one instance of a `module` call. */
interface Mod {
  id: number;
  dir: string;
  /** `module.a.module.b["k"]`, "" at the root. */
  prefix: string;
  depth: number;
  /** Directories from the root to here, for cycles. */
  chain: string[];
  calledFrom: Located[];
  variables: Map<string, { block: HclBlock; file: string }>;
  /** The value of a variable set from outside (a tfvars file, a module input), evaluated on demand. */
  inputs: Map<string, () => TfValue>;
  locals: Map<string, { expr: HclExpression; file: string }>;
  resources: Map<string, Res>;
  calls: Map<string, Call>;
  outputs: Map<string, { expr: HclExpression; file: string }>;
  /** Blocks in document order, for emitting. */
  order: { file: string; block: HclBlock }[];
  cache: Map<string, TfValue>;
}

interface Res {
  mode: "managed" | "data";
  type: string;
  name: string;
  block: HclBlock;
  file: string;
  mod: Mod;
  looped: boolean;
  instances?: Inst[];
}

interface Inst {
  address: string;
  key?: string | number;
  scope: Scope;
  res: Res;
  cache: Map<string, TfValue>;
}

interface Call {
  name: string;
  block: HclBlock;
  file: string;
  mod: Mod;
  looped: boolean;
  /** Module instances by key ("" for a call without a loop), or why there are none. */
  instances?: { key?: string | number; mod: Mod }[] | { why: string };
}

interface Scope {
  mod: Mod;
  each?: { key: TfValue; value: TfValue };
  count?: TfValue;
  vars?: Map<string, TfValue>;
  /** A tfvars file or a variable default: literal values only. */
  literal?: boolean;
}

type Step = { name: string } | { key: TfValue } | { splat: true };

/** Values that are errors in Terraform (a missing key, an index out of range): `try` moves past them. */
const failures = new WeakSet<TfValue>();

class Run {
  readonly diagnostics: Diagnostic[] = [];
  nextId = 1;
  depth = 0;
  inProgress = new Set<string>();
  where: Located;

  constructor(
    readonly env: Env,
    readonly budget: Budget,
    readonly rootDir: string,
    start: Located,
  ) {
    this.where = start;
  }

  note(file: string, line: number, message: string, kind: string): void {
    this.env.report(this.diagnostics, { file, line, message, note: true, kind });
  }

  gap(file: string, line: number, message: string): void {
    this.env.report(this.diagnostics, { file, line, message });
  }
}

/** What every configuration of one call shares: parsed files, and diagnostics reported once. */
class Env {
  readonly parsed = new Map<string, ParsedFile>();
  readonly texts = new Map<string, string>();
  readonly seen = new Set<string>();
  readonly perFile = new Map<string, { gap: number; note: number }>();
  readonly suppressed = new Map<string, { gap: number; note: number }>();

  constructor(
    readonly host: TemplateHost,
    readonly parser: HclParser,
    readonly filesByDir: Map<string, string[]>,
  ) {}

  /** Once per call: the same words at the same place in a second configuration are not repeated. */
  report(into: Diagnostic[], d: Diagnostic): void {
    const line = Number.isFinite(d.line) ? Math.max(1, Math.trunc(d.line)) : 1;
    const key = `${d.file}\u0000${line}\u0000${d.note ? 1 : 0}\u0000${d.kind ?? ""}\u0000${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const which = d.note ? "note" : "gap";
    const counts = this.perFile.get(d.file) ?? { gap: 0, note: 0 };
    this.perFile.set(d.file, counts);
    if (counts[which] >= MAX_DIAGNOSTICS) {
      const s = this.suppressed.get(d.file) ?? { gap: 0, note: 0 };
      s[which]++;
      this.suppressed.set(d.file, s);
      return;
    }
    counts[which]++;
    into.push({ ...d, line });
  }

  /** The file's text, or a gap-worthy problem (reported by the caller). */
  text(path: string): string | { problem: string } {
    const known = this.texts.get(path);
    if (known !== undefined) return known;
    const got = this.host.read(path);
    if (!got) return { problem: "not in the repository" };
    if ("problem" in got) return got;
    this.texts.set(path, got.text);
    return got.text;
  }

  /** Parses once; with `into`, its read diagnostics go there if no configuration had them yet. */
  parse(path: string, into?: Diagnostic[]): ParsedFile {
    let result = this.parsed.get(path);
    if (!result) {
      const text = this.text(path);
      if (typeof text !== "string") result = { path, body: { blocks: [], attributes: [] }, diagnostics: [{ file: path, line: 1, message: notRead(text.problem) }], reported: false };
      else {
        const { body, diagnostics } = readHcl(text, path, this.parser);
        result = { path, body, diagnostics, reported: false };
      }
      this.parsed.set(path, result);
    }
    if (into && !result.reported) {
      result.reported = true;
      for (const d of result.diagnostics) this.report(into, d);
    }
    return result;
  }

  /** The `.tf` files of a directory (from the loader's list, else the host's listing). */
  tfFiles(dir: string): string[] {
    const listed = this.filesByDir.get(dir);
    if (listed) return listed.filter(isTf);
    const names = this.host.list?.(dir) ?? [];
    return names
      .map((n) => joinPath(dir, n))
      .filter(isTf)
      .sort();
  }
}

export function readTerraformConfigurations(tfFiles: string[], host: TemplateHost, parser: HclParser): DeclaredConfiguration[] {
  const out: DeclaredConfiguration[] = [];
  const byDir = new Map<string, string[]>();
  const files = [...new Set(tfFiles.map(normalise).filter((f): f is string => f !== undefined))].sort();
  for (const f of files) {
    const dir = dirOf(f);
    const list = byDir.get(dir) ?? [];
    list.push(f);
    byDir.set(dir, list);
  }
  const env = new Env(host, parser, byDir);
  const early: Diagnostic[] = [];
  let total = 0;
  try {
    for (const f of files) {
      const t = isTf(f) || isTfvars(f) ? env.text(f) : "";
      if (typeof t === "string") total += t.length;
    }
  } catch (e) {
    early.push({ file: files[0] ?? "", line: 1, message: `internal error while reading Terraform: ${errorText(e)}` });
  }
  // Linear in the input: each configuration may spend the whole size's budget, all of them ten times that.
  const perConfig = STEPS_PER_CHAR * (total + 256);
  const overall = new Budget(perConfig * 10);

  // Which directories are called as local modules, and which configure what they deploy (a
  // provider, a backend, their own tfvars): a root is one nobody calls, or one that configures
  // itself even if something calls it (a test harness or example calling `../..` must not hide it).
  const calls = new Map<string, Set<string>>();
  const configures = new Set<string>();
  for (const [dir, list] of byDir) {
    if (list.some(isTfvars)) configures.add(dir);
    for (const f of list.filter((x) => x.endsWith(".tf"))) {
      const parsed = safeParse(env, f, early);
      for (const b of parsed?.body.blocks ?? []) {
        if (b.type === "provider" || (b.type === "terraform" && b.body.blocks.some((x) => x.type === "backend" || x.type === "cloud"))) configures.add(dir);
        if (b.type !== "module") continue;
        const src = literalSource(b);
        const target = src !== undefined && isLocalSource(src) ? resolveDir(dir, src) : undefined;
        if (target !== undefined && target !== dir) calls.set(dir, (calls.get(dir) ?? new Set<string>()).add(target));
      }
    }
  }
  const called = new Set([...calls.values()].flatMap((t) => [...t]));
  const hasTf = (d: string) => byDir.get(d)!.some(isTf);
  const roots = [...byDir.keys()].filter((d) => hasTf(d) && (!called.has(d) || configures.has(d))).sort((a, b) => Number(configures.has(b)) - Number(configures.has(a)) || (a < b ? -1 : a > b ? 1 : 0));
  // Directories no root reaches (modules that only call each other) are read as roots too, never skipped.
  const reached = new Set<string>();
  const reach = (d: string): void => {
    if (reached.has(d)) return;
    reached.add(d);
    for (const t of calls.get(d) ?? []) reach(t);
  };
  roots.forEach(reach);
  for (const d of [...byDir.keys()].sort()) {
    if (!hasTf(d) || reached.has(d)) continue;
    roots.push(d);
    reach(d);
  }
  for (const dir of roots) {
    const all = byDir.get(dir)!;
    const auto = all.filter((f) => isTfvars(f) && (baseName(f) === "terraform.tfvars" || baseName(f) === "terraform.tfvars.json" || /\.auto\.tfvars(\.json)?$/.test(f)));
    auto.sort((a, b) => (isTerraformTfvars(a) === isTerraformTfvars(b) ? (a < b ? -1 : a > b ? 1 : 0) : isTerraformTfvars(a) ? -1 : 1));
    const others = all.filter((f) => isTfvars(f) && !auto.includes(f));
    const variants: (string | undefined)[] = [undefined, ...others.slice(0, MAX_VAR_FILES)];
    for (const varFile of variants) {
      const config = evaluateRoot(env, dir, auto, varFile, perConfig, overall);
      if (varFile === undefined && others.length > MAX_VAR_FILES) {
        const rest = others.slice(MAX_VAR_FILES);
        env.report(config.diagnostics, {
          file: rest[0]!,
          line: 1,
          message: `only ${MAX_VAR_FILES} var files are evaluated per root module; ${rest.length} more (${rest.map(baseName).slice(0, 3).join(", ")}${rest.length > 3 ? ", …" : ""}) are not`,
          note: true,
          kind: "other",
        });
      }
      out.push(config);
    }
  }
  // Files no configuration read (directories that only call each other) still report what they could not read.
  for (const f of env.parsed.values()) if (!f.reported) early.push(...f.diagnostics);
  if (early.length > 0) {
    const into = out[0]?.diagnostics ?? [];
    for (const d of early) env.report(into, d);
    if (out.length === 0 && into.length > 0) out.push({ root: "", source: "hcl", resources: [], providers: [], diagnostics: into });
  }
  for (const c of out) {
    for (const [file, s] of env.suppressed) {
      if (!c.diagnostics.some((d) => d.file === file)) continue;
      if (s.gap > 0) c.diagnostics.push({ file, line: 1, message: `${s.gap} further problem(s) in this file are not listed` });
      if (s.note > 0) c.diagnostics.push({ file, line: 1, message: `${s.note} further note(s) in this file are not listed`, note: true, kind: "other" });
      env.suppressed.delete(file);
    }
  }
  return out;
}

/** The host's reason, said as a gap (it may already say "not read"). */
function notRead(problem: string): string {
  return problem.startsWith("not read") ? problem : `not read: ${problem}`;
}

function safeParse(env: Env, path: string, into: Diagnostic[]): ParsedFile | undefined {
  try {
    return env.parse(path);
  } catch (e) {
    env.report(into, { file: path, line: 1, message: `internal error while reading the file: ${errorText(e)}` });
    return undefined;
  }
}

function evaluateRoot(env: Env, dir: string, auto: string[], varFile: string | undefined, perConfig: number, overall: Budget): DeclaredConfiguration {
  const tf = env.tfFiles(dir);
  const run = new Run(env, new Budget(perConfig), dir, { file: tf[0] ?? varFile ?? dir, line: 1 });
  const config: DeclaredConfiguration = { root: dir, source: "hcl", resources: [], providers: [], diagnostics: run.diagnostics };
  if (varFile !== undefined) config.varFile = varFile;
  const before = run.budget.steps;
  try {
    if (overall.steps >= overall.limit) {
      run.gap(run.where.file, 1, "not evaluated: the Terraform configurations in this repository exceed the work limit");
      return config;
    }
    const mod = loadModule(run, dir, "", 0, [dir], []);
    if (!mod) return config;
    // Later files win: terraform.tfvars, then *.auto.tfvars in order, then the -var-file.
    for (const f of [...auto, ...(varFile ? [varFile] : [])]) applyTfvars(run, mod, f);
    emitModule(run, mod, config);
  } catch (e) {
    if (e instanceof BudgetExceeded) run.gap(run.where.file, run.where.line, "evaluation stopped at the work limit; resources after this point are not reported");
    else run.gap(run.where.file, run.where.line, `internal error while evaluating Terraform: ${errorText(e)}`);
  } finally {
    try {
      overall.tick(run.budget.steps - before);
    } catch {
      // The next configuration sees the overall budget is spent.
    }
  }
  return config;
}

// ---------------------------------------------------------------------------------------------
// Modules

function loadModule(run: Run, dir: string, prefix: string, depth: number, chain: string[], calledFrom: Located[]): Mod | undefined {
  const mod: Mod = {
    id: run.nextId++,
    dir,
    prefix,
    depth,
    chain,
    calledFrom,
    variables: new Map(),
    inputs: new Map(),
    locals: new Map(),
    resources: new Map(),
    calls: new Map(),
    outputs: new Map(),
    order: [],
    cache: new Map(),
  };
  for (const path of run.env.tfFiles(dir)) {
    const base = baseName(path);
    if (base.endsWith(".tf.json")) {
      run.note(path, 1, "Terraform JSON syntax is not read", "other-language");
      continue;
    }
    if (base === "override.tf" || base.endsWith("_override.tf")) {
      run.note(path, 1, "override files are not applied: the resources are read as the other files declare them", "other");
      continue;
    }
    const parsed = run.env.parse(path, run.diagnostics);
    for (const block of parsed.body.blocks) {
      run.budget.tick();
      const [a, b] = block.labels;
      switch (block.type) {
        case "variable":
          if (a !== undefined) mod.variables.set(a, { block, file: path });
          break;
        case "locals":
          for (const attr of block.body.attributes) mod.locals.set(attr.name, { expr: attr.expression, file: path });
          break;
        case "output":
          if (a !== undefined) {
            const value = block.body.attributes.find((x) => x.name === "value");
            if (value) mod.outputs.set(a, { expr: value.expression, file: path });
          }
          break;
        case "resource":
        case "data":
          if (a !== undefined && b !== undefined) {
            const mode = block.type === "data" ? "data" : "managed";
            const looped = block.body.attributes.some((x) => x.name === "for_each" || x.name === "count");
            mod.resources.set(`${mode === "data" ? "data." : ""}${a}.${b}`, { mode, type: a, name: b, block, file: path, mod, looped });
            mod.order.push({ file: path, block });
          }
          break;
        case "module":
          if (a !== undefined) {
            const looped = block.body.attributes.some((x) => x.name === "for_each" || x.name === "count");
            mod.calls.set(a, { name: a, block, file: path, mod, looped });
            mod.order.push({ file: path, block });
          }
          break;
        case "provider":
          mod.order.push({ file: path, block });
          break;
        default:
          break;
      }
    }
  }
  return mod;
}

function applyTfvars(run: Run, mod: Mod, path: string): void {
  const scope: Scope = { mod, literal: true };
  if (path.endsWith(".json")) {
    const text = run.env.text(path);
    if (typeof text !== "string") return run.gap(path, 1, notRead(text.problem));
    if (text.length > MAX_BYTES) return run.gap(path, 1, `not read: larger than ${MAX_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      return run.gap(path, 1, `not valid JSON: ${errorText(e).split("\n")[0]}`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) return run.gap(path, 1, "not read: a tfvars JSON file must be an object");
    for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
      const value = fromJson(run, v, 0);
      mod.inputs.set(name, () => value);
    }
    return;
  }
  const parsed = run.env.parse(path, run.diagnostics);
  for (const attr of parsed.body.attributes) {
    let memo: TfValue | undefined;
    mod.inputs.set(attr.name, () => (memo ??= ev(run, attr.expression, scope)));
  }
}

function fromJson(run: Run, v: unknown, depth: number): TfValue {
  run.budget.tick();
  if (depth > 64) return { k: "unknown", raw: "…", why: "nested too deeply to read" };
  if (v === null) return { k: "null" };
  if (typeof v === "string") return { k: "str", s: v };
  if (typeof v === "number") return { k: "num", n: v };
  if (typeof v === "boolean") return { k: "bool", b: v };
  if (Array.isArray(v)) return capList(v.map((x) => fromJson(run, x, depth + 1)), "[…]");
  return capMap(
    Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromJson(run, x, depth + 1)] as [string, TfValue]),
    "{…}",
  );
}

function emitModule(run: Run, mod: Mod, config: DeclaredConfiguration): void {
  for (const { file, block } of mod.order) {
    run.budget.tick();
    run.where = { file, line: block.line };
    if (block.type === "provider") {
      const name = block.labels[0];
      if (name === undefined) continue;
      const scope: Scope = { mod };
      const attributes = evalBody(run, block.body, scope, file);
      const alias = attributes["alias"];
      const p: DeclaredProvider = { name, module: mod.prefix, attributes, location: { file, line: block.line } };
      if (alias?.k === "str") p.alias = alias.s;
      config.providers.push(p);
    } else if (block.type === "module") {
      const call = mod.calls.get(block.labels[0]!);
      if (!call || call.block !== block) continue;
      const inst = callInstances(run, call);
      if (Array.isArray(inst)) for (const i of inst) emitModule(run, i.mod, config);
    } else {
      const res = mod.resources.get(`${block.type === "data" ? "data." : ""}${block.labels[0]}.${block.labels[1]}`);
      if (!res || res.block !== block) continue;
      for (const inst of instances(run, res)) {
        run.where = { file, line: block.line };
        const attributes: Record<string, TfValue> = {};
        for (const a of block.body.attributes) {
          if (META.has(a.name)) continue;
          if (a.name === "provider") {
            attributes[a.name] = { k: "str", s: exprRaw(a.expression) };
            continue;
          }
          attributes[a.name] = instanceAttr(run, inst, a.name) ?? { k: "null" };
        }
        for (const [type, list] of nestedBlocks(run, block.body, inst.scope, file)) attributes[type] = list;
        const r: DeclaredResource = { address: inst.address, mode: res.mode, type: res.type, name: res.name, module: mod.prefix, attributes, location: { file, line: block.line } };
        if (mod.calledFrom.length > 0) r.calledFrom = mod.calledFrom;
        config.resources.push(r);
      }
    }
  }
}

/** Meta-arguments, not attributes of the resource. */
const META = new Set(["count", "for_each", "depends_on"]);
const IGNORED_BLOCKS = new Set(["lifecycle", "provisioner", "connection"]);

function evalBody(run: Run, body: HclBody, scope: Scope, file: string): Record<string, TfValue> {
  const attributes: Record<string, TfValue> = {};
  for (const a of body.attributes) attributes[a.name] = ev(run, a.expression, scope);
  for (const [type, list] of nestedBlocks(run, body, scope, file)) attributes[type] = list;
  return attributes;
}

/** Nested blocks as lists of maps under their type, in order of first appearance. */
function nestedBlocks(run: Run, body: HclBody, scope: Scope, file: string): Map<string, TfValue> {
  const byType = new Map<string, TfValue[]>();
  for (const b of body.blocks) {
    run.budget.tick();
    if (IGNORED_BLOCKS.has(b.type)) continue;
    if (b.type === "dynamic") {
      run.note(file, b.line, `dynamic block '${b.labels[0] ?? ""}' is not read`, "loop");
      continue;
    }
    const entries = Object.entries(evalBody(run, b.body, scope, file));
    const list = byType.get(b.type) ?? [];
    list.push({ k: "map", entries });
    byType.set(b.type, list);
  }
  return new Map([...byType].map(([t, items]) => [t, { k: "list", items }]));
}

function callInstances(run: Run, call: Call): { key?: string | number; mod: Mod }[] | { why: string } {
  if (call.instances) return call.instances;
  const lockKey = `${call.mod.id}|call|${call.name}`;
  if (run.inProgress.has(lockKey)) return { why: `module '${call.name}' depends on itself` };
  run.inProgress.add(lockKey);
  try {
    call.instances = makeCallInstances(run, call);
  } finally {
    run.inProgress.delete(lockKey);
  }
  return call.instances;
}

function makeCallInstances(run: Run, call: Call): { key?: string | number; mod: Mod }[] | { why: string } {
  const parent = call.mod;
  const { block, file, name } = call;
  const sourceAttr = block.body.attributes.find((a) => a.name === "source");
  const src = literalSource(block);
  if (src === undefined) {
    run.note(file, sourceAttr?.line ?? block.line, `module '${name}' has no literal source; its resources are not read`, "not-in-repository");
    return { why: `module '${name}' has no literal source` };
  }
  if (!isLocalSource(src)) {
    const where = /::|^(github\.com|bitbucket\.org)\/|^https?:|^s3:|^gcs:/.test(src) ? "outside the repository" : "the registry";
    run.note(file, block.line, `module '${name}' comes from ${where} (${src}); its resources are not in the repository`, "registry-module");
    return { why: `module '${name}' comes from ${where}` };
  }
  const dir = resolveDir(parent.dir, src);
  if (dir === undefined || run.env.tfFiles(dir).length === 0) {
    run.note(file, block.line, `module '${name}' (${src}) is not in the repository; its resources are not read`, "not-in-repository");
    return { why: `module '${name}' is not in the repository` };
  }
  if (parent.chain.includes(dir)) {
    run.note(file, block.line, `module '${name}' (${src}) calls itself; it is not read again`, "other");
    return { why: `module '${name}' calls itself` };
  }
  if (parent.depth + 1 > MAX_MODULE_DEPTH) {
    run.note(file, block.line, `module '${name}' is nested more than ${MAX_MODULE_DEPTH} deep; its resources are not read`, "other");
    return { why: `module '${name}' is nested too deeply` };
  }
  const base = `${parent.prefix ? `${parent.prefix}.` : ""}module.${name}`;
  const loops = loopKeys(run, block, { mod: parent }, file, `module '${name}'`);
  const result: { key?: string | number; mod: Mod }[] = [];
  for (const l of loops) {
    const prefix = base + keySuffix(l.key);
    const child = loadModule(run, dir, prefix, parent.depth + 1, [...parent.chain, dir], [...parent.calledFrom, { file, line: block.line }]);
    if (!child) continue;
    for (const a of block.body.attributes) {
      if (MODULE_META.has(a.name)) continue;
      let memo: TfValue | undefined;
      child.inputs.set(a.name, () => (memo ??= ev(run, a.expression, l.scope)));
    }
    result.push({ ...(l.key !== undefined ? { key: l.key } : {}), mod: child });
  }
  return result;
}

const MODULE_META = new Set(["source", "version", "count", "for_each", "providers", "depends_on"]);

function instances(run: Run, res: Res): Inst[] {
  if (res.instances) return res.instances;
  const lockKey = `${res.mod.id}|res|${res.mode}.${res.type}.${res.name}`;
  if (run.inProgress.has(lockKey)) return [];
  run.inProgress.add(lockKey);
  try {
    const base = `${res.mod.prefix ? `${res.mod.prefix}.` : ""}${res.mode === "data" ? "data." : ""}${res.type}.${res.name}`;
    const what = `${res.mode === "data" ? "data." : ""}${res.type}.${res.name}`;
    res.instances = loopKeys(run, res.block, { mod: res.mod }, res.file, `'${what}'`).map((l) => ({
      address: base + keySuffix(l.key),
      ...(l.key !== undefined ? { key: l.key } : {}),
      scope: l.scope,
      res,
      cache: new Map(),
    }));
  } finally {
    run.inProgress.delete(lockKey);
  }
  return res.instances;
}

/** The instances a `for_each`/`count` gives: one without a key when neither is set or it cannot be evaluated. */
function loopKeys(run: Run, block: HclBlock, scope: Scope, file: string, what: string): { key?: string | number; scope: Scope }[] {
  const forEach = block.body.attributes.find((a) => a.name === "for_each");
  const count = block.body.attributes.find((a) => a.name === "count");
  const unread = (line: number, raw: string, why: string): { scope: Scope }[] => {
    run.note(file, line, `the ${forEach ? "for_each" : "count"} of ${what} could not be evaluated (${why}); it is read once`, "loop");
    const u = (r: string): TfValue => ({ k: "unknown", raw: r, why: `the loop of ${what} could not be evaluated` });
    return [{ scope: forEach ? { ...scope, each: { key: u("each.key"), value: u("each.value") } } : { ...scope, count: u("count.index") } }];
  };
  const capped = <T>(list: T[], line: number): T[] => {
    if (list.length <= MAX_INSTANCES) return list;
    run.note(file, line, `${what} has ${list.length} instances; only the first ${MAX_INSTANCES} are read`, "loop");
    return list.slice(0, MAX_INSTANCES);
  };
  if (forEach) {
    const v = ev(run, forEach.expression, scope);
    if (v.k === "map") return capped(v.entries, forEach.line).map(([k, value]) => ({ key: k, scope: { ...scope, each: { key: { k: "str", s: k }, value } } }));
    if (v.k === "list") {
      const keys = new Set<string>();
      for (const item of v.items) {
        if (item.k !== "str") return unread(forEach.line, exprRaw(forEach.expression), item.k === "unknown" ? item.why : "an item is not a string");
        keys.add(item.s);
        run.budget.tick();
      }
      return capped([...keys], forEach.line).map((k) => ({ key: k, scope: { ...scope, each: { key: { k: "str", s: k }, value: { k: "str", s: k } } } }));
    }
    if (v.k === "null") return [];
    return unread(forEach.line, exprRaw(forEach.expression), v.k === "unknown" ? v.why : v.k === "ref" ? "it is only known after apply" : "not a map or set");
  }
  if (count) {
    const got = ev(run, count.expression, scope);
    // Terraform converts a numeric string (`count = "1"`, a variable typed string).
    const asNum = got.k === "str" ? toNum(got) : undefined;
    const v: TfValue = asNum !== undefined ? { k: "num", n: asNum } : got;
    if (v.k === "num" && Number.isInteger(v.n) && v.n >= 0) {
      const n = Math.min(v.n, MAX_INSTANCES + 1);
      const keys = Array.from({ length: n }, (_, i) => i);
      if (v.n > MAX_INSTANCES) run.note(file, count.line, `${what} has ${v.n} instances; only the first ${MAX_INSTANCES} are read`, "loop");
      return keys.slice(0, MAX_INSTANCES).map((i) => ({ key: i, scope: { ...scope, count: { k: "num", n: i } } }));
    }
    return unread(count.line, exprRaw(count.expression), v.k === "unknown" ? v.why : v.k === "ref" ? "it is only known after apply" : "not a whole number");
  }
  return [{ scope }];
}

function keySuffix(key: string | number | undefined): string {
  if (key === undefined) return "";
  return typeof key === "number" ? `[${key}]` : `[${JSON.stringify(key)}]`;
}

/** A top-level attribute of an instance, evaluated in its own scope, once; undefined when not set. */
function instanceAttr(run: Run, inst: Inst, name: string): TfValue | undefined {
  const cached = inst.cache.get(name);
  if (cached) return cached;
  const a = inst.res.block.body.attributes.find((x) => x.name === name);
  if (!a || META.has(name)) {
    const blocks = inst.res.block.body.blocks.filter((b) => b.type === name && !IGNORED_BLOCKS.has(b.type));
    if (blocks.length === 0) return undefined;
    const v = nestedBlocks(run, { attributes: [], blocks }, inst.scope, inst.res.file).get(name);
    if (v) inst.cache.set(name, v);
    return v;
  }
  const lockKey = `${inst.res.mod.id}|attr|${inst.address}|${name}`;
  if (run.inProgress.has(lockKey)) return { k: "unknown", raw: `${inst.address}.${name}`, why: "it refers to itself" };
  run.inProgress.add(lockKey);
  try {
    const v = ev(run, a.expression, inst.scope);
    inst.cache.set(name, v);
    return v;
  } finally {
    run.inProgress.delete(lockKey);
  }
}

// ---------------------------------------------------------------------------------------------
// Expressions

function unknown(raw: string, why: string, ...from: TfValue[]): Unknown {
  const refs: TfRef[] = [];
  const seen = new Set<string>();
  const collect = (v: TfValue, depth: number): void => {
    if (refs.length >= 100 || depth > 64) return;
    if (v.k === "ref") {
      const key = `${v.address}\u0000${v.attribute}`;
      if (!seen.has(key)) {
        seen.add(key);
        refs.push({ address: v.address, attribute: v.attribute });
      }
    } else if (v.k === "unknown") for (const r of v.refs ?? []) collect({ k: "ref", ...r }, depth + 1);
    else if (v.k === "list") for (const x of v.items.slice(0, 1000)) collect(x, depth + 1);
    else if (v.k === "map") for (const [, x] of v.entries.slice(0, 1000)) collect(x, depth + 1);
  };
  for (const v of from) collect(v, 0);
  return refs.length > 0 ? { k: "unknown", raw, why, refs } : { k: "unknown", raw, why };
}

function fail(raw: string, why: string): Unknown {
  const u = unknown(raw, why);
  failures.add(u);
  return u;
}

/** The first value that is not fully known (an unknown, or a ref where a plain value is needed), if any. */
function opaque(v: TfValue, depth = 0): TfValue | undefined {
  if (v.k === "unknown" || v.k === "ref") return v;
  if (depth > 64) return v;
  if (v.k === "list") for (const x of v.items) if (opaque(x, depth + 1)) return x;
  if (v.k === "map") for (const [, x] of v.entries) if (opaque(x, depth + 1)) return x;
  return undefined;
}

function whyOf(v: TfValue): string {
  return v.k === "unknown" ? v.why : v.k === "ref" ? `${v.address}.${v.attribute} is only known after apply` : "not evaluated";
}

function capList(items: TfValue[], raw: string): TfValue {
  return items.length > MAX_ITEMS ? unknown(raw, `a list of more than ${MAX_ITEMS} items is not evaluated`) : { k: "list", items };
}

function capMap(entries: [string, TfValue][], raw: string): TfValue {
  if (entries.length > MAX_ITEMS) return unknown(raw, `a map of more than ${MAX_ITEMS} items is not evaluated`);
  // A repeated key keeps its first position and its last value.
  const at = new Map<string, number>();
  const out: [string, TfValue][] = [];
  for (const [k, v] of entries) {
    const i = at.get(k);
    if (i === undefined) {
      at.set(k, out.length);
      out.push([k, v]);
    } else out[i] = [k, v];
  }
  return { k: "map", entries: out };
}

function str(s: string, raw: string): TfValue {
  return s.length > MAX_STRING ? unknown(raw, `a string longer than ${MAX_STRING} characters is not evaluated`) : { k: "str", s };
}

function ev(run: Run, e: HclExpression, scope: Scope): TfValue {
  run.budget.tick();
  if (run.depth >= MAX_EVAL_DEPTH) return unknown(exprRaw(e), "references nested too deeply to evaluate");
  run.depth++;
  try {
    return evInner(run, e, scope);
  } finally {
    run.depth--;
  }
}

function evInner(run: Run, e: HclExpression, scope: Scope): TfValue {
  switch (e.kind) {
    case "string":
      return str(e.value, e.value);
    case "number":
      return { k: "num", n: e.value };
    case "bool":
      return { k: "bool", b: e.value };
    case "null":
      return { k: "null" };
    case "tuple":
      return capList(
        e.items.map((x) => ev(run, x, scope)),
        exprRaw(e),
      );
    case "object": {
      const entries: [string, TfValue][] = [];
      for (const item of e.items) {
        let key = item.key;
        if (item.keyExpression) {
          const k = ev(run, item.keyExpression, scope);
          const s = scalarText(k);
          if (s === undefined) return unknown(exprRaw(e), `the key ${item.key} is not known`, k);
          key = s;
        }
        entries.push([key, ev(run, item.value, scope)]);
      }
      return capMap(entries, exprRaw(e));
    }
    case "template":
      return evTemplate(run, e, scope);
    case "reference":
      return resolve(run, e.raw, e.parts[0]!, partsToSteps(run, e.parts.slice(1)), scope);
    case "index":
    case "getattr":
    case "splat":
      return evAccess(run, e, scope);
    case "call":
      return callFunction(run, e, scope);
    case "conditional": {
      const c = ev(run, e.condition, scope);
      if (c.k === "bool") return ev(run, c.b ? e.then : e.else, scope);
      if (c.k === "unknown" || c.k === "ref") return unknown(e.raw, `the condition ${exprRaw(e.condition)} is not known`, c, ev(run, e.then, scope), ev(run, e.else, scope));
      return fail(e.raw, "the condition is not a bool");
    }
    case "unary": {
      const v = ev(run, e.operand, scope);
      if (e.op === "!" && v.k === "bool") return { k: "bool", b: !v.b };
      if (e.op === "-" && v.k === "num") return { k: "num", n: -v.n };
      const o = opaque(v);
      return o ? unknown(e.raw, whyOf(o), v) : fail(e.raw, `'${e.op}' does not apply to this value`);
    }
    case "binary":
      return evBinary(run, e, scope);
    case "for":
      return evFor(run, e, scope);
    case "other":
      return unknown(e.raw, "this expression is not evaluated");
  }
}

function evBinary(run: Run, e: Extract<HclExpression, { kind: "binary" }>, scope: Scope): TfValue {
  const l = ev(run, e.left, scope);
  // `&&`/`||` decide on a known side alone, as Terraform does with a known false/true.
  if (e.op === "&&" || e.op === "||") {
    const r = ev(run, e.right, scope);
    const stop = e.op === "||";
    if ((l.k === "bool" && l.b === stop) || (r.k === "bool" && r.b === stop)) return { k: "bool", b: stop };
    if (l.k === "bool" && r.k === "bool") return { k: "bool", b: !stop };
    const o = opaque(l) ?? opaque(r);
    return o ? unknown(e.raw, whyOf(o), l, r) : fail(e.raw, `'${e.op}' needs bools`);
  }
  const r = ev(run, e.right, scope);
  const o = opaque(l) ?? opaque(r);
  if (o) return unknown(e.raw, whyOf(o), l, r);
  if (e.op === "==" || e.op === "!=") {
    const same = sameValue(run, l, r);
    return { k: "bool", b: e.op === "==" ? same : !same };
  }
  const ln = toNum(l);
  const rn = toNum(r);
  if (ln === undefined || rn === undefined) return fail(e.raw, `'${e.op}' needs numbers`);
  switch (e.op) {
    case "+":
      return { k: "num", n: ln + rn };
    case "-":
      return { k: "num", n: ln - rn };
    case "*":
      return { k: "num", n: ln * rn };
    case "/":
      return rn === 0 ? fail(e.raw, "division by zero") : { k: "num", n: ln / rn };
    case "%":
      return rn === 0 ? fail(e.raw, "division by zero") : { k: "num", n: ln % rn };
    case "<":
      return { k: "bool", b: ln < rn };
    case ">":
      return { k: "bool", b: ln > rn };
    case "<=":
      return { k: "bool", b: ln <= rn };
    case ">=":
      return { k: "bool", b: ln >= rn };
    default:
      return unknown(e.raw, `operator '${e.op}' is not evaluated`);
  }
}

function toNum(v: TfValue): number | undefined {
  if (v.k === "num") return v.n;
  if (v.k === "str" && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v.s.trim())) return Number(v.s);
  return undefined;
}

function sameValue(run: Run, a: TfValue, b: TfValue): boolean {
  run.budget.tick();
  if (a.k === "num" && b.k === "str") return toNum(b) === a.n;
  if (a.k === "str" && b.k === "num") return toNum(a) === b.n;
  if (a.k !== b.k) return false;
  switch (a.k) {
    case "str":
      return a.s === (b as typeof a).s;
    case "num":
      return a.n === (b as typeof a).n;
    case "bool":
      return a.b === (b as typeof a).b;
    case "null":
      return true;
    case "list": {
      const bi = (b as typeof a).items;
      return a.items.length === bi.length && a.items.every((x, i) => sameValue(run, x, bi[i]!));
    }
    case "map": {
      const be = new Map((b as typeof a).entries);
      return a.entries.length === be.size && a.entries.every(([k, x]) => be.has(k) && sameValue(run, x, be.get(k)!));
    }
    default:
      return false;
  }
}

function scalarText(v: TfValue): string | undefined {
  if (v.k === "str") return v.s;
  if (v.k === "num") return String(v.n);
  if (v.k === "bool") return String(v.b);
  return undefined;
}

function evTemplate(run: Run, e: Extract<HclExpression, { kind: "template" }>, scope: Scope): TfValue {
  const only = e.parts.length === 1 ? e.parts[0] : undefined;
  if (only?.kind === "interpolation") return ev(run, only.expression, scope);
  const values: TfValue[] = [];
  let text = "";
  let why: string | undefined;
  for (const p of e.parts) {
    if (p.kind === "literal") text += p.value;
    else if (p.kind === "directive") why ??= "a %{ } directive is not evaluated";
    else {
      const v = ev(run, p.expression, scope);
      values.push(v);
      const s = scalarText(v);
      if (s !== undefined) text += s;
      else why ??= v.k === "null" ? `${exprRaw(p.expression)} is null` : v.k === "list" || v.k === "map" ? `${exprRaw(p.expression)} is not a string` : whyOf(v);
    }
    if (text.length > MAX_STRING) return unknown(e.raw, `a string longer than ${MAX_STRING} characters is not evaluated`);
  }
  return why === undefined ? { k: "str", s: text } : unknown(e.raw, why, ...values);
}

function evFor(run: Run, e: Extract<HclExpression, { kind: "for" }>, scope: Scope): TfValue {
  const coll = ev(run, e.collection, scope);
  let pairs: [TfValue, TfValue][];
  if (coll.k === "list") pairs = coll.items.map((v, i) => [{ k: "num", n: i }, v]);
  else if (coll.k === "map") pairs = coll.entries.map(([k, v]) => [{ k: "str", s: k }, v]);
  else if (coll.k === "unknown" || coll.k === "ref") return unknown(e.raw, whyOf(coll), coll);
  else return fail(e.raw, "a for expression needs a list or a map");
  const items: TfValue[] = [];
  const groups = new Map<string, TfValue[]>();
  const entries: [string, TfValue][] = [];
  const taken = new Set<string>();
  for (const [k, v] of pairs) {
    run.budget.tick();
    const vars = new Map(scope.vars ?? []);
    if (e.keyVar !== undefined) vars.set(e.keyVar, k);
    vars.set(e.valueVar, v);
    const inner: Scope = { ...scope, vars };
    if (e.condition) {
      const c = ev(run, e.condition, inner);
      if (c.k !== "bool") return c.k === "unknown" || c.k === "ref" ? unknown(e.raw, `the condition ${exprRaw(e.condition)} is not known`, c) : fail(e.raw, "the condition is not a bool");
      if (!c.b) continue;
    }
    const value = ev(run, e.value, inner);
    if (e.form === "tuple") {
      items.push(value);
      if (items.length > MAX_ITEMS) return capList(items, e.raw);
      continue;
    }
    const key = ev(run, e.key!, inner);
    const ks = scalarText(key);
    if (ks === undefined) return unknown(e.raw, `a key is not known: ${whyOf(key)}`, key);
    if (e.group) {
      const g = groups.get(ks);
      if (g) g.push(value);
      else {
        groups.set(ks, [value]);
        entries.push([ks, { k: "null" }]);
      }
    } else {
      if (taken.has(ks)) return fail(e.raw, `duplicate key "${ks}"`);
      taken.add(ks);
      entries.push([ks, value]);
    }
    if (entries.length > MAX_ITEMS) return capMap(entries, e.raw);
  }
  if (e.form === "tuple") return { k: "list", items };
  return { k: "map", entries: e.group ? entries.map(([k]) => [k, { k: "list", items: groups.get(k)! }]) : entries };
}

/** `[0]`, `["a"]`, `*` and names, from a reference's parts. */
function partsToSteps(run: Run, parts: string[]): Step[] {
  return parts.map((p) => {
    run.budget.tick();
    if (p === "*") return { splat: true };
    if (p.startsWith("[") && p.endsWith("]")) return { key: literalKey(p.slice(1, -1).trim()) };
    if (/^\d+$/.test(p)) return { key: { k: "num", n: Number(p) } };
    return { name: p };
  });
}

function literalKey(text: string): TfValue {
  if (/^-?\d+(\.\d+)?$/.test(text)) return { k: "num", n: Number(text) };
  if (text.startsWith('"')) {
    try {
      return { k: "str", s: JSON.parse(text) as string };
    } catch {
      return { k: "str", s: text.slice(1, -1) };
    }
  }
  return unknown(text, "the index is not evaluated");
}

/** An `index`/`getattr`/`splat` chain: a reference at its bottom resolves with all its steps; anything else is evaluated, then stepped into. */
function evAccess(run: Run, e: HclExpression, scope: Scope): TfValue {
  const steps: Step[] = [];
  let cur = e;
  for (;;) {
    run.budget.tick();
    if (cur.kind === "index") {
      steps.unshift({ key: ev(run, cur.key, scope) });
      cur = cur.target;
    } else if (cur.kind === "getattr") {
      steps.unshift({ name: cur.name });
      cur = cur.target;
    } else if (cur.kind === "splat") {
      steps.unshift({ splat: true }, ...partsToSteps(run, cur.parts));
      cur = cur.target;
    } else break;
  }
  const raw = exprRaw(e);
  if (cur.kind === "reference") return resolve(run, raw, cur.parts[0]!, [...partsToSteps(run, cur.parts.slice(1)), ...steps], scope);
  return stepInto(run, ev(run, cur, scope), steps, raw);
}

/** Follows steps into a value; a missing key or index is a failure (`try` skips it). */
function stepInto(run: Run, v: TfValue, steps: Step[], raw: string): TfValue {
  let cur = v;
  for (let i = 0; i < steps.length; i++) {
    run.budget.tick();
    const s = steps[i]!;
    if (cur.k === "unknown" || cur.k === "ref") {
      if (cur.k === "ref") return { k: "ref", address: cur.address, attribute: cur.attribute + stepsText(steps.slice(i)) };
      return unknown(raw, cur.why, cur);
    }
    if ("splat" in s) {
      const rest = steps.slice(i + 1);
      const items = cur.k === "list" ? cur.items : cur.k === "null" ? [] : [cur];
      return capList(
        items.map((x) => stepInto(run, x, rest, raw)),
        raw,
      );
    }
    if ("name" in s) {
      if (cur.k !== "map") return fail(raw, `.${s.name} on a value that is not an object`);
      // A linear lookup: charged by the map's size so a loop of lookups stays within the budget.
      run.budget.tick(cur.entries.length / 16);
      const hit = cur.entries.find(([k]) => k === s.name);
      if (!hit) return fail(raw, `no attribute "${s.name}"`);
      cur = hit[1];
      continue;
    }
    const key = s.key;
    if (key.k === "unknown" || key.k === "ref") return unknown(raw, `the index is not known: ${whyOf(key)}`, key);
    if (cur.k === "list") {
      const n = toNum(key);
      if (n === undefined || !Number.isInteger(n) || n < 0 || n >= cur.items.length) return fail(raw, "index out of range");
      cur = cur.items[n]!;
    } else if (cur.k === "map") {
      const ks = scalarText(key);
      run.budget.tick(cur.entries.length / 16);
      const hit = cur.entries.find(([k]) => k === ks);
      if (!hit) return fail(raw, `no key "${ks ?? ""}"`);
      cur = hit[1];
    } else return fail(raw, "index on a value that is not a list or map");
  }
  return cur;
}

function stepsText(steps: Step[]): string {
  let out = "";
  for (const s of steps) {
    if ("splat" in s) out += "[*]";
    else if ("name" in s) out += `.${s.name}`;
    else out += s.key.k === "num" ? `[${s.key.n}]` : s.key.k === "str" ? `[${JSON.stringify(s.key.s)}]` : "[?]";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// References

function resolve(run: Run, raw: string, root: string, steps: Step[], scope: Scope): TfValue {
  const bound = scope.vars?.get(root);
  if (bound) return stepInto(run, bound, steps, raw);
  const first = steps[0];
  const name = first && "name" in first ? first.name : undefined;
  const rest = steps.slice(1);
  if (scope.literal) return unknown(raw, "a tfvars file or variable default can only hold literal values");
  const mod = scope.mod;
  switch (root) {
    case "var": {
      if (name === undefined) return unknown(raw, "not evaluated");
      return stepInto(run, variable(run, mod, name, raw), rest, raw);
    }
    case "local": {
      if (name === undefined) return unknown(raw, "not evaluated");
      return stepInto(run, local(run, mod, name, raw), rest, raw);
    }
    case "each":
      if (!scope.each) return fail(raw, "each is only set in a resource or module with for_each");
      if (name === "key") return stepInto(run, scope.each.key, rest, raw);
      if (name === "value") return stepInto(run, scope.each.value, rest, raw);
      return fail(raw, "each has only key and value");
    case "count":
      if (!scope.count) return fail(raw, "count.index is only set in a resource or module with count");
      return name === "index" ? stepInto(run, scope.count, rest, raw) : fail(raw, "count has only index");
    case "path":
      if (name === "module") return stepInto(run, { k: "str", s: mod.dir || "." }, rest, raw);
      if (name === "root") return stepInto(run, { k: "str", s: run.rootDir || "." }, rest, raw);
      return unknown(raw, `path.${name ?? ""} is not evaluated`);
    case "terraform":
      return name === "workspace" ? stepInto(run, { k: "str", s: "default" }, rest, raw) : unknown(raw, "not evaluated");
    case "module":
      return name === undefined ? unknown(raw, "not evaluated") : moduleOutput(run, mod, name, rest, raw);
    case "self":
      return unknown(raw, "self is not evaluated");
    case "data": {
      const second = rest[0];
      if (name === undefined || !second || !("name" in second)) return unknown(raw, "not evaluated");
      return resourceRef(run, mod, `data.${name}.${second.name}`, rest.slice(1), raw);
    }
    default:
      if (name === undefined) return unknown(raw, `${root} is not evaluated`);
      return resourceRef(run, mod, `${root}.${name}`, rest, raw);
  }
}

function variable(run: Run, mod: Mod, name: string, raw: string): TfValue {
  const key = `var.${name}`;
  const cached = mod.cache.get(key);
  if (cached) return cached;
  const decl = mod.variables.get(name);
  if (!decl) return fail(raw, `variable '${name}' is not declared`);
  const lockKey = `${mod.id}|${key}`;
  if (run.inProgress.has(lockKey)) return unknown(raw, `variable '${name}' refers to itself`);
  run.inProgress.add(lockKey);
  let v: TfValue;
  try {
    const input = mod.inputs.get(name);
    const def = decl.block.body.attributes.find((a) => a.name === "default");
    if (input) v = input();
    else if (def) v = ev(run, def.expression, { mod, literal: true });
    else v = unknown(raw, `variable '${name}' has no value in the repository`);
    // The declared type converts the value, and fills object attributes left out with their optional() defaults.
    const type = decl.block.body.attributes.find((a) => a.name === "type");
    if (type) v = convertTo(run, v, type.expression, mod, 0);
  } finally {
    run.inProgress.delete(lockKey);
  }
  mod.cache.set(key, v);
  return v;
}

/** A value converted to a variable's type constraint, as Terraform does; what it cannot convert is left as it is. */
function convertTo(run: Run, v: TfValue, type: HclExpression, mod: Mod, depth: number): TfValue {
  run.budget.tick();
  if (depth > 32 || v.k === "unknown" || v.k === "ref" || v.k === "null") return v;
  if (type.kind === "reference" && type.parts.length === 1) {
    const t = type.parts[0];
    if (t === "string" && (v.k === "num" || v.k === "bool")) return { k: "str", s: v.k === "num" ? String(v.n) : String(v.b) };
    if (t === "number" && v.k === "str") {
      const n = toNum(v);
      return n === undefined ? v : { k: "num", n };
    }
    if (t === "bool" && v.k === "str" && (v.s === "true" || v.s === "false")) return { k: "bool", b: v.s === "true" };
    return v;
  }
  if (type.kind !== "call") return v;
  const [inner] = type.args;
  switch (type.name) {
    case "list":
    case "set":
      return inner && v.k === "list" ? { k: "list", items: v.items.map((x) => convertTo(run, x, inner, mod, depth + 1)) } : v;
    case "map":
      return inner && v.k === "map" ? { k: "map", entries: v.entries.map(([key, x]): [string, TfValue] => [key, convertTo(run, x, inner, mod, depth + 1)]) } : v;
    case "object": {
      if (inner?.kind !== "object" || v.k !== "map") return v;
      const given = new Map(v.entries);
      const entries: [string, TfValue][] = [];
      for (const attr of inner.items) {
        const decl = attr.value;
        const optional = decl.kind === "call" && decl.name === "optional" ? decl : undefined;
        const attrType = optional ? optional.args[0] : decl;
        const value = given.get(attr.key);
        if (value !== undefined && value.k !== "null") entries.push([attr.key, attrType ? convertTo(run, value, attrType, mod, depth + 1) : value]);
        else if (optional) {
          const d = optional.args[1];
          const fallback = d ? ev(run, d, { mod, literal: true }) : ({ k: "null" } as TfValue);
          entries.push([attr.key, attrType ? convertTo(run, fallback, attrType, mod, depth + 1) : fallback]);
        } else if (value !== undefined) entries.push([attr.key, value]);
      }
      return { k: "map", entries };
    }
    default:
      return v;
  }
}

function local(run: Run, mod: Mod, name: string, raw: string): TfValue {
  const key = `local.${name}`;
  const cached = mod.cache.get(key);
  if (cached) return cached;
  const decl = mod.locals.get(name);
  if (!decl) return fail(raw, `local '${name}' is not declared`);
  const lockKey = `${mod.id}|${key}`;
  if (run.inProgress.has(lockKey)) return unknown(raw, `local '${name}' refers to itself`);
  run.inProgress.add(lockKey);
  let v: TfValue;
  try {
    v = ev(run, decl.expr, { mod });
  } finally {
    run.inProgress.delete(lockKey);
  }
  mod.cache.set(key, v);
  return v;
}

function moduleOutput(run: Run, mod: Mod, name: string, steps: Step[], raw: string): TfValue {
  const call = mod.calls.get(name);
  if (!call) return unknown(raw, `module '${name}' is not in the configuration`);
  const inst = callInstances(run, call);
  if (!Array.isArray(inst)) return unknown(raw, inst.why);
  let i = 0;
  let chosen: Mod | undefined;
  const first = steps[0];
  if (call.looped && (!first || !("key" in first))) return unknown(raw, `module '${name}' has several instances; refer to one by its key`);
  if (call.looped && inst.length === 1 && inst[0]!.key === undefined) {
    // The loop could not be evaluated: the one instance read stands for whichever the key picks.
    chosen = inst[0]!.mod;
    i = 1;
  } else if (call.looped) {
    if (!first || !("key" in first)) return unknown(raw, `module '${name}' has several instances; refer to one by its key`);
    const k = first.key;
    if (k.k === "unknown" || k.k === "ref") return unknown(raw, `the instance of module '${name}' is not known`, k);
    const ks = scalarText(k);
    chosen = inst.find((x) => (typeof x.key === "number" ? String(x.key) : x.key) === ks)?.mod;
    if (!chosen) return fail(raw, `module '${name}' has no instance ${ks ?? ""}`);
    i = 1;
  } else chosen = inst[0]?.mod;
  if (!chosen) return unknown(raw, `module '${name}' has no instance`);
  const out = steps[i];
  if (!out || !("name" in out)) return unknown(raw, `module '${name}' as a whole is not evaluated`);
  const decl = chosen.outputs.get(out.name);
  if (!decl) return fail(raw, `module '${name}' has no output '${out.name}'`);
  const key = `output.${out.name}`;
  let v = chosen.cache.get(key);
  if (!v) {
    const lockKey = `${chosen.id}|${key}`;
    if (run.inProgress.has(lockKey)) return unknown(raw, `output '${out.name}' of module '${name}' refers to itself`);
    run.inProgress.add(lockKey);
    try {
      v = ev(run, decl.expr, { mod: chosen });
    } finally {
      run.inProgress.delete(lockKey);
    }
    chosen.cache.set(key, v);
  }
  return stepInto(run, v, steps.slice(i + 1), raw);
}

/** `TYPE.NAME…` (or `data.TYPE.NAME…`) in module `mod`, with the steps after the name. */
function resourceRef(run: Run, mod: Mod, key: string, steps: Step[], raw: string): TfValue {
  const res = mod.resources.get(key);
  if (!res) return unknown(raw, `${key} is not in the configuration`);
  const list = instances(run, res);
  const first = steps[0];
  if (first && "splat" in first) {
    return capList(
      list.map((inst) => instanceRef(run, inst, steps.slice(1), raw)),
      raw,
    );
  }
  const unread = list.length === 1 && list[0]!.key === undefined;
  if (res.looped && (!first || !("key" in first))) return unknown(raw, `${key} has several instances (for_each or count) and no index`);
  if (res.looped && unread) {
    // The loop could not be evaluated: the one instance read stands for whichever the index picks.
    return instanceRef(run, list[0]!, steps.slice(1), raw);
  }
  if (res.looped) {
    if (!first || !("key" in first)) return unknown(raw, `${key} has several instances (for_each or count) and no index`);
    const k = first.key;
    if (k.k === "unknown" || k.k === "ref") return unknown(raw, `the instance of ${key} is not known: ${whyOf(k)}`, k);
    const ks = scalarText(k);
    const inst = list.find((x) => (typeof x.key === "number" ? String(x.key) : x.key) === ks);
    if (!inst) return fail(raw, `${key} has no instance ${ks ?? ""}`);
    return instanceRef(run, inst, steps.slice(1), raw);
  }
  const inst = list[0];
  if (!inst) return unknown(raw, `${key} has no instance`);
  return instanceRef(run, inst, steps, raw);
}

/** An attribute of one instance: its configured value when it sets it, else a ref. */
function instanceRef(run: Run, inst: Inst, steps: Step[], raw: string): TfValue {
  const first = steps[0];
  if (!first || !("name" in first)) return unknown(raw, `${inst.address} as a whole is not evaluated`);
  const configured = instanceAttr(run, inst, first.name);
  const ref: TfValue = { k: "ref", address: inst.address, attribute: first.name + stepsText(steps.slice(1)) };
  if (configured === undefined) return ref;
  const v = stepInto(run, configured, steps.slice(1), raw);
  // A path into a block the configuration does not spell out (`identity[0].principal_id`) is computed.
  return failures.has(v) ? ref : v;
}

// ---------------------------------------------------------------------------------------------
// Functions

function callFunction(run: Run, e: Extract<HclExpression, { kind: "call" }>, scope: Scope): TfValue {
  const raw = exprRaw(e);
  const name = e.name.replace(/^provider::.*::/, "");
  if (name === "try" || name === "can") {
    for (const a of e.args) {
      const v = ev(run, a, scope);
      if (name === "can") {
        if (failures.has(v)) continue;
        return v.k === "unknown" ? unknown(raw, v.why, v) : { k: "bool", b: true };
      }
      if (!failures.has(v)) return v;
    }
    return name === "can" ? { k: "bool", b: false } : fail(raw, "no argument of try evaluates");
  }
  if (!FUNCTIONS.has(name)) return unknown(raw, `function '${e.name}' is not evaluated`);
  const args = e.args.map((a) => ev(run, a, scope));
  const v = applyFunction(run, name, args, raw);
  return v;
}

const FUNCTIONS = new Set([
  "toset",
  "tolist",
  "tomap",
  "concat",
  "merge",
  "lookup",
  "format",
  "join",
  "split",
  "lower",
  "upper",
  "replace",
  "trimspace",
  "coalesce",
  "keys",
  "values",
  "length",
  "element",
  "flatten",
  "distinct",
  "contains",
  "jsonencode",
  "tostring",
  "tonumber",
  "tobool",
  // Those Azure Verified Modules and common modules use on the values that matter (role names, settings).
  "strcontains",
  "startswith",
  "endswith",
  "trimprefix",
  "trimsuffix",
  "substr",
  "compact",
  "one",
  "min",
  "max",
  "sort",
  "reverse",
  "setunion",
  "setintersection",
  "setsubtract",
  "zipmap",
  "range",
  // Configuration read from the repository: `yamldecode(file("${path.module}/roles.yaml"))`.
  "file",
  "jsondecode",
  "yamldecode",
]);

function applyFunction(run: Run, name: string, args: TfValue[], raw: string): TfValue {
  const bad = (why = "wrong arguments"): TfValue => fail(raw, `${name}: ${why}`);
  const needKnown = (...vs: TfValue[]): TfValue | undefined => {
    for (const v of vs) {
      const o = opaque(v);
      if (o) return unknown(raw, whyOf(o), ...vs);
    }
    return undefined;
  };
  const shallow = (v: TfValue | undefined): TfValue | undefined => (v && (v.k === "unknown" || v.k === "ref") ? unknown(raw, whyOf(v), v) : undefined);
  const [a, b, c] = args;
  switch (name) {
    case "toset":
    case "distinct": {
      if (!a) return bad();
      const s = shallow(a);
      if (s) return s;
      if (a.k !== "list") return bad("needs a list");
      const out: TfValue[] = [];
      const seen = new Set<string>();
      for (const x of a.items) {
        run.budget.tick();
        if (opaque(x)) {
          if (name === "toset") return unknown(raw, whyOf(opaque(x)!), a);
          out.push(x);
          continue;
        }
        const key = valueKey(run, x);
        if (key === undefined) return unknown(raw, "an item is too large to compare", a);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(x);
      }
      return { k: "list", items: out };
    }
    case "tolist":
      return shallow(a) ?? (a?.k === "list" ? a : bad("needs a list"));
    case "tomap":
      return shallow(a) ?? (a?.k === "map" ? a : bad("needs a map"));
    case "concat": {
      const items: TfValue[] = [];
      for (const x of args) {
        const s = shallow(x);
        if (s) return unknown(raw, whyOf(x), ...args);
        if (x.k !== "list") return bad("needs lists");
        run.budget.tick(x.items.length);
        items.push(...x.items);
        if (items.length > MAX_ITEMS) return capList(items, raw);
      }
      return { k: "list", items };
    }
    case "merge": {
      const entries: [string, TfValue][] = [];
      for (const x of args) {
        if (x.k === "null") continue;
        if (x.k === "unknown" || x.k === "ref") return unknown(raw, whyOf(x), ...args);
        if (x.k !== "map") return bad("needs maps");
        run.budget.tick(x.entries.length);
        entries.push(...x.entries);
      }
      return capMap(entries, raw);
    }
    case "lookup": {
      if (!a || !b) return bad();
      const s = shallow(a) ?? shallow(b);
      if (s) return s;
      const ks = scalarText(b);
      if (a.k !== "map" || ks === undefined) return bad();
      const hit = a.entries.find(([k]) => k === ks);
      if (hit) return hit[1];
      return c ?? bad(`no key "${ks}"`);
    }
    case "format": {
      const k = needKnown(...args);
      if (k) return k;
      if (a?.k !== "str") return bad("needs a format string");
      let i = 1;
      let failed: string | undefined;
      const out = a.s.replace(/%([%sdv])/g, (_m, verb: string) => {
        if (verb === "%") return "%";
        const x = args[i++];
        if (!x) {
          failed = "too few arguments";
          return "";
        }
        if (verb === "d") {
          if (x.k !== "num" || !Number.isInteger(x.n)) failed = "%d needs a whole number";
          return String(x.k === "num" ? x.n : "");
        }
        const t = scalarText(x) ?? (verb === "v" ? jsonText(run, x) : undefined);
        if (t === undefined) failed = "%s needs a string";
        return t ?? "";
      });
      if (/%[^%sdv]/.test(a.s.replace(/%%/g, ""))) return unknown(raw, "format verbs other than %s, %d and %v are not evaluated");
      return failed ? bad(failed) : str(out, raw);
    }
    case "join": {
      if (!a || !b) return bad();
      const k = needKnown(a, b);
      if (k) return k;
      if (a.k !== "str" || b.k !== "list") return bad();
      const parts: string[] = [];
      let len = 0;
      for (const x of b.items) {
        run.budget.tick();
        const t = scalarText(x);
        if (t === undefined) return bad("needs strings");
        len += t.length + a.s.length;
        if (len > MAX_STRING) return str("x".repeat(MAX_STRING + 1), raw);
        parts.push(t);
      }
      return { k: "str", s: parts.join(a.s) };
    }
    case "split": {
      if (!a || !b) return bad();
      const k = needKnown(a, b);
      if (k) return k;
      if (a.k !== "str" || b.k !== "str") return bad();
      if (a.s === "") return capList([...b.s].map((ch) => ({ k: "str", s: ch })), raw);
      run.budget.tick(b.s.length / 16);
      return capList(
        b.s.split(a.s).map((s) => ({ k: "str", s })),
        raw,
      );
    }
    case "lower":
    case "upper":
    case "trimspace":
    case "tostring": {
      if (!a) return bad();
      const s = shallow(a);
      if (s) return s;
      if (name === "tostring" && a.k === "null") return a;
      const t = name === "tostring" ? scalarText(a) : a.k === "str" ? a.s : undefined;
      if (t === undefined) return bad("needs a string");
      run.budget.tick(t.length / 64);
      return { k: "str", s: name === "lower" ? t.toLowerCase() : name === "upper" ? t.toUpperCase() : name === "trimspace" ? t.trim() : t };
    }
    case "replace": {
      if (!a || !b || !c) return bad();
      const k = needKnown(a, b, c);
      if (k) return k;
      if (a.k !== "str" || b.k !== "str" || c.k !== "str") return bad("needs strings");
      if (b.s.length > 1 && b.s.startsWith("/") && b.s.endsWith("/")) return unknown(raw, "replace with a regular expression is not evaluated");
      if (b.s === "") return a;
      run.budget.tick(a.s.length / 16);
      const parts = a.s.split(b.s);
      if (a.s.length + (parts.length - 1) * c.s.length > MAX_STRING) return str("x".repeat(MAX_STRING + 1), raw);
      return { k: "str", s: parts.join(c.s) };
    }
    case "coalesce": {
      for (const x of args) {
        if (x.k === "unknown" || x.k === "ref") return unknown(raw, whyOf(x), ...args);
        if (x.k === "null" || (x.k === "str" && x.s === "")) continue;
        return x;
      }
      return bad("no argument is set");
    }
    case "keys":
    case "values": {
      if (!a) return bad();
      const s = shallow(a);
      if (s) return s;
      if (a.k !== "map") return bad("needs a map");
      // Terraform sorts a map's keys.
      const sorted = [...a.entries].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
      run.budget.tick(sorted.length);
      return { k: "list", items: sorted.map(([k, v]) => (name === "keys" ? { k: "str", s: k } : v)) };
    }
    case "length": {
      if (!a) return bad();
      const s = shallow(a);
      if (s) return s;
      if (a.k === "list") return { k: "num", n: a.items.length };
      if (a.k === "map") return { k: "num", n: a.entries.length };
      if (a.k === "str") return { k: "num", n: [...a.s].length };
      return bad();
    }
    case "element": {
      if (!a || !b) return bad();
      const s = shallow(a) ?? shallow(b);
      if (s) return s;
      if (a.k !== "list" || b.k !== "num" || !Number.isInteger(b.n) || b.n < 0 || a.items.length === 0) return bad();
      return a.items[b.n % a.items.length]!;
    }
    case "flatten": {
      if (!a) return bad();
      const s = shallow(a);
      if (s) return s;
      if (a.k !== "list") return bad("needs a list");
      const out: TfValue[] = [];
      const walk = (v: TfValue, depth: number): boolean => {
        run.budget.tick();
        if (out.length > MAX_ITEMS || depth > 64) return false;
        if (v.k === "list") return v.items.every((x) => walk(x, depth + 1));
        if (v.k === "unknown" || v.k === "ref") {
          if (depth > 0) return false;
        }
        out.push(v);
        return true;
      };
      for (const x of a.items) {
        if (x.k === "unknown" || x.k === "ref") return unknown(raw, whyOf(x), a);
        if (!walk(x, 1)) return out.length > MAX_ITEMS ? capList(out, raw) : unknown(raw, "a nested list is not known", a);
      }
      return { k: "list", items: out };
    }
    case "contains": {
      if (!a || !b) return bad();
      const k = needKnown(a, b);
      if (k) return k;
      if (a.k !== "list") return bad("needs a list");
      return { k: "bool", b: a.items.some((x) => sameValue(run, x, b)) };
    }
    case "jsonencode": {
      if (!a) return bad();
      const k = needKnown(a);
      if (k) return k;
      const t = jsonText(run, a);
      return t === undefined ? unknown(raw, "the value is too large to encode") : str(t, raw);
    }
    case "tonumber": {
      if (!a) return bad();
      const s = shallow(a);
      if (s) return s;
      if (a.k === "null") return a;
      const n = toNum(a);
      return n === undefined ? bad("not a number") : { k: "num", n };
    }
    case "tobool": {
      if (!a) return bad();
      const s = shallow(a);
      if (s) return s;
      if (a.k === "bool" || a.k === "null") return a;
      if (a.k === "str" && (a.s === "true" || a.s === "false")) return { k: "bool", b: a.s === "true" };
      return bad("not a bool");
    }
    case "strcontains":
    case "startswith":
    case "endswith":
    case "trimprefix":
    case "trimsuffix": {
      if (!a || !b) return bad();
      const k = needKnown(a, b);
      if (k) return k;
      if (a.k !== "str" || b.k !== "str") return bad("needs strings");
      run.budget.tick(a.s.length / 64);
      if (name === "strcontains") return { k: "bool", b: a.s.includes(b.s) };
      if (name === "startswith") return { k: "bool", b: a.s.startsWith(b.s) };
      if (name === "endswith") return { k: "bool", b: a.s.endsWith(b.s) };
      if (name === "trimprefix") return { k: "str", s: b.s !== "" && a.s.startsWith(b.s) ? a.s.slice(b.s.length) : a.s };
      return { k: "str", s: b.s !== "" && a.s.endsWith(b.s) ? a.s.slice(0, -b.s.length) : a.s };
    }
    case "substr": {
      if (!a || !b || !c) return bad();
      const k = needKnown(a, b, c);
      if (k) return k;
      if (a.k !== "str" || b.k !== "num" || c.k !== "num") return bad();
      const chars = [...a.s];
      const from = b.n < 0 ? chars.length + b.n : b.n;
      if (from < 0 || from > chars.length) return bad("offset out of range");
      return { k: "str", s: chars.slice(from, c.n < 0 ? undefined : from + c.n).join("") };
    }
    case "compact": {
      if (!a) return bad();
      const s = shallow(a);
      if (s) return s;
      if (a.k !== "list") return bad("needs a list");
      if (a.items.some((x) => x.k === "unknown" || x.k === "ref")) return unknown(raw, "an item is not known", a);
      return { k: "list", items: a.items.filter((x) => !(x.k === "null" || (x.k === "str" && x.s === ""))) };
    }
    case "one": {
      if (!a) return bad();
      const s = shallow(a);
      if (s) return s;
      if (a.k !== "list" || a.items.length > 1) return bad("needs a list of at most one item");
      return a.items[0] ?? { k: "null" };
    }
    case "min":
    case "max": {
      const k = needKnown(...args);
      if (k) return k;
      const ns = args.map((x) => (x.k === "num" ? x.n : undefined));
      if (ns.length === 0 || ns.some((x) => x === undefined)) return bad("needs numbers");
      return { k: "num", n: name === "min" ? Math.min(...(ns as number[])) : Math.max(...(ns as number[])) };
    }
    case "sort":
    case "reverse": {
      if (!a) return bad();
      const k = needKnown(a);
      if (k) return k;
      if (a.k !== "list") return bad("needs a list");
      if (name === "reverse") return { k: "list", items: [...a.items].reverse() };
      const texts = a.items.map(scalarText);
      if (texts.some((t) => t === undefined)) return bad("needs strings");
      run.budget.tick(texts.length);
      return { k: "list", items: (texts as string[]).sort().map((t) => ({ k: "str", s: t })) };
    }
    case "setunion":
    case "setintersection":
    case "setsubtract": {
      const k = needKnown(...args);
      if (k) return k;
      if (args.length === 0 || args.some((x) => x.k !== "list")) return bad("needs sets");
      const lists = args as Extract<TfValue, { k: "list" }>[];
      const keyed = (l: Extract<TfValue, { k: "list" }>) => new Map(l.items.map((x) => [valueKey(run, x) ?? "", x] as const));
      run.budget.tick(lists.reduce((n, l) => n + l.items.length, 0));
      const first = keyed(lists[0]!);
      if (name === "setunion") {
        for (const l of lists.slice(1)) for (const [key, x] of keyed(l)) if (!first.has(key)) first.set(key, x);
        return capList([...first.values()], raw);
      }
      const others = lists.slice(1).map(keyed);
      const keep = [...first].filter(([key]) => (name === "setintersection" ? others.every((o) => o.has(key)) : !others.some((o) => o.has(key))));
      return { k: "list", items: keep.map(([, x]) => x) };
    }
    case "zipmap": {
      if (!a || !b) return bad();
      const k = needKnown(a);
      if (k) return k;
      if (a.k !== "list" || b.k !== "list" || a.items.length !== b.items.length) return bad("needs two lists of the same length");
      const ks = a.items.map(scalarText);
      if (ks.some((x) => x === undefined)) return bad("needs string keys");
      run.budget.tick(ks.length);
      return capMap(
        (ks as string[]).map((key, i): [string, TfValue] => [key, b.items[i]!]),
        raw,
      );
    }
    case "range": {
      const k = needKnown(...args);
      if (k) return k;
      const ns = args.map((x) => (x.k === "num" ? x.n : Number.NaN));
      if (ns.length === 0 || ns.length > 3 || ns.some((x) => !Number.isFinite(x))) return bad("needs numbers");
      const [start, end, step] = ns.length === 1 ? [0, ns[0]!, 1] : [ns[0]!, ns[1]!, ns[2] ?? (ns[1]! >= ns[0]! ? 1 : -1)];
      if (step === 0) return bad("step is zero");
      const count = Math.max(0, Math.ceil((end - start) / step));
      if (count > MAX_ITEMS) return unknown(raw, `a range of ${count} numbers is more than ${MAX_ITEMS}`);
      run.budget.tick(count);
      return { k: "list", items: Array.from({ length: count }, (_, i): TfValue => ({ k: "num", n: start + i * step })) };
    }
    case "file": {
      if (!a) return bad();
      const k = needKnown(a);
      if (k) return k;
      if (a.k !== "str") return bad("needs a path");
      // `${path.module}/x` evaluates repository-relative here; a bare relative path is relative to
      // where Terraform runs, the root module. The host never leaves the repository.
      if (posix.isAbsolute(a.s)) return unknown(raw, `file '${clip(a.s, 60)}' is outside the repository`);
      let problem = "not in the repository";
      // The root module's directory first (where Terraform resolves a bare path), then as given.
      for (const candidate of [run.rootDir ? `${run.rootDir}/${a.s}` : a.s, a.s]) {
        const path = posix.normalize(candidate);
        if (path === ".." || path.startsWith("../")) continue;
        const text = run.env.text(path);
        if (typeof text === "string") {
          run.budget.tick(text.length / 64);
          return str(text, raw);
        }
        problem = text.problem;
      }
      return unknown(raw, `file '${clip(a.s, 60)}' is not read (${problem})`);
    }
    case "jsondecode":
    case "yamldecode": {
      if (!a) return bad();
      const k = needKnown(a);
      if (k) return k;
      if (a.k !== "str") return bad("needs a string");
      run.budget.tick(a.s.length / 16);
      const decoded = decodeDocument(name === "jsondecode" ? "json" : "yaml", a.s);
      if (decoded === undefined) return unknown(raw, `${name}: the document is not read (malformed, too deep or too large)`);
      return fromJs(run, decoded, raw);
    }
    default:
      return unknown(raw, `function '${name}' is not evaluated`);
  }
}

/** A JSON or YAML document as plain data, bounded: undefined when malformed, deeper than 64 or with aliases that multiply it. */
function decodeDocument(format: "json" | "yaml", text: string): unknown {
  try {
    if (format === "json") {
      if (jsonHazard(text, { max: 64 })) return undefined;
      return JSON.parse(text) as unknown;
    }
    const doc = parseDocument(text, { uniqueKeys: false, logLevel: "silent" });
    if (doc.errors.length > 0) return undefined;
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch {
    return undefined;
  }
}

/** Plain data (from JSON or YAML) as a TfValue, within the item and depth caps. */
function fromJs(run: Run, v: unknown, raw: string, depth = 0): TfValue {
  run.budget.tick();
  if (depth > 64) return unknown(raw, "the document is nested too deeply");
  if (v === null || v === undefined) return { k: "null" };
  if (typeof v === "string") return str(v, raw);
  if (typeof v === "number") return Number.isFinite(v) ? { k: "num", n: v } : unknown(raw, "a number of the document is not finite");
  if (typeof v === "boolean") return { k: "bool", b: v };
  // Terraform's yamldecode gives `!!binary` as base64 and `!!timestamp` as RFC 3339 text.
  if (v instanceof Uint8Array) return str(Buffer.from(v).toString("base64"), raw);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? unknown(raw, "a timestamp of the document is not valid") : str(v.toISOString(), raw);
  if (v instanceof Set) return capList([...v].map((x) => fromJs(run, x, raw, depth + 1)), raw);
  if (v instanceof Map) return capMap([...v].map(([key, x]): [string, TfValue] => [String(key), fromJs(run, x, raw, depth + 1)]), raw);
  if (Array.isArray(v)) return capList(v.map((x) => fromJs(run, x, raw, depth + 1)), raw);
  if (typeof v === "object") return capMap(Object.entries(v as Record<string, unknown>).map(([key, x]): [string, TfValue] => [key, fromJs(run, x, raw, depth + 1)]), raw);
  return unknown(raw, "a value of the document is not read");
}

/** A string equal for equal known values (numbers and their strings apart, as a set keeps them). */
function valueKey(run: Run, v: TfValue): string | undefined {
  if (v.k === "str") return `s${v.s}`;
  if (v.k === "num") return `n${v.n}`;
  const t = jsonText(run, v);
  return t === undefined ? undefined : `${v.k}${t}`;
}

/** JSON as Terraform's jsonencode writes it (`<`, `>`, `&` escaped); undefined past the string cap. */
function jsonText(run: Run, v: TfValue): string | undefined {
  let len = 0;
  const enc = (x: TfValue, depth: number): string | undefined => {
    run.budget.tick();
    if (depth > 64 || len > MAX_STRING) return undefined;
    let out: string | undefined;
    switch (x.k) {
      case "str":
        out = JSON.stringify(x.s).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
        break;
      case "num":
        out = Number.isFinite(x.n) ? String(x.n) : undefined;
        break;
      case "bool":
        out = String(x.b);
        break;
      case "null":
        out = "null";
        break;
      case "list": {
        const parts: string[] = [];
        for (const i of x.items) {
          const p = enc(i, depth + 1);
          if (p === undefined) return undefined;
          parts.push(p);
        }
        out = `[${parts.join(",")}]`;
        break;
      }
      case "map": {
        const parts: string[] = [];
        // Terraform encodes object attributes in key order.
        for (const [k, i] of [...x.entries].sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) {
          const p = enc(i, depth + 1);
          if (p === undefined) return undefined;
          parts.push(`${enc({ k: "str", s: k }, depth + 1)}:${p}`);
        }
        out = `{${parts.join(",")}}`;
        break;
      }
      default:
        return undefined;
    }
    if (out !== undefined) len += out.length;
    return out;
  };
  const t = enc(v, 0);
  return t !== undefined && t.length <= MAX_STRING ? t : undefined;
}

// ---------------------------------------------------------------------------------------------
// Text and paths

/** An expression as written (for an unknown's `raw`); kinds without their text are rebuilt. */
export function exprRaw(e: HclExpression, depth = 0): string {
  if (depth > 64) return "…";
  switch (e.kind) {
    case "string":
      return JSON.stringify(e.value);
    case "number":
      return e.raw;
    case "bool":
      return String(e.value);
    case "null":
      return "null";
    case "tuple":
      return `[${e.items.map((x) => exprRaw(x, depth + 1)).join(", ")}]`;
    case "object":
      return `{ ${e.items.map((i) => `${i.key} = ${exprRaw(i.value, depth + 1)}`).join(", ")} }`;
    case "call":
      return `${e.name}(${e.args.map((x) => exprRaw(x, depth + 1)).join(", ")})`;
    default:
      return e.raw;
  }
}

function literalSource(block: HclBlock): string | undefined {
  const src = block.body.attributes.find((a) => a.name === "source")?.expression;
  return src?.kind === "string" ? src.value : undefined;
}

function isLocalSource(src: string): boolean {
  return src.startsWith("./") || src.startsWith("../");
}

/** A repository-relative path without `.`/`..`/empty segments; undefined when it leaves the repository. */
function normalise(path: string): string | undefined {
  const out: string[] = [];
  for (const seg of path.replace(/\\/g, "/").split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(seg);
  }
  return out.join("/");
}

function resolveDir(from: string, src: string): string | undefined {
  return normalise(`${from}/${src.replace(/\/\/.*$/, "")}`);
}

function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function isTf(path: string): boolean {
  return path.endsWith(".tf") || path.endsWith(".tf.json");
}

function isTfvars(path: string): boolean {
  return path.endsWith(".tfvars") || path.endsWith(".tfvars.json");
}

function isTerraformTfvars(path: string): boolean {
  const b = baseName(path);
  return b === "terraform.tfvars" || b === "terraform.tfvars.json";
}
