/**
 * The expression model both readers produce: Bicep expressions and ARM JSON values (with ARM
 * `[...]` expressions parsed) map onto it. Anything neither reader understands is `raw`.
 * Every node keeps the text as written and the line it is on.
 */

export interface ExprBase {
  /** The text as written. */
  raw: string;
  /** 1-based line where the expression starts. */
  line: number;
}

export interface StrExpr extends ExprBase {
  k: "str";
  value: string;
}

/** A Bicep string with `${...}` holes: text pieces and expressions in order. */
export interface InterpExpr extends ExprBase {
  k: "interp";
  parts: (string | Expr)[];
}

export interface BoolExpr extends ExprBase {
  k: "bool";
  value: boolean;
}

export interface NumExpr extends ExprBase {
  k: "num";
  value: number;
}

export interface NullExpr extends ExprBase {
  k: "null";
}

/** A Bicep identifier: a parameter, variable, resource symbol or loop variable. */
export interface IdentExpr extends ExprBase {
  k: "ident";
  name: string;
}

/** An ARM `parameters('x')` or `variables('x')`. */
export interface RefExpr extends ExprBase {
  k: "ref";
  ns: "param" | "var";
  name: string;
}

export interface CallExpr extends ExprBase {
  k: "call";
  /** Function name as written, without a `sys.`/`az.` namespace. */
  name: string;
  args: Expr[];
}

export interface MemberExpr extends ExprBase {
  k: "member";
  object: Expr;
  name: string;
  /** Bicep `.?`: a missing property (or a null object) gives null. */
  safe?: true;
}

export interface IndexExpr extends ExprBase {
  k: "index";
  object: Expr;
  index: Expr;
  /** Bicep `[?…]`: a missing key (or a null object) gives null. */
  safe?: true;
}

/** Bicep's binary operators (`??` included: it is evaluated lazily, as `?:` is). */
export type BinaryOp = "??" | "||" | "&&" | "==" | "!=" | "=~" | "!~" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/" | "%";

export interface BinaryExpr extends ExprBase {
  k: "binary";
  op: BinaryOp;
  left: Expr;
  right: Expr;
}

export interface UnaryExpr extends ExprBase {
  k: "unary";
  op: "!" | "-";
  operand: Expr;
}

/** Bicep `test ? then : otherwise`. */
export interface CondExpr extends ExprBase {
  k: "cond";
  test: Expr;
  then: Expr;
  otherwise: Expr;
}

export interface Prop {
  key: string;
  value: Expr;
  /** Line of the property's key. */
  line: number;
}

export interface ObjectExpr extends ExprBase {
  k: "object";
  props: Prop[];
  /** The object has a `...spread` entry, so properties may come from elsewhere. */
  spread: boolean;
}

export interface ArrayExpr extends ExprBase {
  k: "array";
  items: Expr[];
  spread: boolean;
}

/** A Bicep `[for x in xs: body]` (optionally `: if (cond) body`). */
export interface ForExpr extends ExprBase {
  k: "for";
  /** `for x in xs` as written. */
  header: string;
  /** The loop variables (item and index). */
  vars: string[];
  /** What the loop iterates (`xs`). */
  over: Expr;
  body: Expr;
  condition?: Expr;
}

/** Anything the readers keep only as text (lambdas, `::` accessors, unknown ARM expressions…). */
export interface RawExpr extends ExprBase {
  k: "raw";
}

export type Expr =
  | StrExpr
  | InterpExpr
  | BoolExpr
  | NumExpr
  | NullExpr
  | IdentExpr
  | RefExpr
  | CallExpr
  | MemberExpr
  | IndexExpr
  | BinaryExpr
  | UnaryExpr
  | CondExpr
  | ObjectExpr
  | ArrayExpr
  | ForExpr
  | RawExpr;

/** The last property with this key (case-insensitive, as ARM treats property names). */
export function propOf(obj: ObjectExpr, key: string): Prop | undefined {
  const lower = key.toLowerCase();
  for (let i = obj.props.length - 1; i >= 0; i--) {
    const p = obj.props[i]!;
    if (p.key.toLowerCase() === lower) return p;
  }
  return undefined;
}

export function raw(text: string, line: number): RawExpr {
  return { k: "raw", raw: text, line };
}
