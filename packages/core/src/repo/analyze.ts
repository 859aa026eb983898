/**
 * Joins what the readers found: for every OIDC token request, the step and pipeline it runs in,
 * the audience and subject claim it will use (following environment-variable indirection through
 * script assignments, step env and pipeline env), and the identity it logs in as.
 */
import type { EnvEntry, Located, PipelineFile, PipelineStep, RepoInventory, ShellFacts, TokenRequest, ValueRef } from "../model/repo.ts";
import type { BuildkitePipeline } from "../model/inventory.ts";
import { emptyShellFacts } from "./script-facts.ts";
import { readStepCommand } from "./step-commands.ts";

/** Subject claims the agent accepts, and the default for the token-exchange audience. */
export const DEFAULT_SUBJECT_CLAIM = "pipeline_id";

export interface Resolved {
  value?: string;
  /** How the value was found, for evidence lines. */
  evidence: string;
}

export interface AzureTokenUse {
  request: TokenRequest;
  /** The pipeline file and step that run it; undefined for a script no step was seen to call. */
  pipeline?: PipelineFile;
  step?: PipelineStep;
  /** The script the request is in, when not inline in the step. */
  script?: string;
  audience: Resolved;
  /** The claim the token's subject will be (`pipeline_id`, `organization_id`, …), or unknown. */
  subjectClaim: Resolved;
  /** The client ID it logs in as, from AZURE_CLIENT_ID / ARM_CLIENT_ID or `az login -u`. */
  clientId: Resolved;
  /** What keeps untrusted builds from running the step; empty when nothing does. */
  guards: string[];
}

export interface RepoAnalysis {
  repo: RepoInventory;
  remoteUrl?: string;
  /**
   * `owner/repo` on GitHub as given by the user (`--github-repo`, `GITHUB_REPOSITORY`), spelled as
   * GitHub does; else workflows' subjects are computed from `remoteUrl`.
   */
  githubRepository?: string;
  tokenUses: AzureTokenUse[];
  /** Shell facts of each step's inline commands, keyed by `${file}:${step line}`. */
  inline: Map<string, ShellFacts>;
  /** The steps that run each script (by script path), for step context such as artifact_paths. */
  callers: Map<string, PipelineStep[]>;
}

type Layer = { name: string; value: string; where: string }[];

function envLayer(entries: EnvEntry[], what: string): Layer {
  return entries.map((e) => ({ name: e.name, value: e.value, where: `${what} env at ${e.file}:${e.line}${e.fromAnchor !== undefined ? ` (from the anchor at line ${e.fromAnchor})` : ""}` }));
}

function shellLayer(facts: ShellFacts, file: string, beforeLine: number): Layer {
  return facts.assignments
    .filter((a) => a.line <= beforeLine)
    .reverse()
    .map((a) => ({ name: a.name, value: a.value.literal ?? a.value.raw, where: `assignment at ${file}:${a.line}` }));
}

/** Looks a variable up through the layers (nearest first), following `$X` chains a few levels. */
function lookup(name: string, layers: Layer[], depth = 0): Resolved | undefined {
  for (const layer of layers) {
    const hit = layer.find((e) => e.name === name);
    if (!hit) continue;
    const ref = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}?$/.exec(hit.value.replace(/^\$\$/, "$").replace(/^["']|["']$/g, ""));
    if (ref && depth < 5) {
      const inner = lookup(ref[1]!, layers, depth + 1);
      if (inner?.value !== undefined) return { value: inner.value, evidence: `${name} = ${hit.value} (${hit.where}); ${inner.evidence}` };
      if (ref[2] !== undefined) return { value: ref[2], evidence: `${name} = ${hit.value} (${hit.where}), falling back to '${ref[2]}'` };
      return { evidence: `${name} = ${hit.value} (${hit.where}), which is not set in the repository` };
    }
    return { value: hit.value, evidence: `${name}=${hit.value} (${hit.where})` };
  }
  return undefined;
}

export function resolveValue(ref: ValueRef | undefined, layers: Layer[], what: string): Resolved | undefined {
  if (!ref) return undefined;
  if (ref.literal !== undefined) return { value: ref.literal, evidence: `${what} ${ref.literal}` };
  if (ref.variable) {
    const hit = lookup(ref.variable, layers);
    if (hit?.value !== undefined) return { value: hit.value, evidence: `${what} ${ref.raw}, where ${hit.evidence}` };
    if (ref.fallback !== undefined) return { value: ref.fallback, evidence: `${what} ${ref.raw}: ${ref.variable} is not set in the repository, so the default '${ref.fallback}' applies` };
    return { evidence: `${what} ${ref.raw}: ${ref.variable} is not set in the repository` };
  }
  return { evidence: `${what} ${ref.raw} (not evaluated)` };
}

/** Branch filters that let every branch through are no guard (`*`, or only negations). */
function restrictsBranches(branches: string[] | undefined): boolean {
  return (branches ?? []).some((b) => b !== "*" && !b.startsWith("!"));
}

/**
 * Conditions that keep pull-request builds out: a fixed branch or tag, no pull request, or a
 * build source. A condition that selects pull requests (`pull_request.id != null`) is no guard.
 */
function conditionGuards(expr: string | undefined): boolean {
  if (!expr) return false;
  return /build\.(branch|tag)\s*==|pull_request\.id\s*==\s*null|build\.source\s*==/.test(expr);
}

function guardsOf(pipeline: PipelineFile, step: PipelineStep): string[] {
  const guards: string[] = [];
  if (restrictsBranches(step.branches)) guards.push(`branches: ${step.branches!.join(" ")} (${step.file}:${step.line})`);
  if (conditionGuards(step.if)) guards.push(`if: ${step.if} (${step.file}:${step.line})`);
  // Only a block step stops later steps (an input step does not), and only when it runs for
  // pull-request builds too (no branch filter or condition of its own).
  const index = pipeline.steps.indexOf(step);
  const block = pipeline.steps.slice(0, index).find((s) => s.kind === "block" && !s.if && !restrictsBranches(s.branches));
  if (block) guards.push(`block step at ${block.file}:${block.line}`);
  return guards;
}

function use(request: TokenRequest, facts: ShellFacts, file: string, pipeline: PipelineFile | undefined, step: PipelineStep | undefined, script?: string): AzureTokenUse {
  const layers: Layer[] = [shellLayer(facts, file, request.line), envLayer(step?.env ?? [], "step"), envLayer(pipeline?.env ?? [], "pipeline")];
  const audience = resolveValue(request.audience, layers, "--audience") ?? { evidence: "no --audience: Buildkite's default audience https://buildkite.com/<org>" };
  let subjectClaim = resolveValue(request.subjectClaim, layers, "--subject-claim");
  if (!subjectClaim) {
    const env = lookup("BUILDKITE_OIDC_TOKEN_SUBJECT_CLAIM", layers);
    subjectClaim = env ?? { value: DEFAULT_SUBJECT_CLAIM, evidence: "no --subject-claim: the subject is the pipeline UUID (Buildkite's default for the token-exchange audience)" };
  }
  let clientId = lookup("AZURE_CLIENT_ID", layers) ?? lookup("ARM_CLIENT_ID", layers);
  if (!clientId) {
    const login = facts.azLogins.find((l) => l.method === "federated-token" && l.line >= request.line);
    const r = resolveValue(login?.username, layers, "az login -u");
    if (r?.value) clientId = r;
  }
  return {
    request,
    ...(pipeline ? { pipeline } : {}),
    ...(step ? { step } : {}),
    ...(script ? { script } : {}),
    audience,
    subjectClaim,
    clientId: clientId ?? { evidence: "no AZURE_CLIENT_ID or ARM_CLIENT_ID in the step or pipeline env" },
    guards: pipeline && step ? guardsOf(pipeline, step) : [],
  };
}

export interface AnalyzeRepoOptions {
  /** `owner/repo` on GitHub (see RepoAnalysis.githubRepository). */
  githubRepository?: string;
}

export function analyzeRepo(repo: RepoInventory, remoteUrl?: string, pathPrefix = "", opts: AnalyzeRepoOptions = {}): RepoAnalysis {
  const scripts = new Map(repo.scripts.map((s) => [s.file, s]));
  const inline = new Map<string, ShellFacts>();
  const tokenUses: AzureTokenUse[] = [];
  const calledScripts = new Set<string>();
  const callers = new Map<string, PipelineStep[]>();
  for (const pipeline of repo.pipelines) {
    for (const step of pipeline.steps) {
      // Inline commands are re-read here (pure and cheap) so facts stay tied to their step.
      const facts: ShellFacts = emptyShellFacts();
      for (const c of step.commands) {
        const f = readStepCommand(c, pipeline.file).facts;
        for (const k of Object.keys(facts) as (keyof ShellFacts)[]) (facts[k] as unknown[]).push(...(f[k] as unknown[]));
      }
      inline.set(`${pipeline.file}:${step.line}`, facts);
      for (const r of facts.tokenRequests) tokenUses.push(use(r, facts, pipeline.file, pipeline, step));
      // Follow the scripts the step runs (one level of calls is what pipelines do in practice;
      // the loader already read nested ones, which are analysed below without step context).
      for (const call of facts.scriptCalls) {
        const file = (pathPrefix ? `${pathPrefix.replace(/\/+$/, "")}/` : "") + call.path.replace(/^\.\//, "");
        const s = scripts.get(file);
        if (!s) continue;
        calledScripts.add(file);
        callers.set(file, [...(callers.get(file) ?? []), step]);
        for (const r of s.tokenRequests) tokenUses.push(use(r, s, s.file, pipeline, step, s.file));
      }
    }
  }
  for (const s of repo.scripts) {
    if (calledScripts.has(s.file)) continue;
    for (const r of s.tokenRequests) tokenUses.push(use(r, s, s.file, undefined, undefined, s.file));
  }
  const githubRepository = opts.githubRepository?.trim();
  return { repo, ...(remoteUrl ? { remoteUrl } : {}), ...(githubRepository ? { githubRepository } : {}), tokenUses, inline, callers };
}

/** `git@github.com:acme/x.git`, `https://github.com/acme/x` → `github.com/acme/x`. */
export function normalizeRepoUrl(url: string): string {
  return url
    .trim()
    .toLowerCase()
    .replace(/^[a-z+]+:\/\//, "")
    .replace(/^[^@/]+@/, "")
    .replace(/^([^/:]+):(?!\d)/, "$1/")
    .replace(/\.git$/, "")
    .replace(/\/+$/, "");
}

/** The Buildkite pipelines that build this repository (same remote URL). */
export function pipelinesForRepo(pipelines: BuildkitePipeline[], remoteUrl: string | undefined): BuildkitePipeline[] {
  if (!remoteUrl) return [];
  const want = normalizeRepoUrl(remoteUrl);
  return pipelines.filter((p) => p.repository && normalizeRepoUrl(p.repository.url) === want);
}

export function at(l: Located): string {
  return `${l.file}:${l.line}`;
}
