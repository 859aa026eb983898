/**
 * HCP Terraform (Terraform Cloud) and Terraform Enterprise workload-identity subjects:
 * `organization:O:project:P:workspace:W:run_phase:plan|apply` for a workspace run (the project is
 * `Default Project` unless moved; names hold letters, digits, `-`, `_`, and spaces in project
 * names, never `:`), and `organization:O:project:P:stack:S:deployment:D:operation:plan|apply` for
 * a Stack deployment. The form without `project:` predates projects (2023); HCP Terraform no
 * longer issues it (HashiCorp support article 13138701895699, "Updating Workload Identity for Projects").
 */
import { keywordCaseProblem, literalWildcardProblem } from "./platform.ts";
import type { TerraformCloudSubject } from "./types.ts";

export interface TerraformCloudSubjectReading {
  subject?: TerraformCloudSubject;
  problem?: string;
  /** The subject is the form without `project:`, which only Terraform Enterprise from before projects issues. */
  legacy?: boolean;
}

const WORKSPACE_KEYS = ["organization", "project", "workspace", "run_phase"];
const LEGACY_KEYS = ["organization", "workspace", "run_phase"];
const STACK_KEYS = ["organization", "project", "stack", "deployment", "operation"];
const PHASES = new Set(["plan", "apply"]);

export function readTerraformCloudSubject(subject: string): TerraformCloudSubjectReading {
  const segs = subject.split(":");
  const keys = segs.filter((_, i) => i % 2 === 0);
  const lower = keys.map((k) => k.toLowerCase());
  const shape = [WORKSPACE_KEYS, STACK_KEYS, LEGACY_KEYS].find((s) => s.length === lower.length && s.every((k, i) => lower[i] === k));
  if (!shape || segs.length !== shape.length * 2) {
    if (lower[0] !== "organization") return { problem: "the subject does not start with organization:, as every Terraform Cloud subject does" };
    return { problem: "the subject is not organization:O:project:P:workspace:W:run_phase:PHASE (nor a Stack's …:stack:S:deployment:D:operation:PHASE): matches no token" };
  }
  const v: Record<string, string> = {};
  shape.forEach((k, i) => (v[k] = segs[i * 2 + 1]!));
  let problem: string | undefined;
  const note = (p: string | undefined) => {
    problem ??= p;
  };
  keys.forEach((k, i) => k !== lower[i] && note(keywordCaseProblem(k, lower[i]!)));
  const phaseKey = shape === STACK_KEYS ? "operation" : "run_phase";
  const phase = v[phaseKey]!;
  note(literalWildcardProblem(subject));
  if (Object.values(v).some((x) => x === "")) note("the subject has an empty part: matches no token");
  if (!PHASES.has(phase)) note(PHASES.has(phase.toLowerCase()) ? keywordCaseProblem(phase, phase.toLowerCase()) : `${phaseKey} '${phase}' is not one Terraform Cloud issues (plan or apply): matches no token`);
  const out: TerraformCloudSubject = {
    organization: v.organization!,
    ...(v.project !== undefined ? { project: v.project } : {}),
    ...(v.workspace !== undefined ? { workspace: v.workspace } : {}),
    ...(v.stack !== undefined ? { stack: v.stack } : {}),
    ...(v.deployment !== undefined ? { deployment: v.deployment } : {}),
    runPhase: phase,
  };
  return { subject: out, ...(problem !== undefined ? { problem } : {}), ...(shape === LEGACY_KEYS ? { legacy: true } : {}) };
}

export function parseTerraformCloudSubject(subject: string): TerraformCloudSubject | undefined {
  return readTerraformCloudSubject(subject).subject;
}

export function terraformCloudWorkload(s: TerraformCloudSubject): string {
  const place = s.stack !== undefined ? [s.stack, s.deployment ?? ""] : [s.workspace ?? ""];
  return [s.organization, ...(s.project !== undefined ? [s.project] : []), ...place].join("/");
}

export function describeTerraformCloudSubject(s: TerraformCloudSubject): string {
  const project = s.project !== undefined ? ` project '${s.project}' of` : "";
  const phase = s.runPhase !== undefined ? `${s.runPhase} runs` : "runs";
  return s.stack !== undefined
    ? `${phase} of deployment '${s.deployment ?? ""}' of Stack '${s.stack}' in${project} Terraform Cloud organisation '${s.organization}'`
    : `${phase} of workspace '${s.workspace ?? ""}' in${project} Terraform Cloud organisation '${s.organization}'`;
}
