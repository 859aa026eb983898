import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { looksLikeArmTemplate } from "../../src/repo/templates/arm.ts";
import { readArmTemplate } from "../../src/repo/templates/index.ts";
import { dirHost } from "./helpers.ts";

const SHARED = resolve(process.env.TRUSTSCOPE_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../../shared"));
const CORPUS = join(SHARED, "corpus", "realworld");
const TREES = ["Azure+Enterprise-Scale", "Azure+azure-docs-json-samples"];

/**
 * Files that are not valid templates, so a gap is right: documentation skeletons whose text has a
 * placeholder where JSON belongs (Azure rejects them too).
 */
const INVALID: Record<string, string> = Object.fromEntries([
  ...["default-mg", "default-rg", "default-sub", "default-tenant"].map((f) => [`Azure+azure-docs-json-samples/azure-resource-manager/scope/${f}.json`, "a bare `*-resources` placeholder in `resources`"]),
  ...[
    "different-sub-to-resource-group",
    "management-group-to-tenant",
    "mg-to-resource-group",
    "mg-to-subscription",
    "resource-group-to-subscription",
    "resource-group-to-tenant",
    "same-sub-to-resource-group",
    "scope-mg",
    "sub-to-resource-group",
    "sub-to-sub",
    "subscription-to-tenant",
    "tenant-to-mg",
    "tenant-to-rg",
    "tenant-to-subscription",
  ].map((f) => [`Azure+azure-docs-json-samples/azure-resource-manager/scope/${f}.json`, "a bare `*-resources` placeholder as the nested `template`"]),
  ["Azure+azure-docs-json-samples/azure-resource-manager/functions/date/datetimeadd-automation.json", "a bare `...` placeholder in `resources`"],
]);

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".json")) out.push(path);
  }
  return out;
}

describe("real ARM templates read without gaps", () => {
  const cases = TREES.flatMap((tree) => {
    const root = join(CORPUS, tree);
    return walk(root, [])
      .map((abs) => ({ tree, root, abs, text: readFileSync(abs, "utf8") }))
      .filter((c) => looksLikeArmTemplate(c.text));
  });

  it("finds the templates", () => {
    expect(cases.length).toBeGreaterThan(50);
  });

  it.each(cases.map((c) => [relative(CORPUS, c.abs), c] as const))("%s", (name, c) => {
    const { diagnostics } = readArmTemplate(c.text, relative(c.root, c.abs), dirHost(c.root));
    const gaps = diagnostics.filter((d) => !d.note).map((d) => `${d.line}: ${d.message}`);
    if (INVALID[name]) expect(gaps.some((g) => g.includes("malformed JSON"))).toBe(true);
    else expect(gaps).toEqual([]);
  });

  it("reads the deploy-time role of the Azure samples as one fact per allowed role", () => {
    const root = join(CORPUS, "Azure+azure-docs-json-samples");
    const file = "azure-resource-manager/scope/roletargetscope.json";
    const { facts } = readArmTemplate(readFileSync(join(root, file), "utf8"), file, dirHost(root));
    expect(facts.roleAssignments.map((f) => [f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([
      ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "builtInRoleType"],
      ["b24988ac-6180-42a0-ab88-20f7382dd24c", "builtInRoleType"],
      ["acdd72a7-3385-48ef-bd42-f606fba81ae7", "builtInRoleType"],
    ]);
  });
});
