/**
 * A Terraform plan against the HCL it came from (issue 21): the plan fixture is what
 * `terraform plan -var-file=prod.tfvars` + `terraform show -json` prints for
 * test/fixtures/repos/terraform/ci on an empty state, written by hand in the documented format
 * (pretty-printed, so each resource has its own line).
 *
 * Findings are compared by what they are about (rule, severity, pipeline slug, identity name,
 * credential name, scope), not by message or fingerprint: the plan knows IDs that the HCL leaves
 * as `${…}` (the organisation UUID read by the data source during planning).
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";
import { REPO_ROOT } from "../support/paths.ts";

const HCL_DIR = "test/fixtures/repos/terraform/ci";
const PLAN = "test/fixtures/plans/terraform-ci-prod.json";
const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";

interface Finding {
  ruleId: string;
  severity: string;
  message: string;
  location?: { file: string; line: number };
  pipeline?: { slug: string };
  identity?: { displayName: string };
  credential?: { name: string };
  scope?: string;
}
interface Report {
  findings: Finding[];
}

function scanJson(args: string[], cwd = REPO_ROOT): { code: number; report: Report; stderr: string } {
  const r = trustscope(["scan", ...args, "--format", "json", "--fail-on", "never"], { cwd });
  expect(r.code, r.stderr).toBe(0);
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

/**
 * What a finding is about, without locations or IDs. Template findings (issuer-near-miss,
 * unexpected-audience) carry no credential field; the name they quote stands in for it.
 */
function key(f: Finding): string {
  const credential = f.credential?.name ?? /credential '([^']+)'/.exec(f.message)?.[1] ?? "";
  return [f.ruleId, f.severity, f.pipeline?.slug ?? "", f.identity?.displayName ?? "", credential, f.scope ?? ""].join(" | ");
}

const keys = (r: Report): string[] => [...new Set(r.findings.map(key))].sort();

/** A copy of the HCL fixture with `prod.tfvars` removed, or renamed so that it alone is applied (terraform.tfvars is always read). */
function hclVariant(tfvars: "none" | "prod-only"): string {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-tf-plan-"));
  cpSync(resolve(REPO_ROOT, HCL_DIR), dir, { recursive: true });
  if (tfvars === "prod-only") copyFileSync(join(dir, "prod.tfvars"), join(dir, "terraform.tfvars"));
  rmSync(join(dir, "prod.tfvars"));
  return dir;
}

describe("the HCL fixture's variants", () => {
  it("together give the findings of the prod.tfvars variant, which only adds fork findings on app-deploy", () => {
    const all = keys(scanJson(["--repo", HCL_DIR]).report);
    const defaults = keys(scanJson(["--repo", "."], hclVariant("none")).report);
    const prod = keys(scanJson(["--repo", "."], hclVariant("prod-only")).report);
    // So the HCL scan (both variants) is the right thing to compare the prod plan with.
    expect(all).toEqual(prod);
    expect(defaults.every((k) => prod.includes(k))).toBe(true);
    const added = prod.filter((k) => !defaults.includes(k));
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((k) => k.startsWith("fork-builds-on-trusted-pipeline | critical | app-deploy |"))).toBe(true);
  });
});

describe("scan --terraform-plan on the plan of the HCL fixture", () => {
  let hcl: string[] = [];
  let plan: Report = { findings: [] };
  beforeAll(() => {
    hcl = keys(scanJson(["--repo", HCL_DIR]).report);
    plan = scanJson(["--terraform-plan", PLAN]).report;
  });

  // Module inputs (`subject = var.pipeline_uuid`) are followed to the module call, and provider
  // settings that are a root variable take its planned value, as the HCL reader binds them.
  it("gives the same findings as the HCL", () => {
    expect(keys(plan)).toEqual(hcl);
  });

  it("names the subscription the provider's variable gives, in every scope", () => {
    const scopes = plan.findings.map((f) => f.scope).filter((x): x is string => x !== undefined);
    expect(scopes.length).toBeGreaterThan(0);
    for (const scope of scopes) expect(scope.startsWith(`/subscriptions/${SUBSCRIPTION}/`)).toBe(true);
  });

  it("locates each finding at the `address` of its resource in resource_changes", () => {
    const text = readFileSync(resolve(REPO_ROOT, PLAN), "utf8");
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.startsWith('  "resource_changes"'));
    const end = lines.findIndex((l, i) => i > start && /^ {2}"/.test(l));
    // Line (1-based) → resource address, for the `"address"` lines of resource_changes entries only.
    const addressAt = new Map<number, string>();
    for (let i = start; i < end; i++) {
      const m = /^ {6}"address": "(.+)",$/.exec(lines[i]!);
      if (m) addressAt.set(i + 1, m[1]!);
    }
    expect(addressAt.size).toBe(19);
    for (const f of plan.findings) {
      expect(f.location?.file).toBe(PLAN);
      const address = addressAt.get(f.location?.line ?? 0);
      expect(address, `${f.ruleId} at line ${f.location?.line}`).toBeDefined();
      if (f.ruleId === "fork-builds-on-trusted-pipeline") expect(address).toBe(`buildkite_pipeline.${f.pipeline?.slug === "app-docs" ? "docs" : "deploy"}`);
      if (f.ruleId === "org-scoped-trust") expect(address).toBe("azuread_application_federated_identity_credential.org_wide");
      if (f.ruleId === "issuer-near-miss") expect(address).toBe("azuread_application_federated_identity_credential.typo");
      if (f.ruleId === "owner-where-contributor-would-do") expect(address).toBe("azurerm_role_assignment.release_owner");
      if (f.ruleId === "missing-storage-data-role") expect(address).toBe("azurerm_storage_account.artifacts");
    }
  });

  it("exits 1 with the default --fail-on", () => {
    const r = trustscope(["scan", "--terraform-plan", PLAN, "--format", "json"]);
    expect(r.code, r.stderr).toBe(1);
  });
});

describe("scan --terraform-plan on JSON that is not a plan", () => {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-not-plan-"));
  const state = {
    format_version: "1.0",
    terraform_version: "1.11.4",
    values: { root_module: { resources: [{ address: "buildkite_pipeline.deploy", mode: "managed", type: "buildkite_pipeline", name: "deploy", values: { name: "app-deploy" } }] } },
  };
  for (const [name, content] of [
    ["state.json", state],
    ["empty.json", {}],
  ] as const) {
    it(`${name}: exit 2, one line naming the file`, () => {
      writeFileSync(join(dir, name), JSON.stringify(content));
      const r = trustscope(["scan", "--terraform-plan", name, "--format", "json"], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${name}:1:`);
      expect(lines[0]).toMatch(/not a (Terraform )?plan/);
    });
  }
});

describe("sensitive values in a plan", () => {
  const PASSWORD = "super-secret-value-123";
  const CLIENT_SECRET = "super-secret-client-456";
  // The fixture plus what a configuration with a client secret would add: a password whose value
  // the plan knows and marks sensitive, and a provider secret written as a constant (which the
  // plan's configuration carries unmarked).
  const dir = mkdtempSync(join(tmpdir(), "trustscope-plan-secret-"));
  const plan = JSON.parse(readFileSync(resolve(REPO_ROOT, PLAN), "utf8")) as {
    resource_changes: unknown[];
    configuration: { provider_config: { azuread: { expressions?: Record<string, unknown> } }; root_module: { resources: unknown[] } };
  };
  plan.resource_changes.push({
    address: "azuread_application_password.org_wide",
    mode: "managed",
    type: "azuread_application_password",
    name: "org_wide",
    provider_name: "registry.terraform.io/hashicorp/azuread",
    change: {
      actions: ["create"],
      before: null,
      after: { display_name: "buildkite-org-wide-password", end_date: null, rotate_when_changed: null, value: PASSWORD },
      after_unknown: { application_id: true, end_date: true, id: true, key_id: true, start_date: true },
      before_sensitive: false,
      after_sensitive: { value: true },
    },
  });
  plan.configuration.root_module.resources.push({
    address: "azuread_application_password.org_wide",
    mode: "managed",
    type: "azuread_application_password",
    name: "org_wide",
    provider_config_key: "azuread",
    expressions: { application_id: { references: ["azuread_application.org_wide.id", "azuread_application.org_wide"] }, display_name: { constant_value: "buildkite-org-wide-password" } },
    schema_version: 0,
  });
  plan.configuration.provider_config.azuread.expressions = { client_secret: { constant_value: CLIENT_SECRET } };
  const file = join(dir, "secret-plan.json");
  writeFileSync(file, JSON.stringify(plan, null, 2));

  for (const format of ["json", "sarif", "markdown", "table"]) {
    it(`are in no ${format} output`, () => {
      expect(readFileSync(file, "utf8")).toContain(PASSWORD);
      const r = trustscope(["scan", "--terraform-plan", "secret-plan.json", "--format", format, "--fail-on", "never"], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      // The scan read the plan: the findings are there.
      expect(r.stdout).toContain("fork-builds-on-trusted-pipeline");
      for (const secret of [PASSWORD, CLIENT_SECRET]) {
        expect(r.stdout).not.toContain(secret);
        expect(r.stderr).not.toContain(secret);
      }
    });
  }
});

describe("Terraform in scan --repo, as a user meets it", () => {
  it("a .tf file that does not parse is a coverage gap naming its line (exit 3); the rest is still judged", () => {
    const dir = mkdtempSync(join(tmpdir(), "trustscope-tf-broken-"));
    cpSync(resolve(REPO_ROOT, HCL_DIR), dir, { recursive: true });
    writeFileSync(join(dir, "broken.tf"), 'resource "azurerm_resource_group" "x" {\n  name = "rg"\n  tags = {\n    a = \n}\n');
    const r = trustscope(["scan", "--repo", ".", "--format", "json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/broken\.tf.*line [45]: not valid HCL/);
    const report = JSON.parse(r.stdout) as Report & { coverage: { complete: boolean } };
    expect(report.coverage.complete).toBe(false);
    expect(report.findings.some((f) => f.ruleId === "org-scoped-trust")).toBe(true);
  });

  it("a Terraform file past 2 MiB is a gap naming it, not a gigabyte of parser memory", () => {
    const dir = mkdtempSync(join(tmpdir(), "trustscope-tf-big-"));
    writeFileSync(join(dir, "main.tf"), `locals {\n  a = "${"x".repeat(2 * 1024 * 1024)}"\n}\n`);
    const r = trustscope(["scan", "--repo", ".", "--fail-on", "never"], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("main.tf: line 1: not read: a Terraform file larger than 2097152 bytes");
  });

  it("scan --help names --terraform-plan", () => {
    const r = trustscope(["scan", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--terraform-plan FILE");
  });
});
