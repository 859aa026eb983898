import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadHclParser, MAX_HCL_DEPTH, readHcl, type HclBlock, type HclBody, type HclExpression, type HclParser } from "../../src/repo/terraform/read-hcl.ts";

let parser: HclParser;
beforeAll(async () => {
  parser = await loadHclParser();
});

function read(text: string, file = "main.tf"): ReturnType<typeof readHcl> {
  return readHcl(text, file, parser);
}

function block(body: HclBody, type: string, ...labels: string[]): HclBlock {
  const b = body.blocks.find((x) => x.type === type && labels.every((l, i) => x.labels[i] === l));
  if (!b) throw new Error(`no block ${type} ${labels.join(" ")}`);
  return b;
}

function attr(body: HclBody, name: string): { line: number; expression: HclExpression } {
  const a = body.attributes.find((x) => x.name === name);
  if (!a) throw new Error(`no attribute ${name}`);
  return a;
}

const MAIN = `locals {
  org = "acme"
}

variable "mode" {
  type    = string
  default = "code"
}

resource "buildkite_pipeline" "old" {
  name       = "deploy"
  repository = "git@github.com:acme/app.git"
  provider_settings {
    build_pull_request_forks = true
  }
}

resource "buildkite_pipeline" "deploy" {
  name = "deploy"
  provider_settings = {
    build_pull_request_forks      = false
    prefix_pull_request_fork_branch_names = true
    trigger_mode                  = var.mode
  }
}

resource "azuread_application_federated_identity_credential" "bk" {
  for_each       = toset(["main", "release"])
  application_id = azuread_application.x.id
  display_name   = "bk-\${each.key}"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://agent.buildkite.com"
  subject        = "organization:\${local.org}:pipeline:\${buildkite_pipeline.deploy.slug}:ref:refs/heads/\${each.key}:*"
}

resource "azuread_application_flexible_federated_identity_credential" "flex" {
  application_id             = azuread_application.x.id
  display_name               = "flex"
  audience                   = "api://AzureADTokenExchange"
  issuer                     = "https://token.actions.githubusercontent.com"
  claims_matching_expression = "claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/heads/*'"
}

resource "azurerm_federated_identity_credential" "old" {
  name                = "old"
  resource_group_name = azurerm_resource_group.rg.name
  parent_id           = azurerm_user_assigned_identity.uai.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = "https://agent.buildkite.com"
  subject             = "organization:acme:pipeline:deploy:ref:refs/heads/main:*"
}

resource "azurerm_federated_identity_credential" "new" {
  name                      = "new"
  user_assigned_identity_id = azurerm_user_assigned_identity.uai[0].id
  audience                  = ["api://AzureADTokenExchange"]
  issuer                    = "https://agent.buildkite.com"
  subject                   = "x"
}

resource "azurerm_role_assignment" "by_name" {
  scope                = azurerm_storage_account.sa.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.uai.principal_id
  condition_version    = "2.0"
  condition            = <<-EOT
    (
      @Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'
    )
  EOT
}

resource "azurerm_role_assignment" "by_id" {
  scope              = "/subscriptions/00000000-0000-0000-0000-000000000000"
  role_definition_id = "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
  principal_id       = azurerm_user_assigned_identity.uai[*].principal_id
}

resource "azurerm_storage_account" "sa" {
  name                      = "acmesa"
  shared_access_key_enabled = false
  min_tls_version           = null
  count                     = 2
}

module "net" {
  source = "./modules/net"
  count  = 2
}
`;

describe("readHcl", () => {
  it("loads the parser once", async () => {
    expect(await loadHclParser()).toBe(parser);
  });

  it("reads locals, variables and module sources with their lines", () => {
    const { body, diagnostics } = read(MAIN);
    expect(diagnostics).toEqual([]);
    const locals = block(body, "locals");
    expect(locals.line).toBe(1);
    expect(attr(locals.body, "org")).toEqual({ name: "org", line: 2, expression: { kind: "string", value: "acme", line: 2 } });
    const mode = block(body, "variable", "mode");
    expect(mode.line).toBe(5);
    expect(attr(mode.body, "default").expression).toEqual({ kind: "string", value: "code", line: 7 });
    expect(attr(mode.body, "type").expression).toEqual({ kind: "reference", raw: "string", parts: ["string"], line: 6 });
    const net = block(body, "module", "net");
    expect(net.line).toBe(86);
    expect(attr(net.body, "source")).toMatchObject({ line: 87, expression: { kind: "string", value: "./modules/net" } });
    expect(attr(net.body, "count").expression).toEqual({ kind: "number", value: 2, raw: "2", line: 88 });
  });

  it("reads provider_settings as a block (0.x) and as an object attribute (1.x)", () => {
    const { body } = read(MAIN);
    const old = block(body, "resource", "buildkite_pipeline", "old");
    const settings = block(old.body, "provider_settings");
    expect(settings.line).toBe(13);
    expect(settings.labels).toEqual([]);
    expect(attr(settings.body, "build_pull_request_forks")).toMatchObject({ line: 14, expression: { kind: "bool", value: true } });

    const deploy = block(body, "resource", "buildkite_pipeline", "deploy");
    expect(deploy.body.blocks).toEqual([]);
    const ps = attr(deploy.body, "provider_settings");
    expect(ps.line).toBe(20);
    expect(ps.expression).toEqual({
      kind: "object",
      line: 20,
      items: [
        { key: "build_pull_request_forks", line: 21, value: { kind: "bool", value: false, line: 21 } },
        { key: "prefix_pull_request_fork_branch_names", line: 22, value: { kind: "bool", value: true, line: 22 } },
        { key: "trigger_mode", line: 23, value: { kind: "reference", raw: "var.mode", parts: ["var", "mode"], line: 23 } },
      ],
    });
  });

  it("reads federated credentials: for_each, references, templates and lists", () => {
    const { body } = read(MAIN);
    const fic = block(body, "resource", "azuread_application_federated_identity_credential", "bk");
    expect(fic.line).toBe(27);
    expect(attr(fic.body, "for_each").expression).toEqual({
      kind: "call",
      name: "toset",
      line: 28,
      args: [{ kind: "tuple", line: 28, items: [{ kind: "string", value: "main", line: 28 }, { kind: "string", value: "release", line: 28 }] }],
    });
    expect(attr(fic.body, "application_id").expression).toEqual({ kind: "reference", raw: "azuread_application.x.id", parts: ["azuread_application", "x", "id"], line: 29 });
    expect(attr(fic.body, "audiences").expression).toMatchObject({ kind: "tuple", items: [{ kind: "string", value: "api://AzureADTokenExchange" }] });
    const subject = attr(fic.body, "subject");
    expect(subject.line).toBe(33);
    const ref = (raw: string, parts: string[]): HclExpression => ({ kind: "reference", raw, parts, line: 33 });
    expect(subject.expression).toEqual({
      kind: "template",
      raw: '"organization:${local.org}:pipeline:${buildkite_pipeline.deploy.slug}:ref:refs/heads/${each.key}:*"',
      parts: [
        { kind: "literal", value: "organization:" },
        { kind: "interpolation", expression: ref("local.org", ["local", "org"]) },
        { kind: "literal", value: ":pipeline:" },
        { kind: "interpolation", expression: ref("buildkite_pipeline.deploy.slug", ["buildkite_pipeline", "deploy", "slug"]) },
        { kind: "literal", value: ":ref:refs/heads/" },
        { kind: "interpolation", expression: ref("each.key", ["each", "key"]) },
        { kind: "literal", value: ":*" },
      ],
      line: 33,
    });

    const flex = block(body, "resource", "azuread_application_flexible_federated_identity_credential", "flex");
    expect(attr(flex.body, "audience").expression).toMatchObject({ kind: "string", value: "api://AzureADTokenExchange" });
    expect(attr(flex.body, "claims_matching_expression")).toMatchObject({
      line: 41,
      expression: { kind: "string", value: "claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/heads/*'" },
    });

    const old = block(body, "resource", "azurerm_federated_identity_credential", "old");
    expect(attr(old.body, "parent_id").expression).toEqual({
      kind: "reference",
      raw: "azurerm_user_assigned_identity.uai.id",
      parts: ["azurerm_user_assigned_identity", "uai", "id"],
      line: 47,
    });
    const neu = block(body, "resource", "azurerm_federated_identity_credential", "new");
    expect(attr(neu.body, "user_assigned_identity_id").expression).toEqual({
      kind: "reference",
      raw: "azurerm_user_assigned_identity.uai[0].id",
      parts: ["azurerm_user_assigned_identity", "uai", "[0]", "id"],
      line: 55,
    });
  });

  it("reads role assignments (name, id, heredoc condition) and storage settings", () => {
    const { body } = read(MAIN);
    const byName = block(body, "resource", "azurerm_role_assignment", "by_name");
    expect(attr(byName.body, "role_definition_name").expression).toMatchObject({ kind: "string", value: "Storage Blob Data Contributor", line: 63 });
    expect(attr(byName.body, "principal_id").expression).toMatchObject({ kind: "reference", parts: ["azurerm_user_assigned_identity", "uai", "principal_id"] });
    expect(attr(byName.body, "condition")).toEqual({
      name: "condition",
      line: 66,
      expression: { kind: "string", value: "(\n  @Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'\n)\n", line: 66 },
    });
    const byId = block(body, "resource", "azurerm_role_assignment", "by_id");
    expect(attr(byId.body, "role_definition_id").expression).toMatchObject({ kind: "string", value: "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635" });
    expect(attr(byId.body, "principal_id").expression).toMatchObject({ kind: "reference", parts: ["azurerm_user_assigned_identity", "uai", "*", "principal_id"] });

    const sa = block(body, "resource", "azurerm_storage_account", "sa");
    expect(sa.line).toBe(79);
    expect(attr(sa.body, "shared_access_key_enabled")).toMatchObject({ line: 81, expression: { kind: "bool", value: false } });
    expect(attr(sa.body, "min_tls_version").expression).toEqual({ kind: "null", line: 82 });
  });

  it("reads a .tfvars file as top-level attributes", () => {
    const { body, diagnostics } = read('mode = "deployment"\nbranches = ["main", "release/*"]\nforks = false\n', "prod.tfvars");
    expect(diagnostics).toEqual([]);
    expect(body.blocks).toEqual([]);
    expect(body.attributes.map((a) => [a.name, a.line, a.expression.kind])).toEqual([
      ["mode", 1, "string"],
      ["branches", 2, "tuple"],
      ["forks", 3, "bool"],
    ]);
  });

  it("keeps escapes, operators and for expressions apart from literals", () => {
    const { body } = read('a = "q\\"\\u00e9$${x}"\nb = var.mode == "code" ? 1 : 2\nc = [for b in var.branches : upper(b)]\nd = (local.x)\ne = "${"a"}"\n');
    expect(attr(body, "a").expression).toEqual({ kind: "string", value: 'q"é${x}', line: 1 });
    expect(attr(body, "b").expression).toEqual({
      kind: "conditional",
      raw: 'var.mode == "code" ? 1 : 2',
      condition: {
        kind: "binary",
        raw: 'var.mode == "code"',
        op: "==",
        left: { kind: "reference", raw: "var.mode", parts: ["var", "mode"], line: 2 },
        right: { kind: "string", value: "code", line: 2 },
        line: 2,
      },
      then: { kind: "number", value: 1, raw: "1", line: 2 },
      else: { kind: "number", value: 2, raw: "2", line: 2 },
      line: 2,
    });
    expect(attr(body, "c").expression).toMatchObject({ kind: "for", form: "tuple", valueVar: "b", collection: { kind: "reference", parts: ["var", "branches"] }, value: { kind: "call", name: "upper" } });
    expect(attr(body, "d").expression).toMatchObject({ kind: "reference", parts: ["local", "x"] });
    expect(attr(body, "e").expression.kind).toBe("template");
  });

  it("reads template parts, operators, for expressions and accessors on any expression", () => {
    const src = [
      'a = "x-${var.p}-%{ if c }y%{ endif }\\n"',
      "b = !(1 + 2 * -var.n >= 3) || var.f",
      'c = {for k, v in var.m : upper(k) => v... if v != ""}',
      "d = buildkite_pipeline.p[each.key].uuid",
      "e = foo(1)[0].bar",
      "f = [for s in var.l : s][*].id",
      "g = { (var.k) = 1, plain = 2 }",
      "h = <<-EOT",
      "    one ${var.x}",
      "      two",
      "    EOT",
      "",
    ].join("\n");
    const { body, diagnostics } = read(src);
    expect(diagnostics).toEqual([]);
    const a = attr(body, "a").expression;
    expect(a.kind === "template" && a.parts).toEqual([
      { kind: "literal", value: "x-" },
      { kind: "interpolation", expression: { kind: "reference", raw: "var.p", parts: ["var", "p"], line: 1 } },
      { kind: "literal", value: "-" },
      { kind: "directive", raw: "%{ if c }y%{ endif }" },
      { kind: "literal", value: "\n" },
    ]);
    expect(attr(body, "b").expression).toMatchObject({
      kind: "binary",
      op: "||",
      left: { kind: "unary", op: "!", operand: { kind: "binary", op: ">=", left: { kind: "binary", op: "+", right: { kind: "binary", op: "*", right: { kind: "unary", op: "-" } } } } },
      right: { kind: "reference", parts: ["var", "f"] },
    });
    expect(attr(body, "c").expression).toMatchObject({ kind: "for", form: "object", keyVar: "k", valueVar: "v", key: { kind: "call", name: "upper" }, group: true, condition: { kind: "binary", op: "!=" } });
    expect(attr(body, "d").expression).toMatchObject({
      kind: "getattr",
      name: "uuid",
      raw: "buildkite_pipeline.p[each.key].uuid",
      target: { kind: "index", target: { kind: "reference", parts: ["buildkite_pipeline", "p"] }, key: { kind: "reference", parts: ["each", "key"] } },
    });
    expect(attr(body, "e").expression).toMatchObject({ kind: "getattr", name: "bar", target: { kind: "index", target: { kind: "call", name: "foo" }, key: { kind: "number", value: 0 } } });
    expect(attr(body, "f").expression).toMatchObject({ kind: "splat", parts: ["id"], target: { kind: "for" } });
    const g = attr(body, "g").expression;
    expect(g.kind === "object" && g.items.map((i) => [i.key, i.keyExpression?.kind])).toEqual([
      ["(var.k)", "reference"],
      ["plain", undefined],
    ]);
    const h = attr(body, "h").expression;
    expect(h.kind === "template" && h.parts).toEqual([
      { kind: "literal", value: "one " },
      { kind: "interpolation", expression: { kind: "reference", raw: "var.x", parts: ["var", "x"], line: 9 } },
      { kind: "literal", value: "\n  two\n" },
    ]);
  });

  it("reports a syntax error once, at its line, and still reads the rest", () => {
    const { body, diagnostics } = read('locals {\n  a = 1\n}\n\nresource "x" "y" {\n  name = \n  ok = true\n}\n', "bad.tf");
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ file: "bad.tf", line: 6 });
    expect(diagnostics[0]!.message).toMatch(/^not valid HCL: /);
    expect(attr(block(body, "locals").body, "a").expression).toMatchObject({ kind: "number", value: 1 });
  });

  it("reports an unclosed block as missing its brace", () => {
    const { diagnostics } = read('a = 1\nresource "x" "y" {\n  b = 2\n');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.message).toBe('not valid HCL: missing "}"');
  });

  it("stops at deep nesting with a diagnostic instead of overflowing the stack", () => {
    const n = 10_000;
    const { body, diagnostics } = read(`x = ${"[".repeat(n)}${"]".repeat(n)}\n`);
    expect(diagnostics).toEqual([{ file: "main.tf", line: 1, message: `not read beyond ${MAX_HCL_DEPTH} levels of nesting` }]);
    expect(attr(body, "x").expression.kind).toBe("tuple");
    const blocks = read(`${"a {\n".repeat(n)}${"}\n".repeat(n)}`);
    expect(blocks.diagnostics.map((d) => d.message)).toEqual([`not read beyond ${MAX_HCL_DEPTH} levels of nesting`]);
    const parens = read(`x = ${"(".repeat(n)}1${")".repeat(n)}\n`);
    expect(parens.diagnostics.map((d) => d.message)).toEqual([`not read beyond ${MAX_HCL_DEPTH} levels of nesting`]);
  });

  it("reads a heredoc of many lines and long blank runs (no stack overflow, no quadratic trim)", () => {
    const lines = 300_000;
    const { body, diagnostics } = read(`x = <<-EOT\n${"    a\n".repeat(lines)}EOT\ny = <<EOT\n${" ".repeat(200_000)}b  \t\nEOT\n`);
    expect(diagnostics).toEqual([]);
    const x = attr(body, "x").expression;
    expect(x.kind === "string" && x.value.split("\n").length).toBe(lines + 1); // the last line ends with a newline
    expect(x.kind === "string" && x.value.startsWith("a\na\n")).toBe(true);
    const y = attr(body, "y").expression;
    expect(y.kind === "string" && y.value).toBe(`${" ".repeat(200_000)}b  \t\n`);
  });

  it("refuses input over the size cap without parsing it", () => {
    const { body, diagnostics } = read(`x = "${"a".repeat(5 * 1024 * 1024)}"\n`);
    expect(body).toEqual({ blocks: [], attributes: [] });
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.message).toMatch(/^not read: larger than \d+ bytes$/);
  });

  it("never throws on arbitrary text", () => {
    const hclish = fc.array(fc.constantFrom("a", " = ", "{", "}", "[", "]", '"', "${", "\n", "<<EOT\n", "EOT", ",", ".", "#", "x(", ")", "1", "é"), { maxLength: 40 }).map((p) => p.join(""));
    fc.assert(
      fc.property(fc.oneof(fc.string(), hclish), (text) => {
        const r = read(text);
        for (const d of r.diagnostics) expect(d.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 60 },
    );
  });
});
