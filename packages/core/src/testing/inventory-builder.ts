/**
 * Builds small inventories for tests and rule authors: names in, deterministic UUIDs out.
 *
 *   const b = new InventoryBuilder();
 *   const deploy = b.pipeline("deploy-prod", { cluster: "Production" });
 *   const app = b.app("deployer", { credentials: [{ subject: deploy }] });
 *   b.assign(app.principalId, "Owner", b.subscription("Contoso-Prod"));
 *   const inventory = b.build();
 */
import { createHash } from "node:crypto";
import type {
  AzureCloudName,
  FederatedCredential,
  Inventory,
  PasswordCredentialMetadata,
  ProviderSettings,
  RoleAssignment,
  RoleDefinition,
  RolePermission,
} from "../model/inventory.ts";
import builtinRoles from "./builtin-roles.json" with { type: "json" };
import webRoles from "./web-roles.json" with { type: "json" };

export const BUILTIN_ROLES = builtinRoles as RoleDefinition[];
/**
 * Website Contributor and Web Plan Contributor, with Azure's actions (built-in-roles/web-and-mobile.md):
 * roles narrower than Contributor for web deployments, for the demo and the bench (not in
 * BUILTIN_ROLES, so inventories built for tests keep their role set).
 */
export const WEB_ROLES = webRoles as RoleDefinition[];

/** A UUID derived from a name, stable across runs. */
export function uuidFor(name: string): string {
  const h = createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface BuiltApp {
  appId: string;
  objectId: string;
  principalId: string;
}

export class InventoryBuilder {
  private readonly inv: Inventory;

  constructor(opts: { cloud?: AzureCloudName; org?: string } = {}) {
    const org = opts.org ?? "acme";
    this.inv = {
      schemaVersion: 1,
      cloud: opts.cloud ?? "AzureCloud",
      buildkite: { organization: { uuid: uuidFor(`org:${org}`), slug: org }, clusters: [], pipelines: [], agents: [] },
      entra: { applications: [], servicePrincipals: [], groups: [] },
      azure: {
        managementGroups: [],
        subscriptions: [],
        resourceGroups: [],
        roleDefinitions: structuredClone(BUILTIN_ROLES),
        roleAssignments: [],
        storageAccounts: [],
        managedIdentities: [],
      },
      coverage: { complete: true, gaps: [] },
    };
  }

  get orgUuid(): string {
    return this.inv.buildkite!.organization.uuid;
  }

  /** A cluster with its queues; returns the cluster UUID. Queue UUIDs: `queueUuid(key)`. */
  cluster(name: string, queues: string[] = []): string {
    const uuid = uuidFor(`cluster:${name}`);
    if (!this.inv.buildkite!.clusters.some((c) => c.uuid === uuid)) {
      this.inv.buildkite!.clusters.push({ uuid, name, queues: queues.map((key) => ({ uuid: this.queueUuid(key), key })) });
    }
    return uuid;
  }

  queueUuid(key: string): string {
    return uuidFor(`queue:${key}`);
  }

  /** A pipeline; returns its UUID. */
  pipeline(
    slug: string,
    opts: { cluster?: string; settings?: ProviderSettings; stepsYaml?: string | null; visibility?: "PUBLIC" | "PRIVATE"; name?: string } = {},
  ): string {
    const uuid = uuidFor(`pipeline:${slug}`);
    this.inv.buildkite!.pipelines.push({
      uuid,
      slug,
      name: opts.name ?? slug,
      clusterUuid: opts.cluster ? this.cluster(opts.cluster) : null,
      visibility: opts.visibility ?? "PRIVATE",
      repository: { url: `git@github.com:acme/${slug}.git`, provider: "RepositoryProviderGithub", settings: opts.settings ?? {} },
      ...(opts.stepsYaml !== undefined ? { stepsYaml: opts.stepsYaml } : {}),
      teams: [],
    });
    return uuid;
  }

  agent(name: string, queueKey: string | null): string {
    const uuid = uuidFor(`agent:${name}`);
    this.inv.buildkite!.agents.push({ uuid, name, queueUuid: queueKey ? this.queueUuid(queueKey) : null });
    return uuid;
  }

  /** An app registration with its service principal. Credentials default to Buildkite's issuer and the public audience. */
  app(
    displayName: string,
    opts: { credentials?: CredentialSpec[]; secrets?: PasswordCredentialMetadata[]; groups?: string[] } = {},
  ): BuiltApp {
    const ids: BuiltApp = { appId: uuidFor(`appId:${displayName}`), objectId: uuidFor(`app:${displayName}`), principalId: uuidFor(`sp:${displayName}`) };
    this.inv.entra!.applications.push({
      objectId: ids.objectId,
      appId: ids.appId,
      displayName,
      passwordCredentials: opts.secrets ?? [],
      federatedIdentityCredentials: (opts.credentials ?? []).map((c, i) => credential(c, `${displayName}-${i}`)),
    });
    this.inv.entra!.servicePrincipals.push({
      objectId: ids.principalId,
      appId: ids.appId,
      displayName,
      servicePrincipalType: "Application",
      memberOf: (opts.groups ?? []).map((g) => this.group(g)),
    });
    return ids;
  }

  /** A user-assigned managed identity in a resource group. */
  managedIdentity(name: string, resourceGroupId: string, credentials: CredentialSpec[] = []): BuiltApp {
    const ids: BuiltApp = { appId: uuidFor(`miClient:${name}`), objectId: uuidFor(`miPrincipal:${name}`), principalId: uuidFor(`miPrincipal:${name}`) };
    this.inv.azure!.managedIdentities.push({
      id: `${resourceGroupId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
      name,
      clientId: ids.appId,
      principalId: ids.principalId,
      federatedIdentityCredentials: credentials.map((c, i) => credential(c, `${name}-${i}`)),
    });
    return ids;
  }

  /** A group; returns its object ID. */
  group(displayName: string): string {
    const objectId = uuidFor(`group:${displayName}`);
    if (!this.inv.entra!.groups.some((g) => g.objectId === objectId)) this.inv.entra!.groups.push({ objectId, displayName });
    return objectId;
  }

  managementGroup(name: string, parent?: string): string {
    const id = `/providers/Microsoft.Management/managementGroups/${name}`;
    this.inv.azure!.managementGroups.push({ id, name, displayName: name, parentId: parent ?? null });
    return id;
  }

  /** A subscription; returns its scope (`/subscriptions/…`). */
  subscription(displayName: string, opts: { tags?: Record<string, string>; managementGroup?: string } = {}): string {
    const subscriptionId = uuidFor(`sub:${displayName}`);
    if (!this.inv.azure!.subscriptions.some((s) => s.subscriptionId === subscriptionId)) {
      this.inv.azure!.subscriptions.push({ subscriptionId, displayName, tags: opts.tags ?? {}, ...(opts.managementGroup ? { managementGroupId: opts.managementGroup } : {}) });
    }
    return `/subscriptions/${subscriptionId}`;
  }

  resourceGroup(subscriptionScope: string, name: string, tags: Record<string, string> = {}): string {
    const id = `${subscriptionScope}/resourceGroups/${name}`;
    this.inv.azure!.resourceGroups.push({ id, name, subscriptionId: subscriptionScope.split("/")[2]!, tags });
    return id;
  }

  storageAccount(resourceGroupId: string, name: string, allowSharedKeyAccess?: boolean | null): string {
    const id = `${resourceGroupId}/providers/Microsoft.Storage/storageAccounts/${name}`;
    this.inv.azure!.storageAccounts.push({ id, name, ...(allowSharedKeyAccess !== undefined ? { allowSharedKeyAccess } : {}) });
    return id;
  }

  customRole(roleName: string, permission: Partial<RolePermission>): string {
    const name = uuidFor(`role:${roleName}`);
    this.inv.azure!.roleDefinitions.push({
      id: `/providers/Microsoft.Authorization/roleDefinitions/${name}`,
      name,
      roleName,
      roleType: "CustomRole",
      permissions: [{ actions: [], notActions: [], dataActions: [], notDataActions: [], ...permission }],
      assignableScopes: ["/"],
    });
    return name;
  }

  /** Assign a role (by name, built-in or custom) to a principal at a scope. */
  assign(principalId: string, roleName: string, scope: string, extra: Partial<RoleAssignment> = {}): RoleAssignment {
    const role = this.inv.azure!.roleDefinitions.find((r) => r.roleName === roleName);
    if (!role) throw new Error(`no role named ${roleName}`);
    const isGroup = this.inv.entra!.groups.some((g) => g.objectId === principalId);
    const a: RoleAssignment = {
      id: `${scope === "/" ? "" : scope}/providers/Microsoft.Authorization/roleAssignments/${uuidFor(`ra:${principalId}:${roleName}:${scope}`)}`,
      scope,
      roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
      principalId,
      principalType: isGroup ? "Group" : "ServicePrincipal",
      ...extra,
    };
    this.inv.azure!.roleAssignments.push(a);
    return a;
  }

  /** Direct access for adjustments the helpers do not cover. */
  get raw(): Inventory {
    return this.inv;
  }

  build(): Inventory {
    return structuredClone(this.inv);
  }
}

/**
 * A federated credential: by `subject`, or by `expression` (a flexible credential: its
 * claimsMatchingExpression at language version 1, and an empty subject as the collectors record it).
 */
export type CredentialSpec = Partial<FederatedCredential> & ({ subject: string } | { expression: string });

function credential(c: CredentialSpec, fallbackName: string): FederatedCredential {
  const expression = "expression" in c ? { value: c.expression, languageVersion: 1 } : c.claimsMatchingExpression;
  return {
    name: c.name ?? fallbackName,
    issuer: c.issuer ?? "https://agent.buildkite.com",
    subject: c.subject ?? "",
    ...(expression ? { claimsMatchingExpression: expression } : {}),
    audiences: c.audiences ?? ["api://AzureADTokenExchange"],
  };
}
