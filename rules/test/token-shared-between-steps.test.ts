import { describe, expect, it } from "vitest";
import { globRe } from "../src/rules/token-shared-between-steps.ts";

describe("artifact_paths globs", () => {
  it.each([
    ["tmp/*.jwt", "tmp/azure.jwt", true],
    ["tmp/*.jwt", "tmp/sub/azure.jwt", false],
    ["tmp/**/*.jwt", "tmp/azure.jwt", true],
    ["tmp/**/*.jwt", "tmp/a/b/azure.jwt", true],
    ["**/*", "anything/at/all", true],
    ["token.???", "token.jwt", true],
    ["token.???", "token.json", false],
    ["./out/token", "out/token", true],
    ["a.b", "axb", false],
  ])("%s matches %s: %s", (glob, path, expected) => {
    expect(globRe(glob).test(path)).toBe(expected);
  });
});
