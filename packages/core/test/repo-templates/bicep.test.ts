import { describe, expect, it } from "vitest";
import { readBicep } from "../../src/repo/templates/index.ts";
import { diagLines, fixture, withoutFile } from "./helpers.ts";

const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const BUILDKITE = { raw: "'https://agent.buildkite.com'", literal: "https://agent.buildkite.com" };
const EXCHANGE = { raw: "'api://AzureADTokenExchange'", literal: "api://AzureADTokenExchange" };

describe("readBicep: landing zone", () => {
  const { facts, diagnostics } = readBicep(fixture("landing-zone.bicep"), "infra/landing-zone.bicep");

  it("reads the UAMI's nested federated credential with the pipeline parameter and its default", () => {
    expect(facts.federatedCredentials).toEqual([
      {
        file: "infra/landing-zone.bicep",
        line: 28,
        parentKind: "managedIdentity",
        name: "buildkite-deploy",
        issuer: BUILDKITE,
        subject: { raw: "pipelineUuid", variable: "pipelineUuid", fallback: "0190a3c5-5d8e-4f4e-9a55-3c1e8b7d2f10" },
        audiences: [EXCHANGE],
      },
    ]);
  });

  it("reads the Owner role assignment from subscriptionResourceId(...)", () => {
    expect(facts.roleAssignments).toEqual([
      {
        file: "infra/landing-zone.bicep",
        line: 40,
        roleDefinitionGuid: OWNER,
        roleDefinitionRaw: `subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${OWNER}')`,
        principalRaw: "deployIdentity.properties.principalId",
        hasCondition: false,
      },
    ]);
  });

  it("reads the storage account with shared keys disabled (its name is not a literal)", () => {
    expect(facts.storageAccounts).toEqual([{ file: "infra/landing-zone.bicep", line: 49, allowSharedKeyAccess: false }]);
  });

  it("skips targetScope, decorators and output, and notes the module it cannot follow without a host", () => {
    expect(diagnostics).toEqual([
      {
        file: "infra/landing-zone.bicep",
        line: 61,
        message: "module 'network' ('./network.bicep') is not followed: this reading has no access to other files",
        note: true,
        kind: "module-not-followed",
      },
    ]);
  });
});

describe("readBicep: Microsoft Graph extension", () => {
  const { facts, diagnostics } = readBicep(fixture("graph-app.bicep"), "graph.bicep");

  it("reads a nested child credential, a top-level one and the federatedIdentityCredentials array", () => {
    expect(withoutFile(facts.federatedCredentials)).toEqual([
      {
        line: 15,
        parentKind: "application",
        name: "buildkite-org",
        issuer: BUILDKITE,
        // An interpolation that folds completely from defaults is raw text with a literal.
        subject: { raw: "'${orgUuid}'", literal: "7d9f1c2e-4b3a-4c5d-8e6f-0a1b2c3d4e5f" },
        audiences: [EXCHANGE],
      },
      {
        line: 24,
        parentKind: "application",
        name: "buildkite-main",
        issuer: BUILDKITE,
        subject: {
          raw: "'organization:acme:pipeline:deploy:ref:refs/heads/main'",
          literal: "organization:acme:pipeline:deploy:ref:refs/heads/main",
        },
        audiences: [EXCHANGE],
      },
      {
        line: 35,
        parentKind: "application",
        name: "buildkite-legacy",
        issuer: BUILDKITE,
        subject: { raw: "legacySubject", variable: "legacySubject" },
        audiences: [EXCHANGE],
      },
    ]);
    expect(facts.roleAssignments).toEqual([]);
    expect(facts.storageAccounts).toEqual([]);
  });

  it("reports the subject that has no default, at the credential's line", () => {
    expect(diagLines(diagnostics)).toEqual([
      "35: a federated credential of resource 'legacyApp' (Microsoft.Graph/applications) named 'buildkite-legacy': its subject legacySubject is decided at deploy time by legacySubject", // was a gap: a parameter without a default is a deploy-time note
    ]);
    expect(diagnostics[0]!.file).toBe("graph.bicep");
  });
});

describe("readBicep: forms a landing zone uses", () => {
  const { facts, diagnostics } = readBicep(fixture("advanced.bicep"), "advanced.bicep");

  it("reads credentials with parent:, an array variable of audiences, and a loop", () => {
    expect(withoutFile(facts.federatedCredentials)).toEqual([
      {
        line: 38,
        parentKind: "managedIdentity",
        name: "buildkite-release",
        issuer: BUILDKITE,
        subject: { raw: "releaseSubject", variable: "releaseSubject", fallback: "organization:acme:pipeline:release" },
        audiences: [{ raw: "audiences", variable: "audiences", fallback: "api://AzureADTokenExchange" }],
      },
      {
        line: 48,
        parentKind: "managedIdentity",
        issuer: BUILDKITE,
        subject: { raw: "'organization:acme:pipeline:${p}'" },
        audiences: [EXCHANGE],
      },
    ]);
  });

  it("reads role GUIDs through an existing roleDefinitions resource, az. functions, variables and literal IDs", () => {
    expect(withoutFile(facts.roleAssignments)).toEqual([
      {
        line: 63,
        roleDefinitionGuid: CONTRIBUTOR,
        roleDefinitionRaw: "contributorRole.id",
        principalRaw: "uami.properties.principalId",
        scopeRaw: "resourceGroup()",
        hasCondition: false,
      },
      {
        line: 73,
        roleDefinitionGuid: OWNER,
        roleDefinitionRaw: "az.subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.owner)",
        principalRaw: "uami.properties.principalId",
        hasCondition: false,
      },
      {
        line: 81,
        roleDefinitionGuid: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        roleDefinitionRaw: "'/providers/Microsoft.Authorization/roleDefinitions/2A2B9908-6EA1-4AE2-8E65-A410DF84E7D1'",
        principalRaw: "uami.properties.principalId",
        scopeRaw: "logs",
        hasCondition: true,
      },
      // roleDecidedBy: the parameter without a default decides the role at deploy time.
      { line: 92, roleDefinitionRaw: "customRoleDefinitionId", principalRaw: "uami.properties.principalId", hasCondition: false, roleDecidedBy: "customRoleDefinitionId" },
    ]);
  });

  it("reads allowSharedKeyAccess from a parameter default, reports one without, and leaves an absent one undefined", () => {
    expect(withoutFile(facts.storageAccounts)).toEqual([
      { line: 102, name: "stbklogs", allowSharedKeyAccess: false },
      { line: 112, name: "stbkartifacts", allowSharedKeyAccess: null },
      { line: 122, name: "stbkcache" },
    ]);
    expect("allowSharedKeyAccess" in facts.storageAccounts[2]!).toBe(false);
  });

  it("reports what it cannot evaluate, and only loops and conditions that carry facts", () => {
    expect(diagLines(diagnostics)).toEqual([
      "48: resource 'perPipeline' (Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials): its subject 'organization:acme:pipeline:${p}' is decided at deploy time by pipelines", // the loop's notes name what it iterates
      "48: resource 'perPipeline' (Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials) is declared in a loop (`for p in pipelines`); its facts are read once from the loop body, and values that depend on the loop are kept raw",
      "63: resource 'contributor' (Microsoft.Authorization/roleAssignments) is deployed only if `deployRbac`; its facts are read as if it is deployed",
      "92: resource 'custom' (Microsoft.Authorization/roleAssignments): its role definition customRoleDefinitionId is decided at deploy time by customRoleDefinitionId",
      "112: resource 'artifacts' (Microsoft.Storage/storageAccounts): allowSharedKeyAccess keyAccess is decided at deploy time by keyAccess",
    ]);
  });
});

describe("readBicep: clean variants", () => {
  it("reads a pipeline-scoped credential, a Reader assignment and a keyless account with no diagnostics", () => {
    const text = [
      "param location string = 'westeurope'",
      "",
      "resource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {",
      "  name: 'id-deploy'",
      "  location: location",
      "}",
      "",
      "resource fic 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = {",
      "  parent: id",
      "  name: 'buildkite'",
      "  properties: { issuer: 'https://agent.buildkite.com', subject: '0190a3c5-5d8e-4f4e-9a55-3c1e8b7d2f10', audiences: [ 'api://AzureADTokenExchange' ] }",
      "}",
      "",
      "resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
      "  name: guid(id.id, 'reader')",
      "  properties: {",
      `    roleDefinitionId: '${READER}'`,
      "    principalId: id.properties.principalId",
      "  }",
      "}",
      "",
      "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {",
      "  name: 'stclean'",
      "  location: location",
      "  properties: {",
      "    allowSharedKeyAccess: false",
      "  }",
      "}",
    ].join("\n");
    const { facts, diagnostics } = readBicep(text, "clean.bicep");
    expect(diagnostics).toEqual([]);
    expect(withoutFile(facts.federatedCredentials)).toEqual([
      {
        line: 8,
        parentKind: "managedIdentity",
        name: "buildkite",
        issuer: BUILDKITE,
        subject: { raw: "'0190a3c5-5d8e-4f4e-9a55-3c1e8b7d2f10'", literal: "0190a3c5-5d8e-4f4e-9a55-3c1e8b7d2f10" },
        audiences: [EXCHANGE],
      },
    ]);
    expect(withoutFile(facts.roleAssignments)).toEqual([
      { line: 14, roleDefinitionGuid: READER, roleDefinitionRaw: `'${READER}'`, principalRaw: "id.properties.principalId", hasCondition: false },
    ]);
    expect(withoutFile(facts.storageAccounts)).toEqual([{ line: 22, name: "stclean", allowSharedKeyAccess: false }]);
  });

  it("reads nothing, and reports nothing, from a file without the resource types it reads", () => {
    const text = "param name string\nresource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' = {\n  name: name\n  properties: {}\n}\n";
    expect(readBicep(text, "x.bicep")).toEqual({ facts: { roleAssignments: [], federatedCredentials: [], storageAccounts: [] }, diagnostics: [] });
  });

  it("reads an empty file", () => {
    expect(readBicep("", "empty.bicep").diagnostics).toEqual([]);
  });
});

describe("readBicep: unknown and broken constructs", () => {
  const { facts, diagnostics } = readBicep(fixture("unknown-constructs.bicep"), "broken.bicep");

  it("reports each with its line and reads the declarations after it", () => {
    expect(diagLines(diagnostics)).toEqual([
      "3: cannot read the declaration at line 3: unknown top-level keyword 'frobnicate'",
      "7: cannot read the resource 'broken' at line 5: unterminated '{' (opened at line 7)",
      "18: cannot read the variable 'bad' at line 18: unterminated string",
      "24: cannot read the resource 'afterBad' at line 21: unexpected 'extra' after the declaration",
    ]);
    expect(withoutFile(facts.storageAccounts)).toEqual([
      { line: 11, name: "stfine", allowSharedKeyAccess: false },
      { line: 26, name: "ok-last", allowSharedKeyAccess: true },
    ]);
  });

  it("reports a truncated file at the innermost unterminated construct", () => {
    const text = fixture("landing-zone.bicep").split("\n").slice(0, 54).join("\n"); // ends with `  properties: {`
    const r = readBicep(text, "cut.bicep");
    expect(diagLines(r.diagnostics)).toEqual(["54: cannot read the resource 'stateStorage' at line 49: unterminated '{' (opened at line 54)"]);
    expect(r.facts.storageAccounts).toEqual([]);
    expect(r.facts.roleAssignments.map((f) => f.line)).toEqual([40]);
    expect(r.facts.federatedCredentials.map((f) => f.line)).toEqual([28]);
  });

  it("reports a file cut inside a nested resource once, at the nested body", () => {
    const text = fixture("landing-zone.bicep").split("\n").slice(0, 31).join("\n"); // inside the FIC's properties
    const r = readBicep(text, "cut.bicep");
    expect(diagLines(r.diagnostics)).toEqual(["30: cannot read the resource 'deployIdentity' at line 23: unterminated '{' (opened at line 30)"]);
    expect(r.facts.federatedCredentials).toEqual([]);
  });

  it.each([
    ["an unterminated string", "param a string = 'ok'\nvar b = {\n  c: 'never closed\n}\n", ["3: cannot read the variable 'b' at line 2: unterminated string"]],
    ["an unterminated multi-line string", "var a = '''\nline\n", ["1: cannot read the variable 'a' at line 1: unterminated multi-line string"]],
    ["an unterminated comment", "param a string\n/* comment\nparam b string\n", ["2: cannot read the declaration at line 2: unterminated comment"]],
    ["an unterminated interpolation", "var a = 'x${b'\nparam c string\n", ["1: cannot read the variable 'a' at line 1: unterminated string"]],
    ["an empty interpolation", "var a = 'x${}'\n", ["1: cannot read the variable 'a' at line 1: incomplete ${…} interpolation"]],
    ["a stray closing brace", "param a string\n}\nparam b string\n", ["2: cannot read the declaration at line 2: unexpected '}' at the top level"]],
    ["a decorator at the end", "param a string\n@description('dangling')", ["2: cannot read the declaration at line 2: unexpected end of file"]],
    ["a missing '='", "resource r 'Microsoft.Storage/storageAccounts@2023-05-01' {\n  name: 'x'\n}\n", ["1: cannot read the resource 'r' at line 1: expected '=' but found '{'"]],
    ["an interpolated resource type", "resource r 'Microsoft.Storage/${t}@2023-05-01' = {}\n", ["1: cannot read the resource 'r' at line 1: the resource type must be a plain string, without ${…}"]],
    ["a mismatched bracket in a module", "module m './m.bicep' = {\n  params: { a: [1, 2) }\n}\nparam p string\n", ["2: cannot read the module 'm' at line 1: expected a line break, ',' or ']' but found ')'"]],
    ["an unexpected character", "var a = 1 # 2\n", ["1: cannot read the variable 'a' at line 1: unexpected character \"#\""]],
    ["two properties on one line", "var a = {\n  b: 1 c: 2\n}\n", ["2: cannot read the variable 'a' at line 1: expected a line break, ',' or '}' but found 'c'"]],
  ])("reports %s with its line", (_name, text, expected) => {
    expect(diagLines(readBicep(text, "x.bicep").diagnostics)).toEqual(expected);
  });

  it("gives up on pathological nesting with a diagnostic instead of a stack overflow", () => {
    const text = `var a = ${"[".repeat(10_000)}\nparam b string = 'x'\n`;
    expect(diagLines(readBicep(text, "x.bicep").diagnostics)).toEqual(["1: cannot read the variable 'a' at line 1: nested deeper than 64 levels"]);
  });
});

describe("readBicep: expressions and declarations", () => {
  const storage = (properties: string, before = ""): ReturnType<typeof readBicep> =>
    readBicep(`${before}\nresource s 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'st'\n  properties: ${properties}\n}\n`, "x.bicep");

  it("decodes escapes, multi-line strings and nested interpolations", () => {
    const text = [
      "param org string = 'acme'",
      "var quoted = 'it\\'s ${org}\\n\\u{41}\\$'",
      "var multi = '''",
      "org:${org}'''",
      "var nested = '${'${org}-${'x'}'}'",
      "resource fic 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = {",
      "  name: 'id/fic'",
      "  properties: {",
      "    issuer: quoted",
      "    subject: multi",
      "    audiences: [nested, '${concat(org, '-', org)}']",
      "  }",
      "}",
    ].join("\n");
    const { facts, diagnostics } = readBicep(text, "x.bicep");
    expect(diagnostics).toEqual([]);
    expect(withoutFile(facts.federatedCredentials)).toEqual([
      {
        line: 6,
        parentKind: "managedIdentity",
        name: "fic",
        issuer: { raw: "quoted", variable: "quoted", fallback: "it's acme\nA$" },
        subject: { raw: "multi", variable: "multi", fallback: "org:${org}" },
        audiences: [
          { raw: "nested", variable: "nested", fallback: "acme-x" },
          { raw: "'${concat(org, '-', org)}'", literal: "acme-acme" },
        ],
      },
    ]);
  });

  it("accepts comments, comma-separated and multi-line objects, and keywords as property names", () => {
    const r = storage(
      "{ // keys\n    resource: 'not a resource', param: 1 /* inline */, allowSharedKeyAccess: true\n    if: 'x'\n  }",
      "// leading comment\n/* block\n comment */",
    );
    expect(r.diagnostics).toEqual([]);
    expect(withoutFile(r.facts.storageAccounts)).toEqual([{ line: 4, name: "st", allowSharedKeyAccess: true }]);
  });

  // Was a gap ("cannot be evaluated") while operators were kept as text.
  it("folds a conditional allowSharedKeyAccess on a known parameter, and notes one on a deploy-time parameter", () => {
    const known = storage("{\n    allowSharedKeyAccess: env == 'prod' ? false : true\n  }", "param env string = 'prod'");
    expect(known.facts.storageAccounts[0]!.allowSharedKeyAccess).toBe(false);
    expect(known.diagnostics).toEqual([]);
    const open = storage("{\n    allowSharedKeyAccess: env == 'prod' ? false : true\n  }", "param env string");
    expect(open.facts.storageAccounts[0]!.allowSharedKeyAccess).toBeNull();
    expect(open.diagnostics.map((d) => [d.note, d.kind, d.message])).toEqual([
      [true, "deploy-time-value", "resource 's' (Microsoft.Storage/storageAccounts): allowSharedKeyAccess env == 'prod' ? false : true is decided at deploy time by env"],
    ]);
  });

  it("reads a literal null allowSharedKeyAccess as absent", () => {
    const r = storage("{\n    allowSharedKeyAccess: null\n  }");
    expect(r.diagnostics).toEqual([]);
    expect("allowSharedKeyAccess" in r.facts.storageAccounts[0]!).toBe(false);
  });

  it("reads properties given by a variable, and reports spread properties", () => {
    const viaVar = storage("props", "var props = {\n  allowSharedKeyAccess: false\n}");
    expect(viaVar.facts.storageAccounts[0]!.allowSharedKeyAccess).toBe(false);
    expect(viaVar.diagnostics).toEqual([]);
    const spread = storage("{\n    ...base\n    minimumTlsVersion: 'TLS1_2'\n  }", "param base object");
    expect(spread.facts.storageAccounts[0]!.allowSharedKeyAccess).toBeNull();
    expect(spread.diagnostics.map((d) => d.line)).toEqual([2]);
    const unknown = storage("union(base, {})", "param base object");
    expect(unknown.facts.storageAccounts[0]!.allowSharedKeyAccess).toBeNull();
  });

  it("skips multi-line ternaries, lambdas, typed variables and user-defined types", () => {
    const text = [
      "type settings = {",
      "  @description('x')",
      "  name: string?",
      "  kind: 'a' | 'b'",
      "}",
      "output flag bool = true",
      "  ? false",
      "  : true",
      "var names string[] = map(range(0, 2), i => 'n${i}')",
      "var picked = filter(items, (item, i) => item.enabled && i > 0)",
      "var sel = cond",
      "  ? 'a'",
      "  : 'b'",
      "param items array",
      "param cond bool",
      "resource s 'Microsoft.Storage/storageAccounts@2023-05-01' = {",
      "  name: names[0]",
      "  properties: {",
      "    allowSharedKeyAccess: !cond",
      "  }",
      "}",
    ].join("\n");
    const r = readBicep(text, "x.bicep");
    // `!cond` is now read (it was a gap): a parameter without a default decides it.
    expect(diagLines(r.diagnostics)).toEqual(["16: resource 's' (Microsoft.Storage/storageAccounts): allowSharedKeyAccess !cond is decided at deploy time by cond"]);
    expect(withoutFile(r.facts.storageAccounts)).toEqual([{ line: 16, allowSharedKeyAccess: null }]);
  });

  it("reads GUIDs from tenantResourceId, resourceId with a subscription, nested variables and string IDs", () => {
    const text = [
      "param sub string",
      "var ids = {",
      "  roles: {",
      `    reader: '${READER}'`,
      "  }",
      "}",
      "var fromVar = tenantResourceId('Microsoft.Authorization/roleDefinitions', ids.roles.reader)",
      "resource a 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
      "  name: 'a'",
      "  properties: {",
      "    roleDefinitionId: fromVar",
      "    principalId: 'p'",
      "  }",
      "}",
      "resource b 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
      "  name: 'b'",
      "  properties: {",
      `    roleDefinitionId: resourceId(sub, 'Microsoft.Authorization/roleDefinitions', ids['roles'].reader)`,
      "  }",
      "}",
      "resource c 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
      "  name: 'c'",
      "  properties: {",
      `    roleDefinitionId: '/subscriptions/\${subscription().subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}'`,
      "  }",
      "}",
      "resource d 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
      "  name: 'd'",
      "  properties: {",
      "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', guid('not-a-literal'))",
      "  }",
      "}",
    ].join("\n");
    const r = readBicep(text, "x.bicep");
    expect(r.facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid])).toEqual([
      [8, READER],
      [15, READER],
      [21, CONTRIBUTOR],
      [27, undefined],
    ]);
    expect(r.diagnostics.map((d) => d.line)).toEqual([27]);
  });

  it("reads a nested credential under an existing identity, and a conditional loop with an index", () => {
    const text = [
      "param subjects array = ['a', 'b']",
      "resource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {",
      "  name: 'id'",
      "  resource fic 'federatedIdentityCredentials' = [for (s, i) in subjects: if (i > 0) {",
      "    name: 'fic-${i}'",
      "    properties: {",
      "      issuer: 'https://agent.buildkite.com'",
      "      subject: s",
      "      audiences: ['api://AzureADTokenExchange']",
      "    }",
      "  }]",
      "}",
    ].join("\n");
    const r = readBicep(text, "x.bicep");
    expect(withoutFile(r.facts.federatedCredentials)).toEqual([
      { line: 4, parentKind: "managedIdentity", issuer: BUILDKITE, subject: { raw: "s" }, audiences: [EXCHANGE] },
    ]);
    expect(r.diagnostics.map((d) => d.line)).toEqual([4, 4, 4]);
    expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(/subject s is decided at deploy time by s[\s\S]*loop \(`for \(s, i\) in subjects`\)[\s\S]*only if `i > 0`/);
  });

  it("lets a loop variable hide a parameter of the same name", () => {
    const text = [
      "param subject string = 'from-the-parameter'",
      "resource fic 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [for subject in ['x']: {",
      "  name: 'id/fic'",
      "  properties: { issuer: 'https://agent.buildkite.com', subject: subject, audiences: ['api://AzureADTokenExchange'] }",
      "}]",
    ].join("\n");
    // The loop over a known array is read item by item: the item, not the parameter's default.
    expect(readBicep(text, "x.bicep").facts.federatedCredentials[0]!.subject).toEqual({ raw: "subject", literal: "x" });
  });

  it("skips #disable-next-line directives, a byte-order mark and CRLF line ends", () => {
    const text = "\uFEFF// x\r\n#disable-next-line no-hardcoded-env-urls\r\nresource s 'Microsoft.Storage/storageAccounts@2023-05-01' = {\r\n  name: 'x'\r\n  #disable-next-line BCP037\r\n  properties: {\r\n    allowSharedKeyAccess: false\r\n  }\r\n}\r\n";
    const r = readBicep(text, "x.bicep");
    expect(r.diagnostics).toEqual([]);
    expect(withoutFile(r.facts.storageAccounts)).toEqual([{ line: 3, name: "x", allowSharedKeyAccess: false }]);
  });

  it("treats reference cycles as unknown", () => {
    const r = storage("{\n    allowSharedKeyAccess: a\n  }", "var a = b\nvar b = a");
    expect(r.facts.storageAccounts[0]!.allowSharedKeyAccess).toBeNull();
  });

  it("reads a conditional Graph credential whose condition is literally true without a diagnostic", () => {
    const text = [
      "extension microsoftGraphV1",
      "resource fic 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = if (true) {",
      "  name: 'app/fic'",
      "  issuer: 'https://agent.buildkite.com'",
      "  subject: 'x'",
      "  audiences: ['api://AzureADTokenExchange']",
      "}",
    ].join("\n");
    const r = readBicep(text, "x.bicep");
    expect(r.diagnostics).toEqual([]);
    expect(r.facts.federatedCredentials.map((f) => [f.line, f.name, f.parentKind])).toEqual([[2, "fic", "application"]]);
  });

  // Was a gap ("cannot be evaluated") while `?:` was kept as text: now a deploy-time note.
  it("notes a role assignment condition a parameter decides and reads it as unconditional", () => {
    const text = [
      "param cond string",
      "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
      "  name: 'x'",
      "  properties: {",
      `    roleDefinitionId: '${OWNER}'`,
      "    principalId: 'p'",
      "    condition: empty(cond) ? null : cond",
      "  }",
      "}",
    ].join("\n");
    const r = readBicep(text, "x.bicep");
    expect(r.facts.roleAssignments[0]!.hasCondition).toBe(false);
    expect(diagLines(r.diagnostics)).toEqual([
      "2: resource 'ra' (Microsoft.Authorization/roleAssignments): its condition empty(cond) ? null : cond (read as unconditional) is decided at deploy time by cond",
    ]);
    expect(r.diagnostics.every((d) => d.note && d.kind === "deploy-time-value")).toBe(true);
  });
});
