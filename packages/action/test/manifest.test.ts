/**
 * action.yml as a runner reads it: strict YAML 1.2 (GitHub refuses a manifest its parser
 * rejects, before the action runs) and the shape GitHub requires of a JavaScript action.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { inputVariable, readInputs } from "../src/inputs.ts";

const ACTION_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const text = readFileSync(join(ACTION_DIR, "action.yml"), "utf8");

interface Manifest {
  name?: unknown;
  description?: unknown;
  inputs?: Record<string, { description?: unknown; required?: unknown; default?: unknown }>;
  outputs?: Record<string, { description?: unknown }>;
  runs?: { using?: unknown; main?: unknown };
}

describe("action.yml", () => {
  const doc = parseDocument(text, { version: "1.2", strict: true, uniqueKeys: true, prettyErrors: false });

  it("is valid YAML 1.2 with no errors and no warnings", () => {
    expect(doc.errors.map((e) => e.message)).toEqual([]);
    expect(doc.warnings.map((e) => e.message)).toEqual([]);
  });

  it("has the shape GitHub requires of a JavaScript action", () => {
    const m = doc.toJS() as Manifest;
    expect(typeof m.name).toBe("string");
    expect(typeof m.description).toBe("string");
    expect(m.runs?.using).toBe("node24");
    expect(typeof m.runs?.main).toBe("string");
    expect(existsSync(join(ACTION_DIR, m.runs!.main as string))).toBe(true);
    for (const [name, input] of Object.entries(m.inputs ?? {})) {
      expect(typeof input.description, `inputs.${name}.description`).toBe("string");
      expect((input.description as string).trim(), `inputs.${name}.description`).not.toBe("");
      if (input.default !== undefined) expect(typeof input.default, `inputs.${name}.default`).toBe("string");
      if (input.required !== undefined) expect(typeof input.required, `inputs.${name}.required`).toBe("boolean");
    }
    for (const [name, output] of Object.entries(m.outputs ?? {})) expect(typeof output.description, `outputs.${name}.description`).toBe("string");
  });

  it("gives the defaults the action applies when an input is empty", () => {
    const m = doc.toJS() as Manifest;
    // The runner sets every input with a default; the action must read them as action.yml says.
    const env = Object.fromEntries(Object.entries(m.inputs ?? {}).map(([name, input]) => [inputVariable(name), String(input.default ?? "")]));
    const fromManifest = readInputs({ ...env, [inputVariable("github-token")]: "" });
    expect(fromManifest).toEqual(readInputs({}));
  });
});
