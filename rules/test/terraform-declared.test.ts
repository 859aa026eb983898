/**
 * Terraform in the repository scan, judged end to end: the fixtures under
 * test/fixtures/repos/terraform* read with the HCL reader, joined, and judged by every rule, alone
 * and laid over a collected inventory.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeRepo, evaluate, loadHclParser, loadRepo, parseInventory, type Evaluation, type Finding, type HclParser, type Inventory } from "@trustscope/core";
import { InventoryBuilder } from "@trustscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { builtinRules } from "../src/index.ts";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/repos/", import.meta.url));
const NOW = new Date("2026-12-01T12:00:00Z");
const EMPTY: Inventory = { schemaVersion: 1, cloud: "AzureCloud", coverage: { complete: true, gaps: [] } };
const DECLARED_RULES = ["fork-builds-on-trusted-pipeline", "org-scoped-trust", "owner-where-contributor-would-do", "missing-storage-data-role"];

let hcl: HclParser;
beforeAll(async () => {
  hcl = await loadHclParser();
});

function judge(dir: string, inventory: Inventory = EMPTY): Evaluation {
  const { repo, remoteUrl } = loadRepo(dir, { hcl });
  return evaluate({ inventory, rules: builtinRules, repo: analyzeRepo(repo, remoteUrl), now: NOW });
}

/**
 * Judges a repository made of `files` (path → text), copied over `base` when given; `under` is the
 * subdirectory scanned (`--repo DIR`). The directory is removed afterwards.
 */
function judgeFiles(files: Record<string, string>, opts: { inventory?: Inventory; base?: string; under?: string } = {}): Evaluation {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-tf-"));
  try {
    if (opts.base) cpSync(opts.base, dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return judge(opts.under ? join(dir, opts.under) : dir, opts.inventory);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const of = (e: Evaluation, rule: string): Finding[] => e.findings.filter((f) => f.ruleId === rule);
const at = (f: Finding) => `${f.location?.file}:${f.location?.line}`;

describe("the Terraform fixture that widens trust", () => {
  let e: Evaluation;
  beforeAll(() => {
    e = judge(join(FIXTURES, "terraform/ci"));
  });

  it("reads every file with no gap", () => {
    expect(e.coverage.gaps).toEqual([]);
    expect(e.coverage.complete).toBe(true);
  });

  it("org-scoped-trust: an organisation-UUID subject on an identity with a production role, at the credential", () => {
    const [f, ...rest] = of(e, "org-scoped-trust");
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "critical", location: { file: "azure.tf", line: 36 } });
    expect(f!.message).toContain("'buildkite-org-wide'");
    expect(f!.evidence.join("\n")).toContain("subject ${data.buildkite_organization.acme.uuid} is the organisation UUID");
    expect(f!.relatedLocations?.map((r) => `${r.file}:${r.line}`)).toEqual(["azure.tf:44", "azure.tf:28"]);
  });

  it("owner-where-contributor-would-do: Owner by role name, judged from the built-in definition, at the role assignment", () => {
    const [f, ...rest] = of(e, "owner-where-contributor-would-do");
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "critical", location: { file: "azure.tf", line: 66 } });
    expect(f!.message).toContain("managed identity 'id-app-release'".replace(/^m/, "M"));
    expect(f!.evidence[0]).toContain("from its role definition, not its name");
  });

  it("missing-storage-data-role: shared keys off, and each identity that manages the account without a data role", () => {
    const found = of(e, "missing-storage-data-role");
    expect(found.map(at)).toEqual(["azure.tf:9", "azure.tf:9", "azure.tf:9"]);
    expect(found.map((f) => f.identity?.displayName).sort()).toEqual(["app-prod-deployer", "buildkite-org-wide", "id-app-release"]);
  });

  it("fork-builds-on-trusted-pipeline: the -var-file that turns fork builds on changes the verdict", () => {
    const found = of(e, "fork-builds-on-trusted-pipeline");
    const deploy = found.filter((f) => f.pipeline?.slug === "app-deploy");
    // Only prod.tfvars turns fork builds on for app-deploy: each credential that trusts it is a finding.
    expect(deploy.map((f) => f.credential?.name).sort()).toEqual(["buildkite-app-deploy", "buildkite-app-prod-deployer", "buildkite-one-commit", "buildkite-organisation"]);
    for (const f of deploy) {
      expect(at(f)).toBe("buildkite.tf:17");
      expect(f.evidence.join("\n")).toContain("with -var-file prod.tfvars");
    }
    // The docs pipeline builds forks in every variant, and only the organisation-wide credential reaches it.
    const docs = found.filter((f) => f.pipeline?.slug === "app-docs");
    expect(docs.map((f) => f.credential?.name)).toEqual(["buildkite-organisation"]);
    expect(docs[0]!.evidence.join("\n")).not.toContain("-var-file");
  });

  it("joins across the local module: the module's credential trusts the pipeline passed in, its grant is the module's role", () => {
    const f = of(e, "fork-builds-on-trusted-pipeline").find((x) => x.credential?.name === "buildkite-app-prod-deployer")!;
    expect(f.identity?.displayName).toBe("app-prod-deployer");
    expect(f.credential?.subject).toBe("${buildkite_pipeline.deploy.uuid}");
    // The module's resources are reported at the module call (here the pipeline's block is first), and
    // related locations are the module's own blocks: its credential, role assignment and application.
    expect(f.relatedLocations?.map((r) => `${r.file}:${r.line}`)).toEqual(["modules/deployer/main.tf:9", "modules/deployer/main.tf:18", "modules/deployer/main.tf:1"]);
  });

  it("the template rules judge declared credentials: issuer, audience, compound subject", () => {
    expect(of(e, "issuer-near-miss").map(at)).toEqual(["azure.tf:73"]);
    expect(of(e, "unexpected-audience").map(at)).toEqual(["azure.tf:82"]);
    expect(of(e, "compound-subject").map(at)).toEqual(["azure.tf:82"]);
  });

  it("does not put an anchor into a snapshot that has no such object", () => {
    for (const f of e.findings.filter((x) => DECLARED_RULES.includes(x.ruleId))) expect(f.anchor).toBeUndefined();
  });
});

describe("the Terraform fixture that keeps trust narrow", () => {
  it("fires none of the rules", () => {
    const e = judge(join(FIXTURES, "terraform-quiet"));
    expect(e.coverage.gaps).toEqual([]);
    expect(e.findings.map((f) => `${f.ruleId} ${at(f)}`)).toEqual([]);
  });
});

describe("declared objects joined to a collected inventory", () => {
  function inventory(): { inv: Inventory; pipelineUuid: string } {
    const b = new InventoryBuilder({ org: "acme" });
    const pipelineUuid = b.pipeline("app-deploy", { settings: { buildPullRequests: true, buildPullRequestForks: false } });
    const sub = b.subscription("Production", { tags: { environment: "production" } });
    b.resourceGroup(sub, "rg-app-prod");
    const inv = b.build();
    return { inv, pipelineUuid };
  }

  it("takes the collected pipeline's UUID and organisation, so the finding names real IDs", () => {
    const { inv, pipelineUuid } = inventory();
    const dir = mkdtempSync(join(tmpdir(), "trustscope-tf-"));
    try {
      cpSync(join(FIXTURES, "terraform/ci"), dir, { recursive: true });
      const e = judge(dir, inv);
      const fork = of(e, "fork-builds-on-trusted-pipeline").filter((f) => f.pipeline?.slug === "app-deploy");
      expect(fork.length).toBeGreaterThan(0);
      for (const f of fork) expect(f.pipeline?.uuid).toBe(pipelineUuid);
      const org = of(e, "org-scoped-trust")[0]!;
      expect(org.credential?.subject).toBe(inv.buildkite!.organization.uuid);
      // The collected pipeline builds no forks today: only the configuration's change does.
      expect(fork.every((f) => f.evidence.some((x) => x.includes("judged as it will be once applied")))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a role name neither built in nor in the inventory is a note, not a guess", () => {
    const dir = mkdtempSync(join(tmpdir(), "trustscope-tf-"));
    try {
      writeFileSync(
        join(dir, "main.tf"),
        `resource "azurerm_user_assigned_identity" "x" {
  name                = "id-x"
  resource_group_name = "rg-app-prod"
  location            = "westeurope"
}

resource "azurerm_role_assignment" "x" {
  scope                = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-app-prod"
  role_definition_name = "Acme Deployer"
  principal_id         = azurerm_user_assigned_identity.x.principal_id
}
`,
      );
      const e = judge(dir);
      expect(e.coverage.complete).toBe(true);
      expect(e.coverage.notes?.map((n) => n.message)).toContainEqual("1 role assignment in Terraform names a role that is neither a built-in role trustscope knows nor in the inventory, so its grant is not judged: 'Acme Deployer' (azurerm_role_assignment.x)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("GitHub credentials declared in Terraform", () => {
  const identity = (credential: string) => `provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}

resource "azurerm_resource_group" "prod" {
  name     = "rg-web-prod"
  location = "westeurope"
  tags     = { environment = "production" }
}

resource "azuread_application" "web" {
  display_name = "web-deployer"
}

resource "azuread_service_principal" "web" {
  client_id = azuread_application.web.client_id
}

resource "azurerm_role_assignment" "web" {
  scope                = azurerm_resource_group.prod.id
  role_definition_name = "Website Contributor"
  principal_id         = azuread_service_principal.web.object_id
}

${credential}`;

  it("pull-request-subject fires for a pull_request subject on an identity that can change production", () => {
    const e = judgeFiles({
      "main.tf": identity(`resource "azuread_application_federated_identity_credential" "pr" {
  application_id = azuread_application.web.id
  display_name   = "github-pr"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://token.actions.githubusercontent.com"
  subject        = "repo:acme/web:pull_request"
}`),
    });
    const [f, ...rest] = of(e, "pull-request-subject");
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "critical", location: { file: "main.tf", line: 26 } });
  });

  it("wildcard-expression fires for a flexible credential that accepts every repository of the owner", () => {
    const e = judgeFiles({
      "main.tf": identity(`resource "azuread_application_flexible_federated_identity_credential" "any" {
  application_id             = azuread_application.web.id
  display_name               = "github-any-repo"
  audience                   = "api://AzureADTokenExchange"
  issuer                     = "https://token.actions.githubusercontent.com"
  claims_matching_expression = "claims['sub'] matches 'repo:acme/*'"
}`),
    });
    expect(of(e, "wildcard-expression").map(at)).toEqual(["main.tf:26"]);
  });

  it("both stay quiet for an environment subject", () => {
    const e = judgeFiles({
      "main.tf": identity(`resource "azuread_application_federated_identity_credential" "env" {
  application_id = azuread_application.web.id
  display_name   = "github-production"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://token.actions.githubusercontent.com"
  subject        = "repo:acme/web:environment:production"
}`),
    });
    expect(e.coverage.gaps).toEqual([]);
    expect([...of(e, "pull-request-subject"), ...of(e, "wildcard-expression")]).toEqual([]);
  });
});

describe("inline suppressions in Terraform files", () => {
  it("a comment above the resource that a finding is reported at suppresses it; one elsewhere is unused", () => {
    const dir = mkdtempSync(join(tmpdir(), "trustscope-tf-"));
    try {
      cpSync(join(FIXTURES, "terraform/ci"), dir, { recursive: true });
      const azure = join(dir, "azure.tf");
      const text = readFileSync(azure, "utf8").replace(
        'resource "azurerm_role_assignment" "release_owner" {',
        '# trustscope: ignore[owner-where-contributor-would-do] the release identity rotates role assignments (ticket SEC-12)\nresource "azurerm_role_assignment" "release_owner" {',
      );
      writeFileSync(azure, text);
      const e = judge(dir);
      const [f] = of(e, "owner-where-contributor-would-do");
      expect(f?.suppression).toMatchObject({ kind: "inline", reason: "the release identity rotates role assignments (ticket SEC-12)" });
      expect(of(e, "unused-suppression")).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("shapes met in real repositories", () => {
  const prodIdentity = `provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}

resource "azurerm_resource_group" "prod" {
  name     = "rg-prod"
  location = "westeurope"
  tags     = { environment = "production" }
}

resource "azurerm_user_assigned_identity" "ci" {
  name                = "id-ci"
  resource_group_name = azurerm_resource_group.prod.name
  location            = "westeurope"
}

resource "azurerm_federated_identity_credential" "pr" {
  name                      = "github-pr"
  resource_group_name       = azurerm_resource_group.prod.name
  user_assigned_identity_id = azurerm_user_assigned_identity.ci.id
  audience                  = ["api://AzureADTokenExchange"]
  issuer                    = "https://token.actions.githubusercontent.com"
  subject                   = "repo:acme/infra:pull_request"
}
`;

  it("a test harness that calls the root as a module does not hide the root or its -var-file", () => {
    const e = judgeFiles({ "ci/tests/smoke/main.tf": 'module "ci" {\n  source            = "../../"\n  allow_fork_builds = false\n  environment       = "smoke"\n}\n' }, { base: join(FIXTURES, "terraform") });
    const fork = of(e, "fork-builds-on-trusted-pipeline").filter((f) => f.pipeline?.slug === "app-deploy");
    expect(fork.length).toBe(4);
    // The root's own location, not the harness's.
    expect(fork.map(at)).toEqual(Array(4).fill("ci/buildkite.tf:17"));
  });

  it("modules that only call each other are still read", () => {
    const e = judgeFiles({
      "a/main.tf": `${prodIdentity}\nresource "azurerm_role_assignment" "owner" {\n  scope                = azurerm_resource_group.prod.id\n  role_definition_name = "Owner"\n  principal_id         = azurerm_user_assigned_identity.ci.principal_id\n}\n\nmodule "b" {\n  source = "../b"\n}\n`,
      "b/main.tf": 'module "a" {\n  source = "../a"\n}\n',
    });
    expect(of(e, "owner-where-contributor-would-do").map(at)).toEqual(["a/main.tf:27"]);
  });

  it("the Azure Verified Modules role pattern (strcontains … ? null : name) is judged", () => {
    const e = judgeFiles({
      "main.tf": `${prodIdentity}
locals {
  role_definition_resource_substring = "/providers/Microsoft.Authorization/roleDefinitions"
  role_assignments = { owner = { role_definition_id_or_name = "Owner" } }
}

resource "azurerm_role_assignment" "this" {
  for_each             = local.role_assignments
  scope                = azurerm_resource_group.prod.id
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
  role_definition_id   = strcontains(lower(each.value.role_definition_id_or_name), lower(local.role_definition_resource_substring)) ? each.value.role_definition_id_or_name : null
  role_definition_name = strcontains(lower(each.value.role_definition_id_or_name), lower(local.role_definition_resource_substring)) ? null : each.value.role_definition_id_or_name
}
`,
    });
    expect(of(e, "owner-where-contributor-would-do")).toHaveLength(1);
    expect(of(e, "pull-request-subject")).toHaveLength(1);
  });

  it("optional() defaults in a variable's type apply, and a numeric string count counts", () => {
    const e = judgeFiles({
      "main.tf": `provider "buildkite" {
  organization = "acme"
}

variable "pipelines" {
  type    = map(object({ name = string, forks = optional(bool, true) }))
  default = { deploy = { name = "deploy" } }
}

resource "buildkite_pipeline" "p" {
  for_each   = var.pipelines
  name       = each.value.name
  repository = "git@github.com:acme/app.git"
  provider_settings = {
    build_pull_request_forks = each.value.forks
  }
}
${prodIdentity.replace('"repo:acme/infra:pull_request"', 'buildkite_pipeline.p["deploy"].uuid').replace("https://token.actions.githubusercontent.com", "https://agent.buildkite.com")}
resource "azurerm_role_assignment" "deploy" {
  count                = "1"
  scope                = azurerm_resource_group.prod.id
  role_definition_name = "Contributor"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
}
`,
    });
    const [f, ...rest] = of(e, "fork-builds-on-trusted-pipeline");
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "critical", pipeline: { slug: "deploy" } });
  });
});

describe("configuration read from files", () => {
  const main = (roles: string) => `provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}
resource "azurerm_resource_group" "prod" {
  name     = "rg-prod"
  location = "westeurope"
}
resource "azurerm_user_assigned_identity" "ci" {
  name                = "id-ci"
  resource_group_name = azurerm_resource_group.prod.name
  location            = "westeurope"
}
resource "azurerm_federated_identity_credential" "ci" {
  name                      = "buildkite"
  resource_group_name       = azurerm_resource_group.prod.name
  user_assigned_identity_id = azurerm_user_assigned_identity.ci.id
  audience                  = ["api://AzureADTokenExchange"]
  issuer                    = "https://agent.buildkite.com"
  subject                   = "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e04"
}
locals {
  roles = ${roles}
}
resource "azurerm_role_assignment" "ci" {
  for_each             = local.roles
  scope                = azurerm_resource_group.prod.id
  role_definition_name = each.value
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
}
`;

  it("yamldecode(file(…)) and jsondecode(file(…)) beside the module are read", () => {
    const yaml = judgeFiles({ "infra/main.tf": main('yamldecode(file("${path.module}/roles.yaml"))'), "infra/roles.yaml": "deploy: Owner\n" }, { under: "infra" });
    expect(of(yaml, "owner-where-contributor-would-do").map(at)).toEqual(["main.tf:25"]);
    const json = judgeFiles({ "infra/main.tf": main('jsondecode(file("roles.json"))'), "infra/roles.json": '{"deploy": "Owner"}' }, { under: "infra" });
    expect(of(json, "owner-where-contributor-would-do").map(at)).toEqual(["main.tf:25"]);
  });

  it("a bare path is the root module's file before one of the same name at the repository root", () => {
    const e = judgeFiles({ "infra/main.tf": main('yamldecode(file("roles.yaml"))'), "infra/roles.yaml": "deploy: Owner\n", "roles.yaml": "deploy: Reader\n" }, { under: "" });
    expect(of(e, "owner-where-contributor-would-do").map(at)).toEqual(["infra/main.tf:25"]);
  });

  it("a file outside the repository, or a YAML alias bomb, is not read: a note, never a crash", () => {
    const outside = judgeFiles({ "infra/main.tf": main('yamldecode(file("../../../../etc/passwd"))') }, { under: "infra" });
    expect(outside.coverage.complete).toBe(true);
    expect(of(outside, "owner-where-contributor-would-do")).toEqual([]);
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join("\n");
    const e = judgeFiles({ "infra/main.tf": main('yamldecode(file("bomb.yaml"))'), "infra/bomb.yaml": `${bomb}\n` }, { under: "infra" });
    expect(e.coverage.complete).toBe(true);
    expect(of(e, "owner-where-contributor-would-do")).toEqual([]);
  });
});

describe("review cases: joins that must not mislead", () => {
  const DEMO = fileURLToPath(new URL("../../packages/cli/demo/organisation.json", import.meta.url));
  const demo = (): Inventory => parseInventory(readFileSync(DEMO, "utf8"), DEMO);
  const env = (name: string) => `provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}
resource "buildkite_pipeline" "deploy" {
  name       = "app-${name}"
  repository = "https://github.com/acme/app.git"
  provider_settings = { build_pull_request_forks = true }
}
resource "azurerm_resource_group" "rg" {
  name     = "rg-app-${name}"
  location = "westeurope"
}
resource "azurerm_user_assigned_identity" "deployer" {
  name                = "id-app-${name}"
  resource_group_name = azurerm_resource_group.rg.name
  location            = "westeurope"
}
resource "azurerm_federated_identity_credential" "deployer" {
  name                      = "buildkite"
  resource_group_name       = azurerm_resource_group.rg.name
  parent_id                 = azurerm_user_assigned_identity.deployer.id
  audience                  = ["api://AzureADTokenExchange"]
  issuer                    = "https://agent.buildkite.com"
  subject                   = buildkite_pipeline.deploy.uuid
}
resource "azurerm_role_assignment" "deployer" {
  scope                = azurerm_resource_group.rg.id
  role_definition_name = "Owner"
  principal_id         = azurerm_user_assigned_identity.deployer.principal_id
}
`;

  it("two roots with the same addresses are two sets of findings, each with its own severity", () => {
    const e = judgeFiles({ "infra/dev/main.tf": env("dev"), "infra/prod/main.tf": env("prod") });
    const owner = of(e, "owner-where-contributor-would-do").map((f) => `${f.severity} ${at(f)}`).sort();
    expect(owner).toEqual(["critical infra/prod/main.tf:27", "high infra/dev/main.tf:27"]);
    expect(new Set(of(e, "owner-where-contributor-would-do").map((f) => f.fingerprint)).size).toBe(2);
  });

  it("a root's findings keep their fingerprints when another root with the same addresses is added", () => {
    const fp = (e: Evaluation, file: string) => of(e, "owner-where-contributor-would-do").find((f) => f.location?.file === file)?.fingerprint;
    const two = judgeFiles({ "infra/dev/main.tf": env("dev"), "infra/prod/main.tf": env("prod") });
    const three = judgeFiles({ "infra/canary/main.tf": env("canary"), "infra/dev/main.tf": env("dev"), "infra/prod/main.tf": env("prod") });
    expect(fp(three, "infra/dev/main.tf")).toBe(fp(two, "infra/dev/main.tf"));
    expect(fp(three, "infra/prod/main.tf")).toBe(fp(two, "infra/prod/main.tf"));
    expect(new Set(of(three, "owner-where-contributor-would-do").map((f) => f.fingerprint)).size).toBe(3);
  });

  it("a managed identity looked up by name is joined only in the resource group the configuration names", () => {
    const lookup = (rg: string) =>
      judgeFiles(
        {
          "main.tf": `data "azurerm_user_assigned_identity" "x" {
  name                = "id-dev-sandbox"
  resource_group_name = "${rg}"
}
resource "azurerm_role_assignment" "x" {
  scope                = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333"
  role_definition_name = "Owner"
  principal_id         = data.azurerm_user_assigned_identity.x.principal_id
}
`,
        },
        { inventory: demo() },
      );
    expect(of(lookup("rg-somewhere-else"), "owner-where-contributor-would-do").filter((f) => f.location)).toEqual([]);
    expect(of(lookup("rg-dev-sandbox"), "owner-where-contributor-would-do").filter((f) => f.location).map(at)).toEqual(["main.tf:5"]);
  });

  it("a change that makes a collected finding worse reports it as it will be", () => {
    // nonprod-deployer (a fork-building pipeline can log in as it) gains Contributor on the prod subscription.
    const e = judgeFiles(
      {
        "main.tf": `resource "azurerm_role_assignment" "nonprod_to_prod" {
  scope                = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333"
  role_definition_name = "Contributor"
  principal_id         = "5b0e0003-0000-4000-8000-000000000003"
}
`,
      },
      { inventory: demo() },
    );
    const f = of(e, "fork-builds-on-trusted-pipeline").find((x) => x.identity?.displayName === "nonprod-deployer")!;
    expect(f).toMatchObject({ severity: "critical", location: { file: "main.tf", line: 1 } });
  });

  it("a data source is looked up in the inventory: a service principal by object ID, a pipeline by slug", () => {
    const e = judgeFiles(
      {
        "main.tf": `data "azuread_service_principal" "np" {
  display_name = "nonprod-deployer"
}
data "buildkite_pipeline" "lz" {
  slug = "landing-zone-nonprod"
}
resource "azurerm_role_assignment" "np_prod" {
  scope                = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333"
  role_definition_name = "Owner"
  principal_id         = data.azuread_service_principal.np.object_id
}
`,
      },
      { inventory: demo() },
    );
    expect(of(e, "owner-where-contributor-would-do").filter((f) => f.identity?.displayName === "nonprod-deployer").map(at)).toEqual(["main.tf:7"]);
    expect(e.coverage.notes ?? []).toEqual([]);
  });

  it("a finding through a data source is placed at what the configuration declares, not at the lookup", () => {
    const e = judgeFiles(
      {
        "main.tf": `data "buildkite_pipeline" "np" {
  slug = "app-platform-nonprod"
}
resource "azuread_application" "new" {
  display_name = "new-deployer"
}
resource "azuread_application_federated_identity_credential" "new" {
  application_id = azuread_application.new.id
  display_name   = "buildkite-np"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://agent.buildkite.com"
  subject        = data.buildkite_pipeline.np.uuid
}
`,
      },
      { inventory: demo() },
    );
    const f = of(e, "fork-builds-on-trusted-pipeline").filter((x) => x.identity?.displayName === "new-deployer");
    expect(f.map(at)).toEqual(["main.tf:7"]);
    expect(f[0]!.pipeline?.uuid).toBe("01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e04");
  });

  it("a data source the inventory does not have is a note, not a silent skip", () => {
    const e = judgeFiles({ "main.tf": 'data "azuread_service_principal" "x" {\n  display_name = "nobody"\n}\nresource "azurerm_role_assignment" "x" {\n  scope                = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333"\n  role_definition_name = "Owner"\n  principal_id         = data.azuread_service_principal.x.object_id\n}\n' }, { inventory: demo() });
    expect(e.coverage.notes?.map((n) => n.message)).toContainEqual(expect.stringContaining("data.azuread_service_principal.x"));
  });

  it("another organisation's Buildkite side is not joined to the one read", () => {
    const e = judgeFiles(
      {
        "main.tf": `provider "buildkite" {
  organization = "globex"
}
data "buildkite_organization" "this" {}
resource "azuread_application" "globex" {
  display_name = "globex-deployer"
}
resource "azuread_application_federated_identity_credential" "globex" {
  application_id = azuread_application.globex.id
  display_name   = "globex-org"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://agent.buildkite.com"
  subject        = data.buildkite_organization.this.uuid
}
`,
      },
      { inventory: demo() },
    );
    expect(e.findings.filter((f) => f.identity?.displayName === "globex-deployer")).toEqual([]);
    expect(e.coverage.notes?.map((n) => n.message)).toContainEqual(expect.stringContaining("manages Buildkite organisation 'globex', not 'acme'"));
  });

  it("a managed identity whose ID the configuration gives is not joined to another one by name", () => {
    const e = judgeFiles(
      {
        "main.tf": `provider "azurerm" {
  features {}
  subscription_id = "0b1f6471-1bf0-4dda-aec3-111122223333"
}
resource "azurerm_user_assigned_identity" "lz" {
  name                = "id-dev-sandbox"
  resource_group_name = "rg-scratch"
  location            = "westeurope"
}
resource "azurerm_federated_identity_credential" "lz" {
  name                      = "buildkite"
  resource_group_name       = "rg-scratch"
  parent_id                 = azurerm_user_assigned_identity.lz.id
  audience                  = ["api://AzureADTokenExchange"]
  issuer                    = "https://agent.buildkite.com"
  subject                   = "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e04"
}
`,
      },
      { inventory: demo() },
    );
    const declared = of(e, "fork-builds-on-trusted-pipeline").filter((f) => f.location?.file === "main.tf");
    expect(declared.map((f) => f.identity?.appId)).toEqual(["${azurerm_user_assigned_identity.lz.client_id}"]);
  });

  it("addresses that differ only in case are different resources", () => {
    const e = judgeFiles(
      {
        "main.tf": `resource "azuread_application" "Deployer" {
  display_name = "app-platform-deployer"
}
resource "azuread_application" "deployer" {
  display_name = "sandbox-fork-builder"
}
resource "azuread_application_federated_identity_credential" "sandbox" {
  application_id = azuread_application.deployer.id
  display_name   = "sandbox-forks"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://agent.buildkite.com"
  subject        = "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e04"
}
`,
      },
      { inventory: demo() },
    );
    const sandbox = of(e, "fork-builds-on-trusted-pipeline").filter((f) => f.credential?.name === "sandbox-forks");
    expect(sandbox.map((f) => f.identity?.displayName)).toEqual(["sandbox-fork-builder"]);
  });

  it("fork settings on a GitLab pipeline are not read as fork builds (Buildkite honours them for GitHub only)", () => {
    const e = judgeFiles({
      "main.tf": `resource "buildkite_pipeline" "deploy" {
  name       = "gl-deploy"
  repository = "git@gitlab.com:github-tools/app.git"
  provider_settings = { build_pull_request_forks = true }
}
resource "azuread_application" "a" {
  display_name = "gl-deployer"
}
resource "azuread_application_federated_identity_credential" "c" {
  application_id = azuread_application.a.id
  display_name   = "gl"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://agent.buildkite.com"
  subject        = buildkite_pipeline.deploy.uuid
}
`,
    });
    expect(of(e, "fork-builds-on-trusted-pipeline")).toEqual([]);
  });
});

