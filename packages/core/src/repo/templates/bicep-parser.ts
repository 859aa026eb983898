/**
 * A recursive-descent reader for the Bicep declarations trustscope needs: `param`, `var`,
 * `resource` and `module` (with `existing`, `if (…)`, `[for …]` and nested child resources),
 * `import` and `func` (whose bodies may start on the line after `=>`), `using` (in
 * `.bicepparam` files), and the expressions in them. Other declarations (`output`, `type`,
 * `metadata`, `extension`, `assert`, …) are skipped by balanced brackets.
 *
 * Error recovery: a declaration that cannot be read is reported once, with the line of the
 * innermost unterminated bracket or the offending token, and reading resumes at the next line
 * that starts a declaration at the same or a smaller indentation. The same rule bounds a
 * declaration: a line that starts a declaration (`param x`, `resource y 'T'`, …) at or left of
 * the column of the declaration being read ends it, so a missing `}` does not swallow the rest
 * of the file. (Bicep formatting always indents nested resources, so valid files are unaffected.)
 */
import type { BinaryOp, Expr, ForExpr, ObjectExpr, Prop } from "./expr.ts";
import { lex, type Token } from "./bicep-lexer.ts";
import type { Budget, DiagnosticSink, LineIndex } from "./support.ts";
import { clip } from "./support.ts";

export interface ParamDecl {
  name: string;
  default?: Expr;
  line: number;
}

export interface VarDecl {
  name: string;
  expr: Expr;
  line: number;
}

export interface ResourceDecl {
  symbol: string;
  /** The type as written, with its API version (`Microsoft.Storage/storageAccounts@2023-05-01`). */
  typeText: string;
  /** Line of the `resource` keyword. */
  line: number;
  existing: boolean;
  /** `= if (cond) {…}` or the `if` inside a loop body. */
  condition?: Expr;
  loop?: ForExpr;
  body: ObjectExpr;
  nested: ResourceDecl[];
}

export interface ModuleDecl {
  symbol: string;
  /** The module path as written (`./x.bicep`, `br/public:avm/…:1.0.0`, `ts:…`). */
  path: string;
  /** Line of the `module` keyword. */
  line: number;
  condition?: Expr;
  loop?: ForExpr;
  body: ObjectExpr;
}

/** `import { a, b as c } from 'p'` (names) or `import * as ns from 'p'` (namespace). */
export interface ImportDecl {
  from: string;
  line: number;
  /** Imported symbols: the name in the other file and the local name. */
  names: { name: string; local: string }[];
  namespace?: string;
}

export interface FuncDecl {
  name: string;
  line: number;
}

export interface BicepFile {
  params: ParamDecl[];
  vars: VarDecl[];
  resources: ResourceDecl[];
  modules: ModuleDecl[];
  imports: ImportDecl[];
  funcs: FuncDecl[];
  /** `using 'path'` of a `.bicepparam` file (`using none` is not listed). */
  usings: { path: string; line: number }[];
}

/** Deepest nesting of expressions, objects, arrays and nested resources read. */
export const MAX_NESTING = 64;

/** Binary operators by precedence (higher binds tighter), as Bicep defines them; `?:` is below all. */
const PRECEDENCE = new Map<string, number>([
  ["??", 1],
  ["||", 2],
  ["&&", 3],
  ...["==", "!=", "=~", "!~"].map((op) => [op, 4] as const),
  ...["<", "<=", ">", ">="].map((op) => [op, 5] as const),
  ...["+", "-"].map((op) => [op, 6] as const),
  ...["*", "/", "%"].map((op) => [op, 7] as const),
]);
/** Operators that may continue an expression on the next line (`+`/`-` could start an array item). */
const CONTINUES_ON_NEXT_LINE = new Set(["==", "!=", "<", ">", "<=", ">=", "&&", "||", "??", "*", "/", "%", "=~", "!~", "?", ":", "|", ".", "=>"]);
const SKIPPED_DECLARATIONS = new Set(["output", "targetScope", "metadata", "type", "extension", "provider", "assert", "extends"]);
const CLOSERS: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

class ParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

interface Open {
  char: string;
  offset: number;
}

function describe(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "the end of the file";
    case "bad":
      return t.text;
    case "string":
      return `the string ${clip(t.text, 30)}`;
    default:
      return `'${clip(t.text, 30)}'`;
  }
}

/** Parses a whole file; problems go to `diags`. */
export function parseBicep(src: string, lines: LineIndex, diags: DiagnosticSink, budget: Budget): BicepFile {
  const tokens = lex(src, 0, src.length, budget);
  return new Parser(src, tokens, lines, budget, 0, false).file(diags);
}

class Parser {
  private pos = 0;
  private lastEnd = 0;
  private open: Open[] = [];
  /** Column at or left of which a line starting a declaration ends the current one (-1: off). */
  private boundaryCol = -1;
  /** Token index of the current declaration's keyword (it does not end itself). */
  private declPos = -1;
  private declLabel = "declaration";
  private readonly nested = new Map<ObjectExpr, ResourceDecl[]>();

  constructor(
    private readonly src: string,
    private readonly toks: Token[],
    private readonly lines: LineIndex,
    private readonly budget: Budget,
    private depth: number,
    private readonly inHole: boolean,
  ) {
    this.lastEnd = toks[0]?.start ?? 0;
  }

  // -------------------------------------------------------------------------------------------
  // Declarations

  file(diags: DiagnosticSink): BicepFile {
    const out: BicepFile = { params: [], vars: [], resources: [], modules: [], imports: [], funcs: [], usings: [] };
    while (this.tok().kind !== "eof") {
      this.budget.tick();
      const startPos = this.pos;
      const first = this.tok();
      const col = this.lines.columnAt(first.start);
      this.boundaryCol = col;
      this.declPos = this.pos;
      this.open = [];
      this.depth = 0;
      this.declLabel = "declaration";
      try {
        while (this.isPunct(this.tok(), "@")) this.decorator();
        this.declPos = this.pos;
        const kw = this.cur();
        if (kw.kind !== "ident") this.fail(`unexpected ${describe(kw)} at the top level`, kw.start);
        let commit: () => void;
        if (kw.text === "param") {
          const d = this.param();
          commit = () => out.params.push(d);
        } else if (kw.text === "var") {
          const d = this.variable();
          commit = () => out.vars.push(d);
        } else if (kw.text === "resource") {
          const d = this.resource();
          commit = () => out.resources.push(d);
        } else if (kw.text === "module") {
          const d = this.module();
          commit = () => out.modules.push(d);
        } else if (kw.text === "import") {
          const d = this.importDecl();
          commit = () => {
            if (d) out.imports.push(d);
          };
        } else if (kw.text === "func") {
          const d = this.func();
          commit = () => out.funcs.push(d);
        } else if (kw.text === "using") {
          const d = this.using();
          commit = () => {
            if (d) out.usings.push(d);
          };
        } else if (SKIPPED_DECLARATIONS.has(kw.text)) {
          this.declLabel = `${kw.text} declaration`;
          this.next();
          this.skipBalanced(false);
          commit = () => undefined;
        } else {
          this.fail(`unknown top-level keyword '${clip(kw.text, 30)}'`, kw.start);
        }
        const after = this.tok();
        if (after.kind !== "eof" && !after.nl) this.fail(after.kind === "bad" ? after.text : `unexpected ${describe(after)} after the declaration`, after.start);
        commit();
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        diags.atOffset(e.offset, `cannot read the ${this.declLabel} at line ${this.lines.lineAt(first.start)}: ${e.message}`);
        this.recover(startPos, col);
      }
    }
    return out;
  }

  /** Skips to the next line that starts a declaration at or left of `col`. */
  private recover(startPos: number, col: number): void {
    let i = Math.max(this.pos, startPos + 1);
    const last = this.toks.length - 1;
    while (i < last) {
      this.budget.tick();
      const t = this.toks[i]!;
      if (t.nl && this.lines.columnAt(t.start) <= col && this.startsDeclaration(i)) break;
      i++;
    }
    this.pos = Math.min(i, last);
  }

  private param(): ParamDecl {
    const kw = this.next();
    const name = this.identifier("a parameter name");
    this.declLabel = `parameter '${name}'`;
    this.skipBalanced(true);
    const d: ParamDecl = { name, line: this.lines.lineAt(kw.start) };
    if (this.isPunct(this.tok(), "=")) {
      this.next();
      d.default = this.expr();
    }
    return d;
  }

  private variable(): VarDecl {
    const kw = this.next();
    const name = this.identifier("a variable name");
    this.declLabel = `variable '${name}'`;
    this.skipBalanced(true); // an optional type (`var x string = …`)
    this.expectPunct("=");
    return { name, expr: this.expr(), line: this.lines.lineAt(kw.start) };
  }

  resource(): ResourceDecl {
    const kw = this.next();
    const symbol = this.identifier("a resource name");
    if (this.toks[this.declPos] === kw) this.declLabel = `resource '${symbol}'`; // a top-level declaration
    const typeTok = this.cur();
    if (typeTok.kind !== "string") this.fail(`expected the resource type string but found ${describe(typeTok)}`, typeTok.start);
    const parts = typeTok.parts ?? [];
    if (!parts.every((p) => "text" in p)) this.fail("the resource type must be a plain string, without ${…}", typeTok.start);
    const typeText = parts.map((p) => ("text" in p ? p.text : "")).join("");
    this.next();
    let existing = false;
    const ex = this.tok();
    if (ex.kind === "ident" && ex.text === "existing" && !ex.nl) {
      this.next();
      existing = true;
    }
    this.expectPunct("=");
    const { body, condition, loop } = this.declarationBody("resource");
    const decl: ResourceDecl = {
      symbol,
      typeText,
      line: this.lines.lineAt(kw.start),
      existing,
      body,
      nested: this.nested.get(body) ?? [],
    };
    if (condition) decl.condition = condition;
    if (loop) decl.loop = loop;
    return decl;
  }

  /** After `=` of a resource or module: `{…}`, `if (cond) {…}` or `[for …: {…}]`. */
  private declarationBody(what: string): { body: ObjectExpr; condition?: Expr; loop?: ForExpr } {
    const t = this.cur();
    if (this.isPunct(t, "{")) return { body: this.object() };
    if (t.kind === "ident" && t.text === "if") {
      this.next();
      this.openBracket("(");
      const condition = this.expr();
      this.closeBracket(")");
      const b = this.cur();
      if (!this.isPunct(b, "{")) this.fail(`expected '{' after the condition but found ${describe(b)}`, b.start);
      return { body: this.object(), condition };
    }
    if (this.isPunct(t, "[")) {
      const a = this.array();
      if (a.k !== "for") this.fail("expected a [for …] loop after '='", t.start);
      if (a.body.k !== "object") this.fail(`the loop body of a ${what} must be an object`, t.start);
      return a.condition ? { body: a.body, condition: a.condition, loop: a } : { body: a.body, loop: a };
    }
    return this.fail(`expected '{', 'if (…)' or '[for …]' after '=' but found ${describe(t)}`, t.start);
  }

  private module(): ModuleDecl {
    const kw = this.next();
    const symbol = this.identifier("a module name");
    this.declLabel = `module '${symbol}'`;
    const pathTok = this.cur();
    if (pathTok.kind !== "string") this.fail(`expected the module path string but found ${describe(pathTok)}`, pathTok.start);
    const parts = pathTok.parts ?? [];
    if (!parts.every((p) => "text" in p)) this.fail("the module path must be a plain string, without ${…}", pathTok.start);
    const path = parts.map((p) => ("text" in p ? p.text : "")).join("");
    this.next();
    this.expectPunct("=");
    const { body, condition, loop } = this.declarationBody("module");
    const decl: ModuleDecl = { symbol, path, line: this.lines.lineAt(kw.start), body };
    if (condition) decl.condition = condition;
    if (loop) decl.loop = loop;
    return decl;
  }

  /** `import { a, b as c } from 'p'`, `import * as ns from 'p'`; a provider import (`import 'az@1.0.0' …`) is skipped. */
  private importDecl(): ImportDecl | undefined {
    const kw = this.next();
    this.declLabel = "import";
    const t = this.cur();
    const names: { name: string; local: string }[] = [];
    let namespace: string | undefined;
    if (this.isPunct(t, "{")) {
      this.openBracket("{");
      for (;;) {
        this.budget.tick();
        const n = this.cur();
        if (this.isPunct(n, "}")) break;
        if (this.isPunct(n, ",")) {
          this.next();
          continue;
        }
        // A quoted name is allowed for symbols that are not identifiers.
        const name = n.kind === "string" ? this.plainString(n, "an imported name") : this.identifier("an imported name");
        if (n.kind === "string") this.next();
        let local = name;
        const as = this.tok();
        if (as.kind === "ident" && as.text === "as" && !as.nl) {
          this.next();
          local = this.identifier("a local name after 'as'");
        }
        names.push({ name, local });
      }
      this.closeBracket("}");
    } else if (this.isPunct(t, "*")) {
      this.next();
      const as = this.cur();
      if (as.kind !== "ident" || as.text !== "as") this.fail(`expected 'as' but found ${describe(as)}`, as.start);
      this.next();
      namespace = this.identifier("a namespace name");
    } else {
      this.skipBalanced(false);
      return undefined;
    }
    const from = this.cur();
    if (from.kind !== "ident" || from.text !== "from") this.fail(`expected 'from' but found ${describe(from)}`, from.start);
    this.next();
    const pathTok = this.cur();
    const path = this.plainString(pathTok, "the path to import from");
    this.next();
    const d: ImportDecl = { from: path, line: this.lines.lineAt(kw.start), names };
    if (namespace !== undefined) d.namespace = namespace;
    return d;
  }

  /** `func name(args) type => body`; the body may start on the next line. */
  private func(): FuncDecl {
    const kw = this.next();
    const name = this.identifier("a function name");
    this.declLabel = `function '${name}'`;
    this.skipBalanced(false, "=>");
    this.expectPunct("=>");
    this.expr();
    return { name, line: this.lines.lineAt(kw.start) };
  }

  /** `using 'path'` (`using none` and an optional `with {…}` are skipped). */
  private using(): { path: string; line: number } | undefined {
    const kw = this.next();
    this.declLabel = "using declaration";
    const t = this.cur();
    let d: { path: string; line: number } | undefined;
    if (t.kind === "string") {
      d = { path: this.plainString(t, "the template path"), line: this.lines.lineAt(kw.start) };
      this.next();
    }
    this.skipBalanced(false);
    return d;
  }

  private plainString(t: Token, what: string): string {
    if (t.kind !== "string") this.fail(`expected ${what} but found ${describe(t)}`, t.start);
    const parts = t.parts ?? [];
    if (!parts.every((p) => "text" in p)) this.fail(`${what} must be a plain string, without \${…}`, t.start);
    return parts.map((p) => ("text" in p ? p.text : "")).join("");
  }

  private decorator(): void {
    this.next(); // @
    this.postfix();
  }

  /**
   * Skips tokens, keeping brackets balanced, up to a line break at depth 0 (or `=` when
   * `stopAtEquals`, or the punctuation `stopAt`). Lines that start with an operator continue
   * the declaration.
   */
  private skipBalanced(stopAtEquals: boolean, stopAt?: string): void {
    const base = this.open.length;
    for (;;) {
      this.budget.tick();
      const t = this.tok();
      if (this.open.length === base) {
        if (t.kind === "eof") return;
        if (stopAtEquals && this.isPunct(t, "=")) return;
        if (stopAt !== undefined && this.isPunct(t, stopAt)) return;
        if (t.nl && !(t.kind === "punct" && CONTINUES_ON_NEXT_LINE.has(t.text))) return;
      }
      const c = this.cur();
      if (c.kind === "punct") {
        if (c.text === "(" || c.text === "[" || c.text === "{") this.open.push({ char: c.text, offset: c.start });
        else if (c.text in CLOSERS) {
          const o = this.open[this.open.length - 1];
          if (this.open.length === base || !o) this.fail(`unexpected '${c.text}'`, c.start);
          if (o.char !== CLOSERS[c.text]) this.fail(`'${c.text}' does not close the '${o.char}' opened at line ${this.lines.lineAt(o.offset)}`, c.start);
          this.open.pop();
        }
      }
      this.next();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Expressions

  /** An expression: `test ? then : otherwise` (right-associative) over the binary operators. */
  private expr(): Expr {
    const first = this.cur();
    this.enter(first);
    try {
      const test = this.binary(1);
      const q = this.tok();
      // A `?` continues the expression even on the next line (`cond\n  ? a\n  : b`).
      if (!this.isPunct(q, "?")) return test;
      this.next();
      const then = this.expr();
      this.expectPunct(":");
      const otherwise = this.expr();
      return { k: "cond", test, then, otherwise, raw: this.rawText(first), line: this.lineOf(first) };
    } finally {
      this.depth--;
    }
  }

  /** Binary operators at precedence `min` or tighter, left-associative (precedence climbing). */
  private binary(min: number): Expr {
    const first = this.cur();
    let left = this.unary();
    for (;;) {
      this.budget.tick();
      const t = this.tok();
      if (t.kind !== "punct") break;
      const prec = PRECEDENCE.get(t.text);
      if (prec === undefined || prec < min || (t.nl && !CONTINUES_ON_NEXT_LINE.has(t.text))) break;
      this.next();
      const right = this.binary(prec + 1);
      left = { k: "binary", op: t.text as BinaryOp, left, right, raw: this.rawText(first), line: this.lineOf(first) };
    }
    return left;
  }

  private unary(): Expr {
    const t = this.cur();
    if (this.isPunct(t, "!") || this.isPunct(t, "-") || this.isPunct(t, "+")) {
      this.enter(t);
      try {
        this.next();
        const operand = this.unary();
        // Bicep has no unary `+`; it is kept as text.
        if (t.text === "+") return this.rawFrom(t);
        return { k: "unary", op: t.text as "!" | "-", operand, raw: this.rawText(t), line: this.lineOf(t) };
      } finally {
        this.depth--;
      }
    }
    return this.postfix();
  }

  private postfix(): Expr {
    const first = this.cur();
    let e = this.primary();
    for (;;) {
      this.budget.tick();
      const t = this.tok();
      if (t.kind !== "punct") break;
      if (t.text === ".") {
        this.next();
        const safe = this.isPunct(this.tok(), "?"); // safe dereference `.?`
        if (safe) this.next();
        const name = this.identifier("a property name after '.'");
        e = { k: "member", object: e, name, raw: this.rawText(first), line: this.lineOf(first), ...(safe ? { safe: true as const } : {}) };
      } else if (t.text === "::") {
        this.next();
        this.identifier("a nested resource name after '::'");
        e = this.rawFrom(first);
      } else if (t.text === "[" && !t.nl) {
        this.openBracket("[");
        const safe = this.isPunct(this.tok(), "?");
        if (safe) this.next();
        const index = this.expr();
        this.closeBracket("]");
        e = { k: "index", object: e, index, raw: this.rawText(first), line: this.lineOf(first), ...(safe ? { safe: true as const } : {}) };
      } else if (t.text === "(" && !t.nl && (e.k === "ident" || e.k === "member")) {
        const args = this.callArgs();
        const name = e.k === "ident" ? e.name : e.object.k === "ident" && (e.object.name === "sys" || e.object.name === "az") ? e.name : e.raw;
        e = { k: "call", name, args, raw: this.rawText(first), line: this.lineOf(first) };
      } else if (t.text === "!" && !t.nl) {
        this.next(); // non-null assertion: the same value
        e = { ...e, raw: this.rawText(first) };
      } else break;
    }
    return e;
  }

  private callArgs(): Expr[] {
    this.openBracket("(");
    const args: Expr[] = [];
    for (;;) {
      this.budget.tick();
      const t = this.cur();
      if (this.isPunct(t, ")")) break;
      if (this.isPunct(t, ",")) {
        this.next();
        continue;
      }
      args.push(this.expr());
      this.afterEntry(")");
    }
    this.closeBracket(")");
    return args;
  }

  private primary(): Expr {
    const t = this.cur();
    const line = this.lineOf(t);
    switch (t.kind) {
      case "string":
        this.next();
        return this.stringExpr(t);
      case "number":
        this.next();
        return { k: "num", value: Number(t.text), raw: t.text, line };
      case "ident": {
        const after = this.peek(1);
        if (this.isPunct(after, "=>") && !after.nl) {
          this.next();
          this.next();
          this.expr();
          return this.rawFrom(t);
        }
        this.next();
        if (t.text === "true" || t.text === "false") return { k: "bool", value: t.text === "true", raw: t.text, line };
        if (t.text === "null") return { k: "null", raw: t.text, line };
        return { k: "ident", name: t.text, raw: t.text, line };
      }
      case "punct":
        if (t.text === "{") return this.object();
        if (t.text === "[") return this.array();
        if (t.text === "(") return this.paren();
        break;
      default:
        break;
    }
    return this.fail(`expected a value but found ${describe(t)}`, t.start);
  }

  /** `(expr)`, or a lambda's parameters `(a, b) => …`. */
  private paren(): Expr {
    const first = this.cur();
    this.openBracket("(");
    let inner: Expr | undefined;
    let count = 0;
    for (;;) {
      this.budget.tick();
      const t = this.cur();
      if (this.isPunct(t, ")")) break;
      if (this.isPunct(t, ",")) {
        this.next();
        continue;
      }
      inner = this.expr();
      count++;
      this.afterEntry(")");
    }
    this.closeBracket(")");
    const arrow = this.tok();
    if (this.isPunct(arrow, "=>")) {
      this.next();
      this.expr();
      return this.rawFrom(first);
    }
    if (inner && count === 1) return { ...inner, raw: this.rawText(first), line: this.lineOf(first) } as Expr;
    return this.rawFrom(first);
  }

  private stringExpr(t: Token): Expr {
    const line = this.lineOf(t);
    const parts = t.parts ?? [];
    if (parts.every((p) => "text" in p)) {
      return { k: "str", value: parts.map((p) => ("text" in p ? p.text : "")).join(""), raw: t.text, line };
    }
    const out: (string | Expr)[] = [];
    for (const p of parts) {
      if ("text" in p) out.push(p.text);
      else {
        const [from, to] = p.hole;
        const sub = new Parser(this.src, lex(this.src, from, to, this.budget), this.lines, this.budget, this.depth + 1, true);
        out.push(sub.whole());
      }
    }
    return { k: "interp", parts: out, raw: t.text, line };
  }

  /** The single expression of an interpolation hole. */
  private whole(): Expr {
    const e = this.expr();
    const t = this.tok();
    if (t.kind !== "eof") this.fail(`unexpected ${describe(t)} in an interpolation`, t.start);
    return e;
  }

  object(): ObjectExpr {
    const open = this.cur();
    this.enter(open);
    try {
      this.openBracket("{");
      const props: Prop[] = [];
      const nested: ResourceDecl[] = [];
      let spread = false;
      for (;;) {
        this.budget.tick();
        const t = this.cur();
        if (this.isPunct(t, "}")) break;
        if (this.isPunct(t, ",")) {
          this.next();
          continue;
        }
        if (this.isPunct(t, "@")) {
          this.decorator();
          continue;
        }
        if (this.isPunct(t, "...")) {
          this.next();
          this.expr();
          spread = true;
          this.afterEntry("}");
          continue;
        }
        const after = this.peek(1);
        if (t.kind === "ident" && t.text === "resource" && after.kind === "ident" && !after.nl) {
          nested.push(this.resource());
          this.afterEntry("}");
          continue;
        }
        let key: string;
        if (t.kind === "ident") key = t.text;
        else if (t.kind === "string" && (t.parts ?? []).every((p) => "text" in p)) key = (t.parts ?? []).map((p) => ("text" in p ? p.text : "")).join("");
        // An interpolated key (`'${identity.id}': {}`) is kept as written: no property the
        // readers look up is computed, and the quotes keep it from matching a plain name.
        else if (t.kind === "string") key = t.text;
        else return this.fail(`expected a property name but found ${describe(t)}`, t.start);
        this.next();
        this.expectPunct(":");
        const value = this.expr();
        props.push({ key, value, line: this.lineOf(t) });
        this.afterEntry("}");
      }
      this.closeBracket("}");
      const obj: ObjectExpr = { k: "object", props, spread, raw: this.rawText(open), line: this.lineOf(open) };
      if (nested.length > 0) this.nested.set(obj, nested);
      return obj;
    } finally {
      this.depth--;
    }
  }

  private array(): Expr {
    const open = this.cur();
    this.enter(open);
    try {
      this.openBracket("[");
      const first = this.cur();
      if (first.kind === "ident" && first.text === "for") return this.forBody(open);
      const items: Expr[] = [];
      let spread = false;
      for (;;) {
        this.budget.tick();
        const t = this.cur();
        if (this.isPunct(t, "]")) break;
        if (this.isPunct(t, ",")) {
          this.next();
          continue;
        }
        if (this.isPunct(t, "...")) {
          this.next();
          this.expr();
          spread = true;
        } else items.push(this.expr());
        this.afterEntry("]");
      }
      this.closeBracket("]");
      return { k: "array", items, spread, raw: this.rawText(open), line: this.lineOf(open) };
    } finally {
      this.depth--;
    }
  }

  /** After `[`: `for x in xs: body`, `for (x, i) in xs: if (c) body`. */
  private forBody(open: Token): ForExpr {
    const forTok = this.next();
    const vars: string[] = [];
    if (this.isPunct(this.cur(), "(")) {
      this.openBracket("(");
      for (;;) {
        this.budget.tick();
        const t = this.cur();
        if (this.isPunct(t, ")")) break;
        if (this.isPunct(t, ",")) this.next();
        else vars.push(this.identifier("a loop variable"));
      }
      this.closeBracket(")");
    } else vars.push(this.identifier("a loop variable"));
    const inTok = this.cur();
    if (inTok.kind !== "ident" || inTok.text !== "in") this.fail(`expected 'in' but found ${describe(inTok)}`, inTok.start);
    this.next();
    const over = this.expr();
    const colon = this.expectPunct(":");
    const header = this.src.slice(forTok.start, colon.start).trim();
    let condition: Expr | undefined;
    const t = this.cur();
    if (t.kind === "ident" && t.text === "if" && this.isPunct(this.peek(1), "(")) {
      this.next();
      this.openBracket("(");
      condition = this.expr();
      this.closeBracket(")");
    }
    const body = this.expr();
    this.closeBracket("]");
    const loop: ForExpr = { k: "for", header, vars, over, body, raw: this.rawText(open), line: this.lineOf(open) };
    if (condition) loop.condition = condition;
    return loop;
  }

  // -------------------------------------------------------------------------------------------
  // Tokens

  private tok(): Token {
    return this.toks[Math.min(this.pos, this.toks.length - 1)]!;
  }

  private peek(k: number): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }

  private next(): Token {
    this.budget.tick();
    const t = this.tok();
    if (this.pos < this.toks.length - 1) this.pos++;
    this.lastEnd = t.end;
    return t;
  }

  /** The current token for a parse decision: fails on bad tokens, the end, and where a new declaration begins. */
  private cur(): Token {
    const t = this.tok();
    if (t.kind === "bad") this.fail(t.text, t.start);
    if (t.kind === "eof" || this.endsDeclaration(this.pos)) this.unterminated(t);
    return t;
  }

  private unterminated(t: Token): never {
    const o = this.open[this.open.length - 1];
    if (o) this.fail(`unterminated '${o.char}' (opened at line ${this.lines.lineAt(o.offset)})`, o.offset);
    if (t.kind === "eof" && this.inHole) this.fail("incomplete ${…} interpolation", t.start);
    if (t.kind === "eof") this.fail("unexpected end of file", t.start);
    this.fail(`unexpected ${describe(t)}`, t.start);
  }

  private endsDeclaration(i: number): boolean {
    if (this.boundaryCol < 0 || i === this.declPos) return false;
    const t = this.toks[i]!;
    return t.nl && this.lines.columnAt(t.start) <= this.boundaryCol && this.startsDeclaration(i);
  }

  /** A keyword that begins a top-level declaration, followed by what that declaration needs. */
  private startsDeclaration(i: number): boolean {
    const t = this.toks[i]!;
    if (t.kind !== "ident") return false;
    const n = this.toks[Math.min(i + 1, this.toks.length - 1)]!;
    if (n.nl) return false;
    switch (t.text) {
      case "param":
      case "var":
      case "resource":
      case "module":
      case "output":
      case "type":
      case "func":
      case "metadata":
      case "assert":
        return n.kind === "ident";
      case "targetScope":
        return this.isPunct(n, "=");
      case "import":
        return n.kind === "string" || this.isPunct(n, "*") || this.isPunct(n, "{");
      case "extension":
      case "provider":
        return n.kind === "ident" || n.kind === "string";
      case "using":
        return n.kind === "string" || (n.kind === "ident" && n.text === "none");
      case "extends":
        return n.kind === "string";
      default:
        return false;
    }
  }

  private isPunct(t: Token, p: string): boolean {
    return t.kind === "punct" && t.text === p;
  }

  private identifier(what: string): string {
    const t = this.cur();
    if (t.kind !== "ident") this.fail(`expected ${what} but found ${describe(t)}`, t.start);
    this.next();
    return t.text;
  }

  private expectPunct(p: string): Token {
    const t = this.cur();
    if (!this.isPunct(t, p)) this.fail(`expected '${p}' but found ${describe(t)}`, t.start);
    return this.next();
  }

  private openBracket(p: string): void {
    const t = this.expectPunct(p);
    this.open.push({ char: p, offset: t.start });
  }

  private closeBracket(p: string): void {
    const t = this.cur();
    const o = this.open[this.open.length - 1];
    if (!this.isPunct(t, p)) {
      const where = o ? ` to close the '${o.char}' opened at line ${this.lines.lineAt(o.offset)}` : "";
      this.fail(`expected '${p}'${where} but found ${describe(t)}`, t.start);
    }
    this.next();
    this.open.pop();
  }

  /** After an entry of an object, array or call: a line break, `,` or the closing bracket. */
  private afterEntry(close: string): void {
    const n = this.tok();
    if (n.kind === "eof" || n.kind === "bad" || n.nl || this.isPunct(n, ",") || this.isPunct(n, close)) return;
    this.fail(`expected a line break, ',' or '${close}' but found ${describe(n)}`, n.start);
  }

  private enter(at: Token): void {
    if (++this.depth > MAX_NESTING) {
      this.depth--;
      this.fail(`nested deeper than ${MAX_NESTING} levels`, at.start);
    }
  }

  private fail(message: string, offset: number): never {
    throw new ParseError(message, offset);
  }

  private lineOf(t: Token): number {
    return this.lines.lineAt(t.start);
  }

  private rawText(first: Token): string {
    return this.src.slice(first.start, Math.max(first.start, this.lastEnd));
  }

  private rawFrom(first: Token): Expr {
    return { k: "raw", raw: this.rawText(first), line: this.lineOf(first) };
  }
}
