import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/model/repo.ts";
import { MAX_LOOP_ITEMS } from "../../src/repo/templates/evaluate.ts";
import { dirHost } from "./helpers.ts";
import { readBicep, type TemplateHost } from "../../src/repo/templates/index.ts";

const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

function memHost(files: Record<string, string>): TemplateHost {
  return {
    read: (path) => (files[path] === undefined ? undefined : { text: files[path] }),
    list: (dir) =>
      Object.keys(files)
        .filter((p) => (dir === "" ? !p.includes("/") : p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes("/")))
        .map((p) => p.slice(p.lastIndexOf("/") + 1)),
  };
}

function readWith(files: Record<string, string>, file: string): ReturnType<typeof readBicep> {
  return readBicep(files[file] ?? "", file, memHost(files));
}

const gaps = (d: Diagnostic[]): Diagnostic[] => d.filter((x) => !x.note);

/** A module written as the registry writes it: nullable array parameters, a `[for …]` variable with `union`, loops over `xs ?? []`. */
const IDENTITY = [
  "param name string", // 1
  "param roleAssignments array?",
  "param federatedIdentityCredentials array?",
  "var builtInRoleNames = {",
  `  Owner: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${OWNER}')`, // 5
  `  Reader: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${READER}')`,
  "}",
  "var formattedRoleAssignments = [",
  "  for (roleAssignment, index) in (roleAssignments ?? []): union(roleAssignment, {",
  "    roleDefinitionId: builtInRoleNames[?roleAssignment.roleDefinitionIdOrName] ?? (contains(roleAssignment.roleDefinitionIdOrName, '/providers/Microsoft.Authorization/roleDefinitions/') ? roleAssignment.roleDefinitionIdOrName : subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleAssignment.roleDefinitionIdOrName))", // 10
  "  })",
  "]",
  "resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {",
  "  name: name",
  "  location: 'westeurope'", // 15
  "}",
  "resource fics 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [",
  "  for fic in (federatedIdentityCredentials ?? []): {",
  "    name: fic.name",
  "    parent: identity", // 20
  "    properties: { issuer: fic.issuer, subject: fic.subject, audiences: ['api://AzureADTokenExchange'] }",
  "  }",
  "]",
  "resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [",
  "  for (roleAssignment, index) in (formattedRoleAssignments ?? []): {", // 25
  "    name: guid(identity.id, roleAssignment.principalId, roleAssignment.roleDefinitionId)",
  "    scope: identity",
  "    properties: {",
  "      roleDefinitionId: roleAssignment.roleDefinitionId",
  "      principalId: roleAssignment.principalId", // 30
  "      condition: roleAssignment.?condition",
  "    }",
  "  }",
  "]",
].join("\n");
const DECLARED = { file: "mod/identity.bicep", line: 24 };

describe("readBicep: a module call's parameters and loops over known arrays", () => {
  it("reads a parameter the call does not pass (and that has no default) as null: the loops over it deploy nothing", () => {
    const r = readWith({ "main.bicep": "module id './mod/identity.bicep' = {\n  name: 'id'\n  params: { name: 'uami' }\n}\n", "mod/identity.bicep": IDENTITY }, "main.bicep");
    expect(r.facts.roleAssignments).toEqual([]);
    expect(r.facts.federatedCredentials).toEqual([]);
    expect(gaps(r.diagnostics)).toEqual([]);
    expect(r.diagnostics.filter((d) => d.kind === "loop").map((d) => `${d.line}: ${d.message}`)).toEqual([
      "1: module 'id' (mod/identity.bicep:17): resource 'fics' (Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials): it is declared in a loop over an empty array (`for fic in (federatedIdentityCredentials ?? [])`): it is not deployed with the values read",
      "1: module 'id' (mod/identity.bicep:24): resource 'assignments' (Microsoft.Authorization/roleAssignments): it is declared in a loop over an empty array (`for (roleAssignment, index) in (formattedRoleAssignments ?? [])`): it is not deployed with the values read",
    ]);
  });

  it("reads one fact per item the call passes, at the call line, with each role written out (a name, a GUID, a resource ID)", () => {
    const main = [
      "param principalId string", // 1
      "module id './mod/identity.bicep' = [for iteration in ['init', 'idem']: {",
      "  name: 'id-${iteration}'",
      "  params: {",
      "    name: 'uami'", // 5
      "    roleAssignments: [",
      "      { roleDefinitionIdOrName: 'Owner', principalId: principalId }",
      `      { roleDefinitionIdOrName: '${CONTRIBUTOR}', principalId: principalId }`,
      `      { roleDefinitionIdOrName: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${READER}'), principalId: principalId }`,
      "    ]", // 10
      "    federatedIdentityCredentials: [",
      "      { name: 'gh', issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:o/r:ref:refs/heads/main' }",
      "    ]",
      "  }",
      "}]", // 15
    ].join("\n");
    const r = readWith({ "main.bicep": main, "mod/identity.bicep": IDENTITY }, "main.bicep");
    // Two iterations of the call read the same: each fact once.
    expect(r.facts.roleAssignments.map((f) => [f.file, f.line, f.roleDefinitionGuid, f.roleDecidedBy, f.definedAt])).toEqual([
      ["main.bicep", 2, OWNER, undefined, DECLARED],
      ["main.bicep", 2, CONTRIBUTOR, undefined, DECLARED],
      ["main.bicep", 2, READER, undefined, DECLARED],
    ]);
    expect(r.facts.federatedCredentials.map((f) => [f.line, f.name, f.subject?.literal, f.definedAt])).toEqual([
      [2, "gh", "repo:o/r:ref:refs/heads/main", { file: "mod/identity.bicep", line: 17 }],
    ]);
    expect(gaps(r.diagnostics)).toEqual([]);
    expect(r.diagnostics.some((d) => d.kind === "deploy-time-value" && d.message.includes("role definition"))).toBe(false);
  });

  it("keeps the deployer's parameters deploy-time when the module file is read on its own", () => {
    const r = readWith({ "mod/identity.bicep": IDENTITY }, "mod/identity.bicep");
    expect(r.facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([[24, undefined, "roleAssignments"]]);
    expect(r.facts.federatedCredentials.map((f) => f.line)).toEqual([17]);
  });

  it("keeps deploy-time a parameter a .bicepparam file leaves unbound", () => {
    const r = readWith(
      {
        "infra/main.bicep": IDENTITY,
        "infra/main.bicepparam": "using './main.bicep'\nparam name = 'uami'\n",
      },
      "infra/main.bicep",
    );
    expect(r.facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([[24, undefined, "roleAssignments"]]);
  });

  it("reads the body once, as before, over more than MAX_LOOP_ITEMS items", () => {
    const items = Array.from({ length: 20 }, (_, i) => `'${READER.slice(0, -2)}${String(i).padStart(2, "0")}'`);
    expect(items.length).toBeGreaterThan(MAX_LOOP_ITEMS);
    const text = [
      `resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [${items.join(", ")}]: {`,
      "  name: guid(role)",
      "  properties: { roleDefinitionId: role, principalId: 'p' }",
      "}]",
    ].join("\n");
    const r = readBicep(text, "x.bicep");
    expect(r.facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([[1, undefined, "role"]]);
    expect(r.diagnostics.map((d) => d.kind)).toEqual(["deploy-time-value", "loop"]);
    expect(r.diagnostics[1]!.message).toContain("its facts are read once from the loop body");
    // At the cap, one fact per item.
    const sixteen = text.replace(items.join(", "), items.slice(0, MAX_LOOP_ITEMS).join(", "));
    expect(readBicep(sixteen, "x.bicep").facts.roleAssignments.map((f) => f.roleDefinitionGuid)).toHaveLength(MAX_LOOP_ITEMS);
  });

  it("does not count a top-level parameter's default as the items the deployer passes", () => {
    const text = [
      `param roles array = ['${OWNER}']`,
      "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in roles: {",
      "  name: guid(role)",
      "  properties: { roleDefinitionId: role, principalId: 'p' }",
      "}]",
      "param none array = []",
      "resource fic 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [for s in none: {",
      "  name: 'id/fic'",
      "  properties: { issuer: 'https://token.actions.githubusercontent.com', subject: s, audiences: ['api://AzureADTokenExchange'] }",
      "}]",
    ].join("\n");
    const r = readBicep(text, "x.bicep");
    expect(r.facts.roleAssignments.map((f) => [f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([[undefined, "roles"]]);
    expect(r.facts.federatedCredentials.map((f) => f.line)).toEqual([7]);
  });

  it("reads items of a literal array whose values use top-level defaults, and loop items with their index and condition", () => {
    const text = [
      "param suffix string = 'prod'",
      `var items = [for (r, i) in ['Owner', 'Reader', 'Nope']: if (r != 'Nope') { role: r, name: 'st\${suffix}\${i}' }]`,
      "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = [for item in items: {",
      "  name: item.name",
      "  properties: { allowSharedKeyAccess: item.role == 'Reader' }",
      "}]",
    ].join("\n");
    const r = readBicep(text, "x.bicep");
    expect(r.facts.storageAccounts.map((f) => [f.name, f.allowSharedKeyAccess])).toEqual([
      ["stprod0", false],
      ["stprod1", true],
    ]);
    expect(gaps(r.diagnostics)).toEqual([]);
  });

  it("merges objects with union, later properties winning and nested objects merged", () => {
    const text = [
      "var base = { name: 'stbase', properties: { allowSharedKeyAccess: true, minimumTlsVersion: 'TLS1_2' } }",
      "var merged = union(base, { name: 'stmerged', properties: { allowSharedKeyAccess: false } })",
      "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {",
      "  name: merged.name",
      "  properties: merged.properties",
      "}",
      "resource st2 'Microsoft.Storage/storageAccounts@2023-05-01' = {",
      "  name: 'st2'",
      "  properties: { allowSharedKeyAccess: contains(merged.properties, 'minimumTlsVersion') }",
      "}",
    ].join("\n");
    const r = readBicep(text, "x.bicep");
    expect(r.facts.storageAccounts.map((f) => [f.name, f.allowSharedKeyAccess])).toEqual([
      ["stmerged", false],
      ["st2", true],
    ]);
    expect(gaps(r.diagnostics)).toEqual([]);
  });

  it("still reads params hidden by a spread as unknown, not null", () => {
    const r = readWith(
      {
        "main.bicep": "var p = { name: 'uami' }\nmodule id './mod/identity.bicep' = {\n  name: 'id'\n  params: {\n    ...p\n  }\n}\n",
        "mod/identity.bicep": IDENTITY,
      },
      "main.bicep",
    );
    expect(r.facts.roleAssignments).toHaveLength(1);
    expect(r.facts.roleAssignments[0]!.roleDefinitionGuid).toBeUndefined();
    expect(r.facts.federatedCredentials).toHaveLength(1);
  });
});

const SHARED = resolve(process.env.TRUSTSCOPE_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../../shared"));
const REGISTRY = join(SHARED, "corpus/realworld/Azure+bicep-registry-modules");
const UAMI = "avm/res/managed-identity/user-assigned-identity";


describe("readBicep: the registry's user-assigned identity module through its tests", () => {
  const read = (file: string): ReturnType<typeof readBicep> => readBicep(readFileSync(join(REGISTRY, file), "utf8"), file, dirHost(REGISTRY));

  it("defaults: the call passes no role assignments and no federated credentials, so the module deploys none", () => {
    const r = read(`${UAMI}/tests/e2e/defaults/main.test.bicep`);
    expect(r.facts.roleAssignments).toEqual([]);
    expect(r.facts.federatedCredentials).toEqual([]);
    expect(gaps(r.diagnostics)).toEqual([]);
  });

  it("max: the three roles the call writes out, at the call line", () => {
    const file = `${UAMI}/tests/e2e/max/main.test.bicep`;
    const r = read(file);
    const declared = { file: `${UAMI}/main.bicep`, line: 121 };
    // The Owner GUID as the module's builtInRoleNames map writes it.
    expect(r.facts.roleAssignments.map((f) => [f.file, f.line, f.roleDefinitionGuid, f.roleDecidedBy, f.definedAt])).toEqual([
      [file, 52, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", undefined, declared],
      [file, 52, CONTRIBUTOR, undefined, declared],
      [file, 52, READER, undefined, declared],
    ]);
    expect(r.facts.federatedCredentials.map((f) => f.name)).toEqual(["test-fed-cred-miuaimax-001", "test-fed-cred-miuaimax-002"]);
    expect(gaps(r.diagnostics)).toEqual([]);
  });

  it("main.bicep on its own: the roles stay the deployer's", () => {
    const r = read(`${UAMI}/main.bicep`);
    expect(r.facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([[121, undefined, "roleAssignments"]]);
  });
});
