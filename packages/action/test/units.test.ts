/** The action's small pieces, from source: argument splitting, runner file formats, asset inlining. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "@trustscope/core";
import { inlineAssets } from "../scripts/build.ts";
import { inputVariable, readInputs, splitArgs } from "../src/inputs.ts";
import { commitTarget, outputEntry, workflowCommand } from "../src/runner.ts";
import { fitLines } from "../src/check-run.ts";

describe("splitArgs", () => {
  it("splits on whitespace and newlines", () => {
    expect(splitArgs("  --tenant t1\n --subscription  a\t--subscription b ")).toEqual(["--tenant", "t1", "--subscription", "a", "--subscription", "b"]);
    expect(splitArgs("")).toEqual([]);
  });
  it("keeps quoted words together, with simple escapes", () => {
    expect(splitArgs(`--subscription 'Contoso Prod' --x "a \\"b\\" c" ''`)).toEqual(["--subscription", "Contoso Prod", "--x", 'a "b" c', ""]);
    expect(splitArgs(`a\\ b "c\\d" 'e\\f'`)).toEqual(["a b", "c\\d", "e\\f"]);
    expect(splitArgs(`--x=pre"quoted part"post`)).toEqual(["--x=prequoted partpost"]);
  });
  it("rejects an unterminated quote as a usage error", () => {
    expect(() => splitArgs(`--x 'open`)).toThrow(UsageError);
    expect(() => splitArgs(`--x "open`)).toThrow(/unterminated double quote/);
  });
});

describe("inputs", () => {
  it("are read from INPUT_<NAME> with hyphens kept, with the action.yml defaults", () => {
    expect(inputVariable("fail-on")).toBe("INPUT_FAIL-ON");
    expect(inputVariable("check name")).toBe("INPUT_CHECK_NAME");
    expect(readInputs({})).toEqual({ args: [], repo: ".", config: undefined, failOn: "high", sarifFile: "trustscope.sarif", token: undefined, checkName: "trustscope" });
    expect(readInputs({ "INPUT_FAIL-ON": " never ", INPUT_ARGS: "--demo", "INPUT_GITHUB-TOKEN": "t", INPUT_CONFIG: "" })).toMatchObject({ failOn: "never", args: ["--demo"], token: "t", config: undefined });
  });
});

describe("runner formats", () => {
  it("escapes workflow command data and properties", () => {
    expect(workflowCommand("error", "50% done\nnext", { title: "a:b,c", file: "x.yml", line: 3 })).toBe("::error title=a%3Ab%2Cc,file=x.yml,line=3::50%25 done%0Anext\n");
    expect(workflowCommand("warning", "plain")).toBe("::warning::plain\n");
  });
  it("writes single-line outputs as name=value and multi-line ones as heredocs", () => {
    expect(outputEntry("findings", "3")).toBe("findings=3\n");
    expect(outputEntry("text", "a\nb")).toMatch(/^text<<(ghadelimiter_[0-9a-f-]+)\na\nb\n\1\n$/);
  });
  it("takes the head SHA of a pull request event, else GITHUB_SHA", () => {
    const dir = mkdtempSync(join(tmpdir(), "trustscope-event-"));
    try {
      const event = join(dir, "event.json");
      writeFileSync(event, JSON.stringify({ pull_request: { head: { sha: "a".repeat(40) } } }));
      expect(commitTarget({ GITHUB_REPOSITORY: "o/r", GITHUB_SHA: "b".repeat(40), GITHUB_EVENT_PATH: event })).toEqual({ owner: "o", repo: "r", headSha: "a".repeat(40), shaSource: "pull_request.head.sha" });
      writeFileSync(event, JSON.stringify({ ref: "refs/heads/main" }));
      expect(commitTarget({ GITHUB_REPOSITORY: "o/r", GITHUB_SHA: "b".repeat(40), GITHUB_EVENT_PATH: event })?.headSha).toBe("b".repeat(40));
      expect(commitTarget({ GITHUB_SHA: "b".repeat(40) })).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("fits long text under a limit by dropping whole lines, with a note", () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} ${"x".repeat(90)}`);
    const out = fitLines(lines, 10_000, (n) => `(${n} more)`);
    expect(out.length).toBeLessThanOrEqual(10_000);
    expect(out).toMatch(/\(\d+ more\)$/);
    expect(fitLines(["a", "b"], 10, () => "x")).toBe("a\nb");
  });
});

describe("inlineAssets (the bundler's asset plugin)", () => {
  it("inlines literal-URL reads and rebases path constants onto the bundle's location", () => {
    const root = mkdtempSync(join(tmpdir(), "trustscope-inline-"));
    try {
      mkdirSync(join(root, "pkg", "src"), { recursive: true });
      mkdirSync(join(root, "pkg", "data"));
      mkdirSync(join(root, "action", "dist"), { recursive: true });
      writeFileSync(join(root, "pkg", "src", "schema.graphql"), "type Query { a: Int }\n");
      writeFileSync(join(root, "pkg", "data", "org.json"), '{"x": "y"}\n');
      const file = join(root, "pkg", "src", "mod.ts");
      const source = [
        `const sdl = readFileSync(new URL("./schema.graphql", import.meta.url), "utf8");`,
        `export const ORG = fileURLToPath(new URL('../data/org.json', import.meta.url));`,
        `const text = readFileSync(ORG, "utf8");`,
        `const other = new URL("../data/", import.meta.url);`,
      ].join("\n");
      const out = inlineAssets(source, file, join(root, "action", "dist", "index.js"));
      expect(out.contents.split("\n")).toEqual([
        `const sdl = ${JSON.stringify("type Query { a: Int }\n")};`,
        `export const ORG = fileURLToPath(new URL('../../pkg/data/org.json', import.meta.url));`,
        `const text = ${JSON.stringify('{"x": "y"}\n')};`,
        `const other = new URL("../../pkg/data/", import.meta.url);`,
      ]);
      expect(out.warnings).toEqual([]);
      expect(() => inlineAssets(`readFileSync(new URL("./missing.txt", import.meta.url), "utf8")`, file)).toThrow(/missing\.txt/);
      expect(inlineAssets(`const here = import.meta.url;`, file).warnings).toHaveLength(1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("handles the workspace's real asset reads", () => {
    const sources = ["../../emulator/src/buildkite.ts", "../../cli/src/sources.ts"].map((p) => new URL(p, import.meta.url).pathname);
    for (const file of sources) {
      const out = inlineAssets(readFileSync(file, "utf8"), file);
      expect(out.assets.length, file).toBe(1);
      expect(out.warnings).toEqual([]);
      expect(out.contents).not.toMatch(/readFileSync\(\s*(new URL|DEMO_SCENARIO)/);
    }
  });
});
