/**
 * The values a shell variable may hold where each command runs, after straight-line code, simple
 * `if`/`elif`/`else`, `case`, loops, `&&`/`||` and arrays: a bounded set of possible values per
 * variable (the union over the branches that may have run), or "unknown". A variable the script has
 * not set holds what the environment gives; inside a value it stays a reference as written
 * (`${BUILDKITE_OIDC_SUBJECT_CLAIM}`), which the pipeline's env decides later.
 *
 * With these values an unquoted expansion (`$FLAGS`, `${ARGS[@]}`) splits into the words a command
 * sees. Pure, never throws, bounded: at most MAX_VALUES values per variable and a work budget; past
 * either, the value is unknown (as if it had not been tracked).
 */
import type { Command, ParamPart, Script, Word } from "./lexer.ts";

/** Values one variable may hold before it counts as unknown. */
export const MAX_VALUES = 16;
const MAX_ELEMENTS = 64;
const MAX_TEXT = 1024;
const MAX_FRAMES = 64;

/** Text, or a variable the script does not set, kept as written. */
type Seg = string | ParamPart;
/** One value: its elements (a scalar has one). */
interface Val {
  elems: Seg[][];
}
/** What a variable may hold: some values, and/or (`env`) whatever the environment gives it. */
type State = { vals: Val[]; env: boolean } | "unknown";

/** A piece of an expanded word: text (split at blanks when unquoted), a kept reference, or a word break (`"${A[@]}"`). */
type Piece = { t: string; split: boolean } | { p: ParamPart } | { brk: true };
/** A word after splitting: text and kept references. */
type Field = Seg[];

/** What the reader knows of a command's assignments (see read-shell's Analysed). */
export interface CommandAssigns {
  assigns: readonly { name: string; value: Word; word: Word; kind: "standalone" | "prefix" | "decl" | "env"; append: boolean }[];
  argv: readonly Word[];
  /** Base name of argv[0], or the declaration (`local`, `export`). */
  name: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV: State = { vals: [], env: true };
const EMPTY: State = { vals: [{ elems: [[]] }], env: false };
const OPENERS = new Set(["if", "while", "until", "{", "("]);

type FrameKind = "if" | "case" | "loop" | "group" | "subshell" | "maybe";

interface Frame {
  kind: FrameKind;
  /** The frame may not run at all (`cond && { … }`). */
  skip: boolean;
  /** An `else` or a `*)` pattern: some branch runs. */
  covered: boolean;
  /** Values before the frame of the variables changed inside it. */
  entry: Map<string, State>;
  /** The values each finished branch left (changed variables only). */
  branches: Map<string, State>[];
  /** Variables changed in the open branch. */
  changed: Set<string>;
  open: boolean;
  /** Variables a loop builds on themselves (`A+=(…)`, `X="$X …"`): unknown after it. */
  unstable: Set<string>;
}

function segText(segs: readonly Seg[]): number {
  let n = 0;
  for (const s of segs) n += typeof s === "string" ? s.length : s.raw.length;
  return n;
}

/** Adjacent text joined, empty text dropped. */
function tidySegs(segs: readonly Seg[]): Seg[] {
  const out: Seg[] = [];
  for (const s of segs) {
    if (typeof s === "string") {
      if (s === "") continue;
      const last = out[out.length - 1];
      if (typeof last === "string") out[out.length - 1] = last + s;
      else out.push(s);
    } else out.push(s);
  }
  return out;
}

function valKey(v: Val): string {
  return JSON.stringify(v.elems.map((e) => e.map((s) => (typeof s === "string" ? s : { r: s.raw }))));
}

function union(a: State, b: State): State {
  if (a === "unknown" || b === "unknown") return "unknown";
  const seen = new Set(a.vals.map(valKey));
  const vals = [...a.vals];
  for (const v of b.vals) {
    const k = valKey(v);
    if (seen.has(k)) continue;
    seen.add(k);
    vals.push(v);
  }
  return vals.length > MAX_VALUES ? "unknown" : { vals, env: a.env || b.env };
}

/**
 * Variable values through one script. Build it with `run(script)`; then `fields(word, seq)` gives
 * the words an expansion stands for before the command numbered `seq` (see `seqOf`).
 */
export class ShellValues {
  /** Each variable's states in order, with the command number from which each holds. */
  private readonly history = new Map<string, { seq: number; st: State }[]>();
  private readonly frames: Frame[] = [];
  /** Commands that start frames past MAX_FRAMES: their closers are ignored too. */
  private lost = 0;
  private seq = 0;
  private left: number;
  private pendingFunction = false;
  /** The number of each command of the script, for `fields`. */
  readonly seqOf = new Map<Command, number>();

  constructor(
    budget: number,
    /** Counts work; the caller's own budget. */
    private readonly charge: (n: number) => void,
  ) {
    this.left = budget;
  }

  private spend(n: number): boolean {
    this.charge(n);
    this.left -= n;
    return this.left >= 0;
  }

  get exhausted(): boolean {
    return this.left < 0;
  }

  // -- the walk ------------------------------------------------------------------------------

  run(script: Script, assignsOf: (cmd: Command) => CommandAssigns | undefined): void {
    for (const pl of script.pipelines) {
      if (this.exhausted) return;
      const first = pl.commands[0];
      // after `&&` / `||` the pipeline may not run: a compound command it starts may be skipped
      // whole, a simple command is wrapped in a frame of its own
      const conditional = pl.after === "&&" || pl.after === "||";
      const opensFrame = first !== undefined && ((first.lead?.[0] !== undefined && OPENERS.has(first.lead[0])) || first.keyword === "for" || first.keyword === "select" || first.keyword === "case");
      const persists = pl.commands.length === 1 && pl.background !== true;
      pl.commands.forEach((cmd, i) => {
        const skip = conditional && i === 0 && opensFrame;
        this.leads(cmd, skip);
        const wrapped = conditional && i === 0 && !opensFrame && this.push("maybe", true) !== undefined;
        this.command(cmd, assignsOf(cmd), persists, skip && (cmd.lead?.length ?? 0) === 0);
        if (wrapped) this.closeKind(new Set(["maybe"]));
      });
    }
  }

  private leads(cmd: Command, skip: boolean): void {
    let first = skip;
    for (const w of cmd.lead ?? []) {
      this.marker(w, first);
      first = false;
    }
  }

  private command(cmd: Command, a: CommandAssigns | undefined, persists: boolean, skip: boolean): void {
    this.spend(1 + (cmd.lead?.length ?? 0));
    const fn = this.pendingFunction;
    this.pendingFunction = false;
    if (cmd.keyword === "for" || cmd.keyword === "select") {
      this.push("loop", true);
      const v = cmd.words[1];
      if (v && IDENT.test(v.raw)) this.set(v.raw, cmd.keyword === "for" ? this.loopValues(cmd.words) : "unknown", false);
    } else if (cmd.keyword === "case") {
      const f = this.push("case", skip || fn);
      if (f) f.open = false; // no branch before the first pattern
    } else if (cmd.keyword === "function") {
      this.pendingFunction = true;
    }
    this.seqOf.set(cmd, this.seq);
    this.seq++;
    if (!a) return;
    if (persists) {
      // `declare -A M=([k]=v)`: keys are not read
      const assoc = a.assigns.some((x) => x.kind === "decl") && cmd.words.some((w) => /^-[A-Za-z]*A/.test(w.raw));
      for (const as of a.assigns) {
        if (as.kind !== "standalone" && as.kind !== "decl") continue;
        if (assoc || /^[A-Za-z_][A-Za-z0-9_]*\[/.test(as.word.raw)) {
          this.set(as.name, "unknown", false); // `A[1]=x`
          continue;
        }
        const selfRef = as.append || as.value.raw.includes(as.name);
        this.set(as.name, this.assigned(as.value, as.append, this.get(as.name)), selfRef);
      }
    }
    this.sideEffects(cmd, a, persists);
  }

  /**
   * What `for v in w…` gives v: each word the list expands to (one value each), or unknown when the
   * list is not given (`"$@"`), needs a value not known, or globs / brace-expands (the files or
   * words it stands for are not known here).
   */
  private loopValues(words: readonly Word[]): State {
    if (words[2]?.raw !== "in") return "unknown";
    const vals: Val[] = [];
    for (const w of words.slice(3)) {
      if (w.parts.some((p) => p.kind === "lit" && p.quote === "none" && /[*?[]|\{.*(,|\.\.).*\}/.test(p.text))) return "unknown";
      const alts = this.wordFields(w, undefined);
      if (!alts) return "unknown";
      for (const fields of alts) for (const f of fields) vals.push({ elems: [f] });
      if (vals.length > MAX_VALUES) return "unknown";
    }
    return this.bounded({ vals, env: false });
  }

  /** Builtins that set or clear variables other than by `X=…`. */
  private sideEffects(cmd: Command, a: CommandAssigns, persists: boolean): void {
    const names = (words: readonly Word[]): string[] => words.filter((w) => IDENT.test(w.raw)).map((w) => w.raw);
    if (a.name === "local" && persists) {
      // `local X` (no value) is empty in the function; `local X=…` is an assignment
      const at = cmd.words.findIndex((w) => w.raw === "local");
      const assigned = new Set(a.assigns.map((x) => x.name));
      for (const n of names(cmd.words.slice(at + 1))) if (!assigned.has(n)) this.set(n, EMPTY, false);
    } else if (a.name === "unset" && persists) {
      if (!a.argv.some((w) => w.raw === "-f")) for (const n of names(a.argv.slice(1))) this.set(n, EMPTY, false);
    } else if (a.name === "printf") {
      const v = a.argv.findIndex((w) => w.raw === "-v");
      const target = v === -1 ? undefined : a.argv[v + 1];
      if (target && IDENT.test(target.raw)) this.set(target.raw, "unknown", false);
    } else if (a.name === "read" || a.name === "mapfile" || a.name === "readarray" || a.name === "getopts") {
      // what they store is not known (also in a pipeline's last command, with lastpipe)
      for (const n of names(a.argv.slice(1))) this.set(n, "unknown", false);
    }
  }

  private marker(w: string, maybe: boolean): void {
    switch (w) {
      case "if":
        this.push("if", maybe);
        return;
      case "elif":
        this.branch("if", false);
        return;
      case "else":
        this.branch("if", true);
        return;
      case "fi":
        this.closeKind(new Set(["if"]));
        return;
      case "while":
      case "until":
        this.push("loop", true);
        return;
      case "done":
        this.closeKind(new Set(["loop"]));
        return;
      case "pattern":
      case "pattern*":
        this.branch("case", w === "pattern*");
        return;
      case "esac":
        this.closeKind(new Set(["case"]));
        return;
      case "{":
        // a function body runs when called, if ever: its values join the ones before it
        this.push(this.pendingFunction ? "maybe" : "group", maybe || this.pendingFunction);
        this.pendingFunction = false;
        return;
      case "then":
      case "do":
      case "!":
        return;
      case "}":
        this.closeKind(new Set(["group", "maybe"]));
        return;
      case "(":
        this.push("subshell", maybe);
        this.pendingFunction = false;
        return;
      case ")":
        this.closeKind(new Set(["subshell"]));
        return;
      case "()":
        this.pendingFunction = true;
        return;
      default:
        return;
    }
  }

  // -- frames --------------------------------------------------------------------------------

  private top(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  private push(kind: FrameKind, skip: boolean): Frame | undefined {
    if (this.frames.length >= MAX_FRAMES) {
      this.lost++;
      return undefined;
    }
    const f: Frame = { kind, skip, covered: false, entry: new Map(), branches: [], changed: new Set(), open: true, unstable: new Set() };
    this.frames.push(f);
    return f;
  }

  /** Ends the open branch of the nearest frame of `kind` and opens the next (`else`, `pattern)`). */
  private branch(kind: FrameKind, catchAll: boolean): void {
    const f = this.top();
    if (!f || f.kind !== kind) return;
    this.endBranch(f);
    f.open = true;
    if (catchAll) f.covered = true;
  }

  private endBranch(f: Frame): void {
    if (!f.open) return;
    const result = new Map<string, State>();
    for (const name of f.changed) {
      result.set(name, this.get(name));
      this.write(name, f.entry.get(name) ?? ENV);
    }
    f.branches.push(result);
    f.changed = new Set();
    f.open = false;
  }

  /** Closes the nearest frame of one of the kinds (and any left open inside it). */
  private closeKind(kinds: Set<FrameKind>): void {
    if (this.lost > 0) {
      this.lost--;
      return;
    }
    let i = this.frames.length - 1;
    while (i >= 0 && !kinds.has((this.frames[i] as Frame).kind)) i--;
    if (i < 0) return;
    while (this.frames.length > i) this.close();
  }

  private close(): void {
    const f = this.frames.pop();
    if (!f) return;
    const single = f.kind === "group" && !f.skip;
    if (!single) this.endBranch(f);
    // the values before the frame still hold when it may not run, or may run no branch
    const keeps = f.skip || f.kind === "loop" || f.kind === "maybe" || f.kind === "group" || !f.covered || f.branches.length === 0;
    for (const [name, before] of f.entry) {
      let st: State;
      if (single) st = this.get(name);
      else if (f.kind === "subshell") st = before;
      else {
        st = keeps ? before : { vals: [], env: false };
        for (const b of f.branches) st = union(st, b.get(name) ?? before);
        if (f.unstable.has(name)) st = "unknown";
      }
      if (!this.spend(1)) st = "unknown";
      this.write(name, before); // so that the frame around sees the change against this value
      this.set(name, st, f.unstable.has(name));
    }
  }

  // -- state ---------------------------------------------------------------------------------

  private write(name: string, st: State): void {
    let h = this.history.get(name);
    if (!h) {
      h = [];
      this.history.set(name, h);
    }
    const last = h[h.length - 1];
    if (last && last.seq === this.seq) last.st = st;
    else h.push({ seq: this.seq, st });
  }

  /** An assignment inside the frames open now. */
  private set(name: string, st: State, selfRef: boolean): void {
    const f = this.top();
    if (f) {
      if (!f.entry.has(name)) f.entry.set(name, this.get(name));
      f.changed.add(name);
      if (selfRef) for (const g of this.frames) if (g.kind === "loop") g.unstable.add(name);
    }
    this.write(name, st);
  }

  /** A variable's state before command `seq` (now, when undefined). */
  get(name: string, seq?: number): State {
    const h = this.history.get(name);
    if (!h || h.length === 0) return ENV;
    if (seq === undefined) return (h[h.length - 1] as { st: State }).st;
    let lo = 0;
    let hi = h.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((h[mid] as { seq: number }).seq <= seq) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found === -1 ? ENV : (h[found] as { st: State }).st;
  }

  // -- evaluation ----------------------------------------------------------------------------

  /** The value an assignment gives (`X=…`, `X+=…`, `A=(…)`, `A+=(…)`). */
  private assigned(value: Word, append: boolean, old: State): State {
    if (this.exhausted) return "unknown";
    let fresh: Val[] | undefined;
    if (value.array) {
      fresh = [{ elems: [] }];
      for (const el of value.elements ?? []) {
        const alts = this.wordFields(el, undefined);
        if (!alts) return "unknown";
        const next: Val[] = [];
        for (const v of fresh) for (const fields of alts) next.push({ elems: [...v.elems, ...fields] });
        if (next.length > MAX_VALUES || next.some((v) => v.elems.length > MAX_ELEMENTS)) return "unknown";
        fresh = next;
      }
    } else {
      const alts = this.pieces(value.parts, false, false, undefined, 0);
      if (!alts) return "unknown";
      fresh = alts.map((ps) => ({ elems: [joinPieces(ps)] }));
    }
    if (!append) return this.bounded({ vals: fresh, env: false });
    if (old === "unknown" || old.env) return "unknown";
    const out: Val[] = [];
    for (const o of old.vals) {
      for (const n of fresh) {
        if (value.array) out.push({ elems: [...o.elems, ...n.elems] });
        else out.push({ elems: [tidySegs([...(o.elems[0] ?? []), ...(n.elems[0] ?? [])]), ...o.elems.slice(1)] });
      }
    }
    return this.bounded({ vals: out, env: false });
  }

  private bounded(st: { vals: Val[]; env: boolean }): State {
    if (st.vals.length > MAX_VALUES) return "unknown";
    for (const v of st.vals) {
      if (v.elems.length > MAX_ELEMENTS) return "unknown";
      let n = 0;
      for (const e of v.elems) n += segText(e);
      if (n > MAX_TEXT || !this.spend(1 + (n >> 6))) return "unknown";
    }
    return union({ vals: [], env: false }, st);
  }

  /**
   * The words an argument stands for before command `seq`, one list per possible value (an empty
   * list: no word at all), or undefined when a value it needs is unknown.
   */
  fields(word: Word, seq: number): Word[][] | undefined {
    const alts = this.wordFields(word, seq);
    if (!alts) return undefined;
    return alts.map((fields) => fields.map((f) => fieldWord(f, word.line)));
  }

  private wordFields(word: Word, seq: number | undefined): Field[][] | undefined {
    const alts = this.pieces(word.parts, false, true, seq, 0);
    if (!alts) return undefined;
    const out: Field[][] = [];
    const seen = new Set<string>();
    for (const ps of alts) {
      const fields = splitPieces(ps);
      const key = JSON.stringify(fields.map((f) => f.map((s) => (typeof s === "string" ? s : { r: s.raw }))));
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(fields);
    }
    return out;
  }

  /** Every way parts may expand. `litSplit`: unquoted text splits (inside `${X:-a b}`); `paramSplit`: unquoted expansions split. */
  private pieces(parts: Word["parts"], litSplit: boolean, paramSplit: boolean, seq: number | undefined, depth: number): Piece[][] | undefined {
    if (depth > 8) return undefined;
    let alts: Piece[][] = [[]];
    for (const p of parts) {
      if (!this.spend(1)) return undefined;
      let more: Piece[][];
      if (p.kind === "lit") more = [[{ t: p.text, split: litSplit && p.quote === "none" }]];
      else if (p.kind === "param") {
        const r = this.param(p, paramSplit && !p.quoted, seq, depth);
        if (!r) return undefined;
        more = r;
      } else return undefined; // `$(…)`, `$((…))`: not evaluated
      const next: Piece[][] = [];
      for (const a of alts) for (const m of more) next.push([...a, ...m]);
      if (next.length > MAX_VALUES) return undefined;
      alts = next;
    }
    return alts;
  }

  private param(p: ParamPart, split: boolean, seq: number | undefined, depth: number): Piece[][] | undefined {
    const base = /^[A-Za-z_][A-Za-z0-9_]*/.exec(p.name)?.[0];
    if (base === undefined || p.prefix !== "") return undefined;
    const sub = p.name.slice(base.length);
    const st = this.get(base, seq);
    if (st === "unknown") return undefined;
    const quoted: Piece[] = split ? [] : [{ t: "", split: false }];
    const arg = (): Piece[][] | undefined => (p.arg ? this.pieces(p.arg.parts, split, split, seq, depth + 1) : [[...quoted]]);
    const out: Piece[][] = [];
    if (st.env) {
      if (p.op === ":+" || p.op === "+") {
        // set: the word; not set: nothing
        const a = arg();
        if (!a) return undefined;
        out.push([...quoted], ...a);
      } else if (split || sub !== "") {
        return undefined; // whatever the environment gives may hold several words
      } else {
        out.push([{ p: { ...p, quoted: true } }]);
      }
    }
    for (const v of st.vals) {
      let elems: Seg[][];
      if (sub === "" || sub === "[0]") elems = [v.elems[0] ?? []];
      else if (sub === "[@]" || sub === "[*]") elems = v.elems;
      else if (/^\[[0-9]+\]$/.test(sub)) elems = [v.elems[Number(sub.slice(1, -1))] ?? []];
      else return undefined;
      const empty = elems.every((e) => segText(e) === 0);
      if (p.op === ":-" || p.op === "-" || p.op === ":=" || p.op === "=" || p.op === ":+" || p.op === "+") {
        const useArg = p.op.endsWith("+") ? !(p.op === ":+" && empty) : p.op.startsWith(":") && empty;
        if (p.op.endsWith("+") && !useArg) {
          out.push([...quoted]);
          continue;
        }
        if (useArg) {
          const a = arg();
          if (!a) return undefined;
          out.push(...a);
          continue;
        }
      } else if (p.op !== "" && p.op !== ":?" && p.op !== "?") return undefined;
      const ps: Piece[] = [];
      elems.forEach((e, i) => {
        if (i > 0) ps.push(sub === "[*]" && !split ? { t: " ", split: false } : { brk: true });
        if (!split) ps.push({ t: "", split: false });
        for (const s of e) ps.push(typeof s === "string" ? { t: s, split } : { p: s });
      });
      out.push(ps);
      if (out.length > MAX_VALUES) return undefined;
    }
    return out;
  }
}

/** A value's text and references, as one string (assignments do not split). */
function joinPieces(ps: readonly Piece[]): Seg[] {
  const segs: Seg[] = [];
  for (const p of ps) {
    if ("t" in p) segs.push(p.t);
    else if ("p" in p) segs.push(p.p);
    else segs.push(" ");
  }
  return tidySegs(segs);
}

/** Word splitting: unquoted text splits at blanks; a word made of nothing but unquoted empty text is no word. */
function splitPieces(ps: readonly Piece[]): Field[] {
  const out: Field[] = [];
  let cur: Seg[] = [];
  let exists = false;
  const end = (): void => {
    if (exists) out.push(tidySegs(cur));
    cur = [];
    exists = false;
  };
  for (const p of ps) {
    if ("brk" in p) end();
    else if ("p" in p) {
      cur.push(p.p);
      exists = true;
    } else if (!p.split) {
      cur.push(p.t);
      exists = true;
    } else {
      const bits = p.t.split(/[ \t\n]+/);
      bits.forEach((b, i) => {
        if (i > 0) end();
        if (b !== "") {
          cur.push(b);
          exists = true;
        }
      });
    }
  }
  end();
  return out;
}

/** A field as a word the flag reader takes as written: text unquoted, references whole. */
function fieldWord(f: Field, line: number): Word {
  let raw = "";
  const parts: Word["parts"] = [];
  for (const s of f) {
    if (typeof s === "string") {
      raw += s;
      parts.push({ kind: "lit", text: s, quote: "none" });
    } else {
      raw += s.raw;
      parts.push({ ...s, quoted: true });
    }
  }
  if (parts.length === 0) parts.push({ kind: "lit", text: "", quote: "none" });
  return { raw, line, parts };
}
