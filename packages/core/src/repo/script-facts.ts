/**
 * What every script reader (shell, PowerShell) does with what it found: facts with a line inside
 * the text read, each fact once, in line order. One place, so both readers hand the loader the
 * same shape.
 */
import type { Diagnostic, Located, ShellFacts } from "../model/repo.ts";

export function emptyShellFacts(): ShellFacts {
  return { tokenRequests: [], azLogins: [], clientSecretUses: [], tokenSinks: [], roleAssignments: [], assignments: [], scriptCalls: [], pipelineUploads: [], uploadInterpolations: [] };
}

/** The last line of a text that starts at `firstLine`. */
export function lastLineOf(text: string, firstLine: number): number {
  let lines = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
  return firstLine + lines - 1;
}

/** The same facts with `fn` applied to each list (the lists of `ShellFacts`, named once here). */
export function mapFacts(facts: ShellFacts, fn: <T extends Located>(xs: T[]) => T[]): ShellFacts {
  return {
    tokenRequests: fn(facts.tokenRequests),
    azLogins: fn(facts.azLogins),
    clientSecretUses: fn(facts.clientSecretUses),
    tokenSinks: fn(facts.tokenSinks),
    roleAssignments: fn(facts.roleAssignments),
    assignments: fn(facts.assignments),
    scriptCalls: fn(facts.scriptCalls),
    pipelineUploads: fn(facts.pipelineUploads),
    uploadInterpolations: fn(facts.uploadInterpolations),
  };
}

/** Facts and diagnostics with lines clamped into [firstLine, lastLine], duplicates dropped, sorted by line. */
export function tidyFacts(facts: ShellFacts, diagnostics: Diagnostic[], firstLine: number, lastLine: number): { facts: ShellFacts; diagnostics: Diagnostic[] } {
  const tidy = <T extends Located>(xs: T[]): T[] => {
    const seen = new Set<string>();
    const out: T[] = [];
    for (const x of xs) {
      if (!(x.line >= firstLine && x.line <= lastLine)) x.line = Math.min(Math.max(Number.isFinite(x.line) ? x.line : firstLine, firstLine), lastLine);
      const key = JSON.stringify(x);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(x);
    }
    return out.sort((a, b) => a.line - b.line);
  };
  return { facts: mapFacts(facts, tidy), diagnostics: tidy(diagnostics) };
}
