/**
 * Azure Resource Manager collector, through the official ARM SDKs: subscriptions and tags,
 * management-group ancestry, resource groups, role definitions and role assignments (once per
 * subscription, never per principal), storage accounts, and user-assigned managed identities
 * with their federated credentials.
 */
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ManagementGroupsAPI } from "@azure/arm-managementgroups";
import { ManagedServiceIdentityClient } from "@azure/arm-msi";
import { ResourceManagementClient } from "@azure/arm-resources";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { StorageManagementClient } from "@azure/arm-storage";
import type { TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type {
  AzureInventory,
  AzureManagementGroup,
  AzureSubscription,
  CoverageGap,
  ManagedIdentity,
  RoleAssignment,
  RoleDefinition,
  StorageAccount,
} from "../model/inventory.ts";
import { normalizeScope } from "../azure/scope.ts";
import { assertSameOrigin, ForeignOriginError, Limiter, redactUrl } from "./http.ts";
import { DEFAULTS, type CollectOptions } from "./options.ts";

interface PagedIterator<T> {
  byPage(): AsyncIterableIterator<T[]>;
}

interface RestLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** Refuses, before anything is sent, a request to another origin (a hostile nextLink). */
function sameOriginPolicy(armUrl: string, timeoutMs: number): PipelinePolicy {
  return {
    name: "trustscopeSameOrigin",
    sendRequest(request, next) {
      assertSameOrigin(request.url, armUrl);
      request.timeout = timeoutMs;
      return next(request);
    },
  };
}

const PERMISSION_FOR: [RegExp, string][] = [
  [/managementgroups|getentities/i, "Management Group Reader on the tenant root management group"],
  [/./, "Reader"],
];

function describe(e: unknown, what: string, scope: string, credentialName: string, armUrl: string): string {
  if (e instanceof ForeignOriginError) return `${what}: ${e.message}`;
  const r = e as RestLikeError;
  if (r && typeof r === "object" && typeof r.statusCode === "number") {
    if (r.statusCode === 401) return `401 ${r.code ?? "Unauthorized"} listing ${what} at ${redactUrl(armUrl)}: the ARM token from ${credentialName} was rejected`;
    if (r.statusCode === 403) {
      const need = PERMISSION_FOR.find(([re]) => re.test(scope) || re.test(what))![1];
      return `403 ${r.code ?? "Forbidden"} listing ${what}: the ARM credential (${credentialName}) needs ${need} on ${scope}`;
    }
    return `${r.statusCode} ${r.code ?? ""} listing ${what}: ${(r.message ?? "").split("\n")[0]}`.replace(/\s+/g, " ");
  }
  return `${what}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
}

export interface AzureCollection {
  azure: AzureInventory;
  gaps: CoverageGap[];
}

export async function collectAzure(opts: CollectOptions, armScope: string): Promise<AzureCollection> {
  const az = opts.azure!;
  const credential: TokenCredential = az.armCredential;
  const limiter = new Limiter(opts.concurrency ?? DEFAULTS.concurrency);
  const clientOptions = {
    endpoint: az.armUrl.replace(/\/+$/, ""),
    $host: az.armUrl.replace(/\/+$/, ""),
    credentialScopes: [armScope],
    retryOptions: { maxRetries: opts.maxRetries ?? DEFAULTS.maxRetries },
    ...(opts.caPem ? { tlsOptions: { ca: opts.caPem } } : {}),
    additionalPolicies: [{ policy: sameOriginPolicy(az.armUrl, opts.timeoutMs ?? DEFAULTS.timeoutMs), position: "perCall" as const }],
  };
  const gaps: CoverageGap[] = [];
  const progress = (m: string) => opts.onProgress?.("arm", m);

  /** Pages a listing to the end under the concurrency limit; a failure keeps what was read and records a gap. */
  async function listAll<T>(what: string, scope: string, iterator: () => PagedIterator<T>): Promise<T[]> {
    const out: T[] = [];
    try {
      // ARM decides page sizes itself; most list operations take no page-size parameter.
      const pages = iterator().byPage();
      for (;;) {
        const page = await limiter.run(() => pages.next());
        if (page.done) break;
        out.push(...page.value);
      }
    } catch (e) {
      gaps.push({ source: "arm", scope, error: describe(e, what, scope, az.armCredentialName, az.armUrl) });
    }
    return out;
  }

  // Subscriptions: all the credential can list, or the ones asked for.
  const subscriptionClient = new SubscriptionClient(credential, clientOptions);
  let subs: AzureSubscription[];
  if (az.subscriptions && az.subscriptions.length > 0) {
    subs = [];
    for (const id of az.subscriptions) {
      try {
        const s = await limiter.run(() => subscriptionClient.subscriptions.get(id));
        subs.push({ subscriptionId: s.subscriptionId ?? id, displayName: s.displayName ?? id, ...(s.state ? { state: s.state } : {}), tags: s.tags ?? {} });
      } catch (e) {
        gaps.push({ source: "arm", scope: `/subscriptions/${id}`, error: describe(e, `subscription ${id}`, `/subscriptions/${id}`, az.armCredentialName, az.armUrl) });
      }
    }
  } else {
    const listed = await listAll("subscriptions", "/subscriptions", () => subscriptionClient.subscriptions.list());
    subs = listed.map((s) => ({ subscriptionId: s.subscriptionId!, displayName: s.displayName ?? s.subscriptionId!, ...(s.state ? { state: s.state } : {}), tags: s.tags ?? {} }));
  }
  progress(`${subs.length} subscriptions`);

  // Management-group ancestry, in one listing of entities.
  const mgClient = new ManagementGroupsAPI(credential, clientOptions);
  const entities = await listAll("management groups", "/providers/Microsoft.Management/managementGroups", () => mgClient.entities.list());
  const managementGroups: AzureManagementGroup[] = [];
  const parentOf = new Map<string, string>();
  for (const e of entities) {
    if (!e.id) continue;
    if (e.type === "Microsoft.Management/managementGroups") {
      managementGroups.push({ id: e.id, name: e.name ?? e.id.split("/").pop()!, displayName: e.displayName ?? e.name ?? "", parentId: e.parent?.id ?? null });
    } else if (e.parent?.id) {
      parentOf.set((e.name ?? e.id.split("/").pop()!).toLowerCase(), e.parent.id);
    }
  }
  for (const s of subs) {
    const mg = parentOf.get(s.subscriptionId.toLowerCase());
    if (mg) s.managementGroupId = mg;
  }

  const roleDefinitions = new Map<string, RoleDefinition>();
  const roleAssignments = new Map<string, RoleAssignment>();
  const resourceGroups: AzureInventory["resourceGroups"] = [];
  const storageAccounts: StorageAccount[] = [];
  const managedIdentities: ManagedIdentity[] = [];

  await Promise.all(
    subs.map(async (sub) => {
      const id = sub.subscriptionId;
      const scope = `/subscriptions/${id}`;
      const authz = new AuthorizationManagementClient(credential, id, clientOptions);
      const resources = new ResourceManagementClient(credential, id, clientOptions);
      const storage = new StorageManagementClient(credential, id, clientOptions);
      const msi = new ManagedServiceIdentityClient(credential, id, clientOptions);
      const [rgs, defs, assignments, accounts, identities] = await Promise.all([
        listAll("resource groups", scope, () => resources.resourceGroups.list()),
        // The SDK's path template is "/{scope}/providers/…": the scope goes in without its leading slash.
        listAll("role definitions", scope, () => authz.roleDefinitions.list(scope.slice(1))),
        listAll("role assignments", scope, () => authz.roleAssignments.listForSubscription()),
        listAll("storage accounts", scope, () => storage.storageAccounts.list()),
        listAll("user-assigned managed identities", scope, () => msi.userAssignedIdentities.listBySubscription()),
      ]);
      for (const rg of rgs) if (rg.id) resourceGroups.push({ id: rg.id, name: rg.name ?? rg.id.split("/").pop()!, subscriptionId: id, tags: rg.tags ?? {} });
      for (const d of defs) {
        if (!d.id || !d.name) continue;
        roleDefinitions.set(d.name.toLowerCase(), {
          id: d.id,
          name: d.name,
          roleName: d.roleName ?? d.name,
          roleType: d.roleType === "CustomRole" ? "CustomRole" : "BuiltInRole",
          permissions: (d.permissions ?? []).map((p) => ({ actions: p.actions ?? [], notActions: p.notActions ?? [], dataActions: p.dataActions ?? [], notDataActions: p.notDataActions ?? [] })),
          assignableScopes: d.assignableScopes ?? [],
        });
      }
      // Assignments above the subscription come back for every subscription: keep one of each.
      for (const a of assignments) {
        if (!a.id || !a.scope || !a.roleDefinitionId || !a.principalId) continue;
        roleAssignments.set(a.id.toLowerCase(), {
          id: a.id,
          scope: a.scope,
          roleDefinitionId: a.roleDefinitionId,
          principalId: a.principalId,
          principalType: (a.principalType ?? "ServicePrincipal") as RoleAssignment["principalType"],
          ...(a.condition ? { condition: a.condition, conditionVersion: a.conditionVersion ?? null } : {}),
          ...(a.createdBy ? { createdBy: a.createdBy } : {}),
        });
      }
      for (const s of accounts) {
        if (!s.id) continue;
        storageAccounts.push({
          id: s.id,
          name: s.name ?? s.id.split("/").pop()!,
          ...(s.allowSharedKeyAccess !== undefined && s.allowSharedKeyAccess !== null ? { allowSharedKeyAccess: s.allowSharedKeyAccess } : {}),
          tags: s.tags ?? {},
        });
      }
      await Promise.all(
        identities.map(async (mi) => {
          if (!mi.id || !mi.clientId || !mi.principalId) return;
          const parts = mi.id.split("/");
          const rg = parts[parts.findIndex((p) => p.toLowerCase() === "resourcegroups") + 1]!;
          const fics = await listAll(`federated credentials of ${mi.name}`, mi.id, () => msi.federatedIdentityCredentials.list(rg, mi.name!));
          managedIdentities.push({
            id: mi.id,
            name: mi.name ?? parts[parts.length - 1]!,
            clientId: mi.clientId,
            principalId: mi.principalId,
            ...(mi.tenantId ? { tenantId: mi.tenantId } : {}),
            federatedIdentityCredentials: fics.map((f) => ({ ...(f.id ? { id: f.id } : {}), name: f.name ?? "", issuer: f.issuer ?? "", subject: f.subject ?? "", audiences: f.audiences ?? [] })),
          });
        }),
      );
      progress(`${roleAssignments.size} role assignments, ${storageAccounts.length} storage accounts, ${managedIdentities.length} managed identities`);
    }),
  );

  const byId = <T extends { id: string }>(a: T, b: T) => (normalizeScope(a.id) < normalizeScope(b.id) ? -1 : 1);
  return {
    azure: {
      managementGroups: managementGroups.sort(byId),
      subscriptions: subs.sort((a, b) => (a.subscriptionId < b.subscriptionId ? -1 : 1)),
      resourceGroups: resourceGroups.sort(byId),
      roleDefinitions: [...roleDefinitions.values()].sort(byId),
      roleAssignments: [...roleAssignments.values()].sort(byId),
      storageAccounts: storageAccounts.sort(byId),
      managedIdentities: managedIdentities.sort(byId),
    },
    gaps: gaps.map((g) => ({ ...g, error: g.error.replace(/https?:\/\/\S+/g, (u) => redactUrl(u)) })),
  };
}
