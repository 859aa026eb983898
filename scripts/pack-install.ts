/**
 * The published packages as a user gets them: `pnpm pack` of @trustscope/core, rules, emulator and
 * cli (prepack builds each one's dist/), then a plain `npm i -g --prefix DIR <tarballs>` into a
 * directory outside the workspace, third-party dependencies from the npm registry. The install
 * test and the start-up bench use it; `pnpm pack:all` writes the tarballs for people to install
 * before the packages are on the registry.
 *
 *   tsx scripts/pack-install.ts --pack DIR [--install]
 *
 * prints the tarballs' paths (and, with --install, the installed `trustscope` after installing
 * them into a fresh temporary prefix).
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { PUBLISHED } from "./build.ts";
import { run, type RunOptions, type RunResult } from "./run.ts";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Every published package, by name, in dependency order. */
export const PACKAGES: readonly string[] = PUBLISHED.map((dir) => packageJson(join(REPO_ROOT, dir)).name);

function packageJson(dir: string): { name: string; version: string } {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string; version: string };
}

/** The file `pnpm pack` writes for a package: `@trustscope/core` 0.2.0 → `trustscope-core-0.2.0.tgz`. */
function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;
}

/** Throws naming the command, with the end of what it printed (npm's error is at the end). */
async function mustRun(what: string, cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const tail = `${r.stderr}\n${r.stdout}`.trim().split("\n").slice(-12).join("\n");
    throw new Error(`${what} exited ${r.code}:\n${tail}`);
  }
  return r;
}

/**
 * npm run as a user runs it: without the npm_* variables a `pnpm` script or `pnpm vitest` puts in
 * the environment (pnpm's own settings, which npm would read as its configuration).
 */
export function userEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/^npm_/i.test(k)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * prepack rebuilds a package's dist/ in place, so two packs of one checkout at once (the install
 * and package tests in parallel workers) could each tar the other's half-written build: packs of
 * the same checkout take turns. A lock left by a process that died is taken over.
 */
export async function withPackLock<T>(fn: () => Promise<T>): Promise<T> {
  const key = createHash("sha256").update(REPO_ROOT).digest("hex").slice(0, 12);
  const lock = join(tmpdir(), `trustscope-pack-${key}.lock`);
  const deadline = Date.now() + 15 * 60_000;
  while (!tryLock(lock)) {
    const owner = lockOwner(lock);
    if (owner !== undefined && !alive(owner)) {
      breakLock(lock, owner);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`process ${owner ?? "?"} has held ${lock} for 15 minutes; if it is not packing this checkout, remove that directory`);
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    // Only our own: a lock broken and taken by another waiter is theirs to remove.
    if (lockOwner(lock) === process.pid) rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Takes the lock: a directory holding the owner's pid, made beside it and renamed into place (a
 * rename onto an existing, non-empty directory fails), so that no lock is ever seen without its
 * owner, even if this process dies half-way.
 */
function tryLock(lock: string): boolean {
  const made = mkdtempSync(`${lock}.new-`);
  writeFileSync(join(made, "pid"), String(process.pid));
  try {
    renameSync(made, lock);
    return true;
  } catch (e) {
    rmSync(made, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTEMPTY" || existsSync(lock)) return false;
    throw e;
  }
}

function lockOwner(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(lock, "pid"), "utf8"));
    return Number.isInteger(pid) && pid > 0 ? pid : 0; // 0: no process wrote that
  } catch {
    return undefined; // released meanwhile
  }
}

function alive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the lock of `owner`, a process that died. Moved aside first, and put back if it is not
 * that owner's any more: another waiter may have broken it and taken the lock between our look
 * and our move.
 */
function breakLock(lock: string, owner: number): void {
  const aside = `${lock}.dead-${randomUUID()}`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // already broken by another waiter, or released
  }
  if (lockOwner(aside) !== owner) {
    try {
      renameSync(aside, lock);
      return;
    } catch {
      // A third process took the lock meanwhile; the lock moved aside is dropped.
    }
  }
  rmSync(aside, { recursive: true, force: true });
}

/**
 * Packs the published packages (all by default) into `dest` and returns the tarballs' absolute
 * paths in dependency order. Earlier trustscope tarballs in `dest` are removed first, so that
 * `npm i -g dest/*.tgz` installs one version of each.
 */
export async function packPackages(dest: string, packages: readonly string[] = PACKAGES): Promise<string[]> {
  const out = resolve(dest);
  const dirs = new Map(PUBLISHED.map((dir) => [packageJson(join(REPO_ROOT, dir)).name, join(REPO_ROOT, dir)]));
  const chosen = packages.map((name) => {
    const dir = dirs.get(name);
    if (!dir) throw new Error(`${name} is not a published package (${PACKAGES.join(", ")})`);
    return { name, file: join(out, tarballName(name, packageJson(dir).version)) };
  });
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (/^trustscope-.*\.tgz$/.test(f)) rmSync(join(out, f));
  await withPackLock(() => mustRun("pnpm pack", "pnpm", [...chosen.flatMap((p) => ["--filter", p.name]), "pack", "--pack-destination", out], { cwd: REPO_ROOT }));
  const missing = chosen.filter((p) => !existsSync(p.file));
  if (missing.length > 0) throw new Error(`pnpm pack wrote no ${missing.map((p) => relative(process.cwd(), p.file)).join(", ")}`);
  return chosen.map((p) => p.file);
}

const NPM_FLAGS = ["--no-audit", "--no-fund", "--prefer-offline"];

/** A directory of its own under the system's temp dir; refuses one inside the workspace (TMPDIR there). */
export function outsideWorkspace(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const root = realpathSync(REPO_ROOT);
  if (dir === root || dir.startsWith(root.endsWith(sep) ? root : root + sep)) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the temp dir ${tmpdir()} is inside the workspace; set TMPDIR elsewhere`);
  }
  return dir;
}

export interface GlobalInstall {
  /** `npm i -g --prefix` target. */
  prefix: string;
  /** `<prefix>/bin/trustscope`, a link to the package's bin file. */
  bin: string;
  /** The installed `@trustscope/cli` package directory. */
  packageDir: string;
}

/** `npm i -g --prefix <dir>/prefix <tarballs>`, as a user installs a CLI. POSIX layout (bin/, lib/node_modules/). */
export async function installGlobal(tarballs: readonly string[], dir: string): Promise<GlobalInstall> {
  const prefix = join(dir, "prefix");
  // Absolute paths: npm reads `tarballs/x.tgz` (no ./) as a GitHub shorthand.
  await mustRun("npm i -g", "npm", ["i", "-g", "--prefix", prefix, ...NPM_FLAGS, ...tarballs.map((t) => resolve(t))], { cwd: dir, env: userEnv() });
  const bin = join(prefix, "bin", "trustscope");
  if (!existsSync(bin)) throw new Error(`npm i -g made no ${bin}`);
  return { prefix, bin, packageDir: join(prefix, "lib", "node_modules", "@trustscope", "cli") };
}

export interface LocalInstall {
  /** A plain project directory (a package.json and nothing else before the install). */
  project: string;
  /** `<project>/node_modules/.bin/trustscope`. */
  bin: string;
}

/** `npm i <tarballs>` in a fresh project directory `<dir>/project`, for `npx trustscope`. */
export async function installLocal(tarballs: readonly string[], dir: string): Promise<LocalInstall> {
  const project = join(dir, "project");
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "package.json"), `${JSON.stringify({ name: "trustscope-consumer", version: "1.0.0", private: true }, null, 2)}\n`);
  await mustRun("npm i", "npm", ["i", ...NPM_FLAGS, ...tarballs.map((t) => resolve(t))], { cwd: project, env: userEnv() });
  const bin = join(project, "node_modules", ".bin", "trustscope");
  if (!existsSync(bin)) throw new Error(`npm i made no ${bin}`);
  return { project, bin };
}

export interface Installation {
  /** The temporary directory holding everything below; `cleanup` removes it. */
  dir: string;
  tarballs: string[];
  global: GlobalInstall;
  local?: LocalInstall;
  timings: { packMs: number; installMs: number };
  cleanup: () => void;
}

/**
 * Packs every published package and installs the tarballs globally into a fresh directory under
 * the temp dir (and, with `local`, into a project there too, at the same time).
 */
export async function packAndInstall(opts: { local?: boolean } = {}): Promise<Installation> {
  const dir = outsideWorkspace("trustscope-install-");
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    let t = performance.now();
    const tarballs = await packPackages(join(dir, "tarballs"));
    const packMs = performance.now() - t;
    t = performance.now();
    const [global, local] = await Promise.all([installGlobal(tarballs, dir), opts.local ? installLocal(tarballs, dir) : undefined]);
    const installMs = performance.now() - t;
    return { dir, tarballs, global, ...(local ? { local } : {}), timings: { packMs, installMs }, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/** Relative with ./ below the working directory (npm reads `dir/x.tgz` without it as a GitHub repository), else absolute. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? path : `./${rel.split(sep).join("/")}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--pack");
  const dest = at >= 0 ? args[at + 1] : undefined;
  const unknown = args.filter((a, i) => a.startsWith("--") && a !== "--pack" && a !== "--install" && i !== at + 1);
  if (!dest || dest.startsWith("--") || unknown.length > 0) {
    process.stderr.write("usage: tsx scripts/pack-install.ts --pack DIR [--install]\n");
    process.exit(2);
  }
  try {
    const tarballs = await packPackages(resolve(process.cwd(), dest));
    for (const t of tarballs) process.stdout.write(`${shown(t)}\n`);
    if (args.includes("--install")) {
      const dir = outsideWorkspace("trustscope-install-");
      const { bin } = await installGlobal(tarballs, dir);
      process.stdout.write(`installed: ${bin}\n`);
    } else {
      process.stderr.write(`install them with: npm i -g ${shown(dirname(tarballs[0]!))}/*.tgz\n`);
    }
  } catch (e) {
    process.stderr.write(`pack-install: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
