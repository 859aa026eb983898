/** Runs the real `trustscope` executable as a user would, capturing everything it prints. */
import { spawnSync } from "node:child_process";
import { run, type RunResult } from "../../scripts/run.ts";
import { CLI_BIN, REPO_ROOT } from "./paths.ts";

export type CliResult = RunResult;
type Env = Record<string, string | undefined>;

/**
 * The environment a CLI runs with in the tests: no colour, not inside a Buildkite job, and no
 * NODE_EXTRA_CA_CERTS (a machine-wide setting that costs every Node start ~80 ms to parse the
 * certificate bundle, and no test reaches a server outside the loopback emulator).
 */
export function cliEnv(env: Env = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, BUILDKITE: undefined, NODE_EXTRA_CA_CERTS: undefined, ...env };
}

/** Any command as the tests run a CLI: {@link cliEnv}, empty stdin, and a time limit. */
export function runCli(cmd: string, args: string[], opts: { cwd?: string; env?: Env; input?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: cliEnv(opts.env),
    input: opts.input ?? "",
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function trustscope(args: string[], opts: { cwd?: string; env?: Env; input?: string } = {}): CliResult {
  return runCli(process.execPath, [CLI_BIN, ...args], opts);
}

/** The same, without blocking the event loop (needed when the test process serves the emulator). */
export function trustscopeAsync(args: string[], opts: { cwd?: string; env?: Env } = {}): Promise<CliResult> {
  return run(process.execPath, [CLI_BIN, ...args], { cwd: opts.cwd ?? REPO_ROOT, env: cliEnv(opts.env), timeoutMs: 90_000 });
}
