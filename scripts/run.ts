/**
 * Runs a command to its end without blocking the event loop, capturing what it prints: the
 * workspace's scripts (pack-install.ts) and the tests that spawn a CLI (test/support/cli.ts).
 */
import { spawn } from "node:child_process";

export interface RunResult {
  /** The exit code; -1 when the process was killed by a signal (as a timeout kills it). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the process (SIGKILL) after this long; without it, wait however long it takes. */
  timeoutMs?: number;
}

/** `cmd args` with stdin closed; rejects only when it cannot be started. */
export function run(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}
