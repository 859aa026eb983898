import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { DeclaredConfiguration, DeclaredResource, TfValue } from "../../src/repo/terraform/declared.ts";
import { loadHclParser, type HclParser } from "../../src/repo/terraform/read-hcl.ts";
import { readTerraformConfigurations } from "../../src/repo/terraform/read-config.ts";
import type { TemplateHost } from "../../src/repo/templates/index.ts";

let parser: HclParser;
beforeAll(async () => {
  parser = await loadHclParser();
});

function hostOf(files: Record<string, string>): TemplateHost {
  return {
    read: (path) => (Object.hasOwn(files, path) ? { text: files[path]! } : undefined),
    list: (dir) =>
      Object.keys(files)
        .filter((p) => (dir === "" ? !p.includes("/") : p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes("/")))
        .map((p) => p.slice(p.lastIndexOf("/") + 1)),
  };
}

function run(files: Record<string, string>): DeclaredConfiguration[] {
  return readTerraformConfigurations(Object.keys(files), hostOf(files), parser);
}

function only(files: Record<string, string>): DeclaredConfiguration {
  const configs = run(files);
  expect(configs).toHaveLength(1);
  return configs[0]!;
}

function res(c: DeclaredConfiguration, address: string): DeclaredResource {
  const r = c.resources.find((x) => x.address === address);
  if (!r) throw new Error(`no ${address} in ${c.resources.map((x) => x.address).join(", ")}`);
  return r;
}

const s = (v: string): TfValue => ({ k: "str", s: v });
const n = (v: number): TfValue => ({ k: "num", n: v });

describe("readTerraformConfigurations", () => {
  it("applies defaults, terraform.tfvars, *.auto.tfvars in order, and one configuration per other var file", () => {
    const files = {
      "infra/main.tf": `
variable "env" { default = "dev" }
variable "region" { default = "westeurope" }
variable "tier" { default = "basic" }
variable "owner" {}
resource "azurerm_resource_group" "rg" {
  name     = "rg-\${var.env}-\${var.region}"
  tags     = { tier = var.tier, owner = var.owner }
}
`,
      "infra/terraform.tfvars": 'env = "test"\ntier = "tfvars"\n',
      "infra/b.auto.tfvars": 'tier = "auto-b"\n',
      "infra/a.auto.tfvars": 'tier = "auto-a"\nregion = "northeurope"\n',
      "infra/prod.tfvars": 'env = "prod"\nowner = "ops"\n',
      "infra/stage.tfvars.json": '{ "env": "stage", "tier": "json" }',
    };
    const configs = run(files);
    expect(configs.map((c) => [c.root, c.varFile])).toEqual([
      ["infra", undefined],
      ["infra", "infra/prod.tfvars"],
      ["infra", "infra/stage.tfvars.json"],
    ]);
    const [base, prod, stage] = configs as [DeclaredConfiguration, DeclaredConfiguration, DeclaredConfiguration];
    const rg = res(base, "azurerm_resource_group.rg");
    expect(rg.attributes["name"]).toEqual(s("rg-test-northeurope"));
    const tags = rg.attributes["tags"];
    expect(tags?.k === "map" && tags.entries[0]).toEqual(["tier", s("auto-b")]);
    expect(tags?.k === "map" && tags.entries[1]![1]).toMatchObject({ k: "unknown", raw: "var.owner", why: "variable 'owner' has no value in the repository" });
    expect(res(prod, "azurerm_resource_group.rg").attributes["name"]).toEqual(s("rg-prod-northeurope"));
    expect(res(prod, "azurerm_resource_group.rg").attributes["tags"]).toEqual({ k: "map", entries: [["tier", s("auto-b")], ["owner", s("ops")]] });
    expect(res(stage, "azurerm_resource_group.rg").attributes["tags"]).toMatchObject({ entries: [["tier", s("json")], ["owner", { k: "unknown" }]] });
    expect(base.resources[0]!.location).toEqual({ file: "infra/main.tf", line: 6 });
  });

  it("caps var-file variants with a note", () => {
    const files: Record<string, string> = { "main.tf": 'resource "x" "y" {}\n' };
    for (let i = 0; i < 10; i++) files[`v${i}.tfvars`] = "a = 1\n";
    const configs = run(files);
    expect(configs).toHaveLength(9);
    expect(configs[0]!.diagnostics).toEqual([expect.objectContaining({ file: "v8.tfvars", note: true, message: expect.stringMatching(/only 8 var files .* 2 more \(v8\.tfvars, v9\.tfvars\)/) })]);
  });

  it("evaluates locals lazily, with functions, conditionals, for expressions and a cycle as unknown", () => {
    const c = only({
      "main.tf": `
locals {
  names  = toset(["a", "b", "a"])
  upper  = [for n in local.names : upper(n) if n != "b"]
  byName = { for n in local.names : n => length(n) }
  merged = merge({ x = 1 }, { y = 2 }, { x = 3 })
  fmt    = format("%s-%d-%v", "p", 7, true)
  joined = join(",", concat(["a"], split("/", "b/c")))
  picked = var.on ? "yes" : "no"
  math   = (1 + 2) * 3 % 5 == 4 && !false
  loopA  = local.loopB
  loopB  = local.loopA
  json   = jsonencode({ b = [1, "<"], a = null })
  tried  = try(local.merged.nope, "fallback")
  cidr   = cidrsubnet("10.0.0.0/16", 8, 1)
  flat   = distinct(flatten([["x", ["y"]], "x"]))
  keys   = keys({ b = 1, a = 2 })
  look   = lookup({ a = "1" }, "b", "dflt")
  co     = coalesce("", null, "c")
  el     = element(["p", "q"], 3)
  has    = contains(["p"], "p")
  conv   = [tostring(1), tonumber("2"), tobool("true"), trimspace("  t "), replace("a.b.c", ".", "-"), lower("Q")]
  ws     = "\${terraform.workspace}:\${path.module}:\${path.root}"
}
variable "on" { default = true }
resource "t" "r" {
  upper  = local.upper
  byName = local.byName
  merged = local.merged
  fmt    = local.fmt
  joined = local.joined
  picked = local.picked
  math   = local.math
  loop   = local.loopA
  json   = local.json
  tried  = local.tried
  cidr   = local.cidr
  flat   = local.flat
  keys   = local.keys
  look   = local.look
  co     = local.co
  el     = local.el
  has    = local.has
  conv   = local.conv
  ws     = local.ws
}
`,
    });
    const a = res(c, "t.r").attributes;
    expect(a["upper"]).toEqual({ k: "list", items: [s("A")] });
    expect(a["byName"]).toEqual({ k: "map", entries: [["a", n(1)], ["b", n(1)]] });
    expect(a["merged"]).toEqual({ k: "map", entries: [["x", n(3)], ["y", n(2)]] });
    expect(a["fmt"]).toEqual(s("p-7-true"));
    expect(a["joined"]).toEqual(s("a,b,c"));
    expect(a["picked"]).toEqual(s("yes"));
    expect(a["math"]).toEqual({ k: "bool", b: true });
    expect(a["loop"]).toMatchObject({ k: "unknown", why: expect.stringMatching(/refers to itself/) });
    expect(a["json"]).toEqual(s('{"a":null,"b":[1,"\\u003c"]}'));
    expect(a["tried"]).toEqual(s("fallback"));
    expect(a["cidr"]).toEqual({ k: "unknown", raw: 'cidrsubnet("10.0.0.0/16", 8, 1)', why: "function 'cidrsubnet' is not evaluated" });
    expect(a["flat"]).toEqual({ k: "list", items: [s("x"), s("y")] });
    expect(a["keys"]).toEqual({ k: "list", items: [s("a"), s("b")] });
    expect(a["look"]).toEqual(s("dflt"));
    expect(a["co"]).toEqual(s("c"));
    expect(a["el"]).toEqual(s("q"));
    expect(a["has"]).toEqual({ k: "bool", b: true });
    expect(a["conv"]).toEqual({ k: "list", items: [s("1"), n(2), { k: "bool", b: true }, s("t"), s("a-b-c"), s("q")] });
    expect(a["ws"]).toEqual(s("default:.:."));
  });

  it("expands for_each over a map and a toset, and count with a conditional", () => {
    const c = only({
      "main.tf": `
variable "envs" { default = { prod = "p-sub", dev = "d-sub" } }
variable "enabled" { default = false }
resource "azurerm_role_assignment" "env" {
  for_each     = var.envs
  scope        = "/subscriptions/\${each.value}"
  principal_id = each.key
}
resource "azuread_application_federated_identity_credential" "bk" {
  for_each = toset(["main", "release"])
  subject  = "ref:refs/heads/\${each.key}"
}
resource "x" "maybe" {
  count = var.enabled ? 1 : 0
}
resource "x" "two" {
  count = 2
  name  = "n\${count.index}"
}
`,
    });
    expect(c.resources.map((r) => r.address)).toEqual([
      'azurerm_role_assignment.env["prod"]',
      'azurerm_role_assignment.env["dev"]',
      'azuread_application_federated_identity_credential.bk["main"]',
      'azuread_application_federated_identity_credential.bk["release"]',
      "x.two[0]",
      "x.two[1]",
    ]);
    expect(res(c, 'azurerm_role_assignment.env["dev"]').attributes).toEqual({ scope: s("/subscriptions/d-sub"), principal_id: s("dev") });
    expect(res(c, 'azuread_application_federated_identity_credential.bk["release"]').attributes["subject"]).toEqual(s("ref:refs/heads/release"));
    expect(res(c, "x.two[1]").attributes["name"]).toEqual(s("n1"));
    expect(c.diagnostics).toEqual([]);
  });

  it("reads a resource with an unknown loop once, with a loop note", () => {
    const c = only({
      "main.tf": `
variable "branches" {}
resource "x" "y" {
  for_each = toset(var.branches)
  subject  = "ref:\${each.key}"
  name     = "fixed"
}
resource "t" "use" {
  picked = x.y["main"].name
  all    = x.y.name
  id     = x.y["main"].id
}
`,
    });
    expect(c.resources.map((r) => r.address)).toEqual(["x.y", "t.use"]);
    expect(res(c, "t.use").attributes).toEqual({
      picked: s("fixed"),
      all: { k: "unknown", raw: "x.y.name", why: "x.y has several instances (for_each or count) and no index" },
      id: { k: "ref", address: "x.y", attribute: "id" },
    });
    expect(c.resources[0]!.attributes["subject"]).toMatchObject({ k: "unknown", raw: '"ref:${each.key}"' });
    expect(c.diagnostics).toEqual([
      {
        file: "main.tf",
        line: 4,
        note: true,
        kind: "loop",
        message: "the for_each of 'x.y' could not be evaluated (variable 'branches' has no value in the repository); it is read once",
      },
    ]);
  });

  it("resolves references: configured attributes to values, computed ones to refs, indexed and splat", () => {
    const c = only({
      "main.tf": `
resource "azurerm_resource_group" "rg" { name = "rg-ci" }
resource "buildkite_pipeline" "deploy" { name = "deploy" }
resource "buildkite_pipeline" "p" {
  for_each = toset(["a", "b"])
  name     = "pipe-\${each.key}"
}
resource "azurerm_user_assigned_identity" "uai" {
  count = 2
  name  = "uai\${count.index}"
  identity { type = "SystemAssigned" }
}
resource "t" "use" {
  rg         = azurerm_resource_group.rg.name
  uuid       = buildkite_pipeline.deploy.uuid
  other_name = buildkite_pipeline.p["b"].name
  subject    = "pipeline:\${buildkite_pipeline.deploy.uuid}:x"
  names      = azurerm_user_assigned_identity.uai[*].name
  ids        = azurerm_user_assigned_identity.uai[*].principal_id
  nested     = azurerm_user_assigned_identity.uai[1].identity[0].principal_id
  kind       = azurerm_user_assigned_identity.uai[0].identity[0].type
  noindex    = buildkite_pipeline.p.uuid
  missing    = azurerm_key_vault.kv.id
  data       = data.buildkite_organization.o.uuid
}
data "buildkite_organization" "o" {}
resource "t" "loop" {
  for_each  = toset(["a", "b"])
  pipeline  = buildkite_pipeline.p[each.key].uuid
  same_name = buildkite_pipeline.p[each.key].name
}
`,
    });
    const a = res(c, "t.use").attributes;
    expect(a["rg"]).toEqual(s("rg-ci"));
    expect(a["uuid"]).toEqual({ k: "ref", address: "buildkite_pipeline.deploy", attribute: "uuid" });
    expect(a["other_name"]).toEqual(s("pipe-b"));
    expect(a["subject"]).toEqual({
      k: "unknown",
      raw: '"pipeline:${buildkite_pipeline.deploy.uuid}:x"',
      why: "buildkite_pipeline.deploy.uuid is only known after apply",
      refs: [{ address: "buildkite_pipeline.deploy", attribute: "uuid" }],
    });
    expect(a["names"]).toEqual({ k: "list", items: [s("uai0"), s("uai1")] });
    expect(a["ids"]).toEqual({
      k: "list",
      items: [
        { k: "ref", address: "azurerm_user_assigned_identity.uai[0]", attribute: "principal_id" },
        { k: "ref", address: "azurerm_user_assigned_identity.uai[1]", attribute: "principal_id" },
      ],
    });
    expect(a["nested"]).toEqual({ k: "ref", address: "azurerm_user_assigned_identity.uai[1]", attribute: "identity[0].principal_id" });
    expect(a["kind"]).toEqual(s("SystemAssigned"));
    expect(a["noindex"]).toMatchObject({ k: "unknown", why: expect.stringMatching(/several instances/) });
    expect(a["missing"]).toMatchObject({ k: "unknown", why: "azurerm_key_vault.kv is not in the configuration" });
    expect(a["data"]).toEqual({ k: "ref", address: "data.buildkite_organization.o", attribute: "uuid" });
    expect(res(c, 'buildkite_pipeline.p["a"]').attributes["name"]).toEqual(s("pipe-a"));
    expect(res(c, "data.buildkite_organization.o")).toMatchObject({ mode: "data", type: "buildkite_organization", name: "o" });
    const loopB = res(c, 't.loop["b"]').attributes;
    expect(loopB["pipeline"]).toEqual({ k: "ref", address: 'buildkite_pipeline.p["b"]', attribute: "uuid" });
    expect(loopB["same_name"]).toEqual(s("pipe-b"));
    expect(res(c, "azurerm_user_assigned_identity.uai[0]").attributes["identity"]).toEqual({ k: "list", items: [{ k: "map", entries: [["type", s("SystemAssigned")]] }] });
  });

  it("keeps a reference cycle between resources finite", () => {
    const c = only({ "main.tf": 'resource "a" "x" { v = b.y.v }\nresource "b" "y" { v = a.x.v }\n' });
    expect(res(c, "a.x").attributes["v"]).toMatchObject({ k: "unknown", why: "it refers to itself" });
  });

  it("evaluates local modules: inputs, outputs, nested addresses and calledFrom", () => {
    const c = only({
      "infra/main.tf": `
locals { org = "acme" }
module "ci" {
  source   = "./modules/ci"
  for_each = toset(["prod"])
  org      = local.org
  env      = each.key
}
resource "t" "use" {
  app = module.ci["prod"].app_id
  pipeline_name = module.ci["prod"].pipeline_name
}
`,
      "infra/modules/ci/main.tf": `
variable "org" {}
variable "env" {}
variable "suffix" { default = "x" }
resource "azuread_application" "app" { display_name = "\${var.org}-\${var.env}-\${var.suffix}" }
module "inner" {
  source = "../inner"
  name   = azuread_application.app.display_name
}
output "app_id" { value = azuread_application.app.client_id }
output "pipeline_name" { value = module.inner.name }
`,
      "infra/modules/inner/main.tf": `
variable "name" {}
resource "buildkite_pipeline" "p" { name = var.name }
output "name" { value = buildkite_pipeline.p.name }
`,
    });
    expect(c.root).toBe("infra");
    expect(c.resources.map((r) => r.address)).toEqual([
      'module.ci["prod"].azuread_application.app',
      'module.ci["prod"].module.inner.buildkite_pipeline.p',
      "t.use",
    ]);
    const app = res(c, 'module.ci["prod"].azuread_application.app');
    expect(app).toMatchObject({ module: 'module.ci["prod"]', location: { file: "infra/modules/ci/main.tf", line: 5 }, calledFrom: [{ file: "infra/main.tf", line: 3 }] });
    expect(app.attributes["display_name"]).toEqual(s("acme-prod-x"));
    const inner = res(c, 'module.ci["prod"].module.inner.buildkite_pipeline.p');
    expect(inner.module).toBe('module.ci["prod"].module.inner');
    expect(inner.calledFrom).toEqual([
      { file: "infra/main.tf", line: 3 },
      { file: "infra/modules/ci/main.tf", line: 6 },
    ]);
    expect(inner.attributes["name"]).toEqual(s("acme-prod-x"));
    const use = res(c, "t.use").attributes;
    expect(use["app"]).toEqual({ k: "ref", address: 'module.ci["prod"].azuread_application.app', attribute: "client_id" });
    expect(use["pipeline_name"]).toEqual(s("acme-prod-x"));
    expect(c.diagnostics).toEqual([]);
  });

  it("notes registry modules, missing local modules, providers, dynamic blocks and ignored blocks", () => {
    const c = only({
      "main.tf": `
provider "azurerm" {
  features {}
  subscription_id = "sub"
}
provider "azurerm" {
  alias = "other"
}
module "net" {
  source  = "hashicorp/network/azurerm"
  version = "1.0"
}
module "gone" { source = "./nowhere" }
resource "x" "y" {
  lifecycle { ignore_changes = [name] }
  depends_on = [module.net]
  dynamic "rule" {
    for_each = [1]
    content { a = 1 }
  }
  setting { a = 1 }
  setting { a = 2 }
}
`,
    });
    expect(c.providers).toEqual([
      { name: "azurerm", module: "", attributes: { subscription_id: s("sub"), features: { k: "list", items: [{ k: "map", entries: [] }] } }, location: { file: "main.tf", line: 2 } },
      { name: "azurerm", alias: "other", module: "", attributes: { alias: s("other") }, location: { file: "main.tf", line: 6 } },
    ]);
    expect(res(c, "x.y").attributes).toEqual({ setting: { k: "list", items: [{ k: "map", entries: [["a", n(1)]] }, { k: "map", entries: [["a", n(2)]] }] } });
    expect(c.diagnostics).toEqual([
      { file: "main.tf", line: 9, note: true, kind: "registry-module", message: "module 'net' comes from the registry (hashicorp/network/azurerm); its resources are not in the repository" },
      { file: "main.tf", line: 13, note: true, kind: "not-in-repository", message: "module 'gone' (./nowhere) is not in the repository; its resources are not read" },
      { file: "main.tf", line: 17, note: true, kind: "loop", message: "dynamic block 'rule' is not read" },
    ]);
  });

  it("reports a broken file once as a gap with its line, across var-file variants", () => {
    const configs = run({
      "main.tf": 'resource "x" "ok" { a = 1 }\nresource "x" "y" {\n  name = \n}\n',
      "prod.tfvars": "a = 1\n",
      "x.tf.json": "{}",
      "main_override.tf": 'resource "x" "ok" { a = 2 }\n',
    });
    expect(configs).toHaveLength(2);
    const all = configs.flatMap((c) => c.diagnostics);
    expect(all.filter((d) => !d.note)).toEqual([{ file: "main.tf", line: 3, message: expect.stringMatching(/^not valid HCL/) }]);
    expect(all.filter((d) => d.note).map((d) => [d.file, d.kind])).toEqual([
      ["main_override.tf", "other"],
      ["x.tf.json", "other-language"],
    ]);
    expect(res(configs[0]!, "x.ok").attributes["a"]).toEqual(n(1));
  });

  it("treats a directory called by another as a module, not a root", () => {
    const configs = run({ "a/main.tf": 'module "m" { source = "../shared" }\n', "shared/main.tf": 'resource "x" "y" {}\n', "b/main.tf": 'resource "x" "z" {}\n' });
    expect(configs.map((c) => [c.root, c.resources.map((r) => r.address)])).toEqual([
      ["a", ["module.m.x.y"]],
      ["b", ["x.z"]],
    ]);
  });

  it("stops module recursion at a cycle and at depth 8", () => {
    const cyc = only({ "main.tf": 'module "a" { source = "./a" }\n', "a/main.tf": 'module "b" { source = "../b" }\n', "b/main.tf": 'module "a" { source = "../a" }\n' });
    expect(cyc.diagnostics).toEqual([expect.objectContaining({ file: "b/main.tf", kind: "other", message: expect.stringMatching(/calls itself/) })]);
    const deep: Record<string, string> = { "main.tf": 'module "m" { source = "./m0" }\n' };
    for (let i = 0; i < 12; i++) deep[`m${i}/main.tf`] = `resource "x" "r" {}\nmodule "m" { source = "../m${i + 1}" }\n`;
    const d = only(deep);
    expect(d.resources).toHaveLength(8);
    expect(d.diagnostics).toEqual([expect.objectContaining({ file: "m7/main.tf", message: expect.stringMatching(/nested more than 8 deep/) })]);
  });

  it("stays bounded on a huge literal loop, a long chain of locals and doubling strings", () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `"k${i}"`).join(",");
    const big = only({ "main.tf": `resource "x" "y" {\n  for_each = toset([${keys}])\n  v = each.key\n}\n` });
    expect(big.resources).toHaveLength(1000);
    expect(big.diagnostics).toEqual([expect.objectContaining({ kind: "loop", message: "'x.y' has 5000 instances; only the first 1000 are read" })]);

    const chain = Array.from({ length: 3000 }, (_, i) => `  l${i} = local.l${i + 1}`).join("\n");
    const long = only({ "main.tf": `locals {\n${chain}\n  l3000 = "end"\n}\nresource "x" "y" { v = local.l0 }\n` });
    expect(res(long, "x.y").attributes["v"]).toMatchObject({ k: "unknown", why: "references nested too deeply to evaluate" });

    const dbl = Array.from({ length: 40 }, (_, i) => `  d${i + 1} = "\${local.d${i}}\${local.d${i}}"`).join("\n");
    const doubling = only({ "main.tf": `locals {\n  d0 = "ab"\n${dbl}\n}\nresource "x" "y" { v = local.d40 }\n` });
    expect(res(doubling, "x.y").attributes["v"]).toMatchObject({ k: "unknown", why: expect.stringMatching(/longer than/) });

    const lists = Array.from({ length: 40 }, (_, i) => `  p${i + 1} = concat(local.p${i}, local.p${i})`).join("\n");
    const listBomb = only({ "main.tf": `locals {\n  p0 = [1]\n${lists}\n}\nresource "x" "y" { v = length(flatten([local.p40])) }\n` });
    expect(res(listBomb, "x.y").attributes["v"]).toMatchObject({ k: "unknown", why: expect.stringMatching(/more than 10000 items/) });

    // Cubic work from a small text: the budget ends it with one gap, and what was read before stays.
    const items = Array.from({ length: 300 }, (_, i) => i).join(",");
    const cubic = only({ "main.tf": `resource "x" "first" {}
locals { l = [${items}] }
resource "x" "y" { v = [for a in local.l : [for b in local.l : [for c in local.l : 1]]] }
` });
    expect(cubic.resources.map((r) => r.address)).toEqual(["x.first"]);
    expect(cubic.diagnostics).toEqual([{ file: "main.tf", line: 3, message: "evaluation stopped at the work limit; resources after this point are not reported" }]);
  });

  it("never throws on random text", () => {
    const hclish = fc
      .array(fc.constantFrom("resource", ' "x" ', "{", "}", "[", "]", "for_each = ", "count = ", "local.a", "var.b", "module", " source = ", '"./m"', "\n", "${", ",", ".", "(", ")", "1", "?", ":", "=", "toset(", "x.y.z", "[*]"), {
        maxLength: 40,
      })
      .map((p) => p.join(""));
    fc.assert(
      fc.property(fc.oneof(fc.string(), hclish), hclish, (main, mod) => {
        const configs = run({ "main.tf": main, "m/main.tf": mod, "terraform.tfvars": main });
        for (const c of configs) for (const d of c.diagnostics) expect(d.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 80 },
    );
  });
});

describe("yamldecode", () => {
  it("gives binary as base64 and timestamps as RFC 3339 text, as Terraform does; a non-finite number is unknown", () => {
    const c = only({
      "main.tf": 'locals {\n  d = yamldecode("when: !!timestamp 2026-12-01T00:00:00Z\\nblob: !!binary aGVsbG8=\\nbig: .inf\\n")\n}\nresource "x" "y" {\n  a = local.d.blob\n  b = local.d.when\n  c = local.d.big\n}\n',
    });
    const r = res(c, "x.y");
    expect(r.attributes["a"]).toEqual(s("aGVsbG8="));
    expect(r.attributes["b"]).toEqual(s("2026-12-01T00:00:00.000Z"));
    expect(r.attributes["c"]?.k).toBe("unknown");
  });
});

