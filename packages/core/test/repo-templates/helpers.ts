import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { Diagnostic, TemplateFacts } from "../../src/model/repo.ts";
import { readArmTemplateWithStats } from "../../src/repo/templates/arm.ts";
import { readBicepWithStats } from "../../src/repo/templates/bicep.ts";
import type { TemplateHost } from "../../src/repo/templates/index.ts";

export const BICEP_FIXTURES = ["landing-zone.bicep", "graph-app.bicep", "advanced.bicep", "unknown-constructs.bicep"];
export const ARM_FIXTURES = ["landing-zone.json", "graph-app.json"];

export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

export type Kind = "arm" | "bicep";

export function read(kind: Kind, text: string, file = "infra/main"): { facts: TemplateFacts; diagnostics: Diagnostic[]; steps: number } {
  return kind === "arm" ? readArmTemplateWithStats(text, file) : readBicepWithStats(text, file);
}

/** Work allowed per input character in the property tests (the readers' hard budget is far higher). */
export const STEPS_PER_CHAR_BOUND = 100;

/**
 * The invariants every input must satisfy: no throw, bounded work, every line in 1..line count,
 * and no internal error or budget exhaustion.
 */
export function checkInvariants(kind: Kind, text: string): { facts: TemplateFacts; diagnostics: Diagnostic[]; steps: number } {
  const r = read(kind, text, "f");
  const lineCount = text.split("\n").length;
  expect(r.steps).toBeLessThanOrEqual(STEPS_PER_CHAR_BOUND * (text.length + 100));
  const lines = [
    ...r.diagnostics.map((d) => d.line),
    ...r.facts.roleAssignments.map((f) => f.line),
    ...r.facts.federatedCredentials.map((f) => f.line),
    ...r.facts.storageAccounts.map((f) => f.line),
  ];
  for (const line of lines) {
    expect(Number.isInteger(line)).toBe(true);
    expect(line).toBeGreaterThanOrEqual(1);
    expect(line).toBeLessThanOrEqual(lineCount);
  }
  for (const d of r.diagnostics) {
    expect(d.file).toBe("f");
    expect(d.message).not.toMatch(/internal error|too complex/);
  }
  return r;
}

/** Facts without the file, for compact expectations. */
export function withoutFile<T extends { file: string }>(facts: T[]): Omit<T, "file">[] {
  return facts.map(({ file: _file, ...rest }) => rest);
}

/** Diagnostics as `line: message` strings. */
export function diagLines(diagnostics: Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.line}: ${d.message}`);
}

/** A host over a directory on disk (what the loader gives the reader, in miniature). */
export function dirHost(root: string): TemplateHost {
  return {
    read: (path) => (existsSync(join(root, path)) && statSync(join(root, path)).isFile() ? { text: readFileSync(join(root, path), "utf8") } : undefined),
    list: (dir) => {
      try {
        return readdirSync(join(root, dir)).filter((n) => statSync(join(root, dir, n)).isFile());
      } catch {
        return [];
      }
    },
  };
}
