/** Runs the real `trustscope` executable as a user would, capturing everything it prints. */
// (NODE_EXTRA_CA_CERTS is dropped: a machine-wide setting that costs every Node start ~80 ms to
// parse the certificate bundle, and no test reaches a server outside the loopback emulator.)
import { spawn, spawnSync } from "node:child_process";
import { CLI_BIN, REPO_ROOT } from "./paths.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function trustscope(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI_BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, BUILDKITE: undefined, NODE_EXTRA_CA_CERTS: undefined, ...opts.env },
    input: opts.input ?? "",
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking the event loop (needed when the test process serves the emulator). */
export function trustscopeAsync(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, BUILDKITE: undefined, NODE_EXTRA_CA_CERTS: undefined, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}
