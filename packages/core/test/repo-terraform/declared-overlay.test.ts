/**
 * The join of declared resources (join.ts) and their overlay on a collected inventory
 * (declared-overlay.ts), from hand-made declared configurations: no parser involved.
 */
import { describe, expect, it } from "vitest";
import { overlayDeclared } from "../../src/engine/declared-overlay.ts";
import type { DeclaredConfiguration, DeclaredResource, TfValue } from "../../src/repo/terraform/declared.ts";
import { joinTerraform, pipelineSlug } from "../../src/repo/terraform/join.ts";
import { InventoryBuilder } from "../../src/testing/index.ts";
import type { Inventory } from "../../src/model/inventory.ts";

const str = (s: string): TfValue => ({ k: "str", s });
const ref = (address: string, attribute: string): TfValue => ({ k: "ref", address, attribute });
let line = 0;
function res(type: string, name: string, attributes: Record<string, TfValue>, mode: "managed" | "data" = "managed"): DeclaredResource {
  return { address: `${mode === "data" ? "data." : ""}${type}.${name}`, mode, type, name, module: "", attributes, location: { file: "main.tf", line: ++line } };
}
function config(resources: DeclaredResource[], providers: DeclaredConfiguration["providers"] = []): DeclaredConfiguration {
  return { root: "", source: "hcl", resources, providers, diagnostics: [] };
}
const EMPTY: Inventory = { schemaVersion: 1, cloud: "AzureCloud", coverage: { complete: true, gaps: [] } };

describe("pipelineSlug", () => {
  it("derives Buildkite's slug from a name", () => {
    expect(pipelineSlug("App Deploy (prod)")).toBe("app-deploy-prod");
    expect(pipelineSlug("--x__y--")).toBe("x-y");
  });
});

describe("joinTerraform", () => {
  it("joins a credential to its application and a role assignment to its service principal by references", () => {
    const m = joinTerraform(
      config([
        res("azuread_application", "a", { display_name: str("deployer") }),
        res("azuread_service_principal", "a", { client_id: ref("azuread_application.a", "client_id") }),
        res("azuread_application_federated_identity_credential", "f", {
          application_id: ref("azuread_application.a", "id"),
          display_name: str("bk"),
          issuer: str("https://agent.buildkite.com"),
          subject: ref("buildkite_pipeline.p", "uuid"),
          audiences: { k: "list", items: [str("api://AzureADTokenExchange")] },
        }),
        res("azurerm_role_assignment", "r", { scope: str("/subscriptions/s/resourceGroups/rg"), role_definition_name: str("contributor"), principal_id: ref("azuread_service_principal.a", "object_id") }),
      ]),
    );
    const app = m.objects.applications[0]!;
    expect(app.federatedIdentityCredentials).toEqual([{ name: "bk", issuer: "https://agent.buildkite.com", subject: "${buildkite_pipeline.p.uuid}", audiences: ["api://AzureADTokenExchange"] }]);
    const sp = m.objects.servicePrincipals[0]!;
    expect(sp.appId).toBe(app.appId);
    const [ra] = m.objects.roleAssignments;
    // Role names match case-insensitively, as azurerm's do; the built-in definition's ID is used.
    expect(ra!.assignment).toMatchObject({ principalId: sp.objectId, roleDefinitionId: "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c" });
    expect(m.templates[0]!.roleAssignments[0]!.roleDefinitionGuid).toBe("b24988ac-6180-42a0-ab88-20f7382dd24c");
  });

  it("notes what it cannot know, naming the expression, and judges nothing from it", () => {
    const m = joinTerraform(
      config([
        res("azurerm_user_assigned_identity", "i", { name: str("id-x"), resource_group_name: str("rg") }),
        res("azurerm_federated_identity_credential", "f", {
          parent_id: ref("azurerm_user_assigned_identity.i", "id"),
          name: str("bk"),
          issuer: str("https://agent.buildkite.com"),
          subject: { k: "unknown", raw: "var.subject", why: "variable 'subject' has no value in the repository" },
          audience: { k: "list", items: [str("api://AzureADTokenExchange")] },
        }),
      ]),
    );
    expect(m.objects.managedIdentities[0]!.federatedIdentityCredentials).toEqual([]);
    expect(m.diagnostics).toEqual([
      expect.objectContaining({ note: true, line: line, message: expect.stringContaining("its subject var.subject is not known from the configuration (variable 'subject' has no value in the repository)") }),
    ]);
  });

  it("an unknown condition with text of its own is a condition; a bare variable is not", () => {
    const ra = (condition: TfValue) =>
      joinTerraform(config([res("azurerm_role_assignment", "r", { scope: str("/subscriptions/s"), role_definition_name: str("Owner"), principal_id: str("p"), condition })])).objects.roleAssignments[0]!.assignment;
    expect(ra({ k: "unknown", raw: '"@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${var.role}}"', why: "x" }).condition).toBeDefined();
    expect(ra({ k: "unknown", raw: "var.condition", why: "x" }).condition).toBeUndefined();
    expect(ra(str("  ")).condition).toBeUndefined();
  });
});

describe("overlayDeclared", () => {
  it("joins a declared application by name: collected IDs, a same-named credential replaced, the others kept", () => {
    const b = new InventoryBuilder();
    const ids = b.app("deployer", { credentials: [{ name: "bk", subject: "old" }, { name: "keep", subject: "k" }] });
    const base = b.build();
    const m = joinTerraform(
      config([
        res("azuread_application", "a", { display_name: str("deployer") }),
        res("azuread_application_federated_identity_credential", "f", { application_id: ref("azuread_application.a", "id"), display_name: str("bk"), issuer: str("https://agent.buildkite.com"), subject: str("new"), audiences: { k: "list", items: [str("api://AzureADTokenExchange")] } }),
      ]),
    );
    const o = overlayDeclared(base, m);
    const apps = o.inventory.entra!.applications;
    expect(apps).toHaveLength(1);
    expect(apps[0]!.objectId).toBe(ids.objectId);
    expect(apps[0]!.federatedIdentityCredentials.map((f) => `${f.name}=${f.subject}`)).toEqual(["keep=k", "bk=new"]);
    // The declared credential is located; the collected one is not.
    expect(o.byPointer.get("/entra/applications/0/federatedIdentityCredentials/1")?.address).toBe("azuread_application_federated_identity_credential.f");
    expect(o.byPointer.has("/entra/applications/0/federatedIdentityCredentials/0")).toBe(false);
    // The collected inventory is not changed.
    expect(base.entra!.applications[0]!.federatedIdentityCredentials.map((f) => f.subject)).toEqual(["old", "k"]);
  });

  it("joins a pipeline by slug and keeps its collected settings where the configuration sets none", () => {
    const b = new InventoryBuilder();
    const uuid = b.pipeline("app-deploy", { settings: { buildPullRequests: false, prefixPullRequestForkBranchNames: true } });
    const m = joinTerraform(config([res("buildkite_pipeline", "p", { name: str("App Deploy"), repository: str("git@github.com:acme/app.git"), provider_settings: { k: "map", entries: [["build_pull_request_forks", { k: "bool", b: true }]] } })]));
    const o = overlayDeclared(b.build(), m);
    const p = o.inventory.buildkite!.pipelines.find((x) => x.slug === "app-deploy")!;
    expect(p.uuid).toBe(uuid);
    expect(p.repository?.settings).toEqual({ buildPullRequests: false, prefixPullRequestForkBranchNames: true, buildPullRequestForks: true });
    expect(o.pipelines.get(uuid)?.address).toBe("buildkite_pipeline.p");
  });

  it("gives a new pipeline Buildkite's defaults: pull requests built, forks not", () => {
    const m = joinTerraform(config([res("buildkite_pipeline", "p", { name: str("new"), repository: str("git@github.com:acme/new.git") })]));
    const o = overlayDeclared(EMPTY, m);
    expect(o.inventory.buildkite!.pipelines[0]!.repository?.settings).toEqual({ buildPullRequests: true, buildPullRequestForks: false });
  });

  it("resolves a role name against the inventory's custom roles, and notes one it cannot find", () => {
    const b = new InventoryBuilder();
    b.customRole("Acme Deployer", { actions: ["*"] });
    const identity = res("azurerm_user_assigned_identity", "i", { name: str("id-x"), resource_group_name: str("rg") });
    const assign = (name: string, role: string) =>
      res("azurerm_role_assignment", name, { scope: str("/subscriptions/s/resourceGroups/rg"), role_definition_name: str(role), principal_id: ref("azurerm_user_assigned_identity.i", "principal_id") });
    const o = overlayDeclared(b.build(), joinTerraform(config([identity, assign("a", "acme deployer"), assign("b", "Nobody Knows")])));
    const declared = o.inventory.azure!.roleAssignments;
    expect(declared).toHaveLength(1);
    expect(o.inventory.azure!.roleDefinitions.find((r) => r.id === declared[0]!.roleDefinitionId)?.roleName).toBe("Acme Deployer");
    expect(o.unknownRoles).toEqual([{ address: "azurerm_role_assignment.b", role: "Nobody Knows" }]);
  });

  it("joins a resource group by name when the configuration does not say which subscription, and IDs inside it follow", () => {
    const b = new InventoryBuilder();
    const sub = b.subscription("Production");
    const rg = b.resourceGroup(sub, "rg-app");
    const m = joinTerraform(
      config([
        res("azurerm_resource_group", "rg", { name: str("rg-app") }),
        res("azurerm_storage_account", "sa", { name: str("acmeapp"), resource_group_name: ref("azurerm_resource_group.rg", "name"), shared_access_key_enabled: { k: "bool", b: false } }),
      ]),
    );
    const o = overlayDeclared(b.build(), m);
    expect(o.inventory.azure!.storageAccounts.map((s) => s.id)).toEqual([`${rg}/providers/Microsoft.Storage/storageAccounts/acmeapp`]);
  });
});
