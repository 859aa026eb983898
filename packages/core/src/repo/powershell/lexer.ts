/**
 * A tokenizer and shallow parser for PowerShell as it is written in CI scripts: comments, the four
 * kinds of strings (with `$var`, `$env:X` and `$( … )` inside expandable ones), line continuation,
 * statements, pipelines, redirections and bracketed groups (`( … )`, `$( … )`, `@( … )`, `{ … }`,
 * `@{ … }`, `[ … ]`), each group holding a nested script. It does not build expressions: the reader
 * only needs commands, their arguments, assignments and where each sits.
 *
 * Linear in the text (every character is consumed once; groups nested beyond MAX_DEPTH are skipped
 * by a bracket count). Problems are recorded in `ctx.diagnostics`; nothing throws on any input.
 */
import type { Diagnostic } from "../../model/repo.ts";

/** Groups nested deeper than this are not read (skipped with one diagnostic). */
export const MAX_DEPTH = 48;

export type StrPart = { kind: "lit"; text: string } | { kind: "var"; name: string; raw: string } | { kind: "sub"; script: Script; raw: string };

interface ItemBase {
  raw: string;
  line: number;
  start: number;
  end: number;
  /** Written directly after the previous item (no whitespace): part of the same argument. */
  adj: boolean;
}

export type GroupOpen = "(" | "$(" | "@(" | "{" | "@{" | "[";

export type Item =
  /** A bare token (command name, parameter, unquoted argument, operator word), backticks resolved. */
  | (ItemBase & { t: "word"; text: string })
  | (ItemBase & { t: "str"; quote: "single" | "double" | "here-single" | "here-double"; parts: StrPart[] })
  /** `$x`, `${x}`, `$env:X` (name as written, without `$`), or `@x` (splat). */
  | (ItemBase & { t: "var"; name: string; splat: boolean })
  | (ItemBase & { t: "group"; open: GroupOpen; body: Script })
  /** `=`, `+=`, `,`, `&`, `!`, `::`-free operators the reader needs to tell apart. */
  | (ItemBase & { t: "op"; text: string });

export interface Redirect {
  /** `>`, `>>`, `2>`, `*>`, `2>&1`, … */
  op: string;
  target: Item[];
  line: number;
}

export interface Element {
  items: Item[];
  redirects: Redirect[];
  line: number;
  start: number;
  end: number;
}

export interface Statement {
  elements: Element[];
  line: number;
}

export interface Script {
  statements: Statement[];
}

export class LexContext {
  ops = 0;
  readonly diagnostics: Diagnostic[] = [];
  private deepReported = false;
  constructor(
    readonly file: string,
    readonly budget: number,
  ) {}

  diag(line: number, message: string): void {
    if (this.diagnostics.length >= 200) return;
    this.diagnostics.push({ file: this.file, line, message: oneLine(message) });
  }

  tooDeep(line: number): void {
    if (this.deepReported) return;
    this.deepReported = true;
    this.diag(line, `brackets nested more than ${MAX_DEPTH} deep: the text inside them is not read`);
  }

  get exhausted(): boolean {
    return this.ops > this.budget;
  }
}

/** Text safe for a one-line message: control characters shown as spaces, at most `max` characters. */
export function oneLine(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const t = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ");
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

const SINGLE_QUOTES = new Set(["'", "\u2018", "\u2019", "\u201a", "\u201b"]);
const DOUBLE_QUOTES = new Set(['"', "\u201c", "\u201d", "\u201e"]);
const SPACE = /[ \t\f\v\r\u00a0\ufeff\u2000-\u200a\u3000]/;
/** Characters that end a bare word. */
const WORD_END = /[\s;|&(){},<>"'$\u2018\u2019\u201a\u201b\u201c\u201d\u201e]/;
/** ASCII characters a bare word goes on over without a closer look (1). */
const PLAIN = new Uint8Array(128);
for (let i = 33; i < 127; i++) PLAIN[i] = /[;|&(){},<>"'$`[\]]/.test(String.fromCharCode(i)) ? 0 : 1;
const VAR_CHAR = /[A-Za-z0-9_?]/;
const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v", e: "\x1b" };
/** Dashes PowerShell takes for `-` at the start of a parameter or operator. */
const DASHES = /^[-\u2013\u2014\u2015]*[\u2013\u2014\u2015][-\u2013\u2014\u2015]*/;
/** Operators after which a statement goes on past the end of the line. */
const CONTINUES = new Set(["=", "+=", "-=", "*=", "/=", "%=", "??=", ",", "|", "&&", "||"]);

export class Parser {
  private pos = 0;
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly src: string,
    private readonly baseLine: number,
    private readonly ctx: LexContext,
  ) {
    for (let i = 0; i < src.length; i++) if (src.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.baseLine + lo;
  }

  parse(): Script {
    const script = this.parseScript(0, "");
    while (this.pos < this.src.length) {
      // a stray closing bracket: report it and read on
      this.ctx.diag(this.lineAt(this.pos), `unexpected \`${this.src[this.pos] ?? ""}\``);
      this.pos++;
      script.statements.push(...this.parseScript(0, "").statements);
    }
    return script;
  }

  private ch(off = 0): string {
    return this.src[this.pos + off] ?? "";
  }

  /** Skips spaces, continuations and comments (not newlines); true when any was skipped. */
  private skipBlank(): boolean {
    const start = this.pos;
    for (;;) {
      const c = this.ch();
      if (c !== "" && SPACE.test(c)) {
        this.pos++;
      } else if (c === "`" && (this.ch(1) === "\n" || (this.ch(1) === "\r" && this.ch(2) === "\n"))) {
        this.pos += this.ch(1) === "\r" ? 3 : 2;
      } else if (c === "<" && this.ch(1) === "#") {
        const end = this.src.indexOf("#>", this.pos + 2);
        if (end === -1) {
          this.ctx.diag(this.lineAt(this.pos), "unterminated block comment `<#`");
          this.pos = this.src.length;
        } else this.pos = end + 2;
      } else if (c === "#") {
        const end = this.src.indexOf("\n", this.pos);
        this.pos = end === -1 ? this.src.length : end;
      } else break;
    }
    this.ctx.ops += this.pos - start;
    return this.pos > start;
  }

  /** True when the next line that holds code starts with `|` (a pipeline continued on it, PowerShell 7). */
  private nextLineStartsWithPipe(): boolean {
    let p = this.pos;
    for (let guard = 0; guard < 64 && p < this.src.length; guard++) {
      while (p < this.src.length && (SPACE.test(this.src[p] as string) || this.src[p] === "\n")) p++;
      if (this.src[p] === "#") {
        const e = this.src.indexOf("\n", p);
        if (e === -1) return false;
        p = e;
        continue;
      }
      return this.src[p] === "|" && this.src[p + 1] !== "|";
    }
    return false;
  }

  /** Statements up to `closer` (consumed) or the end of the text. */
  private parseScript(depth: number, closer: string): Script {
    const statements: Statement[] = [];
    let elements: Element[] = [];
    let el = this.newElement();
    let pendingRedirect: Redirect | undefined;
    /** A newline was just read: the next item starts a new word. */
    let broke = false;
    const endElement = (): void => {
      if (el.items.length > 0 || el.redirects.length > 0) {
        el.end = this.pos;
        elements.push(el);
      }
      el = this.newElement();
      pendingRedirect = undefined;
    };
    const endStatement = (): void => {
      endElement();
      if (elements.length > 0) statements.push({ elements, line: (elements[0] as Element).line });
      elements = [];
    };
    const lastItem = (): Item | undefined => (el.items.length > 0 ? el.items[el.items.length - 1] : undefined);

    for (;;) {
      const spaced = this.skipBlank();
      if (this.pos >= this.src.length) {
        if (closer !== "") this.ctx.diag(this.lineAt(this.src.length - 1), `\`${opening(closer)}\` is not closed`);
        break;
      }
      const c = this.ch();
      if (closer !== "" && c === closer) {
        this.pos++;
        break;
      }
      if (c === ")" || c === "}" || c === "]") {
        if (closer === "") break; // reported by parse()
        // a mismatched closer inside a group: report and skip it
        this.ctx.diag(this.lineAt(this.pos), `unexpected \`${c}\``);
        this.pos++;
        continue;
      }
      if (c === "\n") {
        this.pos++;
        const last = lastItem();
        const continues = (last?.t === "op" && CONTINUES.has(last.text)) || (el.items.length === 0 && elements.length > 0) || pendingRedirect?.target.length === 0;
        if (!continues && !this.nextLineStartsWithPipe()) endStatement();
        pendingRedirect = undefined;
        broke = true;
        continue;
      }
      if (c === ";") {
        this.pos++;
        endStatement();
        continue;
      }
      if (c === "|") {
        if (this.ch(1) === "|") {
          this.pos += 2;
          endStatement();
          continue;
        }
        this.pos++;
        endElement();
        continue;
      }
      if (c === "&" && this.ch(1) === "&") {
        this.pos += 2;
        endStatement();
        continue;
      }
      // redirections: `>`, `>>`, `2>`, `*>>`, `2>&1`
      const redir = c === ">" || c === "<" || (this.ch(1) === ">" && /[1-6*]/.test(c)) ? /^([1-6*]?)(>>?)(&[12])?|^</.exec(this.src.slice(this.pos, this.pos + 5)) : null;
      if (redir) {
        const op = redir[0];
        this.pos += op.length;
        const r: Redirect = { op, target: [], line: this.lineAt(this.pos) };
        el.redirects.push(r);
        if (el.items.length === 0 && el.redirects.length === 1) {
          el.line = r.line;
          el.start = this.pos - op.length;
        }
        pendingRedirect = redir[3] === undefined ? r : undefined;
        continue;
      }
      const item = this.readItem(depth, spaced || broke);
      broke = false;
      if (!item) continue;
      if (pendingRedirect && (pendingRedirect.target.length === 0 || item.adj)) {
        pendingRedirect.target.push(item);
        continue;
      }
      pendingRedirect = undefined;
      if (el.items.length === 0 && el.redirects.length === 0) {
        el.line = item.line;
        el.start = item.start;
      }
      el.items.push(item);
      if (this.ctx.exhausted) {
        this.pos = this.src.length;
        break;
      }
    }
    endStatement();
    return { statements };
  }

  private newElement(): Element {
    return { items: [], redirects: [], line: this.lineAt(this.pos), start: this.pos, end: this.pos };
  }

  private mk<T extends Item["t"]>(t: T, start: number, adj: boolean): ItemBase & { t: T } {
    return { t, raw: this.src.slice(start, this.pos), line: this.lineAt(start), start, end: this.pos, adj };
  }

  /** One item at the current position (never consumes nothing: returns undefined after skipping a character it cannot use). */
  private readItem(depth: number, spaced: boolean): Item | undefined {
    const start = this.pos;
    const adj = !spaced;
    const c = this.ch();
    const c1 = this.ch(1);
    this.ctx.ops++;
    if (c === "(" || c === "{" || c === "[" || ((c === "$" || c === "@") && c1 === "(") || (c === "@" && c1 === "{")) {
      const open = (c === "$" || c === "@" ? c + c1 : c) as GroupOpen;
      this.pos += open.length;
      const body = this.group(depth, open === "{" || open === "@{" ? "}" : open === "[" ? "]" : ")", start);
      return { ...this.mk("group", start, adj), open, body };
    }
    if (c === "@" && (SINGLE_QUOTES.has(c1) || DOUBLE_QUOTES.has(c1)) && /^[ \t]*\r?\n/.test(this.src.slice(this.pos + 2, this.pos + 66))) {
      return this.hereString(depth, start, adj, SINGLE_QUOTES.has(c1));
    }
    if (SINGLE_QUOTES.has(c)) {
      this.pos++;
      const text = this.singleQuoted(start);
      return { ...this.mk("str", start, adj), quote: "single", parts: [{ kind: "lit", text }] };
    }
    if (DOUBLE_QUOTES.has(c)) {
      this.pos++;
      const parts = this.expandable(depth, (p) => DOUBLE_QUOTES.has(this.src[p] ?? "") && !DOUBLE_QUOTES.has(this.src[p + 1] ?? ""), true);
      if (this.pos >= this.src.length && !DOUBLE_QUOTES.has(this.src[this.pos - 1] ?? "")) this.ctx.diag(this.lineAt(start), "unterminated string `\"`");
      return { ...this.mk("str", start, adj), quote: "double", parts };
    }
    if (c === "$" || (c === "@" && /[A-Za-z_{]/.test(c1))) {
      const v = this.variable();
      if (v !== undefined) return { ...this.mk("var", start, adj), name: v, splat: c === "@" };
    }
    if (c === ",") {
      this.pos++;
      return { ...this.mk("op", start, adj), text: "," };
    }
    if (c === "&") {
      this.pos++;
      return { ...this.mk("op", start, adj), text: "&" };
    }
    if (c === "!" && (c1 === "$" || c1 === "(" || c1 === "[" || c1 === " ")) {
      this.pos++;
      return { ...this.mk("op", start, adj), text: "!" };
    }
    const assign = "=+-*/%?".includes(c) ? /^(\?\?=|[-+*/%]?=)(?!=)/.exec(this.src.slice(this.pos, this.pos + 4)) : null;
    if (assign) {
      this.pos += assign[0].length;
      return { ...this.mk("op", start, adj), text: assign[0] };
    }
    // a bare word
    let text = "";
    let opened = 0;
    const src = this.src;
    while (this.pos < src.length) {
      // fast path: plain characters
      let q = this.pos;
      for (; q < src.length; q++) {
        const code = src.charCodeAt(q);
        if (code < 128 && PLAIN[code] !== 1) break;
        if (code >= 128 && WORD_END.test(src[q] as string)) break;
      }
      if (q > this.pos) {
        text += src.slice(this.pos, q);
        this.pos = q;
        continue;
      }
      const d = this.ch();
      if (d === "`") {
        const e = this.ch(1);
        if (e === "\n" || e === "\r" || e === "") break;
        text += ESCAPES[e] ?? e;
        this.pos += 2;
        continue;
      }
      // `=` never ends a word; `(`, `{`, `$` … do. `[` stays inside words (`a[0]`), and starts a group at a word's start only;
      // `]` ends a word unless the word opened one.
      if (WORD_END.test(d) || (d === "]" && opened <= 0)) break;
      if (d === "[") opened++;
      else if (d === "]") opened--;
      text += d;
      this.pos++;
    }
    if (this.pos === start) {
      // a character no rule above takes (`$` alone, `@` alone, `!x`, `)` mismatched at top level…)
      this.pos++;
      return { ...this.mk("word", start, adj), text: c };
    }
    this.ctx.ops += this.pos - start;
    // PowerShell reads an en dash, em dash or horizontal bar as `-` (`–ServicePrincipal`, `—eq`)
    if (DASHES.test(text)) text = text.replace(DASHES, (d) => "-".repeat(d.length));
    return { ...this.mk("word", start, adj), text };
  }

  /** The body of a group whose opener (at `start`) was consumed. */
  private group(depth: number, closer: string, start: number): Script {
    if (depth + 1 > MAX_DEPTH) {
      this.ctx.tooDeep(this.lineAt(start));
      this.skipBalanced(closer);
      return { statements: [] };
    }
    return this.parseScript(depth + 1, closer);
  }

  /** Skips to the bracket that closes the current group, counting brackets only (linear, for text nested too deeply). */
  private skipBalanced(closer: string): void {
    const open = opening(closer);
    let level = 1;
    const from = this.pos;
    while (this.pos < this.src.length && level > 0) {
      const c = this.src[this.pos];
      if (c === open) level++;
      else if (c === closer) level--;
      this.pos++;
    }
    this.ctx.ops += this.pos - from;
  }

  private singleQuoted(start: number): string {
    let text = "";
    for (;;) {
      const c = this.ch();
      if (c === "") {
        this.ctx.diag(this.lineAt(start), "unterminated string `'`");
        return text;
      }
      this.pos++;
      this.ctx.ops++;
      if (SINGLE_QUOTES.has(c)) {
        if (SINGLE_QUOTES.has(this.ch())) {
          text += "'";
          this.pos++;
          continue;
        }
        return text;
      }
      text += c;
    }
  }

  /** `$name`, `${name}`, `$env:NAME`, `@name` at the current position: the name, or undefined (nothing consumed). */
  private variable(): string | undefined {
    const start = this.pos;
    this.pos++;
    if (this.ch() === "{") {
      let name = "";
      this.pos++;
      while (this.pos < this.src.length && this.ch() !== "}") {
        if (this.ch() === "`" && this.ch(1) !== "") this.pos++;
        name += this.ch();
        this.pos++;
      }
      if (this.pos >= this.src.length) this.ctx.diag(this.lineAt(start), "unterminated variable name `${`");
      else this.pos++;
      this.ctx.ops += this.pos - start;
      return name;
    }
    const c = this.ch();
    if (this.src[start] === "$" && (c === "$" || c === "^")) {
      this.pos++;
      return c;
    }
    let name = "";
    while (VAR_CHAR.test(this.ch())) {
      name += this.ch();
      this.pos++;
    }
    if (name === "") {
      this.pos = start;
      return undefined;
    }
    // a drive or scope qualifier: `$env:X`, `$script:x`
    if (this.ch() === ":" && /[A-Za-z0-9_]/.test(this.ch(1)) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      name += ":";
      this.pos++;
      while (VAR_CHAR.test(this.ch())) {
        name += this.ch();
        this.pos++;
      }
    }
    this.ctx.ops += this.pos - start;
    return name;
  }

  /**
   * The parts of an expandable string whose opener was consumed, up to where `ends(pos)` holds
   * (the closing quote is consumed; `""` stands for `"` when `doubled`).
   */
  private expandable(depth: number, ends: (p: number) => boolean, doubled: boolean): StrPart[] {
    const parts: StrPart[] = [];
    let text = "";
    const flush = (): void => {
      if (text !== "") parts.push({ kind: "lit", text });
      text = "";
    };
    while (this.pos < this.src.length) {
      this.ctx.ops++;
      const c = this.ch();
      if (doubled && DOUBLE_QUOTES.has(c) && DOUBLE_QUOTES.has(this.ch(1))) {
        text += '"';
        this.pos += 2;
        continue;
      }
      if (ends(this.pos)) {
        this.pos++;
        flush();
        return parts;
      }
      if (c === "`" && this.ch(1) !== "") {
        const e = this.ch(1);
        text += ESCAPES[e] ?? e;
        this.pos += 2;
        continue;
      }
      if (c === "$" && this.ch(1) === "(") {
        flush();
        const start = this.pos;
        this.pos += 2;
        const script = this.group(depth, ")", start);
        parts.push({ kind: "sub", script, raw: this.src.slice(start, this.pos) });
        continue;
      }
      if (c === "$") {
        const start = this.pos;
        const name = this.variable();
        if (name !== undefined) {
          flush();
          parts.push({ kind: "var", name, raw: this.src.slice(start, this.pos) });
          continue;
        }
      }
      text += c;
      this.pos++;
    }
    flush();
    return parts;
  }

  private hereString(depth: number, start: number, adj: boolean, single: boolean): Item {
    this.pos += 2;
    const nl = this.src.indexOf("\n", this.pos);
    this.pos = nl + 1;
    const closeRe = single ? /^[ \t]*['\u2018\u2019\u201a\u201b]@/ : /^[ \t]*["\u201c\u201d\u201e]@/;
    const bodyStart = this.pos;
    // the end: a line that starts with the quote and `@`
    let end = -1;
    let p = bodyStart;
    while (p <= this.src.length) {
      if (closeRe.test(this.src.slice(p, p + 66))) {
        end = p;
        break;
      }
      const n = this.src.indexOf("\n", p);
      if (n === -1) break;
      p = n + 1;
    }
    this.ctx.ops += (end === -1 ? this.src.length : end) - bodyStart;
    if (end === -1) {
      this.ctx.diag(this.lineAt(start), `unterminated here-string \`@${single ? "'" : '"'}\``);
      end = this.src.length;
    }
    // the body ends before the newline that precedes the closing line
    const bodyEnd = end > bodyStart && this.src[end - 1] === "\n" ? (this.src[end - 2] === "\r" ? end - 2 : end - 1) : end;
    let parts: StrPart[];
    if (single) {
      parts = [{ kind: "lit", text: this.src.slice(bodyStart, bodyEnd) }];
      this.pos = end;
    } else {
      this.pos = bodyStart;
      parts = this.expandable(depth, (q) => q >= bodyEnd, false);
      this.pos = end;
    }
    if (end < this.src.length) {
      const m = closeRe.exec(this.src.slice(end, end + 66));
      this.pos = end + (m ? m[0].length : 0);
    }
    return { ...this.mk("str", start, adj), quote: single ? "here-single" : "here-double", parts };
  }
}

function opening(closer: string): string {
  return closer === ")" ? "(" : closer === "}" ? "{" : "[";
}

/** The text of an item when it is fixed as written (a bare word, or a string with nothing to expand). */
export function staticItem(it: Item): string | undefined {
  if (it.t === "word") return it.text;
  if (it.t === "str") {
    let s = "";
    for (const p of it.parts) {
      if (p.kind !== "lit") return undefined;
      s += p.text;
    }
    return s;
  }
  return undefined;
}

/** The text of several adjacent items when all are fixed. */
export function staticItems(items: readonly Item[]): string | undefined {
  let s = "";
  for (const it of items) {
    const t = staticItem(it);
    if (t === undefined) return undefined;
    s += t;
  }
  return s;
}
