/**
 * The committed bundle is what GitHub runs: it must be exactly what the build makes from the
 * sources today, and it must need nothing but Node's built-in modules.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildAction } from "../scripts/build.ts";
import { BUNDLE } from "./support.ts";

describe("dist/index.js", () => {
  it("is up to date: a fresh build makes the same bytes (run `pnpm --filter @trustscope/action build` and commit)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trustscope-action-build-"));
    try {
      const { outfile } = await buildAction(join(dir, "index.js"));
      const fresh = readFileSync(outfile);
      const committed = readFileSync(BUNDLE);
      expect(fresh.length, "bundle size differs: rebuild dist").toBe(committed.length);
      expect(fresh.equals(committed), "bundle bytes differ: rebuild dist").toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("imports and requires only Node's built-in modules", () => {
    const text = readFileSync(BUNDLE, "utf8");
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const specifiers = new Set<string>();
    for (const m of text.matchAll(/^import\s[^;]*?\sfrom\s+"([^"]+)";?$/gm)) specifiers.add(m[1]!);
    for (const m of text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)) specifiers.add(m[1]!);
    for (const m of text.matchAll(/\b__require\d*\(\s*"([^"]+)"\s*\)/g)) specifiers.add(m[1]!);
    // `debug` probes for supports-color inside a try block; its absence is expected.
    const foreign = [...specifiers].filter((s) => !builtins.has(s) && s !== "supports-color");
    expect(foreign).toEqual([]);
    expect(specifiers.size).toBeGreaterThan(5);
  });
});
