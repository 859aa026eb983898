import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DeclaredConfiguration, DeclaredResource, TfValue } from "../../src/repo/terraform/declared.ts";
import { readTerraformPlan } from "../../src/repo/terraform/read-plan.ts";
import { MAX_PLAN_BYTES } from "../../src/repo/terraform/read-plan.ts";

const SECRET = "Zq8~app-password-NEVER-print-4417";
const API_TOKEN = "bkua_0123456789abcdef0123456789abcdef01234567";
const AFTER_APPLY: TfValue = { k: "unknown", raw: "(known after apply)", why: "known only after apply" };
const SENSITIVE: TfValue = { k: "unknown", raw: "(sensitive value)", why: "sensitive" };
const ref = (address: string, attribute: string): TfValue => ({ k: "ref", address, attribute });
const str = (s: string): TfValue => ({ k: "str", s });

/** One `resource_changes` entry in HashiCorp's documented shape. */
function change(address: string, actions: string[], after: unknown, extra: { unknown?: unknown; sensitive?: unknown; before?: unknown; module?: string; index?: string | number } = {}): object {
  const local = extra.module ? address.slice(extra.module.length + 1) : address;
  const [type, nameWithIndex] = local.startsWith("data.") ? local.slice(5).split(".") : local.split(".");
  return {
    address,
    ...(extra.module ? { module_address: extra.module } : {}),
    mode: local.startsWith("data.") ? "data" : "managed",
    type,
    name: nameWithIndex!.replace(/\[.*$/, ""),
    ...(extra.index !== undefined ? { index: extra.index } : {}),
    provider_name: `registry.terraform.io/buildkite/${type!.split("_")[0]}`,
    change: { actions, before: extra.before ?? null, after, after_unknown: extra.unknown ?? {}, before_sensitive: false, after_sensitive: extra.sensitive ?? {} },
  };
}

const refs = (...r: string[]): object => ({ references: r });
const constant = (v: unknown): object => ({ constant_value: v });

/** A plan for a Buildkite pipeline trusted by an Entra application, with the cases the reader must handle. */
const PLAN = {
  format_version: "1.2",
  terraform_version: "1.9.5",
  planned_values: { root_module: { resources: [{ address: "azuread_application.deploy", mode: "managed", type: "azuread_application", name: "deploy", values: { display_name: "deploy" } }] } },
  resource_changes: [
    change("buildkite_pipeline.deploy", ["create"], { name: "deploy", repository: "git@github.com:acme/app.git", provider_settings: [{ build_pull_requests: true }] }, { unknown: { uuid: true, id: true, slug: true, provider_settings: [{}] } }),
    change("azuread_application.deploy", ["create"], { display_name: "deploy" }, { unknown: { client_id: true, object_id: true, id: true } }),
    change(
      "azuread_application_federated_identity_credential.deploy",
      ["create"],
      { audiences: ["https://buildkite.com/acme"], issuer: "https://agent.buildkite.com", display_name: "buildkite-deploy" },
      { unknown: { application_id: true, subject: true, id: true, audiences: [false] } },
    ),
    change("azuread_application_password.deploy", ["update"], { display_name: "ci", key_id: "4f1c0c8e-2b1f-4f0e-9d6b-0a1b2c3d4e5f", value: SECRET }, { sensitive: { value: true }, before: { display_name: "old", value: SECRET } }),
    change("buildkite_pipeline.p[\"api\"]", ["create"], { name: "api" }, { index: "api", unknown: { uuid: true } }),
    change("buildkite_pipeline.p[\"web\"]", ["create"], { name: "web" }, { index: "web", unknown: { uuid: true } }),
    change("azuread_application_federated_identity_credential.p[\"api\"]", ["create"], { issuer: "https://agent.buildkite.com" }, { index: "api", unknown: { subject: true } }),
    change("azuread_application_federated_identity_credential.p[\"web\"]", ["create"], { issuer: "https://agent.buildkite.com" }, { index: "web", unknown: { subject: true } }),
    change("azuread_application_federated_identity_credential.byKey[\"web\"]", ["create"], { issuer: "https://agent.buildkite.com" }, { index: "web", unknown: { subject: true, display_name: true } }),
    change("module.ci.buildkite_pipeline.m", ["create"], { name: "m" }, { module: "module.ci", unknown: { uuid: true } }),
    change("module.ci.azuread_application_federated_identity_credential.m", ["create"], { issuer: "https://agent.buildkite.com" }, { module: "module.ci", unknown: { subject: true } }),
    change("azuread_application_federated_identity_credential.from_module", ["create"], { issuer: "https://agent.buildkite.com" }, { unknown: { subject: true } }),
    change("buildkite_pipeline.legacy", ["update"], { name: "legacy-2", uuid: "0b7c1c3e-5d2a-4b8e-9f10-2c3d4e5f6a7b", slug: "legacy" }, { before: { name: "legacy", uuid: "0b7c1c3e-5d2a-4b8e-9f10-2c3d4e5f6a7b" } }),
    change("buildkite_pipeline.old", ["delete"], null, { before: { name: "old", uuid: "9f9f9f9f-0000-4000-8000-000000000000" } }),
    change("buildkite_pipeline.rebuilt", ["delete", "create"], { name: "rebuilt" }, { unknown: { uuid: true } }),
    change("azuread_application_federated_identity_credential.two_refs", ["create"], { issuer: "https://agent.buildkite.com" }, { unknown: { subject: true } }),
  ],
  prior_state: {
    format_version: "1.0",
    terraform_version: "1.9.5",
    values: {
      root_module: {
        resources: [
          { address: "data.buildkite_organization.o", mode: "data", type: "buildkite_organization", name: "o", provider_name: "registry.terraform.io/buildkite/buildkite", values: { uuid: "11111111-2222-4333-8444-555555555555", slug: "acme", token: SECRET }, sensitive_values: { token: true } },
          { address: "buildkite_pipeline.legacy", mode: "managed", type: "buildkite_pipeline", name: "legacy", values: { name: "legacy" } },
        ],
        child_modules: [
          {
            address: "module.ci",
            resources: [{ address: "module.ci.data.azuread_client_config.current", mode: "data", type: "azuread_client_config", name: "current", values: { tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47" }, sensitive_values: {} }],
          },
        ],
      },
    },
  },
  configuration: {
    provider_config: {
      buildkite: { name: "buildkite", full_name: "registry.terraform.io/buildkite/buildkite", expressions: { organization: constant("acme"), api_token: constant(API_TOKEN) } },
      "azuread.ci": { name: "azuread", full_name: "registry.terraform.io/hashicorp/azuread", alias: "ci", expressions: { tenant_id: refs("var.tenant_id"), use_oidc: constant(true), features: [{}] } },
    },
    root_module: {
      resources: [
        { address: "azuread_application_federated_identity_credential.deploy", mode: "managed", type: "azuread_application_federated_identity_credential", name: "deploy", expressions: { application_id: refs("azuread_application.deploy.id", "azuread_application.deploy"), subject: refs("buildkite_pipeline.deploy.uuid", "buildkite_pipeline.deploy") } },
        { address: "azuread_application_federated_identity_credential.p", mode: "managed", type: "azuread_application_federated_identity_credential", name: "p", expressions: { subject: refs("each.value.uuid", "each.value") }, for_each_expression: refs("buildkite_pipeline.p") },
        { address: "azuread_application_federated_identity_credential.byKey", mode: "managed", type: "azuread_application_federated_identity_credential", name: "byKey", expressions: { subject: refs("buildkite_pipeline.p.uuid", "buildkite_pipeline.p"), display_name: refs("buildkite_pipeline.p", "each.key") } },
        { address: "azuread_application_federated_identity_credential.from_module", mode: "managed", type: "azuread_application_federated_identity_credential", name: "from_module", expressions: { subject: refs("module.ci.pipeline_uuid", "module.ci") } },
        {
          address: "azuread_application_federated_identity_credential.two_refs",
          mode: "managed",
          type: "azuread_application_federated_identity_credential",
          name: "two_refs",
          expressions: { subject: refs("data.buildkite_organization.o.slug", "data.buildkite_organization.o", "buildkite_pipeline.deploy.slug", "buildkite_pipeline.deploy") },
        },
      ],
      module_calls: {
        ci: {
          source: "./modules/ci",
          module: {
            outputs: { pipeline_uuid: { expression: refs("buildkite_pipeline.m.uuid", "buildkite_pipeline.m") } },
            resources: [{ address: "azuread_application_federated_identity_credential.m", mode: "managed", type: "azuread_application_federated_identity_credential", name: "m", expressions: { subject: refs("buildkite_pipeline.m.uuid", "buildkite_pipeline.m") } }],
          },
        },
      },
    },
  },
  applyable: true,
  complete: true,
  errored: false,
};

const PRETTY = JSON.stringify(PLAN, null, 2);

function resource(c: DeclaredConfiguration, address: string): DeclaredResource {
  const r = c.resources.find((x) => x.address === address);
  if (!r) throw new Error(`no resource ${address} in ${c.resources.map((x) => x.address).join(", ")}`);
  return r;
}

/** 1-based line of the first line containing `needle` after the line containing `after`. */
function lineOf(text: string, needle: string, after: string): number {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.includes(after));
  return lines.findIndex((l, i) => i > start && l.includes(needle)) + 1;
}

describe("readTerraformPlan: resources", () => {
  const c = readTerraformPlan(PRETTY, "plans/plan.json");

  it("reads a plan as source plan rooted at the file, without diagnostics", () => {
    expect(c.source).toBe("plan");
    expect(c.root).toBe("plans/plan.json");
    expect(c.diagnostics).toEqual([]);
  });

  it("reads planned values of created resources, objects as maps and arrays as lists", () => {
    const p = resource(c, "buildkite_pipeline.deploy");
    expect(p).toMatchObject({ mode: "managed", type: "buildkite_pipeline", name: "deploy", module: "" });
    expect(p.attributes.name).toEqual(str("deploy"));
    expect(p.attributes.provider_settings).toEqual({ k: "list", items: [{ k: "map", entries: [["build_pull_requests", { k: "bool", b: true }]] }] });
    // Its own uuid is only known after apply, and its configuration has no expression for it.
    expect(p.attributes.uuid).toEqual(AFTER_APPLY);
  });

  it("turns values known only after apply into refs to what the configuration references", () => {
    const fic = resource(c, "azuread_application_federated_identity_credential.deploy");
    expect(fic.attributes.subject).toEqual(ref("buildkite_pipeline.deploy", "uuid"));
    expect(fic.attributes.application_id).toEqual(ref("azuread_application.deploy", "id"));
    expect(fic.attributes.audiences).toEqual({ k: "list", items: [str("https://buildkite.com/acme")] });
    expect(fic.attributes.id).toEqual(AFTER_APPLY);
  });

  it("resolves each.value over a for_each resource to the instance with the same key", () => {
    expect(resource(c, 'azuread_application_federated_identity_credential.p["api"]').attributes.subject).toEqual(ref('buildkite_pipeline.p["api"]', "uuid"));
    expect(resource(c, 'azuread_application_federated_identity_credential.p["web"]').attributes.subject).toEqual(ref('buildkite_pipeline.p["web"]', "uuid"));
  });

  it("gives an unindexed reference to an instanced resource the instance with this resource's key", () => {
    const r = resource(c, 'azuread_application_federated_identity_credential.byKey["web"]');
    expect(r.attributes.subject).toEqual(ref('buildkite_pipeline.p["web"]', "uuid"));
    // `p[each.key]` reaches the plan as the bare resource: which attribute is not recorded.
    expect(r.attributes.display_name).toEqual(AFTER_APPLY);
  });

  it("reads module resources relative to their module and follows module outputs", () => {
    const m = resource(c, "module.ci.azuread_application_federated_identity_credential.m");
    expect(m.module).toBe("module.ci");
    expect(m.attributes.subject).toEqual(ref("module.ci.buildkite_pipeline.m", "uuid"));
    expect(resource(c, "azuread_application_federated_identity_credential.from_module").attributes.subject).toEqual(ref("module.ci.buildkite_pipeline.m", "uuid"));
  });

  it("keeps several references as an unknown value that lists them", () => {
    expect(resource(c, "azuread_application_federated_identity_credential.two_refs").attributes.subject).toEqual({
      ...AFTER_APPLY,
      refs: [
        { address: "data.buildkite_organization.o", attribute: "slug" },
        { address: "buildkite_pipeline.deploy", attribute: "slug" },
      ],
    });
  });

  it("reads an updated resource's known values and includes replacements, not deletions", () => {
    expect(resource(c, "buildkite_pipeline.legacy").attributes.uuid).toEqual(str("0b7c1c3e-5d2a-4b8e-9f10-2c3d4e5f6a7b"));
    expect(resource(c, "buildkite_pipeline.legacy").attributes.name).toEqual(str("legacy-2"));
    expect(resource(c, "buildkite_pipeline.rebuilt").attributes.name).toEqual(str("rebuilt"));
    expect(c.resources.map((r) => r.address)).not.toContain("buildkite_pipeline.old");
  });

  it("reads data sources from prior_state, in child modules too, and no managed resources from it twice", () => {
    const o = resource(c, "data.buildkite_organization.o");
    expect(o).toMatchObject({ mode: "data", type: "buildkite_organization", name: "o", module: "" });
    expect(o.attributes.slug).toEqual(str("acme"));
    expect(o.attributes.token).toEqual(SENSITIVE);
    expect(resource(c, "module.ci.data.azuread_client_config.current").module).toBe("module.ci");
    expect(c.resources.filter((r) => r.address === "buildkite_pipeline.legacy")).toHaveLength(1);
  });

  it("never copies a sensitive value: resources, data sources and provider secrets", () => {
    expect(resource(c, "azuread_application_password.deploy").attributes.value).toEqual(SENSITIVE);
    expect(resource(c, "azuread_application_password.deploy").attributes.key_id).toEqual(str("4f1c0c8e-2b1f-4f0e-9d6b-0a1b2c3d4e5f"));
    for (const text of [PRETTY, JSON.stringify(PLAN)]) {
      const json = JSON.stringify(readTerraformPlan(text, "plan.json"));
      expect(json).not.toContain(SECRET);
      expect(json).not.toContain(API_TOKEN);
    }
  });

  it("reads providers: constants, references as unknown, aliases", () => {
    const bk = c.providers.find((p) => p.name === "buildkite");
    expect(bk?.attributes.organization).toEqual(str("acme"));
    expect(bk?.attributes.api_token).toEqual(SENSITIVE);
    const az = c.providers.find((p) => p.name === "azuread");
    expect(az).toMatchObject({ alias: "ci", module: "" });
    expect(az?.attributes.tenant_id).toMatchObject({ k: "unknown", raw: "var.tenant_id" });
    expect(az?.attributes.use_oidc).toEqual({ k: "bool", b: true });
    expect(az?.attributes.features).toEqual({ k: "list", items: [{ k: "map", entries: [] }] });
    expect(bk?.location.line).toBe(lineOf(PRETTY, '"buildkite": {', '"provider_config"'));
  });

  it("locates a resource at its address in resource_changes, pretty-printed or on one line", () => {
    const expected = lineOf(PRETTY, '"address": "azuread_application.deploy"', '"resource_changes"');
    // The address also appears earlier, in planned_values: the reader must not take that one.
    expect(expected).toBeGreaterThan(lineOf(PRETTY, '"address": "azuread_application.deploy"', '"planned_values"'));
    expect(resource(c, "azuread_application.deploy").location).toEqual({ file: "plans/plan.json", line: expected });
    expect(resource(c, "data.buildkite_organization.o").location.line).toBe(lineOf(PRETTY, '"address": "data.buildkite_organization.o"', '"prior_state"'));
    const oneLine = readTerraformPlan(JSON.stringify(PLAN), "plan.json");
    expect(oneLine.resources.every((r) => r.location.line === 1)).toBe(true);
    expect(oneLine.resources).toEqual(c.resources.map((r) => ({ ...r, location: { file: "plan.json", line: 1 } })));
  });
});

describe("readTerraformPlan: plans written by Terraform 1.11", () => {
  const fixture = (name: string): string => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");

  it("reads a create plan: refs, for_each keys, module outputs, templates", () => {
    const c = readTerraformPlan(fixture("plan-terraform-data-create.json"), "plan.json");
    expect(c.diagnostics).toEqual([]);
    expect(resource(c, "terraform_data.fic").attributes.triggers_replace).toEqual(ref("terraform_data.pipeline", "id"));
    expect(resource(c, 'terraform_data.q["web"]').attributes.input).toEqual(ref('terraform_data.p["web"]', "id"));
    expect(resource(c, 'terraform_data.r["web"]').attributes.input).toEqual(AFTER_APPLY);
    expect(resource(c, "terraform_data.from_module").attributes.input).toEqual(ref("module.ci.terraform_data.m", "id"));
    expect(resource(c, "module.ci.terraform_data.n").attributes.input).toEqual(ref("module.ci.terraform_data.m", "id"));
    expect(resource(c, "terraform_data.tmpl").attributes.input).toMatchObject({ k: "unknown", refs: [{ address: "terraform_data.pipeline", attribute: "id" }, { address: "terraform_data.secret", attribute: "id" }] });
    expect(resource(c, "data.terraform_remote_state.other").attributes.outputs).toEqual({ k: "map", entries: [["slug", str("acme")]] });
    expect(resource(c, "terraform_data.secret").attributes.input).toEqual(SENSITIVE);
    expect(JSON.stringify(c)).not.toContain("s3cr3t-plan-value");
  });

  it("reads an update plan: known values, deletions skipped", () => {
    const c = readTerraformPlan(fixture("plan-terraform-data-update.json"), "plan.json");
    expect(c.diagnostics).toEqual([]);
    expect(resource(c, "terraform_data.pipeline").attributes.id).toEqual(str("f3f57571-67e1-a13c-e9fa-9092ce52989e"));
    expect(c.resources.map((r) => r.address)).not.toContain("terraform_data.tmpl");
    expect(JSON.stringify(c)).not.toContain("s3cr3t-plan-value");
  });
});

describe("readTerraformPlan: bad input", () => {
  /** Bad input gives no resources and exactly one gap: one line, located, no note. */
  function gap(text: string): { line: number; message: string } {
    const c = readTerraformPlan(text, "plan.json");
    expect(c.resources).toEqual([]);
    expect(c.providers).toEqual([]);
    expect(c.diagnostics).toHaveLength(1);
    const d = c.diagnostics[0]!;
    expect(d.file).toBe("plan.json");
    expect(d.note).toBeUndefined();
    expect(d.message).not.toContain("\n");
    return { line: d.line, message: d.message };
  }

  it("not JSON, at the line of the syntax error", () => {
    expect(gap('{\n  "format_version": "1.2",\n  "resource_changes": [\n    {,\n  ]\n}')).toMatchObject({ line: 4, message: expect.stringMatching(/^not valid JSON/) });
    expect(gap("").message).toMatch(/^not valid JSON/);
  });

  it("nested deeper than 200 levels, checked before parsing", () => {
    const g = gap(`{\n"format_version": "1.2",\n"resource_changes": ${"[".repeat(250)}${"]".repeat(250)}}`);
    expect(g.line).toBe(3);
    expect(g.message).toContain("deeper than 200");
    // Far deeper than a recursive parser survives.
    expect(gap("[".repeat(200_000)).message).toContain("deeper than 200");
  });

  it("larger than MAX_PLAN_BYTES", () => {
    expect(gap(`{"format_version":"1.2","resource_changes":[]}${" ".repeat(MAX_PLAN_BYTES)}`)).toEqual({ line: 1, message: expect.stringContaining(String(MAX_PLAN_BYTES)) });
  });

  it("JSON that is not a plan", () => {
    expect(gap('{"resource_changes": []}').message).toBe("not a Terraform plan (terraform show -json output): format_version is missing");
    expect(gap('{"format_version": "1.2"}').message).toBe("not a Terraform plan (terraform show -json output): resource_changes is missing");
    expect(gap("[1, 2]").message).toMatch(/^not a Terraform plan \(terraform show -json output\): /);
    expect(gap('{"format_version": "2.0", "resource_changes": []}').message).toContain("format_version");
  });

  it("a state file, with a message of its own", () => {
    const state = readFileSync(new URL("fixtures/state-terraform-data.json", import.meta.url), "utf8");
    const g = gap(state);
    expect(g.message).toMatch(/state/);
    expect(g.message).not.toMatch(/^not a Terraform plan/);
    expect(g.message).not.toContain("s3cr3t");
  });

  it("__proto__ keys", () => {
    expect(gap('{"format_version": "1.2",\n"resource_changes": [{"__proto__": {"polluted": true}}]}')).toEqual({ line: 2, message: expect.stringContaining("__proto__") });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a plan that errored", () => {
    expect(gap(JSON.stringify({ ...PLAN, errored: true }, null, 2))).toEqual({ line: lineOf(JSON.stringify({ ...PLAN, errored: true }, null, 2), '"errored": true', '"complete"'), message: expect.stringContaining("the plan errored") });
  });

  it("a plan with no changes is empty, not an error", () => {
    const c = readTerraformPlan('{"format_version":"1.2","planned_values":{"root_module":{}},"configuration":{"root_module":{}},"errored":false}', "plan.json");
    expect(c).toEqual({ root: "plan.json", source: "plan", resources: [], providers: [], diagnostics: [] });
  });

  it("skips malformed entries with a located gap and reads the rest", () => {
    const c = readTerraformPlan('{"format_version":"1.2",\n"resource_changes":[\n{"address":1},\n{"address":"a_b.c","mode":"managed","type":"a_b","name":"c","change":{"actions":["create"],"after":{"x":"y"}}}]}', "plan.json");
    expect(c.resources.map((r) => r.address)).toEqual(["a_b.c"]);
    expect(c.diagnostics).toEqual([{ file: "plan.json", line: 3, message: "resource_changes[0] has no address, type or name; skipped" }]);
  });

  it("never throws, whatever the JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const plan = { format_version: "1.2", resource_changes: [v, { address: "a.b", type: "a", name: "b", change: { actions: ["create"], after: v, after_unknown: v, after_sensitive: v } }], prior_state: v, configuration: v };
        const c = readTerraformPlan(JSON.stringify(plan), "plan.json");
        expect(Array.isArray(c.resources)).toBe(true);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(readTerraformPlan(s, "p.json").source).toBe("plan");
      }),
      { numRuns: 300 },
    );
  });
});

describe("an unknown value built from several pieces", () => {
  it("is not the value of its one resolvable reference (var.prefix beside local.slug)", () => {
    const plan = {
      format_version: "1.2",
      variables: { prefix: { value: "organization:acme:pipeline:" } },
      resource_changes: [change("azuread_application_federated_identity_credential.c", ["create"], { issuer: "https://agent.buildkite.com" }, { unknown: { subject: true } })],
      configuration: {
        root_module: {
          variables: { prefix: {} },
          resources: [{ address: "azuread_application_federated_identity_credential.c", mode: "managed", type: "azuread_application_federated_identity_credential", name: "c", expressions: { subject: refs("var.prefix", "local.slug") } }],
        },
      },
    };
    const c = readTerraformPlan(JSON.stringify(plan), "plan.json");
    expect(resource(c, "azuread_application_federated_identity_credential.c").attributes["subject"]?.k).toBe("unknown");
  });
});
