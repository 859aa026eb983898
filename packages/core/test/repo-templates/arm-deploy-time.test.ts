import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/model/repo.ts";
import { looksLikeArmTemplate, parameterFileFor, patchRawControlChars } from "../../src/repo/templates/arm.ts";
import { readArmTemplate, readBicep, type TemplateHost } from "../../src/repo/templates/index.ts";
import { fixture } from "./helpers.ts";

const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

function template(resources: string, extra = ""): string {
  return `{\n  "$schema": "${SCHEMA}",\n  "contentVersion": "1.0.0.0",${extra}\n  "resources": ${resources}\n}\n`;
}

function hostOf(files: Record<string, string>): TemplateHost {
  return { read: (path) => (path in files ? { text: files[path]! } : undefined) };
}

const gaps = (ds: Diagnostic[]): Diagnostic[] => ds.filter((d) => !d.note);
const notes = (ds: Diagnostic[], kind: string): string[] => ds.filter((d) => d.note && d.kind === kind).map((d) => `${d.line}: ${d.message}`);

/** A role assignment (line 5) whose roleDefinitionId is the given expression. */
function assignment(roleDefinitionId: string, extraProps = ""): string {
  return `[\n    {\n      "type": "Microsoft.Authorization/roleAssignments",\n      "name": "ra",\n      "properties": { "roleDefinitionId": "${roleDefinitionId}", "principalId": "p"${extraProps} }\n    }\n  ]`;
}

describe("ARM as Azure accepts it", () => {
  it("reads line breaks inside strings and comments, with every later line right", () => {
    const { facts, diagnostics } = readArmTemplate(fixture("multiline.json"), "m.json");
    expect(diagnostics).toEqual([]);
    expect(facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid])).toEqual([[23, READER]]);
  });

  it("keeps the line breaks in a string value and reads a multi-line expression", () => {
    const text = '{\n "a": "x\ny",\n "b": "tab\there"\n}';
    const patched = patchRawControlChars(text);
    expect(patched.text.length).toBe(text.length);
    expect(patched.patched).toEqual([10, 25]);
    // An unterminated string is left alone (it stays a syntax error).
    expect(patchRawControlChars('{"a": "x\n').patched).toEqual([]);
    // A quote or line break inside a comment is not a string.
    expect(patchRawControlChars('{ // "x\n "a": "b\nc" /* " */ }').patched).toEqual([16]);
  });

  it("reads a string value with its line break", () => {
    const text = template(`[
    {
      "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
      "name": "id/fic",
      "properties": { "issuer": "https://agent.buildkite.com", "subject": "a
b", "audiences": ["api://AzureADTokenExchange"] }
    }
  ]`);
    const { facts, diagnostics } = readArmTemplate(text, "x.json");
    expect(diagnostics).toEqual([]);
    expect(facts.federatedCredentials.map((f) => [f.line, f.subject?.literal])).toEqual([[5, "a\nb"]]);
  });

  it("still reports a syntax error at its line", () => {
    const text = template(`[\n    { "type": "Microsoft.Storage/storageAccounts", "name": "x" "properties": {} }\n  ]`);
    expect(gaps(readArmTemplate(text, "x.json").diagnostics).map((d) => d.line)).toEqual([5, 5]);
  });

  it.each([
    ["a template with a multi-line string", fixture("multiline.json"), true],
    ["a deployment template schema", `{ "$schema": "${SCHEMA}" }`, true],
    ["a parameter file", `{ "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "contentVersion": "1.0.0.0", "parameters": {} }`, false],
    ["JSON that hints at a template but does not parse", `{ "contentVersion": "1.0.0.0", `, true],
    ["other JSON", `{ "name": "x" }`, false],
  ])("looksLikeArmTemplate: %s", (_name, text, expected) => {
    expect(looksLikeArmTemplate(text)).toBe(expected);
  });
});

describe("values the deployment decides", () => {
  it("notes a role definition from a parameter without a default, naming it, and sets roleDecidedBy", () => {
    const text = template(assignment("[parameters('roleId')]"), `\n  "parameters": { "roleId": { "type": "string" } },`);
    const { facts, diagnostics } = readArmTemplate(text, "x.json");
    expect(gaps(diagnostics)).toEqual([]);
    expect(notes(diagnostics, "deploy-time-value")).toEqual([
      `6: resource Microsoft.Authorization/roleAssignments: its role definition "[parameters('roleId')]" is decided at deploy time by roleId`,
    ]);
    expect(facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([[6, undefined, "roleId"]]);
  });

  it("reads a parameter default (no note)", () => {
    const text = template(
      assignment("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', parameters('roleGuid'))]"),
      `\n  "parameters": { "roleGuid": { "type": "string", "defaultValue": "${CONTRIBUTOR}" } },`,
    );
    const { facts, diagnostics } = readArmTemplate(text, "x.json");
    expect(diagnostics).toEqual([]);
    expect(facts.roleAssignments.map((f) => [f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([[CONTRIBUTOR, undefined]]);
  });

  it("reads the value from the parameter file beside the template, over the default, and notes which file", () => {
    const text = template(
      assignment("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', parameters('roleGuid'))]"),
      `\n  "parameters": { "roleGuid": { "type": "string", "defaultValue": "${CONTRIBUTOR}" }, "secret": { "type": "string" } },`,
    );
    const params = `{\n  "parameters": {\n    "roleGuid": { "value": "${OWNER}" },\n    "secret": { "reference": { "keyVault": { "id": "kv" }, "secretName": "s" } }\n  }\n}`;
    const host = hostOf({ "infra/azuredeploy.parameters.json": params, "infra/other.parameters.json": `{ "parameters": { "roleGuid": { "value": "${READER}" } } }` });
    const { facts, diagnostics } = readArmTemplate(text, "infra/azuredeploy.json", host);
    expect(gaps(diagnostics)).toEqual([]);
    expect(notes(diagnostics, "parameter-file")).toEqual([
      "1: parameter values are read from infra/azuredeploy.parameters.json; they take the place of the template's defaults",
    ]);
    expect(facts.roleAssignments.map((f) => f.roleDefinitionGuid)).toEqual([OWNER]);
    // Without a host (or without the file), the default stands.
    expect(readArmTemplate(text, "infra/azuredeploy.json").facts.roleAssignments[0]!.roleDefinitionGuid).toBe(CONTRIBUTOR);
    expect(readArmTemplate(text, "infra/main.json", host).facts.roleAssignments[0]!.roleDefinitionGuid).toBe(CONTRIBUTOR);
    expect(parameterFileFor("infra/main.json")).toBe("infra/main.parameters.json");
    expect(parameterFileFor("infra/main.parameters.json")).toBeUndefined();
  });

  it("notes a parameter file it cannot read, and reads the template with its defaults", () => {
    const text = template(assignment(`/providers/Microsoft.Authorization/roleDefinitions/${READER}`));
    const host: TemplateHost = { read: () => ({ problem: "too big" }) };
    const { diagnostics } = readArmTemplate(text, "main.json", host);
    expect(gaps(diagnostics)).toEqual([]);
    expect(notes(diagnostics, "parameter-file")).toEqual(["1: the parameter file main.parameters.json cannot be read (too big); parameter defaults are used"]);
  });

  it("reads each role of a variable map looked up by a parameter with allowedValues: one fact per candidate", () => {
    const text = template(
      assignment("[variables(parameters('builtInRoleType'))]"),
      `
  "parameters": { "builtInRoleType": { "type": "string", "allowedValues": ["Owner", "Contributor", "Reader"] } },
  "variables": {
    "Owner": "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${OWNER}')]",
    "Contributor": "[concat('/subscriptions/', subscription().subscriptionId, '/providers/Microsoft.Authorization/roleDefinitions/', '${CONTRIBUTOR}')]",
    "Reader": "[tenantResourceId('Microsoft.Authorization/roleDefinitions', '${READER}')]"
  },`,
    );
    const { facts, diagnostics } = readArmTemplate(text, "x.json");
    expect(gaps(diagnostics)).toEqual([]);
    expect(facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([
      [11, OWNER, "builtInRoleType"],
      [11, CONTRIBUTOR, "builtInRoleType"],
      [11, READER, "builtInRoleType"],
    ]);
    expect(notes(diagnostics, "deploy-time-value")[0]).toMatch(/decided at deploy time by builtInRoleType; each of the 3 roles it can name is read$/);
  });

  it("reads the candidates of a finite map even without allowedValues", () => {
    const text = template(
      assignment("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('roles')[parameters('role')])]"),
      `\n  "parameters": { "role": { "type": "string" } },\n  "variables": { "roles": { "owner": "${OWNER}", "reader": "${READER}" } },`,
    );
    const { facts, diagnostics } = readArmTemplate(text, "x.json");
    expect(gaps(diagnostics)).toEqual([]);
    expect(facts.roleAssignments.map((f) => [f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([
      [OWNER, "role"],
      [READER, "role"],
    ]);
  });

  it("reads each role of a copy loop over a role list, and notes the loop", () => {
    const text = template(
      `[
    {
      "type": "Microsoft.Authorization/roleAssignments",
      "name": "[guid(string(copyIndex()))]",
      "copy": { "name": "ras", "count": "[length(parameters('roles'))]" },
      "properties": { "roleDefinitionId": "[tenantResourceId('Microsoft.Authorization/roleDefinitions', parameters('roles')[copyIndex()])]", "principalId": "p" }
    }
  ]`,
      `\n  "parameters": { "roles": { "type": "array", "defaultValue": ["${OWNER}", "${READER}"] } },`,
    );
    const { facts, diagnostics } = readArmTemplate(text, "x.json");
    expect(gaps(diagnostics)).toEqual([]);
    expect(facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([
      [6, OWNER, "copyIndex()"],
      [6, READER, "copyIndex()"],
    ]);
    expect(diagnostics.filter((d) => d.kind === "loop")).toHaveLength(1);
  });

  it("notes a role id that comes from reference() (the deployed environment decides it)", () => {
    const text = template(assignment("[reference(variables('policy'), '2019-06-01').policyRule.then.details.roleDefinitionIds[0]]"), `\n  "variables": { "policy": "p" },`);
    const { facts, diagnostics } = readArmTemplate(text, "x.json");
    expect(gaps(diagnostics)).toEqual([]);
    expect(facts.roleAssignments[0]!.roleDecidedBy).toBe("reference(variables('policy'), '2019-06-01')");
    expect(notes(diagnostics, "deploy-time-value")).toHaveLength(1);
  });

  it("notes a condition the deployment decides and reads the assignment as unconditional", () => {
    const text = template(
      assignment(`/providers/Microsoft.Authorization/roleDefinitions/${READER}`, `, "condition": "[parameters('condition')]"`),
      `\n  "parameters": { "condition": { "type": "string" } },`,
    );
    const { facts, diagnostics } = readArmTemplate(text, "x.json");
    expect(gaps(diagnostics)).toEqual([]);
    expect(facts.roleAssignments[0]!.hasCondition).toBe(false);
    expect(notes(diagnostics, "deploy-time-value")).toEqual([
      `6: resource Microsoft.Authorization/roleAssignments: its condition "[parameters('condition')]" (read as unconditional) is decided at deploy time by condition`,
    ]);
  });

  it("notes federated-credential fields from parameters without defaults", () => {
    const text = template(
      `[
    {
      "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
      "name": "id/fic",
      "properties": { "issuer": "https://agent.buildkite.com", "subject": "[format('organization:{0}:pipeline:x', parameters('org'))]", "audiences": ["[parameters('aud')]"] }
    }
  ]`,
      `\n  "parameters": { "org": { "type": "string" }, "aud": { "type": "string" } },`,
    );
    const { facts, diagnostics } = readArmTemplate(text, "x.json");
    expect(gaps(diagnostics)).toEqual([]);
    expect(notes(diagnostics, "deploy-time-value").map((n) => n.replace(/.*: its /, ""))).toEqual([
      `subject "[format('organization:{0}:pipeline:x', parameters('org'))]" is decided at deploy time by org`,
      `audience "[parameters('aud')]" is decided at deploy time by aud`,
    ]);
    expect(facts.federatedCredentials[0]!.subject).toEqual({ raw: `"[format('organization:{0}:pipeline:x', parameters('org'))]"` });
  });

  it.each([
    ["an unsupported function on literal inputs", "[bogus('x')]"],
    ["a reference to an undeclared parameter", "[parameters('nope')]"],
    ["expression text that does not parse", "[concat('a'"],
  ])("keeps %s a gap", (_name, expr) => {
    const { facts, diagnostics } = readArmTemplate(template(assignment(expr)), "x.json");
    expect(gaps(diagnostics).map((d) => d.message)).toEqual([expect.stringMatching(/cannot read a role definition GUID/)]);
    expect(facts.roleAssignments[0]!.roleDecidedBy).toBeUndefined();
  });
});

describe("many deploy-time values in one file", () => {
  it("are notes however many there are: the cap on listed notes is not a gap, and a gap after them keeps its line", () => {
    const body = Array.from({ length: 120 }, (_, i) => `resource r${i} 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n  name: guid('${i}')\n  properties: {\n    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)\n    principalId: 'p'\n  }\n}`);
    const text = ["param roleId string", ...body, "var broken = ", ""].join("\n");
    const { diagnostics } = readBicep(text, "many.bicep");
    const gapsOf = diagnostics.filter((d) => !d.note);
    expect(gapsOf).toHaveLength(1);
    expect(gapsOf[0]!.line).toBeGreaterThanOrEqual(text.split("\n").indexOf("var broken = ") + 1);
    expect(diagnostics.filter((d) => d.note).at(-1)!.message).toMatch(/^\d+ further note\(s\) in this file are not listed$/);
  });
});

describe("a custom role the template declares", () => {
  it("assigned by its id is a note naming the role, not a gap", () => {
    const text = [
      "resource customRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {",
      "  name: guid(subscription().id, 'deployer')",
      "  properties: {",
      "    roleName: 'Deployer'",
      "    permissions: [{ actions: ['Microsoft.Resources/deployments/*'] }]",
      "    assignableScopes: [subscription().id]",
      "  }",
      "}",
      "resource access 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
      "  name: guid('x')",
      "  properties: {",
      "    roleDefinitionId: customRole.id",
      "    principalId: 'p'",
      "  }",
      "}",
      "",
    ].join("\n");
    const { facts, diagnostics } = readBicep(text, "custom.bicep");
    expect(diagnostics.filter((d) => !d.note)).toEqual([]);
    expect(diagnostics.filter((d) => d.kind === "custom-role").map((d) => d.line)).toEqual([9]);
    expect(facts.roleAssignments[0]!.roleDecidedBy).toBeUndefined();
  });
});
