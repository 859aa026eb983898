import { describe, expect, it } from "vitest";
import { isArmTemplate, readArmTemplate } from "../../src/repo/templates/index.ts";
import { diagLines, fixture, withoutFile } from "./helpers.ts";

const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

/** A template around the given resources (one JSON value a line is not required). */
function template(resources: string, extra = ""): string {
  return `{\n  "$schema": "${SCHEMA}",\n  "contentVersion": "1.0.0.0",${extra}\n  "resources": ${resources}\n}\n`;
}

describe("readArmTemplate: landing zone", () => {
  const { facts, diagnostics } = readArmTemplate(fixture("landing-zone.json"), "infra/landing-zone.json");

  it("reads the nested child credential (relative type) with [variables()] and [parameters()] values", () => {
    expect(facts.federatedCredentials[0]).toEqual({
      file: "infra/landing-zone.json",
      line: 32,
      parentKind: "managedIdentity",
      name: "buildkite-deploy",
      issuer: { raw: `"[variables('issuer')]"`, variable: "issuer", fallback: "https://agent.buildkite.com" },
      subject: { raw: `"[parameters('pipelineUuid')]"`, variable: "pipelineUuid", fallback: "0190a3c5-5d8e-4f4e-9a55-3c1e8b7d2f10" },
      audiences: [{ raw: `"[variables('audience')]"`, variable: "audience", fallback: "api://AzureADTokenExchange" }],
    });
  });

  it("reads the credential in the inline deployment, with the parameter value the deployment passes", () => {
    expect(withoutFile(facts.federatedCredentials.slice(1))).toEqual([
      {
        line: 87,
        parentKind: "managedIdentity",
        name: "buildkite-org",
        issuer: { raw: `"https://agent.buildkite.com"`, literal: "https://agent.buildkite.com" },
        subject: { raw: `"[parameters('orgUuid')]"`, variable: "orgUuid", fallback: "7d9f1c2e-4b3a-4c5d-8e6f-0a1b2c3d4e5f" },
        audiences: [{ raw: `"api://AzureADTokenExchange"`, literal: "api://AzureADTokenExchange" }],
      },
    ]);
  });

  it("reads Owner through a variable holding [subscriptionResourceId(...)], and Reader through [format(...)] with a condition", () => {
    expect(withoutFile(facts.roleAssignments)).toEqual([
      {
        line: 47,
        roleDefinitionGuid: OWNER,
        roleDefinitionRaw: `"[variables('ownerRoleId')]"`,
        principalRaw: `"[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('identityName')), '2023-01-31').principalId]"`,
        hasCondition: false,
      },
      {
        line: 97,
        roleDefinitionGuid: READER,
        roleDefinitionRaw: `"[format('/subscriptions/{0}/providers/Microsoft.Authorization/roleDefinitions/{1}', subscription().subscriptionId, parameters('readerRole'))]"`,
        principalRaw: `"11111111-2222-3333-4444-555555555555"`,
        hasCondition: true,
      },
    ]);
  });

  it("reads the storage account with its parameter-default name", () => {
    expect(withoutFile(facts.storageAccounts)).toEqual([{ line: 57, name: "stbkstateprod", allowSharedKeyAccess: false }]);
  });

  it("has nothing to report (comments are allowed)", () => {
    expect(diagnostics).toEqual([]);
  });
});

describe("readArmTemplate: symbolic names (languageVersion 2.0) and the Graph extension", () => {
  it("reads a Graph credential whose values sit under properties, and skips existing resources", () => {
    const { facts, diagnostics } = readArmTemplate(fixture("graph-app.json"), "graph.json");
    expect(diagnostics).toEqual([]);
    expect(withoutFile(facts.federatedCredentials)).toEqual([
      {
        line: 17,
        parentKind: "application",
        name: "buildkite-org",
        issuer: { raw: `"https://agent.buildkite.com"`, literal: "https://agent.buildkite.com" },
        subject: { raw: `"[format('{0}', parameters('orgUuid'))]"`, literal: "7d9f1c2e-4b3a-4c5d-8e6f-0a1b2c3d4e5f" },
        audiences: [{ raw: `"api://AzureADTokenExchange"`, literal: "api://AzureADTokenExchange" }],
      },
    ]);
  });
});

describe("readArmTemplate: details", () => {
  it("reads a clean template without diagnostics, with trailing commas and comments", () => {
    const text = template(`[
    /* the deploy identity's credential */
    {
      "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
      "apiVersion": "2023-01-31",
      "name": "id-deploy/buildkite", // parent/child
      "properties": {
        "issuer": "https://agent.buildkite.com",
        "subject": "0190a3c5-5d8e-4f4e-9a55-3c1e8b7d2f10",
        "audiences": ["api://AzureADTokenExchange",],
      },
    },
  ]`);
    const { facts, diagnostics } = readArmTemplate(text, "clean.json");
    expect(diagnostics).toEqual([]);
    expect(facts.federatedCredentials.map((f) => [f.line, f.name, f.subject?.literal])).toEqual([[6, "buildkite", "0190a3c5-5d8e-4f4e-9a55-3c1e8b7d2f10"]]);
  });

  // Was: `unset` (no default) and `not(...)` were gaps; a parameter without a default is now a
  // deploy-time note, and `not()` of a known value folds.
  it("reads allowSharedKeyAccess from a parameter default, notes one the deployment decides, and reports one it cannot evaluate", () => {
    const text = template(
      `[
    { "type": "Microsoft.Storage/storageAccounts", "name": "a", "properties": { "allowSharedKeyAccess": "[parameters('keys')]" } },
    { "type": "Microsoft.Storage/storageAccounts", "name": "b", "properties": { "allowSharedKeyAccess": "[parameters('unset')]" } },
    { "type": "Microsoft.Storage/storageAccounts", "name": "c", "properties": { "allowSharedKeyAccess": "[not(parameters('keys'))]" } },
    { "type": "Microsoft.Storage/storageAccounts", "name": "d", "properties": { "allowSharedKeyAccess": "[false()]" } },
    { "type": "Microsoft.Storage/storageAccounts", "name": "e" },
    { "type": "Microsoft.Storage/storageAccounts", "name": "f", "properties": { "allowSharedKeyAccess": "[bool('true')]" } }
  ]`,
      `\n  "parameters": { "keys": { "type": "bool", "defaultValue": true }, "unset": { "type": "bool" } },`,
    );
    const { facts, diagnostics } = readArmTemplate(text, "st.json");
    expect(withoutFile(facts.storageAccounts)).toEqual([
      { line: 6, name: "a", allowSharedKeyAccess: true },
      { line: 7, name: "b", allowSharedKeyAccess: null },
      { line: 8, name: "c", allowSharedKeyAccess: false },
      { line: 9, name: "d", allowSharedKeyAccess: false },
      { line: 10, name: "e" },
      { line: 11, name: "f", allowSharedKeyAccess: null },
    ]);
    expect(diagLines(diagnostics)).toEqual([
      `7: resource Microsoft.Storage/storageAccounts: allowSharedKeyAccess "[parameters('unset')]" is decided at deploy time by unset`,
      `11: resource Microsoft.Storage/storageAccounts: allowSharedKeyAccess "[bool('true')]" cannot be evaluated`,
    ]);
    expect(diagnostics.map((d) => [d.note, d.kind])).toEqual([
      [true, "deploy-time-value"],
      [undefined, undefined],
    ]);
  });

  it("reports conditions and copy loops only for resources that carry facts", () => {
    const text = template(
      `[
    { "type": "Microsoft.Network/virtualNetworks", "name": "vnet", "condition": "[parameters('deploy')]", "copy": { "name": "n", "count": 2 } },
    {
      "type": "Microsoft.Authorization/roleAssignments",
      "name": "[guid(copyIndex())]",
      "condition": "[parameters('deploy')]",
      "copy": { "name": "assignments", "count": 2 },
      "properties": { "roleDefinitionId": "[tenantResourceId('Microsoft.Authorization/roleDefinitions', '${OWNER}')]", "principalId": "[parameters('principals')[copyIndex()]]" }
    },
    { "type": "Microsoft.Storage/storageAccounts", "name": "st", "condition": true }
  ]`,
      `\n  "parameters": { "deploy": { "type": "bool", "defaultValue": true } },`,
    );
    const { facts, diagnostics } = readArmTemplate(text, "c.json");
    expect(facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid, f.principalRaw])).toEqual([
      [7, OWNER, `"[parameters('principals')[copyIndex()]]"`],
    ]);
    expect(diagLines(diagnostics)).toEqual([
      `7: resource Microsoft.Authorization/roleAssignments is deployed only if "[parameters('deploy')]" (line 10); its facts are read as if it is deployed`,
      "7: resource Microsoft.Authorization/roleAssignments is declared in a copy loop (line 11); its facts are read once, and values that depend on copyIndex() are kept raw",
    ]);
  });

  it("reads the legacy <resource>/providers/roleAssignments type with the scope in its name", () => {
    const text = template(`[
    {
      "type": "Microsoft.Storage/storageAccounts/providers/roleAssignments",
      "apiVersion": "2020-04-01-preview",
      "name": "[concat('st', '/Microsoft.Authorization/', guid('x'))]",
      "properties": { "roleDefinitionId": "[resourceId('Microsoft.Authorization/roleDefinitions', '${READER}')]", "principalId": "p" }
    }
  ]`);
    const { facts, diagnostics } = readArmTemplate(text, "legacy.json");
    expect(diagnostics).toEqual([]);
    expect(withoutFile(facts.roleAssignments)).toEqual([
      {
        line: 5,
        roleDefinitionGuid: READER,
        roleDefinitionRaw: `"[resourceId('Microsoft.Authorization/roleDefinitions', '${READER}')]"`,
        principalRaw: `"p"`,
        scopeRaw: `"[concat('st', '/Microsoft.Authorization/', guid('x'))]"`,
        hasCondition: false,
      },
    ]);
  });

  it("evaluates an outer-scope nested deployment against the outer parameters, and keeps [[ literal", () => {
    const text = template(
      `[
    {
      "type": "Microsoft.Resources/deployments",
      "name": "nested",
      "properties": {
        "template": {
          "resources": [
            {
              "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
              "name": "[format('{0}/{1}', parameters('id'), 'fic')]",
              "properties": { "issuer": "[[not an expression]", "subject": "[parameters('subject')]", "audiences": "[parameters('aud')]" }
            }
          ]
        }
      }
    }
  ]`,
      `\n  "parameters": { "id": { "type": "string" }, "subject": { "type": "string", "defaultValue": "repo" }, "aud": { "type": "array", "defaultValue": ["api://AzureADTokenExchange"] } },`,
    );
    const { facts, diagnostics } = readArmTemplate(text, "n.json");
    expect(diagnostics).toEqual([]);
    expect(withoutFile(facts.federatedCredentials)).toEqual([
      {
        line: 12,
        parentKind: "managedIdentity",
        name: "fic",
        issuer: { raw: `"[[not an expression]"`, literal: "[not an expression]" },
        subject: { raw: `"[parameters('subject')]"`, variable: "subject", fallback: "repo" },
        audiences: [{ raw: `"[parameters('aud')]"`, variable: "aud", fallback: "api://AzureADTokenExchange" }],
      },
    ]);
  });

  it("accepts a byte-order mark and CRLF line ends", () => {
    const text = '\uFEFF{\r\n  "resources": [\r\n    { "type": "Microsoft.Storage/storageAccounts", "name": "x", "properties": { "allowSharedKeyAccess": false } }\r\n  ],\r\n  "contentVersion": "1.0.0.0"\r\n}\r\n';
    const r = readArmTemplate(text, "x.json");
    expect(r.diagnostics).toEqual([]);
    expect(withoutFile(r.facts.storageAccounts)).toEqual([{ line: 3, name: "x", allowSharedKeyAccess: false }]);
  });

  it("treats parameter and variable names case-insensitively, like ARM", () => {
    const text = template(
      `[{ "type": "Microsoft.Authorization/roleAssignments", "name": "x", "properties": { "roleDefinitionId": "[variables('ROLE')]", "principalId": "p" } }]`,
      `\n  "variables": { "role": "[parameters('RoleGuid')]" },\n  "parameters": { "roleGuid": { "type": "string", "defaultValue": "${OWNER.toUpperCase()}" } },`,
    );
    expect(readArmTemplate(text, "x.json").facts.roleAssignments[0]!.roleDefinitionGuid).toBe(OWNER);
  });
});

describe("readArmTemplate: malformed input", () => {
  it("reports a syntax error with its line, skips the resource it is in and reads the others", () => {
    const text = template(`[
    { "type": "Microsoft.Storage/storageAccounts", "name": "ok", "properties": { "allowSharedKeyAccess": false } },
    {
      "type": "Microsoft.Storage/storageAccounts",
      "name": "broken"
      "properties": { "allowSharedKeyAccess": false }
    }
  ]`);
    const { facts, diagnostics } = readArmTemplate(text, "bad.json");
    expect(withoutFile(facts.storageAccounts)).toEqual([{ line: 5, name: "ok", allowSharedKeyAccess: false }]);
    expect(diagLines(diagnostics)).toEqual([
      "6: a resource whose JSON is malformed or incomplete is not read",
      "9: malformed JSON: comma expected",
    ]);
  });

  it("reports truncated JSON and does not read the cut resource", () => {
    const full = fixture("landing-zone.json");
    const cut = full.slice(0, full.indexOf(`"allowSharedKeyAccess"`));
    const { facts, diagnostics } = readArmTemplate(cut, "cut.json");
    expect(facts.storageAccounts).toEqual([]);
    expect(facts.roleAssignments.map((f) => f.line)).toEqual([47]);
    expect(facts.federatedCredentials.map((f) => f.line)).toEqual([32]);
    expect(diagLines(diagnostics)).toContain("57: a resource whose JSON is malformed or incomplete is not read");
    expect(diagnostics.some((d) => d.message.startsWith("malformed JSON") && d.line === 65)).toBe(true);
  });

  it.each([
    ["an array", "[1, 2]", ["1: not an ARM template: the JSON is not an object"]],
    ["an empty file", "", ["1: malformed JSON: value expected"]],
    ["a resources string", template(`"nope"`), [`4: resources "nope" is neither an array nor an object; it is not read`]],
    ["a resource without a type", template(`[{ "name": "x" }]`), ["4: a resource whose type cannot be read is skipped"]],
    ["a resource that is not an object", template(`[42]`), ["4: a resource that is not a JSON object is not read: 42"]],
    ["deep nesting", `{"a":${"[".repeat(300)}`, ["1: JSON nested deeper than 200 levels; the file is not read"]],
  ])("reports %s", (_name, text, expected) => {
    expect(diagLines(readArmTemplate(text, "x.json").diagnostics)).toEqual(expected);
  });

  it("caps the number of syntax errors it lists", () => {
    const text = `{\n${Array.from({ length: 20 }, (_, i) => `"a${i}": 1 "b": 2,`).join("\n")}\n}`;
    const lines = diagLines(readArmTemplate(text, "x.json").diagnostics);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines[lines.length - 1]).toMatch(/more syntax error\(s\)/);
  });
});

describe("isArmTemplate", () => {
  it.each([
    [{ $schema: SCHEMA, resources: [] }, true],
    [{ $schema: "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#" }, true],
    [{ $schema: "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#" }, true],
    [{ contentVersion: "1.0.0.0", resources: {} }, true],
    [{ $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", parameters: {} }, false],
    [{ resources: [] }, false],
    [{ contentVersion: "1.0.0.0" }, false],
    [[], false],
    [null, false],
    ["deploymentTemplate", false],
    [42, false],
  ])("%j → %s", (json, expected) => {
    expect(isArmTemplate(json)).toBe(expected);
  });
});
