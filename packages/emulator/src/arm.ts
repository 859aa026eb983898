/**
 * Azure Resource Manager, as far as trustscope reads it: subscriptions, the management-group
 * hierarchy, resource groups, RBAC role definitions and assignments, storage accounts,
 * user-assigned managed identities with their federated credentials, and each subscription's
 * Activity Log (activity-log.ts). Paths are case-insensitive, every request needs `api-version`,
 * and lists page with an absolute `nextLink`, like the real thing.
 */
import type {
  AzureInventory,
  AzureManagementGroup,
  AzureSubscription,
  Inventory,
  ManagedIdentity,
  RoleAssignment,
  RoleDefinition,
  StorageAccount,
} from "@trustscope/core";
import {
  decodeSkipToken,
  json,
  ListingCache,
  ResponseCache,
  newRequestId,
  queryParam,
  segmentsOf,
  type ApiRequest,
  type ApiResponse,
  type EmulatorState,
  type FamilyErrors,
  type FamilyHandler,
} from "./http.ts";

import { createActivityLog } from "./activity-log.ts";

const CONTENT_TYPE = "application/json; charset=utf-8";
/** The object id AuthorizationFailed messages name as the caller (the emulator knows no real caller). */
export const EMULATOR_CALLER_OBJECT_ID = "e0e0e0e0-0000-4000-8000-00000000ca11";
/** The inventory records no locations or timestamps; ARM always returns them. */
const LOCATION = "westeurope";
const TIMESTAMP = "2024-01-01T00:00:00.0000000Z";
const API_VERSION = /^\d{4}-\d{2}-\d{2}(-(preview|beta|alpha|privatepreview))?$/i;
/** The first Microsoft.ManagedIdentity API version with flexible credentials' expressions (2025-01-31-preview). */
const FLEXIBLE_FIC_API_VERSION = "2025-01-31";

type JsonObject = Record<string, unknown>;

export interface ArmOptions {
  scenario: Inventory;
  pageSize: number;
  state: EmulatorState;
}

function armError(status: number, code: string, message: string, headers?: Record<string, string>): ApiResponse {
  return json(status, { error: { code, message } }, headers);
}


/**
 * The RBAC action and scope a request needs, for AuthorizationFailed messages:
 * `GET /subscriptions/s/providers/Microsoft.Storage/storageAccounts` →
 * `Microsoft.Storage/storageAccounts/read` over `/subscriptions/s`.
 */
export function actionAndScope(method: string, pathname: string): { action: string; scope: string } {
  const segs = segmentsOf(pathname);
  const lower = segs.map((s) => s.toLowerCase());
  const verb = method === "GET" ? "read" : method === "DELETE" ? "delete" : method === "POST" ? "action" : "write";
  const join = (parts: string[]) => (parts.length === 0 ? "/" : `/${parts.join("/")}`);
  // The Activity Log's read is one action on the subscription, not one per path segment.
  const activity = /^(\/subscriptions\/[^/]+)\/providers\/microsoft\.insights\/eventtypes\/management\/values$/i.exec(join(segs));
  if (activity) return { action: "microsoft.insights/eventtypes/values/read", scope: activity[1]! };
  const pi = lower.lastIndexOf("providers");
  if (pi >= 0 && pi + 1 < segs.length) {
    const namespace = segs[pi + 1]!;
    const rest = segs.slice(pi + 2);
    const types = rest.filter((_, i) => i % 2 === 0);
    const isItem = rest.length > 0 && rest.length % 2 === 0;
    const scope = isItem ? join(segs) : rest.length <= 1 ? join(segs.slice(0, pi)) : join(segs.slice(0, segs.length - 1));
    return { action: `${namespace}/${types.join("/")}/${verb}`, scope };
  }
  // Microsoft.Resources paths: /subscriptions[/s[/resourceGroups[/rg]]]
  const types = segs.filter((_, i) => i % 2 === 0).map((t) => (t.toLowerCase() === "resourcegroups" ? "resourceGroups" : t));
  const isItem = segs.length > 0 && segs.length % 2 === 0;
  return { action: `Microsoft.Resources/${types.join("/")}/${verb}`, scope: isItem ? join(segs) : join(segs.slice(0, segs.length - 1)) };
}

function subscriptionOf(req: ApiRequest): string | undefined {
  return /^\/+subscriptions\/+([^/?]+)/i.exec(req.url.pathname)?.[1];
}

export function createArmErrors(tenantId: string | undefined): FamilyErrors {
  const challenge = (description: string) => ({
    "WWW-Authenticate": `Bearer authorization_uri="https://login.windows.net/${tenantId ?? "common"}", error="invalid_token", error_description="${description}"`,
  });
  const errors: FamilyErrors = {
    unauthorized: (_req, missing) =>
      missing
        ? armError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.", challenge("The authentication failed because of missing 'Authorization' header."))
        : armError(401, "InvalidAuthenticationToken", "The access token is invalid.", challenge("The access token is invalid.")),
    throttled: (req, status, retryAfterSeconds) => {
      const headers = { "Retry-After": String(retryAfterSeconds) };
      if (status === 503) return armError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please retry the request later.", headers);
      const sub = subscriptionOf(req);
      return sub
        ? armError(429, "SubscriptionRequestsThrottled", `Number of 'read' requests for subscription '${sub}' actor '${EMULATOR_CALLER_OBJECT_ID}' exceeded. Please try again after '${retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`, headers)
        : armError(429, "TenantRequestsThrottled", `Number of 'read' requests for tenant '${tenantId ?? ""}' actor '${EMULATOR_CALLER_OBJECT_ID}' exceeded. Please try again after '${retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`, headers);
    },
    forbidden: (req) => {
      const { action, scope } = actionAndScope(req.method, req.url.pathname);
      return armError(
        403,
        "AuthorizationFailed",
        `The client '${EMULATOR_CALLER_OBJECT_ID}' with object id '${EMULATOR_CALLER_OBJECT_ID}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
    },
    failed: (req, status) => {
      switch (status) {
        case 500:
          return armError(500, "InternalServerError", `Encountered internal server error. Diagnostic information: timestamp '${new Date().toISOString()}', subscription id '${subscriptionOf(req) ?? ""}', tracking id '${newRequestId()}', request correlation id '${newRequestId()}'.`);
        case 502:
          return armError(502, "BadGateway", "The gateway did not receive a response from 'Microsoft.Resources' within the specified time period.");
        case 503:
          return armError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please retry the request later.");
        case 504:
          return armError(504, "GatewayTimeout", "The gateway did not receive a response within the specified time period.");
        case 404:
          return armError(404, "NotFound", "The requested resource was not found.");
        case 409:
          return armError(409, "Conflict", "The request conflicts with the current state of the resource.");
        case 413:
          return armError(413, "RequestEntityTooLarge", "The request content was larger than the maximum allowed size.");
        default:
          return armError(status, "BadRequest", `The request failed with status ${status}.`);
      }
    },
    failedWith: (req, status, message) => armError(status, (errors.failed(req, status).body as { error: { code: string } }).error.code, message),
  };
  return errors;
}

const lc = (s: string) => s.toLowerCase();
/** Scope strings compare case-insensitively and without a trailing slash ("/" stays "/"). */
const normScope = (s: string) => (s === "/" ? "/" : lc(s).replace(/\/+$/, "").replace(/\/{2,}/g, "/"));
const lastSegment = (id: string) => id.split("/").filter(Boolean).pop() ?? id;
const MG_PREFIX = "/providers/microsoft.management/managementgroups/";

function push<T>(map: Map<string, T[]>, key: string, value: T): T[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  list.push(value);
  return list;
}

export function createArmHandler(options: ArmOptions): FamilyHandler {
  const { scenario, state } = options;
  const azure: AzureInventory = scenario.azure ?? {
    managementGroups: [],
    subscriptions: [],
    resourceGroups: [],
    roleDefinitions: [],
    roleAssignments: [],
    storageAccounts: [],
    managedIdentities: [],
  };
  const tenantId = scenario.tenantId ?? "00000000-0000-0000-0000-000000000000";
  const errors = createArmErrors(scenario.tenantId);
  const subscriptions = new Map(azure.subscriptions.map((s) => [lc(s.subscriptionId), s]));
  const managementGroups = new Map(azure.managementGroups.map((m) => [normScope(m.id), m]));
  const mgByName = new Map(azure.managementGroups.map((m) => [lc(m.name), m]));
  // Indexed once, so a generated tenant of hundreds of thousands of assignments is served without
  // scanning every item per request: assignments by the subscription they sit in (the rest sit at
  // management groups or the root), and by principal.
  const resourceGroupIds = new Set(azure.resourceGroups.map((rg) => normScope(rg.id)));
  const assignmentsBySubscription = new Map<string, RoleAssignment[]>();
  const assignmentsAboveSubscriptions: RoleAssignment[] = [];
  const assignmentsByPrincipal = new Map<string, RoleAssignment[]>();
  for (const a of azure.roleAssignments) {
    const sub = /^\/subscriptions\/([^/]+)/.exec(normScope(a.scope))?.[1];
    if (sub) push(assignmentsBySubscription, sub, a);
    else assignmentsAboveSubscriptions.push(a);
    push(assignmentsByPrincipal, lc(a.principalId), a);
  }
  const assignmentOrder = new Map(azure.roleAssignments.map((a, i) => [a, i]));
  const assignmentScope = new Map(azure.roleAssignments.map((a) => [a, normScope(a.scope)]));
  const spByObjectId = new Map((scenario.entra?.servicePrincipals ?? []).map((sp) => [lc(sp.objectId), sp]));
  const listings = new ListingCache<JsonObject[]>();
  const activityLog = createActivityLog(scenario, (code, message) => armError(400, code, message));
  const responses = new ResponseCache();

  const notFoundSubscription = (id: string) => armError(404, "SubscriptionNotFound", `The subscription '${id}' could not be found.`);
  const notFoundGroup = (name: string) => armError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
  const notFoundMg = (name: string) => armError(404, "NotFound", `Management group '${name}' not found.`);
  const badRequest = (code: string, message: string) => armError(400, code, message);

  /** The management groups from `mgId` up to the root, as normalised IDs. */
  function mgChain(mgId: string | null | undefined): string[] {
    const chain: string[] = [];
    let current = mgId ? normScope(mgId) : undefined;
    while (current && !chain.includes(current)) {
      chain.push(current);
      const parent = managementGroups.get(current)?.parentId;
      current = parent ? normScope(parent) : undefined;
    }
    return chain;
  }

  /** Every scope at or above `scope` (normalised), "/" included. */
  function atOrAbove(scope: string): Set<string> {
    const s = normScope(scope);
    const out = new Set<string>(["/", s]);
    if (s.startsWith(MG_PREFIX)) for (const id of mgChain(s)) out.add(id);
    const sub = /^\/subscriptions\/([^/]+)/.exec(s)?.[1];
    if (sub) {
      for (const id of mgChain(subscriptions.get(sub)?.managementGroupId)) out.add(id);
      const segs = s.split("/").filter(Boolean);
      for (let i = 2; i <= segs.length; i++) out.add(`/${segs.slice(0, i).join("/")}`);
    }
    return out;
  }

  const isBelow = (candidate: string, scope: string) => {
    const s = normScope(scope);
    return s !== "/" && normScope(candidate).startsWith(`${s}/`);
  };

  /** Checks that a scope exists; returns an error response when it does not. */
  function checkScope(scope: string): ApiResponse | undefined {
    const s = normScope(scope);
    if (s === "/") return undefined;
    if (s.startsWith(MG_PREFIX)) return managementGroups.has(s) ? undefined : notFoundMg(lastSegment(scope));
    const m = /^\/subscriptions\/([^/]+)(?:\/resourcegroups\/([^/]+))?/.exec(s);
    if (!m) return badRequest("InvalidScope", `The scope '${scope}' is not valid.`);
    if (!subscriptions.has(m[1]!)) return notFoundSubscription(lastSegment(`/subscriptions/${m[1]}`));
    if (m[2] && !resourceGroupIds.has(`/subscriptions/${m[1]}/resourcegroups/${m[2]}`)) return notFoundGroup(m[2]);
    return undefined;
  }

  /**
   * One page of `items`: `{ value, nextLink? }`. `$top` is honoured where the API takes it; `nullLast`
   * ends with `"nextLink": null` where the API's examples do (getEntities).
   */
  function list(req: ApiRequest, items: JsonObject[], acceptsTop = false, nullLast = false): ApiResponse {
    const url = req.url;
    let size = options.pageSize;
    const top = acceptsTop ? queryParam(url, "$top") : undefined;
    if (top !== undefined) {
      const n = Number(top);
      if (!Number.isInteger(n) || n < 1) return badRequest("InvalidParameter", `The value '${top}' of query parameter '$top' is not valid.`);
      size = Math.min(size, n);
    }
    const token = queryParam(url, "$skiptoken");
    let offset = 0;
    if (token !== undefined) {
      const decoded = decodeSkipToken(token);
      if (decoded === undefined) return badRequest("InvalidSkipToken", `The skip token '${token}' is not valid.`);
      offset = decoded;
    } else if (acceptsTop) {
      const skip = queryParam(url, "$skip");
      if (skip !== undefined && Number.isInteger(Number(skip)) && Number(skip) >= 0) offset = Number(skip);
    }
    const body: JsonObject = { value: items.slice(offset, offset + size) };
    const next = state.nextPageLink("arm", req.rawPath, offset, size, items.length);
    if (next) body.nextLink = next;
    else if (nullLast) body.nextLink = null;
    return json(200, body);
  }

  // --- JSON shapes -------------------------------------------------------------------------------

  function subscriptionJson(s: AzureSubscription): JsonObject {
    return {
      id: `/subscriptions/${s.subscriptionId}`,
      authorizationSource: "RoleBased",
      managedByTenants: [],
      // ARM leaves `tags` out when a subscription has none.
      ...(Object.keys(s.tags).length > 0 ? { tags: s.tags } : {}),
      subscriptionId: s.subscriptionId,
      // A subscription of another tenant (Lighthouse, guest access) says whose it is.
      tenantId: s.tenantId ?? tenantId,
      displayName: s.displayName,
      state: s.state ?? "Enabled",
      subscriptionPolicies: { locationPlacementId: "Public_2014-09-01", quotaId: "EnterpriseAgreement_2014-09-01", spendingLimit: "Off" },
    };
  }

  function resourceGroupJson(rg: AzureInventory["resourceGroups"][number]): JsonObject {
    return {
      id: rg.id,
      name: rg.name,
      type: "Microsoft.Resources/resourceGroups",
      location: LOCATION,
      ...(Object.keys(rg.tags).length > 0 ? { tags: rg.tags } : {}),
      properties: { provisioningState: "Succeeded" },
    };
  }

  function roleDefinitionJson(d: RoleDefinition): JsonObject {
    return {
      id: d.id,
      name: d.name,
      type: "Microsoft.Authorization/roleDefinitions",
      properties: {
        roleName: d.roleName,
        description: "",
        type: d.roleType, // the SDK maps this REST field to `roleType`
        permissions: d.permissions.map((p) => ({ actions: p.actions, notActions: p.notActions, dataActions: p.dataActions, notDataActions: p.notDataActions })),
        assignableScopes: d.assignableScopes,
        createdOn: TIMESTAMP,
        updatedOn: TIMESTAMP,
        createdBy: null,
        updatedBy: null,
      },
    };
  }

  function roleAssignmentJson(a: RoleAssignment): JsonObject {
    return {
      properties: {
        roleDefinitionId: a.roleDefinitionId,
        principalId: a.principalId,
        principalType: a.principalType,
        scope: a.scope,
        condition: a.condition ?? null,
        conditionVersion: a.conditionVersion ?? null,
        createdOn: TIMESTAMP,
        updatedOn: TIMESTAMP,
        createdBy: a.createdBy ?? null,
        updatedBy: a.createdBy ?? null,
        delegatedManagedIdentityResourceId: null,
        description: null,
      },
      id: a.id,
      type: "Microsoft.Authorization/roleAssignments",
      name: lastSegment(a.id),
    };
  }

  function storageAccountJson(a: StorageAccount): JsonObject {
    const endpoint = (service: string) => `https://${a.name}.${service}.core.windows.net/`;
    return {
      sku: { name: "Standard_LRS", tier: "Standard" },
      kind: "StorageV2",
      id: a.id,
      name: a.name,
      type: "Microsoft.Storage/storageAccounts",
      location: LOCATION,
      tags: a.tags ?? {},
      properties: {
        // Left out unless set, exactly like ARM: absence means shared keys are allowed.
        ...(a.allowSharedKeyAccess !== undefined && a.allowSharedKeyAccess !== null ? { allowSharedKeyAccess: a.allowSharedKeyAccess } : {}),
        provisioningState: "Succeeded",
        creationTime: TIMESTAMP,
        primaryEndpoints: { blob: endpoint("blob"), queue: endpoint("queue"), table: endpoint("table"), file: endpoint("file"), dfs: endpoint("dfs"), web: `https://${a.name}.z6.web.core.windows.net/` },
        primaryLocation: LOCATION,
        statusOfPrimary: "available",
        minimumTlsVersion: "TLS1_2",
        allowBlobPublicAccess: false,
        supportsHttpsTrafficOnly: true,
        accessTier: "Hot",
        networkAcls: { bypass: "AzureServices", virtualNetworkRules: [], ipRules: [], defaultAction: "Allow" },
      },
    };
  }

  function managedIdentityJson(mi: ManagedIdentity): JsonObject {
    return {
      id: mi.id,
      name: mi.name,
      type: "Microsoft.ManagedIdentity/userAssignedIdentities",
      location: LOCATION,
      tags: {},
      properties: { tenantId: mi.tenantId ?? tenantId, principalId: mi.principalId, clientId: mi.clientId, isolationScope: "None" },
    };
  }

  /**
   * A flexible credential has no subject; its expression comes back from 2025-01-31-preview on
   * (examples/FlexibleFederatedIdentityCredentialGet.json) and earlier versions leave it out.
   */
  function ficJson(mi: ManagedIdentity, fic: ManagedIdentity["federatedIdentityCredentials"][number], apiVersion: string): JsonObject {
    const e = fic.claimsMatchingExpression;
    const withExpression = e !== undefined && apiVersion.slice(0, 10) >= FLEXIBLE_FIC_API_VERSION;
    return {
      id: fic.id ?? `${mi.id}/federatedIdentityCredentials/${fic.name}`,
      name: fic.name,
      type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
      properties: {
        issuer: fic.issuer,
        ...(e && fic.subject === "" ? {} : { subject: fic.subject }),
        audiences: fic.audiences,
        ...(withExpression ? { claimsMatchingExpression: { languageVersion: e.languageVersion, value: e.value } } : {}),
      },
    };
  }

  const childGroups = (mg: AzureManagementGroup) => azure.managementGroups.filter((c) => c.parentId && normScope(c.parentId) === normScope(mg.id));
  const childSubscriptions = (mg: AzureManagementGroup) => azure.subscriptions.filter((s) => s.managementGroupId && normScope(s.managementGroupId) === normScope(mg.id));

  /** All management groups and subscriptions below `mg`, depth first. */
  function descendants(mg: AzureManagementGroup, seen = new Set<string>()): (AzureManagementGroup | AzureSubscription)[] {
    if (seen.has(normScope(mg.id))) return [];
    seen.add(normScope(mg.id));
    const out: (AzureManagementGroup | AzureSubscription)[] = [];
    for (const child of childGroups(mg)) out.push(child, ...descendants(child, seen));
    out.push(...childSubscriptions(mg));
    return out;
  }

  /** Root-first ancestry of a management group or subscription (not including itself). */
  function ancestry(parentId: string | null | undefined): AzureManagementGroup[] {
    return mgChain(parentId)
      .map((id) => managementGroups.get(id))
      .filter((m): m is AzureManagementGroup => m !== undefined)
      .reverse();
  }

  function entityJson(e: AzureManagementGroup | AzureSubscription): JsonObject {
    if ("subscriptionId" in e) {
      const chain = ancestry(e.managementGroupId);
      return {
        id: `/subscriptions/${e.subscriptionId}`,
        type: "/subscriptions",
        name: e.subscriptionId,
        properties: {
          tenantId,
          displayName: e.displayName,
          parent: e.managementGroupId ? { id: e.managementGroupId } : null,
          permissions: "view",
          inheritedPermissions: "view",
          parentDisplayNameChain: chain.map((m) => m.displayName),
          parentNameChain: chain.map((m) => m.name),
        },
      };
    }
    const chain = ancestry(e.parentId);
    return {
      id: e.id,
      type: "Microsoft.Management/managementGroups",
      name: e.name,
      properties: {
        tenantId,
        displayName: e.displayName,
        parent: e.parentId ? { id: e.parentId } : null,
        permissions: "view",
        inheritedPermissions: "view",
        numberOfDescendants: descendants(e).length,
        numberOfChildren: childGroups(e).length + childSubscriptions(e).length,
        numberOfChildGroups: childGroups(e).length,
        parentDisplayNameChain: chain.map((m) => m.displayName),
        parentNameChain: chain.map((m) => m.name),
      },
    };
  }

  function mgChildren(mg: AzureManagementGroup, recurse: boolean): JsonObject[] {
    return [
      ...childGroups(mg).map((c) => ({
        type: "Microsoft.Management/managementGroups",
        id: c.id,
        name: c.name,
        displayName: c.displayName,
        ...(recurse ? { children: mgChildren(c, true) } : {}),
      })),
      ...childSubscriptions(mg).map((s) => ({ type: "/subscriptions", id: `/subscriptions/${s.subscriptionId}`, name: s.subscriptionId, displayName: s.displayName })),
    ];
  }

  // --- Microsoft.Authorization --------------------------------------------------------------------

  function listRoleAssignments(req: ApiRequest, scope: string): ApiResponse {
    const filter = queryParam(req.url, "$filter");
    let atScopeOnly = false;
    let principals: Set<string> | undefined;
    if (filter !== undefined && filter.trim() !== "") {
      for (const clause of filter.split(/\s+and\s+/i).map((c) => c.trim())) {
        let m: RegExpExecArray | null;
        if (/^atScope\(\)$/i.test(clause)) atScopeOnly = true;
        else if ((m = /^principalId\s+eq\s+'?([0-9a-f-]+)'?$/i.exec(clause))) principals = new Set([lc(m[1]!)]);
        else if ((m = /^assignedTo\('([0-9a-f-]+)'\)$/i.exec(clause))) {
          // The principal and, transitively, its groups (ARM resolves memberships itself).
          const id = lc(m[1]!);
          const sp = spByObjectId.get(id);
          principals = new Set([id, ...(sp?.memberOf ?? []).map(lc)]);
        } else return badRequest("InvalidFilter", `The filter '${filter}' is not supported. Supported filters are: 'atScope()', 'principalId eq {id}' and 'assignedTo('{id}')'.`);
      }
    }
    const above = atOrAbove(scope);
    const s = normScope(scope);
    // Management-group and root listings return what applies at and above them only.
    const includeBelow = !atScopeOnly && !s.startsWith(MG_PREFIX) && s !== "/";
    const items = listings.get(req.rawPath, () => {
      // Only assignments in this subscription, or above every subscription, can apply here.
      const sub = /^\/subscriptions\/([^/]+)/.exec(s)?.[1];
      const candidates = principals
        ? [...principals].flatMap((p) => assignmentsByPrincipal.get(p) ?? [])
        : sub
          ? [...assignmentsAboveSubscriptions, ...(assignmentsBySubscription.get(sub) ?? [])]
          : azure.roleAssignments;
      // Scenario order, as before the index existed.
      return candidates
        .filter((a) => {
          const at = assignmentScope.get(a)!;
          return above.has(at) || (includeBelow && s !== "/" && at.startsWith(`${s}/`));
        })
        .sort((a, b) => assignmentOrder.get(a)! - assignmentOrder.get(b)!)
        .map(roleAssignmentJson);
    });
    return list(req, items);
  }

  function listRoleDefinitions(req: ApiRequest, scope: string): ApiResponse {
    const filter = queryParam(req.url, "$filter");
    let below = false;
    let roleName: string | undefined;
    let roleType: string | undefined;
    if (filter !== undefined && filter.trim() !== "") {
      for (const clause of filter.split(/\s+and\s+/i).map((c) => c.trim())) {
        let m: RegExpExecArray | null;
        if (/^atScopeAndBelow\(\)$/i.test(clause)) below = true;
        else if ((m = /^roleName\s+eq\s+'(.*)'$/i.exec(clause))) roleName = lc(m[1]!);
        else if ((m = /^type\s+eq\s+'(BuiltInRole|CustomRole)'$/i.exec(clause))) roleType = lc(m[1]!);
        else return badRequest("InvalidFilter", `The filter '${filter}' is not supported.`);
      }
    }
    const above = atOrAbove(scope);
    const items = azure.roleDefinitions.filter(
      (d) =>
        d.assignableScopes.some((a) => above.has(normScope(a)) || (below && isBelow(a, scope))) &&
        (roleName === undefined || lc(d.roleName) === roleName) &&
        (roleType === undefined || lc(d.roleType) === roleType),
    );
    return list(req, items.map(roleDefinitionJson));
  }

  function authorization(req: ApiRequest, scopeSegs: string[], rest: string[]): ApiResponse {
    const scope = scopeSegs.length === 0 ? "/" : `/${scopeSegs.join("/")}`;
    const type = lc(rest[0] ?? "");
    if (type !== "roleassignments" && type !== "roledefinitions") {
      return armError(404, "InvalidResourceType", `The resource type '${rest[0] ?? ""}' could not be found in the namespace 'Microsoft.Authorization' for api version '${queryParam(req.url, "api-version")}'.`);
    }
    const scopeError = checkScope(scope);
    if (scopeError) return scopeError;
    if (rest.length === 1) return type === "roleassignments" ? listRoleAssignments(req, scope) : listRoleDefinitions(req, scope);
    if (rest.length !== 2) return armError(404, "NotFound", "The requested resource was not found.");
    const name = lc(rest[1]!);
    if (type === "roleassignments") {
      const a = azure.roleAssignments.find((x) => lc(lastSegment(x.id)) === name && normScope(x.scope) === normScope(scope));
      return a ? json(200, roleAssignmentJson(a)) : armError(404, "RoleAssignmentNotFound", `The role assignment '${rest[1]}' is not found.`);
    }
    const d = azure.roleDefinitions.find((x) => lc(x.name) === name);
    return d ? json(200, roleDefinitionJson(d)) : armError(404, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${rest[1]}' does not exist.`);
  }

  // --- Microsoft.Management -----------------------------------------------------------------------

  function management(req: ApiRequest, rest: string[]): ApiResponse {
    const kind = lc(rest[0] ?? "");
    if (kind === "getentities" && rest.length === 1) {
      // The operation is a POST (Entities_List); its next pages are POSTs to the nextLink, which
      // carries the $skiptoken. The SDK's GET of a next link is refused.
      if (req.method !== "POST") return armError(405, "MethodNotAllowed", `The requested resource does not support http method '${req.method}'.`);
      // The tenant's own entities: another tenant's subscriptions are not in its hierarchy.
      let entities: (AzureManagementGroup | AzureSubscription)[] = [...azure.managementGroups, ...azure.subscriptions.filter((s) => s.tenantId === undefined || lc(s.tenantId) === lc(tenantId))];
      const groupName = queryParam(req.url, "groupName");
      if (groupName) {
        const root = mgByName.get(lc(groupName));
        entities = root ? [root, ...descendants(root)] : [];
      }
      return list(req, entities.map(entityJson), true, true);
    }
    if (req.method !== "GET") return methodNotAllowed(req);
    if (kind !== "managementgroups") return armError(404, "InvalidResourceType", `The resource type '${rest[0] ?? ""}' could not be found in the namespace 'Microsoft.Management'.`);
    if (rest.length === 1) {
      return list(req, azure.managementGroups.map((m) => ({ id: m.id, type: "Microsoft.Management/managementGroups", name: m.name, properties: { tenantId, displayName: m.displayName } })));
    }
    const mg = mgByName.get(lc(rest[1]!));
    if (!mg) return notFoundMg(rest[1]!);
    if (rest.length === 2) {
      const expand = (queryParam(req.url, "$expand") ?? "").split(",").map((e) => lc(e.trim()));
      const recurse = lc(queryParam(req.url, "$recurse") ?? "") === "true";
      const parent = mg.parentId ? managementGroups.get(normScope(mg.parentId)) : undefined;
      const chain = ancestry(mg.parentId);
      return json(200, {
        id: mg.id,
        type: "Microsoft.Management/managementGroups",
        name: mg.name,
        properties: {
          tenantId,
          displayName: mg.displayName,
          details: {
            version: 1,
            updatedTime: TIMESTAMP,
            updatedBy: EMULATOR_CALLER_OBJECT_ID,
            parent: mg.parentId ? { id: mg.parentId, name: parent?.name ?? lastSegment(mg.parentId), displayName: parent?.displayName ?? null } : null,
            ...(expand.includes("path") ? { path: [...chain, mg].map((m) => ({ name: m.name, displayName: m.displayName })) } : {}),
            ...(expand.includes("ancestors")
              ? { managementGroupAncestors: [...chain].reverse().map((m) => m.name), managementGroupAncestorsChain: [...chain].reverse().map((m) => ({ name: m.name, displayName: m.displayName })) }
              : {}),
          },
          ...(expand.includes("children") ? { children: mgChildren(mg, recurse) } : {}),
        },
      });
    }
    const sub = lc(rest[2]!);
    if (rest.length === 3 && sub === "descendants") {
      return list(
        req,
        descendants(mg).map((d) =>
          "subscriptionId" in d
            ? { id: `/subscriptions/${d.subscriptionId}`, type: "/subscriptions", name: d.subscriptionId, properties: { displayName: d.displayName, parent: { id: d.managementGroupId } } }
            : { id: d.id, type: "Microsoft.Management/managementGroups", name: d.name, properties: { displayName: d.displayName, parent: { id: d.parentId } } },
        ),
        true,
      );
    }
    if (rest.length === 3 && sub === "subscriptions") {
      return list(
        req,
        childSubscriptions(mg).map((s) => ({
          id: `${mg.id}/subscriptions/${s.subscriptionId}`,
          type: "Microsoft.Management/managementGroups/subscriptions",
          name: s.subscriptionId,
          properties: { tenant: tenantId, displayName: s.displayName, parent: { id: mg.id }, state: s.state ?? "Enabled" },
        })),
      );
    }
    return armError(404, "NotFound", "The requested resource was not found.");
  }

  // --- Subscription-scoped resources --------------------------------------------------------------

  function resources(req: ApiRequest, subscriptionId: string, rgName: string | undefined, namespace: string, rest: string[]): ApiResponse {
    const prefix = `/subscriptions/${subscriptionId}/${rgName === undefined ? "" : `resourcegroups/${lc(rgName)}/`}`;
    const inScope = (id: string) => normScope(id).startsWith(lc(prefix));
    const ns = lc(namespace);
    const type = lc(rest[0] ?? "");
    if (ns === "microsoft.storage" && type === "storageaccounts" && rest.length === 1) {
      return list(req, listings.get(req.rawPath, () => azure.storageAccounts.filter((a) => inScope(a.id)).map(storageAccountJson)));
    }
    if (ns === "microsoft.insights" && rgName === undefined && rest.length === 3 && type === "eventtypes" && lc(rest[1]!) === "management" && lc(rest[2]!) === "values") {
      return activityLog.list(req, subscriptionId, options.pageSize, (offset, size, total) => state.nextPageLink("arm", req.rawPath, offset, size, total));
    }
    if (ns === "microsoft.managedidentity" && type === "userassignedidentities") {
      const identities = azure.managedIdentities.filter((mi) => inScope(mi.id));
      if (rest.length === 1) return list(req, identities.map(managedIdentityJson));
      if (rgName === undefined) return armError(404, "NotFound", "The requested resource was not found.");
      const mi = identities.find((m) => lc(m.name) === lc(rest[1]!));
      if (!mi) {
        return armError(404, "ResourceNotFound", `The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/${rest[1]}' under resource group '${rgName}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
      }
      if (rest.length === 2) return json(200, managedIdentityJson(mi));
      if (lc(rest[2]!) === "federatedidentitycredentials") {
        const apiVersion = queryParam(req.url, "api-version") ?? "";
        if (rest.length === 3) return list(req, mi.federatedIdentityCredentials.map((f) => ficJson(mi, f, apiVersion)), true);
        const fic = rest.length === 4 ? mi.federatedIdentityCredentials.find((f) => lc(f.name) === lc(rest[3]!)) : undefined;
        if (fic) return json(200, ficJson(mi, fic, apiVersion));
        return armError(404, "NotFound", `Federated identity credential '${rest[3] ?? ""}' was not found.`);
      }
    }
    return armError(404, "InvalidResourceType", `The resource type '${rest[0] ?? ""}' could not be found in the namespace '${namespace}' for api version '${queryParam(req.url, "api-version")}'.`);
  }

  function methodNotAllowed(req: ApiRequest): ApiResponse {
    return armError(405, "MethodNotAllowed", `The emulator serves reads only; ${req.method} is not supported on '${req.url.pathname}'.`);
  }

  function route(req: ApiRequest): ApiResponse {
    const segs = segmentsOf(req.url.pathname);
    const lower = segs.map(lc);

    // /{scope}/providers/Microsoft.Authorization/{roleAssignments|roleDefinitions}[/{name}]
    for (let i = lower.length - 2; i >= 0; i--) {
      if (lower[i] === "providers" && lower[i + 1] === "microsoft.authorization") {
        if (req.method !== "GET") return methodNotAllowed(req);
        return authorization(req, segs.slice(0, i), segs.slice(i + 2));
      }
    }
    if (lower[0] === "providers" && lower[1] === "microsoft.management") return management(req, segs.slice(2));
    if (req.method !== "GET") return methodNotAllowed(req);
    if (lower[0] !== "subscriptions") return armError(404, "NotFound", `No route matches '${req.url.pathname}'.`);
    if (segs.length === 1) return list(req, azure.subscriptions.map(subscriptionJson));

    const subscription = subscriptions.get(lower[1]!);
    if (!subscription) return notFoundSubscription(segs[1]!);
    const subscriptionId = lc(subscription.subscriptionId);
    if (segs.length === 2) return json(200, subscriptionJson(subscription));
    if (lower[2] === "providers" && segs.length >= 5) return resources(req, subscriptionId, undefined, segs[3]!, segs.slice(4));
    if (lower[2] === "resourcegroups") {
      const groups = azure.resourceGroups.filter((rg) => lc(rg.subscriptionId) === subscriptionId || normScope(rg.id).startsWith(`/subscriptions/${subscriptionId}/`));
      if (segs.length === 3) return list(req, listings.get(req.rawPath, () => groups.map(resourceGroupJson)));
      const rg = groups.find((g) => lc(g.name) === lower[3]);
      if (!rg) return notFoundGroup(segs[3]!);
      if (segs.length === 4) return json(200, resourceGroupJson(rg));
      if (lower[4] === "providers" && segs.length >= 7) return resources(req, subscriptionId, rg.name, segs[5]!, segs.slice(6));
    }
    return armError(404, "NotFound", `No route matches '${req.url.pathname}'.`);
  }

  return {
    api: "arm",
    errors,
    contentType: CONTENT_TYPE,
    commonHeaders: (req) => {
      const id = newRequestId();
      return { "x-ms-request-id": id, "x-ms-correlation-request-id": id, ...(req.headers["x-ms-client-request-id"] ? { "x-ms-client-request-id": req.headers["x-ms-client-request-id"] } : {}) };
    },
    handle(req) {
      const apiVersion = queryParam(req.url, "api-version");
      if (apiVersion === undefined || apiVersion === "") {
        return badRequest("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
      }
      if (!API_VERSION.test(apiVersion)) {
        return badRequest("InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid. The supported versions are dates in the form 'yyyy-mm-dd', optionally with a '-preview' suffix.`);
      }
      return responses.get(`${req.method} ${req.rawPath}`, () => route(req));
    },
  };
}
