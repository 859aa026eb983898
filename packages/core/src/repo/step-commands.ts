/**
 * Reads what a pipeline step's command runs, in its own language: PowerShell when the command
 * starts PowerShell (`pwsh -File deploy.ps1`, `powershell -Command "…"`, as Windows steps do),
 * else the shell reader with the pipeline's `$$` escapes. The loader and the analysis both read
 * commands through here, so they see the same facts.
 */
import type { Diagnostic, Located, ShellFacts } from "../model/repo.ts";
import { readPowerShell } from "./powershell/read-powershell.ts";
import { mapFacts } from "./script-facts.ts";
import { readShell } from "./shell/read-shell.ts";

const POWERSHELL = /^\s*(?:&\s*)?["']?(?:[^\s"']*[\\/])?(?:pwsh|powershell)(?:\.exe)?["']?(?:\s|$)/i;

/** Whether a step command is a PowerShell command line. */
export function runsPowerShell(command: string): boolean {
  return POWERSHELL.test(command);
}

export function readStepCommand(c: Located & { text: string; fromAnchor?: number }, file: string): { facts: ShellFacts; diagnostics: Diagnostic[] } {
  // `pipeline upload` turns `$$` into `$` before the agent runs the command; PowerShell sees that.
  const read = runsPowerShell(c.text) ? readPowerShell(c.text.replace(/\$\$/g, "$"), file, { firstLine: c.line }) : readShell(c.text, file, { firstLine: c.line, pipelineEscapes: true });
  if (c.fromAnchor === undefined) return read;
  // A command copied from an anchor is used at one line: everything in it is reported there (the
  // lines after the use belong to other keys).
  const at = <T extends Located>(xs: T[]): T[] => xs.map((x) => ({ ...x, line: c.line }));
  return {
    facts: mapFacts(read.facts, at),
    diagnostics: read.diagnostics.map((d) => ({ ...d, line: c.line, message: `${d.message} (in the value of the anchor at line ${c.fromAnchor})` })),
  };
}

/** Whether a script file is PowerShell: a `.ps1` name or a `pwsh`/`powershell` `#!` line. */
export function isPowerShellScript(path: string, text: string): boolean {
  return /\.ps1$/i.test(path) || /^#!\s*\S*(?:pwsh|powershell)(?:\.exe)?\b/i.test(text) || /^#!\s*\S*\benv\s+(?:-\S+\s+)*(?:pwsh|powershell)\b/i.test(text);
}
