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
  return {
    facts: {
      tokenRequests: tidy(facts.tokenRequests),
      azLogins: tidy(facts.azLogins),
      clientSecretUses: tidy(facts.clientSecretUses),
      tokenSinks: tidy(facts.tokenSinks),
      roleAssignments: tidy(facts.roleAssignments),
      assignments: tidy(facts.assignments),
      scriptCalls: tidy(facts.scriptCalls),
      pipelineUploads: tidy(facts.pipelineUploads),
      uploadInterpolations: tidy(facts.uploadInterpolations),
    },
    diagnostics: tidy(diagnostics),
  };
}
