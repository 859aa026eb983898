import { readFileSync } from "node:fs";
import type { Diagnostic, ShellFacts } from "../../src/model/repo.ts";
import { readShell, type ReadShellOptions } from "../../src/repo/shell/read-shell.ts";

export const FIXTURES = ["az-login-oidc.sh", "az-login-oidc-subject-flag.sh", "legacy-client-secret.sh", "share-token.sh", "grant-owner.sh", "noise.sh"] as const;

export function fixture(name: (typeof FIXTURES)[number]): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

/** Reads `text` as file `f.sh` and returns facts and diagnostics without the `file` field. */
export function read(text: string, opts?: ReadShellOptions): { facts: ShellFacts; diagnostics: Diagnostic[] } {
  return readShell(text, "f.sh", opts);
}

/** Every line a result mentions: facts and diagnostics. */
export function allLines(r: { facts: ShellFacts; diagnostics: Diagnostic[] }): number[] {
  const f = r.facts;
  return [
    ...f.tokenRequests,
    ...f.azLogins,
    ...f.clientSecretUses,
    ...f.tokenSinks,
    ...f.roleAssignments,
    ...f.assignments,
    ...f.scriptCalls,
    ...f.pipelineUploads,
    ...f.uploadInterpolations,
    ...r.diagnostics,
  ].map((x) => x.line);
}

export function lineCount(text: string): number {
  return text.split("\n").length;
}
