/** The edges of the CLI: files, stdout/stderr, terminal detection. */
import { writeFileSync } from "node:fs";
import { readBounded, UsageError } from "@trustscope/core";

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdoutIsTTY: Boolean(process.stdout.isTTY),
  stderrIsTTY: Boolean(process.stderr.isTTY),
  env: process.env,
  cwd: process.cwd(),
};

/**
 * The largest file given on the command line that is read (snapshot, baseline, policy): far above
 * a large tenant's snapshot, far below what would exhaust memory.
 */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/**
 * A file named by the user or found in the working directory (trustscope.yaml, which a pull
 * request controls): a regular file only, never a FIFO or device, read up to MAX_INPUT_BYTES.
 */
export function readText(path: string, what: string): string {
  const r = readBounded(path, MAX_INPUT_BYTES, { followLinks: true });
  if ("text" in r) return r.text;
  const why = r.problem.message.replace(/; not read$/, "");
  throw new UsageError(`${path}: cannot read ${what}: ${why === "cannot read: ENOENT" ? "no such file" : why.replace(/^cannot read: (\S+)$/, "$1")}`);
}

export function writeText(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new UsageError(`${path}: cannot write the report (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** Colour on a terminal unless NO_COLOR is set (https://no-color.org), or FORCE_COLOR asks. */
export function useColor(io: Io, isTTY: boolean): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "") return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== "0") return true;
  return isTTY && io.env.TERM !== "dumb";
}
