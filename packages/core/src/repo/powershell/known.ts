/**
 * The values a PowerShell argument may have when the script itself says what they are: literals,
 * `$PSScriptRoot` and `$PSCommandPath` (and `$MyInvocation.MyCommand.Path`), variables assigned
 * such values earlier, `"…"` strings of them, `+`, `Join-Path`, `Split-Path` and
 * `[IO.Path]::Combine`. Script calls made through them (`& "$PSScriptRoot/lib.ps1"`, `& $script`)
 * are found with it.
 *
 * Pure: no I/O, never throws; bounded by depth, a cap on alternatives and the caller's budget.
 */
import { posix } from "node:path";
import { staticItem, staticItems, type Item } from "./lexer.ts";

export interface Arg {
  items: Item[];
  raw: string;
  line: number;
  /** Written after a `,`: the next element of the list the argument before it starts. */
  listed?: boolean;
}

/** Where the script is (repository-relative): `$PSCommandPath` and `$PSScriptRoot`. */
export interface Where {
  file: string;
  dir: string;
}

export function whereOf(file: string): Where | undefined {
  const f = file.replace(/\\/g, "/");
  if (f === "" || f.startsWith("/")) return undefined;
  return { file: f, dir: posix.dirname(f) };
}

/** One assignment of a variable, in text order. */
export interface Assigned {
  /** The value's items when it is one pipeline element of one command or expression, else undefined (not known). */
  items: readonly Item[] | undefined;
  op: string;
  line: number;
  where: Where | undefined;
}

export interface KnownScope {
  /** The assignments of a variable (key: lower case, `env:` kept) that may have run before `line`. */
  assigned(key: string, line: number): readonly Assigned[];
  /** False once the work allowed is spent. */
  spend(n: number): boolean;
}

/** The values, whether every part of them is known (else unknown parts are kept as written), and whether any is. */
export interface Expansion {
  values: string[];
  complete: boolean;
  known: boolean;
}

const MAX_VALUES = 8;
const MAX_DEPTH = 8;
const MAX_TEXT = 4096;
/** Steps one evaluation may take (variables that refer to each other multiply). */
const MAX_STEPS = 4096;

/** Items split into arguments: items written together (no space between) are one argument. */
export function argsOf(items: readonly Item[], src: string): Arg[] {
  const out: Arg[] = [];
  let cur: Item[] = [];
  let comma = false;
  let listed = false;
  const flush = (): void => {
    const first = cur[0];
    const last = cur[cur.length - 1];
    if (first && last) {
      const a: Arg = { items: cur, raw: src.slice(first.start, last.end), line: first.line };
      if (listed) a.listed = true;
      out.push(a);
      listed = false;
    }
    cur = [];
  };
  for (const it of items) {
    if (it.t === "op" && it.text === ",") {
      flush();
      comma = true;
      continue;
    }
    if (!it.adj || comma) flush();
    if (cur.length === 0 && comma) listed = true;
    comma = false;
    cur.push(it);
  }
  flush();
  return out;
}

const unknown = (raw: string, keep: boolean): Expansion | undefined => (keep ? { values: [raw], complete: false, known: false } : undefined);
const fixed = (text: string): Expansion => ({ values: [text], complete: true, known: text !== "" });
const EMPTY: Expansion = { values: [""], complete: true, known: false };

function product(a: Expansion, b: Expansion): Expansion | undefined {
  if (a.values.length * b.values.length > MAX_VALUES) return undefined;
  const values: string[] = [];
  for (const x of a.values) {
    for (const y of b.values) {
      const v = x + y;
      if (v.length > MAX_TEXT) return undefined;
      if (!values.includes(v)) values.push(v);
    }
  }
  return { values, complete: a.complete && b.complete, known: a.known || b.known };
}

function union(list: Expansion[]): Expansion | undefined {
  const values: string[] = [];
  let complete = true;
  let known = false;
  for (const e of list) {
    complete &&= e.complete;
    known ||= e.known;
    for (const v of e.values) if (!values.includes(v)) values.push(v);
  }
  return values.length > MAX_VALUES ? undefined : { values, complete, known };
}

/** Joins two path parts the way `Join-Path` does (one separator between them). */
function joinPath(a: string, b: string): string {
  if (a === "") return b;
  return `${a.replace(/[\\/]+$/, "")}/${b.replace(/^[\\/]+/, "")}`;
}

function parentOf(p: string): string {
  const t = p.replace(/\\/g, "/").replace(/\/+$/, "");
  const i = t.lastIndexOf("/");
  return i < 0 ? "" : t.slice(0, i);
}

export class Known {
  private left = 0;

  constructor(private readonly scope: KnownScope) {}

  private spend(n: number): boolean {
    this.left -= n;
    return this.left >= 0 && this.scope.spend(n);
  }

  /**
   * The values of an argument. With `keep`, a part that is not known stays as written (and
   * `complete` is false); without, an unknown part makes the whole undefined.
   */
  arg(items: readonly Item[], where: Where | undefined, line: number, keep: boolean, depth = 0): Expansion | undefined {
    if (depth === 0) this.left = MAX_STEPS;
    if (depth > MAX_DEPTH || !this.spend(items.length + 1)) return unknown(rawOf(items), keep);
    let acc: Expansion = EMPTY;
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as Item;
      let part: Expansion | undefined;
      const next = items[i + 1];
      // `$MyInvocation.MyCommand.Path` / `.Definition`: the script's own path
      if (it.t === "var" && /^myinvocation$/i.test(it.name) && next?.t === "word" && next.adj && /^\.MyCommand\.(Path|Definition)$/i.test(next.text)) {
        part = where ? fixed(where.file) : undefined;
        i++;
      } else part = this.item(it, where, line, keep, depth);
      // member access, indexing or a call on a value: not known
      const after = items[i + 1];
      if (part && after?.adj && ((after.t === "word" && /^(\.|::)/.test(after.text)) || (after.t === "group" && after.open === "["))) part = undefined;
      part ??= unknown(rawOf(items.slice(i, i + 1)), keep);
      if (!part) return undefined;
      const p = product(acc, part);
      if (!p) return unknown(rawOf(items), keep);
      acc = p;
    }
    return acc;
  }

  private item(it: Item, where: Where | undefined, line: number, keep: boolean, depth: number): Expansion | undefined {
    const text = staticItem(it);
    if (text !== undefined) return fixed(text);
    if (it.t === "var") return it.splat ? undefined : this.variable(it.name, where, line, keep, depth);
    if (it.t === "str") {
      let acc: Expansion = EMPTY;
      for (const p of it.parts) {
        let part: Expansion | undefined;
        if (p.kind === "lit") part = fixed(p.text);
        else if (p.kind === "var") part = this.variable(p.name, where, line, keep, depth);
        else {
          const st = p.script.statements;
          const els = st.length === 1 ? st[0]?.elements : undefined;
          part = els?.length === 1 && els[0] ? this.element(els[0].items, where, line, false, depth + 1) : undefined;
        }
        part ??= p.kind === "lit" ? undefined : unknown(p.raw, keep);
        if (!part) return undefined;
        const next = product(acc, part);
        if (!next) return undefined;
        acc = next;
      }
      return acc;
    }
    if (it.t === "group" && (it.open === "(" || it.open === "$(")) {
      const st = it.body.statements;
      const els = st.length === 1 ? st[0]?.elements : undefined;
      return els?.length === 1 && els[0] ? this.element(els[0].items, where, line, false, depth + 1) : undefined;
    }
    return undefined;
  }

  /** A variable's values: the script's location, or what it was assigned before `line`. */
  private variable(name: string, where: Where | undefined, line: number, keep: boolean, depth: number): Expansion | undefined {
    const bare = name.replace(/^(script|global|local|private):/i, "");
    const key = bare.toLowerCase();
    if (key === "psscriptroot") return where ? fixed(where.dir) : undefined;
    if (key === "pscommandpath") return where ? fixed(where.file) : undefined;
    if (depth > MAX_DEPTH) return undefined;
    const all = this.scope.assigned(key, line);
    if (!this.spend(all.length + 1) || all.length === 0 || all.length > 4 * MAX_VALUES) return undefined;
    // `=` assignments may each be the one that ran (branches): their union; `+=` appends in order
    const appends = all.some((a) => a.op !== "=");
    let acc: Expansion | undefined;
    const each: Expansion[] = [];
    for (const a of all) {
      if (a.op !== "=" && a.op !== "+=") return undefined;
      const v = a.items ? this.element(a.items, a.where, a.line, keep, depth + 1) : undefined;
      if (!v || !v.known) return undefined;
      if (!appends) each.push(v);
      else if (a.op === "=") acc = v;
      else acc = acc ? product(acc, v) : undefined;
      if (appends && !acc) return undefined;
    }
    return appends ? acc : union(each);
  }

  /** The value of a pipeline element: an expression, `a + b`, or one of the path cmdlets. */
  private element(items: readonly Item[], where: Where | undefined, line: number, keep: boolean, depth: number): Expansion | undefined {
    if (depth > MAX_DEPTH || items.length === 0) return undefined;
    const first = items[0] as Item;
    if (first.t === "word" && /^[A-Za-z]/.test(first.text)) {
      const name = first.text.toLowerCase();
      if (name === "join-path" || name === "split-path") return this.pathCmdlet(name, items, where, line, depth);
      return undefined; // a bare word runs a command
    }
    // `[IO.Path]::Combine(a, b, …)`
    const m = items[1];
    const g = items[2];
    if (first.t === "group" && first.open === "[" && items.length === 3 && m?.t === "word" && /^::Combine$/i.test(m.text) && g?.t === "group" && g.open === "(") {
      if (!/^(system\.)?io\.path$/i.test(staticBodyOf(first) ?? "")) return undefined;
      const parts = this.listValues(g, where, line, depth);
      if (!parts || parts.length === 0) return undefined;
      let acc = parts[0] as Expansion;
      for (const p of parts.slice(1)) {
        const next = joinEach(acc, p);
        if (!next) return undefined;
        acc = next;
      }
      return acc;
    }
    // `a + b + …`: operands separated by spaced `+`
    const operands: Item[][] = [[]];
    for (const it of items) {
      if (it.t === "word" && it.text === "+" && !it.adj) operands.push([]);
      else (operands[operands.length - 1] as Item[]).push(it);
    }
    let acc: Expansion = EMPTY;
    for (const op of operands) {
      if (op.length === 0 || op.slice(1).some((i) => !i.adj)) return undefined;
      const v = this.arg(op, where, line, keep, depth + 1);
      if (!v) return undefined;
      const next = product(acc, v);
      if (!next) return undefined;
      acc = next;
    }
    return acc;
  }

  private listValues(g: Item & { t: "group" }, where: Where | undefined, line: number, depth: number): Expansion[] | undefined {
    const st = g.body.statements;
    const el = st.length === 1 ? st[0]?.elements : undefined;
    if (!el || el.length !== 1 || !el[0]) return undefined;
    const out: Expansion[] = [];
    for (const a of argsOf(el[0].items, "")) {
      const v = this.arg(a.items, where, line, false, depth + 1);
      if (!v) return undefined;
      out.push(v);
    }
    return out;
  }

  /** `Join-Path a b [c…]`, `Join-Path -Path a -ChildPath b`, `Split-Path [-Parent|-Leaf] p`. */
  private pathCmdlet(name: string, items: readonly Item[], where: Where | undefined, line: number, depth: number): Expansion | undefined {
    const args = argsOf(items.slice(1), "");
    const named = new Map<string, Arg>();
    const switches = new Set<string>();
    const positional: Arg[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as Arg;
      const f = a.items[0];
      const m = f?.t === "word" && a.items.length === 1 ? /^-([A-Za-z]+)$/.exec(f.text) : null;
      if (!m) {
        positional.push(a);
        continue;
      }
      const p = (m[1] as string).toLowerCase();
      if (["parent", "leaf", "resolve", "isabsolute", "qualifier", "noqualifier", "extension", "leafbase", "resolve"].some((s) => s.startsWith(p))) {
        switches.add(p);
        continue;
      }
      const v = args[i + 1];
      if (!v) return undefined;
      named.set(p, v);
      i++;
      // `-AdditionalChildPath a, b`
      while (args[i + 1]?.listed) positional.push(args[++i] as Arg);
    }
    const pick = (full: string): Arg | undefined => {
      for (const [k, v] of named) if (full.startsWith(k)) return v;
      return undefined;
    };
    if (named.size > 0 && [...named.keys()].some((k) => !["path", "childpath", "additionalchildpath", "literalpath"].some((f) => f.startsWith(k)))) return undefined;
    const value = (a: Arg | undefined): Expansion | undefined => (a ? this.arg(a.items, where, line, false, depth + 1) : undefined);
    if (name === "join-path") {
      const path = pick("path") ?? positional.shift();
      const child = pick("childpath") ?? positional.shift();
      let acc = value(path);
      for (const c of [child, ...positional]) {
        const v = value(c);
        if (!acc || !v) return undefined;
        acc = joinEach(acc, v);
      }
      return acc;
    }
    const path = value(pick("path") ?? pick("literalpath") ?? positional[0]);
    if (!path || switches.size > 1 || [...switches].some((s) => !"parent".startsWith(s) && !"leaf".startsWith(s))) return undefined;
    const leaf = [...switches].some((s) => "leaf".startsWith(s) && s.length > 0);
    return { values: path.values.map((p) => (leaf ? p.replace(/\\/g, "/").replace(/\/+$/, "").split("/").pop() ?? "" : parentOf(p))), complete: path.complete, known: path.known };
  }
}

function joinEach(a: Expansion, b: Expansion): Expansion | undefined {
  if (a.values.length * b.values.length > MAX_VALUES) return undefined;
  const values: string[] = [];
  for (const x of a.values) for (const y of b.values) values.push(joinPath(x, y));
  return { values, complete: a.complete && b.complete, known: true };
}

function staticBodyOf(g: Item & { t: "group" }): string | undefined {
  const st = g.body.statements;
  const el = st.length === 1 ? st[0]?.elements : undefined;
  return el?.length === 1 && el[0] ? staticItems(el[0].items) : undefined;
}

/** The items as written, with variables as written: for a path shown in a fact. */
export function rawOf(items: readonly Item[]): string {
  let s = "";
  for (const it of items) {
    const t = staticItem(it);
    if (t !== undefined) s += t;
    else if (it.t === "str") for (const p of it.parts) s += p.kind === "lit" ? p.text : p.raw;
    else s += it.raw;
  }
  return s;
}
