/**
 * Reads a shell script (a script file, or the inline commands of a pipeline step) into ShellFacts:
 * OIDC token requests, `az login`s and `azd auth login`s, client-secret uses, places a token is
 * written to, role assignments, assignments, script calls and pipeline uploads, each with the line
 * where its command starts. Facts only, and no secret value is ever recorded. The only evaluation is of the
 * values variables may hold (values.ts), so that an unquoted `$FLAGS` or `"${ARGS[@]}"` reads as
 * the words it splits into: a command whose arguments may take several forms gives one fact per form.
 *
 * Pure: no I/O, never throws, bounded work (an operation budget proportional to the text). What it
 * cannot understand is reported as a Diagnostic with its line.
 */
import { ARTIFACT_UPLOAD_VALUES, AZ_LOGIN_VALUES, AZ_ROLE_VALUES, AZD_LOGIN_VALUES, azdLoginMethod, azdLoginStart, CLIENT_SECRET_ENV, META_DATA_VALUES, PIPELINE_UPLOAD_VALUES, REQUEST_TOKEN_VALUES, SECRET_GET_VALUES, SECRET_NAME, SHELLS } from "../cli-vocabulary.ts";
import { emptyShellFacts, lastLineOf, tidyFacts } from "../script-facts.ts";
import type {
  AzLogin,
  AzLoginMethod,
  ClientSecretUse,
  Diagnostic,
  RoleAssignmentCommand,
  ShellFacts,
  TokenRequest,
  TokenSink,
  ValueRef,
} from "../../model/repo.ts";
import { globMatch, MAX_GLOB_LENGTH } from "./glob.ts";
import { LexContext, looseText, MAX_DEPTH, Reader, staticText, type Command, type ParamPart, type Part, type Script, type Word } from "./lexer.ts";
import { valueRefOfWord } from "./value-ref.ts";
import { ShellValues } from "./values.ts";

export { parseValueRef, type ParseValueOptions } from "./value-ref.ts";

export interface ReadShellOptions {
  /** The line of the text's first line (inline commands of a pipeline step start at the step's line). Default 1. */
  firstLine?: number;
  /** The text comes from pipeline YAML, where `$$` (and `\$`) stand for a `$` the shell sees. */
  pipelineEscapes?: boolean;
}

export interface ReadShellResult {
  facts: ShellFacts;
  diagnostics: Diagnostic[];
}

/** Argument lists one command is read in (one per way its expansions may split); beyond, a diagnostic. */
export const MAX_FORMS = 16;

/** Operations allowed per character of input (plus a constant): reading stops with a diagnostic beyond. */
export const OPS_PER_CHAR = 200;
export const OPS_BASE = 20_000;

/**
 * Reads a shell script. `file` is only copied into the facts. See the module comment.
 *
 * `pipelineUploads[].path` is "" when `pipeline upload` names no file and reads no input (the
 * caller resolves the default file), and "-" when the pipeline comes from standard input (a pipe or
 * a here-document).
 */
export function readShell(text: string, file: string, opts: ReadShellOptions = {}): ReadShellResult {
  const { facts, diagnostics } = readShellCounted(text, file, opts);
  return { facts, diagnostics };
}

/** readShell, also returning how many operations it spent (for tests of its bound). */
export function readShellCounted(text: string, file: string, opts: ReadShellOptions = {}): ReadShellResult & { operations: number } {
  const src = typeof text === "string" ? text : "";
  const firstLine = typeof opts.firstLine === "number" && Number.isSafeInteger(opts.firstLine) && opts.firstLine >= 1 ? opts.firstLine : 1;
  const ctx = new LexContext(typeof file === "string" ? file : "", OPS_PER_CHAR * src.length + OPS_BASE);
  const lastLine = lastLineOf(src, firstLine);
  let facts: ShellFacts = emptyShellFacts();
  try {
    const reader = new Reader(src, firstLine, ctx, 0, opts.pipelineEscapes === true);
    const script = reader.readScript();
    const ex = new Extractor(ctx, opts.pipelineEscapes === true, OPS_PER_CHAR * src.length + OPS_BASE);
    facts = ex.run(script);
  } catch (e) {
    // a bug, not a property of the input: report it rather than throw
    ctx.diagnostics.push({ file: ctx.file, line: firstLine, message: `internal error while reading the script: ${e instanceof Error ? e.message : String(e)}` });
  }
  return { ...tidyFacts(facts, ctx.diagnostics, firstLine, lastLine), operations: ctx.ops };
}


// ---------------------------------------------------------------------------------------------
// Vocabulary

const ENV_FILE_VAR = /^(BUILDKITE_ENV_FILE|BUILDKITE_ENV_JSON_FILE|GITHUB_ENV|GITHUB_OUTPUT|GITHUB_STATE)$|_ENV_FILE$/;
const NOT_A_FILE = /^\/dev\/(null|stdout|stderr|tty|fd\/[0-9]+)$|^\/proc\/self\/fd\//;
const SUBJECT_CLAIM_ENV = "BUILDKITE_OIDC_TOKEN_SUBJECT_CLAIM";

/** Commands that only test their arguments (`:` is the `: "${X:?missing}"` check). */
const CHECK_COMMANDS = new Set(["[", "test", ":"]);

/** False for expansions that do not give the variable's value: `${#X}`, `${!X}`, `${X:+word}`. */
function expandsValue(p: ParamPart): boolean {
  return p.prefix === "" && p.op !== ":+" && p.op !== "+";
}

/** Commands whose output carries what their arguments carry. */
const EMITTERS = new Set(["echo", "printf", "print", "jq"]);
/** Commands whose output carries what their input carries. */
const PASS_THROUGH = new Set(["cat", "tr", "base64", "sed", "awk", "gawk", "jq", "cut", "head", "tail", "tee", "grep", "gzip", "openssl", "xxd", "sort", "uniq", "fold", "rev", "dd", "envsubst"]);
const DECLARATIONS = new Set(["export", "local", "declare", "typeset", "readonly"]);


// ---------------------------------------------------------------------------------------------
// Commands, with wrappers (`sudo`, `env`, `exec`, …) and declarations (`export`, `local`, …) read

interface Assign {
  name: string;
  value: Word;
  word: Word;
  kind: "standalone" | "prefix" | "decl" | "env";
  /** `X+=…` appends to X. */
  append: boolean;
}

interface Analysed {
  assigns: Assign[];
  /** `export X` (no value). */
  exportNames: string[];
  /** The command's words after wrappers; empty for declarations and compound-command headers. */
  argv: Word[];
  /** Base name of argv[0] when it is static, else "". */
  name: string;
  /** Original word → the variable it assigns. */
  assignOf: Map<Word, string>;
  /** A script the command runs from a file. */
  scriptPath?: string;
  /** Shell text the command runs (`bash -c '…'`, `eval '…'`, `bash <<EOF`). */
  inline?: { text: string; line: number; escapes: boolean };
}

interface Parent {
  site: Site;
  word: Word;
  role: "assign" | "arg" | "redirect" | "heredoc" | "inline";
  assignName?: string;
}

interface Site {
  /** Whether the command's output reaches the end of its pipeline (computed once per pipeline). */
  flows?: boolean;
  cmd: Command;
  a: Analysed;
  pipe: Site[];
  index: number;
  parent?: Parent;
  depth: number;
  escapes: boolean;
}

interface Flag {
  name: string;
  value?: Word;
  word: Word;
}

/** One argument list a command may run with, and its command's base name ("" when not static). */
interface Form {
  argv: Word[];
  name: string;
}

interface FlagRead {
  flags: Flag[];
  positionals: Word[];
}

type Dest = { kind: "file" | "environment-file" | "meta-data"; target: string };

function basename(t: string): string {
  const i = t.lastIndexOf("/");
  return i === -1 ? t : t.slice(i + 1);
}

const ASSIGN_RE = /^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?(\+?)=/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The rest of a word after its leading unquoted text `head` (`--name=`, `NAME=`, `-p`), as a word.
 * `head` must also begin the word as written.
 */
function wordAfter(w: Word, headLength: number): Word | undefined {
  const first = w.parts[0];
  if (!first || first.kind !== "lit" || first.quote !== "none" || first.text.length < headLength) return undefined;
  const head = first.text.slice(0, headLength);
  if (!w.raw.startsWith(head)) return undefined;
  const rest = first.text.slice(headLength);
  const parts: Part[] = rest === "" ? [] : [{ kind: "lit", text: rest, quote: "none" }];
  parts.push(...w.parts.slice(1));
  const out: Word = { raw: w.raw.slice(headLength), line: w.line, parts };
  if (w.array) out.array = true;
  if (w.elements) out.elements = w.elements;
  return out;
}

function splitAssign(w: Word): { name: string; value: Word; append: boolean } | undefined {
  const first = w.parts[0];
  if (!first || first.kind !== "lit" || first.quote !== "none") return undefined;
  const m = ASSIGN_RE.exec(first.text);
  if (!m || !ASSIGN_RE.test(w.raw)) return undefined;
  const value = wordAfter(w, m[0].length);
  if (!value) return undefined;
  return { name: m[1] as string, value, append: m[3] === "+" };
}

/** The words of `args` that are a bare expansion which may stand for several arguments (`$ARGS`, `"$@"`). */
function isSplat(w: Word): boolean {
  let param = false;
  for (const p of w.parts) {
    if (p.kind === "lit" && p.text === "") continue;
    if (p.kind !== "param" && p.kind !== "sub") return false;
    if (p.kind === "sub") {
      if (p.quoted) return false;
      param = true;
      continue;
    }
    if (!p.quoted || p.name === "@" || p.name === "*" || /\[[@*]\]$/.test(p.name)) param = true;
    else return false;
  }
  return param;
}

function analyse(cmd: Command, escapes: boolean, diag: (line: number, msg: string) => void): Analysed {
  const a: Analysed = { assigns: [], exportNames: [], argv: [], name: "", assignOf: new Map() };
  const addAssign = (w: Word, kind: Assign["kind"]): boolean => {
    const sp = splitAssign(w);
    if (!sp) return false;
    a.assigns.push({ name: sp.name, value: sp.value, word: w, kind, append: sp.append });
    a.assignOf.set(w, sp.name);
    return true;
  };
  for (const w of cmd.assigns) addAssign(w, cmd.words.length === 0 && cmd.keyword === undefined ? "standalone" : "prefix");
  if (cmd.keyword !== undefined) return a;

  const words = cmd.words;
  const n = words.length;
  let i = 0;
  const opt = (k: number): string | undefined => {
    const w = words[k];
    return w === undefined ? undefined : staticText(w);
  };
  // wrappers: each pass consumes at least one word
  while (i < n) {
    const t = opt(i);
    if (t === undefined) break;
    const base = basename(t);
    if (base === "sudo") {
      i++;
      while (i < n) {
        const o = opt(i);
        if (o === undefined) break;
        if (o === "--") {
          i++;
          break;
        }
        if (o.startsWith("-")) {
          i += /^-[ugCDprtUh]$/.test(o) ? 2 : 1;
          continue;
        }
        if (addAssign(words[i] as Word, "env")) {
          i++;
          continue;
        }
        break;
      }
      continue;
    }
    if (base === "env") {
      i++;
      while (i < n) {
        const w = words[i] as Word;
        if (addAssign(w, "env")) {
          i++;
          continue;
        }
        const o = staticText(w);
        if (o === undefined || !o.startsWith("-")) break;
        if (o === "--") {
          i++;
          break;
        }
        i += o === "-u" || o === "-C" || o === "-S" ? 2 : 1;
      }
      continue;
    }
    if (base === "command" || base === "builtin") {
      i++;
      if (opt(i) === "-v" || opt(i) === "-V") return a; // a lookup, not a run
      if (opt(i) === "-p") i++;
      continue;
    }
    if (base === "exec") {
      i++;
      while (i < n && /^-[cl]+$|^-a$/.test(opt(i) ?? "")) i += opt(i) === "-a" ? 2 : 1;
      continue;
    }
    if (base === "nohup" || base === "time") {
      i++;
      if (base === "time" && opt(i) === "-p") i++;
      continue;
    }
    if (base === "nice" || base === "ionice") {
      i++;
      while (i < n && (opt(i) ?? "").startsWith("-")) i += /^-[nct]$/.test(opt(i) ?? "") ? 2 : 1;
      continue;
    }
    if (base === "timeout") {
      i++;
      while (i < n && (opt(i) ?? "").startsWith("-")) i += /^-[sk]$/.test(opt(i) ?? "") ? 2 : 1;
      i++; // the duration
      continue;
    }
    if (base === "stdbuf") {
      i++;
      while (i < n && (opt(i) ?? "").startsWith("-")) i += /^-[ioe]$/.test(opt(i) ?? "") ? 2 : 1;
      continue;
    }
    break;
  }
  if (i >= n) return a;

  const head = opt(i);
  if (head !== undefined && DECLARATIONS.has(head)) {
    a.name = head;
    let exported = head === "export";
    for (let k = i + 1; k < n; k++) {
      const w = words[k] as Word;
      const t = staticText(w);
      if (t !== undefined && (t.startsWith("-") || t.startsWith("+"))) {
        if (/^-[a-zA-Z]*x/.test(t)) exported = true;
        continue;
      }
      if (addAssign(w, "decl")) continue;
      if (t !== undefined && IDENT_RE.test(t) && exported) a.exportNames.push(t);
    }
    return a;
  }

  a.argv = words.slice(i);
  a.name = head === undefined ? "" : basename(head);
  const argv = a.argv;

  const inlineFrom = (w: Word | undefined, what: string, report: boolean): void => {
    if (!w) return;
    const t = staticText(w);
    if (t !== undefined) {
      a.inline = { text: t, line: w.line, escapes: false };
    } else if (w.parts.every((p) => p.kind !== "lit" || p.text.trim() === "")) {
      if (report) diag(cmd.line, `${what}: the command string \`${w.raw.slice(0, 80)}\` is built at run time; its commands are not read`);
    } else if (w.raw.length >= 2 && w.raw.startsWith('"') && w.raw.endsWith('"')) {
      a.inline = { text: w.raw.slice(1, -1), line: w.line, escapes };
    } else if (report) {
      diag(cmd.line, `${what}: the command string \`${w.raw.slice(0, 80)}\` is built at run time; its commands are not read`);
    }
  };

  if (SHELLS.has(a.name)) {
    let k = 1;
    let hasC = false;
    let stdin = false;
    while (k < argv.length) {
      const t = staticText(argv[k] as Word);
      if (t === undefined) break;
      if (t === "--") {
        k++;
        break;
      }
      if (t === "--rcfile" || t === "--init-file") {
        k += 2;
        continue;
      }
      if (t.startsWith("--")) {
        k++;
        continue;
      }
      if (/^[-+][A-Za-z]+$/.test(t)) {
        if (t.startsWith("-") && t.includes("c")) hasC = true;
        if (t.startsWith("-") && t.includes("s")) stdin = true;
        k += /[oO]/.test(t) ? 2 : 1;
        continue;
      }
      break;
    }
    if (hasC) {
      inlineFrom(argv[k], `${a.name} -c`, true);
    } else if (!stdin && argv[k] !== undefined) {
      a.scriptPath = scriptPathText(argv[k] as Word);
    } else {
      for (const r of cmd.redirects) {
        if (r.heredoc) a.inline = { text: r.heredoc.text, line: r.heredoc.line, escapes };
        else if (r.op === "<<<") inlineFrom(r.target, `${a.name} <<<`, false);
      }
    }
  } else if (a.name === "eval") {
    if (argv.length === 2) inlineFrom(argv[1], "eval", false);
  } else if ((a.name === "source" || a.name === ".") && argv[1] !== undefined && head !== undefined && !head.includes("/")) {
    a.scriptPath = scriptPathText(argv[1]);
  } else if (argv[0] !== undefined) {
    const path = scriptPathText(argv[0]);
    if (path.includes("/") && !path.startsWith("/") && !path.startsWith("~") && !/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) a.scriptPath = path;
  }
  return a;
}

/** `a\b\c.sh` as written: plain names joined by unquoted backslashes, nothing else. */
const WINDOWS_PATH = /^[A-Za-z0-9_.-]+(?:\\[A-Za-z0-9_.-]+)+$/;

/**
 * The path a script-call word names, as written. A Windows agent runs a step's command with
 * cmd.exe, where `.buildkite\steps\tests.sh` separates directories (the shell would drop the
 * backslashes): such a word, and only such a word, is read with `/` separators.
 */
function scriptPathText(w: Word): string {
  return WINDOWS_PATH.test(w.raw) ? w.raw.replace(/\\/g, "/") : looseText(w);
}

/** Flags and positional arguments of argv from `start`. Long flags may be written `--name=value`. */
function readFlags(argv: Word[], start: number, values: Set<string>, singleDashLong: boolean): FlagRead & { missing: string[]; splats: Word[] } {
  const out: FlagRead & { missing: string[]; splats: Word[] } = { flags: [], positionals: [], missing: [], splats: [] };
  let rest = false;
  for (let i = start; i < argv.length; i++) {
    const w = argv[i] as Word;
    const first = w.parts[0];
    const head = first && first.kind === "lit" && first.quote === "none" ? first.text : undefined;
    if (rest || head === undefined || !head.startsWith("-") || head === "-") {
      if (isSplat(w)) out.splats.push(w);
      else out.positionals.push(w);
      continue;
    }
    if (head === "--" && w.parts.length === 1) {
      rest = true;
      continue;
    }
    const eq = head.indexOf("=");
    let name = eq === -1 ? (staticText(w) ?? head) : head.slice(0, eq);
    if (singleDashLong && /^-[a-z][a-z0-9-]+$/.test(name)) name = "-" + name;
    if (!singleDashLong && eq === -1 && /^-[A-Za-z]/.test(head) && (head.length > 2 || w.parts.length > 1) && values.has(head.slice(0, 2))) {
      // a short flag with its value attached: `-p"$SECRET"`
      const value = wordAfter(w, 2);
      out.flags.push(value ? { name: head.slice(0, 2), value, word: w } : { name: head.slice(0, 2), word: w });
      continue;
    }
    if (eq !== -1) {
      const value = wordAfter(w, eq + 1);
      out.flags.push(value ? { name, value, word: w } : { name, word: w });
      continue;
    }
    if (values.has(name)) {
      const value = argv[i + 1];
      if (value === undefined) {
        out.missing.push(name);
        out.flags.push({ name, word: w });
      } else {
        out.flags.push({ name, value, word: w });
        i++;
      }
      continue;
    }
    out.flags.push({ name, word: w });
  }
  return out;
}

/** The Azure Developer CLI, also as `azd.exe` (Git Bash on Windows). */
function isAzd(name: string): boolean {
  return name === "azd" || name === "azd.exe";
}

function flagValue(fr: FlagRead, ...names: string[]): Flag | undefined {
  let found: Flag | undefined;
  for (const f of fr.flags) if (names.includes(f.name) && f.value) found = f; // the last one wins
  return found;
}

function hasFlag(fr: FlagRead, ...names: string[]): boolean {
  return fr.flags.some((f) => names.includes(f.name));
}

// ---------------------------------------------------------------------------------------------

class Extractor {
  private readonly sites: Site[] = [];
  private readonly siteOf = new Map<Command, Site>();
  private readonly facts: ShellFacts = emptyShellFacts();
  private readonly varOrigins = new Map<string, Map<string, string>>();
  private readonly requestSites = new Set<Site>();
  /** One request per argument list the command may run with. */
  private readonly requests = new Map<Site, TokenRequest[]>();
  private values: ShellValues | undefined;
  private readonly secretGets = new Map<Site, { id: string; names: Word[] }>();
  private readonly logins: { site: Site; login: AzLogin; passwordWord?: Word; passwordFlag?: string }[] = [];
  private readonly fileSinks: TokenSink[] = [];
  private readonly literalValues = new Map<string, string>();
  private readonly lastValue = new Map<string, ValueRef>();
  private readonly secretById = new Map<string, { id: string; names: Word[] }>();
  /** Everything assigned to each variable, as written (for commands built in variables). */
  private readonly assignedRaw = new Map<string, string>();
  private spent = 0;
  private stopped = false;

  constructor(
    private readonly ctx: LexContext,
    private readonly escapes: boolean,
    private readonly limit: number,
  ) {}

  /** Counts work; false once extraction's own budget is spent (and says so once). */
  private tick(line: number, n = 1): boolean {
    this.ctx.ops += n;
    this.spent += n;
    if (this.spent <= this.limit) return true;
    if (!this.stopped) {
      this.stopped = true;
      this.diag(line, "reading stopped: the script is too complex to analyse within the operation budget");
    }
    return false;
  }

  private diag(line: number, message: string): void {
    this.ctx.diag(line, message);
  }

  run(script: Script): ShellFacts {
    this.walkScript(script, undefined, 0, this.escapes);
    // values variables may hold where each command runs (a small share of the budget)
    const values = new ShellValues(Math.floor(this.limit / 40), (n) => {
      this.ctx.ops += n;
    });
    values.run(script, (cmd) => this.siteOf.get(cmd)?.a);
    this.values = values;
    this.evalValues();
    if (this.escapes) this.uploadTimeInterpolation();
    for (const s of this.sites) for (const as of s.a.assigns) this.assignedRaw.set(as.name, (this.assignedRaw.get(as.name) ?? "") + " " + as.value.raw.slice(0, 4096));
    for (const s of this.sites) this.classify(s);
    this.propagate();
    for (const s of this.sites) this.sinks(s);
    this.artifactSinks();
    this.requestFacts();
    this.secretFacts();
    return this.facts;
  }

  // -- walking ---------------------------------------------------------------------------------

  private walkScript(script: Script, parent: Parent | undefined, depth: number, escapes: boolean): void {
    for (const pl of script.pipelines) {
      const pipe: Site[] = [];
      for (let i = 0; i < pl.commands.length; i++) {
        const cmd = pl.commands[i] as Command;
        this.tick(cmd.line);
        const site: Site = { cmd, a: analyse(cmd, escapes, (l, m) => this.diag(l, m)), pipe, index: i, depth, escapes };
        if (parent) site.parent = parent;
        pipe.push(site);
        this.sites.push(site);
        this.siteOf.set(cmd, site);
      }
      for (const site of pipe) this.walkNested(site);
    }
  }

  private walkNested(site: Site): void {
    const { cmd, a } = site;
    const visit = (w: Word, role: Parent["role"]): void => {
      const assignName = a.assignOf.get(w);
      const parent: Parent = assignName !== undefined ? { site, word: w, role: "assign", assignName } : { site, word: w, role };
      this.visitSubs(w.parts, parent, site.depth);
    };
    for (const w of cmd.assigns) visit(w, "arg");
    for (const w of cmd.words) visit(w, "arg");
    for (const r of cmd.redirects) {
      if (r.target) visit(r.target, "redirect");
      if (r.heredoc?.body) visit(r.heredoc.body, "heredoc");
    }
    if (a.inline) {
      if (site.depth + 1 > MAX_DEPTH) {
        this.diag(cmd.line, "a shell command string is nested too deeply to read");
        return;
      }
      const reader = new Reader(a.inline.text, a.inline.line, this.ctx, site.depth + 1, a.inline.escapes);
      const inner = reader.readScript();
      const word = cmd.words[0] ?? { raw: "", line: cmd.line, parts: [] };
      this.walkScript(inner, { site, word, role: "inline" }, site.depth + 1, a.inline.escapes);
    }
  }

  /**
   * `eval "$CMD"` where CMD holds known text (which may keep references, `… -p $SECRET`): each text
   * it may run is read as shell text at the eval's line. Values not known stay unread, silently
   * (as for `eval` of a command substitution).
   */
  private evalValues(): void {
    const vals = this.values;
    if (!vals) return;
    // sites read here are appended, and their own evals are read in turn (bounded by depth)
    for (let i = 0; i < this.sites.length && !this.stopped; i++) {
      const site = this.sites[i] as Site;
      const argv = site.a.argv;
      if (site.a.name !== "eval" || site.a.inline || argv.length < 2) continue;
      const seq = this.seqFor(site);
      if (seq === undefined) continue;
      let texts: string[] = [""];
      for (const w of argv.slice(1)) {
        const alts = vals.fields(w, seq);
        if (!alts) {
          texts = [];
          break;
        }
        const next = new Set<string>();
        for (const t of texts) for (const fields of alts) next.add([t, ...fields.map((f) => f.raw)].filter((x) => x !== "").join(" "));
        if (next.size > MAX_FORMS) {
          this.diag(site.cmd.line, `eval: the text it runs may take more than ${MAX_FORMS} forms; its commands are not read`);
          texts = [];
          break;
        }
        texts = [...next];
      }
      for (const text of texts) {
        if (!this.tick(site.cmd.line, text.length + 1)) return;
        if (site.depth + 1 > MAX_DEPTH) {
          this.diag(site.cmd.line, "a shell command string is nested too deeply to read");
          break;
        }
        const inner = new Reader(text, site.cmd.line, this.ctx, site.depth + 1, false).readScript();
        this.walkScript(inner, { site, word: argv[0] as Word, role: "inline" }, site.depth + 1, false);
      }
    }
  }

  private visitSubs(parts: Part[], parent: Parent, depth: number): void {
    for (const p of parts) {
      this.tick(parent.site.cmd.line);
      if (p.kind === "sub") this.walkScript(p.script, parent, depth + 1, parent.site.escapes);
      else if (p.kind === "param" && p.arg) this.visitSubs(p.arg.parts, parent, depth + 1);
    }
  }

  /**
   * In pipeline YAML, `$X` (not `$$X`) is replaced when the pipeline is uploaded, not when the step
   * runs: a variable the commands themselves set is then empty. Recorded as a fact (a rule judges
   * it): the text is still read in full, so it is no coverage gap.
   */
  private uploadTimeInterpolation(): void {
    // Only a reference after the commands have set the variable reads their value: before it (or
    // in its own assignment, `X="${X:-default}"`) it reads the build's environment, which is what
    // interpolation at upload gives too.
    const assigned = new Set<string>();
    const persists = this.persistingSites();
    for (const s of this.sites) {
      if (s.escapes && assigned.size > 0) {
        const seen = new Set<string>();
        const found = (p: { name: string; raw: string }): void => {
          if (!assigned.has(p.name) || p.raw.startsWith("$$") || p.raw.startsWith("\\$") || seen.has(p.name)) return;
          seen.add(p.name);
          this.facts.uploadInterpolations.push({ file: this.ctx.file, line: s.cmd.line, name: p.name, raw: p.raw });
        };
        this.forParams(s.cmd, found, found);
      }
      if (!persists.has(s)) continue;
      for (const as of s.a.assigns) if (as.kind === "standalone" || as.kind === "decl") assigned.add(as.name);
      const v = s.cmd.words[1];
      if (s.cmd.keyword === "for" && v && IDENT_RE.test(v.raw)) assigned.add(v.raw);
    }
  }

  /**
   * The commands whose assignments last in the step's shell: top-level commands alone in their
   * pipeline, not in a subshell, nor in the body of a function the text never calls. (A prefix
   * `X=1 cmd` or `env X=1 cmd` sets X for that command only.)
   */
  private persistingSites(): Set<Site> {
    const called = new Set<string>();
    for (const s of this.sites) if (s.a.name !== "") called.add(s.a.name);
    const out = new Set<Site>();
    const frames: ("group" | "subshell" | { fn: string })[] = [];
    let pending: string | undefined;
    const popTo = (match: (f: (typeof frames)[number]) => boolean): void => {
      const i = frames.findLastIndex(match);
      if (i !== -1) frames.length = i;
    };
    for (const s of this.sites) {
      if (s.parent || !this.tick(s.cmd.line)) continue;
      const names = [...(s.cmd.functions ?? [])];
      for (const w of s.cmd.lead ?? []) {
        if (frames.length > 4 * MAX_DEPTH) break;
        if (w === "()") pending = names.shift() ?? "";
        else if (w === "{") {
          frames.push(pending !== undefined ? { fn: pending } : "group");
          pending = undefined;
        } else if (w === "(") {
          frames.push("subshell");
          pending = undefined;
        } else if (w === "}") popTo((f) => f !== "subshell");
        else if (w === ")") popTo((f) => f === "subshell");
      }
      if (s.cmd.keyword === "function") {
        pending = s.cmd.words[1]?.raw ?? "";
        continue;
      }
      if (s.pipe.length === 1 && frames.every((f) => f === "group" || (f !== "subshell" && called.has(f.fn)))) out.add(s);
    }
    return out;
  }

  // -- pass 1: what each command is -------------------------------------------------------------

  private classify(site: Site): void {
    const { cmd, a } = site;
    const line = cmd.line;

    // assignments and client-secret variables
    for (const as of a.assigns) {
      if ((as.kind === "standalone" || as.kind === "decl") && !as.append) {
        this.facts.assignments.push({ file: this.ctx.file, line, name: as.name, value: valueRefOfWord(as.value) });
        this.lastValue.set(as.name, valueRefOfWord(as.value));
        const lit = staticText(as.value);
        if (lit !== undefined && !as.value.array) this.literalValues.set(as.name, lit);
        else this.literalValues.delete(as.name);
      }
      if (as.append) {
        this.lastValue.delete(as.name);
        this.literalValues.delete(as.name);
      }
      if (CLIENT_SECRET_ENV.has(as.name)) this.secretUse(line, "env-assignment", as.name);
    }
    for (const name of a.exportNames) {
      if (CLIENT_SECRET_ENV.has(name)) this.secretUse(line, "env-assignment", name);
      const earlier = this.lastAssignment(name);
      if (earlier) {
        this.facts.assignments.push({ file: this.ctx.file, line, name, value: earlier });
      }
    }
    // a test of the variable (`[ -z "$X" ]`, `: "${X:?}"`, `${#X}`) does not use its value
    if (cmd.keyword !== "[[" && !CHECK_COMMANDS.has(a.name)) {
      for (const p of this.paramRefs(cmd)) if (CLIENT_SECRET_ENV.has(p.name) && expandsValue(p)) this.secretUse(line, "env-reference", p.name);
    }

    if (a.scriptPath !== undefined) this.facts.scriptCalls.push({ file: this.ctx.file, line, path: a.scriptPath });
    this.loopAssignments(site);

    const { forms, overflow } = this.commandForms(site);
    if (forms.some((f) => f.argv[0] !== undefined && staticText(f.argv[0]) === undefined)) this.dynamicCommand(site);
    for (const form of forms) this.dispatch(site, form, overflow);
  }

  /** The facts of one argument list a command may run with. */
  private dispatch(site: Site, form: Form, overflow: Word | undefined): void {
    const sub = (k: number): string | undefined => {
      const w = form.argv[k];
      return w === undefined ? undefined : staticText(w);
    };
    // a subcommand only known at run time (`az $ARGS`) may be one this reader looks for
    const hidden = (k: number): boolean => {
      const w = form.argv[k];
      if (w === undefined || sub(k) !== undefined || !isSplat(w)) return false;
      this.diag(site.cmd.line, `${form.name}: the subcommand in \`${w.raw.slice(0, 80)}\` is only known at run time; what it runs is not read`);
      return true;
    };
    if (form.name === "buildkite-agent" && (hidden(1) || (["oidc", "secret", "pipeline"].includes(sub(1) ?? "") && hidden(2)))) return;
    if (form.name === "az" && (hidden(1) || (sub(1) === "role" && (hidden(2) || (sub(2) === "assignment" && hidden(3)))))) return;
    if (isAzd(form.name) && (hidden(1) || (sub(1) === "auth" && hidden(2)))) return;
    if (form.name === "buildkite-agent") {
      const s1 = sub(1);
      const s2 = sub(2);
      if (s1 === "oidc" && s2 === "request-token") this.tokenRequest(site, form.argv, overflow);
      else if (s1 === "secret" && s2 === "get") {
        const fr = this.flags(site, 3, SECRET_GET_VALUES, true, "buildkite-agent secret get", form.argv);
        if (this.secretGets.has(site)) return; // the first form names the secrets
        const sg = { id: `secret#${this.secretGets.size}`, names: fr.positionals };
        this.secretGets.set(site, sg);
        this.secretById.set(sg.id, sg);
      } else if (s1 === "pipeline" && s2 === "upload") this.pipelineUpload(site, form.argv);
    } else if (form.name === "az") {
      if (sub(1) === "login") this.azLogin(site, form.argv, overflow);
      else if (sub(1) === "role" && sub(2) === "assignment" && sub(3) === "create") this.roleAssignment(site, form.argv, overflow);
    } else if (isAzd(form.name)) this.azdLogin(site, form.argv, overflow);
  }

  /**
   * `for v in a b "${arr[@]}"`: each word the list gives is a value of v (recorded as an
   * assignment, so that `./.buildkite/$v.sh` resolves). Nothing when the list is not known.
   */
  private loopAssignments(site: Site): void {
    const { cmd } = site;
    const v = cmd.words[1];
    if (cmd.keyword !== "for" || !v || !IDENT_RE.test(v.raw) || cmd.words[2]?.raw !== "in") return;
    const seq = this.seqFor(site);
    if (seq === undefined || this.values === undefined || this.values.get(v.raw, seq + 1) === "unknown") return;
    const out: Word[] = [];
    for (const w of cmd.words.slice(3)) {
      const alts = this.values.fields(w, seq);
      if (!alts) return;
      for (const fields of alts) out.push(...fields);
      if (out.length > MAX_FORMS) return;
    }
    for (const w of out) this.facts.assignments.push({ file: this.ctx.file, line: cmd.line, name: v.raw, value: valueRefOfWord(w) });
  }

  /**
   * The argument lists a command this reader looks for (or a command named by an expansion) may
   * run with: each unquoted expansion whose values are known (`$FLAGS`, `"${ARGS[@]}"`), and the
   * command word itself (`"$AZ"`, `"${cmd[@]}"`), replaced by the words it gives, one list per
   * value. Expansions whose values are not known stay (the flag reader reports them). Past
   * MAX_FORMS, the command as written, with the expansion where it overflowed.
   */
  private commandForms(site: Site): { forms: Form[]; overflow?: Word } {
    const argv = site.a.argv;
    const asWritten: Form = { argv, name: site.a.name };
    const head = argv[0];
    const seq = this.seqFor(site);
    const vals = this.values;
    const dynamicHead = head !== undefined && site.a.name === "" && head.parts.some((p) => p.kind === "param");
    const looked = site.a.name === "az" || site.a.name === "buildkite-agent" || isAzd(site.a.name);
    if (seq === undefined || vals === undefined || !(dynamicHead || (looked && argv.some(isSplat)))) return { forms: [asWritten] };
    let forms: Word[][] = [[]];
    for (let i = 0; i < argv.length; i++) {
      const w = argv[i] as Word;
      const alts = (i === 0 && dynamicHead) || isSplat(w) ? vals.fields(w, seq) : undefined;
      if (!alts) {
        for (const f of forms) f.push(w);
        continue;
      }
      const next = new Map<string, Word[]>();
      for (const f of forms) {
        for (const a of alts) {
          const g = [...f, ...a];
          if (!this.tick(site.cmd.line, g.length)) return { forms: [asWritten] };
          next.set(g.map((x) => x.raw).join("\u0000"), g);
        }
      }
      if (next.size > MAX_FORMS) return { forms: [asWritten], overflow: w };
      forms = [...next.values()];
    }
    if (!dynamicHead) return { forms: forms.map((f) => ({ argv: f, name: site.a.name })) };
    // the command word's value may start with a wrapper (`sudo az …`)
    return {
      forms: forms.map((f) => {
        const a = analyse({ line: site.cmd.line, assigns: [], words: f, redirects: [] }, site.escapes, () => undefined);
        return { argv: a.argv, name: a.name };
      }),
    };
  }

  /** `"${cmd[@]}"` / `$CMD` run as a command, where the variable holds a command this reader looks for. */
  private dynamicCommand(site: Site): void {
    const head = site.a.argv[0];
    if (!head || site.a.name !== "") return;
    const param = head.parts.find((p) => !(p.kind === "lit" && p.text === ""));
    if (!param || param.kind !== "param") return;
    const name = param.name.replace(/\[.*$/, "");
    const held = this.assignedRaw.get(name);
    if (held === undefined) return;
    const m = /\bbuildkite-agent\s+(oidc|secret|meta-data|artifact|pipeline)\b|(?:^|[\s("'])az\s+(login|role)\b|(?:^|[\s("'/])azd(?:\.exe)?\s+(?:auth\s+)?login\b/.exec(held);
    if (!m) return;
    this.diag(site.cmd.line, `the command run by \`${head.raw.slice(0, 80)}\` is built in a variable (it holds \`${m[0].trim().replace(/^["'(]/, "")}\`); its flags are not read`);
  }

  private lastAssignment(name: string): ValueRef | undefined {
    return this.lastValue.get(name);
  }

  private secretUse(line: number, kind: ClientSecretUse["kind"], name: string): void {
    this.facts.clientSecretUses.push({ file: this.ctx.file, line, kind, name });
  }

  /** Names of the parameters a command expands (not inside its command substitutions). */
  private paramRefs(cmd: Command): ParamPart[] {
    const refs: ParamPart[] = [];
    this.forParams(cmd, (p) => refs.push(p));
    return refs;
  }

  /**
   * Calls `fn` for each parameter expansion of a command (not inside its command substitutions),
   * and `uploaded` for each `$X` Buildkite replaces inside single quotes of pipeline text.
   */
  private forParams(cmd: Command, fn: (p: ParamPart) => void, uploaded?: (p: { name: string; raw: string }) => void): void {
    const collect = (parts: Part[], depth: number): void => {
      for (const p of parts) {
        if (!this.tick(cmd.line)) return;
        if (p.kind === "param") {
          fn(p);
          if (p.arg && depth < 4 * MAX_DEPTH) collect(p.arg.parts, depth + 1);
        } else if (p.kind === "lit" && p.uploaded && uploaded) {
          for (const u of p.uploaded) uploaded(u);
        }
      }
    };
    for (const w of cmd.assigns) collect(w.parts, 0);
    for (const w of cmd.words) collect(w.parts, 0);
    for (const r of cmd.redirects) {
      if (r.target) collect(r.target.parts, 0);
      if (r.heredoc?.body) collect(r.heredoc.body.parts, 0);
    }
  }

  private flags(site: Site, start: number, values: Set<string>, singleDashLong: boolean, what: string, argv: Word[] = site.a.argv, quiet = false): FlagRead {
    const fr = readFlags(argv, start, values, singleDashLong);
    for (const m of fr.missing) this.diag(site.cmd.line, `${what}: ${m} has no value`);
    if (!quiet) for (const w of fr.splats) this.diag(site.cmd.line, `${what}: the arguments in \`${w.raw.slice(0, 80)}\` are only known at run time; flags they add are not read`);
    return fr;
  }

  /** The command number the values of a site's words are read at: its outermost command's. */
  private seqFor(site: Site): number | undefined {
    let s = site;
    for (let guard = 0; s.parent && guard < 8 * MAX_DEPTH; guard++) s = s.parent.site;
    return this.values?.seqOf.get(s.cmd);
  }

  /** The flags of one argument list of a command; `overflow`: it has more forms than are read (see commandForms). */
  private formFlags(site: Site, argv: Word[], start: number, values: Set<string>, singleDashLong: boolean, what: string, overflow: Word | undefined): FlagRead {
    if (overflow) this.diag(site.cmd.line, `${what}: its arguments may take more than ${MAX_FORMS} forms (at \`${overflow.raw.slice(0, 80)}\`); flags they add are not read`);
    return this.flags(site, start, values, singleDashLong, what, argv, overflow !== undefined);
  }

  private tokenRequest(site: Site, argv: Word[], overflow: Word | undefined): void {
    const req = this.requestOf(site, this.formFlags(site, argv, 3, REQUEST_TOKEN_VALUES, true, "buildkite-agent oidc request-token", overflow));
    this.requestSites.add(site);
    const reqs = this.requests.get(site) ?? [];
    reqs.push(req);
    this.requests.set(site, reqs);
  }

  private requestOf(site: Site, fr: FlagRead): TokenRequest {
    const req: TokenRequest = { file: this.ctx.file, line: site.cmd.line };
    const audience = flagValue(fr, "--audience");
    const subject = flagValue(fr, "--subject-claim");
    const lifetime = flagValue(fr, "--lifetime");
    if (audience?.value) req.audience = valueRefOfWord(audience.value);
    if (subject?.value) req.subjectClaim = valueRefOfWord(subject.value);
    else {
      // the flag's environment variable, set for this command or exported earlier in the text
      const env = site.a.assigns.filter((x) => x.name === SUBJECT_CLAIM_ENV && (x.kind === "prefix" || x.kind === "env")).pop();
      if (env) req.subjectClaim = valueRefOfWord(env.value);
      else {
        const earlier = this.lastAssignment(SUBJECT_CLAIM_ENV);
        if (earlier) req.subjectClaim = earlier;
      }
    }
    if (lifetime?.value) req.lifetime = valueRefOfWord(lifetime.value);
    const assignedTo = this.assignedTo(site);
    if (assignedTo !== undefined) req.assignedTo = assignedTo;
    return req;
  }

  /** The variable a command's output is assigned to: `X=$(cmd)`, `export X="$(cmd | tr -d '\n')"`. */
  private assignedTo(site: Site): string | undefined {
    let s: Site | undefined = site;
    for (let guard = 0; s && guard < 4 * MAX_DEPTH; guard++) {
      if (!this.flowsOut(s)) return undefined;
      const p: Parent | undefined = s.parent;
      if (!p) return undefined;
      if (p.role === "assign") return p.assignName;
      // what `echo`, `eval` and `bash -c` run prints is their output
      if ((p.role === "arg" && EMITTERS.has(p.site.a.name)) || p.role === "inline") {
        s = p.site;
        continue;
      }
      return undefined;
    }
    return undefined;
  }

  /** True when a command's output reaches the end of its pipeline unchanged in substance. */
  private flowsOut(site: Site): boolean {
    if (site.flows === undefined) {
      // computed for the whole pipeline at once, from its end
      let next = true;
      for (let j = site.pipe.length - 1; j >= 0; j--) {
        const s = site.pipe[j] as Site;
        const after = site.pipe[j + 1];
        s.flows = !this.stdoutRedirected(s) && (after === undefined || (PASS_THROUGH.has(after.a.name) && next));
        next = s.flows;
      }
    }
    return site.flows === true;
  }

  private azLogin(site: Site, argv: Word[], overflow: Word | undefined): void {
    this.azLoginOf(site, this.formFlags(site, argv, 2, AZ_LOGIN_VALUES, false, "az login", overflow));
  }

  private azLoginOf(site: Site, fr: FlagRead): void {
    const login: AzLogin = { file: this.ctx.file, line: site.cmd.line, method: "interactive" };
    const username = flagValue(fr, "-u", "--username");
    const password = flagValue(fr, "-p", "--password", "--secret");
    const tenant = flagValue(fr, "-t", "--tenant");
    let method: AzLoginMethod;
    if (hasFlag(fr, "--identity")) method = "identity";
    else if (hasFlag(fr, "--federated-token")) method = "federated-token";
    else if (hasFlag(fr, "--certificate")) method = "certificate";
    else if (password) method = "password";
    else {
      method = "interactive";
      if (hasFlag(fr, "--service-principal")) {
        this.diag(site.cmd.line, "az login --service-principal without --password, --certificate or --federated-token: the credential it uses is not visible");
      }
    }
    login.method = method;
    if (username?.value) login.username = valueRefOfWord(username.value);
    if (password?.value) login.password = { raw: password.value.raw };
    if (tenant?.value) login.tenant = valueRefOfWord(tenant.value);
    const entry: { site: Site; login: AzLogin; passwordWord?: Word; passwordFlag?: string } = { site, login };
    if (password?.value) {
      entry.passwordWord = password.value;
      entry.passwordFlag = password.name;
    }
    this.logins.push(entry);
    this.facts.azLogins.push(login);
  }

  /** `azd auth login …` (Azure Developer CLI); other azd commands are not logins. */
  private azdLogin(site: Site, argv: Word[], overflow: Word | undefined): void {
    const at = azdLoginStart(argv.map((w) => staticText(w)));
    if (!at) return;
    const fr = this.formFlags(site, argv, at.start, AZD_LOGIN_VALUES, false, at.command, overflow);
    const method = azdLoginMethod((name) => {
      const f = fr.flags.filter((x) => x.name === name).pop();
      const text = f?.value ? staticText(f.value) : undefined;
      return text === undefined ? { present: f !== undefined } : { present: true, text };
    });
    if (method === undefined) return;
    const login: AzLogin = { file: this.ctx.file, line: site.cmd.line, method, command: at.command };
    const clientId = flagValue(fr, "--client-id");
    const secret = flagValue(fr, "--client-secret");
    const tenant = flagValue(fr, "--tenant-id");
    const provider = flagValue(fr, "--federated-credential-provider");
    if (clientId?.value) login.username = valueRefOfWord(clientId.value);
    if (method === "password" && secret?.value) login.password = { raw: secret.value.raw };
    if (tenant?.value) login.tenant = valueRefOfWord(tenant.value);
    if (method === "federated-token" && provider?.value) login.provider = valueRefOfWord(provider.value);
    const entry: { site: Site; login: AzLogin; passwordWord?: Word; passwordFlag?: string } = { site, login };
    if (secret?.value) {
      entry.passwordWord = secret.value;
      entry.passwordFlag = secret.name;
    }
    this.logins.push(entry);
    this.facts.azLogins.push(login);
  }

  private roleAssignment(site: Site, argv: Word[], overflow: Word | undefined): void {
    this.roleAssignmentOf(site, this.formFlags(site, argv, 4, AZ_ROLE_VALUES, false, "az role assignment create", overflow));
  }

  private roleAssignmentOf(site: Site, fr: FlagRead): void {
    const ra: RoleAssignmentCommand = { file: this.ctx.file, line: site.cmd.line };
    const role = flagValue(fr, "--role");
    const scope = flagValue(fr, "--scope");
    const assignee = flagValue(fr, "--assignee", "--assignee-object-id");
    if (role?.value) ra.role = valueRefOfWord(role.value);
    if (scope?.value) ra.scope = valueRefOfWord(scope.value);
    if (assignee?.value) ra.assignee = valueRefOfWord(assignee.value);
    this.facts.roleAssignments.push(ra);
  }

  private pipelineUpload(site: Site, argv: Word[]): void {
    const fr = this.flags(site, 3, PIPELINE_UPLOAD_VALUES, true, "buildkite-agent pipeline upload", argv);
    let path = "";
    const first = fr.positionals[0];
    if (first) path = looseText(first);
    else {
      for (const r of site.cmd.redirects) {
        if (r.op === "<" && r.target && (r.fd === undefined || r.fd === "0")) path = looseText(r.target);
        else if (r.heredoc || r.op === "<<<") path = "-";
      }
      if (path === "" && site.index > 0) path = "-";
    }
    this.facts.pipelineUploads.push({ file: this.ctx.file, line: site.cmd.line, path });
  }

  // -- data flow: which variables hold a token or a fetched secret -----------------------------

  /** Origins ("token", "secret#N") a word carries, each with the variable or command it came through. */
  private originsOf(w: Word, depth = 0): Map<string, string> {
    const out = new Map<string, string>();
    this.originsOfParts(w.parts, out, depth);
    return out;
  }

  private originsOfParts(parts: Part[], out: Map<string, string>, depth: number): void {
    if (depth > 4 * MAX_DEPTH) return;
    for (const p of parts) {
      if (!this.tick(0)) return;
      if (p.kind === "param") {
        const o = this.varOrigins.get(p.name);
        if (o) for (const [k] of o) if (!out.has(k)) out.set(k, p.name);
        if (p.arg) this.originsOfParts(p.arg.parts, out, depth + 1);
      } else if (p.kind === "sub") {
        for (const pl of p.script.pipelines) {
          for (const cmd of pl.commands) {
            const s = this.siteOf.get(cmd);
            if (!s || !this.flowsOut(s)) continue;
            for (const [k, v] of this.produces(s, depth + 1)) if (!out.has(k)) out.set(k, v);
          }
        }
      }
    }
  }

  /** Origins a command's output carries (before its redirections and pipes). */
  private produces(site: Site, depth: number): Map<string, string> {
    const out = new Map<string, string>();
    if (depth > 4 * MAX_DEPTH) return out;
    if (this.requestSites.has(site)) out.set("token", "oidc request-token");
    const sg = this.secretGets.get(site);
    if (sg) out.set(sg.id, "secret get");
    const name = site.a.name;
    if (EMITTERS.has(name)) {
      for (const w of site.a.argv.slice(1)) for (const [k, v] of this.originsOf(w, depth + 1)) if (!out.has(k)) out.set(k, v);
    }
    if (EMITTERS.has(name) || PASS_THROUGH.has(name)) {
      for (const r of site.cmd.redirects) {
        const body = r.heredoc?.body ?? (r.op === "<<<" ? r.target : undefined);
        if (body) for (const [k, v] of this.originsOf(body, depth + 1)) if (!out.has(k)) out.set(k, v);
      }
    }
    return out;
  }

  private propagate(): void {
    const edges: { name: string; value: Word }[] = [];
    for (const s of this.sites) for (const as of s.a.assigns) edges.push({ name: as.name, value: as.value });
    for (let round = 0; round < 8 && !this.stopped; round++) {
      let changed = false;
      for (const e of edges) {
        if (!this.tick(e.value.line)) break;
        const o = this.originsOf(e.value);
        if (o.size === 0) continue;
        let mine = this.varOrigins.get(e.name);
        if (!mine) {
          mine = new Map();
          this.varOrigins.set(e.name, mine);
        }
        for (const [k] of o) {
          if (!mine.has(k)) {
            mine.set(k, e.name);
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
  }

  // -- pass 2: where tokens go ---------------------------------------------------------------

  private stdoutRedirected(site: Site): boolean {
    return site.cmd.redirects.some((r) => isStdoutRedirect(r.op, r.fd, r.target));
  }

  /** Files (and env files) a command writes its output to through its own redirections. */
  private ownDests(site: Site): Dest[] {
    const out: Dest[] = [];
    for (const r of site.cmd.redirects) {
      if (!r.target || !isStdoutRedirect(r.op, r.fd, r.target)) continue;
      const d = fileDest(r.target);
      if (d) out.push(d);
    }
    return out;
  }

  /** Where a command's output ends up: its redirections, and `| tee`, `| … > f`, `| meta-data set KEY` after it. */
  private destinations(site: Site): Dest[] {
    const out = this.ownDests(site);
    if (this.stdoutRedirected(site)) return out;
    for (let j = site.index + 1; j < site.pipe.length; j++) {
      const n = site.pipe[j] as Site;
      if (!this.tick(n.cmd.line)) break;
      const name = n.a.name;
      if (name === "tee") {
        const fr = readFlags(n.a.argv, 1, new Set(), false);
        for (const w of fr.positionals) {
          const d = fileDest(w);
          if (d) out.push(d);
        }
      } else if (name === "buildkite-agent" && this.isMetaDataSet(n)) {
        const md = this.metaDataArgs(n);
        if (md.key && !md.value) out.push({ kind: "meta-data", target: looseText(md.key) });
        break;
      } else if (!PASS_THROUGH.has(name)) {
        break;
      }
      out.push(...this.ownDests(n));
      if (this.stdoutRedirected(n)) break;
    }
    return out;
  }

  private isMetaDataSet(site: Site): boolean {
    const argv = site.a.argv;
    return site.a.name === "buildkite-agent" && argv[1] !== undefined && staticText(argv[1]) === "meta-data" && argv[2] !== undefined && staticText(argv[2]) === "set";
  }

  private metaDataArgs(site: Site): { key?: Word; value?: Word } {
    const fr = this.flags(site, 3, META_DATA_VALUES, true, "buildkite-agent meta-data set");
    const out: { key?: Word; value?: Word } = {};
    const [key, value] = fr.positionals;
    if (key) out.key = key;
    if (value) out.value = value;
    return out;
  }

  private sink(line: number, kind: TokenSink["kind"], target: string, via: string): void {
    const s: TokenSink = { file: this.ctx.file, line, kind, target, via };
    this.facts.tokenSinks.push(s);
    if (kind === "file") this.fileSinks.push(s);
  }

  private sinks(site: Site): void {
    const line = site.cmd.line;
    const token = (m: Map<string, string>): string | undefined => m.get("token");

    if (this.requestSites.has(site)) {
      const reqs = this.requests.get(site) ?? [];
      for (const d of this.destinations(site)) {
        this.sink(line, d.kind, d.target, "oidc request-token");
        for (const req of reqs) if (req.writtenTo === undefined && d.kind !== "meta-data") req.writtenTo = d.target;
      }
    }

    const name = site.a.name;
    if (EMITTERS.has(name) || PASS_THROUGH.has(name)) {
      const via = token(this.produces(site, 0));
      if (via !== undefined && !this.requestSites.has(site)) {
        for (const d of this.destinations(site)) this.sink(line, d.kind, d.target, via);
      }
    }

    if (this.isMetaDataSet(site)) {
      const md = this.metaDataArgs(site);
      let via: string | undefined;
      if (md.value) via = token(this.originsOf(md.value));
      else {
        for (const r of site.cmd.redirects) {
          const body = r.heredoc?.body ?? (r.op === "<<<" ? r.target : undefined);
          if (body) via = via ?? token(this.originsOf(body));
        }
      }
      if (via !== undefined && md.key) this.sink(line, "meta-data", looseText(md.key), via);
    }
  }

  private artifactSinks(): void {
    if (this.fileSinks.length === 0) return;
    // each distinct written path once (with each way the token got there), each distinct pattern matched once
    const written = new Map<string, Set<string>>();
    for (const s of this.fileSinks) {
      const path = this.normalisePath(s.target);
      const vias = written.get(path) ?? new Set<string>();
      vias.add(s.via);
      written.set(path, vias);
    }
    const matched = new Map<string, string[]>();
    for (const site of this.sites) {
      const argv = site.a.argv;
      if (site.a.name !== "buildkite-agent" || argv[1] === undefined || staticText(argv[1]) !== "artifact" || argv[2] === undefined || staticText(argv[2]) !== "upload") continue;
      const fr = this.flags(site, 3, ARTIFACT_UPLOAD_VALUES, true, "buildkite-agent artifact upload");
      const paths = fr.positionals[0];
      if (!paths) continue;
      const delimFlag = flagValue(fr, "--delimiter");
      const delimiter = (delimFlag?.value && staticText(delimFlag.value)) || ";";
      for (const raw of looseText(paths).split(delimiter)) {
        const pattern = raw.trim();
        const p = this.normalisePath(pattern);
        if (p === "") continue;
        let vias = matched.get(p);
        if (!vias) {
          vias = [];
          for (const [path, ways] of written) {
            if (!this.tick(site.cmd.line, (p.length + 1) * (path.length + 1))) return;
            if (p === path || (p.length <= MAX_GLOB_LENGTH && globMatch(p, path))) vias.push(...ways);
          }
          matched.set(p, vias);
        }
        for (const via of vias) this.sink(site.cmd.line, "artifact", pattern, via);
      }
    }
  }

  /** A path with literal variables substituted and `./` removed, for comparing artifact paths. */
  private normalisePath(path: string): string {
    let p = path.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m: string, a?: string, b?: string) => {
      const v = this.literalValues.get(a ?? b ?? "");
      return v !== undefined && !v.includes("$") ? v : m;
    });
    p = p.replace(/\/{2,}/g, "/");
    while (p.startsWith("./")) p = p.slice(2);
    return p.replace(/\/\.\//g, "/");
  }

  // -- facts that need the data flow -----------------------------------------------------------

  private requestFacts(): void {
    for (const [site, reqs] of this.requests) {
      for (const req of reqs) {
        if (req.writtenTo === undefined) {
          // `echo "$(buildkite-agent oidc request-token)" > f`
          const p = site.parent;
          if (p && p.role === "arg" && EMITTERS.has(p.site.a.name) && this.flowsOut(site)) {
            const d = this.destinations(p.site).find((x) => x.kind !== "meta-data");
            if (d) req.writtenTo = d.target;
          }
        }
        this.facts.tokenRequests.push(req);
      }
    }
  }

  private secretFacts(): void {
    const varsWith = new Map<string, string[]>();
    for (const [name, o] of this.varOrigins) {
      for (const [id] of o) {
        const list = varsWith.get(id) ?? [];
        list.push(name);
        varsWith.set(id, list);
      }
    }
    const feedsLogin = new Set<string>();
    for (const l of this.logins) {
      if (!l.passwordWord) continue;
      const o = this.originsOf(l.passwordWord);
      for (const [k] of o) feedsLogin.add(k);
      if (l.login.method === "password") {
        const ref = valueRefOfWord(l.passwordWord);
        let name = ref.variable;
        if (name === undefined) {
          for (const [k, v] of o) {
            if (!k.startsWith("secret#")) continue;
            const sg = this.secretById.get(k);
            const first = sg?.names[0];
            name = first ? looseText(first) : v;
            break;
          }
        }
        this.secretUse(l.site.cmd.line, "password-flag", name ?? l.passwordFlag ?? "--password");
      }
    }
    for (const [site, sg] of this.secretGets) {
      const names = sg.names.map((w) => looseText(w));
      const vars = varsWith.get(sg.id) ?? [];
      const relevant = feedsLogin.has(sg.id) || names.some((n) => SECRET_NAME.test(n)) || vars.some((v) => CLIENT_SECRET_ENV.has(v) || SECRET_NAME.test(v));
      if (!relevant) continue;
      for (const n of names) this.secretUse(site.cmd.line, "secret-get", n);
    }
  }
}

function isStdoutRedirect(op: string, fd: string | undefined, target: Word | undefined): boolean {
  if (fd !== undefined && fd !== "1") return false;
  if (op === ">" || op === ">>" || op === ">|" || op === "&>" || op === "&>>") return true;
  if (op === ">&") return target !== undefined && !/^[0-9]+-?$|^-$/.test(target.raw);
  return false;
}

function fileDest(target: Word): Dest | undefined {
  const text = looseText(target);
  if (text === "" || NOT_A_FILE.test(text)) return undefined;
  const envFile = target.parts.some((p) => p.kind === "param" && ENV_FILE_VAR.test(p.name));
  return { kind: envFile ? "environment-file" : "file", target: text };
}
