import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/model/repo.ts";
import { MAX_MODULE_DEPTH, MAX_MODULE_EXPANSIONS, resolveRelative } from "../../src/repo/templates/bicep-modules.ts";
import { readBicep, type TemplateHost } from "../../src/repo/templates/index.ts";
import { diagLines, fixture, withoutFile, dirHost } from "./helpers.ts";

const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";


/** A host over files given inline. */
function memHost(files: Record<string, string | { problem: string }>): TemplateHost {
  return {
    read: (path) => {
      const f = files[path];
      return f === undefined ? undefined : typeof f === "string" ? { text: f } : f;
    },
    list: (dir) =>
      Object.keys(files)
        .filter((p) => (dir === "" ? !p.includes("/") : p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes("/")))
        .map((p) => p.slice(p.lastIndexOf("/") + 1)),
  };
}

function readWith(files: Record<string, string | { problem: string }>, file: string): ReturnType<typeof readBicep> {
  const text = files[file];
  return readBicep(typeof text === "string" ? text : "", file, memHost(files));
}

const gaps = (d: Diagnostic[]): Diagnostic[] => d.filter((x) => !x.note);

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

describe("readBicep: local modules", () => {
  const root = join(FIXTURES, "modules");
  const { facts, diagnostics } = readBicep(readFileSync(join(root, "main.bicep"), "utf8"), "main.bicep", dirHost(root));

  it("reads a module's role assignment at the call line, with the role bound by the call (an imported constant)", () => {
    expect(facts.roleAssignments[0]).toEqual({
      file: "main.bicep",
      line: 7,
      roleDefinitionGuid: OWNER,
      roleDefinitionRaw: "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionId)",
      principalRaw: "principalId",
      hasCondition: false,
      definedAt: { file: "mod/role-assignment.bicep", line: 9 },
    });
  });

  it("follows a nested module in a loop (namespace import), keeping the innermost declaration", () => {
    expect(facts.roleAssignments.slice(1).map((f) => [f.line, f.roleDefinitionGuid, f.definedAt])).toEqual([[15, READER, { file: "mod/role-assignment.bicep", line: 9 }]]);
    // Unbound parameters take their default; the loop over a known array is read item by item.
    expect(withoutFile(facts.storageAccounts)).toEqual([
      { line: 7, name: "stdefault", allowSharedKeyAccess: false, definedAt: { file: "mod/role-assignment.bicep", line: 17 } },
      { line: 15, name: "sta", allowSharedKeyAccess: false, definedAt: { file: "mod/role-assignment.bicep", line: 17 } },
      { line: 15, name: "stb", allowSharedKeyAccess: false, definedAt: { file: "mod/role-assignment.bicep", line: 17 } },
    ]);
  });

  it("notes the registry module, the missing file, the cycle and the module's loop and condition; no gap", () => {
    expect(gaps(diagnostics)).toEqual([]);
    const byKind = (k: string): string[] => diagnostics.filter((d) => d.kind === k).map((d) => `${d.line}: ${d.message}`);
    expect(byKind("registry-module")).toEqual([
      "22: 1 registry or template-spec reference(s) are not read (their resources and values are not in this repository): module 'fromRegistry' 'br/public:avm/res/storage/storage-account:0.9.0' (line 22)",
    ]);
    expect(byKind("not-in-repository")).toEqual([
      "29: module 'missing' ('./mod/not-here.bicep'): 'mod/not-here.bicep' is not in the repository; its resources are not read",
    ]);
    expect(byKind("module-cycle")).toEqual([
      "33: module 'cycle' (mod/cycle-a.bicep:1): module 'b' (mod/cycle-b.bicep:1): module 'a' ('./cycle-a.bicep') calls a module that is already being read (a cycle: main.bicep → mod/cycle-a.bicep → mod/cycle-b.bicep → mod/cycle-a.bicep); not followed again",
    ]);
    const at15 = diagnostics.filter((d) => d.line === 15).map((d) => d.message);
    expect(at15.some((m) => m.includes("deployed through module 'nested' (main.bicep:15) only if `principalId != ''`"))).toBe(true);
    expect(at15.some((m) => m.includes("deployed through module 'inner' (mod/outer.bicep:5), which is declared in a loop (`for name in ['a', 'b']`)"))).toBe(true);
    expect(diagnostics.every((d) => d.file === "main.bicep")).toBe(true);
  });

  it("reads the module file on its own with its defaults (no role GUID there)", () => {
    const r = readBicep(readFileSync(join(root, "mod/role-assignment.bicep"), "utf8"), "mod/role-assignment.bicep", dirHost(root));
    expect(r.facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid, f.definedAt])).toEqual([[9, undefined, undefined]]);
  });

  const ra = (role: string): string =>
    [
      "param role string",
      "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
      "  name: 'x'",
      "  properties: {",
      `    roleDefinitionId: ${role}`,
      "    principalId: 'p'",
      "  }",
      "}",
    ].join("\n");

  it("binds params given through a variable, and treats unnamed params as unknown when the call spreads", () => {
    const files = {
      "infra/main.bicep": [
        `var p = { role: '${OWNER}' }`,
        "module a './ra.bicep' = {",
        "  params: p",
        "}",
        "module b './ra.bicep' = {",
        "  params: {",
        "    ...p",
        "  }",
        "}",
      ].join("\n"),
      "infra/ra.bicep": ra("role"),
    };
    const r = readWith(files, "infra/main.bicep");
    expect(r.facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid])).toEqual([
      [2, OWNER],
      [5, undefined],
    ]);
    // The role is unknown at the spreading call (a gap or a deploy-time note, never the default).
    expect(r.diagnostics.map((d) => d.line)).toEqual([5]);
  });

  it("reports a module file the host cannot read as a gap, and one outside the repository as a note", () => {
    const r = readWith({ "a/main.bicep": "module m './big.bicep' = {}\nmodule o '../../out.bicep' = {}\n", "a/big.bicep": { problem: "file too large" } }, "a/main.bicep");
    expect(diagLines(r.diagnostics)).toEqual([
      "1: module 'm' ('./big.bicep'): cannot read 'a/big.bicep': file too large",
      "2: module 'o' ('../../out.bicep') points outside the repository; its resources are not read",
    ]);
    expect(r.diagnostics.map((d) => d.note ?? false)).toEqual([false, true]);
  });

  it("notes an ARM JSON module and a template-spec module", () => {
    const r = readWith({ "main.bicep": "module j './nested.json' = {}\nmodule t 'ts:0000/rg/spec:1.0' = {}\n", "nested.json": "{}" }, "main.bicep");
    expect(r.diagnostics.map((d) => [d.line, d.kind])).toEqual([
      [1, "arm-module"],
      [2, "registry-module"],
    ]);
  });

  it("stops at the nesting cap with a gap", () => {
    const files: Record<string, string> = {};
    for (let i = 0; i <= MAX_MODULE_DEPTH + 2; i++) files[`m${i}.bicep`] = `module next './m${i + 1}.bicep' = {}\n`;
    files[`m${MAX_MODULE_DEPTH + 3}.bicep`] = "";
    const r = readWith(files, "m0.bicep");
    expect(gaps(r.diagnostics)).toHaveLength(1);
    expect(gaps(r.diagnostics)[0]!.message).toMatch(/is nested more than 8 modules deep; its resources are not read$/);
  });

  it("bounds the number of module expansions per file with a gap", () => {
    // Five calls per level, six levels deep: far more than the cap.
    const files: Record<string, string> = {};
    for (let i = 0; i < 6; i++) files[`l${i}.bicep`] = Array.from({ length: 5 }, (_, k) => `module c${k} './l${i + 1}.bicep' = {}`).join("\n");
    files["l6.bicep"] = ra(`'${OWNER}'`);
    const r = readWith(files, "l0.bicep");
    const g = gaps(r.diagnostics);
    expect(g).toHaveLength(1);
    expect(g[0]!.message).toContain(`more than ${MAX_MODULE_EXPANSIONS} module calls are reached from this file`);
    expect(r.facts.roleAssignments.length).toBeGreaterThan(0);
    expect(r.facts.roleAssignments.length).toBeLessThanOrEqual(MAX_MODULE_EXPANSIONS);
  });

  it("resolves module paths relative to the calling file, inside the repository only", () => {
    expect(resolveRelative("infra/main.bicep", "./mod/x.bicep")).toBe("infra/mod/x.bicep");
    expect(resolveRelative("infra/main.bicep", "../shared/x.bicep")).toBe("shared/x.bicep");
    expect(resolveRelative("main.bicep", "x.bicep")).toBe("x.bicep");
    expect(resolveRelative("infra/main.bicep", "../../x.bicep")).toBeUndefined();
    expect(resolveRelative("infra/main.bicep", "/etc/x.bicep")).toBeUndefined();
    expect(resolveRelative("infra/main.bicep", "C:\\x.bicep")).toBeUndefined();
  });
});

describe("readBicep: .bicepparam", () => {
  it("binds the values of the parameter file beside the template whose `using` names it", () => {
    const r = readBicep(fixture("param-target.bicep"), "param-target.bicep", dirHost(FIXTURES));
    expect(withoutFile(r.facts.storageAccounts)).toEqual([{ line: 5, name: "stprod", allowSharedKeyAccess: false }]);
    expect(r.diagnostics).toEqual([{ file: "param-target.bicep", line: 1, message: "parameter values are read from 'main.bicepparam'", note: true, kind: "parameter-file" }]);
  });

  it("reads a .bicepparam file on its own without diagnostics", () => {
    expect(readBicep(fixture("main.bicepparam"), "main.bicepparam", dirHost(FIXTURES)).diagnostics).toEqual([]);
    expect(readBicep("using none\n\nparam a = readEnvironmentVariable('A', 'x')\n", "x.bicepparam").diagnostics).toEqual([]);
  });

  it("uses the first of several parameter files and says which", () => {
    const tpl = "param keys bool = true\nresource s 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 's'\n  properties: { allowSharedKeyAccess: keys }\n}\n";
    const r = readWith(
      {
        "infra/main.bicep": tpl,
        "infra/a.bicepparam": "using 'main.bicep'\nparam keys = false\n",
        "infra/b.bicepparam": "using './main.bicep'\nparam keys = true\n",
        "infra/c.bicepparam": "using './other.bicep'\nparam keys = true\n",
      },
      "infra/main.bicep",
    );
    expect(r.facts.storageAccounts.map((s) => s.allowSharedKeyAccess)).toEqual([false]);
    expect(diagLines(r.diagnostics)).toEqual(["1: 2 parameter files use this template; values are read from 'infra/a.bicepparam', not from 'infra/b.bicepparam'"]);
  });

  it("reports a parameter file it cannot parse on the template", () => {
    const r = readWith({ "main.bicep": "param a string = 'x'\n", "main.bicepparam": "using './main.bicep'\nparam a = {\n" }, "main.bicep");
    expect(gaps(r.diagnostics).map((d) => d.message)).toEqual(["parameter file 'main.bicepparam' line 2: cannot read the parameter 'a' at line 2: unterminated '{' (opened at line 2)"]);
  });
});

describe("readBicep: syntax as the registry writes it", () => {
  const { facts, diagnostics } = readBicep(fixture("registry-syntax.bicep"), "registry-syntax.bicep");

  it("reads decorators, types, funcs with the body on the next line, interpolated keys, lambdas, spreads, asserts and `!`", () => {
    expect(diagLines(diagnostics)).toEqual([
      "8: 1 registry or template-spec reference(s) are not read (their resources and values are not in this repository): import 'br/public:avm/utl/types/avm-common-types:0.6.1' (line 8)",
    ]);
    expect(withoutFile(facts.storageAccounts)).toEqual([{ line: 65, name: "stregistry", allowSharedKeyAccess: false }]);
    expect(facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid, f.principalRaw])).toEqual([[77, OWNER, "existingVault!.properties.tenantId"]]);
  });

  it.each([
    ["an interpolated key", "var ids = { '${resourceGroup().id}': {} }\n"],
    ["a func body on the next line", "func f(a string) string =>\n  toLower(a)\n"],
    ["a named import over several lines", "import {\n  a\n  b as c\n} from './x.bicep'\n"],
    ["a namespace import", "import * as ns from 'x.bicep'\n"],
    ["a provider import", "import 'az@1.0.0'\n"],
    ["a user-defined type from resourceInput", "type t = resourceInput<'Microsoft.Storage/storageAccounts@2023-05-01'>.properties\n"],
    ["an optional union type", "@sealed()\ntype u = {\n  a: ('x' | 'y')?\n}\n"],
    ["reduce with two lambda parameters", "var s = reduce([1, 2], 0, (acc, x) =>\n  acc + x)\n"],
    ["a resourceOutput parameter", "param o resourceOutput<'Microsoft.Storage/storageAccounts@2023-05-01'>\n"],
    ["an extension with config", "extension kubernetes with {\n  namespace: 'x'\n} as k8s\n"],
  ])("reads %s without diagnostics", (_name, text) => {
    expect(readBicep(text, "x.bicep").diagnostics).toEqual([]);
  });
});

const SHARED = resolve(process.env.TRUSTSCOPE_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../../shared"));
const CORPUS = join(SHARED, "corpus/realworld");
const TREES = ["Azure+bicep-registry-modules", "Azure+azure-docs-bicep-samples"];

/**
 * Files that are not valid Bicep, with the reason. The syntax samples below are templates
 * with `<placeholder>` names that documentation pages fill in.
 */
const INVALID: Record<string, string> = {
  "Azure+azure-docs-bicep-samples/syntax-samples/modules/conditional-definition.bicep": "`module <symbolic-name> '<path-to-file>'` placeholders",
  "Azure+azure-docs-bicep-samples/syntax-samples/modules/dependsOn-definition.bicep": "`module <symbolic-name> '<path-to-file>'` placeholders",
  "Azure+azure-docs-bicep-samples/syntax-samples/modules/iterative-definition.bicep": "`module <symbolic-name> '<path-to-file>'` placeholders",
  "Azure+azure-docs-bicep-samples/syntax-samples/modules/scope-definition.bicep": "`module <symbolic-name> '<path-to-file>'` placeholders",
};

function bicepFiles(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) bicepFiles(p, out);
    else if (/\.bicep(param)?$/.test(e)) out.push(p);
  }
  return out;
}

describe("readBicep over the Azure Bicep corpus", () => {
  it("reads every file of the registry and the docs samples without a gap, following local modules", () => {
    const problems: string[] = [];
    let moduleFacts = 0;
    for (const tree of TREES) {
      const root = join(CORPUS, tree);
      const host = dirHost(root);
      for (const abs of bicepFiles(root, [])) {
        const file = relative(root, abs).split("\\").join("/");
        const r = readBicep(readFileSync(abs, "utf8"), file, host);
        moduleFacts += r.facts.roleAssignments.filter((f) => f.definedAt).length;
        // Every gap is a construct read wrongly, a value not understood or a module not followed:
        // values a template leaves to deployment are notes.
        const reading = gaps(r.diagnostics);
        if (INVALID[`${tree}/${file}`]) {
          expect(reading.length, `${tree}/${file} is listed as invalid`).toBeGreaterThan(0);
          continue;
        }
        for (const d of reading) problems.push(`${tree}/${d.file}:${d.line}: ${d.message}`);
      }
    }
    expect(problems).toEqual([]);
    expect(moduleFacts).toBeGreaterThan(100);
  }, 60_000);
});
