/**
 * A careful shell tokenizer: words (with quotes, parameter expansions, command substitutions and
 * backticks), simple commands, pipelines, redirections and here-documents. It is not a full shell
 * parser: compound commands (`if`, `for`, `case`, `{ … }`, functions) are only recognised far enough
 * that the simple commands inside them are read correctly.
 *
 * Every loop is guarded by an operation budget shared by all readers of one text, so reading is
 * linear in practice and bounded in the worst case; what cannot be understood becomes a diagnostic.
 */
import type { Diagnostic } from "../../model/repo.ts";

export interface LitPart {
  kind: "lit";
  text: string;
  quote: "none" | "single" | "double";
  /**
   * Pipeline text only: the `$X` / `${X…}` written inside single quotes, which Buildkite still
   * replaces when the pipeline is uploaded (the shell never sees them).
   */
  uploaded?: { name: string; raw: string }[];
}

export interface ParamPart {
  kind: "param";
  /** `X` for `$X`, `${X:-d}`; `1`, `@`, `#`, … for special parameters; `arr[@]` keeps the subscript. */
  name: string;
  /** `#` for `${#X}`, `!` for `${!X}`, else "". */
  prefix: string;
  /** The operator after the name (`:-`, `-`, `:=`, `#`, `%`, `/`, …), "" when none. */
  op: string;
  arg?: Word;
  raw: string;
  quoted: boolean;
}

export interface SubPart {
  kind: "sub";
  script: Script;
  raw: string;
  quoted: boolean;
  line: number;
}

export interface ArithPart {
  kind: "arith";
  raw: string;
}

export type Part = LitPart | ParamPart | SubPart | ArithPart;

export interface Word {
  /** The source text of the word, as written. */
  raw: string;
  line: number;
  parts: Part[];
  /** `X=(a b)`: the value is an array. */
  array?: boolean;
  /** The elements of an array value, each a word as written. */
  elements?: Word[];
}

export interface HereDoc {
  delimiter: string;
  quoted: boolean;
  /** The body as written. */
  text: string;
  /** The line of the body's first line. */
  line: number;
  /** The body read as a double-quoted string (unquoted delimiters only). */
  body?: Word;
}

export interface Redirect {
  op: string;
  /** The file descriptor written before the operator (`2>`), if any. */
  fd?: string;
  target?: Word;
  line: number;
  heredoc?: HereDoc;
}

export interface Command {
  line: number;
  /** Prefix assignments (`X=1 cmd`, or a whole `X=1` command). */
  assigns: Word[];
  words: Word[];
  redirects: Redirect[];
  /** Set for compound-command headers that are not commands to interpret (`for`, `case`, `[[`, …). */
  keyword?: string;
  /**
   * The control-flow words read since the command before, in order: reserved words (`if`, `then`,
   * `fi`, `{`, …), `(` and `)` of subshells, `()` of a function header, and `pattern` / `pattern*`
   * for a case pattern (`*` alone). They let a reader follow which commands may not run.
   */
  lead?: string[];
  /** The names of the functions whose `()` headers are in `lead`, in order. */
  functions?: string[];
}

export interface Pipeline {
  commands: Command[];
  /** The list operator before the pipeline (`&&`, `||`, `;`, `;;`, newline as `\n`), "" at the start. */
  after?: string;
  /** The pipeline is run in the background (`&`). */
  background?: boolean;
}

export interface Script {
  pipelines: Pipeline[];
}

/** State shared by every reader of one text. */
export class LexContext {
  ops = 0;
  aborted = false;
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly file: string,
    readonly limit: number,
  ) {}

  /** Counts one operation; false once the budget is spent (and says so once). */
  tick(line: number, n = 1): boolean {
    this.ops += n;
    if (this.aborted) return false;
    if (this.ops > this.limit) {
      this.aborted = true;
      this.diag(line, "reading stopped: the text is too complex to read within the operation budget");
      return false;
    }
    return true;
  }

  diag(line: number, message: string): void {
    if (this.diagnostics.length >= MAX_DIAGNOSTICS) return;
    this.diagnostics.push({ file: this.file, line, message });
  }
}

export const MAX_DEPTH = 12;
const MAX_DIAGNOSTICS = 200;

const META = new Set([" ", "\t", "\r", "\n", ";", "&", "|", "<", ">", "(", ")"]);
const BLANK = new Set([" ", "\t", "\r"]);
/** Reserved words skipped where a command starts. */
const SKIP_WORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac"]);
/** Reserved words that start a header whose words are not a command. */
const HEADER_WORDS = new Set(["for", "select", "case", "[[", "function"]);
/** `$X` and `${X…}` as Buildkite's upload interpolation reads them (`$$` and `\$` are escapes). */
const UPLOAD_REF = /\$\$|\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)[^}$'\n]{0,64}\}?|\$([A-Za-z_][A-Za-z0-9_]*)/g;
const MAX_UPLOADED = 64;
const ASSIGN_PREFIX = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
const ARRAY_ASSIGN = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=$/;

interface Builder {
  line: number;
  assigns: Word[];
  words: Word[];
  redirects: Redirect[];
  keyword?: string;
  testMode: boolean;
}

interface PendingHereDoc {
  redirect: Redirect;
  delimiter: string;
  stripTabs: boolean;
  quoted: boolean;
}

function newBuilder(line: number): Builder {
  return { line, assigns: [], words: [], redirects: [], testMode: false };
}

function isEmpty(b: Builder): boolean {
  return b.assigns.length === 0 && b.words.length === 0 && b.redirects.length === 0 && b.keyword === undefined;
}

/** The text of a word when it has no expansions; undefined otherwise. */
export function staticText(w: Word): string | undefined {
  let s = "";
  for (const p of w.parts) {
    if (p.kind !== "lit") return undefined;
    s += p.text;
  }
  return s;
}

/** The word with quotes removed and expansions left as written (`"$DIR/x.sh"` → `$DIR/x.sh`). */
export function looseText(w: Word): string {
  let s = "";
  for (const p of w.parts) s += p.kind === "lit" ? p.text : p.raw;
  return s;
}

/** True when the word is a reserved word as written (unquoted). */
function isBare(w: Word, text: string): boolean {
  return w.raw === text;
}

export class Reader {
  pos = 0;
  line: number;
  private readonly len: number;
  private pending: PendingHereDoc[] = [];
  /** Inside `X=( … )`: arrays do not nest. */
  private inArray = false;

  constructor(
    readonly src: string,
    baseLine: number,
    readonly ctx: LexContext,
    private depth: number,
    /** Buildkite pipeline escapes: `$$` and `\$` stand for a `$` the shell sees. */
    readonly escapes: boolean,
  ) {
    this.line = baseLine;
    this.len = src.length;
  }

  private tick(n = 1): boolean {
    return this.ctx.tick(this.line, n);
  }

  private diag(line: number, message: string): void {
    this.ctx.diag(line, message);
  }

  /** Reads the whole text as a script. */
  readScript(): Script {
    const script = this.parseList(false);
    if (this.pending.length > 0) this.readHereDocs();
    return script;
  }

  /** Reads the whole text as words (no commands): used for values such as `${X:-d}` from YAML. */
  readWords(): Word[] {
    const words: Word[] = [];
    while (this.tick() && this.pos < this.len) {
      this.skipBlanks(true);
      if (this.pos >= this.len) break;
      const w = this.readWord();
      if (w) words.push(w);
      else this.pos++;
    }
    return words;
  }

  /** Reads the whole text as the body of an unquoted here-document (a double-quoted string without quotes). */
  readHereDocBody(): Word {
    const start = this.pos;
    const line = this.line;
    const parts: Part[] = [];
    this.readDoubleContent(parts, undefined);
    return { raw: this.src.slice(start, this.pos), line, parts };
  }

  // -------------------------------------------------------------------------------------------
  // Lists, pipelines and commands

  private parseList(inParen: boolean): Script {
    const script: Script = { pipelines: [] };
    let pipe: Command[] = [];
    let cur = newBuilder(this.line);
    let afterPipe = false;
    let parenDepth = 0;
    const caseStack: ("pattern" | "body")[] = [];
    /** Control-flow words waiting for the next command (see Command.lead). */
    let lead: string[] = [];
    let functions: string[] = [];
    /** The list operator before the next pipeline. */
    let after = "";

    const endCommand = (): void => {
      if (!isEmpty(cur)) {
        const cmd: Command = { line: cur.line, assigns: cur.assigns, words: cur.words, redirects: cur.redirects };
        if (cur.keyword !== undefined) cmd.keyword = cur.keyword;
        if (lead.length > 0) {
          cmd.lead = lead;
          lead = [];
        }
        if (functions.length > 0) {
          cmd.functions = functions;
          functions = [];
        }
        pipe.push(cmd);
      }
      cur = newBuilder(this.line);
    };
    const endPipeline = (op: string): void => {
      endCommand();
      if (pipe.length > 0) {
        const pl: Pipeline = { commands: pipe, after };
        if (op === "&") pl.background = true;
        script.pipelines.push(pl);
        after = op;
      } else if (op === "&&" || op === "||") {
        after = op;
      }
      pipe = [];
      afterPipe = false;
    };

    while (this.tick()) {
      this.skipBlanks(false);
      if (this.pos >= this.len) break;
      const c = this.src[this.pos] as string;
      const n = this.src[this.pos + 1];

      if (isEmpty(cur)) cur.line = this.line;

      if (c === "#") {
        this.skipComment();
        continue;
      }
      if (c === "\n") {
        this.pos++;
        this.line++;
        if (this.pending.length > 0) this.readHereDocs();
        if (afterPipe && isEmpty(cur)) continue;
        endPipeline("\n");
        continue;
      }

      // case … in: pattern lists
      if (caseStack.length > 0 && caseStack[caseStack.length - 1] === "pattern" && isEmpty(cur)) {
        if (this.readCasePattern(caseStack, lead)) continue;
      }

      if (cur.testMode && (c === "<" || c === ">" || c === "(" || c === ")" || c === "|" || c === "&")) {
        // inside [[ … ]] these are operators of the test, not of the shell
        const start = this.pos;
        while (this.tick() && this.pos < this.len && "<>()|&".includes(this.src[this.pos] as string)) this.pos++;
        cur.words.push({ raw: this.src.slice(start, this.pos), line: this.line, parts: [{ kind: "lit", text: this.src.slice(start, this.pos), quote: "none" }] });
        continue;
      }

      if (c === ")") {
        if (parenDepth > 0) {
          parenDepth--;
          this.pos++;
          endPipeline(")");
          lead.push(")");
          continue;
        }
        if (inParen) break;
        this.diag(this.line, "unexpected `)`");
        this.pos++;
        endPipeline(")");
        continue;
      }
      if (c === "(") {
        if (n === "(" && (isEmpty(cur) || (cur.keyword === "for" && cur.words.length === 1))) {
          this.skipArithmetic(this.pos, 2);
          if (cur.keyword === undefined) cur.keyword = "((";
          continue;
        }
        const fnWords = cur.keyword === "function" ? 2 : 1;
        if (cur.words.length === fnWords && cur.assigns.length === 0 && cur.redirects.length === 0 && this.isEmptyParens()) {
          // `name() {` / `function name() {`: a function definition header
          functions.push((cur.words[fnWords - 1] as Word).raw);
          cur = newBuilder(this.line);
          lead.push("()");
          continue;
        }
        if (!isEmpty(cur) && cur.keyword === undefined) {
          // `word (` is a syntax error for the shell: the text in the parentheses never runs
          this.diag(this.line, "syntax error: unexpected `(` after a word; the text in the parentheses is not read");
          this.scanBalancedRaw();
          continue;
        }
        this.pos++;
        parenDepth++;
        endPipeline("(");
        lead.push("(");
        continue;
      }
      if (c === ";") {
        if (n === ";") {
          const fall = this.src[this.pos + 2] === "&";
          this.pos += fall ? 3 : 2;
          endPipeline(fall ? ";;&" : ";;");
          if (caseStack.length > 0) caseStack[caseStack.length - 1] = "pattern";
          continue;
        }
        if (n === "&") {
          this.pos += 2;
          endPipeline(";&");
          if (caseStack.length > 0) caseStack[caseStack.length - 1] = "pattern";
          continue;
        }
        this.pos++;
        endPipeline(";");
        continue;
      }
      if (c === "|") {
        if (n === "|") {
          this.pos += 2;
          endPipeline("||");
          continue;
        }
        this.pos += n === "&" ? 2 : 1;
        endCommand();
        afterPipe = true;
        continue;
      }
      if (c === "&") {
        if (n === "&") {
          this.pos += 2;
          endPipeline("&&");
          continue;
        }
        if (n === ">") {
          this.readRedirect(cur, undefined);
          continue;
        }
        this.pos++;
        endPipeline("&");
        continue;
      }
      if (c === "<" || c === ">") {
        if (n === "(") {
          // process substitution used as a word
          const line = this.line;
          const start = this.pos;
          this.pos++;
          const sub = this.readParenSub(start, false);
          cur.words.push({ raw: this.src.slice(start, this.pos), line, parts: [sub] });
          continue;
        }
        this.readRedirect(cur, undefined);
        continue;
      }

      const wordLine = this.line;
      const w = this.readWord();
      if (!w) {
        // cannot happen (a meta character is handled above); never loop without progress
        this.pos++;
        continue;
      }
      afterPipe = false;
      // a file descriptor before a redirection: `2>`, `{fd}>`
      const after = this.src[this.pos];
      if ((after === "<" || after === ">") && (/^[0-9]+$/.test(w.raw) || /^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(w.raw))) {
        this.readRedirect(cur, w.raw);
        continue;
      }
      if (cur.testMode) {
        cur.words.push(w);
        if (isBare(w, "]]")) cur.testMode = false;
        continue;
      }
      if (cur.words.length === 0 && cur.keyword === undefined) {
        if (cur.assigns.length === 0 && cur.redirects.length === 0) {
          if (SKIP_WORDS.has(w.raw)) {
            if (w.raw === "esac" && caseStack.length > 0) caseStack.pop();
            lead.push(w.raw);
            continue;
          }
          if (HEADER_WORDS.has(w.raw)) {
            cur.keyword = w.raw;
            cur.line = wordLine;
            cur.words.push(w);
            if (w.raw === "[[") cur.testMode = true;
            continue;
          }
        }
        if (ASSIGN_PREFIX.test(w.raw)) {
          cur.assigns.push(w);
          continue;
        }
      }
      if (cur.keyword === "case" && isBare(w, "in") && cur.words.length >= 2) {
        cur.words.push(w);
        endPipeline("\n");
        caseStack.push("pattern");
        continue;
      }
      if (cur.keyword === "function" && isBare(w, "{")) {
        endPipeline("\n");
        lead.push("{");
        continue;
      }
      cur.words.push(w);
    }
    endPipeline("");
    return script;
  }

  /** Reads `pat | pat )` of a case clause (noting it in `lead`); true when it consumed something. */
  private readCasePattern(caseStack: ("pattern" | "body")[], lead: string[]): boolean {
    const c = this.src[this.pos];
    if (c === undefined || c === "\n" || c === "#" || c === ";") return false;
    const start = this.pos;
    if (c === "(") this.pos++;
    let first = true;
    let catchAll = false;
    while (this.tick()) {
      this.skipBlanks(false);
      const d = this.src[this.pos];
      if (d === undefined || d === "\n") break;
      if (d === ")") {
        this.pos++;
        caseStack[caseStack.length - 1] = "body";
        lead.push(catchAll ? "pattern*" : "pattern");
        return true;
      }
      if (d === "|") {
        this.pos++;
        continue;
      }
      const w = this.readWord();
      if (!w) {
        this.pos++;
        continue;
      }
      if (first && isBare(w, "esac")) {
        caseStack.pop();
        lead.push("esac");
        return true;
      }
      if (w.raw === "*") catchAll = true;
      first = false;
    }
    return this.pos > start;
  }

  private isEmptyParens(): boolean {
    let p = this.pos + 1;
    while (p < this.len && BLANK.has(this.src[p] as string)) p++;
    if (this.src[p] !== ")") return false;
    this.pos = p + 1;
    return true;
  }

  private readRedirect(cur: Builder, fd: string | undefined): void {
    const line = this.line;
    const s = this.src;
    let op: string;
    const rest3 = s.slice(this.pos, this.pos + 3);
    const rest2 = s.slice(this.pos, this.pos + 2);
    if (rest3 === "<<<" || rest3 === "<<-" || rest3 === "&>>") op = rest3;
    else if (["<<", ">>", ">|", "<>", ">&", "<&", "&>"].includes(rest2)) op = rest2;
    else op = s[this.pos] as string;
    this.pos += op.length;
    if (isEmpty(cur)) cur.line = line;
    const redirect: Redirect = { op, line };
    if (fd !== undefined) redirect.fd = fd;
    cur.redirects.push(redirect);
    this.skipBlanks(false);
    const c = s[this.pos];
    let target: Word | undefined;
    if ((c === "<" || c === ">") && s[this.pos + 1] === "(") {
      const start = this.pos;
      this.pos++;
      const sub = this.readParenSub(start, false);
      target = { raw: s.slice(start, this.pos), line: this.line, parts: [sub] };
    } else {
      target = this.readWord();
    }
    if (!target) {
      this.diag(line, `redirection \`${op}\` has no target`);
      return;
    }
    redirect.target = target;
    if (op === "<<" || op === "<<-") {
      const delimiter = target.parts.map((p) => (p.kind === "lit" ? p.text : p.raw)).join("");
      const quoted = /['"\\]/.test(target.raw);
      this.pending.push({ redirect, delimiter, stripTabs: op === "<<-", quoted });
    }
  }

  /** After a newline: read the bodies of the here-documents started on the line before. */
  private readHereDocs(): void {
    const pending = this.pending;
    this.pending = [];
    for (const h of pending) {
      const startLine = this.line;
      const startPos = this.pos;
      let found = false;
      let bodyEnd = this.pos;
      while (this.tick() && this.pos < this.len) {
        const nl = this.src.indexOf("\n", this.pos);
        const end = nl === -1 ? this.len : nl;
        this.tick(end - this.pos);
        let text = this.src.slice(this.pos, end);
        if (text.endsWith("\r")) text = text.slice(0, -1);
        if (h.stripTabs) text = text.replace(/^\t+/, "");
        if (text === h.delimiter) {
          bodyEnd = this.pos;
          this.pos = nl === -1 ? this.len : nl + 1;
          if (nl !== -1) this.line++;
          found = true;
          break;
        }
        this.pos = nl === -1 ? this.len : nl + 1;
        if (nl !== -1) this.line++;
        bodyEnd = this.pos;
      }
      if (!found) {
        this.diag(h.redirect.line, `here-document is not terminated (no line \`${h.delimiter}\`)`);
        bodyEnd = this.len;
      }
      const text = this.src.slice(startPos, bodyEnd);
      const doc: HereDoc = { delimiter: h.delimiter, quoted: h.quoted, text, line: startLine };
      if (!h.quoted && text.length > 0) {
        if (this.depth + 1 > MAX_DEPTH) {
          this.diag(startLine, "here-document is nested too deeply to read");
        } else {
          const sub = new Reader(text, startLine, this.ctx, this.depth + 1, this.escapes);
          doc.body = sub.readHereDocBody();
        }
      }
      h.redirect.heredoc = doc;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Words

  private skipBlanks(newlines: boolean): void {
    const s = this.src;
    while (this.pos < this.len && this.tick()) {
      const c = s[this.pos] as string;
      if (BLANK.has(c)) {
        this.pos++;
      } else if (c === "\\" && s[this.pos + 1] === "\n") {
        this.pos += 2;
        this.line++;
      } else if (c === "\\" && s[this.pos + 1] === "\r" && s[this.pos + 2] === "\n") {
        this.pos += 3;
        this.line++;
      } else if (newlines && c === "\n") {
        this.pos++;
        this.line++;
      } else {
        break;
      }
    }
  }

  private skipComment(): void {
    const nl = this.src.indexOf("\n", this.pos);
    const end = nl === -1 ? this.len : nl;
    this.tick(end - this.pos);
    this.pos = end;
  }

  /** Length of a `$` that starts an expansion at p (2 for the pipeline escapes `$$` and `\$`), 0 if none. */
  private dollarAt(p: number): number {
    const c = this.src[p];
    if (this.escapes) {
      if (c === "$" && this.src[p + 1] === "$") return 2;
      if (c === "\\" && this.src[p + 1] === "$") return 2;
    }
    return c === "$" ? 1 : 0;
  }

  readWord(): Word | undefined {
    const s = this.src;
    const start = this.pos;
    const line = this.line;
    const parts: Part[] = [];
    let lit = "";
    let array = false;
    const elements: Word[] = [];
    const flush = (): void => {
      if (lit !== "") parts.push({ kind: "lit", text: lit, quote: "none" });
      lit = "";
    };
    while (this.pos < this.len && this.tick()) {
      const c = s[this.pos] as string;
      if (c === "(" && parts.length === 0 && !this.inArray && ARRAY_ASSIGN.test(lit)) {
        // X=(a b c)
        lit += "(";
        this.pos++;
        flush();
        this.inArray = true;
        this.readArrayElements(parts, elements);
        this.inArray = false;
        lit += ")";
        array = true;
        continue;
      }
      if (c === "(" && lit !== "" && "?*+@!".includes(lit[lit.length - 1] as string)) {
        // extglob: @(a|b)
        lit += this.scanBalancedRaw();
        continue;
      }
      if (META.has(c)) break;
      if (c === "\\") {
        const n = s[this.pos + 1];
        if (n === undefined) {
          lit += "\\";
          this.pos++;
          continue;
        }
        if (n === "\n") {
          this.pos += 2;
          this.line++;
          continue;
        }
        if (n === "\r" && s[this.pos + 2] === "\n") {
          this.pos += 3;
          this.line++;
          continue;
        }
        if (this.escapes && n === "$") {
          flush();
          parts.push(this.readDollar(false));
          continue;
        }
        lit += n;
        this.pos += 2;
        continue;
      }
      if (c === "'") {
        flush();
        parts.push(this.readSingle());
        continue;
      }
      if (c === '"') {
        flush();
        this.readDouble(parts);
        continue;
      }
      if (c === "$") {
        const n = s[this.pos + 1];
        if (n === "'") {
          flush();
          parts.push(this.readAnsiC());
          continue;
        }
        if (n === '"') {
          // $"…" (locale string) reads as "…"
          this.pos++;
          flush();
          this.readDouble(parts);
          continue;
        }
        flush();
        parts.push(this.readDollar(false));
        continue;
      }
      if (c === "`") {
        flush();
        parts.push(this.readBacktick(false));
        continue;
      }
      lit += c;
      this.pos++;
    }
    flush();
    if (this.pos === start) return undefined;
    const w: Word = { raw: s.slice(start, this.pos), line, parts };
    if (array) {
      w.array = true;
      w.elements = elements;
    }
    return w;
  }

  private readArrayElements(parts: Part[], elements: Word[]): void {
    const line = this.line;
    while (this.tick()) {
      this.skipBlanks(true);
      const c = this.src[this.pos];
      if (c === undefined) {
        this.diag(line, "array assignment `(` is not closed");
        return;
      }
      if (c === ")") {
        this.pos++;
        return;
      }
      if (c === "#") {
        this.skipComment();
        continue;
      }
      const w = this.readWord();
      if (!w) {
        this.pos++;
        continue;
      }
      parts.push(...w.parts, { kind: "lit", text: " ", quote: "none" });
      elements.push(w);
    }
  }

  /** Raw text of a balanced `( … )` at pos (extglob), quotes respected. */
  private scanBalancedRaw(): string {
    const s = this.src;
    const start = this.pos;
    let depth = 0;
    while (this.pos < this.len && this.tick()) {
      const c = s[this.pos] as string;
      if (c === "\\") {
        this.pos += 2;
        continue;
      }
      if (c === "\n") this.line++;
      if (c === "(") depth++;
      else if (c === ")") {
        depth--;
        if (depth === 0) {
          this.pos++;
          break;
        }
      } else if (c === "'" || c === '"') {
        const q = s.indexOf(c, this.pos + 1);
        const end = q === -1 ? this.len : q;
        this.countLines(this.pos, end);
        this.pos = end;
      }
      this.pos++;
    }
    if (this.pos > this.len) this.pos = this.len;
    return s.slice(start, this.pos);
  }

  private countLines(from: number, to: number): void {
    this.tick(to - from);
    for (let i = from; i < to; i++) if (this.src.charCodeAt(i) === 10) this.line++;
  }

  private unescapeSingle(text: string): string {
    return this.escapes ? text.replace(/\$\$|\\\$/g, "$") : text;
  }

  private readSingle(): LitPart {
    const line = this.line;
    const close = this.src.indexOf("'", this.pos + 1);
    const end = close === -1 ? this.len : close;
    const text = this.src.slice(this.pos + 1, end);
    this.countLines(this.pos + 1, end);
    if (close === -1) {
      this.diag(line, "single quote is not closed");
      this.pos = this.len;
    } else {
      this.pos = close + 1;
    }
    const part: LitPart = { kind: "lit", text: this.unescapeSingle(text), quote: "single" };
    if (this.escapes && text.includes("$")) {
      const uploaded: { name: string; raw: string }[] = [];
      for (const m of text.matchAll(UPLOAD_REF)) {
        if (!this.tick()) break;
        const name = m[1] ?? m[2];
        if (name !== undefined && uploaded.length < MAX_UPLOADED) uploaded.push({ name, raw: m[0] });
      }
      if (uploaded.length > 0) part.uploaded = uploaded;
    }
    return part;
  }

  private readAnsiC(): LitPart {
    const s = this.src;
    const line = this.line;
    this.pos += 2;
    let text = "";
    const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", e: "\x1b", f: "\f", v: "\v" };
    while (this.tick()) {
      const c = s[this.pos];
      if (c === undefined) {
        this.diag(line, "`$'` string is not closed");
        break;
      }
      if (c === "'") {
        this.pos++;
        break;
      }
      if (c === "\\" && this.pos + 1 < this.len) {
        const n = s[this.pos + 1] as string;
        if (n === "\n") this.line++;
        text += map[n] ?? "\\" + n;
        this.pos += 2;
        continue;
      }
      if (c === "\n") this.line++;
      text += c;
      this.pos++;
    }
    return { kind: "lit", text, quote: "single" };
  }

  private readDouble(parts: Part[]): void {
    const line = this.line;
    this.pos++;
    const closed = this.readDoubleContent(parts, '"');
    if (!closed) this.diag(line, "double quote is not closed");
  }

  /** Reads double-quoted content up to `end` (or the end of the text); true when `end` was found. */
  private readDoubleContent(parts: Part[], end: string | undefined): boolean {
    const s = this.src;
    let lit = "";
    let any = false;
    const flush = (force: boolean): void => {
      if (lit !== "" || force) parts.push({ kind: "lit", text: lit, quote: "double" });
      if (lit !== "") any = true;
      lit = "";
    };
    let closed = false;
    while (this.tick()) {
      const c = s[this.pos];
      if (c === undefined) break;
      if (end !== undefined && c === end) {
        this.pos++;
        closed = true;
        break;
      }
      if (c === "\\") {
        const n = s[this.pos + 1];
        if (n === "\n") {
          this.pos += 2;
          this.line++;
          continue;
        }
        if (this.escapes && n === "$") {
          flush(false);
          parts.push(this.readDollar(true));
          any = true;
          continue;
        }
        if (n !== undefined && (n === "$" || n === "`" || n === "\\" || (end !== undefined && n === end))) {
          lit += n;
          this.pos += 2;
          continue;
        }
        lit += "\\";
        this.pos++;
        continue;
      }
      if (c === "$") {
        flush(false);
        parts.push(this.readDollar(true));
        any = true;
        continue;
      }
      if (c === "`") {
        flush(false);
        parts.push(this.readBacktick(true));
        any = true;
        continue;
      }
      if (c === "\n") this.line++;
      lit += c;
      this.pos++;
    }
    // an empty "" is still a (literal, empty) part
    flush(!any && lit === "");
    return closed;
  }

  /** At a `$` (or a pipeline-escaped `$$` / `\$`): reads the expansion. */
  private readDollar(quoted: boolean): Part {
    const s = this.src;
    const start = this.pos;
    const line = this.line;
    const dl = this.dollarAt(this.pos) || 1;
    this.pos += dl;
    const c = s[this.pos];
    if (c === "(") {
      if (s[this.pos + 1] === "(") {
        this.skipArithmetic(this.pos, 2);
        return { kind: "arith", raw: s.slice(start, this.pos) };
      }
      return this.readParenSub(start, quoted);
    }
    if (c === "{") return this.readBraced(start, line, quoted);
    const inner = this.dollarAt(this.pos);
    if (inner > 0) {
      // `$$` (the PID), or `$$$$` with pipeline escapes
      this.pos += inner;
      return { kind: "param", name: "$", prefix: "", op: "", raw: s.slice(start, this.pos), quoted };
    }
    if (c !== undefined && /[A-Za-z_]/.test(c)) {
      let p = this.pos + 1;
      while (p < this.len && /[A-Za-z0-9_]/.test(s[p] as string)) p++;
      this.tick(p - this.pos);
      const name = s.slice(this.pos, p);
      this.pos = p;
      return { kind: "param", name, prefix: "", op: "", raw: s.slice(start, this.pos), quoted };
    }
    if (c !== undefined && /[0-9@*#?!-]/.test(c)) {
      this.pos++;
      return { kind: "param", name: c, prefix: "", op: "", raw: s.slice(start, this.pos), quoted };
    }
    return { kind: "lit", text: "$", quote: quoted ? "double" : "none" };
  }

  /** `$(` at pos-1 … `)`: a command substitution (also `<(`/`>(`). pos is at `(`. */
  private readParenSub(start: number, quoted: boolean): SubPart {
    const line = this.line;
    this.pos++;
    let script: Script = { pipelines: [] };
    if (this.depth + 1 > MAX_DEPTH) {
      this.diag(line, "command substitution is nested too deeply to read");
      this.pos--;
      this.scanBalancedRaw();
      return { kind: "sub", script, raw: this.src.slice(start, this.pos), quoted, line };
    }
    this.depth++;
    const inArray = this.inArray;
    this.inArray = false;
    script = this.parseList(true);
    this.inArray = inArray;
    this.depth--;
    if (this.src[this.pos] === ")") {
      this.pos++;
    } else if (!this.ctx.aborted) {
      this.diag(line, "command substitution `$(` is not closed");
    }
    return { kind: "sub", script, raw: this.src.slice(start, this.pos), quoted, line };
  }

  /** `$((…))` or `((…))`: skips to the matching parentheses. */
  private skipArithmetic(at: number, opening: number): void {
    const line = this.line;
    this.pos = at + opening;
    let depth = opening;
    while (this.pos < this.len && this.tick()) {
      const c = this.src[this.pos];
      if (c === "(") depth++;
      else if (c === ")") {
        depth--;
        if (depth === 0) {
          this.pos++;
          return;
        }
      } else if (c === "\n") this.line++;
      this.pos++;
    }
    if (!this.ctx.aborted) this.diag(line, "arithmetic `((` is not closed");
  }

  private readBraced(start: number, line: number, quoted: boolean): ParamPart {
    const s = this.src;
    this.pos++; // {
    let prefix = "";
    const first = s[this.pos];
    if ((first === "#" || first === "!") && s[this.pos + 1] !== "}" && s[this.pos + 1] !== undefined) {
      prefix = first;
      this.pos++;
    }
    let name = "";
    const m = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])/.exec(s.slice(this.pos, this.pos + 256));
    if (m) {
      name = m[0];
      this.pos += name.length;
    }
    if (s[this.pos] === "[") {
      const close = s.indexOf("]", this.pos);
      if (close !== -1 && close - this.pos < 256) {
        name += s.slice(this.pos, close + 1);
        this.countLines(this.pos, close + 1);
        this.pos = close + 1;
      }
    }
    let op = "";
    const om = /^(?::-|:=|:\?|:\+|##|%%|\/\/|\/#|\/%|\^\^|,,|[-=?+#%/^,:@])/.exec(s.slice(this.pos, this.pos + 2));
    if (om) {
      op = om[0];
      this.pos += op.length;
    }
    let arg: Word | undefined;
    if (op !== "" || s[this.pos] !== "}") {
      if (this.depth + 1 > MAX_DEPTH) {
        this.diag(line, "parameter expansion is nested too deeply to read");
        this.skipToBrace();
      } else {
        this.depth++;
        arg = this.readBraceArg();
        this.depth--;
      }
    }
    if (s[this.pos] === "}") {
      this.pos++;
    } else if (!this.ctx.aborted) {
      this.diag(line, "parameter expansion `${` is not closed");
    }
    const part: ParamPart = { kind: "param", name, prefix, op, raw: s.slice(start, this.pos), quoted };
    if (arg) part.arg = arg;
    return part;
  }

  /** Skips to the `}` that closes the current `${` (nested braces counted, quotes ignored). */
  private skipToBrace(): void {
    let depth = 0;
    while (this.pos < this.len && this.tick()) {
      const c = this.src[this.pos];
      if (c === "\\") {
        if (this.src[this.pos + 1] === "\n") this.line++;
        this.pos += 2;
        continue;
      }
      if (c === "{") depth++;
      else if (c === "}") {
        if (depth === 0) return;
        depth--;
      } else if (c === "\n") this.line++;
      this.pos++;
    }
    if (this.pos > this.len) this.pos = this.len;
  }

  /** The word after the operator in `${X:-word}`, up to the closing `}`. */
  private readBraceArg(): Word {
    const s = this.src;
    const start = this.pos;
    const line = this.line;
    const parts: Part[] = [];
    let lit = "";
    const flush = (): void => {
      if (lit !== "") parts.push({ kind: "lit", text: lit, quote: "none" });
      lit = "";
    };
    while (this.tick()) {
      const c = s[this.pos];
      if (c === undefined || c === "}") break;
      if (c === "\\") {
        const n = s[this.pos + 1];
        if (n === "\n") {
          this.pos += 2;
          this.line++;
          continue;
        }
        if (this.escapes && n === "$") {
          flush();
          parts.push(this.readDollar(false));
          continue;
        }
        if (n !== undefined) lit += n;
        this.pos += n === undefined ? 1 : 2;
        continue;
      }
      if (c === "'") {
        flush();
        parts.push(this.readSingle());
        continue;
      }
      if (c === '"') {
        flush();
        this.readDouble(parts);
        continue;
      }
      if (c === "$") {
        flush();
        parts.push(this.readDollar(false));
        continue;
      }
      if (c === "`") {
        flush();
        parts.push(this.readBacktick(false));
        continue;
      }
      if (c === "\n") this.line++;
      lit += c;
      this.pos++;
    }
    flush();
    return { raw: s.slice(start, this.pos), line, parts };
  }

  private readBacktick(quoted: boolean): SubPart {
    const s = this.src;
    const start = this.pos;
    const line = this.line;
    this.pos++;
    let inner = "";
    let closed = false;
    while (this.tick()) {
      const c = s[this.pos];
      if (c === undefined) break;
      if (c === "`") {
        this.pos++;
        closed = true;
        break;
      }
      if (c === "\\") {
        const n = s[this.pos + 1];
        if (n === "`" || n === "\\" || (n === "$" && !this.escapes) || (quoted && n === '"')) {
          inner += n;
          this.pos += 2;
          continue;
        }
        if (n === "\n") this.line++;
        inner += n === undefined ? "\\" : "\\" + n;
        this.pos += n === undefined ? 1 : 2;
        continue;
      }
      if (c === "\n") this.line++;
      inner += c;
      this.pos++;
    }
    if (!closed) this.diag(line, "backtick command substitution is not closed");
    let script: Script = { pipelines: [] };
    if (this.depth + 1 > MAX_DEPTH) {
      this.diag(line, "command substitution is nested too deeply to read");
    } else {
      const sub = new Reader(inner, line, this.ctx, this.depth + 1, this.escapes);
      script = sub.readScript();
    }
    return { kind: "sub", script, raw: s.slice(start, this.pos), quoted, line };
  }
}
