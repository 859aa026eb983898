/**
 * Reads a repository from disk: finds pipeline files, the scripts their steps run (and every
 * shell script under .buildkite/), and ARM/Bicep templates, and hands each to its pure reader.
 * A file that cannot be read fully is a diagnostic (a coverage gap), never a silent skip.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative, resolve, sep } from "node:path";
import { parse as parseJsonc, type ParseError } from "jsonc-parser";
import type { Diagnostic, PipelineFile, RepoInventory } from "../model/repo.ts";
import { tooDeepAt } from "../util/json-guard.ts";
import { findInlineSuppressions } from "./inline-suppressions.ts";
import { readPipeline } from "./pipeline/read-pipeline.ts";
import { readShell } from "./shell/read-shell.ts";
import { isArmTemplate, readArmTemplate, readBicep } from "./templates/index.ts";

const SKIP_DIRS = new Set([".git", "node_modules", "vendor", ".terraform", "dist", "build", "coverage", ".venv", "__pycache__"]);
const MAX_FILES = 50_000;
const MAX_BYTES = 5 * 1024 * 1024;

/** Buildkite's own pipeline file names (the pipeline schema's fileMatch). */
export function isPipelinePath(path: string): boolean {
  const p = path.split(sep).join("/");
  const base = posix.basename(p);
  return (
    /^buildkite\.(ya?ml|json)$/.test(base) ||
    /^buildkite\.[^.]+\.(ya?ml|json)$/.test(base) ||
    /(^|\/)\.buildkite\/pipeline(\.[^/]+)?\.(ya?ml|json)$/.test(p)
  );
}

export interface LoadedRepo {
  repo: RepoInventory;
  /** `origin`'s URL from .git/config, to match the repository to Buildkite pipelines. */
  remoteUrl?: string;
}

function walk(root: string, diagnostics: Diagnostic[]): string[] {
  const out: string[] = [];
  const stack = [root];
  while (stack.length > 0 && out.length < MAX_FILES) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      diagnostics.push({ file: relative(root, dir) || ".", line: 1, message: `cannot list directory: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
      continue;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) stack.push(join(dir, e.name));
      } else if (e.isFile()) out.push(join(dir, e.name));
    }
  }
  if (out.length >= MAX_FILES) diagnostics.push({ file: ".", line: 1, message: `more than ${MAX_FILES} files; the rest were not read` });
  return out.sort();
}

function remoteOf(root: string): string | undefined {
  const config = join(root, ".git", "config");
  if (!existsSync(config)) return undefined;
  const text = readFileSync(config, "utf8");
  const m = /\[remote "origin"\][^[]*?\burl\s*=\s*(\S+)/.exec(text);
  return m?.[1];
}

/**
 * `pathPrefix` is put before every reported path, so that locations are relative to where the
 * user runs trustscope (usually the repository root, where SARIF wants them).
 */
export function loadRepo(rootDir: string, opts: { pathPrefix?: string } = {}): LoadedRepo {
  const root = resolve(rootDir);
  const prefix = opts.pathPrefix ? `${opts.pathPrefix.replace(/\/+$/, "")}/` : "";
  const diagnostics: Diagnostic[] = [];
  const inlineSuppressions: NonNullable<RepoInventory["inlineSuppressions"]> = [];
  const repo: RepoInventory = { pipelines: [], scripts: [], templates: [], diagnostics, inlineSuppressions };
  const rel = (abs: string) => prefix + relative(root, abs).split(sep).join("/");
  const read = (abs: string): string | undefined => {
    try {
      if (statSync(abs).size > MAX_BYTES) {
        diagnostics.push({ file: rel(abs), line: 1, message: `larger than ${MAX_BYTES} bytes; not read` });
        return undefined;
      }
      const text = readFileSync(abs, "utf8");
      inlineSuppressions.push(...findInlineSuppressions(text, rel(abs)));
      return text;
    } catch (e) {
      diagnostics.push({ file: rel(abs), line: 1, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
      return undefined;
    }
  };

  const files = walk(root, diagnostics);
  const pipelinesToRead = new Set(files.filter((f) => isPipelinePath(rel(f))));
  const scriptsToRead = new Set(files.filter((f) => /(^|\/)\.buildkite\/.*\.(sh|bash)$/.test(rel(f))));

  // Pipelines, then the pipelines they upload (transitively).
  const readPipelines = new Set<string>();
  const pipelineQueue = [...pipelinesToRead];
  while (pipelineQueue.length > 0) {
    const abs = pipelineQueue.shift()!;
    if (readPipelines.has(abs)) continue;
    readPipelines.add(abs);
    const text = read(abs);
    if (text === undefined) continue;
    const { pipeline, diagnostics: d } = readPipeline(text, rel(abs));
    diagnostics.push(...d);
    if (!pipeline) continue;
    repo.pipelines.push(pipeline);
    for (const step of pipeline.steps) {
      for (const c of step.commands) {
        const { facts, diagnostics: sd } = readShell(c.text, pipeline.file, { firstLine: c.line, pipelineEscapes: true });
        diagnostics.push(...sd);
        for (const call of facts.scriptCalls) {
          const target = resolveInRepo(root, call.path);
          if (target) scriptsToRead.add(target);
        }
        for (const up of facts.pipelineUploads) {
          const target = resolveInRepo(root, up.path || ".buildkite/pipeline.yml");
          if (target && !readPipelines.has(target)) pipelineQueue.push(target);
        }
      }
    }
  }

  // Scripts, following the scripts they call.
  const readScripts = new Set<string>();
  const scriptQueue = [...scriptsToRead];
  while (scriptQueue.length > 0) {
    const abs = scriptQueue.shift()!;
    if (readScripts.has(abs)) continue;
    readScripts.add(abs);
    const text = read(abs);
    if (text === undefined) continue;
    const { facts, diagnostics: d } = readShell(text, rel(abs));
    diagnostics.push(...d);
    repo.scripts.push({ file: rel(abs), ...facts });
    for (const call of facts.scriptCalls) {
      const target = resolveInRepo(root, call.path);
      if (target && !readScripts.has(target)) scriptQueue.push(target);
    }
  }

  // Templates.
  for (const abs of files) {
    const path = rel(abs);
    if (path.endsWith(".bicep")) {
      const text = read(abs);
      if (text === undefined) continue;
      const { facts, diagnostics: d } = readBicep(text, path);
      diagnostics.push(...d);
      repo.templates.push({ file: path, kind: "bicep", ...facts });
    } else if (path.endsWith(".json") && !isPipelinePath(path) && !/(^|\/)(package(-lock)?|tsconfig[^/]*|composer|\.?eslintrc[^/]*)\.json$/.test(path)) {
      const text = read(abs);
      if (text === undefined || !/deploymentTemplate|"contentVersion"/.test(text)) continue;
      const errors: ParseError[] = [];
      // Too deep to parse safely: the template reader reports it (a gap), rather than a crash here.
      if (tooDeepAt(text) === undefined) {
        const json: unknown = parseJsonc(text, errors, { allowTrailingComma: true });
        if (errors.length === 0 && !isArmTemplate(json)) continue;
      }
      const { facts, diagnostics: d } = readArmTemplate(text, path);
      diagnostics.push(...d);
      repo.templates.push({ file: path, kind: "arm", ...facts });
    }
  }

  repo.pipelines.sort((a: PipelineFile, b: PipelineFile) => (a.file < b.file ? -1 : 1));
  repo.scripts.sort((a, b) => (a.file < b.file ? -1 : 1));
  const remoteUrl = remoteOf(root);
  return { repo, ...(remoteUrl ? { remoteUrl } : {}) };
}

/** A path as a step wrote it, if it names a file inside the repository. */
function resolveInRepo(root: string, written: string): string | undefined {
  if (!written || /[$`*?]/.test(written)) return undefined;
  const abs = resolve(root, written.replace(/^\.\//, ""));
  if (!abs.startsWith(root + sep)) return undefined;
  return existsSync(abs) && statSync(abs).isFile() ? abs : undefined;
}
