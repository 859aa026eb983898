/**
 * The providers' documented shapes (Buildkite 0.x/1.x, AzureAD 2.x/3.x, AzureRM 3.x/4.x) read
 * through the whole repository loader: no coverage gap, and the facts and declared objects the
 * rules judge. The fixtures (test/fixtures/repos/terraform-provider-shapes/) are written in the
 * shapes of the documentation pages each names at its top.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { BuildkitePipeline, EntraApplication, ManagedIdentity } from "../../src/model/inventory.ts";
import type { RepoInventory, TemplateFacts } from "../../src/model/repo.ts";
import { loadRepo } from "../../src/repo/load-repo.ts";
import type { DeclaredObjects, DeclaredRoleAssignment } from "../../src/repo/terraform/join.ts";
import { loadHclParser, type HclParser } from "../../src/repo/terraform/read-hcl.ts";

const ROOT = resolve(import.meta.dirname, "../../../../test/fixtures/repos/terraform-provider-shapes");
const DIRS = ["buildkite", "buildkite-v0", "azuread", "azuread-v2", "azurerm", "azurerm-v3"] as const;
type Dir = (typeof DIRS)[number];

const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168";
const roleId = (guid: string) => `/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

const AUDIENCE = "api://AzureADTokenExchange";
const BUILDKITE_SUBJECT = "organization:northwind:pipeline:webapp-release:ref:refs/heads/main:commit:*:step:*";

let parser: HclParser;
const loaded = new Map<Dir, RepoInventory>();
beforeAll(async () => {
  parser = await loadHclParser();
  for (const dir of DIRS) loaded.set(dir, loadRepo(resolve(ROOT, dir), { hcl: parser }).repo);
});

function repoOf(dir: Dir): RepoInventory {
  return loaded.get(dir)!;
}

function objectsOf(dir: Dir): DeclaredObjects {
  const models = repoOf(dir).terraform ?? [];
  expect(models.map((m) => m.root)).toEqual([""]);
  return models[0]!.objects;
}

/** The Terraform facts of the fixture's main.tf. */
function factsOf(dir: Dir): TemplateFacts {
  const t = repoOf(dir).templates.filter((x) => x.kind === "terraform");
  expect(t.map((x) => x.file)).toEqual(["main.tf"]);
  return t[0]!;
}

/** The line of a resource block in a fixture, where its facts are located. */
function lineOf(dir: Dir, header: string): number {
  const lines = readFileSync(resolve(ROOT, dir, "main.tf"), "utf8").split("\n");
  const i = lines.findIndex((l) => l.startsWith(header));
  if (i < 0) throw new Error(`no ${header} in ${dir}/main.tf`);
  return i + 1;
}

function roleFact(dir: Dir, name: string) {
  const line = lineOf(dir, `resource "azurerm_role_assignment" "${name}"`);
  const f = factsOf(dir).roleAssignments.find((r) => r.line === line);
  if (!f) throw new Error(`no role assignment fact at ${dir}/main.tf:${line}`);
  return f;
}

/** The declared object a resource became, by its address. */
function made<T extends object>(objects: DeclaredObjects, list: readonly T[], address: string): T {
  const found = list.find((x) => objects.origins.get(x)?.address === address);
  if (!found) throw new Error(`no object declared by ${address} (have ${list.map((x) => objects.origins.get(x)?.address).join(", ")})`);
  return found;
}

function assignment(objects: DeclaredObjects, name: string): DeclaredRoleAssignment {
  const a = objects.roleAssignments.find((r) => objects.origins.get(r.assignment)?.address === `azurerm_role_assignment.${name}`);
  if (!a) throw new Error(`no declared role assignment ${name}`);
  return a;
}

describe("provider documentation shapes", () => {
  it.each(DIRS)("%s reads with no coverage gap", (dir) => {
    const gaps = repoOf(dir).diagnostics.filter((d) => d.note !== true);
    expect(gaps, `gaps:\n${gaps.map((d) => `${d.file}:${d.line}: ${d.message}`).join("\n")}`).toEqual([]);
    expect(repoOf(dir).terraform ?? [], `${dir} has a Terraform model`).toHaveLength(1);
  });

  describe("buildkite 1.x", () => {
    it("reads the organisation, the looked-up and the declared clusters with their queues", () => {
      const o = objectsOf("buildkite");
      expect(o.organization).toEqual({ uuid: "${data.buildkite_organization.current.uuid}", slug: "northwind" });
      const shared = made(o, o.clusters, "data.buildkite_cluster.shared");
      expect(shared.name).toBe("Shared builds");
      const release = made(o, o.clusters, "buildkite_cluster.release");
      expect(release.name).toBe("Release");
      expect(release.queues.map((q) => q.key)).toEqual(["release", "release-macos", "release-linux"]);
      expect(shared.queues).toEqual([]);
    });

    it("reads pipelines with their cluster, visibility and `provider_settings = { }` attribute", () => {
      const o = objectsOf("buildkite");
      const shared = made(o, o.clusters, "data.buildkite_cluster.shared");
      const cluster = made(o, o.clusters, "buildkite_cluster.release");
      const bySlug = new Map(o.pipelines.map((p) => [p.slug, p]));
      expect([...bySlug.keys()]).toEqual(["web-app", "webapp-release", "docs-site", "infra-plan", "tools"]);

      const release = bySlug.get("webapp-release")!;
      const expected = {
        buildBranches: true,
        buildTags: true,
        buildPullRequests: false,
        buildPullRequestForks: false,
        triggerMode: "code",
        filterEnabled: true,
        filterCondition: 'build.branch == "main"',
      };
      expect(release.repository?.settings).toEqual(expected);
      expect(o.declaredSettings.get(release)).toEqual(expected);
      expect(release.clusterUuid).toBe(cluster.uuid);
      expect(release.defaultBranch).toBe("main");

      const webapp = bySlug.get("web-app")!;
      expect(webapp.clusterUuid).toBe(shared.uuid);
      expect(webapp.repository).toMatchObject({ url: "git@github.com:northwind/webapp.git", provider: "RepositoryProviderGithub", settings: {} });
      expect(o.declaredSettings.get(webapp)).toEqual({});
      expect(bySlug.get("docs-site")!.visibility).toBe("PUBLIC");
      expect(webapp.visibility).toBe("PRIVATE");
      // The repository from a local; the steps from the signing data source.
      expect(bySlug.get("infra-plan")!.repository?.url).toBe("git@github.com:northwind/infra.git");
      expect(bySlug.get("infra-plan")!.clusterUuid).toBe(cluster.uuid);
    });

    it("has no Azure facts", () => {
      expect(repoOf("buildkite").templates).toEqual([]);
    });
  });

  describe("buildkite 0.x", () => {
    it("reads the `provider_settings { }` block as the attribute", () => {
      const o = objectsOf("buildkite-v0");
      const p: BuildkitePipeline = made(o, o.pipelines, "buildkite_pipeline.nightly");
      const expected = {
        buildBranches: false,
        buildTags: false,
        buildPullRequests: true,
        buildPullRequestForks: true,
        prefixPullRequestForkBranchNames: true,
        triggerMode: "code",
      };
      expect(p.slug).toBe("nightly-artifacts");
      expect(p.clusterUuid).toBeNull();
      expect(p.repository?.settings).toEqual(expected);
      expect(o.declaredSettings.get(p)).toEqual(expected);
      expect(o.organization?.slug).toBe("northwind");
    });
  });

  describe("azuread 3.x", () => {
    it("has the credentials' literal issuer, subject and audiences as facts", () => {
      const creds = factsOf("azuread").federatedCredentials;
      expect(creds.map((c) => ({ parent: c.parentKind, name: c.name, issuer: c.issuer?.literal, subject: c.subject?.literal, audiences: c.audiences?.map((a) => a.literal) }))).toEqual([
        { parent: "application", name: "webapp-release-main", issuer: "https://agent.buildkite.com", subject: BUILDKITE_SUBJECT, audiences: [AUDIENCE] },
        // Flexible: matched by an expression, no subject.
        { parent: "application", name: "reports-any-branch", issuer: "https://token.actions.githubusercontent.com", subject: undefined, audiences: [AUDIENCE] },
        { parent: "application", name: "reports-tags", issuer: "https://token.actions.githubusercontent.com", subject: "repo:northwind/reports:ref:refs/tags/v1", audiences: [AUDIENCE] },
      ]);
    });

    it("joins credentials to the application by `application_id = azuread_application.x.id`, for both application resources", () => {
      const o = objectsOf("azuread");
      const deployer: EntraApplication = made(o, o.applications, "azuread_application.deployer");
      expect(deployer.displayName).toBe("northwind-deployer");
      expect(deployer.federatedIdentityCredentials).toEqual([
        { name: "webapp-release-main", issuer: "https://agent.buildkite.com", subject: BUILDKITE_SUBJECT, audiences: [AUDIENCE] },
      ]);
      const reporting = made(o, o.applications, "azuread_application_registration.reporting");
      expect(reporting.displayName).toBe("northwind-reporting");
      expect(reporting.federatedIdentityCredentials).toEqual([
        {
          name: "reports-any-branch",
          issuer: "https://token.actions.githubusercontent.com",
          subject: "",
          claimsMatchingExpression: { value: "claims['sub'] matches 'repo:northwind/reports:ref:refs/heads/*'", languageVersion: 1 },
          audiences: [AUDIENCE],
        },
        { name: "reports-tags", issuer: "https://token.actions.githubusercontent.com", subject: "repo:northwind/reports:ref:refs/tags/v1", audiences: [AUDIENCE] },
      ]);
      expect(o.stubs.has(deployer)).toBe(false);
    });

    it("joins service principals (`client_id`) to their application and role assignments to the principal's `object_id`", () => {
      const o = objectsOf("azuread");
      for (const [name, app, role] of [
        ["deployer", "azuread_application.deployer", CONTRIBUTOR],
        ["reporting", "azuread_application_registration.reporting", READER],
      ] as const) {
        const sp = made(o, o.servicePrincipals, `azuread_service_principal.${name}`);
        expect(sp.appId).toBe(made(o, o.applications, app).appId);
        const a = assignment(o, name);
        expect(a.assignment.principalId).toBe(sp.objectId);
        expect(a.assignment.roleDefinitionId).toBe(roleId(role));
        expect(roleFact("azuread", name)).toMatchObject({ roleDefinitionGuid: role, hasCondition: false, principalRaw: `\${azuread_service_principal.${name}.object_id}` });
      }
    });

    // join.ts refValue: the branch for a managed `azurerm_subscription` (type only, no mode check)
    // comes first and also takes `data.azurerm_subscription`, so the data branch below it (the
    // provider's subscription) is never reached: the scope stays `/subscriptions/${data…subscription_id}`.
    it("scopes `data.azurerm_subscription.x.id` to the provider's subscription", () => {
      const o = objectsOf("azuread");
      expect(assignment(o, "deployer").assignment.scope).toBe("/subscriptions/0b1f6471-1bf0-4dda-aec3-0000aaaa0001");
    });
  });

  describe("azuread 2.x", () => {
    it("joins the credential by `application_object_id`, the service principal by `application_id`, the grant by `object_id`", () => {
      const facts = factsOf("azuread-v2");
      expect(facts.federatedCredentials).toMatchObject([
        {
          parentKind: "application",
          name: "legacy-deploy-production",
          issuer: { literal: "https://token.actions.githubusercontent.com" },
          subject: { literal: "repo:northwind/legacy:environment:production" },
          audiences: [{ literal: AUDIENCE }],
        },
      ]);
      expect(roleFact("azuread-v2", "legacy")).toMatchObject({ roleDefinitionGuid: OWNER, principalRaw: "${azuread_service_principal.legacy.object_id}" });

      const o = objectsOf("azuread-v2");
      const app = made(o, o.applications, "azuread_application.legacy");
      expect(app.federatedIdentityCredentials).toEqual([
        { name: "legacy-deploy-production", issuer: "https://token.actions.githubusercontent.com", subject: "repo:northwind/legacy:environment:production", audiences: [AUDIENCE] },
      ]);
      const sp = made(o, o.servicePrincipals, "azuread_service_principal.legacy");
      expect(sp.appId).toBe(app.appId);
      expect(sp.displayName).toBe("northwind-legacy-deployer");
      const a = assignment(o, "legacy");
      expect(a.assignment).toMatchObject({ principalId: sp.objectId, roleDefinitionId: roleId(OWNER) });
    });
  });

  describe("azurerm 4.x", () => {
    it("joins the credential to its identity by `user_assigned_identity_id`", () => {
      expect(factsOf("azurerm").federatedCredentials).toMatchObject([
        { parentKind: "managedIdentity", name: "buildkite-webapp-release", issuer: { literal: "https://agent.buildkite.com" }, subject: { literal: BUILDKITE_SUBJECT }, audiences: [{ literal: AUDIENCE }] },
      ]);
      const o = objectsOf("azurerm");
      const mi: ManagedIdentity = made(o, o.managedIdentities, "azurerm_user_assigned_identity.release");
      expect(mi.id).toBe("/subscriptions/0b1f6471-1bf0-4dda-aec3-0000bbbb0002/resourceGroups/rg-northwind-platform/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-northwind-release");
      expect(mi.federatedIdentityCredentials).toEqual([{ name: "buildkite-webapp-release", issuer: "https://agent.buildkite.com", subject: BUILDKITE_SUBJECT, audiences: [AUDIENCE] }]);
    });

    it("reads each documented way of naming the role, joined to the identity's `principal_id`", () => {
      const o = objectsOf("azurerm");
      const mi = made(o, o.managedIdentities, "azurerm_user_assigned_identity.release");
      const custom = "5d0c8f3e-7a61-4b2c-9e4f-1a2b3c4d5e6f";
      for (const [name, guid] of [
        ["release_contributor", CONTRIBUTOR],
        ["release_blob_data", STORAGE_BLOB_DATA_CONTRIBUTOR],
        ["release_reader", READER],
        ["release_custom", custom],
        ["release_rbac_admin", RBAC_ADMINISTRATOR],
      ] as const) {
        expect(roleFact("azurerm", name), name).toMatchObject({ roleDefinitionGuid: guid, principalRaw: "${azurerm_user_assigned_identity.release.principal_id}" });
        const a = assignment(o, name);
        expect(a.assignment.principalId, name).toBe(mi.principalId);
        expect(a.assignment.roleDefinitionId, name).toBe(roleId(guid));
      }
      expect(assignment(o, "release_contributor").assignment.scope).toBe("/subscriptions/0b1f6471-1bf0-4dda-aec3-0000bbbb0002/resourceGroups/rg-northwind-platform");
      expect(assignment(o, "release_blob_data").assignment.scope).toBe(
        "/subscriptions/0b1f6471-1bf0-4dda-aec3-0000bbbb0002/resourceGroups/rg-northwind-platform/providers/Microsoft.Storage/storageAccounts/northwindartifacts",
      );
      expect(made(o, o.roleDefinitions, "azurerm_role_definition.rg_lister")).toMatchObject({
        id: roleId(custom),
        roleName: "northwind-resource-group-lister",
        roleType: "CustomRole",
        permissions: [{ actions: ["Microsoft.Resources/subscriptions/resourceGroups/read"], notActions: [], dataActions: [], notDataActions: [] }],
      });
    });

    it("reads a written-out ABAC condition", () => {
      expect(roleFact("azurerm", "release_rbac_admin").hasCondition).toBe(true);
      const a = assignment(objectsOf("azurerm"), "release_rbac_admin").assignment;
      expect(a.conditionVersion).toBe("2.0");
      expect(a.condition).toContain("ForAnyOfAnyValues:GuidEquals {2a2b9908-6ea1-4ae2-8e65-a410df84e7d1}");
    });

    // join.ts roleIdOf: a role_definition_id that interpolates the subscription
    // ("${data.azurerm_subscription.x.id}/providers/Microsoft.Authorization/roleDefinitions/<guid>")
    // is an unknown string; only its first ref is looked at (not a role definition) and the GUID
    // written after it is dropped, so an Owner grant is only a note ("the grant is not judged").
    it("reads the built-in role from a role definition ID under an interpolated subscription", () => {
      expect(roleFact("azurerm", "release_owner_by_id").roleDefinitionGuid).toBe(OWNER);
      expect(assignment(objectsOf("azurerm"), "release_owner_by_id").assignment.roleDefinitionId).toBe(roleId(OWNER));
    });

    // join.ts roleAssignment: `hasCondition` and `condition` take the condition only when it is a
    // literal string. The documentation's example interpolates
    // `${basename(data.azurerm_role_definition.x.role_definition_id)}` into the heredoc, so the
    // value is unknown and the assignment reads as having no condition at all (and no note says so):
    // a constrained Role Based Access Control Administrator is judged as unconstrained.
    it("knows that an ABAC condition built with interpolation is present", () => {
      expect(roleFact("azurerm", "client_rbac_admin").hasCondition).toBe(true);
      expect(assignment(objectsOf("azurerm"), "client_rbac_admin").assignment.condition).toBeDefined();
    });

    // The same refValue ordering as under azuread 3.x, with the subscription in the provider block.
    it("scopes `data.azurerm_subscription.x.id` to the provider's subscription", () => {
      expect(assignment(objectsOf("azurerm"), "release_reader").assignment.scope).toBe("/subscriptions/0b1f6471-1bf0-4dda-aec3-0000bbbb0002");
    });

    it("reads shared key access: off when set false, allowed by default", () => {
      expect(factsOf("azurerm").storageAccounts).toEqual([
        { file: "main.tf", line: lineOf("azurerm", 'resource "azurerm_storage_account" "artifacts"'), name: "northwindartifacts", allowSharedKeyAccess: false },
        { file: "main.tf", line: lineOf("azurerm", 'resource "azurerm_storage_account" "logs"'), name: "northwindlogs" },
      ]);
      const o = objectsOf("azurerm");
      expect(made(o, o.storageAccounts, "azurerm_storage_account.artifacts")).toMatchObject({ name: "northwindartifacts", allowSharedKeyAccess: false, tags: { environment: "production" } });
      expect(made(o, o.storageAccounts, "azurerm_storage_account.logs")).toMatchObject({ name: "northwindlogs", allowSharedKeyAccess: true });
      expect(made(o, o.resourceGroups, "azurerm_resource_group.platform")).toMatchObject({ name: "rg-northwind-platform", subscriptionId: "0b1f6471-1bf0-4dda-aec3-0000bbbb0002" });
    });
  });

  describe("azurerm 3.x", () => {
    it("joins the credential to its identity by `parent_id` and the Owner grant to its `principal_id`", () => {
      expect(factsOf("azurerm-v3").federatedCredentials).toMatchObject([
        {
          parentKind: "managedIdentity",
          name: "ops-deploy",
          issuer: { literal: "https://token.actions.githubusercontent.com" },
          subject: { literal: "repo:northwind/ops:environment:production" },
          audiences: [{ literal: AUDIENCE }],
        },
      ]);
      expect(roleFact("azurerm-v3", "ops_owner")).toMatchObject({ roleDefinitionGuid: OWNER, hasCondition: false });
      const o = objectsOf("azurerm-v3");
      const mi = made(o, o.managedIdentities, "azurerm_user_assigned_identity.ops");
      expect(mi.federatedIdentityCredentials).toEqual([
        { name: "ops-deploy", issuer: "https://token.actions.githubusercontent.com", subject: "repo:northwind/ops:environment:production", audiences: [AUDIENCE] },
      ]);
      expect(assignment(o, "ops_owner").assignment).toMatchObject({ principalId: mi.principalId, roleDefinitionId: roleId(OWNER) });
    });

    it("reads shared key access set true", () => {
      expect(factsOf("azurerm-v3").storageAccounts).toMatchObject([{ name: "northwindopsstate", allowSharedKeyAccess: true }]);
      const o = objectsOf("azurerm-v3");
      expect(made(o, o.storageAccounts, "azurerm_storage_account.ops").allowSharedKeyAccess).toBe(true);
    });
  });
});
