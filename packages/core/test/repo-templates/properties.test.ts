import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TemplateFacts, ValueRef } from "../../src/model/repo.ts";
import { ARM_FIXTURES, BICEP_FIXTURES, checkInvariants, fixture, type Kind } from "./helpers.ts";

/**
 * Property tests: whatever the input, the readers return (never throw), do work linear in the
 * input (counted in steps, not wall time), and put every fact and diagnostic on a real line.
 */

const BICEP_FRAGMENTS = [
  "param p string = 'x'\n",
  "param q bool\n",
  "@description('''\nmulti\n''')\n",
  "@allowed([\n  'a'\n])\n",
  "var v = p\n",
  "var o = {\n  a: v, b: [1, 2]\n}\n",
  "var g = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'\n",
  "resource s 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n",
  "resource u 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {\n",
  "resource f 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = {\n",
  "  resource c 'federatedIdentityCredentials' = {\n",
  "resource a 'Microsoft.Graph/applications@v1.0' = {\n",
  "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (q) {\n",
  "resource l 'Microsoft.Storage/storageAccounts@2023-05-01' = [for x in xs: {\n",
  "  name: 'st'\n",
  "  parent: u\n",
  "  scope: resourceGroup()\n",
  "  properties: {\n",
  "    allowSharedKeyAccess: false\n",
  "    allowSharedKeyAccess: q\n",
  "    issuer: 'https://agent.buildkite.com'\n",
  "    subject: '${p}:${o.a}'\n",
  "    audiences: ['api://AzureADTokenExchange']\n",
  "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', g)\n",
  "    principalId: u.properties.principalId\n",
  "    condition: 'x'\n",
  "  federatedIdentityCredentials: [\n",
  "  }\n",
  "}\n",
  "}]\n",
  "module m './m.bicep' = {\n",
  "output out string = cond\n  ? 'a'\n  : 'b'\n",
  "targetScope = 'subscription'\n",
  "import * as x from './x.bicep'\n",
  "type t = { a: string? }\n",
  "func f(a string) string => '${a}'\n",
  "extension microsoftGraphV1\n",
  "'''",
  "'",
  "/*",
  "*/",
  "// c\n",
  "${",
  "\\'",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ":",
  "=",
  "\n",
  "  ",
  "...",
  "?",
  "!",
  "::",
  ".",
  "=>",
  "@",
  "#",
  "é",
];

const JSON_FRAGMENTS = [
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "\n",
  '"resources":',
  '"parameters": {"x": {"type": "string", "defaultValue": "[variables(\'y\')]"}}',
  '"variables": {"y": "[parameters(\'x\')]", "copy": []}',
  '"type": "Microsoft.Storage/storageAccounts"',
  '"type": "federatedIdentityCredentials"',
  '"type": "Microsoft.ManagedIdentity/userAssignedIdentities"',
  '"type": "Microsoft.Authorization/roleAssignments"',
  '"type": "Microsoft.Resources/deployments"',
  '"properties": {',
  '"template": {',
  '"expressionEvaluationOptions": {"scope": "inner"}',
  '"allowSharedKeyAccess": false',
  '"roleDefinitionId": "[subscriptionResourceId(\'Microsoft.Authorization/roleDefinitions\', parameters(\'x\'))]"',
  '"subject": "[concat(parameters(\'x\'), variables(\'y\'))]"',
  '"audiences": ["api://AzureADTokenExchange"]',
  '"condition": "[parameters(\'x\')]"',
  '"name": "a/b"',
  '"existing": true',
  "/* c */",
  "// c\n",
  '"',
  "'",
  "[[",
  "(",
  ")",
];

/** Characters that matter to the Bicep and ARM lexers, for random text. */
const SYNTAX_CHARS = "{}[]()'\"$\\:,.?!=@\n\t /*#abcdefor in if resource param var existing 0123456789-_|&<>".split("");

function both(text: string): void {
  checkInvariants("bicep", text);
  checkInvariants("arm", text);
}

describe("property: random input", () => {
  it("never throws on random syntax characters", () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...SYNTAX_CHARS), maxLength: 300 }), both), { numRuns: 1500 });
  });

  it("never throws on random Unicode (including lone surrogates and control characters)", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), both), { numRuns: 1000 });
  });

  it("never throws on random concatenations of Bicep fragments", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...BICEP_FRAGMENTS), { maxLength: 60 }), (parts) => {
        checkInvariants("bicep", parts.join(""));
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on random concatenations of JSON fragments", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...JSON_FRAGMENTS), { maxLength: 60 }), (parts) => {
        checkInvariants("arm", parts.join(""));
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on arbitrary JSON values and ARM expressions inside a template", () => {
    const expression = fc.string({ unit: fc.constantFrom(..."()[].,'abcparmetsvibl0123 ".split("")), maxLength: 60 });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), expression, (value, expr) => {
        const resource = {
          type: "Microsoft.Storage/storageAccounts",
          name: `[${expr}]`,
          properties: { allowSharedKeyAccess: `[${expr}]`, extra: value },
        };
        const text = JSON.stringify({ $schema: "deploymentTemplate", parameters: value, variables: { a: `[${expr}]` }, resources: [resource, value] }, null, 2);
        checkInvariants("arm", text);
        checkInvariants("arm", JSON.stringify(value));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("property: edits of the fixtures", () => {
  const fixtures: [string, Kind][] = [...BICEP_FIXTURES.map((f): [string, Kind] => [f, "bicep"]), ...ARM_FIXTURES.map((f): [string, Kind] => [f, "arm"])];

  it.each(fixtures)("%s truncated at every offset: invariants hold and no value is invented", (name, kind) => {
    const text = fixture(name);
    const full = checkInvariants(kind, text).facts;
    for (let end = 0; end <= text.length; end++) {
      const cut = checkInvariants(kind, text.slice(0, end));
      // In the broken fixture a cut can end before a problem, so the cut file may read more.
      assertNothingInvented(cut.facts, full, `${name} cut at ${end}`, name !== "unknown-constructs.bicep");
    }
  });

  it.each(fixtures)("%s with random deletions and insertions: invariants hold", (name, kind) => {
    const text = fixture(name);
    const edit = fc.tuple(fc.nat({ max: text.length }), fc.nat({ max: 20 }), fc.string({ unit: fc.constantFrom(...SYNTAX_CHARS), maxLength: 5 }));
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let t = text;
        for (const [at, del, ins] of edits) t = t.slice(0, Math.min(at, t.length)) + ins + t.slice(Math.min(at + del, t.length));
        checkInvariants(kind, t);
      }),
      { numRuns: 300 },
    );
  });
});

describe("property: pathological input stays bounded", () => {
  it.each<[string, Kind, string]>([
    ["nested interpolations", "bicep", `var x = ${"'${".repeat(200)}a${"}'".repeat(200)}`],
    ["unclosed brackets", "bicep", `var x = ${"[".repeat(20_000)}`],
    ["unclosed objects on many lines", "bicep", `resource r 'T@1' = {\n${"a: {\n".repeat(5000)}`],
    ["long member chains", "bicep", `var x = a${".b".repeat(20_000)}\nresource s 'Microsoft.Storage/storageAccounts@1' = {\n  properties: { allowSharedKeyAccess: x }\n}`],
    ["long variable chains", "bicep", `${Array.from({ length: 3000 }, (_, i) => `var a${i} = a${i + 1}`).join("\n")}\nresource s 'Microsoft.Storage/storageAccounts@1' = {\n  name: a0\n}`],
    ["doubling interpolations", "bicep", `${Array.from({ length: 60 }, (_, i) => `var a${i} = '\${a${i + 1}}\${a${i + 1}}'`).join("\n")}\nvar a60 = 'xy'\nresource s 'Microsoft.Storage/storageAccounts@1' = {\n  name: a0\n}`],
    ["junk lines", "bicep", "foo bar\n".repeat(20_000)],
    ["deep JSON", "arm", "[".repeat(50_000)],
    ["deep ARM expressions", "arm", `{"resources":[{"type":"Microsoft.Storage/storageAccounts","name":"[${"concat(".repeat(5000)}'a'${")".repeat(5000)}]"}]}`],
    ["long ARM variable chains", "arm", `{"variables":{${Array.from({ length: 3000 }, (_, i) => `"a${i}":"[variables('a${i + 1}')]"`).join(",")}},"resources":[{"type":"Microsoft.Storage/storageAccounts","name":"[variables('a0')]"}]}`],
    ["many syntax errors", "arm", "{,".repeat(20_000)],
  ])("%s", (_name, kind, text) => {
    checkInvariants(kind, text);
  });
});

/**
 * Every fact of a truncated file agrees with the complete file's fact at the same line wherever
 * it states a value (and, when `strict`, the complete file has a fact at that line).
 */
function assertNothingInvented(cut: TemplateFacts, full: TemplateFacts, where: string, strict: boolean): void {
  const same = <T extends { line: number }>(list: T[], line: number): T | undefined => {
    const match = list.find((f) => f.line === line);
    if (strict) expect(match, `${where}: a fact at line ${line} that the complete file does not have`).toBeDefined();
    return match;
  };
  const sameRef = (a: ValueRef | undefined, b: ValueRef | undefined, what: string): void => {
    if (a?.literal !== undefined) expect(a.literal, `${where}: ${what}`).toBe(b?.literal);
    if (a?.fallback !== undefined) expect(a.fallback, `${where}: ${what}`).toBe(b?.fallback);
  };
  for (const f of cut.roleAssignments) {
    const g = same(full.roleAssignments, f.line);
    if (!g) continue;
    if (f.roleDefinitionGuid !== undefined) expect(f.roleDefinitionGuid, where).toBe(g.roleDefinitionGuid);
  }
  for (const f of cut.federatedCredentials) {
    const g = same(full.federatedCredentials, f.line);
    if (!g) continue;
    expect(f.parentKind).toBe(g.parentKind);
    if (f.name !== undefined) expect(f.name, where).toBe(g.name);
    sameRef(f.issuer, g.issuer, "issuer");
    sameRef(f.subject, g.subject, "subject");
    (f.audiences ?? []).forEach((a, i) => sameRef(a, g.audiences?.[i], `audience ${i}`));
  }
  for (const f of cut.storageAccounts) {
    const g = same(full.storageAccounts, f.line);
    if (!g) continue;
    if (f.name !== undefined) expect(f.name, where).toBe(g.name);
    if (typeof f.allowSharedKeyAccess === "boolean") expect(f.allowSharedKeyAccess, where).toBe(g.allowSharedKeyAccess);
  }
}
