/**
 * Reads a repository from disk: finds pipeline files, the scripts their steps run (and every
 * shell script under .buildkite/), and ARM/Bicep templates, and hands each to its pure reader.
 * A file that cannot be read fully is a diagnostic (a coverage gap), never a silent skip.
 *
 * The repository is attacker input (a pull request): files are found and read through
 * repo-files.ts, which never leaves its real root. A file reached under several names is read once
 * for each purpose, under the first name it is reached by (for a script, the name a step runs it
 * by; else its name without links), and the other names are noted.
 */
import { realpathSync } from "node:fs";
import { join, posix, relative, resolve, sep } from "node:path";
import type { Diagnostic, EnvEntry, GitHubWorkflowFile, Located, PipelineFile, RepoInventory, ShellFacts } from "../model/repo.ts";
import { findInlineSuppressions } from "./inline-suppressions.ts";
import { inspect, MAX_BYTES, notRegular, readBounded, remoteOf, walk, type Entry, type Problem } from "./repo-files.ts";
import { isWorkflowPath, readWorkflow } from "./github-workflows/read-workflow.ts";
import { readPipeline } from "./pipeline/read-pipeline.ts";
import { globMatch } from "./shell/glob.ts";
import { readPowerShell } from "./powershell/read-powershell.ts";
import { readShell } from "./shell/read-shell.ts";
import { isPowerShellScript, readStepCommand } from "./step-commands.ts";
import { hasControl, interpreterOf, isGlob, quoted, resolveScriptPath, type PathScope } from "./shell/script-path.ts";
import { looksLikeArmTemplate } from "./templates/arm.ts";
import { readArmTemplate, readBicep, type TemplateHost } from "./templates/index.ts";
import type { HclParser } from "./terraform/read-hcl.ts";
import { readTerraform, TERRAFORM_FILE } from "./terraform/index.ts";

/**
 * A script is read once, but its calls are followed once per environment it runs in (the env of
 * each step that runs it): so much work in all, counting a variable or a call as 1.
 */
const MAX_VISIT_WORK = 200_000;
/** Characters the resolution of script paths may scan in all (variables that refer to each other multiply). */
const MAX_RESOLVE_SCAN = 20_000_000;
/** Repository paths a glob or an unknown script path is matched against, in all (each match is O(pattern × path)). */
const MAX_GLOB_TESTS = 200_000;
/** Files a glob in a script call may stand for. */
const MAX_GLOB_FILES = 64;
/**
 * Pipeline YAML parsed in all. The parser takes about 1.5 s per MiB: a pull request of many big
 * YAML files under .buildkite/ must not hold a check for minutes. Real pipelines are kilobytes.
 */
const MAX_PIPELINE_BYTES = 8 * 1024 * 1024;
/**
 * Terraform read per file and in all. Real files are kilobytes (the largest in the azurerm
 * provider's examples is 37 KB; whole estates of 1,800 files 3 MB); the HCL parser's memory grows
 * about 250 bytes per byte, so a pull request's 5 MB file would cost over a gigabyte.
 */
const MAX_TERRAFORM_FILE_BYTES = 2 * 1024 * 1024;
const MAX_TERRAFORM_BYTES = 32 * 1024 * 1024;
/** What `buildkite-agent pipeline upload` with no file reads: the first of these that exists. */
const DEFAULT_UPLOADS = ["buildkite.yml", "buildkite.yaml", "buildkite.json", ".buildkite/pipeline.yml", ".buildkite/pipeline.yaml", ".buildkite/pipeline.json", "buildkite/pipeline.yml", "buildkite/pipeline.yaml", "buildkite/pipeline.json"];

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

// ---------------------------------------------------------------------------------------------
// Which scripts run

type Vars = Map<string, string[]>;

/** Env layers as variables; a later layer wins. */
function envVars(...layers: EnvEntry[][]): Vars {
  const vars: Vars = new Map();
  for (const layer of layers) for (const e of layer) vars.set(e.name, [e.value]);
  return vars;
}

/** `vars` with what the script assigns: every value it assigns (the call may come after any of them). */
function withAssignments(vars: ReadonlyMap<string, string[]>, assignments: ShellFacts["assignments"]): Vars {
  const own = new Map<string, Set<string>>();
  for (const a of assignments) own.set(a.name, (own.get(a.name) ?? new Set<string>()).add(a.value.raw));
  const out: Vars = new Map(vars);
  for (const [name, values] of own) out.set(name, [...values]);
  return out;
}

/** Text from the repository, cut to a length a message can carry. */
function shorten(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** "$A", "$A and $B", "$A, $B and $C". */
function listed(items: string[]): string {
  const shown = items.map((i) => shorten(i, 40));
  return shown.length <= 1 ? (shown[0] ?? "") : `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

/**
 * `pathPrefix` is put before every reported path, so that locations are relative to where the
 * user runs trustscope (usually the repository root, where SARIF wants them).
 */
export function loadRepo(rootDir: string, opts: { pathPrefix?: string; hcl?: HclParser } = {}): LoadedRepo {
  // The real root: the repository may sit under a linked directory (a temp dir), and every
  // path read is checked against it.
  let root = resolve(rootDir);
  try {
    root = realpathSync(root);
  } catch {
    // walk reports that it cannot list it
  }
  const prefix = opts.pathPrefix ? `${opts.pathPrefix.replace(/\/+$/, "")}/` : "";
  const diagnostics: Diagnostic[] = [];
  const inlineSuppressions: NonNullable<RepoInventory["inlineSuppressions"]> = [];
  const repo: RepoInventory = { pipelines: [], scripts: [], templates: [], diagnostics, inlineSuppressions };
  const inRepo = (abs: string) => relative(root, abs).split(sep).join("/");
  const rel = (abs: string) => prefix + inRepo(abs);

  const walked = walk(root, diagnostics, rel);
  const entries = new Map(walked.map((e) => [e.abs, e]));
  const files = walked.map((e) => e.abs);
  const names = files.map(inRepo);
  /** Files under a name the walk found first; then links. */
  const unlinkedFirst = (paths: string[]) => [...paths].sort((a, b) => Number(entries.get(a)?.viaLink) - Number(entries.get(b)?.viaLink) || (a < b ? -1 : a > b ? 1 : 0));

  /** The entry for a path under the root: walked, or looked up now (a script the walk does not reach). */
  const entryOf = (abs: string): Entry | undefined => {
    let e = entries.get(abs);
    if (e === undefined) {
      const found = inspect(root, abs);
      if (found.kind === "missing") return undefined;
      e = found.kind === "file" ? { abs, real: found.real, viaLink: found.viaLink } : { abs, problem: found.kind === "dir" ? notRegular("directory") : found.problem, viaLink: true };
      entries.set(abs, e);
    }
    return e;
  };

  const said = new Set<string>();
  /** A problem is met once per name or caller that reaches it: say it once. */
  const report = (d: Diagnostic) => {
    const key = JSON.stringify([d.file, d.line, d.message, d.note === true]);
    if (!said.has(key)) diagnostics.push(d);
    said.add(key);
  };
  const sameFile = (abs: string, first: string) => {
    if (abs !== first) report({ file: rel(abs), line: 1, message: `the same file as ${rel(first)} (through a symbolic link); read once, under that name`, note: true, kind: "link" });
  };
  const claimed = new Map<string, string>();
  /** True the first time a real file is taken for a purpose; another name for it is noted. */
  const claim = (purpose: string, abs: string): boolean => {
    const real = entryOf(abs)?.real;
    if (real === undefined) return true; // read() says why it cannot be read
    const first = claimed.get(`${purpose}\0${real}`);
    if (first === undefined) claimed.set(`${purpose}\0${real}`, abs);
    else sameFile(abs, first);
    return first === undefined;
  };

  const read = (abs: string): string | undefined => {
    const name = inRepo(abs);
    const fail = (p: Problem, file = rel(abs)) => {
      report({ file, line: 1, message: p.message, ...(p.note ? { note: true, kind: "unreadable-file" } : {}) });
      return undefined;
    };
    // Such a name would garble every report it is printed in.
    if (hasControl(name)) return fail({ message: "its name holds control characters; not read" }, quoted(rel(abs)));
    const e = entryOf(abs);
    if (e === undefined) return fail({ message: "cannot read: ENOENT" });
    if (e.problem || e.real === undefined) return fail(e.problem ?? { message: "cannot read" });
    const r = readBounded(e.real, MAX_BYTES);
    if ("problem" in r) return fail(r.problem);
    inlineSuppressions.push(...findInlineSuppressions(r.text, rel(abs)));
    return r.text;
  };

  /**
   * Reads files of one kind (`pipeline`, `workflow`) within one byte budget for all of them: past
   * it, a file is named in a diagnostic and not read (YAML of that size is an attack, not a config).
   */
  const budgetedReader = (kind: "pipeline" | "workflow") => {
    let bytes = 0;
    return (abs: string): string | undefined => {
      if (!claim(kind, abs)) return undefined;
      const text = read(abs);
      if (text === undefined) return undefined;
      bytes += text.length;
      if (bytes <= MAX_PIPELINE_BYTES) return text;
      report({ file: rel(abs), line: 1, message: `the repository's ${kind} YAML is more than ${MAX_PIPELINE_BYTES / 1024 / 1024} MiB in all; this file is not read` });
      return undefined;
    };
  };

  let globTests = 0;
  /** Repository files a glob matches (at most `limit`), or undefined when the matching budget is spent. */
  const matching = (pattern: string, limit: number): string[] | undefined => {
    const out: string[] = [];
    for (const name of names) {
      if (++globTests > MAX_GLOB_TESTS) return undefined;
      if (globMatch(pattern, name) && out.push(join(root, name)) >= limit) break;
    }
    return out;
  };

  /**
   * The files a script call or pipeline upload names (absolute), saying what it cannot follow: a
   * path that depends on what is not known is a gap in a pipeline, and in a script when some file
   * of the repository could be it (else a note); a file that is not there is a note (generated
   * during the build, or brought by a plugin).
   */
  const budget = { left: MAX_RESOLVE_SCAN };
  const follow = (call: Located & { path: string }, verb: "runs" | "uploads", scope: PathScope): string[] => {
    const say = (message: string, kind?: string) => report({ file: call.file, line: call.line, message, ...(kind ? { note: true, kind } : {}) });
    const t = resolveScriptPath(call.path, { ...scope, budget });
    if (t.kind === "outside") return [];
    if (t.kind === "control") {
      say(`${verb} ${shorten(quoted(t.text))}, a name with control characters: not read`);
      return [];
    }
    const written = shorten(call.path);
    const out: string[] = [];
    const missing: string[] = [];
    for (const p of t.paths) {
      const m = isGlob(p) ? matching(p, MAX_GLOB_FILES + 1) : entryOf(join(root, p)) ? [join(root, p)] : [];
      if (m === undefined || m.length > MAX_GLOB_FILES) say(`${verb} ${written}, a glob that matches too many files to follow: not read`);
      else if (m.length === 0) missing.push(p);
      else out.push(...m);
    }
    if (missing.length > 0) {
      const which = missing.length === 1 && posix.normalize(call.path) === missing[0] ? "" : ` (${shorten(missing.join(", "))})`;
      say(`${verb} ${written}${which}, which is not in the repository: not read`, "not-in-repository");
    }
    if (t.kind === "unresolved") {
      const what = `${verb} ${written}, whose path depends on ${listed(t.needs)}${t.onlyVariables ? `, not set in ${scope.pipeline ? "the pipeline" : "the script or by the step that runs it"}` : ""}`;
      const couldBe = scope.pipeline || t.patterns.some((p) => matching(p, 1)?.length !== 0);
      if (couldBe) say(`${what}: not read`);
      else say(`${what}; no file in the repository matches it: not read`, "not-in-repository");
    }
    return out;
  };

  /** Files a step uploads as a pipeline: read as pipelines whatever their name or shape. */
  const uploaded = new Set<string>();
  const upload = (up: Located & { path: string }, scope: PathScope): string[] => {
    if (up.path === "-") return []; // generated on the fly: nothing in the repository to read
    const files = up.path === "" ? DEFAULT_UPLOADS.map((p) => join(root, p)).filter((abs) => entryOf(abs) !== undefined).slice(0, 1) : follow(up, "uploads", scope);
    for (const f of files) uploaded.add(f);
    return files;
  };

  // Pipelines (and the pipelines they upload) first, then the scripts their steps run with the
  // step's env, then the scripts under .buildkite/ no step runs.
  const pipelineQueue = unlinkedFirst(files.filter((f) => isPipelinePath(inRepo(f))));
  const calledQueue: { abs: string; vars: Vars }[] = [];
  const walkedScripts = unlinkedFirst(files.filter((f) => /(^|\/)\.buildkite\/[^]*\.(sh|bash|ps1)$/i.test(inRepo(f))));
  const scriptFacts = new Map<string, { abs: string; facts: ShellFacts } | null>();
  const visits = new Map<string, Set<string>>();

  // Any YAML under .buildkite/ may be a pipeline a step uploads by a name we cannot see
  // (`pipeline upload .buildkite/deploy.yml` from a script of another repository, or by hand):
  // read those with a pipeline's shape, and name the others.
  const candidates = new Set(unlinkedFirst(files.filter((f) => !isPipelinePath(inRepo(f)) && /(^|\/)\.buildkite\/[^]*\.ya?ml$/.test(inRepo(f)))));
  const candidateQueue = [...candidates];

  const readPipelineText = budgetedReader("pipeline");
  const readPipelineFile = (abs: string) => {
    const text = readPipelineText(abs);
    if (text === undefined) return;
    // Uploaded by a step: a pipeline whatever its shape. Otherwise only when it has one.
    const candidate = candidates.has(abs) && !uploaded.has(abs);
    const { pipeline, diagnostics: d, notPipeline } = readPipeline(text, rel(abs), { candidate });
    if (notPipeline !== undefined) report({ file: rel(abs), line: 1, message: `not a Buildkite pipeline (${notPipeline}); not read`, note: true, kind: "not-a-pipeline" });
    diagnostics.push(...d);
    if (!pipeline) return;
    repo.pipelines.push(pipeline);
    for (const step of pipeline.steps) {
      // A step's commands run as one script; `$X` is replaced at upload, `$$X` when it runs.
      const shells = step.commands.map((c) => readStepCommand(c, pipeline.file));
      for (const r of shells) diagnostics.push(...r.diagnostics);
      const env = envVars(pipeline.env, step.env);
      const vars = withAssignments(env, shells.flatMap((r) => r.facts.assignments));
      const scope: PathScope = { pipeline: true, vars, uploadVars: env, ...(step.matrix ? { matrix: step.matrix } : {}) };
      for (const { facts } of shells) {
        for (const call of facts.scriptCalls) for (const abs of follow(call, "runs", scope)) calledQueue.push({ abs, vars });
        for (const up of facts.pipelineUploads) pipelineQueue.push(...upload(up, scope));
      }
    }
  };

  const envKeys = new WeakMap<Vars, string>();
  let visitWork = 0;
  const runScript = (abs: string, vars: Vars) => {
    const key = entryOf(abs)?.real ?? abs;
    const envKey = envKeys.get(vars) ?? JSON.stringify([...vars].sort(([a], [b]) => (a < b ? -1 : 1)));
    envKeys.set(vars, envKey);
    const seen = visits.get(key) ?? new Set<string>();
    if (seen.has(envKey)) return;
    visits.set(key, seen.add(envKey));
    let parsed = scriptFacts.get(key);
    if (parsed === undefined) {
      const text = read(abs);
      const powershell = text !== undefined && isPowerShellScript(inRepo(abs), text);
      const language = text === undefined || powershell ? undefined : interpreterOf(inRepo(abs), text);
      // Another language's commands are out of reach, like any program a step runs.
      if (language) report({ file: rel(abs), line: 1, message: `not a shell or PowerShell script (${language}); its commands are not read`, note: true, kind: "other-language" });
      const r = text === undefined || language ? undefined : powershell ? readPowerShell(text, rel(abs)) : readShell(text, rel(abs));
      parsed = r ? { abs, facts: r.facts } : null;
      if (r) {
        diagnostics.push(...r.diagnostics);
        repo.scripts.push({ file: rel(abs), ...r.facts });
      }
      scriptFacts.set(key, parsed);
    }
    if (parsed === null) return;
    sameFile(abs, parsed.abs);
    visitWork += 1 + vars.size + parsed.facts.assignments.length + parsed.facts.scriptCalls.length + parsed.facts.pipelineUploads.length;
    if (visitWork > MAX_VISIT_WORK) {
      report({ file: ".", line: 1, message: "scripts run in too many environments to follow; the calls of the rest were not followed" });
      return;
    }
    const own = withAssignments(vars, parsed.facts.assignments);
    const scope: PathScope = { vars: own, self: inRepo(parsed.abs) };
    for (const call of parsed.facts.scriptCalls) for (const target of follow(call, "runs", scope)) calledQueue.push({ abs: target, vars: own });
    for (const up of parsed.facts.pipelineUploads) pipelineQueue.push(...upload(up, scope));
  };

  for (;;) {
    const pipeline = pipelineQueue.shift();
    if (pipeline !== undefined) {
      readPipelineFile(pipeline);
      continue;
    }
    const called = calledQueue.shift();
    if (called !== undefined) {
      runScript(called.abs, called.vars);
      continue;
    }
    const script = walkedScripts.shift();
    if (script !== undefined) {
      if (!visits.has(entryOf(script)?.real ?? script)) runScript(script, new Map());
      continue;
    }
    // Last, so that one a step or script uploads is read as the pipeline it is.
    const candidate = candidateQueue.shift();
    if (candidate === undefined) break;
    readPipelineFile(candidate);
  }

  // Templates. Readers ask for the files a template refers to (local modules, parameter files)
  // through the host: inside the root only, each file read once however many templates use it.
  const hostCache = new Map<string, { text: string } | { problem: string } | undefined>();
  const filesIn = new Map<string, string[]>();
  for (const n of names) {
    const cut = n.lastIndexOf("/");
    const dir = cut < 0 ? "" : n.slice(0, cut);
    const list = filesIn.get(dir);
    if (list) list.push(n.slice(cut + 1));
    else filesIn.set(dir, [n.slice(cut + 1)]);
  }
  const host: TemplateHost = {
    read(path) {
      // Readers name files as they are reported (with the library's pathPrefix, if any).
      const name = posix.normalize(prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path);
      if (name === ".." || name.startsWith("../") || posix.isAbsolute(name)) return undefined;
      if (hostCache.has(name)) return hostCache.get(name);
      let got: { text: string } | { problem: string } | undefined;
      const e = entryOf(join(root, name));
      if (e === undefined) got = undefined;
      else if (hasControl(name)) got = { problem: "its name holds control characters; not read" };
      else if (e.problem || e.real === undefined) got = { problem: e.problem?.message ?? "cannot read" };
      else {
        const r = readBounded(e.real, MAX_BYTES);
        got = "problem" in r ? { problem: r.problem.message } : { text: r.text };
      }
      hostCache.set(name, got);
      return got;
    },
    list: (dir) => filesIn.get(prefix && `${dir}/`.startsWith(prefix) ? dir.slice(prefix.length) : dir) ?? [],
  };
  // A template reached under several names is read once.
  const templates = new Set(unlinkedFirst(files).filter((abs) => !/\.(bicep|json)$/.test(abs) || claim("template", abs)));
  for (const abs of files.filter((f) => templates.has(f))) {
    const path = rel(abs);
    if (path.endsWith(".bicep")) {
      const text = read(abs);
      if (text === undefined) continue;
      const { facts, diagnostics: d } = readBicep(text, path, host);
      diagnostics.push(...d);
      repo.templates.push({ file: path, kind: "bicep", ...facts });
    } else if (path.endsWith(".json") && !isPipelinePath(path) && !/(^|\/)(package(-lock)?|tsconfig[^/]*|composer|\.?eslintrc[^/]*)\.json$/.test(path)) {
      const text = read(abs);
      if (text === undefined || !looksLikeArmTemplate(text)) continue;
      const { facts, diagnostics: d } = readArmTemplate(text, path, host);
      diagnostics.push(...d);
      repo.templates.push({ file: path, kind: "arm", ...facts });
    }
  }

  // Terraform: every `.tf`/`.tfvars` file; the reader groups them into modules and evaluates each
  // root module (and each `-var-file` beside it), following local modules through the host.
  const tfFiles = unlinkedFirst(files).filter((abs) => TERRAFORM_FILE.test(abs) && claim("terraform", abs));
  if (tfFiles.length > 0 && !opts.hcl) {
    report({ file: rel(tfFiles[0]!), line: 1, message: `${tfFiles.length} Terraform file(s) not read: the HCL parser was not loaded (pass \`hcl\` from loadHclParser())` });
  } else if (tfFiles.length > 0 && opts.hcl) {
    const readable: string[] = [];
    let bytes = 0;
    for (const abs of tfFiles) {
      // Read here for inline suppressions and size limits (a file that cannot be read is reported
      // here, once); the reader gets the text from the cache.
      const text = read(abs);
      if (text === undefined) continue;
      // The parser holds ~250 bytes of memory per byte of HCL: bounded per file and in all.
      if (text.length > MAX_TERRAFORM_FILE_BYTES || bytes + text.length > MAX_TERRAFORM_BYTES) {
        const message = text.length > MAX_TERRAFORM_FILE_BYTES ? `not read: a Terraform file larger than ${MAX_TERRAFORM_FILE_BYTES} bytes` : `not read: the Terraform files of this repository exceed ${MAX_TERRAFORM_BYTES} bytes in all`;
        // Refused for a module call that reaches it too (the reader asks the host; the same words are said once).
        hostCache.set(inRepo(abs), { problem: message });
        report({ file: rel(abs), line: 1, message });
        continue;
      }
      bytes += text.length;
      hostCache.set(inRepo(abs), { text });
      readable.push(abs);
    }
    const terraform = readTerraform(readable.map(rel), host, opts.hcl);
    for (const d of terraform.diagnostics) report(d);
    repo.templates.push(...terraform.templates);
    if (terraform.models.length > 0) repo.terraform = terraform.models;
  }

  // GitHub Actions workflows: GitHub runs only the files directly under .github/workflows/.
  const workflows: GitHubWorkflowFile[] = [];
  const readWorkflowText = budgetedReader("workflow");
  for (const abs of unlinkedFirst(files.filter((f) => isWorkflowPath(inRepo(f))))) {
    const text = readWorkflowText(abs);
    if (text === undefined) continue;
    const { workflow, diagnostics: d, notWorkflow } = readWorkflow(text, rel(abs));
    if (notWorkflow !== undefined) report({ file: rel(abs), line: 1, message: `not a GitHub Actions workflow (${notWorkflow}); not read`, note: true, kind: "not-a-workflow" });
    diagnostics.push(...d);
    if (workflow) workflows.push(workflow);
    // Its login steps' shell facts sit with the scripts: client-secret-login reads run: steps as it reads scripts.
    if (workflow?.runFacts) repo.scripts.push({ ...workflow.runFacts, file: workflow.file });
  }
  if (workflows.length > 0) repo.githubWorkflows = workflows.sort((a, b) => (a.file < b.file ? -1 : 1));

  repo.pipelines.sort((a: PipelineFile, b: PipelineFile) => (a.file < b.file ? -1 : 1));
  repo.scripts.sort((a, b) => (a.file < b.file ? -1 : 1));
  repo.templates.sort((a, b) => (a.file < b.file ? -1 : 1));
  const remoteUrl = remoteOf(root, diagnostics, rel);
  return { repo, ...(remoteUrl ? { remoteUrl } : {}) };
}
