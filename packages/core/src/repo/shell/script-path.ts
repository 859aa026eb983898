/**
 * Which repository file a script call (`./scripts/deploy-$TARGET.sh`, `source "$DIR/lib.sh"`) or a
 * `pipeline upload` names, given what is known where it runs: the pipeline's and step's env, the
 * script's own assignments, the script's location (`$(dirname "$0")`) and the step's build matrix.
 * Pure: no I/O, never throws, bounded work. The loader decides what to read and what to report.
 */
import { posix } from "node:path";

export interface PathScope {
  /** Values a variable may hold when the command runs, each as written (expanded in turn). */
  vars: ReadonlyMap<string, readonly string[]>;
  /** Pipeline YAML only: values for `$X`, which Buildkite replaces when the pipeline is uploaded (default: vars). */
  uploadVars?: ReadonlyMap<string, readonly string[]>;
  /** The text comes from pipeline YAML: `$$X`/`\$X` are left to the shell, `{{matrix…}}` is the build matrix. */
  pipeline?: boolean;
  /** Repository-relative path of the script the text is in (`$0`, `${BASH_SOURCE[0]}`). */
  self?: string;
  /** The step's build matrix: values per dimension, "" for `{{matrix}}`. */
  matrix?: Readonly<Record<string, readonly string[]>>;
  /** Characters the expansion may still scan, shared by the caller's resolutions (variables that refer to each other multiply). */
  budget?: { left: number };
}

export type ScriptTarget =
  /** Repository-relative paths, normalised; they may hold glob characters. Several for a matrix or a variable with several values. */
  | { kind: "paths"; paths: string[] }
  /** An absolute path, the home directory, `..` above the root, or a Buildkite directory outside the checkout. */
  | { kind: "outside" }
  /** The name, as written or once expanded, holds control characters. */
  | { kind: "control"; text: string }
  /**
   * Some of the path is not known. `needs` says what (`$TARGET`, `$(…)`), `onlyVariables` whether
   * all of it is variables; `patterns` are globs for the files it could be; `paths` the
   * alternatives that are known.
   */
  | { kind: "unresolved"; needs: string[]; onlyVariables: boolean; patterns: string[]; paths: string[] };

/** C0 and C1 controls, DEL, and the invisible format characters (bidi, zero-width, line separators, BOM) that disguise a name. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

export function hasControl(text: string): boolean {
  return CONTROL.test(text);
}

/** The text as a JSON string, with every control character escaped, so a name shows what it holds. */
export function quoted(text: string): string {
  return JSON.stringify(text).replace(new RegExp(CONTROL.source, "g"), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Where Buildkite runs a step: the checkout is the working directory. */
const CHECKOUT_VARS = new Set(["BUILDKITE_BUILD_CHECKOUT_PATH", "PWD"]);
/** Directories outside the checkout (stand-in absolute paths, so the path reads as outside). */
const OUTSIDE_VARS = new Set(["HOME", "TMPDIR", "BUILDKITE_BIN_PATH", "BUILDKITE_BUILD_PATH", "BUILDKITE_HOOKS_PATH", "BUILDKITE_PLUGINS_PATH"]);

const MAX_ALTERNATIVES = 64;
const MAX_DEPTH = 8;
const MAX_TEXT = 4096;
const MAX_SHOWN = 60;
/** Characters one resolution may scan. */
const MAX_SCAN = 20_000;
const TOO_MANY = "values too many to follow";

interface Hole {
  text: string;
  variable: boolean;
}
type Seg = { lit: string } | { hole: Hole };
type Alt = Seg[];

const hole = (text: string, variable = false): Alt[] => [[{ hole: { text: text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text, variable } }]];
const lit = (text: string): Alt[] => [[{ lit: text }]];
const textOf = (alt: Alt): string | undefined => (alt.every((s) => "lit" in s) ? alt.map((s) => (s as { lit: string }).lit).join("") : undefined);

/** Index of the bracket closing the one at `open`, or -1. */
function closing(text: string, open: number, o: string, c: string): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === o) depth++;
    else if (text[i] === c && --depth === 0) return i;
  }
  return -1;
}

class Expander {
  private scan = MAX_SCAN;

  constructor(private readonly scope: PathScope) {}

  /** Every way the text may expand, each a list of known text and holes. */
  word(text: string, depth: number): Alt[] {
    if (!this.spend(text.length + 1)) return hole(TOO_MANY);
    if (depth > MAX_DEPTH || text.length > MAX_TEXT) return hole(text);
    const pipeline = this.scope.pipeline === true;
    let alts: Alt[] = [[]];
    let pending = "";
    const add = (more: Alt[]) => {
      if (pending) alts = this.product(alts, lit(pending));
      pending = "";
      alts = this.product(alts, more);
    };
    for (let i = 0; i < text.length; ) {
      const c = text[i] as string;
      if (c === '"' || c === "'") {
        i++;
      } else if (c === "$" || (pipeline && c === "\\" && text[i + 1] === "$")) {
        // In pipeline YAML `$X` is replaced at upload; `$$X` and `\$X` reach the shell.
        let at = c === "$" ? i : i + 1;
        let vars = pipeline && c === "$" ? (this.scope.uploadVars ?? this.scope.vars) : this.scope.vars;
        if (text[at + 1] === "$") {
          if (!pipeline) {
            add(hole("$$"));
            i = at + 2;
            continue;
          }
          at++;
          vars = this.scope.vars;
        }
        const r = this.dollar(text, at, vars, depth);
        add(r.alts);
        i = r.end;
      } else if (c === "`") {
        const end = text.indexOf("`", i + 1);
        if (end < 0) return hole(text);
        add(this.command(text.slice(i + 1, end), depth));
        i = end + 1;
      } else if (pipeline && text.startsWith("{{", i) && text.indexOf("}}", i + 2) > 0) {
        const end = text.indexOf("}}", i + 2);
        add(this.matrix(text.slice(i + 2, end).trim(), text.slice(i, end + 2)));
        i = end + 2;
      } else if (c === "\\" && i + 1 < text.length) {
        pending += text[i + 1];
        i += 2;
      } else {
        pending += c;
        i++;
      }
    }
    if (pending) alts = this.product(alts, lit(pending));
    return alts;
  }

  /** False once the work allowed is spent (this resolution's, and the caller's in all). */
  private spend(n: number): boolean {
    this.scan -= n;
    if (this.scope.budget) this.scope.budget.left -= n;
    return this.scan >= 0 && (this.scope.budget?.left ?? 0) >= 0;
  }

  private product(a: Alt[], b: Alt[]): Alt[] {
    if (a.length * b.length > MAX_ALTERNATIVES) return hole(TOO_MANY);
    const out: Alt[] = [];
    for (const x of a) {
      for (const y of b) {
        if (!this.spend(x.length + y.length)) return hole(TOO_MANY);
        const first = y[0];
        const last = x[x.length - 1];
        // adjacent text joins, so an alternative stays as short as its holes allow
        out.push(last && first && "lit" in last && "lit" in first ? [...x.slice(0, -1), { lit: last.lit + first.lit }, ...y.slice(1)] : [...x, ...y]);
      }
    }
    return out;
  }

  /** `$…` at `at`: a name, `${…}`, `$(…)`, a special parameter. */
  private dollar(text: string, at: number, vars: PathScope["vars"], depth: number): { alts: Alt[]; end: number } {
    const next = text[at + 1] ?? "";
    if (next === "(") {
      const close = closing(text, at + 1, "(", ")");
      if (close < 0 || text[at + 2] === "(") return { alts: hole(text.slice(at)), end: close < 0 ? text.length : close + 1 };
      return { alts: this.command(text.slice(at + 2, close), depth), end: close + 1 };
    }
    if (next === "{") {
      const close = closing(text, at + 1, "{", "}");
      if (close < 0) return { alts: hole(text.slice(at)), end: text.length };
      return { alts: this.braced(text.slice(at + 2, close), vars, depth), end: close + 1 };
    }
    const name = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9])/.exec(text.slice(at + 1))?.[0];
    if (name !== undefined) return { alts: this.lookup(name, undefined, vars, depth) ?? hole(`$${name}`, !/^[0-9]/.test(name)), end: at + 1 + name.length };
    if (/^[@*#?!-]$/.test(next)) return { alts: hole(`$${next}`), end: at + 2 };
    return { alts: lit("$"), end: at + 1 };
  }

  /** `${X}`, `${X:-default}`, `${X%/*}`, `${BASH_SOURCE[0]}`. */
  private braced(inner: string, vars: PathScope["vars"], depth: number): Alt[] {
    const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]+)(\[[^\]]*\])?(.*)$/s.exec(inner);
    if (!m) return hole(`\${${inner}}`);
    const [, name = "", index, rest = ""] = m;
    const known = this.lookup(name, index, vars, depth);
    const fallback = /^:?[-=](.*)$/s.exec(rest);
    if (!known) return fallback ? this.word(fallback[1] ?? "", depth + 1) : hole(`$${name}`, !/^[0-9]/.test(name) && index === undefined);
    if (rest === "" || fallback || /^:?\?/.test(rest)) return known;
    if (rest === "%/*" || rest === "%%/*") {
      return known.map((alt) => {
        const t = textOf(alt);
        if (t === undefined) return alt;
        const cut = rest === "%/*" ? t.lastIndexOf("/") : t.indexOf("/");
        return [{ lit: cut < 0 ? t : t.slice(0, cut) }];
      });
    }
    return hole(`\${${inner}}`);
  }

  private lookup(name: string, index: string | undefined, vars: PathScope["vars"], depth: number): Alt[] | undefined {
    if ((name === "0" || name === "BASH_SOURCE") && (index === undefined || index === "[0]")) return this.scope.self === undefined ? undefined : lit(this.scope.self);
    if (index !== undefined) return undefined;
    const values = vars.get(name);
    if (values !== undefined && values.length > 0) {
      const out: Alt[] = [];
      for (const v of values) {
        out.push(...this.word(v, depth + 1));
        if (out.length > MAX_ALTERNATIVES) return hole(TOO_MANY);
      }
      return out;
    }
    if (CHECKOUT_VARS.has(name)) return lit(".");
    if (OUTSIDE_VARS.has(name)) return lit(`/${name}`);
    return undefined;
  }

  /** What a command substitution prints, for the few commands that name a directory. */
  private command(inner: string, depth: number): Alt[] {
    const t = inner.trim().replace(/\s*;$/, "");
    if (/^pwd(\s+-[LP])?$/.test(t) || /^git\s+rev-parse\s+--show-toplevel$/.test(t)) return lit(".");
    const dirname = /^dirname\s+(?:--\s+)?(\S.*)$/s.exec(t);
    if (dirname) return this.word(dirname[1] ?? "", depth + 1).map((alt) => {
      const p = textOf(alt);
      return p === undefined ? alt : [{ lit: posix.dirname(p) }];
    });
    const same =
      /^(?:realpath(?:\s+-[A-Za-z]+)*|g?readlink\s+-[A-Za-z]*f[A-Za-z]*)\s+(?:--\s+)?(\S.*)$/s.exec(t) ??
      /^(?:builtin\s+)?cd\s+(?:-[LP]\s+)?(?:--\s+)?(\S.*?)\s*(?:[12]?>\s*\/dev\/null\s*|2>&1\s*)*(?:&&|;)\s*pwd(?:\s+-[LP])?$/s.exec(t);
    if (same) return this.word(same[1] ?? "", depth + 1);
    return hole(`$(${t})`);
  }

  private matrix(inner: string, raw: string): Alt[] {
    const m = /^matrix(?:\.([A-Za-z0-9_-]+))?$/.exec(inner);
    const values = m ? this.scope.matrix?.[m[1] ?? ""] : undefined;
    if (!values || values.length === 0) return hole(raw, true);
    if (values.length > MAX_ALTERNATIVES) return hole(TOO_MANY);
    return values.map((v) => [{ lit: v }]);
  }
}

/** A repository-relative path, or undefined for one outside the repository. */
function normalise(path: string): string | undefined {
  if (path.startsWith("/") || path.startsWith("~")) return undefined;
  const n = posix.normalize(path);
  if (n === "." || n === ".." || n.startsWith("../")) return undefined;
  return n;
}

/** Resolves the path a script call or pipeline upload names. See the module comment. */
export function resolveScriptPath(written: string, scope: PathScope): ScriptTarget {
  if (hasControl(written)) return { kind: "control", text: written };
  const alts = new Expander(scope).word(written, 0);
  const paths: string[] = [];
  const patterns: string[] = [];
  const holes: Hole[] = [];
  for (const alt of alts) {
    const text = textOf(alt);
    if (text !== undefined) {
      if (hasControl(text)) return { kind: "control", text };
      const p = normalise(text);
      if (p !== undefined && !paths.includes(p)) paths.push(p);
      continue;
    }
    // Unknown parts match anything (across directories); the known text keeps its glob characters.
    const pattern = alt.map((s) => ("lit" in s ? s.lit : "**")).join("").replace(/^(\.\/)+/, "");
    if (!pattern.startsWith("/") && !pattern.startsWith("~") && !patterns.includes(pattern)) patterns.push(pattern);
    for (const s of alt) if ("hole" in s && !holes.some((h) => h.text === s.hole.text)) holes.push(s.hole);
  }
  if (holes.length > 0 && patterns.length > 0) {
    return { kind: "unresolved", needs: holes.map((h) => h.text), onlyVariables: holes.every((h) => h.variable), patterns, paths };
  }
  return paths.length > 0 ? { kind: "paths", paths } : { kind: "outside" };
}

/** True when the path has glob characters the shell would expand. */
export function isGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox", "bats"]);
const LANGUAGES: Record<string, string> = { py: "python", rb: "ruby", js: "node", mjs: "node", cjs: "node", ts: "typescript", pl: "perl", php: "php", ps1: "powershell", go: "go", groovy: "groovy", kts: "kotlin", lua: "lua" };

/**
 * The interpreter of a script that is not a shell script (`#!/usr/bin/env python3`, `deploy.rb`),
 * or undefined for a shell script (a shell's `#!` line, or no `#!` line and no other language's
 * extension).
 */
export function interpreterOf(path: string, text: string): string | undefined {
  const shebang = /^#!\s*(\S+)([^\n]*)/.exec(text);
  if (shebang) {
    let words = [posix.basename(shebang[1] ?? ""), ...(shebang[2] ?? "").trim().split(/\s+/)];
    // `env [-S] [-i] [NAME=value…] program`
    if (words[0] === "env") words = words.slice(1).filter((w) => !w.startsWith("-") && !w.includes("="));
    const program = posix.basename(words[0] ?? "");
    return program === "" || SHELLS.has(program) ? undefined : program;
  }
  return LANGUAGES[/\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase() ?? ""];
}
