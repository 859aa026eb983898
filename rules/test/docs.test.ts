import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { builtinRules, engineRules } from "../src/index.ts";
import { embeddedDocsSource } from "../scripts/embed-docs.ts";

describe("rule documentation", () => {
  it("docs.generated.ts is current (run `pnpm --filter @trustscope/rules docs:embed`)", () => {
    expect(readFileSync(new URL("../src/docs.generated.ts", import.meta.url), "utf8")).toBe(embeddedDocsSource());
  });

  it("every rule has documentation with its title, a failing and a passing example", () => {
    for (const meta of [...builtinRules.map((r) => r.meta), ...engineRules]) {
      expect(meta.docs, meta.id).toContain(`# \`${meta.id}\``);
      expect(meta.docs, meta.id).toMatch(/## Failing example/);
      expect(meta.docs, meta.id).toMatch(/## Passing example/);
    }
  });

  it("rule ids are unique and kebab-case", () => {
    const ids = [...builtinRules.map((r) => r.meta.id), ...engineRules.map((m) => m.id)];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });
});
