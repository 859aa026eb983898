/**
 * The README's CI examples: every ```yaml block that is a Buildkite pipeline (a top-level `steps`
 * key) must be a complete pipeline that Buildkite's published JSON Schema accepts, and must run
 * the published CLI at the packages' version, as the README's install instructions do.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import AjvModule from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, SHARED } from "../support/paths.ts";

// ajv is CommonJS: its class is the module and also its `default`.
const Ajv = (AjvModule as unknown as { default: typeof AjvModule.default }).default;
type AjvInstance = InstanceType<typeof Ajv>;
const addFormats = addFormatsModule as unknown as (ajv: AjvInstance) => AjvInstance;

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "packages/cli/package.json"), "utf8")) as { version: string }).version;

interface Block {
  line: number;
  text: string;
}

/** Fenced ```yaml blocks with the line their content starts on. */
function yamlBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    blocks.push({ line: start + 1, text: lines.slice(start, end).join("\n") });
    i = end;
  }
  return blocks;
}

const isPipeline = (doc: unknown): doc is Record<string, unknown> =>
  typeof doc === "object" && doc !== null && !Array.isArray(doc) && "steps" in doc;

describe("README", () => {
  const pipelines = yamlBlocks(README)
    .map((b) => ({ ...b, doc: parse(b.text) as unknown }))
    .filter((b) => isPipeline(b.doc));

  it("shows at least two complete Buildkite pipelines", () => {
    expect(pipelines.length).toBeGreaterThanOrEqual(2);
  });

  const validator = () => {
    const schema = JSON.parse(readFileSync(join(SHARED, "schemas/buildkite-pipeline-schema.json"), "utf8")) as object;
    const ajv = new Ajv({ strict: false });
    addFormats(ajv); // the schema uses `format: regex`
    return ajv.compile(schema);
  };

  it("has only Buildkite pipelines the pipeline schema accepts", () => {
    const validate = validator();
    for (const p of pipelines) {
      const ok = validate(p.doc);
      expect(ok ? [] : validate.errors, `README.md:${p.line}`).toEqual([]);
    }
  });

  it("would notice a broken pipeline (the check is not vacuous)", () => {
    const validate = validator();
    const broken = structuredClone(pipelines[0]!.doc) as { steps: Record<string, unknown>[] };
    broken.steps[0]!.artifact_path = "typo.sarif";
    expect(validate(broken)).toBe(false);
    expect(validate({ env: { A: "b" } })).toBe(false);
  });

  it("puts every Buildkite pipeline in a yaml block, never as a fragment", () => {
    // A block that looks like Buildkite (steps with command/label, or agent commands) but has no
    // top-level `steps` would escape validation.
    for (const b of yamlBlocks(README)) {
      const doc = parse(b.text) as unknown;
      if (isPipeline(doc)) continue;
      expect(b.text, `README.md:${b.line}`).not.toMatch(/^\s*-\s+(label|command|commands):/m);
    }
  });

  it("runs the published CLI in every pipeline, pinned to the packages' version, without cloning trustscope", () => {
    for (const p of pipelines) {
      const commands = (p.doc as { steps: { command?: string | string[] }[] }).steps.flatMap((step) => step.command ?? []).join("\n");
      expect(commands, `README.md:${p.line}`).toMatch(new RegExp(`^\\s*npx --yes @trustscope/cli@${VERSION.replaceAll(".", "\\.")} scan `, "m"));
      expect(commands, `README.md:${p.line}`).not.toMatch(/git clone|pnpm/);
    }
  });

  it("names only the current version wherever it pins the package", () => {
    const pins = [...README.matchAll(/@trustscope\/cli@([^\s`]+)/g)].map((m) => m[1]);
    expect(pins.length).toBeGreaterThanOrEqual(3); // the install section and both pipelines
    expect(new Set(pins)).toEqual(new Set([VERSION]));
  });
});

describe("CHANGELOG", () => {
  it("has an entry for the packages' version", () => {
    const changelog = readFileSync(join(REPO_ROOT, "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(new RegExp(`^## ${VERSION.replaceAll(".", "\\.")} — \\d{4}-\\d{2}-\\d{2}$`, "m"));
  });
});
