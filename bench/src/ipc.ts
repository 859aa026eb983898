/** Messages between bench.ts and its child processes, and helpers to run a child. */
import { fork, type ChildProcess } from "node:child_process";
import type { ActivityOptions, TenantSize } from "./generate.ts";

export const NO_REQUESTS: RequestCounts = { buildkite: 0, graph: 0, graphInner: 0, arm: 0, activity: 0, github: 0, foreign: 0, failed: 0 };

export function addCounts(a: RequestCounts, b: RequestCounts): RequestCounts {
  return { buildkite: a.buildkite + b.buildkite, graph: a.graph + b.graph, graphInner: a.graphInner + b.graphInner, arm: a.arm + b.arm, activity: a.activity + b.activity, github: a.github + b.github, foreign: a.foreign + b.foreign, failed: a.failed + b.failed };
}

export interface RequestCounts {
  buildkite: number;
  graph: number;
  /** GitHub REST requests (repositories, environments, subject templates). */
  github: number;
  /** Requests inside Graph $batch bodies (Graph throttles each one). */
  graphInner: number;
  /** ARM requests that list a subscription's Activity Log (counted apart from `arm`). */
  arm: number;
  activity: number;
  foreign: number;
  failed: number;
}

/** The Terraform part of the repository-reading figures. */
export interface TerraformRead {
  files: number;
  roots: number;
  /** Configurations evaluated: one per root module and one per `-var-file` variant. */
  configurations: number;
  /** Objects the configurations declare (pipelines, applications, identities, role assignments, …), summed over configurations. */
  declared: number;
  /** Role assignments, federated credentials and storage accounts in the Terraform files' template facts. */
  facts: number;
  notes: number;
  gaps: number;
  /** Median time to read the Terraform part alone (its directory as the repository). */
  medianMs: number;
}

export type ChildRequest =
  | { kind: "start"; size: TenantSize; seed: number; activity: ActivityOptions; latencyMs: number; tls: { key: string; cert: string } }
  | { kind: "counts" }
  | { kind: "close" }
  | { kind: "evaluate"; size: TenantSize; seed: number; activity: ActivityOptions; factor: number }
  | { kind: "read-repo"; files: number; terraformRoots: number; runs: number };

export type ChildReply =
  | { kind: "started"; buildkiteGraphqlUrl: string; graphUrl: string; armUrl: string; githubApiUrl: string; caPem: string; tokens: { buildkite: string; graph: string; arm: string; github: string } }
  | { kind: "counts"; counts: RequestCounts; /** CPU time the process has used so far (user + system). */ cpuMs: number }
  | { kind: "evaluated"; factor: number; roleAssignments: number; evaluationMs: number; heapBeforeMb: number; heapAfterMb: number; peakRssMb: number; findings: number; missed: string[] }
  | { kind: "read-repo"; files: number; medianMs: number; gaps: number; notes: number; facts: number; peakRssMb: number; hclLoadMs: number; terraform: TerraformRead }
  | { kind: "error"; message: string };

/** Forks a TypeScript module of this package under tsx. */
export function forkTs(module: string, env: Record<string, string> = {}): ChildProcess {
  // BENCH_CPU_PROF=dir writes a CPU profile of each child there (node --cpu-prof), for finding hot spots.
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  return fork(new URL(module, import.meta.url), { execArgv: ["--conditions=@trustscope/source", "--import", "tsx", ...profile], env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

/** Sends a request and waits for the next reply of the given kind (an error reply rejects). */
export function ask<K extends ChildReply["kind"]>(child: ChildProcess, request: ChildRequest, kind: K): Promise<Extract<ChildReply, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: ChildReply) => {
      if (m.kind === "error") {
        cleanup();
        reject(new Error(m.message));
      } else if (m.kind === kind) {
        cleanup();
        resolve(m as Extract<ChildReply, { kind: K }>);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child process exited (${code ?? "signal"}) before answering '${request.kind}'`));
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
    child.send(request);
  });
}
