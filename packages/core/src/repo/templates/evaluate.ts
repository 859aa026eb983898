/**
 * A deliberately small evaluator: it folds what a template states literally (parameter
 * defaults, variables, string interpolation, `concat`/`format`, the `resourceId` family, member
 * access into literal objects) and answers "unknown" for everything else. Strings may be partly
 * known: unknown pieces are UNKNOWN_MARK characters and `complete` is false, which is enough to
 * read a role definition GUID out of `/subscriptions/${sub}/providers/…/roleDefinitions/<guid>`.
 */
import type { ValueRef } from "../../model/repo.ts";
import type { ArrayExpr, Expr, ObjectExpr } from "./expr.ts";
import { propOf } from "./expr.ts";
import type { Budget } from "./support.ts";

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
}

export type Binding =
  | { kind: "param"; name: string; expr?: Expr; scope: Scope }
  | { kind: "var"; name: string; expr?: Expr; scope: Scope }
  | { kind: "resource"; name: string; node: ResourceNode };

/**
 * Names visible to expressions. Bicep has one case-sensitive namespace; ARM has separate,
 * case-insensitive parameter and variable namespaces. Loop variables hide outer names.
 */
export class Scope {
  private readonly params = new Map<string, Binding>();
  private readonly vars = new Map<string, Binding>();
  private readonly resources = new Map<string, Binding>();
  private readonly hidden = new Set<string>();

  constructor(
    readonly caseInsensitive: boolean,
    readonly parent?: Scope,
  ) {}

  private key(name: string): string {
    return this.caseInsensitive ? name.toLowerCase() : name;
  }

  defineParam(name: string, expr: Expr | undefined, scope: Scope): void {
    const k = this.key(name);
    if (!this.params.has(k)) this.params.set(k, { kind: "param", name, expr, scope });
  }

  defineVar(name: string, expr: Expr | undefined, scope: Scope): void {
    const k = this.key(name);
    if (!this.vars.has(k)) this.vars.set(k, { kind: "var", name, expr, scope });
  }

  defineResource(name: string, node: ResourceNode): void {
    const k = this.key(name);
    if (!this.resources.has(k)) this.resources.set(k, { kind: "resource", name, node });
  }

  /** Names that are bound to something unknown here (loop variables). */
  hide(names: string[]): void {
    for (const n of names) this.hidden.add(this.key(n));
  }

  lookup(name: string, ns?: "param" | "var"): Binding | undefined {
    const k = this.key(name);
    if (this.hidden.has(k)) return undefined;
    const b = ns === "param" ? this.params.get(k) : ns === "var" ? this.vars.get(k) : (this.params.get(k) ?? this.vars.get(k) ?? this.resources.get(k));
    return b ?? this.parent?.lookup(name, ns);
  }
}

export type Value =
  | { t: "str"; s: string; complete: boolean }
  | { t: "bool"; b: boolean }
  | { t: "num"; n: number }
  | { t: "null" }
  | { t: "obj"; expr: ObjectExpr; scope: Scope }
  | { t: "arr"; expr: ArrayExpr; scope: Scope }
  | { t: "res"; node: ResourceNode }
  | { t: "unknown" };

/** Stands for an unknown piece inside a partly known string. */
export const UNKNOWN_MARK = "\u0000";

const UNKNOWN: Value = { t: "unknown" };
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
    this.memo.set(expr, { scope, value });
    return value;
  }

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
        for (const part of expr.parts) {
          if (typeof part === "string") s += part;
          else {
            const t = textOrMark(this.eval(part, scope));
            s += t.s;
            complete &&= t.complete;
          }
          if (s.length > MAX_STRING) return UNKNOWN;
        }
        return str(s, complete);
      }
      case "ident":
        return this.binding(scope.lookup(expr.name));
      case "ref":
        return this.binding(scope.lookup(expr.name, expr.ns));
      case "member":
        return this.member(this.eval(expr.object, scope), expr.name);
      case "index": {
        const key = this.eval(expr.index, scope);
        const obj = this.eval(expr.object, scope);
        if (key.t === "str" && key.complete) return this.member(obj, key.s);
        if (key.t === "num" && obj.t === "arr") {
          const item = obj.expr.spread ? undefined : obj.expr.items[key.n];
          return item ? this.eval(item, obj.scope) : UNKNOWN;
        }
        return UNKNOWN;
      }
      case "call":
        return this.call(expr.name.toLowerCase(), expr.args, scope);
      default:
        return UNKNOWN;
    }
  }

  private binding(b: ReturnType<Scope["lookup"]>): Value {
    if (!b) return UNKNOWN;
    if (b.kind === "resource") return { t: "res", node: b.node };
    return b.expr ? this.eval(b.expr, b.scope) : UNKNOWN;
  }

  private member(obj: Value, name: string): Value {
    if (obj.t === "obj") {
      const p = propOf(obj.expr, name);
      return p ? this.eval(p.value, obj.scope) : UNKNOWN;
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
    return UNKNOWN;
  }

  private call(name: string, args: Expr[], scope: Scope): Value {
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
        for (const a of args) {
          const v = this.eval(a, scope);
          if (v.t === "arr") return UNKNOWN; // array concatenation
          const t = textOrMark(v);
          s += t.s;
          complete &&= t.complete;
          if (s.length > MAX_STRING) return UNKNOWN;
        }
        return str(s, complete);
      }
      case "format":
        return this.format(args, scope);
      case "tolower":
      case "toupper":
      case "string":
      case "trim": {
        if (args.length !== 1) return UNKNOWN;
        const t = textOf(this.eval(args[0]!, scope));
        if (!t) return UNKNOWN;
        const s = name === "tolower" ? t.s.toLowerCase() : name === "toupper" ? t.s.toUpperCase() : name === "trim" ? t.s.trim() : t.s;
        return str(s, t.complete);
      }
      case "resourceid":
      case "subscriptionresourceid":
      case "tenantresourceid":
      case "managementgroupresourceid":
      case "extensionresourceid":
        return this.resourceId(name, args, scope);
      default:
        return UNKNOWN;
    }
  }

  private format(args: Expr[], scope: Scope): Value {
    const first = args[0];
    if (!first) return UNKNOWN;
    const f = this.eval(first, scope);
    if (f.t !== "str" || !f.complete) return UNKNOWN;
    let complete = true;
    let bad = false;
    const s = f.s.replace(/\{\{|\}\}|\{(\d+)(?:[,:][^}]*)?\}/g, (m, index: string | undefined) => {
      if (m === "{{") return "{";
      if (m === "}}") return "}";
      const arg = args[Number(index) + 1];
      if (!arg) {
        bad = true;
        return "";
      }
      const t = textOrMark(this.eval(arg, scope));
      complete &&= t.complete;
      return t.s;
    });
    return bad ? UNKNOWN : str(s, complete);
  }

  /** `/providers/<ns>/<type>/<name>…` with an unknown prefix (known only for tenantResourceId). */
  private resourceId(name: string, args: Expr[], scope: Scope): Value {
    const texts = args.map((a) => textOrMark(this.eval(a, scope)));
    const at = texts.findIndex((t) => t.complete && RESOURCE_TYPE.test(t.s));
    if (at < 0) return UNKNOWN;
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
    return str(s, complete);
  }
}

/** The parameter or variable a reference names, when it is one (`pipelineUuid`, `parameters('x')`). */
export function referencedName(expr: Expr, scope: Scope): string | undefined {
  if (expr.k === "ref") return expr.name;
  if (expr.k === "ident") {
    const b = scope.lookup(expr.name);
    if (b && b.kind !== "resource") return b.name;
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
