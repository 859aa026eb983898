/**
 * ARM template expressions (`"[concat(parameters('a'), '/b')]"`): function calls, string and
 * number literals, `.member` and `[index]`. `parameters('x')`/`variables('x')` become references;
 * everything else is a call the evaluator may or may not fold. Text that does not parse is raw.
 */
import type { Expr } from "./expr.ts";
import { raw } from "./expr.ts";
import type { Budget } from "./support.ts";

/** Deepest nesting of calls/brackets read inside one ARM expression. */
const MAX_DEPTH = 64;

class ArmSyntaxError extends Error {}

/** Whether a JSON string is an ARM expression (`[...]`, but not the `[[` escape). */
export function isArmExpression(s: string): boolean {
  return s.length >= 2 && s.startsWith("[") && !s.startsWith("[[") && s.endsWith("]");
}

/** Parses the text between the outer brackets of an ARM expression; `rawText` is the JSON as written. */
export function parseArmExpression(src: string, rawText: string, line: number, budget: Budget): Expr {
  const p = new ArmExpressionParser(src, line, budget);
  try {
    const e = p.expression(0);
    p.skipSpace();
    if (!p.atEnd()) return raw(rawText, line);
    return { ...e, raw: rawText };
  } catch (e) {
    if (e instanceof ArmSyntaxError) return raw(rawText, line);
    throw e;
  }
}

class ArmExpressionParser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly line: number,
    private readonly budget: Budget,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
  }

  private peek(): string {
    this.skipSpace();
    return this.src[this.pos] ?? "";
  }

  private expect(c: string): void {
    if (this.peek() !== c) throw new ArmSyntaxError(`expected ${c}`);
    this.pos++;
  }

  expression(depth: number): Expr {
    this.budget.tick();
    if (depth > MAX_DEPTH) throw new ArmSyntaxError("too deep");
    this.skipSpace();
    const start = this.pos;
    let e = this.primary(depth);
    for (;;) {
      this.budget.tick();
      const c = this.peek();
      if (c === ".") {
        this.pos++;
        const name = this.identifier();
        if (this.peek() === "(") {
          // A user-defined function `namespace.name(...)`.
          const args = this.args(depth);
          e = { k: "call", name: `${e.raw}.${name}`, args, raw: this.src.slice(start, this.pos), line: this.line };
        } else e = { k: "member", object: e, name, raw: this.src.slice(start, this.pos), line: this.line };
      } else if (c === "[") {
        this.pos++;
        const index = this.expression(depth + 1);
        this.expect("]");
        e = { k: "index", object: e, index, raw: this.src.slice(start, this.pos), line: this.line };
      } else return e;
    }
  }

  private identifier(): string {
    this.skipSpace();
    const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.src.slice(this.pos, this.pos + 256));
    if (!m) throw new ArmSyntaxError("expected a name");
    this.pos += m[0].length;
    return m[0];
  }

  private args(depth: number): Expr[] {
    this.expect("(");
    const args: Expr[] = [];
    if (this.peek() === ")") {
      this.pos++;
      return args;
    }
    for (;;) {
      this.budget.tick();
      args.push(this.expression(depth + 1));
      const c = this.peek();
      this.pos++;
      if (c === ")") return args;
      if (c !== ",") throw new ArmSyntaxError("expected , or )");
    }
  }

  private primary(depth: number): Expr {
    const c = this.peek();
    const start = this.pos;
    const line = this.line;
    if (c === "'") {
      let value = "";
      let i = this.pos + 1;
      for (;;) {
        const q = this.src.indexOf("'", i);
        if (q < 0) throw new ArmSyntaxError("unterminated string");
        value += this.src.slice(i, q);
        if (this.src[q + 1] === "'") {
          value += "'";
          i = q + 2;
        } else {
          this.pos = q + 1;
          break;
        }
      }
      return { k: "str", value, raw: this.src.slice(start, this.pos), line };
    }
    const num = /^-?\d+(?:\.\d+)?/.exec(this.src.slice(this.pos, this.pos + 64));
    if (num) {
      this.pos += num[0].length;
      return { k: "num", value: Number(num[0]), raw: num[0], line };
    }
    const name = this.identifier();
    if (this.peek() !== "(") {
      const lower = name.toLowerCase();
      if (lower === "true" || lower === "false") return { k: "bool", value: lower === "true", raw: name, line };
      if (lower === "null") return { k: "null", raw: name, line };
      return raw(name, line);
    }
    const args = this.args(depth);
    const text = this.src.slice(start, this.pos);
    const lower = name.toLowerCase();
    const only = args.length === 1 ? args[0] : undefined;
    if ((lower === "parameters" || lower === "variables") && only?.k === "str") {
      return { k: "ref", ns: lower === "parameters" ? "param" : "var", name: only.value, raw: text, line };
    }
    if ((lower === "true" || lower === "false") && args.length === 0) return { k: "bool", value: lower === "true", raw: text, line };
    if (lower === "null" && args.length === 0) return { k: "null", raw: text, line };
    return { k: "call", name, args, raw: text, line };
  }
}
