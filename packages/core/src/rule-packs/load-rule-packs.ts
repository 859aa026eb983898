/**
 * Loads the custom rule packs a policy file names (`rules: ["./policy/rules/*.js", "@acme/rules"]`).
 * Paths and globs are relative to the policy file, as ESLint's are to its config (a directory
 * loads through its package.json or index.js); package names, with an optional subpath, resolve
 * from the policy file's directory upwards, through the package's `exports` as Node's `import`
 * does. Every module is validated on load: a malformed one, a pattern that matches nothing or an
 * id clash is a UsageError (exit 2) naming the policy line, never a rule that silently does not run.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import picomatch from "picomatch";
import type { Rule } from "../engine/rule.ts";
import { checkUniqueRuleIds, rulesOfModule } from "../engine/validate-rule.ts";
import { ENGINE_RULES, checkPolicyRuleIds } from "../engine/evaluate.ts";
import type { Policy, RulePackRef } from "../policy/policy.ts";
import { UsageError, errorMessage } from "../util/errors.ts";

export interface RulePack {
  /** The policy entry that named it. */
  ref: RulePackRef;
  /** Absolute path of the module file. */
  file: string;
  rules: Rule[];
}

export interface LoadRulePacksOptions {
  /** Directory paths and package names resolve from: the policy file's directory. */
  baseDir: string;
  /** Ids already taken (the built-in rules and the engine's diagnostics). */
  reservedIds?: Iterable<string>;
}

const MODULE_EXTENSIONS = /\.(?:m?js|cjs|m?ts)$/;
/** Tests and declarations beside the rules a glob picks up are not rule modules. */
const NOT_A_RULE_MODULE = /\.(?:test|spec)\.[cm]?[jt]s$|\.d\.[cm]?ts$/;

function where(ref: RulePackRef): string {
  return ref.location ? `${ref.location.file}:${ref.location.line}` : "policy";
}

/** `trustscope.yaml:3: rule pack './rules/*.js' (rules/a.js)`: where a rule came from, in messages. */
function packLabel(ref: RulePackRef, file: string, baseDir: string): string {
  return `${where(ref)}: rule pack '${ref.spec}' (${relative(baseDir, file) || file})`;
}

/**
 * A spec is a path when it starts with `.` or `/` (or is absolute here), as in an `import`;
 * anything else is a package name with an optional subpath (`@acme/rules/dist/index.js`).
 */
const isPathSpec = (spec: string): boolean => spec.startsWith(".") || spec.startsWith("/") || isAbsolute(spec);

const isFile = (path: string): boolean => existsSync(path) && statSync(path).isFile();
const isDirectory = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

/** Files under `dir` (not into node_modules or dot-directories), as paths relative to it with `/`. */
function walk(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && !e.name.startsWith(".")) out.push(...walk(join(dir, e.name), rel));
    } else if (e.isFile()) out.push(rel);
  }
  return out;
}

/** The module files a path or glob names, sorted so packs load in a stable order. */
function filesForPath(ref: RulePackRef, baseDir: string): string[] {
  const scan = picomatch.scan(ref.spec);
  if (!scan.isGlob) {
    const file = resolve(baseDir, ref.spec);
    if (isDirectory(file)) return [fileForDirectory(ref, file)];
    if (!isFile(file)) throw new UsageError(`${where(ref)}: rule pack '${ref.spec}' not found (looked for ${file})`);
    return [file];
  }
  const root = resolve(baseDir, scan.base || ".");
  if (!isDirectory(root)) throw new UsageError(`${where(ref)}: rule pack pattern '${ref.spec}': directory ${root} does not exist`);
  const isMatch = picomatch(scan.glob, { dot: false });
  const files = walk(root).filter((rel) => isMatch(rel) && MODULE_EXTENSIONS.test(rel) && !NOT_A_RULE_MODULE.test(rel)).map((rel) => join(root, ...rel.split("/")));
  if (files.length === 0) throw new UsageError(`${where(ref)}: rule pack pattern '${ref.spec}' matched no module file under ${root}`);
  return files;
}

type Exports = string | null | { [key: string]: Exports } | Exports[];
interface Manifest {
  exports?: Exports;
  main?: unknown;
}

/**
 * The conditions Node's ESM loader matches for `import()`: `module-sync` joins them where
 * require(esm) is on (Node ≥ 20.19, ≥ 22.12); `require` never matches.
 */
const IMPORT_CONDITIONS: ReadonlySet<string> = new Set([
  "import",
  "node",
  "default",
  ...((process.features as { require_module?: boolean }).require_module ? ["module-sync"] : []),
]);

/** An `exports` field Node would reject outright. */
class InvalidExports extends Error {}

/**
 * A target Node rejects, which a list of fallbacks skips: a value, not a throw, as a list may hold
 * any number of them and each Error costs a stack capture.
 */
class InvalidTarget {
  constructor(readonly reason: string) {}
}

/** How deep conditions and fallbacks may nest; real packages use two or three levels, and the resolver recurses. */
const MAX_EXPORTS_DEPTH = 32;

/** A specifier whose `*` part Node refuses: the pack's spec is at fault, not the package. */
class InvalidSubpath extends Error {}

const isConditionMap = (e: Exports | undefined): e is { [key: string]: Exports } => typeof e === "object" && e !== null && !Array.isArray(e);

/**
 * A `.`, `..` or `node_modules` segment (percent-encoded too): what Node refuses in targets and in
 * what `*` matched, so `pkg/a/../internal/x` cannot reach what `"./internal/*": null` excludes.
 * (Empty segments Node only warns about, so they pass here too.)
 */
function hasInvalidSegment(path: string): boolean {
  return path.split(/[\\/]/).some((segment) => {
    let s = segment;
    try {
      s = decodeURIComponent(segment);
    } catch {
      // not valid percent-encoding: compare it as written
    }
    return s === "." || s === ".." || s.toLowerCase() === "node_modules";
  });
}

/**
 * PACKAGE_TARGET_RESOLVE: a target relative to the package (`./…`), `null` when excluded,
 * `undefined` when no condition matches, an InvalidTarget when Node would reject it.
 */
function exportTarget(target: Exports | undefined, match: string | null, depth = 0): string | null | undefined | InvalidTarget {
  if (depth > MAX_EXPORTS_DEPTH) throw new InvalidExports(`it nests conditions or fallback lists more than ${MAX_EXPORTS_DEPTH} levels deep`);
  if (typeof target === "string") {
    if (!target.startsWith("./")) return new InvalidTarget(`target '${target}' does not start with ./`);
    if (hasInvalidSegment(target.slice(2))) return new InvalidTarget(`target '${target}' has a '.', '..' or node_modules segment`);
    if (match === null) return target;
    if (hasInvalidSegment(match)) throw new InvalidSubpath(`'${match}' has a '.', '..' or node_modules segment`);
    return target.replaceAll("*", match);
  }
  if (Array.isArray(target)) {
    // Fallbacks: the first that resolves; Node skips invalid targets and excluded (null) entries.
    let last: InvalidTarget | null | undefined;
    for (const item of target) {
      const resolved = exportTarget(item, match, depth + 1);
      if (resolved === null || resolved instanceof InvalidTarget) last = resolved;
      else if (resolved !== undefined) return resolved;
    }
    return target.length === 0 ? null : last;
  }
  if (isConditionMap(target)) {
    const keys = Object.keys(target);
    if (keys.some((k) => /^\d+$/.test(k))) throw new InvalidExports(`condition '${keys.find((k) => /^\d+$/.test(k))}' is a number`);
    // The package's own key order decides, not ours: the first key that is an active condition.
    for (const condition of keys) {
      if (!IMPORT_CONDITIONS.has(condition)) continue;
      const resolved = exportTarget(target[condition], match, depth + 1);
      if (resolved !== undefined) return resolved;
    }
    return undefined;
  }
  if (target === null) return null;
  return new InvalidTarget(`target ${JSON.stringify(target)} is not a string, object, list or null`);
}

/** What a resolved target means for the import: a file, not exported (undefined), or an error. */
function settled(resolved: string | null | undefined | InvalidTarget): string | undefined {
  if (resolved instanceof InvalidTarget) throw new InvalidExports(resolved.reason);
  return resolved ?? undefined;
}

/** PATTERN_KEY_COMPARE for keys with one `*`: the longer part before `*` first, then the longer key. */
function comparePatternKeys(a: string, b: string): number {
  return b.indexOf("*") - a.indexOf("*") || b.length - a.length;
}

/** PACKAGE_EXPORTS_RESOLVE: the target (relative to the package) `exports` gives `key` (`.` or `./sub/path`), or undefined when not exported. */
function resolveExports(exports: Exports, key: string): string | undefined {
  const keys = isConditionMap(exports) ? Object.keys(exports) : [];
  const subpaths = keys.filter((k) => k.startsWith("."));
  if (subpaths.length > 0 && subpaths.length < keys.length) throw new InvalidExports("it mixes subpaths (keys starting with '.') and conditions");
  if (!isConditionMap(exports) || subpaths.length === 0) return key === "." ? settled(exportTarget(exports, null)) : undefined;
  if (Object.hasOwn(exports, key) && !key.includes("*")) return settled(exportTarget(exports[key], null));
  // `./*`-style patterns: the longest matching prefix wins; `*` in the target becomes what it matched.
  const patterns = subpaths.filter((k) => k.indexOf("*") !== -1 && k.indexOf("*") === k.lastIndexOf("*")).sort(comparePatternKeys);
  for (const pattern of patterns) {
    const [base, trailer] = [pattern.slice(0, pattern.indexOf("*")), pattern.slice(pattern.indexOf("*") + 1)];
    if (key.startsWith(base) && key !== base && (trailer === "" || (key.endsWith(trailer) && key.length >= pattern.length))) {
      return settled(exportTarget(exports[pattern], key.slice(base.length, key.length - trailer.length)));
    }
  }
  return undefined;
}

function readManifest(ref: RulePackRef, manifest: string): Manifest {
  try {
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as unknown;
    return typeof pkg === "object" && pkg !== null ? (pkg as Manifest) : {};
  } catch (e) {
    throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': ${manifest} is not valid JSON (${errorMessage(e)})`);
  }
}

/**
 * The module file of a package directory for `subpath` (`""` or `/dist/index.js`): through its
 * `exports` when it has them (the subpath must be exported), else the file the subpath names, else
 * its `main` or `index.js`. The file must stay inside the directory. `seen` holds the real paths
 * of the package directories a `main` naming a directory led through, so a symlink loop ends.
 */
function entryOfPackage(ref: RulePackRef, pkgDir: string, pkg: Manifest, subpath: string, seen = new Set<string>()): string {
  const manifest = join(pkgDir, "package.json");
  seen.add(realpathSync(pkgDir));
  let target: string;
  if (pkg.exports !== undefined && pkg.exports !== null) {
    const key = `.${subpath}`;
    let exported: string | undefined;
    try {
      exported = resolveExports(pkg.exports, key);
    } catch (e) {
      if (e instanceof InvalidSubpath) throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': the subpath '${key}' is not valid: ${e.message}`);
      throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': the 'exports' of ${manifest} are invalid: ${errorMessage(e)}`);
    }
    if (exported === undefined) throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': the package does not export '${key}' for import (see 'exports' in ${manifest})`);
    target = exported;
  } else if (subpath) {
    target = `.${subpath}`;
  } else {
    if (pkg.main !== undefined && typeof pkg.main !== "string") throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': 'main' in ${manifest} is not a string`);
    target = pkg.main ?? "index.js";
  }
  const file = resolve(pkgDir, target);
  if (!file.startsWith(pkgDir + sep)) throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': its entry point leaves the package directory`);
  // Only `exports` name exact files, as in Node; a subpath or `main` naming a directory is resolved like one.
  if (pkg.exports == null && isDirectory(file)) {
    if (seen.has(realpathSync(file))) throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': its entry point ${file} leads back to a directory it came through (a symlink loop)`);
    return fileForDirectory(ref, file, seen);
  }
  if (!isFile(file)) throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': entry point ${file} does not exist`);
  return file;
}

/** A directory's module: through its package.json (`exports["."]` or `main`), else its index.js. */
function fileForDirectory(ref: RulePackRef, dir: string, seen?: Set<string>): string {
  const manifest = join(dir, "package.json");
  if (isFile(manifest)) return entryOfPackage(ref, dir, readManifest(ref, manifest), "", seen);
  const index = join(dir, "index.js");
  if (isFile(index)) return index;
  throw new UsageError(`${where(ref)}: rule pack '${ref.spec}' is a directory with neither a package.json nor an index.js (looked in ${dir})`);
}

/** A package's module (its main one, or a subpath of it), found the way Node finds it: node_modules from `baseDir` upwards. */
function fileForPackage(ref: RulePackRef, baseDir: string): string {
  const parts = ref.spec.split("/");
  const name = ref.spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  if (name === "" || (ref.spec.startsWith("@") && (parts.length < 2 || parts[1] === "")) || /[\\%]/.test(name)) {
    throw new UsageError(`${where(ref)}: rule pack '${ref.spec}' is neither a path (start it with ./) nor a valid package name`);
  }
  const subpath = ref.spec.slice(name.length);
  for (let dir = resolve(baseDir); ; dir = dirname(dir)) {
    const pkgDir = join(dir, "node_modules", ...name.split("/"));
    const manifest = join(pkgDir, "package.json");
    if (existsSync(manifest)) return entryOfPackage(ref, pkgDir, readManifest(ref, manifest), subpath);
    if (dirname(dir) === dir) break;
  }
  throw new UsageError(`${where(ref)}: rule pack '${ref.spec}' is neither a path (start it with ./) nor an installed package (no node_modules/${name} above ${baseDir})`);
}

/** What usually fixes a pack that does not load, for the mistakes everyone makes once. */
function loadHint(reason: string): string {
  // The CLI is plain JavaScript: a .ts/.mts pack loads only where Node strips types itself.
  if (/Unknown file extension "\.[cm]?ts"/.test(reason)) {
    return ` (Node ${process.versions.node} cannot load TypeScript: compile the pack to .mjs, or run trustscope on Node ≥ 22.18, which strips types)`;
  }
  if (/require\(\) ES Module|ERR_REQUIRE_ESM|Cannot use import statement outside a module/i.test(reason)) {
    return " (rule packs are ES modules: name the file .mjs, or add \"type\": \"module\" to the nearest package.json)";
  }
  if (/Cannot find (package|module) '@trustscope\//.test(reason)) {
    return " (install @trustscope/core where the pack can resolve it, e.g. as a dev dependency of the repository that holds the policy)";
  }
  return "";
}

async function importModule(ref: RulePackRef, file: string, baseDir: string): Promise<unknown> {
  try {
    return (await import(pathToFileURL(file).href)) as unknown;
  } catch (e) {
    const shown = relative(baseDir, file) || file;
    const reason = errorMessage(e).split("\n")[0]!;
    throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': could not load ${shown}: ${reason}${loadHint(reason)}`);
  }
}

/** Load, validate and return every custom rule the policy names, in the order it names them. */
export async function loadRulePacks(refs: readonly RulePackRef[], opts: LoadRulePacksOptions): Promise<RulePack[]> {
  const packs: RulePack[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const files = isPathSpec(ref.spec) ? filesForPath(ref, opts.baseDir) : [fileForPackage(ref, opts.baseDir)];
    for (const file of files) {
      if (seen.has(file)) continue; // two patterns naming one file load it once
      seen.add(file);
      const mod = await importModule(ref, file, opts.baseDir);
      packs.push({ ref, file, rules: rulesOfModule(mod, packLabel(ref, file, opts.baseDir)) });
    }
  }
  checkUniqueRuleIds(
    packs.flatMap((p) => p.rules.map((rule) => ({ rule, where: packLabel(p.ref, p.file, opts.baseDir) }))),
    opts.reservedIds ?? [],
  );
  return packs;
}

/** The custom rules of a policy: its packs loaded relative to the policy file (or `cwd` without one). */
export async function loadPolicyRules(policy: Policy, opts: { cwd: string; reservedIds?: Iterable<string> }): Promise<Rule[]> {
  if (policy.rules.length === 0) return [];
  const baseDir = policy.file ? dirname(resolve(opts.cwd, policy.file)) : opts.cwd;
  const packs = await loadRulePacks(policy.rules, { baseDir, ...(opts.reservedIds ? { reservedIds: opts.reservedIds } : {}) });
  return packs.flatMap((p) => p.rules);
}

/**
 * The rules a scan runs under a policy: the built-in ones plus the policy's custom packs, with
 * every rule id the policy names (ruleSettings, suppressions) checked against the whole set.
 * `checkPolicyIds: false` skips that check, for listing the rules a policy with a typo should name.
 */
export async function ruleSetFor(policy: Policy | undefined, opts: { cwd: string; builtinRules: readonly Rule[]; checkPolicyIds?: boolean }): Promise<Rule[]> {
  const builtin = [...opts.builtinRules];
  if (!policy) return builtin;
  const custom = await loadPolicyRules(policy, { cwd: opts.cwd, reservedIds: [...builtin.map((r) => r.meta.id), ...ENGINE_RULES.map((m) => m.id)] });
  const rules = [...builtin, ...custom];
  if (opts.checkPolicyIds !== false) checkPolicyRuleIds(policy, rules.map((r) => r.meta.id));
  return rules;
}
