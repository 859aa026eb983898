/**
 * Builds the published packages' JavaScript: each package's own TypeScript sources are bundled
 * per entry point (the `@trustscope/source` targets of its `exports`) into `dist/`, split into
 * shared chunks so that what a command does not use is never loaded (a dynamic `import()` is a
 * chunk of its own). Third-party and sibling packages stay external: they are dependencies,
 * resolved by Node from `node_modules` as in any installed package.
 *
 *   pnpm build                          # every package, JavaScript only (what the tests run)
 *   tsx scripts/build.ts --types        # and the type declarations (what `pnpm pack` ships)
 *   tsx scripts/build.ts packages/core  # one package
 *
 * The output is deterministic (no timestamps or absolute paths), and the CLI carries the commit
 * it was built from when built inside a git checkout.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { inlineAssetsPlugin, posix } from "./inline-assets.ts";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The condition under which a workspace package's `exports` name its TypeScript sources. */
export const SOURCE_CONDITION = "@trustscope/source";
/** The packages that are published, in dependency order. */
export const PUBLISHED = ["packages/core", "rules", "packages/emulator", "packages/cli"] as const;

interface PackageJson {
  name: string;
  version: string;
  exports?: Record<string, string | Record<string, string>>;
  scripts?: Record<string, string>;
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;
}

/** `"."` → `index`, `"./collect"` → `collect`; entries that are not TypeScript (a JSON schema) are skipped. */
export function entryPoints(pkg: PackageJson): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const source = typeof target === "string" ? target : target[SOURCE_CONDITION];
    if (!source || !source.endsWith(".ts")) continue;
    out[subpath === "." ? "index" : subpath.replace(/^\.\//, "")] = source;
  }
  return out;
}

/** The checkout's commit, or undefined outside git (a build from a source tarball). */
function gitCommit(): string | undefined {
  const r = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" });
  return r.status === 0 && /^[0-9a-f]{7,40}$/.test(r.stdout.trim()) ? r.stdout.trim() : undefined;
}

export interface PackageBuild {
  name: string;
  files: string[];
  bytes: number;
}

/**
 * Bundles one package's entry points into `<dir>/dist`. Files are replaced in place and only
 * then is any other JavaScript under dist/ removed (a stale chunk would otherwise ship in the
 * tarball), so a CLI started while a build runs still finds a whole build.
 */
export async function buildPackage(dir: string, opts: { commit?: string | undefined } = {}): Promise<PackageBuild> {
  const pkg = readPackage(dir);
  const outdir = join(dir, "dist");
  const result = await build({
    absWorkingDir: dir,
    entryPoints: entryPoints(pkg),
    outdir,
    write: false,
    // Every output sits directly in dist/, so a module-relative URL in a source (../demo/x.json
    // from src/) means the same file from any chunk.
    chunkNames: "[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    conditions: [SOURCE_CONDITION],
    define: { __TRUSTSCOPE_COMMIT__: JSON.stringify(opts.commit ?? "") },
    legalComments: "none",
    charset: "utf8",
    logLevel: "silent",
    plugins: [inlineAssetsPlugin(join(outdir, "index.js"))],
  });
  // Recursively: a tsc build of an earlier version wrote JavaScript under dist/src/.
  writeOutputs(outdir, result.outputFiles, (name) => name.endsWith(".js"), { recursive: true });
  const files = result.outputFiles.map((f) => posix(relative(dir, f.path))).sort();
  const bytes = result.outputFiles.reduce((n, f) => n + f.contents.byteLength, 0);
  return { name: pkg.name, files, bytes };
}

export interface Output {
  /** Absolute path inside the output directory. */
  path: string;
  contents: Uint8Array;
}

/**
 * Writes a build's outputs into `outdir`, each only if its bytes changed (an unchanged file keeps
 * its timestamp), and only then removes the files there that `isOutput` (given the path relative
 * to `outdir`, with '/') claims as build outputs but this build did not make: a stale chunk would
 * otherwise ship or be committed, and a process started while a build runs still finds a whole
 * build. Returns the removed files, relative to `outdir`, sorted.
 */
export function writeOutputs(outdir: string, outputs: readonly Output[], isOutput: (name: string) => boolean, opts: { recursive?: boolean } = {}): string[] {
  mkdirSync(outdir, { recursive: true });
  for (const f of outputs) {
    if (existsSync(f.path) && readFileSync(f.path).equals(f.contents)) continue;
    writeFileSync(f.path, f.contents);
  }
  const made = new Set(outputs.map((f) => f.path));
  const stale = readdirSync(outdir, { recursive: opts.recursive ?? false, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => !made.has(path) && isOutput(posix(relative(outdir, path))))
    .sort();
  for (const path of stale) rmSync(path);
  return stale.map((path) => posix(relative(outdir, path)));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Type declarations for a library package (`dist/src/**.d.ts`), from its tsconfig.build.json. */
function buildTypes(dir: string): void {
  if (!existsSync(join(dir, "tsconfig.build.json"))) return;
  // Declarations of deleted sources must not ship either.
  for (const f of filesUnder(join(dir, "dist"))) if (f.endsWith(".d.ts")) rmSync(f);
  const tsc = join(REPO_ROOT, "node_modules/typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json", "--emitDeclarationOnly"], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${relative(REPO_ROOT, dir)}: tsc failed\n${r.stdout}${r.stderr}`);
}

export async function buildAll(dirs: readonly string[] = PUBLISHED.map((d) => join(REPO_ROOT, d)), opts: { types?: boolean } = {}): Promise<PackageBuild[]> {
  const commit = gitCommit();
  const builds: PackageBuild[] = [];
  for (const dir of dirs) {
    builds.push(await buildPackage(dir, { commit }));
    if (opts.types) buildTypes(dir);
  }
  return builds;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const types = args.includes("--types");
  const quiet = args.includes("--quiet");
  const dirs = args.filter((a) => !a.startsWith("--")).map((d) => resolve(process.cwd(), d));
  try {
    for (const b of await buildAll(dirs.length > 0 ? dirs : undefined, { types })) {
      if (!quiet) process.stderr.write(`${b.name}: ${b.files.length} files, ${b.bytes} bytes\n`);
    }
  } catch (e) {
    process.stderr.write(`build failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
