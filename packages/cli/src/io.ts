/** The edges of the CLI: files, stdout/stderr, terminal detection. */
import { readFileSync, writeFileSync } from "node:fs";
import { UsageError } from "@trustscope/core";

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

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read ${what}${code === "ENOENT" ? ": no such file" : code ? ` (${code})` : ""}`);
  }
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
