/**
 * What a Bicep file reaches in other files of the repository: local modules (followed, with the
 * call's `params` bound to the module's parameters), `import`s of exported variables, and a
 * `.bicepparam` file beside a template. Registry and template-spec references (`br:`,
 * `br/public:`, `ts:`) are noted by name: their facts are not in the repository.
 *
 * All file access goes through the TemplateHost. Work is bounded: nesting depth, expansions per
 * top-level file, and one work budget shared by everything read through the host.
 */
import type { Diagnostic, Located, TemplateFacts } from "../../model/repo.ts";
import type { BicepFile, ImportDecl, ModuleDecl } from "./bicep-parser.ts";
import { parseBicep } from "./bicep-parser.ts";
import type { Evaluator } from "./evaluate.ts";
import { loopSource, Scope } from "./evaluate.ts";
import type { Expr, ObjectExpr } from "./expr.ts";
import { propOf } from "./expr.ts";
import type { TemplateHost } from "./index.ts";
import { Budget, BudgetExceeded, clip, DiagnosticSink, LineIndex } from "./support.ts";

/** Deepest chain of module calls followed (the top-level file is depth 0). */
export const MAX_MODULE_DEPTH = 8;
/** Module calls followed per top-level file (a module called twice counts twice). */
export const MAX_MODULE_EXPANSIONS = 2000;
/** Work allowed for everything read through the host for one top-level file. */
export const MODULE_WORK_STEPS = 40_000_000;
/** Registry references named in the note (the rest are counted). */
const NAMED_REFERENCES = 3;

/** A parameter's value from outside the file (a module call, a `.bicepparam`); `expr` undefined: known only at deploy time. */
export type ParamBinding = { expr: Expr | undefined; scope: Scope };
/** Binds a parameter by name; undefined: the parameter takes its default. */
export type ParamBinder = (name: string) => ParamBinding | undefined;

/** What reading one file (the top-level file or a module) needs. */
export interface ExtractContext {
  file: string;
  diags: DiagnosticSink;
  budget: Budget;
  reading: BicepReading;
  /** Files of the module calls being followed, outermost first (this file last). */
  stack: string[];
  /** Why the module's resources may not be deployed as read (its call's loops and conditions). */
  conditions: string[];
  /** Why the module is not deployed with the values read (its call's condition is false), if so. */
  off?: string;
  bind?: ParamBinder;
  /**
   * Parameters `bind` leaves unbound and that have no default are null: a module call that does
   * not pass them (Bicep requires every parameter that is not nullable).
   */
  absentIsNull?: boolean;
}

/** Reads a parsed file into facts; provided by bicep.ts (kept there so this module stays about files). */
export type Extract = (parsed: BicepFile, ctx: ExtractContext) => { facts: TemplateFacts; root: Scope; ev: Evaluator };

interface Loaded {
  parsed: BicepFile;
  lines: LineIndex;
  /** Parse problems (reported when the file is read on its own; a parameter file is not). */
  problems: Diagnostic[];
}

/**
 * The `.bicepparam` files of a directory by the template their `using` names (found by a cheap
 * look at the text; the parsed file confirms it). Built once per directory and host: a registry
 * directory with hundreds of templates and parameter files would otherwise parse every parameter
 * file for every template.
 */
const usingIndexes = new WeakMap<TemplateHost, Map<string, Map<string, string[]>>>();
function usingIndex(host: TemplateHost, dir: string): Map<string, string[]> {
  let byDir = usingIndexes.get(host);
  if (!byDir) usingIndexes.set(host, (byDir = new Map()));
  let index = byDir.get(dir);
  if (index) return index;
  index = new Map();
  const names = (host.list?.(dir) ?? []).filter((n) => n.endsWith(".bicepparam")).sort();
  for (const name of names) {
    const path = dir === "" ? name : `${dir}/${name}`;
    const got = host.read(path);
    // One that cannot be read is offered to every template beside it, so its problem is said.
    const targets = got === undefined ? [] : "problem" in got ? ["*"] : [...got.text.matchAll(/^\s*using\s+'([^'\n]*)'/gm)].flatMap((m) => resolveRelative(path, m[1]!) ?? []);
    for (const t of new Set(targets)) {
      const list = index.get(t);
      if (list) list.push(name);
      else index.set(t, [name]);
    }
  }
  byDir.set(dir, index);
  return index;
}

/** A registry or template-spec reference: `br:…`, `br/alias:…`, `ts:…`, `ts/alias:…`. */
export function isRegistryReference(path: string): boolean {
  return /^(br|ts)[:/]/i.test(path.trim());
}

/** The repository path of `rel` written in `fromFile`; undefined when it leaves the repository. */
export function resolveRelative(fromFile: string, rel: string): string | undefined {
  // An absolute path (`/x`, `C:\\x`) names no file of the repository.
  if (/^([\\/]|[A-Za-z]:)/.test(rel)) return undefined;
  const slash = fromFile.lastIndexOf("/");
  const parts = slash < 0 ? [] : fromFile.slice(0, slash).split("/");
  for (const seg of rel.replace(/\\/g, "/").split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.length === 0 ? undefined : parts.join("/");
}

function dirOf(file: string): string {
  const slash = file.lastIndexOf("/");
  return slash < 0 ? "" : file.slice(0, slash);
}

/** Adds a note with a kind (the sink has no kind parameter). */
export function noteOf(sink: DiagnosticSink, line: number, message: string, kind: string | undefined): void {
  const before = sink.list.length;
  sink.atLine(line, message, true);
  if (sink.list.length > before && kind !== undefined) sink.list[before]!.kind = kind;
}

/** State shared by everything one top-level file reaches: caches, counters and the work budget. */
export class BicepReading {
  readonly budget = new Budget(MODULE_WORK_STEPS);
  private readonly files = new Map<string, Loaded | { problem: string } | undefined>();
  private readonly importScopes = new Map<string, Scope>();
  private readonly importing = new Set<string>();
  private expansions = 0;
  private capReported = false;
  private exhaustedReported = false;

  constructor(
    private readonly host: TemplateHost | undefined,
    private readonly extract: Extract,
  ) {}

  /** A file through the host, parsed once. */
  private load(path: string): Loaded | { problem: string } | undefined {
    if (this.files.has(path)) return this.files.get(path);
    let result: Loaded | { problem: string } | undefined;
    const got = this.host?.read(path);
    if (got && "text" in got) {
      const lines = new LineIndex(got.text);
      const sink = new DiagnosticSink(path, lines);
      result = { parsed: parseBicep(got.text, lines, sink, this.budget), lines, problems: sink.finish() };
    } else result = got;
    this.files.set(path, result);
    return result;
  }

  private exhausted(): boolean {
    return this.budget.steps > this.budget.limit;
  }

  /**
   * Follows the module calls of a file: each local module's facts are added to `facts` at the
   * call's line (with `definedAt` where they are declared), its diagnostics at the call's line.
   */
  modules(modules: ModuleDecl[], imports: ImportDecl[], callerScope: Scope, ev: Evaluator, ctx: ExtractContext, facts: TemplateFacts): void {
    // The same reference (a shared types file imported several times) is named once.
    const registry = new Map<string, number[]>();
    let registryLine = 0;
    let registryCount = 0;
    const registryRef = (line: number, what: string): void => {
      if (registryCount === 0 || line < registryLine) registryLine = line;
      registryCount++;
      const lines = registry.get(what);
      if (lines) lines.push(line);
      else registry.set(what, [line]);
    };
    for (const i of imports) if (isRegistryReference(i.from)) registryRef(i.line, `import '${clip(i.from)}'`);
    for (const m of modules) {
      ctx.budget.tick();
      if (isRegistryReference(m.path)) {
        registryRef(m.line, `module '${m.symbol}' '${clip(m.path)}'`);
        continue;
      }
      this.module(m, callerScope, ev, ctx, facts);
    }
    if (registryCount > 0) {
      const refs = [...registry].map(([what, lines]) => `${what} (line${lines.length > 1 ? "s" : ""} ${lines.join(", ")})`);
      const named = refs.slice(0, NAMED_REFERENCES).join(", ");
      const more = refs.length > NAMED_REFERENCES ? `, and ${refs.length - NAMED_REFERENCES} more` : "";
      noteOf(
        ctx.diags,
        registryLine,
        `${registryCount} registry or template-spec reference(s) are not read (their resources and values are not in this repository): ${named}${more}`,
        "registry-module",
      );
    }
  }

  private module(m: ModuleDecl, callerScope: Scope, ev: Evaluator, ctx: ExtractContext, facts: TemplateFacts): void {
    const label = `module '${m.symbol}' ('${clip(m.path)}')`;
    const path = resolveRelative(ctx.file, m.path);
    if (path === undefined) {
      noteOf(ctx.diags, m.line, `${label} points outside the repository; its resources are not read`, "not-in-repository");
      return;
    }
    if (!this.host) {
      noteOf(ctx.diags, m.line, `${label} is not followed: this reading has no access to other files`, "module-not-followed");
      return;
    }
    if (/\.json$/i.test(path)) {
      noteOf(ctx.diags, m.line, `${label} is an ARM template; it is read on its own, without this call's parameter values`, "arm-module");
      return;
    }
    if (ctx.stack.includes(path)) {
      noteOf(ctx.diags, m.line, `${label} calls a module that is already being read (a cycle: ${[...ctx.stack, path].join(" → ")}); not followed again`, "module-cycle");
      return;
    }
    if (ctx.stack.length > MAX_MODULE_DEPTH) {
      ctx.diags.atLine(m.line, `${label} is nested more than ${MAX_MODULE_DEPTH} modules deep; its resources are not read`);
      return;
    }
    if (this.exhausted()) {
      if (!this.exhaustedReported) ctx.diags.atLine(m.line, `${label}: the modules of this file are too complex to read within the work limit; this and later modules are not read`);
      this.exhaustedReported = true;
      return;
    }
    if (++this.expansions > MAX_MODULE_EXPANSIONS) {
      if (!this.capReported) ctx.diags.atLine(m.line, `${label}: more than ${MAX_MODULE_EXPANSIONS} module calls are reached from this file; this and later ones are not read`);
      this.capReported = true;
      return;
    }
    try {
      const loaded = this.load(path);
      if (loaded === undefined) {
        noteOf(ctx.diags, m.line, `${label}: '${path}' is not in the repository; its resources are not read`, "not-in-repository");
        return;
      }
      if ("problem" in loaded) {
        ctx.diags.atLine(m.line, `${label}: cannot read '${path}': ${loaded.problem}`);
        return;
      }
      this.expand(m, path, loaded, callerScope, ev, ctx, facts);
    } catch (e) {
      if (!(e instanceof BudgetExceeded) || !this.exhausted()) throw e;
      if (!this.exhaustedReported) ctx.diags.atLine(m.line, `${label}: the modules of this file are too complex to read within the work limit; this and later modules are not read`);
      this.exhaustedReported = true;
    }
  }

  /**
   * Reads a module call: once, or once per item of a loop over a known array (each iteration
   * counts as a call towards MAX_MODULE_EXPANSIONS); a loop over an empty array reads nothing.
   */
  private expand(m: ModuleDecl, path: string, loaded: Loaded, callerScope: Scope, ev: Evaluator, ctx: ExtractContext, facts: TemplateFacts): void {
    const where = `through module '${m.symbol}' (${ctx.file}:${m.line})`;
    if (!m.loop) {
      this.expandOne(m, path, loaded, callerScope, undefined, ev, ctx, facts);
      return;
    }
    const scopes = ev.declarationLoopScopes(m.loop, callerScope);
    if (scopes === undefined) {
      const callScope = new Scope(false, callerScope);
      callScope.hide(m.loop.vars, loopSource(m.loop.over, callerScope));
      const loopNote = `is deployed ${where}, which is declared in a loop (\`${clip(m.loop.header)}\`); its facts are read once from the loop body`;
      this.expandOne(m, path, loaded, callScope, loopNote, ev, ctx, facts);
      return;
    }
    if (scopes.length === 0) {
      noteOf(ctx.diags, m.line, `module '${m.symbol}' ('${clip(m.path)}') is declared in a loop over an empty array (\`${clip(m.loop.header)}\`): it is not deployed with the values read`, "loop");
      return;
    }
    const loopNote = `is deployed ${where}, which is declared in a loop (\`${clip(m.loop.header)}\`); its facts are read for each of its ${scopes.length} item(s)`;
    scopes.forEach((scope, i) => {
      if (i > 0 && ++this.expansions > MAX_MODULE_EXPANSIONS) {
        if (!this.capReported) ctx.diags.atLine(m.line, `module '${m.symbol}' ('${clip(m.path)}'): more than ${MAX_MODULE_EXPANSIONS} module calls are reached from this file; this and later ones are not read`);
        this.capReported = true;
        return;
      }
      this.expandOne(m, path, loaded, scope, loopNote, ev, ctx, facts);
    });
  }

  private expandOne(
    m: ModuleDecl,
    path: string,
    loaded: Loaded,
    callScope: Scope,
    loopNote: string | undefined,
    ev: Evaluator,
    ctx: ExtractContext,
    facts: TemplateFacts,
  ): void {
    const where = `through module '${m.symbol}' (${ctx.file}:${m.line})`;
    const conditions = [...ctx.conditions];
    if (loopNote !== undefined) conditions.push(loopNote);
    if (m.condition && !(m.condition.k === "bool" && m.condition.value)) {
      conditions.push(`is deployed ${where} only if \`${clip(m.condition.raw)}\`; its facts are read as if it is deployed`);
    }
    // A call whose condition is false with the values read: its resources are still read (other
    // values may deploy it), but what only fails when it is deployed is not a gap.
    let off = ctx.off;
    if (m.condition && off === undefined) {
      const c = ev.eval(m.condition, callScope);
      if (c.t === "bool" && !c.b) off = `module '${m.symbol}' (${ctx.file}:${m.line}) is not deployed with the values read: \`${clip(m.condition.raw)}\` is false`;
    }
    const paramsProp = propOf(m.body, "params");
    const given = paramsProp ? ev.objectOf(paramsProp.value, callScope) : undefined;
    // Without a readable `params` object (or with a spread in it) an unnamed parameter may still be
    // set by the call: it is unknown rather than its default.
    const othersUnknown = paramsProp !== undefined && (!given || given.expr.spread);
    const bind: ParamBinder = (name) => {
      const p = given ? propOf(given.expr, name) : undefined;
      if (p) return { expr: p.value, scope: given!.scope };
      return othersUnknown ? { expr: undefined, scope: callScope } : undefined;
    };
    const sink = new DiagnosticSink(path, loaded.lines);
    const inner = this.extract(loaded.parsed, {
      file: path,
      diags: sink,
      budget: this.budget,
      reading: this,
      stack: [...ctx.stack, path],
      conditions,
      bind,
      absentIsNull: !othersUnknown,
      ...(off !== undefined ? { off } : {}),
    });
    const at = <T extends Located & { definedAt?: Located }>(f: T): T => ({
      ...f,
      file: ctx.file,
      line: m.line,
      definedAt: f.definedAt ?? { file: f.file, line: f.line },
    });
    facts.roleAssignments.push(...inner.facts.roleAssignments.map(at));
    facts.federatedCredentials.push(...inner.facts.federatedCredentials.map(at));
    facts.storageAccounts.push(...inner.facts.storageAccounts.map(at));
    for (const d of sink.finish()) {
      const message = `module '${m.symbol}' (${path}:${d.line}): ${d.message}`;
      if (d.note) noteOf(ctx.diags, m.line, message, d.kind);
      else ctx.diags.atLine(m.line, message);
    }
  }

  /** Defines the names a file imports from local files in `root`; registry imports are noted by `modules`. */
  imports(imports: ImportDecl[], root: Scope, ctx: ExtractContext): void {
    for (const i of imports) {
      ctx.budget.tick();
      if (isRegistryReference(i.from)) continue;
      const path = resolveRelative(ctx.file, i.from);
      const label = `import from '${clip(i.from)}'`;
      if (path === undefined) {
        noteOf(ctx.diags, i.line, `${label} points outside the repository; its values are unknown`, "not-in-repository");
        continue;
      }
      if (!this.host) continue; // without a host the imported names stay unknown, as any unknown value
      let scope: Scope | undefined;
      try {
        scope = this.importScope(path, ctx, i.line, label);
      } catch (e) {
        if (!(e instanceof BudgetExceeded) || !this.exhausted()) throw e;
        ctx.diags.atLine(i.line, `${label}: the files this file imports are too complex to read within the work limit; their values are unknown`);
        continue;
      }
      const loaded = this.files.get(path);
      if (!scope || !loaded || "problem" in loaded) continue;
      const vars = new Map(loaded.parsed.vars.map((v) => [v.name, v]));
      for (const n of i.names) {
        const v = vars.get(n.name);
        if (v) root.defineVar(n.local, v.expr, scope);
      }
      if (i.namespace !== undefined) {
        // `ns.name`: an object whose properties are the file's variables, evaluated in its scope.
        const obj: ObjectExpr = {
          k: "object",
          props: loaded.parsed.vars.map((v) => ({ key: v.name, value: v.expr, line: v.line })),
          spread: false,
          raw: i.namespace,
          line: i.line,
        };
        root.defineVar(i.namespace, obj, scope);
      }
    }
  }

  /** The scope of an imported file: its parameter defaults, variables and its own imports. */
  private importScope(path: string, ctx: ExtractContext, line: number, label: string): Scope | undefined {
    const cached = this.importScopes.get(path);
    if (cached) return cached;
    if (this.importing.has(path) || this.importing.size > MAX_MODULE_DEPTH) return undefined;
    const loaded = this.load(path);
    if (loaded === undefined) {
      noteOf(ctx.diags, line, `${label}: '${path}' is not in the repository; its values are unknown`, "not-in-repository");
      return undefined;
    }
    if ("problem" in loaded) {
      ctx.diags.atLine(line, `${label}: cannot read '${path}': ${loaded.problem}`);
      return undefined;
    }
    const scope = new Scope(false);
    for (const p of loaded.parsed.params) scope.defineParam(p.name, p.default, scope);
    for (const v of loaded.parsed.vars) scope.defineVar(v.name, v.expr, scope);
    this.importing.add(path);
    try {
      const sink = new DiagnosticSink(path, loaded.lines);
      this.imports(loaded.parsed.imports, scope, { ...ctx, file: path, diags: sink, budget: this.budget });
    } finally {
      this.importing.delete(path);
    }
    this.importScopes.set(path, scope);
    return scope;
  }

  /**
   * The values of the `.bicepparam` file beside `file` whose `using` names it (needs the host's
   * `list`). With several, the first by name is used and a note says so. Problems reading the
   * parameter file are reported on the template (the parameter file is not read on its own).
   */
  paramFile(file: string, diags: DiagnosticSink): ParamBinder | undefined {
    try {
      return this.paramFileOrThrow(file, diags);
    } catch (e) {
      if (!(e instanceof BudgetExceeded) || !this.exhausted()) throw e;
      diags.atLine(1, "the parameter files beside this template are too complex to read within the work limit; defaults are used");
      return undefined;
    }
  }

  private paramFileOrThrow(file: string, diags: DiagnosticSink): ParamBinder | undefined {
    if (!this.host?.list) return undefined;
    const dir = dirOf(file);
    const index = usingIndex(this.host, dir);
    const names = [...(index.get(file) ?? []), ...(index.get("*") ?? [])].sort();
    const matches: { path: string; loaded: Loaded }[] = [];
    for (const name of names) {
      this.budget.tick();
      const path = dir === "" ? name : `${dir}/${name}`;
      const loaded = this.load(path);
      if (loaded === undefined) continue;
      if ("problem" in loaded) {
        diags.atLine(1, `cannot read the parameter file '${path}' beside this template: ${loaded.problem}`);
        continue;
      }
      if (loaded.parsed.usings.some((u) => !isRegistryReference(u.path) && resolveRelative(path, u.path) === file)) matches.push({ path, loaded });
    }
    const chosen = matches[0];
    if (!chosen) return undefined;
    const others = matches.slice(1).map((x) => `'${x.path}'`);
    noteOf(
      diags,
      1,
      others.length === 0
        ? `parameter values are read from '${chosen.path}'`
        : `${matches.length} parameter files use this template; values are read from '${chosen.path}', not from ${others.slice(0, NAMED_REFERENCES).join(", ")}${others.length > NAMED_REFERENCES ? ", …" : ""}`,
      "parameter-file",
    );
    for (const d of chosen.loaded.problems) diags.atLine(1, `parameter file '${chosen.path}' line ${d.line}: ${d.message}`);
    const scope = new Scope(false);
    for (const v of chosen.loaded.parsed.vars) scope.defineVar(v.name, v.expr, scope);
    this.imports(chosen.loaded.parsed.imports, scope, {
      file: chosen.path,
      diags: new DiagnosticSink(chosen.path, chosen.loaded.lines), // its imports are this file's business, not the template's
      budget: this.budget,
      reading: this,
      stack: [chosen.path],
      conditions: [],
    });
    const values = new Map(chosen.loaded.parsed.params.map((p) => [p.name, p.default]));
    return (name) => {
      const expr = values.get(name);
      return expr ? { expr, scope } : undefined;
    };
  }
}
