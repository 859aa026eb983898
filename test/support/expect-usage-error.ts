import { expect } from "vitest";
import type { CliResult } from "./cli.ts";

/** A usage error: exit 2, nothing on stdout, one line on stderr matching `pattern`, no stack trace. */
export function expectUsageError(r: CliResult, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
