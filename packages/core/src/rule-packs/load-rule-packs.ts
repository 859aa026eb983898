/**
 * Loads the custom rule packs a policy file names (`rules: ["./policy/rules/*.js", "@acme/rules"]`).
 * Paths and globs are relative to the policy file, as ESLint's are to its config; package names
 * resolve from the policy file's directory upwards. Every module is validated on load: a
 * malformed one, a pattern that matches nothing or an id clash is a UsageError (exit 2) naming
 * the policy line, never a rule that silently does not run.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
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

const isPathSpec = (spec: string): boolean => spec.startsWith(".") || isAbsolute(spec) || MODULE_EXTENSIONS.test(spec);

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
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`${where(ref)}: rule pack '${ref.spec}' not found (looked for ${file})`);
    return [file];
  }
  const root = resolve(baseDir, scan.base || ".");
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`${where(ref)}: rule pack pattern '${ref.spec}': directory ${root} does not exist`);
  const isMatch = picomatch(scan.glob, { dot: false });
  const files = walk(root).filter((rel) => isMatch(rel) && MODULE_EXTENSIONS.test(rel) && !NOT_A_RULE_MODULE.test(rel)).map((rel) => join(root, ...rel.split("/")));
  if (files.length === 0) throw new UsageError(`${where(ref)}: rule pack pattern '${ref.spec}' matched no module file under ${root}`);
  return files;
}

type Exports = string | null | { [key: string]: Exports } | Exports[];

/** The file an `exports` entry points at under the conditions Node's ESM loader uses. */
function exportTarget(entry: Exports | undefined): string | undefined {
  if (typeof entry === "string") return entry;
  if (Array.isArray(entry)) return entry.map(exportTarget).find((t) => t !== undefined);
  if (entry && typeof entry === "object") {
    if ("." in entry) return exportTarget(entry["."]);
    for (const condition of ["import", "node", "default"]) {
      if (condition in entry) {
        const t = exportTarget(entry[condition]);
        if (t !== undefined) return t;
      }
    }
  }
  return undefined;
}

/** A package's main module, found the way Node finds it: node_modules from `baseDir` upwards. */
function fileForPackage(ref: RulePackRef, baseDir: string): string {
  const [scopeOrName, maybeName] = ref.spec.split("/");
  const name = ref.spec.startsWith("@") ? `${scopeOrName}/${maybeName}` : scopeOrName!;
  const subpath = ref.spec.slice(name.length);
  for (let dir = resolve(baseDir); ; dir = dirname(dir)) {
    const pkgDir = join(dir, "node_modules", ...name.split("/"));
    const manifest = join(pkgDir, "package.json");
    if (existsSync(manifest)) {
      let pkg: { exports?: Exports; main?: string };
      try {
        pkg = JSON.parse(readFileSync(manifest, "utf8")) as typeof pkg;
      } catch (e) {
        throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': ${manifest} is not valid JSON (${errorMessage(e)})`);
      }
      let target: string | undefined;
      if (pkg.exports !== undefined) {
        const key = subpath ? `.${subpath}` : ".";
        const exp = pkg.exports;
        const entry = typeof exp === "object" && exp !== null && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith(".")) ? exp[key] : key === "." ? exp : undefined;
        target = exportTarget(entry);
        if (target === undefined) throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': the package does not export '${key}' for import`);
      } else {
        target = subpath ? `.${subpath}` : pkg.main ?? "index.js";
      }
      const file = resolve(pkgDir, target);
      if (!file.startsWith(pkgDir + sep)) throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': its entry point leaves the package directory`);
      if (!existsSync(file)) throw new UsageError(`${where(ref)}: rule pack '${ref.spec}': entry point ${file} does not exist`);
      return file;
    }
    if (dirname(dir) === dir) break;
  }
  throw new UsageError(`${where(ref)}: rule pack '${ref.spec}' is neither a path (start it with ./) nor an installed package (no node_modules/${name} above ${baseDir})`);
}

/** What usually fixes a pack that does not load, for the two mistakes everyone makes once. */
function loadHint(reason: string): string {
  if (/require\(\) ES Module|ERR_REQUIRE_ESM|Cannot use import statement outside a module/i.test(reason)) {
    return " (rule packs are ES modules: name the file .mjs or .mts, or add \"type\": \"module\" to the nearest package.json)";
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
