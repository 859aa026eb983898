/**
 * A deliberately small evaluator: it folds what a template states literally (parameter
 * defaults, variables, string interpolation, `concat`/`format`, the `resourceId` family, member
 * access into literal objects, `union` of objects, `[for …]` over known arrays) and answers
 * "unknown" for everything else. Strings may be partly
 * known: unknown pieces are UNKNOWN_MARK characters and `complete` is false, which is enough to
 * read a role definition GUID out of `/subscriptions/${sub}/providers/…/roleDefinitions/<guid>`.
 */
import type { ValueRef } from "../../model/repo.ts";
import type { ArrayExpr, BinaryOp, Expr, ForExpr, ObjectExpr, Prop } from "./expr.ts";
import { propOf } from "./expr.ts";
import type { Budget } from "./support.ts";
import { clip } from "./support.ts";

/** A resource declaration, from either reader, as the fact extraction sees it. */
export interface ResourceNode {
  /** Full resource type without the API version (`Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials`). */
  type: string;
  /** 1-based line where the declaration starts. */
  line: number;
  /** Bicep symbolic name (or ARM 2.0 symbolic name). */
  symbol?: string;
  /** The Bicep resource body, or the ARM resource object. */
  body: ObjectExpr;
  name?: Expr;
  existing: boolean;
  /** Why the resource may not be deployed as read (conditions, loops), for diagnostics. */
  conditions: string[];
  scope: Scope;
  /** Why it is not deployed with the values read (a condition that evaluates to false), if so. */
  off?: string;
  /** Why it declares nothing with the values read (a loop over an empty array), if so: it has no facts. */
  none?: string;
}

export type Binding =
  /** `overridable`: the deployer of the top-level file may pass another value than the default. */
  | { kind: "param"; name: string; expr?: Expr; scope: Scope; allowed?: Expr; overridable?: true }
  | { kind: "var"; name: string; expr?: Expr; scope: Scope }
  | { kind: "resource"; name: string; node: ResourceNode }
  /**
   * A loop variable: one item (or index) per iteration, decided when the loop runs. `over` names
   * what it iterates; `item`: the iteration's item (or index) when the loop is read item by item.
   */
  | { kind: "loop"; name: string; over?: string; item?: { expr: Expr; scope: Scope } };

/**
 * Names visible to expressions. Bicep has one case-sensitive namespace; ARM has separate,
 * case-insensitive parameter and variable namespaces. Loop variables hide outer names.
 */
export class Scope {
  private readonly params = new Map<string, Binding>();
  private readonly vars = new Map<string, Binding>();
  private readonly resources = new Map<string, Binding>();
  private readonly hidden = new Map<string, Binding>();

  constructor(
    readonly caseInsensitive: boolean,
    readonly parent?: Scope,
  ) {}

  private key(name: string): string {
    return this.caseInsensitive ? name.toLowerCase() : name;
  }

  /** `allowed`: the parameter's `allowedValues` (an array), the values a deployment may choose from. */
  defineParam(name: string, expr: Expr | undefined, scope: Scope, allowed?: Expr, overridable = false): void {
    const k = this.key(name);
    if (!this.params.has(k)) this.params.set(k, { kind: "param", name, expr, scope, ...(allowed ? { allowed } : {}), ...(overridable ? { overridable: true } : {}) });
  }

  defineVar(name: string, expr: Expr | undefined, scope: Scope): void {
    const k = this.key(name);
    if (!this.vars.has(k)) this.vars.set(k, { kind: "var", name, expr, scope });
  }

  defineResource(name: string, node: ResourceNode): void {
    const k = this.key(name);
    if (!this.resources.has(k)) this.resources.set(k, { kind: "resource", name, node });
  }

  /** Names that are bound to something unknown here (loop variables); `over` is what the loop iterates, when it is a name. */
  hide(names: string[], over?: string): void {
    for (const n of names) this.hidden.set(this.key(n), { kind: "loop", name: n, ...(over !== undefined ? { over } : {}) });
  }

  /** Binds loop variables to one iteration: the first to its item, the second to its index. */
  bindLoop(names: string[], item: { expr: Expr; scope: Scope }, index: Expr, over?: string): void {
    names.forEach((n, i) => {
      const bound = i === 0 ? item : { expr: index, scope: this };
      this.hidden.set(this.key(n), { kind: "loop", name: n, item: bound, ...(over !== undefined ? { over } : {}) });
    });
  }

  varCount(): number {
    return this.vars.size;
  }

  /** The variable names declared in this scope (for `variables(<deploy-time name>)`), at most `max + 1`. */
  varNames(max: number): string[] {
    return [...this.vars.values()].slice(0, max + 1).map((b) => b.name);
  }

  lookup(name: string, ns?: "param" | "var"): Binding | undefined {
    const k = this.key(name);
    const hidden = this.hidden.get(k);
    if (hidden) return hidden;
    const b = ns === "param" ? this.params.get(k) : ns === "var" ? this.vars.get(k) : (this.params.get(k) ?? this.vars.get(k) ?? this.resources.get(k));
    return b ?? this.parent?.lookup(name, ns);
  }
}

/**
 * Why a value is unknown when the deployment, not the template, decides it: a parameter without a
 * usable default, a loop item, or what the deployed environment answers (`reference()`, `subscription()`).
 * A value unknown without one is one the reader did not understand (a coverage gap).
 */
export interface DeployTime {
  /** What decides it: a parameter or loop item name, or a short expression (`reference(...)`). */
  by: string;
  /** Decided only by where the template is deployed (subscription, resource group…): a weaker name. */
  env?: boolean;
  /** Identity of the deploy-time source the value is (not derived from), for `Evaluator.assume`. */
  src?: string;
  /** The finitely many values a deploy-time source this value depends on can take. */
  choice?: Choice;
  /**
   * The value is one of these (the branches of a `?:`/`??`/`if()` whose condition is unknown);
   * each may itself be deploy-time. `Evaluator.possibleValues` lists them.
   */
  alts?: Value[];
}

/** A deploy-time source (`src`) and the values it can take (allowedValues, a finite map's keys). */
export interface Choice {
  src: string;
  options: Value[];
}

/** The most candidates (values of a deploy-time source, branches of a condition) the readers evaluate one by one. */
export const MAX_CHOICES = 16;
/** Most items of a known array a loop is read for item by item (beyond, its body is read once, the item unknown). */
export const MAX_LOOP_ITEMS = 16;
/** Deepest nesting of objects `union` merges property by property. */
const MAX_MERGE_DEPTH = 8;

/** Deepest nesting of candidate enumerations (a choice inside the value of another choice). */
const MAX_ASSUME_DEPTH = 3;

export type Value =
  | { t: "str"; s: string; complete: boolean; dt?: DeployTime }
  | { t: "bool"; b: boolean }
  | { t: "num"; n: number }
  | { t: "null" }
  | { t: "obj"; expr: ObjectExpr; scope: Scope }
  | { t: "arr"; expr: ArrayExpr; scope: Scope }
  | { t: "res"; node: ResourceNode }
  | { t: "unknown"; dt?: DeployTime };

/** Stands for an unknown piece inside a partly known string. */
export const UNKNOWN_MARK = "\u0000";

const UNKNOWN: Value = { t: "unknown" };
const NULL: Value = { t: "null" };
/** Longest string the evaluator builds (longer results are unknown). */
const MAX_STRING = 4096;
/** Deepest evaluation recursion (through references and nested expressions). */
const MAX_DEPTH = 120;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE_DEFINITION_ID =
  /\/providers\/microsoft\.authorization\/roledefinitions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i;
const RESOURCE_TYPE = /^[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)+(?:\/[A-Za-z0-9]+)+$/;

function str(s: string, complete: boolean): Value {
  return s.length > MAX_STRING ? UNKNOWN : { t: "str", s, complete };
}

/** The text of a scalar value (unknown pieces marked), or undefined for non-scalars. */
export function textOf(v: Value): { s: string; complete: boolean } | undefined {
  switch (v.t) {
    case "str":
      return { s: v.s, complete: v.complete };
    case "num":
      return { s: String(v.n), complete: true };
    case "bool":
      return { s: v.b ? "true" : "false", complete: true };
    default:
      return undefined;
  }
}

function textOrMark(v: Value): { s: string; complete: boolean } {
  return textOf(v) ?? { s: UNKNOWN_MARK, complete: false };
}

/** The deploy-time origin of an unknown (or partly unknown) value; undefined when known or not understood. */
export function deployTimeOf(v: Value): DeployTime | undefined {
  return v.t === "unknown" || (v.t === "str" && !v.complete) ? v.dt : undefined;
}

function preferred(a: DeployTime | undefined, b: DeployTime): DeployTime {
  if (!a) return b;
  if (a.choice || (!b.choice && !(a.env && !b.env))) return a;
  return b;
}

/**
 * Where the unknown pieces of a combined value come from. One piece the reader did not understand
 * makes the whole not understood; otherwise the most telling deploy-time source names it.
 */
class Unknowns {
  private opaque = false;
  private dt: DeployTime | undefined;

  /** `asText`: the value is used as text, so an object or array is a piece not understood. */
  add(v: Value, asText: boolean): void {
    if (v.t === "unknown" || (v.t === "str" && !v.complete)) {
      if (v.dt) this.dt = preferred(this.dt, { by: v.dt.by, ...(v.dt.env ? { env: true } : {}), ...(v.dt.choice ? { choice: v.dt.choice } : {}) });
      else this.opaque = true;
    } else if (asText && (v.t === "obj" || v.t === "arr" || v.t === "res")) this.opaque = true;
  }

  get any(): boolean {
    return this.opaque || this.dt !== undefined;
  }

  /** The unknown value (deploy-time, or not understood). */
  unknown(): Value {
    return !this.opaque && this.dt ? { t: "unknown", dt: this.dt } : UNKNOWN;
  }

  /** A partly known string with this origin. */
  str(s: string, complete: boolean): Value {
    const v = str(s, complete);
    if (v.t === "str" && !complete && !this.opaque && this.dt) return { ...v, dt: this.dt };
    return v.t === "str" ? v : this.unknown();
  }
}

/** A value computed from others that is not folded: deploy-time when they are, otherwise not understood. */
function derived(values: Value[]): Value {
  const u = new Unknowns();
  for (const v of values) u.add(v, false);
  return u.any ? u.unknown() : UNKNOWN;
}

function isOpaque(v: Value): boolean {
  return v.t === "unknown" && !v.dt;
}

function sameKnown(a: Value, b: Value): boolean {
  if (a.t === "null" || b.t === "null") return a.t === b.t;
  const ta = textOf(a);
  const tb = textOf(b);
  return a.t === b.t && ta?.complete === true && tb?.complete === true && ta.s === tb.s;
}

/**
 * One of two values, decided by something unknown (`test`): a deploy-time value whose `alts` are
 * both (flattened; beyond MAX_CHOICES, none are listed), named after the most telling deploy-time
 * source among the test and the branches, or after the test itself when nothing else is
 * deploy-time (the value is still one of the two, and each is read). A branch not understood
 * makes the whole not understood.
 */
function either(test: Value, testRaw: string, a: Value, b: Value): Value {
  if (isOpaque(a) || isOpaque(b)) return UNKNOWN;
  if (sameKnown(a, b)) return a;
  let dt: DeployTime | undefined;
  for (const v of [test, a, b]) {
    const d = deployTimeOf(v);
    if (d) dt = preferred(dt, d);
  }
  const by = dt?.by ?? `the condition \`${clip(testRaw, 60)}\``;
  const flat = (v: Value): Value[] => (v.t === "unknown" && v.dt?.alts ? v.dt.alts : [v]);
  const alts = [...flat(a), ...flat(b)];
  const base: DeployTime = { by, ...(dt?.env ? { env: true } : {}) };
  return { t: "unknown", dt: alts.length <= MAX_CHOICES ? { ...base, alts } : base };
}

function unaryOp(op: "!" | "-", v: Value): Value {
  if (op === "!" && v.t === "bool") return { t: "bool", b: !v.b };
  if (op === "-" && v.t === "num") return { t: "num", n: -v.n };
  return derived([v]);
}

/** `==`, `!=`, `=~`, `!~`, comparisons and integer arithmetic on known operands. */
function binaryValue(op: BinaryOp, l: Value, r: Value): Value {
  switch (op) {
    case "==":
    case "!=":
    case "=~":
    case "!~": {
      const tl = l.t === "null" ? { s: "", complete: true } : textOf(l);
      const tr = r.t === "null" ? { s: "", complete: true } : textOf(r);
      if (!tl?.complete || !tr?.complete) return derived([l, r]);
      const fold = op === "=~" || op === "!~";
      const equal = l.t === r.t && (fold ? tl.s.toLowerCase() === tr.s.toLowerCase() : tl.s === tr.s);
      return { t: "bool", b: op === "==" || op === "=~" ? equal : !equal };
    }
    case "<":
    case "<=":
    case ">":
    case ">=": {
      let c: number;
      if (l.t === "num" && r.t === "num") c = l.n - r.n;
      else if (l.t === "str" && r.t === "str" && l.complete && r.complete) c = l.s < r.s ? -1 : l.s > r.s ? 1 : 0;
      else return derived([l, r]);
      return { t: "bool", b: op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0 };
    }
    default: {
      // Integer arithmetic (Bicep has no other numbers): division truncates.
      if (l.t !== "num" || r.t !== "num") return derived([l, r]);
      if ((op === "/" || op === "%") && r.n === 0) return UNKNOWN;
      const n = op === "+" ? l.n + r.n : op === "-" ? l.n - r.n : op === "*" ? l.n * r.n : op === "/" ? Math.trunc(l.n / r.n) : l.n % r.n;
      return Number.isSafeInteger(n) ? { t: "num", n } : UNKNOWN;
    }
  }
}

/**
 * `replace(text, old, new)`: folded when `text` and `old` are known; `new` may be partly known,
 * so a condition built from a multi-line template keeps its literal text, with the unknown
 * pieces marked.
 */
function replaceValue([text, old, repl]: [Value, Value, Value]): Value {
  const u = new Unknowns();
  for (const v of [text, old, repl]) u.add(v, true);
  if (text.t !== "str" || old.t !== "str" || !old.complete || old.s === "") return u.any ? u.unknown() : UNKNOWN;
  const r = textOf(repl) ?? { s: UNKNOWN_MARK, complete: false };
  const pieces = text.s.split(old.s);
  if (text.s.length + (pieces.length - 1) * r.s.length > MAX_STRING) return u.any ? u.unknown() : UNKNOWN;
  return u.str(pieces.join(r.s), text.complete && (r.complete || pieces.length === 1));
}

/** Functions whose value the deployed environment decides (`env`: where the template is deployed). */
const DEPLOY_TIME_FUNCTIONS = new Map<string, { env: boolean }>([
  ["reference", { env: false }],
  ["listkeys", { env: false }],
  ["listsecrets", { env: false }],
  ["newguid", { env: false }],
  ["utcnow", { env: false }],
  ["copyindex", { env: false }],
  ["deployer", { env: true }],
  ["subscription", { env: true }],
  ["resourcegroup", { env: true }],
  ["managementgroup", { env: true }],
  ["tenant", { env: true }],
  ["deployment", { env: true }],
  ["environment", { env: true }],
]);

/** The role definition GUID a value names (lower-case), if it can be read. */
export function roleGuidOf(v: Value): string | undefined {
  if (v.t !== "str") return undefined;
  const s = v.s.trim();
  if (v.complete && GUID.test(s)) return s.toLowerCase();
  const m = ROLE_DEFINITION_ID.exec(s);
  return m ? m[1]!.toLowerCase() : undefined;
}

export class Evaluator {
  private readonly memo = new Map<Expr, { scope: Scope; value: Value }>();
  private depth = 0;
  private readonly assumed = new Map<string, Value>();
  private readonly ids = new WeakMap<Binding, string>();

  constructor(private readonly budget: Budget) {}

  eval(expr: Expr, scope: Scope): Value {
    this.budget.tick();
    const hit = this.memo.get(expr);
    if (hit && hit.scope === scope) return hit.value;
    if (this.depth >= MAX_DEPTH) return UNKNOWN;
    // In progress: a reference cycle evaluates to unknown.
    this.memo.set(expr, { scope, value: UNKNOWN });
    this.depth++;
    let value: Value;
    try {
      value = this.compute(expr, scope);
    } finally {
      this.depth--;
    }
    const src = value.t === "unknown" ? value.dt?.src : undefined;
    if (src !== undefined) value = this.assumed.get(src) ?? value;
    this.memo.set(expr, { scope, value });
    return value;
  }

  /** Evaluates `fn` as if the deploy-time source `src` had the value `value` (one candidate of a Choice). */
  assume<T>(src: string, value: Value, fn: () => T): T {
    this.memo.clear();
    this.assumed.set(src, value);
    try {
      return fn();
    } finally {
      this.assumed.delete(src);
      this.memo.clear();
    }
  }

  private idOf(b: Binding): string {
    let id = this.ids.get(b);
    if (id === undefined) {
      id = `${b.kind}#${++this.nextId}:${b.name}`;
      this.ids.set(b, id);
    }
    return id;
  }

  private nextId = 0;

  /** The object a value expression denotes (a literal, or a reference to one). */
  objectOf(expr: Expr, scope: Scope): { expr: ObjectExpr; scope: Scope } | undefined {
    if (expr.k === "object") return { expr, scope };
    const v = this.eval(expr, scope);
    return v.t === "obj" ? { expr: v.expr, scope: v.scope } : undefined;
  }

  private compute(expr: Expr, scope: Scope): Value {
    switch (expr.k) {
      case "str":
        return str(expr.value, true);
      case "bool":
        return { t: "bool", b: expr.value };
      case "num":
        return { t: "num", n: expr.value };
      case "null":
        return { t: "null" };
      case "object":
        return { t: "obj", expr, scope };
      case "array":
        return { t: "arr", expr, scope };
      case "interp": {
        let s = "";
        let complete = true;
        const u = new Unknowns();
        for (const part of expr.parts) {
          if (typeof part === "string") s += part;
          else {
            const v = this.eval(part, scope);
            u.add(v, true);
            const t = textOrMark(v);
            s += t.s;
            complete &&= t.complete;
          }
          if (s.length > MAX_STRING) return UNKNOWN;
        }
        return u.str(s, complete);
      }
      case "ident":
        return this.binding(scope.lookup(expr.name));
      case "ref":
        return this.binding(scope.lookup(expr.name, expr.ns));
      case "member":
        return this.member(this.eval(expr.object, scope), expr.name, expr.safe === true);
      case "index": {
        const key = this.eval(expr.index, scope);
        const obj = this.eval(expr.object, scope);
        const safe = expr.safe === true;
        if (key.t === "str" && key.complete) return this.member(obj, key.s, safe);
        // A partly known key that no property name can match (`map[?'${subscription}/providers/…']`).
        if (key.t === "str" && obj.t === "obj" && !obj.expr.spread && !obj.expr.props.some((p) => this.mayEqual(key.s, p.key))) return safe ? NULL : UNKNOWN;
        if (key.t === "num" && obj.t === "arr") {
          const item = obj.expr.spread ? undefined : obj.expr.items[key.n];
          return item ? this.eval(item, obj.scope) : safe && !obj.expr.spread ? NULL : UNKNOWN;
        }
        if (safe && obj.t === "null") return NULL;
        if (key.t === "num" && obj.t === "unknown") return obj.dt ? { t: "unknown", dt: { by: obj.dt.by, ...(obj.dt.env ? { env: true } : {}) } } : UNKNOWN;
        return this.lookupByDeployTimeKey(key, obj);
      }
      case "call":
        return this.call(expr.name.toLowerCase(), expr.args, scope, expr.name);
      case "cond":
        return this.conditional(this.eval(expr.test, scope), expr.test.raw, () => this.eval(expr.then, scope), () => this.eval(expr.otherwise, scope));
      case "unary":
        return unaryOp(expr.op, this.eval(expr.operand, scope));
      case "binary":
        return this.binaryOp(expr.op, expr.left, expr.right, scope);
      case "for":
        return this.forValue(expr, scope);
      default:
        return UNKNOWN;
    }
  }

  /** Whether a partly known string (unknown pieces marked) can be `text`, ignoring case (as ARM property names). */
  private mayEqual(pattern: string, text: string): boolean {
    this.budget.tick();
    const pieces = pattern.toLowerCase().split(UNKNOWN_MARK);
    const t = text.toLowerCase();
    const first = pieces[0]!;
    if (pieces.length === 1) return first === t;
    const last = pieces[pieces.length - 1]!;
    if (!t.startsWith(first) || t.length < first.length + last.length || !t.endsWith(last)) return false;
    // Each middle piece at its first place after the previous one: the earliest fit leaves the most room.
    let at = first.length;
    const end = t.length - last.length;
    for (const piece of pieces.slice(1, -1)) {
      const found = t.indexOf(piece, at);
      if (found < 0 || found + piece.length > end) return false;
      at = found + piece.length;
    }
    return true;
  }

  /**
   * One scope per item of a loop over a known array, its variables bound to the item and index;
   * undefined when the array is not known or has more than MAX_LOOP_ITEMS items.
   */
  loopScopes(loop: ForExpr, scope: Scope): Scope[] | undefined {
    const v = this.eval(loop.over, scope);
    if (v.t !== "arr" || v.expr.spread || v.expr.items.length > MAX_LOOP_ITEMS) return undefined;
    const over = loopSource(loop.over, scope);
    return v.expr.items.map((item, n) => {
      const s = new Scope(scope.caseInsensitive, scope);
      s.bindLoop(loop.vars, { expr: item, scope: v.scope }, { k: "num", value: n, raw: String(n), line: loop.line }, over);
      return s;
    });
  }

  /**
   * The iterations of a resource or module loop (see `loopScopes`), except when what it iterates
   * comes from a parameter the deployer of the top-level file may set: its default does not say
   * how many resources are deployed.
   */
  declarationLoopScopes(loop: ForExpr, scope: Scope): Scope[] | undefined {
    return dependsOnOverridable(loop.over, scope, this.budget) ? undefined : this.loopScopes(loop, scope);
  }

  /** `[for x in xs: body]` over a known array: an array of the body read once per item (and per true condition). */
  private forValue(loop: ForExpr, scope: Scope): Value {
    const scopes = this.loopScopes(loop, scope);
    if (!scopes) return UNKNOWN;
    const holder = new Scope(false);
    const items: Expr[] = [];
    for (const s of scopes) {
      if (loop.condition) {
        const c = this.eval(loop.condition, s);
        if (c.t !== "bool") return UNKNOWN;
        if (!c.b) continue;
      }
      items.push(boundExpr(holder, loop.body, s));
    }
    return { t: "arr", expr: { k: "array", items, spread: false, raw: loop.raw, line: loop.line }, scope: holder };
  }

  /** `union` of objects: their properties merged, later ones winning; nested objects are merged too (as ARM does). */
  private union(args: Expr[], scope: Scope): Value {
    const values = args.map((a) => this.eval(a, scope));
    const objs: { expr: ObjectExpr; scope: Scope }[] = [];
    for (const v of values) if (v.t === "obj") objs.push(v);
    if (objs.length === 0 || objs.length !== values.length) return derived(values);
    return this.merge(objs, 0);
  }

  private merge(objs: { expr: ObjectExpr; scope: Scope }[], depth: number): Value {
    const holder = new Scope(false);
    const byKey = new Map<string, { key: string; line: number; values: { expr: Expr; scope: Scope }[] }>();
    for (const o of objs) {
      for (const p of o.expr.props) {
        this.budget.tick();
        const k = p.key.toLowerCase();
        let entry = byKey.get(k);
        if (!entry) byKey.set(k, (entry = { key: p.key, line: p.line, values: [] }));
        entry.values.push({ expr: p.value, scope: o.scope });
      }
    }
    const props: Prop[] = [];
    for (const { key, line, values } of byKey.values()) {
      let chosen = values[values.length - 1]!;
      if (values.length > 1 && depth < MAX_MERGE_DEPTH) {
        // The trailing run of objects merges (a later non-object replaces what came before it).
        const run: { expr: ObjectExpr; scope: Scope }[] = [];
        for (let i = values.length - 1; i >= 0; i--) {
          const v = this.eval(values[i]!.expr, values[i]!.scope);
          if (v.t !== "obj") break;
          run.unshift(v);
        }
        if (run.length > 1) {
          const merged = this.merge(run, depth + 1);
          if (merged.t === "obj") chosen = merged;
        }
      }
      props.push({ key, value: boundExpr(holder, chosen.expr, chosen.scope), line });
    }
    const first = objs[0]!.expr;
    return { t: "obj", expr: { k: "object", props, spread: objs.some((o) => o.expr.spread), raw: first.raw, line: first.line }, scope: holder };
  }

  /**
   * `test ? then : otherwise` (and ARM `if()`): the branch when the test is a known boolean;
   * otherwise either branch, as a value whose alternatives are both (see `either`).
   */
  private conditional(test: Value, testRaw: string, then: () => Value, otherwise: () => Value): Value {
    if (test.t === "bool") return test.b ? then() : otherwise();
    if (test.t !== "unknown") return UNKNOWN; // a known non-boolean test is a type error
    return either(test, testRaw, then(), otherwise());
  }

  private binaryOp(op: BinaryOp, leftExpr: Expr, rightExpr: Expr, scope: Scope): Value {
    const left = this.eval(leftExpr, scope);
    switch (op) {
      case "??":
        // The left value unless it is null; when it may be null (unknown), either.
        if (left.t === "null") return this.eval(rightExpr, scope);
        if (left.t !== "unknown") return left;
        return either(left, leftExpr.raw, left, this.eval(rightExpr, scope));
      case "&&":
      case "||": {
        // Short-circuit: `false && x`, `true || x`, and also `x && false`, `x || true`.
        const decisive = op === "||";
        if (left.t === "bool" && left.b === decisive) return left;
        const right = this.eval(rightExpr, scope);
        if (right.t === "bool" && right.b === decisive) return right;
        if (left.t === "bool" && right.t === "bool") return right;
        return derived([left, right]);
      }
      default:
        return binaryValue(op, left, this.eval(rightExpr, scope));
    }
  }

  private binding(b: ReturnType<Scope["lookup"]>): Value {
    if (!b) return UNKNOWN;
    if (b.kind === "resource") return { t: "res", node: b.node };
    if (b.kind === "loop") return b.item ? this.eval(b.item.expr, b.item.scope) : { t: "unknown", dt: { by: b.over ?? b.name, src: this.idOf(b) } };
    if (b.expr) return this.eval(b.expr, b.scope);
    if (b.kind === "var") return UNKNOWN;
    // A parameter without a usable default: the deployment passes it (one of allowedValues, if listed).
    const src = this.idOf(b);
    const dt: DeployTime = { by: b.name, src };
    const allowed = b.allowed ? this.eval(b.allowed, b.scope) : undefined;
    if (allowed?.t === "arr" && !allowed.expr.spread && allowed.expr.items.length <= MAX_CHOICES) {
      const options = allowed.expr.items.map((i) => this.eval(i, allowed.scope));
      if (options.every((o) => textOf(o)?.complete)) dt.choice = { src, options };
    }
    return { t: "unknown", dt };
  }

  /**
   * `map[key]` / `variables(key)` with a key the deployment decides: unknown, decided by the key,
   * and when the key is a source whose possible values are the map's finitely many keys, a Choice.
   */
  private lookupByDeployTimeKey(key: Value, obj: Value | { t: "vars"; names: string[] }): Value {
    const kdt = deployTimeOf(key);
    if (!kdt) return obj.t === "unknown" && obj.dt ? { t: "unknown", dt: { by: obj.dt.by, ...(obj.dt.env ? { env: true } : {}) } } : UNKNOWN;
    const dt: DeployTime = { by: kdt.by, ...(kdt.env ? { env: true } : {}) };
    if (kdt.choice) dt.choice = kdt.choice;
    else if (kdt.src !== undefined) {
      let options: Value[] | undefined;
      if (obj.t === "obj" && !obj.expr.spread) options = obj.expr.props.slice(0, MAX_CHOICES + 1).map((p) => str(p.key, true));
      else if (obj.t === "arr" && !obj.expr.spread) options = obj.expr.items.slice(0, MAX_CHOICES + 1).map((_, n) => ({ t: "num", n }));
      else if (obj.t === "vars") options = obj.names.map((n) => str(n, true));
      if (options && options.length > 0 && options.length <= MAX_CHOICES) dt.choice = { src: kdt.src, options };
    }
    return { t: "unknown", dt };
  }

  private member(obj: Value, name: string, safe = false): Value {
    if (obj.t === "obj") {
      const p = propOf(obj.expr, name);
      return p ? this.eval(p.value, obj.scope) : safe && !obj.expr.spread ? NULL : UNKNOWN;
    }
    if (obj.t === "null" && safe) return NULL;
    const alts = obj.t === "unknown" ? obj.dt?.alts : undefined;
    if (alts) {
      // A member of one of several values: that member of each.
      const members = alts.map((a) => this.member(a, name, safe));
      return members.reduce((acc, m) => either(obj, name, acc, m));
    }
    if (obj.t === "res") {
      const node = obj.node;
      const lower = name.toLowerCase();
      if (lower === "name") return node.name ? this.eval(node.name, node.scope) : UNKNOWN;
      if (lower === "id") {
        if (node.type.toLowerCase() !== "microsoft.authorization/roledefinitions" || !node.name) return UNKNOWN;
        const t = textOrMark(this.eval(node.name, node.scope));
        return str(`${UNKNOWN_MARK}/providers/Microsoft.Authorization/roleDefinitions/${t.s}`, false);
      }
      const p = propOf(node.body, name);
      return p ? this.eval(p.value, node.scope) : UNKNOWN;
    }
    if (obj.t === "unknown" && obj.dt) {
      // A member of a deploy-time value (`roleAssignment.roleDefinitionId`) is deploy-time too.
      const { src, ...rest } = obj.dt;
      return { t: "unknown", dt: { ...rest, ...(src !== undefined ? { src: `${src}.${name.toLowerCase()}` } : {}) } };
    }
    return UNKNOWN;
  }

  private call(name: string, args: Expr[], scope: Scope, written = name): Value {
    switch (name) {
      case "true":
        return args.length === 0 ? { t: "bool", b: true } : UNKNOWN;
      case "false":
        return args.length === 0 ? { t: "bool", b: false } : UNKNOWN;
      case "null":
        return args.length === 0 ? { t: "null" } : UNKNOWN;
      case "concat": {
        let s = "";
        let complete = true;
        const u = new Unknowns();
        for (const a of args) {
          const v = this.eval(a, scope);
          if (v.t === "arr") return UNKNOWN; // array concatenation
          u.add(v, true);
          const t = textOrMark(v);
          s += t.s;
          complete &&= t.complete;
          if (s.length > MAX_STRING) return UNKNOWN;
        }
        return u.str(s, complete);
      }
      case "format":
        return this.format(args, scope);
      case "tolower":
      case "toupper":
      case "string":
      case "trim": {
        if (args.length !== 1) return UNKNOWN;
        const v = this.eval(args[0]!, scope);
        const t = textOf(v);
        if (!t) return v.t === "unknown" ? v : UNKNOWN;
        const s = name === "tolower" ? t.s.toLowerCase() : name === "toupper" ? t.s.toUpperCase() : name === "trim" ? t.s.trim() : t.s;
        const u = new Unknowns();
        u.add(v, true);
        return u.str(s, t.complete);
      }
      case "resourceid":
      case "subscriptionresourceid":
      case "tenantresourceid":
      case "managementgroupresourceid":
      case "extensionresourceid":
        return this.resourceId(name, args, scope);
      case "variables":
      case "parameters": {
        // `variables(parameters('builtInRoleType'))`: a name the deployment picks.
        if (args.length !== 1) return UNKNOWN;
        const key = this.eval(args[0]!, scope);
        const ns = name === "variables" ? "var" : "param";
        if (key.t === "str" && key.complete) return this.binding(scope.lookup(key.s, ns));
        return this.lookupByDeployTimeKey(key, ns === "var" ? { t: "vars", names: scope.varNames(MAX_CHOICES) } : UNKNOWN);
      }
      case "if": {
        if (args.length !== 3) return UNKNOWN;
        const c = this.eval(args[0]!, scope);
        return this.conditional(c, args[0]!.raw, () => this.eval(args[1]!, scope), () => this.eval(args[2]!, scope));
      }
      case "equals": {
        if (args.length !== 2) return UNKNOWN;
        const [a, b] = args.map((x) => this.eval(x, scope)) as [Value, Value];
        const ta = textOf(a);
        const tb = textOf(b);
        if (ta?.complete && tb?.complete && a.t === b.t) return { t: "bool", b: ta.s === tb.s };
        return this.generic(args, scope);
      }
      case "not": {
        const v = args.length === 1 ? this.eval(args[0]!, scope) : UNKNOWN;
        return v.t === "bool" ? { t: "bool", b: !v.b } : this.generic(args, scope);
      }
      case "empty": {
        const v = args.length === 1 ? this.eval(args[0]!, scope) : UNKNOWN;
        if (v.t === "null") return { t: "bool", b: true };
        if (v.t === "str" && v.complete) return { t: "bool", b: v.s === "" };
        if ((v.t === "arr" || v.t === "obj") && !v.expr.spread) return { t: "bool", b: (v.t === "arr" ? v.expr.items : v.expr.props).length === 0 };
        return this.generic(args, scope);
      }
      case "any":
        return args.length === 1 ? this.eval(args[0]!, scope) : UNKNOWN;
      case "union":
        return this.union(args, scope);
      case "contains":
        return args.length === 2 ? this.contains(this.eval(args[0]!, scope), this.eval(args[1]!, scope)) : UNKNOWN;
      case "replace":
        return args.length === 3 ? replaceValue(args.map((a) => this.eval(a, scope)) as [Value, Value, Value]) : UNKNOWN;
      case "coalesce": {
        for (const a of args) {
          const v = this.eval(a, scope);
          if (v.t !== "null") return v.t === "unknown" ? this.generic(args, scope) : v;
        }
        return { t: "null" };
      }
      default: {
        const env = DEPLOY_TIME_FUNCTIONS.get(name) ?? (name.startsWith("list") ? { env: false } : undefined);
        if (!env) return this.generic(args, scope);
        const by = clip(`${written}(${args.map((a) => a.raw).join(", ")})`, 60);
        // Each copy-loop iteration has its own index: a source to assume values for.
        const src = name === "copyindex" ? `copyIndex:${args[0]?.raw ?? ""}` : undefined;
        return { t: "unknown", dt: { by, ...(env.env ? { env: true } : {}), ...(src !== undefined ? { src } : {}) } };
      }
    }
  }

  /**
   * A function the evaluator does not fold: unknown. It is deploy-time when some argument is, and
   * none is unknown for want of understanding; on known (literal) inputs it is not understood.
   */
  private generic(args: Expr[], scope: Scope, first?: Value): Value {
    const u = new Unknowns();
    if (first) u.add(first, false);
    for (const a of first ? args.slice(1) : args) u.add(this.eval(a, scope), false);
    return u.any ? u.unknown() : UNKNOWN;
  }

  /** `contains(object, key)` (keys case-insensitive, as ARM), `contains(array, item)`, `contains(string, part)`. */
  private contains(container: Value, item: Value): Value {
    const t = textOf(item);
    if (container.t === "obj" && !container.expr.spread && t?.complete) return { t: "bool", b: propOf(container.expr, t.s) !== undefined };
    if (container.t === "str" && container.complete && item.t === "str" && item.complete) return { t: "bool", b: container.s.includes(item.s) };
    // The known pieces of a partly known string already contain it.
    if (container.t === "str" && item.t === "str" && item.complete && item.s !== "" && container.s.includes(item.s)) return { t: "bool", b: true };
    if (container.t === "arr" && !container.expr.spread && t?.complete) {
      let unknown = false;
      for (const i of container.expr.items) {
        const v = this.eval(i, container.scope);
        const ti = textOf(v);
        if (ti?.complete && v.t === item.t && ti.s === t.s) return { t: "bool", b: true };
        if (!ti?.complete) unknown = true;
      }
      if (!unknown) return { t: "bool", b: false };
    }
    return derived([container, item]);
  }

  /**
   * The values an expression can take, for a value that is not known: the alternatives of a
   * condition and each candidate of a deploy-time choice (the whole expression evaluated as if
   * the deployment picked it), flattened. A value left unknown stands for "any value" (its `dt`
   * says what decides it). Undefined when there are more than MAX_CHOICES.
   */
  possibleValues(expr: Expr, scope: Scope): Value[] | undefined {
    const out: Value[] = [];
    return this.expand(this.eval(expr, scope), expr, scope, out, 0) ? out : undefined;
  }

  private expand(v: Value, expr: Expr, scope: Scope, out: Value[], depth: number): boolean {
    this.budget.tick();
    const dt = deployTimeOf(v);
    if (dt?.alts) return dt.alts.every((a) => this.expand(a, expr, scope, out, depth));
    const choice = dt?.choice;
    if (choice && choice.options.length <= MAX_CHOICES && depth < MAX_ASSUME_DEPTH) {
      return choice.options.every((o) => this.assume(choice.src, o, () => this.expand(this.eval(expr, scope), expr, scope, out, depth + 1)));
    }
    out.push(v);
    return out.length <= MAX_CHOICES;
  }

  private format(args: Expr[], scope: Scope): Value {
    const first = args[0];
    if (!first) return UNKNOWN;
    const f = this.eval(first, scope);
    if (f.t !== "str" || !f.complete) return f.t === "unknown" ? f : UNKNOWN;
    let complete = true;
    let bad = false;
    const u = new Unknowns();
    const s = f.s.replace(/\{\{|\}\}|\{(\d+)(?:[,:][^}]*)?\}/g, (m, index: string | undefined) => {
      if (m === "{{") return "{";
      if (m === "}}") return "}";
      const arg = args[Number(index) + 1];
      if (!arg) {
        bad = true;
        return "";
      }
      const v = this.eval(arg, scope);
      u.add(v, true);
      const t = textOrMark(v);
      complete &&= t.complete;
      return t.s;
    });
    return bad ? UNKNOWN : u.str(s, complete);
  }

  /** `/providers/<ns>/<type>/<name>…` with an unknown prefix (known only for tenantResourceId). */
  private resourceId(name: string, args: Expr[], scope: Scope): Value {
    const values = args.map((a) => this.eval(a, scope));
    const texts = values.map(textOrMark);
    const at = texts.findIndex((t) => t.complete && RESOURCE_TYPE.test(t.s));
    if (at < 0) return UNKNOWN;
    // The prefix (subscription, resource group) is where the template is deployed.
    const u = new Unknowns();
    if (name !== "tenantresourceid") u.add({ t: "unknown", dt: { by: "the deployment scope", env: true } }, true);
    for (const v of values) u.add(v, true);
    const [ns, ...types] = texts[at]!.s.split("/");
    const names = texts.slice(at + 1);
    if (names.length !== types.length) return UNKNOWN;
    let s = name === "tenantresourceid" ? "" : UNKNOWN_MARK;
    let complete = name === "tenantresourceid";
    s += `/providers/${ns!}`;
    types.forEach((t, i) => {
      s += `/${t}/${names[i]!.s}`;
      complete &&= names[i]!.complete;
    });
    return u.str(s, complete);
  }
}

/** Names of the variables `boundExpr` defines: no Bicep or ARM name starts with it. */
const BOUND_PREFIX = "$";

/**
 * An expression standing for `expr` evaluated in `scope`: a name defined in `holder` (values built
 * by the evaluator, such as a loop's items, keep each piece with its own scope).
 */
function boundExpr(holder: Scope, expr: Expr, scope: Scope): Expr {
  const name = `${BOUND_PREFIX}${holder.varCount()}`;
  holder.defineVar(name, expr, scope);
  return { k: "ident", name, raw: expr.raw, line: expr.line };
}

/** Longest chain of property names `dependsOnOverridable` follows into a value (beyond, any part). */
const MAX_PATH = 8;

/**
 * Whether how many items an array expression has can depend on a parameter the deployer of the
 * top-level file may set (`overridable`), directly or through variables, loop items and module
 * parameters. The items of an array literal do not decide its length; of an object literal, only
 * the property taken (`slot.?roleAssignments`) counts. Each name is followed once per path.
 */
export function dependsOnOverridable(expr: Expr, scope: Scope, budget: Budget): boolean {
  const seen = new Map<Binding, Set<string>>();
  /**
   * `path`: the property names taken from `e`, outermost first, to reach the array iterated
   * (empty: `e` is that array); null: some part of `e` is taken, which one is not followed.
   */
  const walk = (e: Expr, sc: Scope, path: string[] | null): boolean => {
    budget.tick();
    const any = (x: Expr): boolean => walk(x, sc, null);
    const same = (x: Expr): boolean => walk(x, sc, path);
    switch (e.k) {
      case "ident":
      case "ref": {
        const b = sc.lookup(e.name, e.k === "ref" ? e.ns : undefined);
        if (!b) return false;
        const key = path === null ? "*" : path.join("\u0000");
        const paths = seen.get(b) ?? new Set<string>();
        if (paths.has(key) || paths.has("*")) return false;
        seen.set(b, paths.add(key));
        if (b.kind === "param") return b.overridable === true || (b.expr !== undefined && walk(b.expr, b.scope, path));
        if (b.kind === "var") return b.expr !== undefined && walk(b.expr, b.scope, path);
        if (b.kind === "loop") return b.item !== undefined && walk(b.item.expr, b.item.scope, path);
        return false;
      }
      case "member":
        return walk(e.object, sc, path === null || path.length >= MAX_PATH ? null : [e.name, ...path]);
      case "object": {
        if (path === null || path.length === 0) return e.props.some((p) => any(p.value));
        const p = propOf(e, path[0]!);
        return e.spread || (p !== undefined && walk(p.value, sc, path.slice(1)));
      }
      case "array":
        return path === null || path.length > 0 ? e.items.some(any) : false;
      case "binary":
        return e.op === "??" ? same(e.left) || same(e.right) : any(e.left) || any(e.right);
      case "cond":
        return any(e.test) || same(e.then) || same(e.otherwise);
      case "for":
        return path !== null && path.length === 0 ? same(e.over) || (e.condition !== undefined && any(e.condition)) : any(e.over) || any(e.body) || (e.condition !== undefined && any(e.condition));
      case "interp":
        return e.parts.some((p) => typeof p !== "string" && any(p));
      case "call":
        return e.args.some(any);
      case "index":
        return any(e.object) || any(e.index);
      case "unary":
        return any(e.operand);
      default:
        return false;
    }
  };
  return walk(expr, scope, []);
}

/** The parameter or variable a reference names, when it is one (`pipelineUuid`, `parameters('x')`). */
export function referencedName(expr: Expr, scope: Scope): string | undefined {
  if (expr.k === "ref") return expr.name;
  if (expr.k === "ident") {
    const b = scope.lookup(expr.name);
    if (b && (b.kind === "param" || b.kind === "var") && !b.name.startsWith(BOUND_PREFIX)) return b.name;
  }
  return undefined;
}

/**
 * A ValueRef for an expression: `literal` for a string literal (or an expression that folds
 * completely, such as an interpolation of defaults), `variable` (+ `fallback`, its default or
 * value when that is known) for a parameter/variable reference, otherwise raw text only.
 */
export function valueRefOf(ev: Evaluator, expr: Expr, scope: Scope): ValueRef {
  if (expr.k === "str") return { raw: expr.raw, literal: expr.value };
  const variable = referencedName(expr, scope);
  const t = textOf(ev.eval(expr, scope));
  if (variable !== undefined) {
    const ref: ValueRef = { raw: expr.raw, variable };
    if (t?.complete) ref.fallback = t.s;
    return ref;
  }
  return t?.complete ? { raw: expr.raw, literal: t.s } : { raw: expr.raw };
}

/** A value is "known" when a rule can compare it: a literal or a known fallback. */
export function isKnown(ref: ValueRef): boolean {
  return ref.literal !== undefined || ref.fallback !== undefined;
}

/**
 * The name a loop's items come from, for notes: the parameter or variable it iterates (through
 * `xs ?? []`, `items(xs)`, and a variable that is itself a loop over another name), or a member
 * path (`config.items`). Undefined for anything else (`range(…)`, a literal array).
 */
export function loopSource(over: Expr, scope: Scope, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  switch (over.k) {
    case "ident": {
      const b = scope.lookup(over.name);
      if (!b) return undefined;
      if (b.kind === "loop") return b.over ?? b.name;
      if (b.kind === "var" && b.expr?.k === "for") return loopSource(b.expr.over, b.scope, depth + 1) ?? b.name;
      return b.name;
    }
    case "member":
      return clip(over.raw, 60);
    case "binary":
      return over.op === "??" ? loopSource(over.left, scope, depth + 1) : undefined;
    case "call":
      return over.name.toLowerCase() === "items" && over.args.length === 1 ? loopSource(over.args[0]!, scope, depth + 1) : undefined;
    default:
      return undefined;
  }
}
