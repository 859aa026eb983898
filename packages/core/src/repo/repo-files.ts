/**
 * The repository's files as an attacker may have laid them out (a pull request): nothing outside
 * the root's real path is read; paths are resolved through symbolic links and checked against it;
 * only regular files are opened, non-blocking (a FIFO cannot hang the scan), and at most MAX_BYTES
 * are read whatever size `stat` reports. Links that stay inside are followed; a directory is walked
 * through one link at most, and never through a link back to a directory it is in (a cycle).
 */
import { lstatSync, readdirSync, realpathSync, statSync, type Dirent, type Stats } from "node:fs";
import { join, sep } from "node:path";
import type { Diagnostic } from "../model/repo.ts";
import { cannotRead, errno, notRegular, readBounded, type Problem } from "../util/bounded-file.ts";

export { notRegular, readBounded, type Problem };

const SKIP_DIRS = new Set([".git", "node_modules", "vendor", ".terraform", "dist", "build", "coverage", ".venv", "__pycache__"]);
const MAX_FILES = 50_000;
/** The largest file read. */
export const MAX_BYTES = 5 * 1024 * 1024;
/** .git/config is only read for the remote URL. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** A file of the repository: the name it is reported under, and where it really is. */
export interface Entry {
  /** Absolute path under the root's real path, with links left as named. */
  abs: string;
  /** Real path of a regular file inside the repository. */
  real?: string;
  /** Why it is not read. */
  problem?: Problem;
  viaLink: boolean;
}

export type Found =
  | { kind: "file"; real: string; viaLink: boolean }
  | { kind: "dir"; real: string; viaLink: boolean }
  /** `outside`: the real path a link leads to outside the repository (never reported). */
  | { kind: "problem"; problem: Problem; outside?: string }
  | { kind: "missing" };

export const OUTSIDE = "symbolic link to a path outside the repository; not read";

export function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Where a path under the root really leads, following links; nothing is opened. */
export function inspect(root: string, abs: string): Found {
  let real: string;
  try {
    real = realpathSync(abs);
  } catch (e) {
    const code = errno(e);
    if (code === "ENOENT" || code === "ENOTDIR") {
      try {
        if (lstatSync(abs).isSymbolicLink()) return { kind: "problem", problem: { message: "broken symbolic link; not read", note: true } };
      } catch {
        // no such file
      }
      return { kind: "missing" };
    }
    if (code === "ELOOP") return { kind: "problem", problem: { message: "symbolic link loop; not read", note: true } };
    return { kind: "problem", problem: cannotRead(e) };
  }
  if (!inside(root, real)) return { kind: "problem", problem: { message: OUTSIDE }, outside: real };
  let st: Stats;
  try {
    st = statSync(real);
  } catch (e) {
    return { kind: "problem", problem: cannotRead(e) };
  }
  const viaLink = real !== abs;
  if (st.isFile()) return { kind: "file", real, viaLink };
  if (st.isDirectory()) return { kind: "dir", real, viaLink };
  return { kind: "problem", problem: notRegular(st) };
}


function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

interface Dir {
  abs: string;
  real: string;
  viaLink: boolean;
  /** The directory it was listed in. */
  up?: Dir;
}

/** True when a link to `real` would lead back to a directory being walked (or above it). */
function isCycle(dir: Dir | undefined, real: string): boolean {
  for (let d = dir; d; d = d.up) if (inside(real, d.real)) return true;
  return false;
}

export function walk(root: string, diagnostics: Diagnostic[], rel: (abs: string) => string): Entry[] {
  const out: Entry[] = [];
  const stack: Dir[] = [{ abs: root, real: root, viaLink: false }];
  /** Real directory → the link it was first walked through: each is walked through one link at most (links in a diamond would multiply). */
  const linked = new Map<string, string>();
  let listed = 0;
  while (stack.length > 0 && out.length < MAX_FILES) {
    const dir = stack.pop()!;
    if (++listed > MAX_FILES) {
      diagnostics.push({ file: ".", line: 1, message: `more than ${MAX_FILES} directories; the rest were not read` });
      break;
    }
    let entries: Dirent[];
    try {
      entries = readdirSync(dir.real, { withFileTypes: true });
    } catch (e) {
      diagnostics.push({ file: rel(dir.abs) || ".", line: 1, message: `cannot list directory: ${errno(e)}` });
      continue;
    }
    // In name order, so which link a directory is walked through does not depend on the file system.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: Dir[] = [];
    for (const e of entries) {
      const abs = join(dir.abs, e.name);
      const real = join(dir.real, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) subdirs.push({ abs, real, viaLink: dir.viaLink, up: dir });
      } else if (e.isFile()) {
        out.push({ abs, real, viaLink: dir.viaLink });
      } else if (e.isSymbolicLink()) {
        const found = inspect(root, real);
        if (found.kind === "file") out.push({ abs, real: found.real, viaLink: true });
        else if (found.kind === "dir" || (found.kind === "problem" && found.outside !== undefined && isDirectory(found.outside))) {
          if (SKIP_DIRS.has(e.name)) continue;
          if (found.kind === "problem") diagnostics.push({ file: rel(abs), line: 1, message: found.problem.message });
          else if (isCycle(dir, found.real)) diagnostics.push({ file: rel(abs), line: 1, message: "symbolic link to a directory that holds it (a cycle); not followed", note: true, kind: "link" });
          else if (linked.has(found.real)) diagnostics.push({ file: rel(abs), line: 1, message: `the same directory as ${rel(linked.get(found.real)!)} (through a symbolic link); not walked again`, note: true, kind: "link" });
          else {
            linked.set(found.real, abs);
            subdirs.push({ abs, real: found.real, viaLink: true, up: dir });
          }
        } else if (found.kind === "problem") out.push({ abs, problem: found.problem, viaLink: true });
      } else {
        out.push({ abs, problem: notRegular(e), viaLink: dir.viaLink });
      }
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
  if (out.length >= MAX_FILES) diagnostics.push({ file: ".", line: 1, message: `more than ${MAX_FILES} files; the rest were not read` });
  return out.sort((a, b) => (a.abs < b.abs ? -1 : a.abs > b.abs ? 1 : 0));
}

/** The remote URL, from .git/config when it is a small regular file inside the repository. */
export function remoteOf(root: string, diagnostics: Diagnostic[], rel: (abs: string) => string): string | undefined {
  const abs = join(root, ".git", "config");
  const found = inspect(root, abs);
  if (found.kind === "missing") return undefined;
  const r = found.kind === "file" ? readBounded(found.real, MAX_CONFIG_BYTES) : { problem: found.kind === "dir" ? notRegular("directory") : found.problem };
  if ("problem" in r) {
    diagnostics.push({ file: rel(abs), line: 1, message: `${r.problem.message}, so the repository's remote URL is unknown`, note: true, kind: "unreadable-file" });
    return undefined;
  }
  const m = /\[remote "origin"\][^[]*?\burl\s*=\s*(\S+)/.exec(r.text);
  return m?.[1];
}

