/**
 * Reads a PowerShell script (a `.ps1` file, or the text of `pwsh -Command …` in a step) into the
 * same ShellFacts the bash reader produces: OIDC token requests, Azure logins (`az login`,
 * `azd auth login` and `Connect-AzAccount`), client-secret uses, places a token is written to,
 * role assignments, assignments, script calls and pipeline uploads, each with the line where its
 * command starts.
 *
 * Facts only: nothing is evaluated, and no secret value is recorded (a literal password, and any
 * value assigned to a variable that holds a secret, is replaced by `***`).
 *
 * Values the script itself sets are followed (known.ts): `$PSScriptRoot` (the directory of `file`
 * unless the text is inline), variables assigned literals, `Join-Path`; arrays and hashtables
 * splatted into a command; code held in a variable and run by `Invoke-Expression`.
 *
 * Pure: no I/O, never throws, bounded work (an operation budget proportional to the text, caps on
 * nesting). What could hide one of the facts above and cannot be read (a command named by a
 * variable that holds `az …`, `az @args`, a hashtable key set by a name made at run time) is a
 * diagnostic at its line; text made at run time (`Invoke-Expression $x` of an unknown `$x`) is not.
 */
import { ARTIFACT_UPLOAD_VALUES, AZ_LOGIN_VALUES, AZ_ROLE_VALUES, AZD_LOGIN_VALUES, azdLoginMethod, azdLoginStart, CLIENT_SECRET_ENV, META_DATA_VALUES, PIPELINE_UPLOAD_VALUES, REQUEST_TOKEN_VALUES, SECRET_GET_VALUES, SECRET_NAME, SHELLS } from "../cli-vocabulary.ts";
import { emptyShellFacts, lastLineOf, tidyFacts } from "../script-facts.ts";
import type { AzLogin, AzLoginMethod, ClientSecretUse, Diagnostic, Located, RoleAssignmentCommand, ShellFacts, TokenRequest, TokenSink, ValueRef } from "../../model/repo.ts";
import { readShell } from "../shell/read-shell.ts";
import { globMatch, MAX_GLOB_LENGTH } from "../shell/glob.ts";
import { commandBase, isPwshName, pwshTarget } from "./invocation.ts";
import { argsOf, Known, rawOf, whereOf, type Arg, type Where } from "./known.ts";
import { LexContext, MAX_DEPTH, oneLine, Parser, staticItem, staticItems, type Element, type Item, type Script, type Statement, type StrPart } from "./lexer.ts";

export { powerShellInvocation } from "./invocation.ts";

export interface ReadPowerShellResult {
  facts: ShellFacts;
  diagnostics: Diagnostic[];
}

/** Operations allowed per character of input (plus a constant): reading stops with a diagnostic beyond. */
export const OPS_PER_CHAR = 200;
export const OPS_BASE = 20_000;
/** What replaces a secret's value in the facts. */
export const REDACTED = "***";

/**
 * `firstLine`: the line the text starts at in `file`. `inline`: the text is a step's command, not
 * the script `file` (so `$PSScriptRoot` is not the file's directory); default: when `firstLine` is given.
 */
export interface ReadPowerShellOptions {
  firstLine?: number;
  inline?: boolean;
}

export function readPowerShell(text: string, file: string, opts: ReadPowerShellOptions = {}): ReadPowerShellResult {
  const { facts, diagnostics } = readPowerShellCounted(text, file, opts);
  return { facts, diagnostics };
}

/** readPowerShell, also returning how many operations it spent (for tests of its bound). */
export function readPowerShellCounted(text: string, file: string, opts: ReadPowerShellOptions = {}): ReadPowerShellResult & { operations: number } {
  const src = typeof text === "string" ? text : "";
  const o = opts !== null && typeof opts === "object" ? opts : {};
  const firstLine = typeof o.firstLine === "number" && Number.isSafeInteger(o.firstLine) && o.firstLine >= 1 ? o.firstLine : 1;
  const inline = typeof o.inline === "boolean" ? o.inline : o.firstLine !== undefined;
  const ctx = new LexContext(typeof file === "string" ? file : "", OPS_PER_CHAR * src.length + OPS_BASE);
  const lastLine = lastLineOf(src, firstLine);
  let facts = emptyShellFacts();
  try {
    const ex = new Extractor(ctx);
    ex.read(src, firstLine, 0, inline || typeof file !== "string" ? undefined : whereOf(file));
    facts = ex.finish();
  } catch (e) {
    // a bug, not a property of the input: report it rather than throw
    ctx.diag(firstLine, `internal error while reading the PowerShell script: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { ...tidyFacts(facts, ctx.diagnostics, firstLine, lastLine), operations: ctx.ops };
}


// ---------------------------------------------------------------------------------------------
// Vocabulary (mirrors the bash reader's, which does not export it)

/** Variable names whose values are treated as secrets (never recorded). */
const SECRET_VAR = /secret|passw|pwd|credential|apikey|api_key|sas_?token|^cred$|^pass$/i;
const ENV_FILE_VAR = /^(BUILDKITE_ENV_FILE|BUILDKITE_ENV_JSON_FILE|GITHUB_ENV|GITHUB_OUTPUT|GITHUB_STATE)$|_ENV_FILE$/i;
const NOT_A_FILE = /^(\$null|nul|\/dev\/null|\/dev\/stdout|\/dev\/stderr)$/i;


const CONNECT_AZ = new Set(["connect-azaccount", "login-azaccount", "add-azaccount", "connect-azurermaccount", "login-azurermaccount", "add-azurermaccount"]);
/** Commands whose output carries what their arguments carry. */
const EMITTERS = new Set(["write-output", "echo", "write"]);
/** Commands whose output carries what their input carries. */
const PASS_THROUGH = new Set(["out-string", "select-object", "select", "foreach-object", "%", "foreach", "where-object", "where", "?", "sort-object", "tee-object", "tee", "convertto-json", "convertfrom-json", "write-output", "echo", "write"]);
const FILE_WRITERS = new Set(["out-file", "set-content", "add-content", "sc", "ac"]);
const INVOKE_EXPRESSION = new Set(["invoke-expression", "iex"]);
const KEYWORDS = new Set([
  "if", "elseif", "else", "foreach", "for", "while", "do", "until", "switch", "try", "catch", "finally", "trap", "function", "filter", "workflow",
  "param", "begin", "process", "end", "clean", "dynamicparam", "return", "throw", "exit", "break", "continue", "class", "enum", "using", "data",
  "configuration", "parallel", "sequence", "inlinescript",
]);
/** Keywords whose `( … )` is a condition. */
const CONDITION_KEYWORDS = new Set(["if", "elseif", "while", "until", "switch"]);
/** Operators that make a variable next to them a test of its value, not a use of it. */
const TEST_OPERATOR = /^-(c|i)?(not|eq|ne|gt|ge|lt|le|and|or|xor|like|notlike|match|notmatch|is|isnot|contains|notcontains|in|notin)$/i;
/** Parameters of Connect-AzAccount that are switches (all others take a value). */
const CONNECT_SWITCHES = new Set(["serviceprincipal", "identity", "usedeviceauthentication", "skipcontextpopulation", "skipvalidation", "force", "whatif", "confirm", "asjob", "sendcertificatechain"]);
const ITEM_SWITCHES = new Set(["force", "whatif", "confirm", "passthru"]);
const WRITER_SWITCHES = new Set(["append", "force", "noclobber", "nonewline", "passthru", "whatif", "confirm", "asbytestream"]);
const WRITER_PARAMS = ["filepath", "path", "literalpath", "value", "inputobject", "encoding", "append", "variable"];
const NEW_OBJECT_SWITCHES = new Set(["strict"]);
const SECURE_SWITCHES = new Set(["asplaintext", "force"]);
const NO_SWITCHES: ReadonlySet<string> = new Set();
/** Command strings held in variables (`Invoke-Expression $cmd`) read per text. */
const MAX_HELD_READS = 256;
/** Text of code that may hold a secret's value (`-p x`, `--password=x`, `ConvertTo-SecureString 'x'`). */
const HOLDS_SECRET = /(^|[\s'"])(-p|--password|--secret|--client-secret|-credential|-certificatepassword|-accesstoken)([\s=:'"]|$)|convertto-securestring|pscredential/i;
const INVOKE_COMMAND_SWITCHES = new Set(["asjob", "hidecomputername", "noNewScope", "enablenetworkaccess", "inDisconnectedSession", "runasadministrator", "usessl", "remotedebug"].map((x) => x.toLowerCase()));
const INVOKE_COMMAND_PARAMS = ["filepath", "scriptblock", "computername", "session", "argumentlist", "credential", "inputobject", "jobname", "port", "vmname", "vmid", "containerid", "hostname", "username"];
const START_PROCESS_SWITCHES = new Set(["wait", "passthru", "nonewwindow", "loaduserprofile", "usenewenvironment", "whatif", "confirm"]);
const START_PROCESS_PARAMS = ["filepath", "argumentlist", "workingdirectory", "credential", "verb", "windowstyle", "redirectstandardoutput", "redirectstandarderror", "redirectstandardinput", "environment", "wait", "passthru", "nonewwindow"];
const CONNECT_PARAMS = [
  "serviceprincipal", "identity", "credential", "tenant", "tenantid", "applicationid", "federatedtoken", "certificatethumbprint", "certificatepath", "certificatepassword",
  "accesstoken", "accountid", "subscription", "subscriptionid", "subscriptionname", "environment", "scope", "contextname", "usedeviceauthentication",
];

// ---------------------------------------------------------------------------------------------
// What the walk records

interface Param {
  /** Lower case, without the dash. */
  name: string;
  value?: Arg;
  /** `-Name a, b`: every element of the list (the first is `value`). */
  list?: Arg[];
  line: number;
}

interface Cmd {
  /** Base name, lower case, without `.exe`/`.cmd`/`.bat`; "" when not fixed. */
  name: string;
  head: Arg;
  args: Arg[];
}

interface Pipe {
  sites: Site[];
  /** The variable the pipeline's output is assigned to. */
  assign?: { name: string; key: string };
  parent?: { site: Site; index: number };
  /** The pipeline is the condition of `if`/`while`/…. */
  condition: boolean;
  src: string;
  /** The script the text runs as (for `$PSScriptRoot`); undefined in a command string. */
  where: Where | undefined;
}

interface Site {
  el: Element;
  pipe: Pipe;
  index: number;
  cmd?: Cmd;
  depth: number;
}

interface AssignRecord {
  key: string;
  /** `=`, `+=`, … */
  op: string;
  name: string;
  line: number;
  /** The value pipeline. */
  pipe: Pipe;
  /** The fact pushed for it (its value may be redacted at the end). */
  fact?: Located & { name: string; value: ValueRef };
  /** The value's items when it is one element (for credentials, hashtables and literals). */
  items: Item[];
  src: string;
  start: number;
  end: number;
}

type Dest = { kind: "file" | "environment-file" | "meta-data"; target: string };

/** The variable's key (lower case, no scope) and whether it is an environment variable. */
function varKey(name: string): { key: string; bare: string; env: boolean } {
  const m = /^([A-Za-z_][A-Za-z0-9_]*):(.*)$/.exec(name);
  if (m) {
    const scope = (m[1] as string).toLowerCase();
    const bare = m[2] as string;
    if (scope === "env") return { key: `env:${bare.toLowerCase()}`, bare, env: true };
    return { key: bare.toLowerCase(), bare, env: false };
  }
  return { key: name.toLowerCase(), bare: name, env: false };
}

function argText(a: Arg): string | undefined {
  return staticItems(a.items);
}

/** The argument's text with variables as written: for paths and names shown in facts. */
function looseText(a: Arg): string {
  return rawOf(a.items);
}

function slashes(p: string): string {
  return p.replace(/\\/g, "/");
}

function valueRef(a: Arg): ValueRef {
  const ref: ValueRef = { raw: a.raw };
  const t = argText(a);
  if (t !== undefined) {
    ref.literal = t;
    return ref;
  }
  const only = a.items.length === 1 ? a.items[0] : undefined;
  if (only?.t === "var" && !only.splat && !/^(true|false|null|_|\$|\?|\^)$/i.test(only.name)) ref.variable = varKey(only.name).bare;
  else if (only?.t === "str" && (only.quote === "double" || only.quote === "here-double")) {
    const ps = only.parts.filter((p) => !(p.kind === "lit" && p.text === ""));
    const p = ps[0];
    if (ps.length === 1 && p?.kind === "var") ref.variable = varKey(p.name).bare;
  }
  return ref;
}

/** A ValueRef for a secret: kept when it names a variable, else only a placeholder. */
function secretRef(a: Arg): ValueRef {
  const ref = valueRef(a);
  if (ref.variable !== undefined) return { raw: a.raw, variable: ref.variable };
  return { raw: REDACTED };
}

/** A synthetic argument: the rest of `a` after the first `n` characters of its first (word) item. */
function argAfter(a: Arg, n: number): Arg | undefined {
  const first = a.items[0];
  // `"--password=$env:X"`: the rest of the string
  if (first?.t === "str" && a.items.length === 1 && first.parts[0]?.kind === "lit") {
    const rest = first.parts[0].text.slice(n);
    const parts: StrPart[] = [...(rest !== "" ? [{ kind: "lit" as const, text: rest }] : []), ...first.parts.slice(1)];
    const raw = `"${parts.map((p) => (p.kind === "lit" ? p.text : p.raw)).join("")}"`;
    return { items: [{ ...first, parts, raw }], raw, line: a.line };
  }
  if (!first || first.t !== "word") return undefined;
  const rest = first.text.slice(n);
  const items: Item[] = [];
  if (rest !== "") items.push({ ...first, text: rest, raw: first.raw.slice(n), start: first.start + n });
  items.push(...a.items.slice(1));
  if (items.length === 0) return undefined;
  return { items, raw: a.raw.slice(n), line: a.line };
}

interface Flag {
  name: string;
  value?: Arg;
}

/** A quoted argument, which a native command receives as plain text (`'--password=x'`): as a bare word. */
function asWord(a: Arg): Arg {
  const only = a.items.length === 1 ? a.items[0] : undefined;
  const t = only?.t === "str" ? staticItem(only) : undefined;
  if (!only || t === undefined) return a;
  return { ...a, raw: t, items: [{ t: "word", text: t, raw: t, line: only.line, start: only.start, end: only.end, adj: only.adj }] };
}

/** Flags and positionals of a native command (`--name value`, `--name=value`, `-p value`). */
function readFlags(args: readonly Arg[], start: number, values: Set<string>): { flags: Flag[]; positionals: Arg[]; missing: string[]; splats: Arg[] } {
  const out = { flags: [] as Flag[], positionals: [] as Arg[], missing: [] as string[], splats: [] as Arg[] };
  for (let i = start; i < args.length; i++) {
    const a = asWord(args[i] as Arg);
    const first = a.items[0];
    if (first?.t === "var" && first.splat) {
      out.splats.push(a);
      continue;
    }
    let head = first?.t === "word" ? first.text : undefined;
    if (first?.t === "str" && a.items.length === 1 && first.parts[0]?.kind === "lit" && /^--?[A-Za-z][\w-]*=/.test(first.parts[0].text)) head = first.parts[0].text;
    if (head === undefined || !head.startsWith("-") || head === "-" || head === "--") {
      out.positionals.push(a);
      continue;
    }
    const eq = head.indexOf("=");
    if (eq !== -1) {
      const value = argAfter(a, eq + 1);
      out.flags.push(value ? { name: head.slice(0, eq), value } : { name: head.slice(0, eq) });
      continue;
    }
    const name = argText(a) ?? head;
    if (values.has(name)) {
      const value = args[i + 1];
      if (value === undefined) out.missing.push(name);
      out.flags.push(value ? { name, value } : { name });
      if (value) i++;
      continue;
    }
    out.flags.push({ name });
  }
  return out;
}

function flagValue(flags: Flag[], ...names: string[]): Flag | undefined {
  let found: Flag | undefined;
  for (const f of flags) if (names.includes(f.name) && f.value) found = f;
  return found;
}

/** A cmdlet's parameters (`-Name value`, `-Name:value`, switches) and positional arguments. */
function readParams(args: readonly Arg[], start: number, switches: ReadonlySet<string>, known: readonly string[] = []): { params: Param[]; positionals: Arg[]; splats: Arg[] } {
  const out = { params: [] as Param[], positionals: [] as Arg[], splats: [] as Arg[] };
  for (let i = start; i < args.length; i++) {
    const a = args[i] as Arg;
    const first = a.items[0];
    if (first?.t === "var" && first.splat) {
      out.splats.push(a);
      continue;
    }
    const m = first?.t === "word" ? /^-([A-Za-z_][A-Za-z0-9_]*)(:?)/.exec(first.text) : null;
    if (!m || !first || first.t !== "word") {
      out.positionals.push(a);
      continue;
    }
    let name = (m[1] as string).toLowerCase();
    if (!known.includes(name)) {
      const cands = known.filter((k) => k.startsWith(name));
      if (cands.length === 1) name = cands[0] as string;
    }
    if (m[2] === ":") {
      const value = argAfter(a, m[0].length);
      out.params.push(value ? { name, value, line: a.line } : { name, line: a.line });
      continue;
    }
    if (a.items.length > 1 || first.text.length > m[0].length) {
      out.positionals.push(a);
      continue;
    }
    const next = args[i + 1];
    const nextIsParam = next?.items[0]?.t === "word" && /^-[A-Za-z_]/.test((next.items[0] as { text: string }).text);
    if (!switches.has(name) && next && !nextIsParam) {
      const p: Param = { name, value: next, line: a.line };
      i++;
      if (args[i + 1]?.listed) {
        p.list = [next];
        while (args[i + 1]?.listed && p.list.length < 256) p.list.push(args[++i] as Arg);
      }
      out.params.push(p);
    } else out.params.push({ name, line: a.line });
  }
  return out;
}

function param(ps: Param[], ...names: string[]): Param | undefined {
  let found: Param | undefined;
  for (const p of ps) if (names.includes(p.name)) found = p;
  return found;
}

// ---------------------------------------------------------------------------------------------

class Extractor {
  private readonly sites: Site[] = [];
  private readonly facts: ShellFacts = emptyShellFacts();
  private readonly assigns: AssignRecord[] = [];
  private readonly assignsByKey = new Map<string, AssignRecord[]>();
  private readonly varOrigins = new Map<string, Map<string, string>>();
  private readonly requests = new Map<Site, TokenRequest>();
  private readonly secretGets = new Map<Site, { id: string; names: Arg[] }>();
  private readonly fileSinks: TokenSink[] = [];
  /** Variables whose values are secrets (their assignments are redacted). */
  private readonly secretVars = new Set<string>();
  private stopped = false;

  constructor(private readonly ctx: LexContext) {}

  private tick(line: number, n = 1): boolean {
    this.ctx.ops += n;
    if (this.ctx.ops <= this.ctx.budget) return true;
    if (!this.stopped) {
      this.stopped = true;
      this.diag(line, "reading stopped: the script is too complex to analyse within the operation budget");
    }
    return false;
  }

  private diag(line: number, message: string): void {
    this.ctx.diag(line, message);
  }

  /** Parses and walks one text (the file, or a command string found in it). */
  read(text: string, firstLine: number, depth: number, where: Where | undefined): void {
    const parser = new Parser(text, firstLine, this.ctx);
    const script = parser.parse();
    const outer = this.where;
    this.where = where;
    this.walkScript(script, text, undefined, depth, false, false);
    this.where = outer;
  }

  /** The script the text being walked runs as. */
  private where: Where | undefined;

  private readonly known = new Known({
    assigned: (key, line) => {
      const all = this.assignsByKey.get(key) ?? [];
      const before = all.filter((r) => r.line <= line);
      return (before.length > 0 ? before : all).map((r) => ({ items: r.items.length > 0 ? r.items : undefined, op: r.op, line: r.line, where: r.pipe.where }));
    },
    spend: (n) => {
      this.ctx.ops += n;
      return this.ctx.ops <= this.ctx.budget;
    },
  });

  /** The values of an argument where it is; unknown parts kept as written. */
  private values(a: Arg, site: Site): { values: string[]; complete: boolean; known: boolean } {
    return this.known.arg(a.items, site.pipe.where, site.el.line, true) ?? { values: [looseText(a)], complete: false, known: false };
  }

  finish(): ShellFacts {
    for (const s of this.sites) this.classify(s);
    this.propagate();
    for (const s of this.sites) this.sinks(s);
    this.artifactSinks();
    for (const [, req] of this.requests) this.facts.tokenRequests.push(req);
    this.secretGetFacts();
    this.redact();
    return this.facts;
  }

  // -- walking ---------------------------------------------------------------------------------

  private walkScript(script: Script, src: string, parent: Pipe["parent"], depth: number, condition: boolean, hashtable: boolean): void {
    for (const st of script.statements) {
      if (!this.tick(st.line)) return;
      this.walkStatement(st, src, parent, depth, condition, hashtable);
    }
  }

  private walkStatement(st: Statement, src: string, parent: Pipe["parent"], depth: number, condition: boolean, hashtable: boolean): void {
    const first = st.elements[0] as Element;
    const items = first.items;
    const head = items[0];
    const pipe: Pipe = { sites: [], condition, src, where: parent?.site.pipe.where ?? this.where };
    if (parent) pipe.parent = parent;
    let elements = st.elements;

    const kw = head?.t === "word" && !head.adj ? head.text.toLowerCase() : "";
    if (KEYWORDS.has(kw)) {
      // a keyword statement: read its groups (conditions, bodies) as scripts of their own
      const site: Site = { el: first, pipe, index: 0, depth };
      pipe.sites.push(site);
      for (const el of st.elements) {
        let cond = false;
        el.items.forEach((it, i) => {
          if (it.t === "word" && CONDITION_KEYWORDS.has(it.text.toLowerCase())) cond = true;
          else if (it.t === "group") {
            this.walkItem(it, site, i, src, depth, cond && it.open === "(");
            cond = false;
          } else this.walkItem(it, site, i, src, depth, false);
        });
      }
      return;
    }

    // `key = value` in a hashtable, `$x = …`, `[type]$x = …`, `$env:X += …`
    let k = 0;
    if (hashtable && (head?.t === "word" || head?.t === "str") && items[1]?.t === "op" && (items[1] as { text: string }).text === "=") k = 2;
    else {
      while (items[k]?.t === "group" && (items[k] as { open: string }).open === "[") k++;
      const v = items[k];
      const op = items[k + 1];
      if (v?.t === "var" && !v.splat && op?.t === "op" && op.text.endsWith("=")) {
        const { key, bare, env } = varKey(v.name);
        const rest = items.slice(k + 2);
        const valueEl: Element = { items: rest, redirects: first.redirects, line: rest[0]?.line ?? first.line, start: rest[0]?.start ?? first.end, end: first.end };
        elements = [valueEl, ...st.elements.slice(1)];
        pipe.assign = { name: bare, key };
        const lastEl = elements[elements.length - 1] as Element;
        const rec: AssignRecord = { key, op: op.text, name: bare, line: v.line, pipe, items: elements.length === 1 ? rest : [], src, start: valueEl.start, end: lastEl.end };
        this.assigns.push(rec);
        const same = this.assignsByKey.get(key) ?? [];
        same.push(rec);
        this.assignsByKey.set(key, same);
        if (op.text === "=") {
          const value = this.assignValue(rec);
          rec.fact = { file: this.ctx.file, line: v.line, name: bare, value };
          this.facts.assignments.push(rec.fact);
        }
        if (env && CLIENT_SECRET_ENV.has(bare.toUpperCase())) this.secretUse(v.line, "env-assignment", bare);
        if (SECRET_VAR.test(bare) || (env && CLIENT_SECRET_ENV.has(bare.toUpperCase()))) this.secretVars.add(key);
        k = 0;
      } else k = 0;
    }
    if (k === 2) elements = [{ ...first, items: items.slice(2) }, ...st.elements.slice(1)];

    for (let i = 0; i < elements.length; i++) {
      const el = elements[i] as Element;
      const site: Site = { el, pipe, index: i, depth };
      const cmd = this.commandOf(el, src);
      if (cmd) site.cmd = cmd;
      pipe.sites.push(site);
      this.sites.push(site);
    }
    for (const site of pipe.sites) {
      site.el.items.forEach((it, i) => this.walkItem(it, site, i, src, depth, false));
      for (const r of site.el.redirects) for (const it of r.target) this.walkItem(it, site, -1, src, depth, false);
      this.nested(site);
    }
  }

  private walkItem(it: Item, site: Site, index: number, src: string, depth: number, condition: boolean): void {
    if (it.t === "group") {
      this.walkScript(it.body, src, { site, index }, depth + 1, condition, it.open === "@{");
    } else if (it.t === "str") {
      for (const p of it.parts) if (p.kind === "sub") this.walkScript(p.script, src, { site, index }, depth + 1, false, false);
    }
  }

  private commandOf(el: Element, src: string): Cmd | undefined {
    const items = el.items;
    const first = items[0];
    if (!first) return undefined;
    let args = argsOf(items, src);
    if (first.t === "op" && first.text === "&") args = argsOf(items.slice(1).map((it, i) => (i === 0 ? { ...it, adj: false } : it)), src);
    else if (first.t === "word" && first.text === "." && args.length > 1) args = args.slice(1);
    else if (first.t !== "word" || /^(-|[0-9]|!)/.test(first.text) || KEYWORDS.has(first.text.toLowerCase())) return undefined;
    const head = args[0];
    if (!head) return undefined;
    // `@list` where `$list = @('login', …)`: its elements are the arguments
    if (args.some((a) => a.items[0]?.t === "var" && a.items[0].splat)) args = [head, ...args.slice(1).flatMap((a) => this.splatted(a, el.line) ?? [a])].slice(0, 1024);
    let t = argText(head);
    // `& $agent …` where `$agent = 'C:\…\buildkite-agent.exe'` earlier in the text
    const v = head.items.length === 1 ? head.items[0] : undefined;
    if (t === undefined && v?.t === "var") {
      const lit = this.lastAssign(varKey(v.name).key, el.line)?.fact?.value.literal;
      if (lit !== undefined && !/\s/.test(lit.trim())) t = lit.trim();
    }
    const name = t === undefined ? "" : commandBase(t).replace(/\.(exe|cmd|bat|com)$/, "");
    return { name, head, args };
  }

  /** The elements of an array splatted as arguments (`@a`, `$a = @('x', $y)`, `$a += 'z'`), or undefined when not known. */
  private splatted(a: Arg, line: number): Arg[] | undefined {
    const v = a.items.length === 1 ? a.items[0] : undefined;
    if (v?.t !== "var" || !v.splat) return undefined;
    const recs = (this.assignsByKey.get(varKey(v.name).key) ?? []).filter((r) => r.line <= line);
    let base = -1;
    recs.forEach((r, i) => {
      if (r.op === "=") base = i;
    });
    if (base < 0) return undefined;
    const out: Arg[] = [];
    const key = varKey(v.name).key;
    for (const r of recs.slice(base)) {
      if (r.op !== "=" && r.op !== "+=") return undefined;
      // `[string[]]@( … )`, `[ordered]@{ … }`
      const items = r.items.filter((i, k) => !(i.t === "group" && i.open === "[" && k < r.items.length - 1));
      const only = items.length === 1 ? items[0] : undefined;
      if (only?.t === "group" && (only.open === "@(" || only.open === "(")) {
        for (const st of only.body.statements) {
          if (st.elements.length !== 1) return undefined;
          out.push(...argsOf((st.elements[0] as Element).items, r.src));
        }
      } else {
        const first = items[0];
        // a hashtable (read by the cmdlets that take one), a command's output, or nothing
        if (!first || (first.t === "group" && first.open === "@{") || (first.t === "word" && !/^[0-9]/.test(first.text))) return undefined;
        out.push(...argsOf(items, r.src));
      }
      if (out.length > 512) return undefined;
    }
    for (const o of out) this.splatOrigin.set(o, key);
    return out;
  }

  /** The array variable an argument was splatted from (a secret in it makes the array a secret). */
  private readonly splatOrigin = new WeakMap<Arg, string>();

  /**
   * Text a command runs that this reader can read too: `pwsh -Command '…'`, `Invoke-Expression '…'`
   * (or a variable assigned such text), `bash -c '…'`; and the scripts `pwsh -File`, `bash x.sh`,
   * `Invoke-Command -FilePath` and `Start-Process` run.
   */
  private nested(site: Site): void {
    const cmd = site.cmd;
    if (!cmd) return;
    this.runs(site, cmd.name, cmd.args);
  }

  /** What the program `name` runs, given its arguments (`args[0]` names it). */
  private runs(site: Site, name: string, args: readonly Arg[]): void {
    const line = site.el.line;
    // Like the bash reader's `eval "$x"`, `Invoke-Expression $x` runs text made at run time (a
    // script path, a test command) far more often than a hidden login: not a gap (`report` false).
    // A variable the script assigns a literal is read, though. `scoped`: the text runs in this
    // script's scope (`$PSScriptRoot` kept), not in a new PowerShell.
    const readInline = (a: Arg | undefined, what: string, shell: "pwsh" | "bash", report = true, scoped = false): void => {
      if (!a) return;
      let t = argText(a);
      const held = t === undefined && shell === "pwsh" ? this.heldCode(a, line) : undefined;
      if (held) {
        if (site.depth + 1 > MAX_DEPTH / 4) this.diag(line, `${what}: command strings nested too deeply to read`);
        else for (const h of held) this.readHeld(h, line, site.depth + 1, scoped ? site.pipe.where : undefined);
        return;
      }
      const only = a.items.length === 1 ? a.items[0] : undefined;
      // a double-quoted string is code with its variables in it: read it as written
      if (t === undefined && only?.t === "str" && only.quote === "double" && only.parts.every((p) => p.kind !== "sub")) t = only.raw.slice(1, -1);
      if (t === undefined || a.items.some((i) => i.t === "group")) {
        if (report && !a.items.every((i) => i.t === "group" && i.open === "{")) this.diag(line, `${what}: the command string is built at run time; its commands are not read`);
        return;
      }
      if (site.depth + 1 > MAX_DEPTH / 4) {
        this.diag(line, `${what}: command strings nested too deeply to read`);
        return;
      }
      if (shell === "pwsh") this.read(t, a.line, site.depth + 1, scoped ? site.pipe.where : undefined);
      else this.mergeShell(t, a.line);
    };
    const texts = args.map(argText);
    if (isPwshName(name)) {
      const target = pwshTarget(texts, 1, name.startsWith("powershell"));
      if (target.kind === "command") {
        const rest = args.slice(target.index);
        if (rest.length === 1) readInline(rest[0], `${name} -Command`, "pwsh");
        else if (rest.length > 1) {
          const joined = rest.map(argText);
          if (joined.every((x) => x !== undefined)) readInline({ items: [{ t: "word", text: joined.join(" "), raw: "", line: rest[0]?.line ?? line, start: 0, end: 0, adj: false }], raw: "", line: rest[0]?.line ?? line }, `${name} -Command`, "pwsh");
          else this.diag(line, `${name} -Command: the command string is built at run time; its commands are not read`);
        }
      } else if (target.kind === "file") {
        const f = args[target.index];
        if (f) this.callTo(site, f);
      } else if (target.kind === "encoded") this.diag(line, `${name} -EncodedCommand: the encoded command is not read`);
    } else if (INVOKE_EXPRESSION.has(name)) {
      const ps = readParams(args, 1, NO_SWITCHES);
      const a = param(ps.params, "command")?.value ?? ps.positionals[0];
      if (a) readInline(a, "Invoke-Expression", "pwsh", false, true);
      else if (site.index > 0) this.diag(line, "Invoke-Expression: the command string comes from the pipeline; its commands are not read");
    } else if (SHELLS.has(name)) {
      let k = 1;
      let hasC = false;
      for (; k < args.length; k++) {
        const t = texts[k];
        if (t === undefined || !/^[-+]/.test(t)) break;
        if (/^-[A-Za-z]*c/.test(t) && !t.startsWith("--")) hasC = true;
      }
      if (hasC) readInline(args[k], `${name} -c`, "bash");
      else if (args[k]) this.callTo(site, args[k] as Arg);
    } else if (name === "invoke-command" || name === "icm") {
      const ps = readParams(args, 1, INVOKE_COMMAND_SWITCHES, INVOKE_COMMAND_PARAMS);
      const f = param(ps.params, "filepath")?.value;
      if (f) this.callTo(site, f);
    } else if (name === "start-process" || name === "saps" || name === "start") this.startProcess(site, args);
  }

  /** `Start-Process pwsh -ArgumentList '-File','x.ps1'`: the program and its arguments, read as if written as a command. */
  private startProcess(site: Site, args: readonly Arg[]): void {
    const ps = readParams(args, 1, START_PROCESS_SWITCHES, START_PROCESS_PARAMS);
    const program = param(ps.params, "filepath")?.value ?? ps.positionals[0];
    if (!program) return;
    const list = param(ps.params, "argumentlist");
    const listed = list ? (list.list ?? (list.value ? [list.value] : [])) : ps.positionals.slice(program === ps.positionals[0] ? 1 : 0);
    // `-ArgumentList "-File x.ps1"`: one string holds several arguments
    const words: Arg[] = [];
    for (const a of listed.slice(0, 64)) {
      const t = argText(a);
      if (t !== undefined && /\s/.test(t.trim())) for (const w of t.trim().split(/\s+/).slice(0, 64)) words.push({ items: [{ t: "word", text: w.replace(/^["']|["']$/g, ""), raw: w, line: a.line, start: 0, end: 0, adj: false }], raw: w, line: a.line });
      else words.push(...this.listItems(a, site.pipe.src));
    }
    const t = argText(program);
    const name = t === undefined ? "" : commandBase(t).replace(/\.(exe|cmd|bat|com)$/, "");
    if (isPwshName(name) || SHELLS.has(name)) this.runs(site, name, [program, ...words]);
    else this.callTo(site, program, true);
  }

  /** A script call for each value the argument may have (an unknown argument is left alone unless `ifPath` and it is a path). */
  private callTo(site: Site, a: Arg, ifPath = false): void {
    const { values, complete, known } = this.values(a, site);
    if (!complete && !known) {
      if (!ifPath) this.facts.scriptCalls.push({ file: this.ctx.file, line: site.el.line, path: slashes(looseText(a)) });
      return;
    }
    for (const v of values) {
      const path = slashes(v);
      if (path === "" || (ifPath && (!path.includes("/") || /^([A-Za-z]:|\/|~|[a-z][a-z0-9+.-]*:\/\/)/i.test(path)))) continue;
      this.facts.scriptCalls.push({ file: this.ctx.file, line: site.el.line, path });
    }
  }

  private readonly reading = new Set<AssignRecord>();

  /** The code a variable holds when the script assigns it literal text (`$cmd = "az login …"`): each value as written. */
  private heldCode(a: Arg, line: number): { rec: AssignRecord; text: string }[] | undefined {
    const only = a.items.length === 1 ? a.items[0] : undefined;
    let name: string | undefined;
    if (only?.t === "var" && !only.splat) name = only.name;
    else if (only?.t === "str" && (only.quote === "double" || only.quote === "here-double")) {
      const ps = only.parts.filter((p) => !(p.kind === "lit" && p.text === ""));
      if (ps.length === 1 && ps[0]?.kind === "var") name = ps[0].name;
    }
    if (name === undefined) return undefined;
    const recs = (this.assignsByKey.get(varKey(name).key) ?? []).filter((r) => r.line <= line);
    if (recs.length === 0 || recs.length > 4 || recs.some((r) => r.op !== "=")) return undefined;
    const out: { rec: AssignRecord; text: string }[] = [];
    for (const rec of recs) {
      const v = rec.items.length === 1 ? rec.items[0] : undefined;
      if (v?.t !== "str" || v.parts.some((p) => p.kind === "sub") || this.reading.has(rec)) continue;
      out.push({ rec, text: v.parts.map((p) => (p.kind === "lit" ? p.text : p.raw)).join("") });
    }
    return out.length > 0 ? out : undefined;
  }

  private heldReads = 0;

  private readHeld(h: { rec: AssignRecord; text: string }, line: number, depth: number, where: Where | undefined): void {
    // code that logs in with a secret: the variable's value is not recorded
    if (HOLDS_SECRET.test(h.text)) this.secretVars.add(h.rec.key);
    // each read may read others: a cap, not only the budget, keeps a small text from costing the whole budget
    if (++this.heldReads > MAX_HELD_READS) {
      if (this.heldReads === MAX_HELD_READS + 1) this.diag(line, `Invoke-Expression: more than ${MAX_HELD_READS} command strings held in variables; the rest are not read`);
      return;
    }
    this.reading.add(h.rec);
    this.read(h.text, line, depth, where);
    this.reading.delete(h.rec);
  }

  /** Facts from a bash command string run from PowerShell. */
  private mergeShell(text: string, line: number): void {
    const r = readShell(text, this.ctx.file, { firstLine: line });
    const f = this.facts;
    f.tokenRequests.push(...r.facts.tokenRequests);
    f.azLogins.push(...r.facts.azLogins);
    f.clientSecretUses.push(...r.facts.clientSecretUses);
    f.tokenSinks.push(...r.facts.tokenSinks);
    f.roleAssignments.push(...r.facts.roleAssignments);
    f.assignments.push(...r.facts.assignments);
    f.scriptCalls.push(...r.facts.scriptCalls);
    f.pipelineUploads.push(...r.facts.pipelineUploads);
    for (const d of r.diagnostics) this.ctx.diagnostics.push(d);
  }

  private assignValue(rec: AssignRecord): ValueRef {
    const raw = oneLine(rec.src.slice(rec.start, rec.end).trim(), 4096);
    const args = argsOf(rec.items, rec.src);
    if (args.length === 1 && rec.items.length > 0) {
      const a = args[0] as Arg;
      const only = a.items[0];
      // a bare word after `=` runs a command: only a number is a literal
      if (a.items.length === 1 && only?.t === "word" && !/^[0-9]/.test(only.text)) return { raw };
      return valueRef(a);
    }
    return { raw };
  }

  // -- pass 1: what each command is -------------------------------------------------------------

  private classify(site: Site): void {
    if (!this.tick(site.el.line)) return;
    const line = site.el.line;
    this.envReferences(site);
    const cmd = site.cmd;
    if (!cmd) {
      this.expressionWrites(site);
      return;
    }
    const texts = cmd.args.map(argText);
    this.scriptCall(site, cmd);
    this.dynamicCommand(site, cmd);
    const name = cmd.name;
    if (name === "buildkite-agent") {
      if (texts[1] === "oidc" && texts[2] === "request-token") this.tokenRequest(site, cmd);
      else if (texts[1] === "secret" && texts[2] === "get") {
        const fr = this.flags(site, cmd, 3, SECRET_GET_VALUES, "buildkite-agent secret get");
        this.secretGets.set(site, { id: `secret#${this.secretGets.size}`, names: fr.positionals });
      } else if (texts[1] === "pipeline" && texts[2] === "upload") {
        const fr = this.flags(site, cmd, 3, PIPELINE_UPLOAD_VALUES, "buildkite-agent pipeline upload");
        const p = fr.positionals[0];
        this.facts.pipelineUploads.push({ file: this.ctx.file, line, path: p ? slashes(looseText(p)) : site.index > 0 ? "-" : "" });
      }
    } else if (name === "az") {
      const splat = cmd.args[1]?.items[0];
      if (splat?.t === "var" && splat.splat) this.diag(line, `az: the arguments in \`${oneLine((cmd.args[1] as Arg).raw, 80)}\` are only known at run time; the command they make is not read`);
      else if (texts[1] === "login") this.azLogin(site, cmd);
      else if (texts[1] === "role" && texts[2] === "assignment" && texts[3] === "create") this.roleAssignment(site, cmd);
    } else if (name === "azd") {
      const splat = cmd.args[1]?.items[0];
      if (splat?.t === "var" && splat.splat) this.diag(line, `azd: the arguments in \`${oneLine((cmd.args[1] as Arg).raw, 80)}\` are only known at run time; the command they make is not read`);
      else this.azdLogin(site, cmd, texts);
    } else if (CONNECT_AZ.has(name)) this.connectAz(site, cmd);
    else if (name === "set-item" || name === "new-item" || name === "si" || name === "ni") {
      const ps = readParams(cmd.args, 1, ITEM_SWITCHES, ["path", "literalpath", "value", "name", "itemtype"]);
      const path = param(ps.params, "path", "literalpath")?.value ?? ps.positionals[0];
      const m = path ? /^env:(.+)$/i.exec(argText(path) ?? "") : null;
      if (m && CLIENT_SECRET_ENV.has((m[1] as string).toUpperCase())) this.secretUse(line, "env-assignment", m[1] as string);
    }
  }

  /** `$env:AZURE_CLIENT_SECRET` read by a command or an expression (not tested, not in a message without `$`). */
  private envReferences(site: Site): void {
    const items = site.el.items;
    const check = (name: string, test: boolean): void => {
      const v = varKey(name);
      if (v.env && CLIENT_SECRET_ENV.has(v.bare.toUpperCase()) && !test) this.secretUse(site.el.line, "env-reference", v.bare);
    };
    const parentTest = this.inTest(site);
    items.forEach((it, i) => {
      if (it.t === "var") {
        const prev = items[i - 1];
        const next = items[i + 1];
        const test =
          parentTest ||
          (prev?.t === "op" && prev.text === "!") ||
          (prev?.t === "word" && TEST_OPERATOR.test(prev.text)) ||
          (next?.t === "word" && TEST_OPERATOR.test(next.text)) ||
          (site.pipe.condition && !site.cmd && site.pipe.sites.length === 1);
        check(it.name, test);
      } else if (it.t === "str") {
        for (const p of it.parts) if (p.kind === "var") check(p.name, false);
      }
    });
    for (const r of site.el.redirects) for (const it of r.target) if (it.t === "var") check(it.name, false);
  }

  /** True when the site is the argument of `[string]::IsNullOrEmpty( … )` or a test operand group. */
  private inTest(site: Site): boolean {
    if (site.cmd) return false;
    const p = site.pipe.parent;
    if (!p) return false;
    const items = p.site.el.items;
    const prev = items[p.index - 1];
    if (prev?.t === "word" && /::IsNullOr(Empty|WhiteSpace)$/i.test(prev.text)) return true;
    const before = items[p.index - 1];
    const after = items[p.index + 1];
    return (before?.t === "word" && TEST_OPERATOR.test(before.text)) || (before?.t === "op" && before.text === "!") || (after?.t === "word" && TEST_OPERATOR.test(after.text));
  }

  /** `& ./x.ps1`, `. "$PSScriptRoot\\lib.ps1"`, `& $script` (a value the script assigns), `./x.sh`. */
  private scriptCall(site: Site, cmd: Cmd): void {
    const { values, complete, known } = this.values(cmd.head, site);
    // a command named by what is not known could be anything: like the bash reader's `$CMD`, silent
    if (!complete && !known) return;
    const dotted = cmd.args.length > 0 && (site.el.items[0]?.t === "op" || (site.el.items[0]?.t === "word" && (site.el.items[0] as { text: string }).text === "."));
    for (const v of values) {
      const raw = slashes(v);
      if (raw === "" || /^([A-Za-z]:|\/|~|[a-z][a-z0-9+.-]*:\/\/)/i.test(raw)) continue;
      if (raw.includes("/") || (dotted && /\.(ps1|psm1|sh|cmd|bat)$/i.test(raw))) this.facts.scriptCalls.push({ file: this.ctx.file, line: site.el.line, path: raw });
    }
  }

  /** `& $cmd …` where `$cmd` holds a command this reader looks for. */
  private dynamicCommand(site: Site, cmd: Cmd): void {
    if (cmd.name !== "") return;
    const v = cmd.head.items.find((i) => i.t === "var");
    if (!v || v.t !== "var") return;
    const { key } = varKey(v.name);
    for (const rec of (this.assignsByKey.get(key) ?? []).slice(-16)) {
      const held = rec.src.slice(rec.start, rec.end).slice(0, 4096);
      const m = /\bbuildkite-agent(\.exe)?['"]?\s+(oidc|secret|meta-data|artifact|pipeline)\b|(^|[\s('"\\/])az(\.cmd)?['"]?(\s+(login|role)\b|$)|(^|[\s('"\\/])azd(\.exe)?['"]?\s+(auth\s+)?login\b|connect-az(urerm)?account/i.exec(held);
      if (m) {
        this.diag(site.el.line, `the command run by \`${oneLine(cmd.head.raw, 80)}\` is held in a variable (it holds \`${oneLine(m[0].trim().replace(/^["'(\\/]/, ""), 60)}\`); its arguments are not read`);
        return;
      }
    }
  }

  private secretUse(line: number, kind: ClientSecretUse["kind"], name: string): void {
    this.facts.clientSecretUses.push({ file: this.ctx.file, line, kind, name });
  }

  private flags(site: Site, cmd: Cmd, start: number, values: Set<string>, what: string): ReturnType<typeof readFlags> {
    const fr = readFlags(cmd.args, start, values);
    for (const m of fr.missing) this.diag(site.el.line, `${what}: ${m} has no value`);
    for (const a of fr.splats) this.diag(site.el.line, `${what}: the arguments in \`${oneLine(a.raw, 80)}\` are only known at run time; flags they add are not read`);
    return fr;
  }

  private tokenRequest(site: Site, cmd: Cmd): void {
    const fr = this.flags(site, cmd, 3, REQUEST_TOKEN_VALUES, "buildkite-agent oidc request-token");
    const req: TokenRequest = { file: this.ctx.file, line: site.el.line };
    const audience = flagValue(fr.flags, "--audience");
    const subject = flagValue(fr.flags, "--subject-claim");
    const lifetime = flagValue(fr.flags, "--lifetime");
    if (audience?.value) req.audience = valueRef(audience.value);
    if (subject?.value) req.subjectClaim = valueRef(subject.value);
    else {
      const earlier = this.lastAssign("env:buildkite_oidc_token_subject_claim", site.el.line);
      if (earlier?.fact) req.subjectClaim = earlier.fact.value;
    }
    if (lifetime?.value) req.lifetime = valueRef(lifetime.value);
    const assignedTo = this.assignedTo(site);
    if (assignedTo !== undefined) req.assignedTo = assignedTo;
    this.requests.set(site, req);
  }

  /** The variable a site's output is assigned to: `$t = cmd`, `$env:T = (cmd)`, `$t = (cmd | Out-String).Trim()`. */
  private assignedTo(site: Site): string | undefined {
    let s: Site | undefined = site;
    for (let guard = 0; s && guard < 4 * MAX_DEPTH; guard++) {
      if (!this.flowsOut(s)) return undefined;
      if (s.pipe.assign) return s.pipe.assign.name;
      const p: Pipe["parent"] = s.pipe.parent;
      if (!p) return undefined;
      const ps: Site = p.site;
      // the group is the whole of an expression (with member access after it), or an argument of Write-Output
      const items = ps.el.items;
      const rest = items.slice(p.index + 1);
      const wholeExpr = !ps.cmd && items.slice(0, p.index).length === 0 && rest.every((i) => i.adj && (i.t === "word" ? i.text.startsWith(".") : i.t === "group" && i.open === "("));
      if (!wholeExpr && !(ps.cmd && EMITTERS.has(ps.cmd.name))) return undefined;
      s = ps;
    }
    return undefined;
  }

  private stdoutRedirected(site: Site): boolean {
    return site.el.redirects.some((r) => /^[1*]?>>?$/.test(r.op));
  }

  /** True when a site's output reaches the end of its pipeline. */
  private flowsOut(site: Site): boolean {
    for (let j = site.index; j < site.pipe.sites.length; j++) {
      const s = site.pipe.sites[j] as Site;
      if (this.stdoutRedirected(s)) return false;
      const next = site.pipe.sites[j + 1];
      if (next && !(next.cmd && PASS_THROUGH.has(next.cmd.name))) return false;
    }
    return true;
  }

  /** The last assignment of a variable at or before `line` (else its first one), by binary search (assignments are recorded in text order). */
  private lastAssign(key: string, line: number): AssignRecord | undefined {
    const list = this.assignsByKey.get(key);
    if (!list || list.length === 0) return undefined;
    let lo = 0;
    let hi = list.length - 1;
    if ((list[0] as AssignRecord).line > line) return list[0];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((list[mid] as AssignRecord).line <= line) lo = mid;
      else hi = mid - 1;
    }
    return list[lo];
  }

  private azLogin(site: Site, cmd: Cmd): void {
    const fr = this.flags(site, cmd, 2, AZ_LOGIN_VALUES, "az login");
    const line = site.el.line;
    const has = (n: string): boolean => fr.flags.some((f) => f.name === n);
    const username = flagValue(fr.flags, "-u", "--username");
    const password = flagValue(fr.flags, "-p", "--password", "--secret");
    const tenant = flagValue(fr.flags, "-t", "--tenant");
    let method: AzLoginMethod;
    if (has("--identity")) method = "identity";
    else if (has("--federated-token")) method = "federated-token";
    else if (has("--certificate")) method = "certificate";
    else if (password) method = "password";
    else {
      method = "interactive";
      if (has("--service-principal")) this.diag(line, "az login --service-principal without --password, --certificate or --federated-token: the credential it uses is not visible");
    }
    const login: AzLogin = { file: this.ctx.file, line, method };
    if (username?.value) login.username = valueRef(username.value);
    if (password?.value) login.password = secretRef(password.value);
    if (tenant?.value) login.tenant = valueRef(tenant.value);
    this.facts.azLogins.push(login);
    if (method === "password" && password?.value) {
      this.markSecretArg(password.value);
      // a secret in a splatted array: the array's value is not recorded
      for (const a of cmd.args) {
        const from = this.splatOrigin.get(a);
        if (from !== undefined) this.secretVars.add(from);
      }
      this.secretUse(line, "password-flag", login.password?.variable ?? this.secretGetName(password.value) ?? password.name);
    }
  }

  /** `azd auth login …` (Azure Developer CLI); other azd commands are not logins. */
  private azdLogin(site: Site, cmd: Cmd, texts: (string | undefined)[]): void {
    const at = azdLoginStart(texts);
    if (!at) return;
    const fr = this.flags(site, cmd, at.start, AZD_LOGIN_VALUES, at.command);
    const method = azdLoginMethod((name) => {
      const f = fr.flags.filter((x) => x.name === name).pop();
      const text = f?.value ? argText(f.value) : undefined;
      return text === undefined ? { present: f !== undefined } : { present: true, text };
    });
    if (method === undefined) return;
    const line = site.el.line;
    const login: AzLogin = { file: this.ctx.file, line, method, command: at.command };
    const clientId = flagValue(fr.flags, "--client-id");
    const secret = flagValue(fr.flags, "--client-secret");
    const tenant = flagValue(fr.flags, "--tenant-id");
    const provider = flagValue(fr.flags, "--federated-credential-provider");
    if (clientId?.value) login.username = valueRef(clientId.value);
    if (tenant?.value) login.tenant = valueRef(tenant.value);
    if (method === "federated-token" && provider?.value) login.provider = valueRef(provider.value);
    if (secret?.value) {
      // whatever carries the secret is not recorded, login or not (azd refuses two credentials)
      this.markSecretArg(secret.value);
      if (method === "password") {
        login.password = secretRef(secret.value);
        this.secretUse(line, "password-flag", login.password.variable ?? this.secretGetName(secret.value) ?? secret.name);
      }
    }
    this.facts.azLogins.push(login);
  }

  /** The name of a secret fetched with `buildkite-agent secret get` that a value carries. */
  private secretGetName(a: Arg): string | undefined {
    for (const [k] of this.originsOfItems(a.items, 0)) {
      if (!k.startsWith("secret#")) continue;
      for (const [, sg] of this.secretGets) if (sg.id === k && sg.names[0]) return looseText(sg.names[0]);
    }
    return undefined;
  }

  /** Variables an argument names become secrets (their assigned values are not recorded). */
  private markSecretArg(a: Arg): void {
    const from = this.splatOrigin.get(a);
    if (from !== undefined) this.secretVars.add(from);
    for (const it of a.items) {
      if (it.t === "var") this.secretVars.add(varKey(it.name).key);
      else if (it.t === "str") {
        for (const p of it.parts) if (p.kind === "var") this.secretVars.add(varKey(p.name).key);
      } else if (it.t === "group") {
        for (const st of it.body.statements) for (const el of st.elements) this.markSecretArg({ items: el.items, raw: "", line: a.line });
      }
    }
  }

  private connectAz(site: Site, cmd: Cmd): void {
    const line = site.el.line;
    const ps = readParams(cmd.args, 1, CONNECT_SWITCHES, CONNECT_PARAMS);
    const params = [...ps.params];
    for (const s of ps.splats) {
      const table = this.hashtableOf(s, site);
      if (table) params.push(...table);
      else this.diag(line, `${cmd.name}: the parameters in \`${oneLine(s.raw, 80)}\` are only known at run time; the login they make is not read`);
    }
    const p = (...names: string[]): Param | undefined => param(params, ...names);
    const on = (name: string): boolean => {
      const x = p(name);
      if (!x) return false;
      const t = x.value ? argText(x.value) : undefined;
      return !(x.value && (t?.toLowerCase() === "$false" || x.value.items.some((i) => i.t === "var" && i.name.toLowerCase() === "false")));
    };
    const credential = p("credential");
    let method: AzLoginMethod = "interactive";
    if (on("identity")) method = "identity";
    else if (p("federatedtoken")) method = "federated-token";
    else if (p("certificatethumbprint", "certificatepath")) method = "certificate";
    else if (credential) method = "password";
    else if (p("accesstoken")) this.diag(line, `${cmd.name} -AccessToken: the token is obtained elsewhere; how is not read`);
    else if (on("serviceprincipal")) this.diag(line, `${cmd.name} -ServicePrincipal without -Credential, -CertificateThumbprint or -FederatedToken: the credential it uses is not visible`);
    const login: AzLogin = { file: this.ctx.file, line, method, command: "Connect-AzAccount" };
    const tenant = p("tenant", "tenantid")?.value;
    if (tenant) login.tenant = valueRef(tenant);
    const app = p("applicationid")?.value;
    if (app) login.username = valueRef(app);
    if (method === "password" && credential) {
      const c = credential.value ? this.credentialOf(credential.value, line) : undefined;
      if (c?.user) login.username = valueRef(c.user);
      if (c?.secret) {
        login.password = secretRef(c.secret);
        this.markSecretArg(c.secret);
      } else if (credential.value) login.password = { raw: credential.value.raw };
      if (credential.value) this.markSecretArg(credential.value);
      const credVar = credential.value?.items.length === 1 && credential.value.items[0]?.t === "var" ? varKey((credential.value.items[0] as { name: string }).name).bare : undefined;
      this.secretUse(line, "password-flag", login.password?.variable ?? (c?.secret ? this.secretGetName(c.secret) : undefined) ?? credVar ?? "-Credential");
    }
    this.facts.azLogins.push(login);
  }

  /**
   * `@params` where `$params = @{ Key = value; … }` in this text, with the keys set after it
   * (`$params.Key = v`, `$params['Key'] = v`, `$params.Add('Key', v)`, `$params += @{ … }`).
   * Undefined when the table, or a key set on it, is not known.
   */
  private hashtableOf(splat: Arg, site: Site): Param[] | undefined {
    const v = splat.items[0];
    if (!v || v.t !== "var" || splat.items.length !== 1) return undefined;
    const key = varKey(v.name).key;
    const recs = (this.assignsByKey.get(key) ?? []).filter((r) => r.line <= site.el.line);
    let base = -1;
    recs.forEach((r, i) => {
      if (r.op === "=") base = i;
    });
    const rec = recs[base];
    if (!rec) return undefined;
    const out: Param[] = [];
    const push = (name: string, value: Arg | undefined, line: number): void => {
      let n = name.toLowerCase();
      const cands = CONNECT_PARAMS.filter((k) => k.startsWith(n));
      if (!CONNECT_PARAMS.includes(n) && cands.length === 1) n = cands[0] as string;
      out.push(value ? { name: n, value, line } : { name: n, line });
    };
    for (const r of recs.slice(base)) {
      if (r.op !== "=" && r.op !== "+=") return undefined;
      // `[ordered]@{ … }`
      const items = r.items.filter((i, k) => !(i.t === "group" && i.open === "[" && k < r.items.length - 1));
      const g = items.length === 1 ? items[0] : undefined;
      if (!g || g.t !== "group" || g.open !== "@{") return undefined;
      for (const st of g.body.statements) {
        for (const el of st.elements) {
          const k = el.items[0] ? staticItem(el.items[0]) : undefined;
          const eq = el.items[1];
          if (k === undefined || eq?.t !== "op" || eq.text !== "=") continue;
          push(k, argsOf(el.items.slice(2), r.src)[0], el.line);
        }
      }
    }
    const from = this.orderOf(rec.pipe.sites[0]);
    const to = this.orderOf(site);
    for (const m of this.memberSites(key)) {
      const o = this.orderOf(m);
      if (o <= from || o >= to) continue;
      const set = this.memberSet(m);
      if (set === undefined) return undefined;
      if (set) push(set.name, set.value, m.el.line);
    }
    return out;
  }

  private siteOrder: Map<Site, number> | undefined;

  /** Where a site is in the walk (text order; -1 when unknown). */
  private orderOf(site: Site | undefined): number {
    if (!this.siteOrder) {
      this.siteOrder = new Map();
      this.sites.forEach((s, i) => this.siteOrder?.set(s, i));
    }
    return site ? (this.siteOrder.get(site) ?? -1) : -1;
  }

  private members: Map<string, Site[]> | undefined;

  /** Statements that start with `$key.` or `$key[` (where a hashtable's keys are set). */
  private memberSites(key: string): Site[] {
    if (!this.members) {
      this.members = new Map();
      for (const s of this.sites) {
        const [v, m] = s.el.items;
        if (s.index !== 0 || s.cmd || s.pipe.assign || v?.t !== "var" || v.splat || !m?.adj || !((m.t === "word" && m.text.startsWith(".")) || (m.t === "group" && m.open === "["))) continue;
        const k = varKey(v.name).key;
        const list = this.members.get(k) ?? [];
        if (list.length < 256) list.push(s);
        this.members.set(k, list);
      }
    }
    return this.members.get(key) ?? [];
  }

  /** The key a statement sets on a hashtable (null: it sets none; undefined: it sets one this reader cannot name). */
  private memberSet(site: Site): { name: string; value: Arg | undefined } | null | undefined {
    const items = site.el.items;
    const src = site.pipe.src;
    const m = items[1] as Item;
    // the value is the rest of the statement (`$p.Credential = New-Object PSCredential(…)`), as a group
    const rest = (i: number): Arg | null => {
      const v = items.slice(i);
      const args = argsOf(v, src);
      if (args.length <= 1) return args[0] ?? null;
      const a = v[0] as Item;
      const z = v[v.length - 1] as Item;
      const el: Element = { items: v, redirects: [], line: a.line, start: a.start, end: z.end };
      const g: Item = { t: "group", open: "(", body: { statements: [{ elements: [el], line: a.line }] }, raw: src.slice(a.start, z.end), line: a.line, start: a.start, end: z.end, adj: false };
      return { items: [g], raw: g.raw, line: a.line };
    };
    const setsAt = (i: number): Arg | null => {
      const eq = items[i];
      return eq?.t === "op" && eq.text === "=" ? rest(i + 1) : null;
    };
    if (m.t === "group") {
      const value = setsAt(2);
      if (value === null) return null;
      const name = staticBody(m as Item & { t: "group" });
      return name === undefined ? undefined : { name, value };
    }
    if (m.t !== "word") return null;
    const w = /^\.([A-Za-z_][A-Za-z0-9_]*)(=?)$/.exec(m.text);
    if (!w) return items.some((i) => i.t === "op" && i.text === "=") ? undefined : null; // `$p.$k = v`
    const name = w[1] as string;
    if (w[2] === "=") return { name, value: rest(2) ?? undefined };
    const call = items[2];
    if (/^add$/i.test(name) && call?.t === "group" && call.open === "(" && call.adj) {
      const [k, value] = this.listItems({ items: [call], raw: call.raw, line: call.line }, src);
      const t = k ? argText(k) : undefined;
      return t === undefined ? undefined : { name: t, value };
    }
    if (/^(remove|clear)$/i.test(name) || call?.t === "group") return null;
    const value = setsAt(2);
    return value === null ? null : { name, value };
  }

  /** The user and secret of a PSCredential: built where the argument is, or where its variable was assigned. */
  private credentialOf(a: Arg, line: number, depth = 0): { user?: Arg; secret?: Arg } | undefined {
    if (depth > 4) return undefined;
    const v = a.items.length === 1 ? a.items[0] : undefined;
    let items: Item[];
    let src: string;
    if (v?.t === "var") {
      const rec = this.lastAssign(varKey(v.name).key, line);
      if (!rec) return undefined;
      items = rec.items;
      src = rec.src;
    } else if (v?.t === "group" && v.body.statements.length === 1) {
      items = (v.body.statements[0] as Statement).elements[0]?.items ?? [];
      src = this.srcOfSite(a) ?? "";
    } else return undefined;
    const args = argsOf(items, src);
    const head = args[0] ? argText(args[0]) : undefined;
    let pair: Arg[] = [];
    if (head?.toLowerCase() === "new-object") {
      const ps = readParams(args, 1, NEW_OBJECT_SWITCHES, ["typename", "argumentlist", "property", "comobject"]);
      let type = param(ps.params, "typename")?.value ?? ps.positionals[0];
      let attached: Arg | undefined;
      // `New-Object PSCredential($id, $secret)`: the list written against the type name
      const tail = type?.items[type.items.length - 1];
      if (type && type.items.length === 2 && tail?.t === "group" && tail.open === "(") {
        attached = { items: [tail], raw: tail.raw, line: tail.line };
        type = { items: type.items.slice(0, 1), raw: type.items[0]?.raw ?? "", line: type.line };
      }
      if (!type || !/(^|\.)pscredential$/i.test(argText(type) ?? "")) return undefined;
      const al = param(ps.params, "argumentlist");
      const listArg = attached ?? al?.value ?? ps.positionals[1];
      if (listArg) pair = this.listItems(listArg, src);
      // `-ArgumentList $a, $b`: the comma split the list into two arguments
      const i = listArg ? args.indexOf(listArg) : -1;
      if (pair.length === 1 && i !== -1 && args[i + 1]) pair.push(args[i + 1] as Arg);
    } else {
      const t = items[0];
      const m = items[1];
      const g = items[2];
      if (t?.t === "group" && t.open === "[" && /^((system\.)?management\.automation\.)?pscredential$/i.test(staticBody(t) ?? "") && m?.t === "word" && /^::new$/i.test(m.text) && g?.t === "group") {
        pair = this.listItems({ items: [g], raw: g.raw, line: g.line }, src);
      } else return undefined;
    }
    const out: { user?: Arg; secret?: Arg } = {};
    if (pair[0]) out.user = pair[0];
    const secret = pair[1];
    if (secret) out.secret = this.secureSource(secret, src, line, depth) ?? secret;
    return out;
  }

  /** What a SecureString was made from: `ConvertTo-SecureString X -AsPlainText -Force`, directly or through a variable. */
  private secureSource(a: Arg, src: string, line: number, depth: number): Arg | undefined {
    if (depth > 4) return undefined;
    const v = a.items.length === 1 ? a.items[0] : undefined;
    let pipeItems: Item[][];
    let s = src;
    if (v?.t === "var") {
      const rec = this.lastAssign(varKey(v.name).key, line);
      if (!rec) return undefined;
      pipeItems = rec.pipe.sites.map((x) => x.el.items);
      s = rec.src;
    } else if (v?.t === "group" && v.body.statements.length === 1) {
      pipeItems = (v.body.statements[0] as Statement).elements.map((e) => e.items);
    } else return undefined;
    for (let i = 0; i < pipeItems.length; i++) {
      const args = argsOf(pipeItems[i] as Item[], s);
      if (!args[0] || argText(args[0])?.toLowerCase() !== "convertto-securestring") continue;
      const ps = readParams(args, 1, SECURE_SWITCHES, ["string", "asplaintext", "force", "key", "securekey"]);
      const str = param(ps.params, "string")?.value ?? ps.positionals[0];
      if (str) return str;
      // `$env:X | ConvertTo-SecureString -AsPlainText -Force`
      const prev = pipeItems[i - 1];
      if (prev) {
        const pa = argsOf(prev, s);
        if (pa.length === 1) return pa[0];
      }
    }
    return undefined;
  }

  /** The elements of `($a, $b)` / `@($a, $b)` / `$a, $b`. */
  private listItems(a: Arg, src: string): Arg[] {
    const g = a.items.length === 1 ? a.items[0] : undefined;
    if (g?.t === "group" && (g.open === "(" || g.open === "@(")) {
      const st = g.body.statements[0];
      const el = st?.elements[0];
      return el ? argsOf(el.items, src) : [];
    }
    return [a];
  }

  private srcOfSite(a: Arg): string | undefined {
    const first = a.items[0];
    // a group made of the rest of a statement (hashtable keys set one by one)
    const inner = first?.t === "group" ? first.body.statements[0]?.elements[0]?.items[0] : undefined;
    for (const s of this.sites) if (s.el.items.includes(first as Item) || (inner && s.el.items.includes(inner))) return s.pipe.src;
    return undefined;
  }

  private roleAssignment(site: Site, cmd: Cmd): void {
    const fr = this.flags(site, cmd, 4, AZ_ROLE_VALUES, "az role assignment create");
    const ra: RoleAssignmentCommand = { file: this.ctx.file, line: site.el.line };
    const role = flagValue(fr.flags, "--role");
    const scope = flagValue(fr.flags, "--scope");
    const assignee = flagValue(fr.flags, "--assignee", "--assignee-object-id");
    if (role?.value) ra.role = valueRef(role.value);
    if (scope?.value) ra.scope = valueRef(scope.value);
    if (assignee?.value) ra.assignee = valueRef(assignee.value);
    this.facts.roleAssignments.push(ra);
  }

  // -- data flow: which variables hold a token or a fetched secret -----------------------------

  private originsOfItems(items: readonly Item[], depth: number): Map<string, string> {
    const out = new Map<string, string>();
    if (depth > MAX_DEPTH) return out;
    const add = (m: Map<string, string>): void => {
      for (const [k, v] of m) if (!out.has(k)) out.set(k, v);
    };
    const fromVar = (name: string): void => {
      const v = varKey(name);
      const o = this.varOrigins.get(v.key);
      if (o) for (const [k] of o) if (!out.has(k)) out.set(k, v.bare);
    };
    for (const it of items) {
      if (!this.tick(it.line)) return out;
      if (it.t === "var") fromVar(it.name);
      else if (it.t === "str") {
        for (const p of it.parts) {
          if (p.kind === "var") fromVar(p.name);
          else if (p.kind === "sub") add(this.scriptOutput(p.script, depth + 1));
        }
      } else if (it.t === "group" && (it.open === "(" || it.open === "$(" || it.open === "@(")) add(this.scriptOutput(it.body, depth + 1));
    }
    return out;
  }

  private readonly siteOfEl = new Map<Element, Site>();

  private siteOf(el: Element): Site | undefined {
    if (this.siteOfEl.size === 0) for (const s of this.sites) this.siteOfEl.set(s.el, s);
    return this.siteOfEl.get(el);
  }

  /** Origins of what a script (a group's body) outputs. */
  private scriptOutput(script: Script, depth: number): Map<string, string> {
    const out = new Map<string, string>();
    for (const st of script.statements) {
      const last = st.elements[st.elements.length - 1];
      const s = last ? this.siteOf(last) : undefined;
      if (!s || s.pipe.assign || this.stdoutRedirected(s)) continue;
      for (const [k, v] of this.produces(s, depth + 1)) if (!out.has(k)) out.set(k, v);
    }
    return out;
  }

  /** Origins a site's output carries (what it reads from the pipeline included). */
  private produces(site: Site, depth: number): Map<string, string> {
    const out = new Map<string, string>();
    if (depth > 2 * MAX_DEPTH || !this.tick(site.el.line)) return out;
    if (this.requests.has(site)) out.set("token", "oidc request-token");
    const sg = this.secretGets.get(site);
    if (sg) out.set(sg.id, "secret get");
    const cmd = site.cmd;
    if (!cmd) for (const [k, v] of this.originsOfItems(site.el.items, depth + 1)) out.set(k, v);
    else if (EMITTERS.has(cmd.name)) for (const a of cmd.args.slice(1)) for (const [k, v] of this.originsOfItems(a.items, depth + 1)) if (!out.has(k)) out.set(k, v);
    if (cmd && PASS_THROUGH.has(cmd.name) && site.index > 0) {
      const prev = site.pipe.sites[site.index - 1] as Site;
      if (!this.stdoutRedirected(prev)) for (const [k, v] of this.produces(prev, depth + 1)) if (!out.has(k)) out.set(k, v);
    }
    return out;
  }

  private propagate(): void {
    for (let round = 0; round < 8 && !this.stopped; round++) {
      let changed = false;
      for (const rec of this.assigns) {
        const last = rec.pipe.sites[rec.pipe.sites.length - 1];
        if (!last || !this.tick(rec.line)) continue;
        const o = this.stdoutRedirected(last) ? new Map<string, string>() : this.produces(last, 0);
        if (o.size === 0) continue;
        let mine = this.varOrigins.get(rec.key);
        if (!mine) {
          mine = new Map();
          this.varOrigins.set(rec.key, mine);
        }
        for (const [k] of o) {
          if (!mine.has(k)) {
            mine.set(k, rec.name);
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
  }

  // -- pass 2: where tokens go ---------------------------------------------------------------

  private fileDest(a: Arg): Dest | undefined {
    const text = slashes(looseText(a));
    if (text === "" || NOT_A_FILE.test(text)) return undefined;
    const envFile = a.items.some((i) => (i.t === "var" && ENV_FILE_VAR.test(varKey(i.name).bare)) || (i.t === "str" && i.parts.some((p) => p.kind === "var" && ENV_FILE_VAR.test(varKey(p.name).bare))));
    return { kind: envFile ? "environment-file" : "file", target: text };
  }

  private ownDests(site: Site): Dest[] {
    const out: Dest[] = [];
    for (const r of site.el.redirects) {
      if (!/^[1*]?>>?$/.test(r.op) || r.target.length === 0) continue;
      const first = r.target[0] as Item;
      const d = this.fileDest({ items: r.target, raw: "", line: first.line });
      if (d) out.push(d);
    }
    return out;
  }

  /** The file a writer cmdlet (`Out-File`, `Set-Content`, `Add-Content`, `Tee-Object`) writes to, and the value it is given. */
  private writerArgs(cmd: Cmd): { path?: Arg; value?: Arg } {
    const ps = readParams(cmd.args, 1, WRITER_SWITCHES, WRITER_PARAMS);
    const path = param(ps.params, "filepath", "path", "literalpath")?.value ?? ps.positionals[0];
    const value = param(ps.params, "value", "inputobject")?.value ?? (cmd.name === "out-file" || cmd.name.startsWith("tee") ? undefined : (param(ps.params, "filepath", "path", "literalpath") ? ps.positionals[0] : ps.positionals[1]));
    const out: { path?: Arg; value?: Arg } = {};
    if (path) out.path = path;
    if (value) out.value = value;
    return out;
  }

  private isMetaDataSet(cmd: Cmd | undefined): cmd is Cmd {
    return cmd?.name === "buildkite-agent" && argText(cmd.args[1] ?? { items: [], raw: "", line: 0 }) === "meta-data" && argText(cmd.args[2] ?? { items: [], raw: "", line: 0 }) === "set";
  }

  /** Where a site's output ends up: its redirections, and writers/`meta-data set` after it in the pipeline. */
  private destinations(site: Site): Dest[] {
    const out = this.ownDests(site);
    if (this.stdoutRedirected(site)) return out;
    for (let j = site.index + 1; j < site.pipe.sites.length; j++) {
      const n = site.pipe.sites[j] as Site;
      const name = n.cmd?.name ?? "";
      if (FILE_WRITERS.has(name) || name === "tee-object" || name === "tee") {
        const w = this.writerArgs(n.cmd as Cmd);
        const d = w.path ? this.fileDest(w.path) : undefined;
        if (d) out.push(d);
        if (FILE_WRITERS.has(name)) break;
      } else if (this.isMetaDataSet(n.cmd)) {
        const fr = readFlags(n.cmd.args, 3, META_DATA_VALUES);
        const [key, value] = fr.positionals;
        if (key && !value) out.push({ kind: "meta-data", target: looseText(key) });
        break;
      } else if (!PASS_THROUGH.has(name)) break;
      out.push(...this.ownDests(n));
      if (this.stdoutRedirected(n)) break;
    }
    return out;
  }

  private sink(line: number, kind: TokenSink["kind"], target: string, via: string): void {
    const s: TokenSink = { file: this.ctx.file, line, kind, target, via };
    this.facts.tokenSinks.push(s);
    if (kind === "file") this.fileSinks.push(s);
  }

  private sinks(site: Site): void {
    if (this.stopped) return;
    const line = site.el.line;
    const req = this.requests.get(site);
    if (req) {
      for (const d of this.destinations(site)) {
        this.sink(line, d.kind, d.target, "oidc request-token");
        if (req.writtenTo === undefined && d.kind !== "meta-data") req.writtenTo = d.target;
      }
      return;
    }
    const cmd = site.cmd;
    const name = cmd?.name ?? "";
    if (!cmd || EMITTERS.has(name)) {
      const via = this.produces(site, 0).get("token");
      if (via !== undefined) for (const d of this.destinations(site)) this.sink(line, d.kind, d.target, via);
    }
    if (cmd && (FILE_WRITERS.has(name) || name === "tee-object")) {
      const w = this.writerArgs(cmd);
      const via = w.value ? this.originsOfItems(w.value.items, 0).get("token") : undefined;
      const d = w.path ? this.fileDest(w.path) : undefined;
      if (via !== undefined && d) this.sink(line, d.kind, d.target, via);
    }
    if (this.isMetaDataSet(cmd)) {
      const fr = readFlags(cmd.args, 3, META_DATA_VALUES);
      const [key, value] = fr.positionals;
      const via = value ? this.originsOfItems(value.items, 0).get("token") : undefined;
      if (via !== undefined && key) this.sink(line, "meta-data", looseText(key), via);
    }
  }

  /** `[IO.File]::WriteAllText($path, $token)` and its kin. */
  private expressionWrites(site: Site): void {
    const items = site.el.items;
    for (let i = 0; i + 2 < items.length; i++) {
      const t = items[i] as Item;
      const m = items[i + 1] as Item;
      const g = items[i + 2] as Item;
      if (t.t !== "group" || t.open !== "[" || m.t !== "word" || g.t !== "group" || g.open !== "(") continue;
      if (!/^(system\.)?io\.file$/i.test(staticBody(t) ?? "") || !/^::(Write|Append)All(Text|Lines)$/i.test(m.text)) continue;
      this.writes.push({ site, path: g });
    }
  }

  private readonly writes: { site: Site; path: Item & { t: "group" } }[] = [];

  private artifactSinks(): void {
    for (const w of this.writes) {
      const st = w.path.body.statements[0];
      const el = st?.elements[0];
      if (!el) continue;
      const [path, value] = argsOf(el.items, w.site.pipe.src);
      if (!path || !value) continue;
      const via = this.originsOfItems(value.items, 0).get("token");
      const d = this.fileDest(path);
      if (via !== undefined && d) this.sink(w.site.el.line, d.kind, d.target, via);
    }
    if (this.fileSinks.length === 0) return;
    const written = new Map<string, Set<string>>();
    for (const s of this.fileSinks) {
      const p = normalisePath(s.target);
      const vias = written.get(p) ?? new Set<string>();
      vias.add(s.via);
      written.set(p, vias);
    }
    for (const site of this.sites) {
      const cmd = site.cmd;
      if (cmd?.name !== "buildkite-agent" || argText(cmd.args[1] ?? cmd.head) !== "artifact" || argText(cmd.args[2] ?? cmd.head) !== "upload") continue;
      const fr = this.flags(site, cmd, 3, ARTIFACT_UPLOAD_VALUES, "buildkite-agent artifact upload");
      const paths = fr.positionals[0];
      if (!paths) continue;
      const delim = flagValue(fr.flags, "--delimiter");
      const delimiter = (delim?.value && argText(delim.value)) || ";";
      for (const raw of slashes(looseText(paths)).split(delimiter)) {
        const pattern = raw.trim();
        const p = normalisePath(pattern);
        if (p === "") continue;
        for (const [path, ways] of written) {
          if (!this.tick(site.el.line, (p.length + 1) * (path.length + 1))) return;
          if (p === path || (p.length <= MAX_GLOB_LENGTH && globMatch(p, path))) for (const via of ways) this.sink(site.el.line, "artifact", pattern, via);
        }
      }
    }
  }

  private secretGetFacts(): void {
    for (const [site, sg] of this.secretGets) {
      const names = sg.names.map(looseText);
      const vars = [...this.varOrigins].filter(([, o]) => o.has(sg.id)).map(([k]) => k);
      const relevant = names.some((n) => SECRET_NAME.test(n)) || vars.some((v) => CLIENT_SECRET_ENV.has(varKey(v).bare.toUpperCase()) || SECRET_NAME.test(v) || this.secretVars.has(v));
      if (relevant) for (const n of names) this.secretUse(site.el.line, "secret-get", n);
    }
  }

  /** Values of variables that hold secrets (or are built from `ConvertTo-SecureString`) are not recorded. */
  private redact(): void {
    for (const rec of this.assigns) {
      if (!rec.fact) continue;
      const raw = rec.fact.value.raw;
      const secret = this.secretVars.has(rec.key) || /convertto-securestring|pscredential|-asplaintext/i.test(raw) || SECRET_NAME.test(rec.name);
      if (!secret) continue;
      const v = rec.fact.value;
      rec.fact.value = v.variable !== undefined && v.literal === undefined ? { raw: v.raw, variable: v.variable } : { raw: redactRaw(rec) };
    }
  }
}

/** The value as written with every string and bare argument replaced by `***` (commands and parameter names kept). */
function redactRaw(rec: AssignRecord): string {
  const spans: [number, number][] = [];
  const visit = (items: readonly Item[], depth: number): void => {
    items.forEach((it, i) => {
      if (depth > MAX_DEPTH) return;
      if (it.t === "str") spans.push([it.start, it.end]);
      else if (it.t === "word" && !(i === 0 && /^[A-Za-z]/.test(it.text)) && !/^-[A-Za-z]/.test(it.text) && !it.text.startsWith(".") && !it.text.startsWith("::") && !isCall(items[i + 1])) spans.push([it.start, it.end]);
      else if (it.t === "group") for (const st of it.body.statements) for (const el of st.elements) visit(el.items, depth + 1);
    });
  };
  for (const s of rec.pipe.sites) visit(s.el.items, 0);
  spans.sort((a, b) => a[0] - b[0]);
  let out = "";
  let pos = rec.start;
  for (const [a, b] of spans) {
    if (a < pos || b > rec.end) continue;
    out += rec.src.slice(pos, a) + REDACTED;
    pos = b;
  }
  out += rec.src.slice(pos, rec.end);
  return oneLine(out.trim(), 4096);
}

/** A `(` group written against the word before it: a call (`New-Object PSCredential(…)`), not a value. */
function isCall(next: Item | undefined): boolean {
  return next?.t === "group" && next.open === "(" && next.adj;
}

function staticBody(g: Item & { t: "group" }): string | undefined {
  const st = g.body.statements;
  if (st.length !== 1) return undefined;
  const el = (st[0] as Statement).elements;
  if (el.length !== 1) return undefined;
  return staticItems((el[0] as Element).items);
}

function normalisePath(path: string): string {
  let p = path.replace(/\/{2,}/g, "/");
  while (p.startsWith("./")) p = p.slice(2);
  return p.replace(/\/\.\//g, "/");
}
