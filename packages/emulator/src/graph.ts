/**
 * Microsoft Graph v1.0, as far as trustscope reads it: applications with their password and
 * federated credentials, service principals, their group memberships, and JSON `$batch`; the
 * same under beta, where federated credentials also carry `claimsMatchingExpression`.
 * Shapes follow Graph's documented responses; paging uses absolute `@odata.nextLink` URLs with
 * `$skiptoken`, like the real service.
 */
import { createHash } from "node:crypto";
import type { EntraApplication, EntraServicePrincipal, FederatedCredential, Inventory } from "@trustscope/core";
import {
  decodeSkipToken,
  json,
  ListingCache,
  ResponseCache,
  newRequestId,
  parseRequestUrl,
  queryParam,
  type ApiRequest,
  type ApiResponse,
  type EmulatorState,
  type FamilyErrors,
  type FamilyHandler,
} from "./http.ts";

const CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
const BATCH_LIMIT = 20;
const MAX_TOP = 999;
/**
 * With `$expand`, Graph serves at most 100 parent objects per page whatever `$top` asks (a known
 * limitation, docs/reference azure.md §1.2); the emulator does the same so collectors and the
 * benchmark's lower bound face the real page size.
 */
export const MAX_TOP_WITH_EXPAND = 100;
const DEFAULT_TOP = 100;

type JsonObject = Record<string, unknown>;

export interface GraphOptions {
  scenario: Inventory;
  pageSize: number;
  state: EmulatorState;
}

// ---------------------------------------------------------------------------------------------
// Errors, in Graph's shape: {"error":{"code","message","innerError":{date,request-id,client-request-id}}}

function graphError(req: ApiRequest | undefined, status: number, code: string, message: string, headers?: Record<string, string>, innerCode?: string): ApiResponse {
  const requestId = newRequestId();
  const innerError = {
    ...(innerCode ? { code: innerCode } : {}),
    date: new Date().toISOString().slice(0, 19),
    "request-id": requestId,
    "client-request-id": req?.headers["client-request-id"] ?? requestId,
  };
  return json(status, { error: { code, message, innerError } }, headers);
}

const FAILURE_CODES: Record<number, [string, string]> = {
  400: ["BadRequest", "The request is malformed or incorrect."],
  404: ["Request_ResourceNotFound", "The requested resource does not exist."],
  409: ["Conflict", "The current state conflicts with what the request expects."],
  413: ["RequestEntityTooLarge", "The request is larger than the maximum size."],
  500: ["InternalServerError", "An internal server error occurred while processing the request."],
  502: ["BadGateway", "The server received an invalid response from an upstream server."],
  503: ["serviceNotAvailable", "The service is temporarily unavailable. Please retry later."],
  504: ["GatewayTimeout", "The server did not receive a timely response from an upstream server."],
};

export const graphErrors: FamilyErrors = {
  unauthorized: (req, missing) =>
    graphError(req, 401, "InvalidAuthenticationToken", missing ? "Access token is empty." : "IDX14100: JWT is not well formed, there are no dots (.).", {
      "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
    }),
  throttled: (req, status, retryAfterSeconds) =>
    status === 429
      ? graphError(req, 429, "TooManyRequests", "Please retry again later.", { "Retry-After": String(retryAfterSeconds) }, "429")
      : graphError(req, 503, "serviceNotAvailable", "Service unavailable, please retry later.", { "Retry-After": String(retryAfterSeconds) }),
  forbidden: (req) => graphError(req, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
  failed: (req, status) => {
    const [code, message] = FAILURE_CODES[status] ?? ["UnknownError", `The request failed with status ${status}.`];
    return graphError(req, status, code, message);
  },
  failedWith: (req, status, message) => graphError(req, status, FAILURE_CODES[status]?.[0] ?? "UnknownError", message),
};

const notFound = (req: ApiRequest, id: string) =>
  graphError(req, 404, "Request_ResourceNotFound", `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
const badRequest = (req: ApiRequest, message: string, code = "Request_BadRequest") => graphError(req, 400, code, message);

// ---------------------------------------------------------------------------------------------
// Property sets: $select names Graph knows (unmodelled ones come back null, unknown ones are 400).

const APPLICATION_PROPERTIES = [
  "addIns", "api", "appId", "applicationTemplateId", "appRoles", "certification", "createdDateTime", "defaultRedirectUri",
  "deletedDateTime", "description", "disabledByMicrosoftStatus", "displayName", "groupMembershipClaims", "id", "identifierUris",
  "info", "isDeviceOnlyAuthSupported", "isFallbackPublicClient", "keyCredentials", "logo", "nativeAuthenticationApisEnabled",
  "notes", "oauth2RequirePostResponse", "optionalClaims", "parentalControlSettings", "passwordCredentials", "publicClient",
  "publisherDomain", "requestSignatureVerification", "requiredResourceAccess", "samlMetadataUrl", "serviceManagementReference",
  "servicePrincipalLockConfiguration", "signInAudience", "spa", "tags", "tokenEncryptionKeyId", "uniqueName", "verifiedPublisher", "web",
];
const APPLICATION_DEFAULT = ["id", "deletedDateTime", "appId", "applicationTemplateId", "createdDateTime", "description", "displayName", "identifierUris", "keyCredentials", "passwordCredentials", "publisherDomain", "signInAudience", "tags"];
const APPLICATION_NAVIGATION = ["federatedIdentityCredentials", "owners", "extensionProperties", "tokenIssuancePolicies", "tokenLifetimePolicies", "appManagementPolicies", "createdOnBehalfOf"];

const SERVICE_PRINCIPAL_PROPERTIES = [
  "accountEnabled", "addIns", "alternativeNames", "appDescription", "appDisplayName", "appId", "applicationTemplateId", "appOwnerOrganizationId",
  "appRoleAssignmentRequired", "appRoles", "createdDateTime", "deletedDateTime", "description", "disabledByMicrosoftStatus", "displayName",
  "homepage", "id", "info", "keyCredentials", "loginUrl", "logoutUrl", "notes", "notificationEmailAddresses", "oauth2PermissionScopes",
  "passwordCredentials", "preferredSingleSignOnMode", "preferredTokenSigningKeyThumbprint", "replyUrls", "resourceSpecificApplicationPermissions",
  "samlSingleSignOnSettings", "servicePrincipalNames", "servicePrincipalType", "signInAudience", "tags", "tokenEncryptionKeyId", "verifiedPublisher",
];
const SERVICE_PRINCIPAL_DEFAULT = ["id", "accountEnabled", "alternativeNames", "appDisplayName", "appId", "appOwnerOrganizationId", "displayName", "keyCredentials", "passwordCredentials", "servicePrincipalNames", "servicePrincipalType", "tags"];

const GROUP_PROPERTIES = [
  "classification", "createdDateTime", "deletedDateTime", "description", "displayName", "expirationDateTime", "groupTypes", "id",
  "isAssignableToRole", "mail", "mailEnabled", "mailNickname", "membershipRule", "membershipRuleProcessingState", "onPremisesSyncEnabled",
  "proxyAddresses", "renewedDateTime", "securityEnabled", "securityIdentifier", "visibility",
];
const GROUP_DEFAULT = ["id", "deletedDateTime", "classification", "createdDateTime", "description", "displayName", "groupTypes", "isAssignableToRole", "mail", "mailEnabled", "mailNickname", "securityEnabled", "visibility"];

const FIC_PROPERTIES = ["audiences", "description", "id", "issuer", "name", "subject"];
/** Beta adds flexible credentials' expression (v1.0 has no such property). */
const FIC_PROPERTIES_BETA = [...FIC_PROPERTIES, "claimsMatchingExpression"];

/** The API versions served: v1.0, and beta for what only beta returns (flexible credentials). */
type GraphVersion = "v1.0" | "beta";
const versionOf = (req: ApiRequest): GraphVersion => (/^\/beta(\/|\?|$)/.test(req.rawPath) ? "beta" : "v1.0");
const ficProperties = (version: GraphVersion) => (version === "beta" ? FIC_PROPERTIES_BETA : FIC_PROPERTIES);

/** A stable GUID for things the scenario leaves unnamed (Graph always returns an `id`). */
function stableGuid(...parts: string[]): string {
  const h = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * A federated credential as the version shows it. A flexible one has subject null in both; only
 * beta has its expression (federatedidentitycredential.md, federatedidentityexpression.md).
 */
function ficJson(app: EntraApplication, fic: FederatedCredential, version: GraphVersion): JsonObject {
  const e = fic.claimsMatchingExpression;
  return {
    id: fic.id ?? stableGuid("fic", app.objectId, fic.name),
    name: fic.name,
    issuer: fic.issuer,
    subject: e && fic.subject === "" ? null : fic.subject,
    audiences: fic.audiences,
    description: fic.description ?? null,
    ...(version === "beta"
      ? { claimsMatchingExpression: e ? { "@odata.type": "#microsoft.graph.federatedIdentityExpression", languageVersion: e.languageVersion, value: e.value } : null }
      : {}),
  };
}

function applicationJson(app: EntraApplication): JsonObject {
  return {
    id: app.objectId,
    deletedDateTime: null,
    appId: app.appId,
    applicationTemplateId: null,
    createdDateTime: null,
    description: null,
    displayName: app.displayName,
    identifierUris: [],
    keyCredentials: [],
    passwordCredentials: app.passwordCredentials.map((p) => ({
      customKeyIdentifier: null,
      displayName: p.displayName ?? null,
      endDateTime: p.endDateTime ?? null,
      hint: p.hint ?? null,
      keyId: p.keyId,
      secretText: null, // only addPassword ever returns the value
      startDateTime: p.startDateTime ?? null,
    })),
    publisherDomain: null,
    signInAudience: "AzureADMyOrg",
    tags: [],
  };
}

function servicePrincipalJson(sp: EntraServicePrincipal, tenantId: string | undefined): JsonObject {
  return {
    id: sp.objectId,
    accountEnabled: true,
    alternativeNames: [],
    appDisplayName: sp.displayName,
    appId: sp.appId,
    appOwnerOrganizationId: tenantId ?? null,
    displayName: sp.displayName,
    keyCredentials: [],
    passwordCredentials: [],
    servicePrincipalNames: [sp.appId],
    servicePrincipalType: sp.servicePrincipalType ?? "Application",
    tags: [],
  };
}

function groupJson(id: string, displayName: string | null): JsonObject {
  return {
    "@odata.type": "#microsoft.graph.group",
    id,
    deletedDateTime: null,
    classification: null,
    createdDateTime: null,
    description: null,
    displayName,
    groupTypes: [],
    isAssignableToRole: null,
    mail: null,
    mailEnabled: false,
    mailNickname: null,
    securityEnabled: true,
    visibility: null,
  };
}

interface Selection {
  /** Property names, or undefined for the default set. */
  select?: string[];
  expand: Map<string, string[] | undefined>;
}

/** Parses `$select` / `$expand`; returns an error response for names Graph would reject. */
function parseSelection(req: ApiRequest, url: URL, typeName: string, known: string[], navigation: string[]): Selection | ApiResponse {
  const unknown = (name: string) => badRequest(req, `Parsing OData Select and Expand failed: Could not find a property named '${name}' on type 'microsoft.graph.${typeName}'.`, "BadRequest");
  const selection: Selection = { expand: new Map() };
  const select = queryParam(url, "$select");
  if (select !== undefined) {
    selection.select = splitTopLevel(select);
    for (const name of selection.select) if (!known.includes(name) && !navigation.includes(name)) return unknown(name);
  }
  const expand = queryParam(url, "$expand");
  if (expand !== undefined) {
    for (const item of splitTopLevel(expand)) {
      const m = /^([A-Za-z]+)(?:\((.*)\))?$/.exec(item);
      const name = m?.[1];
      if (!m || !name || !navigation.includes(name)) return unknown(m?.[1] ?? item);
      const inner = /\$select=([^;)]*)/.exec(m[2] ?? "");
      selection.expand.set(name, inner?.[1] ? splitTopLevel(inner[1]) : undefined);
    }
  }
  return selection;
}

/** Splits a comma list, ignoring commas inside parentheses (`a,b($select=c,d)`). */
function splitTopLevel(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of value) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(current.trim());
      current = "";
    } else current += ch;
  }
  if (current.trim() !== "") out.push(current.trim());
  return out;
}

function project(full: JsonObject, names: string[] | undefined, defaults: string[]): JsonObject {
  const out: JsonObject = {};
  if (typeof full["@odata.type"] === "string") out["@odata.type"] = full["@odata.type"];
  for (const name of names ?? defaults) out[name] = full[name] ?? null;
  return out;
}

/** `ConsistencyLevel: eventual` and `$count=true`: what Graph's advanced queries need. */
function isAdvancedQuery(req: ApiRequest, url: URL): boolean {
  return req.headers.consistencylevel?.toLowerCase() === "eventual" && queryParam(url, "$count")?.toLowerCase() === "true";
}

function isResponse(x: unknown): x is ApiResponse {
  return typeof x === "object" && x !== null && "status" in x && typeof (x as ApiResponse).status === "number";
}

// ---------------------------------------------------------------------------------------------
// $filter: the simple forms directory objects support without advanced queries.

type Predicate = (item: JsonObject) => boolean;

function parseFilter(filter: string, properties: string[]): Predicate | undefined {
  const clauses = filter.split(/\s+or\s+/i);
  const predicates: Predicate[] = [];
  for (const clause of clauses) {
    const c = clause.trim().replace(/^\((.*)\)$/, "$1");
    let m = /^(\w+)\s+eq\s+'((?:[^']|'')*)'$/i.exec(c);
    if (m && properties.includes(m[1]!)) {
      const prop = m[1]!;
      const value = m[2]!.replace(/''/g, "'");
      predicates.push((item) => String(item[prop]).toLowerCase() === value.toLowerCase());
      continue;
    }
    m = /^(\w+)\s+in\s+\((.*)\)$/i.exec(c);
    if (m && properties.includes(m[1]!)) {
      const prop = m[1]!;
      const values = [...m[2]!.matchAll(/'((?:[^']|'')*)'/g)].map((v) => v[1]!.replace(/''/g, "'").toLowerCase());
      predicates.push((item) => values.includes(String(item[prop]).toLowerCase()));
      continue;
    }
    m = /^startswith\((\w+)\s*,\s*'((?:[^']|'')*)'\)$/i.exec(c);
    if (m && properties.includes(m[1]!)) {
      const prop = m[1]!;
      const value = m[2]!.replace(/''/g, "'").toLowerCase();
      predicates.push((item) => String(item[prop]).toLowerCase().startsWith(value));
      continue;
    }
    return undefined;
  }
  return (item) => predicates.some((p) => p(item));
}

// ---------------------------------------------------------------------------------------------

interface Segment {
  name: string;
  /** `applications(appId='…')` → { prop: "appId", value } ; `applications('…')` → { value }. */
  key?: { prop?: string; value: string };
}

function parseSegment(raw: string): Segment {
  const m = /^([A-Za-z0-9_.$]+)\((?:([A-Za-z]+)=)?'([^']*)'\)$/.exec(raw);
  if (m) return { name: m[1]!, key: { ...(m[2] ? { prop: m[2] } : {}), value: m[3]! } };
  return { name: raw };
}

export function createGraphHandler(options: GraphOptions): FamilyHandler {
  const { scenario, state } = options;
  const entra = scenario.entra ?? { applications: [], servicePrincipals: [], groups: [] };
  const groupNames = new Map(entra.groups.map((g) => [g.objectId.toLowerCase(), g.displayName]));
  // Indexed once: a generated tenant has thousands of applications and lookups arrive in $batch.
  const lcKey = (s: string) => s.toLowerCase();
  const appsByObjectId = new Map(entra.applications.map((a) => [lcKey(a.objectId), a]));
  const appsByAppId = new Map(entra.applications.map((a) => [lcKey(a.appId), a]));
  const spsByObjectId = new Map(entra.servicePrincipals.map((s) => [lcKey(s.objectId), s]));
  const spsByAppId = new Map(entra.servicePrincipals.map((s) => [lcKey(s.appId), s]));
  const listings = new ListingCache<JsonObject[]>();
  const responses = new ResponseCache();
  const base = () => state.urls.graph;
  const context = (req: ApiRequest, fragment: string) => `${base()}/${versionOf(req)}/$metadata#${fragment}`;

  function findApplication(segment: Segment, id: string | undefined): EntraApplication | undefined {
    if (segment.key?.prop?.toLowerCase() === "appid") return appsByAppId.get(lcKey(segment.key.value));
    const objectId = segment.key && !segment.key.prop ? segment.key.value : id;
    return objectId === undefined ? undefined : appsByObjectId.get(lcKey(objectId));
  }

  function findServicePrincipal(segment: Segment, id: string | undefined): EntraServicePrincipal | undefined {
    if (segment.key?.prop?.toLowerCase() === "appid") return spsByAppId.get(lcKey(segment.key.value));
    const objectId = segment.key && !segment.key.prop ? segment.key.value : id;
    return objectId === undefined ? undefined : spsByObjectId.get(lcKey(objectId));
  }

  /** One page of `items` and the body fields that go with it (`@odata.nextLink`, `@odata.count`). */
  function listBody(req: ApiRequest, url: URL, items: JsonObject[], contextFragment: string, maxTop = MAX_TOP): ApiResponse {
    const topParam = queryParam(url, "$top");
    let top = DEFAULT_TOP;
    if (topParam !== undefined) {
      const n = Number(topParam);
      if (!Number.isInteger(n) || n < 1 || n > MAX_TOP) return badRequest(req, `Invalid page size specified: '${topParam}'. Must be between 1 and ${MAX_TOP} inclusive.`);
      top = n;
    }
    // Without the advanced-query header, `?$count=true` is silently ignored (aad-advanced-queries.md).
    const wantsCount = isAdvancedQuery(req, url);
    const token = queryParam(url, "$skiptoken");
    const offset = token === undefined ? 0 : decodeSkipToken(token);
    if (offset === undefined) return badRequest(req, "The specified page token value has expired and can no longer be included in your request.", "Directory_ExpiredPageToken");
    const size = Math.min(top, options.pageSize, maxTop);
    const page = items.slice(offset, offset + size);
    const body: JsonObject = { "@odata.context": context(req, contextFragment) };
    if (wantsCount && token === undefined) body["@odata.count"] = items.length;
    const next = state.nextPageLink("graph", req.rawPath, offset, size, items.length);
    if (next) body["@odata.nextLink"] = next;
    body.value = page;
    return json(200, body);
  }

  function selectionFragment(collection: string, sel: Selection): string {
    return sel.select ? `${collection}(${[...sel.select, ...sel.expand.keys()].join(",")})` : collection;
  }

  function applicationView(app: EntraApplication, sel: Selection, version: GraphVersion): JsonObject {
    const out = project(applicationJson(app), sel.select?.filter((n) => !APPLICATION_NAVIGATION.includes(n)), APPLICATION_DEFAULT);
    for (const [nav, innerSelect] of sel.expand) {
      // $expand of a directory relationship returns at most 20 items and no next link; an
      // application holds at most 20 federated credentials, so they all come back.
      out[nav] = nav === "federatedIdentityCredentials" ? app.federatedIdentityCredentials.slice(0, 20).map((f) => project(ficJson(app, f, version), innerSelect, ficProperties(version))) : [];
    }
    return out;
  }

  function memberships(sp: EntraServicePrincipal): JsonObject[] {
    return sp.memberOf.map((id) => groupJson(id, groupNames.get(id.toLowerCase()) ?? null));
  }

  /** Routes one GET below /v1.0. `req.rawPath` is the path the client used (for next links). */
  function get(req: ApiRequest, segments: Segment[]): ApiResponse {
    const url = req.url;
    const [first, second, third, fourth, fifth] = segments;
    if (!first) return badRequest(req, "Invalid request URL.", "BadRequest");
    const unknownSegment = (s: Segment | undefined) => badRequest(req, `Resource not found for the segment '${s?.name ?? ""}'.`, "BadRequest");

    if (first.name === "applications") {
      const keyed = first.key !== undefined;
      if (!keyed && !second) {
        const sel = parseSelection(req, url, "application", APPLICATION_PROPERTIES, APPLICATION_NAVIGATION);
        if (isResponse(sel)) return sel;
        const filter = queryParam(url, "$filter");
        const predicate = filter === undefined ? undefined : parseFilter(filter, ["id", "appId", "displayName"]);
        if (filter !== undefined && !predicate) return badRequest(req, `Unsupported or invalid query filter clause specified for resource 'Application': ${filter}`, "Request_UnsupportedQuery");
        const views = listings.get(req.rawPath, () =>
          (predicate ? entra.applications.filter((a) => predicate(applicationJson(a))) : entra.applications).map((a) => applicationView(a, sel, versionOf(req))),
        );
        return listBody(req, url, views, selectionFragment("applications", sel), sel.expand.size > 0 ? MAX_TOP_WITH_EXPAND : MAX_TOP);
      }
      const app = findApplication(first, keyed ? undefined : second?.name);
      const rest = keyed ? [second, third] : [third, fourth];
      if (!app) return notFound(req, first.key?.value ?? second?.name ?? "");
      if (!rest[0]) {
        const sel = parseSelection(req, url, "application", APPLICATION_PROPERTIES, APPLICATION_NAVIGATION);
        if (isResponse(sel)) return sel;
        return json(200, { "@odata.context": context(req, `${selectionFragment("applications", sel)}/$entity`), ...applicationView(app, sel, versionOf(req)) });
      }
      if (rest[0].name === "federatedIdentityCredentials") {
        const fics = app.federatedIdentityCredentials.map((f) => ficJson(app, f, versionOf(req)));
        const properties = ficProperties(versionOf(req));
        const select = queryParam(url, "$select");
        const names = select === undefined ? undefined : splitTopLevel(select);
        const bad = names?.find((n) => !properties.includes(n));
        if (bad) return badRequest(req, `Parsing OData Select and Expand failed: Could not find a property named '${bad}' on type 'microsoft.graph.federatedIdentityCredential'.`, "BadRequest");
        const single = rest[0].key ?? (rest[1] ? { value: rest[1].name } : undefined);
        if (!single) {
          let items = fics;
          const filter = queryParam(url, "$filter");
          if (filter !== undefined) {
            const predicate = parseFilter(filter, ["name", "subject", "issuer"]);
            if (!predicate) return badRequest(req, `Unsupported or invalid query filter clause specified for resource 'FederatedIdentityCredential': ${filter}`, "Request_UnsupportedQuery");
            items = items.filter(predicate);
          }
          // Not paged by Graph: an application holds at most 20 credentials.
          return json(200, { "@odata.context": context(req, `applications('${app.objectId}')/federatedIdentityCredentials`), value: items.map((f) => project(f, names, properties)) });
        }
        // By id, or by the alternate key: federatedIdentityCredentials(name='…').
        const fic = fics.find((f) => (single.prop === "name" ? f.name === single.value : f.id === single.value));
        if (!fic) return notFound(req, single.value);
        return json(200, { "@odata.context": context(req, `applications('${app.objectId}')/federatedIdentityCredentials/$entity`), ...project(fic, names, properties) });
      }
      return unknownSegment(rest[0]);
    }

    if (first.name === "servicePrincipals") {
      const keyed = first.key !== undefined;
      if (!keyed && !second) {
        const sel = parseSelection(req, url, "servicePrincipal", SERVICE_PRINCIPAL_PROPERTIES, []);
        if (isResponse(sel)) return sel;
        const filter = queryParam(url, "$filter");
        const predicate = filter === undefined ? undefined : parseFilter(filter, ["id", "appId", "displayName", "servicePrincipalType"]);
        if (filter !== undefined && !predicate) return badRequest(req, `Unsupported or invalid query filter clause specified for resource 'ServicePrincipal': ${filter}`, "Request_UnsupportedQuery");
        const views = listings.get(req.rawPath, () => {
          const sps = entra.servicePrincipals.map((s) => servicePrincipalJson(s, scenario.tenantId));
          return (predicate ? sps.filter(predicate) : sps).map((s) => project(s, sel.select, SERVICE_PRINCIPAL_DEFAULT));
        });
        return listBody(req, url, views, selectionFragment("servicePrincipals", sel));
      }
      const sp = findServicePrincipal(first, keyed ? undefined : second?.name);
      const rest = keyed ? [second, third] : [third, fourth, fifth];
      if (!sp) return notFound(req, first.key?.value ?? second?.name ?? "");
      if (!rest[0]) {
        const sel = parseSelection(req, url, "servicePrincipal", SERVICE_PRINCIPAL_PROPERTIES, []);
        if (isResponse(sel)) return sel;
        return json(200, { "@odata.context": context(req, `${selectionFragment("servicePrincipals", sel)}/$entity`), ...project(servicePrincipalJson(sp, scenario.tenantId), sel.select, SERVICE_PRINCIPAL_DEFAULT) });
      }
      if (rest[0].name === "transitiveMemberOf" || rest[0].name === "memberOf") {
        // The scenario's memberOf is already transitive; direct memberOf serves the same list.
        const cast = rest[1]?.name;
        if (cast !== undefined && cast !== "microsoft.graph.group") return unknownSegment(rest[1]);
        // An OData cast on a membership list is an advanced query (aad-advanced-queries.md).
        if (cast && !isAdvancedQuery(req, url)) {
          return badRequest(req, "OData cast is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information", "Request_UnsupportedQuery");
        }
        const sel = parseSelection(req, url, cast ? "group" : "directoryObject", GROUP_PROPERTIES, []);
        if (isResponse(sel)) return sel;
        // Cast to groups, the items are groups: they carry no @odata.type (the documented examples).
        const items = memberships(sp).map((g) => project(cast ? { ...g, "@odata.type": undefined } : g, sel.select, GROUP_DEFAULT));
        return listBody(req, url, items, cast ? selectionFragment("groups", sel) : selectionFragment("directoryObjects", sel));
      }
      return unknownSegment(rest[0]);
    }

    if (first.name === "groups" && second && !third) {
      const id = second.name;
      const name = groupNames.get(id.toLowerCase());
      if (name === undefined) return notFound(req, id);
      const sel = parseSelection(req, url, "group", GROUP_PROPERTIES, []);
      if (isResponse(sel)) return sel;
      const { "@odata.type": _type, ...group } = groupJson(id, name);
      return json(200, { "@odata.context": context(req, `${selectionFragment("groups", sel)}/$entity`), ...project(group, sel.select, GROUP_DEFAULT) });
    }

    return unknownSegment(first);
  }

  /** Any request below /v1.0 (outer or inside $batch): the path relative to the version. */
  function route(req: ApiRequest, relativePath: string): ApiResponse {
    const segments = relativePath
      .split("/")
      .filter((s) => s !== "")
      .map((s) => {
        try {
          return parseSegment(decodeURIComponent(s));
        } catch {
          return parseSegment(s);
        }
      });
    if (req.method !== "GET") return graphError(req, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
    return get(req, segments);
  }

  function batch(req: ApiRequest): ApiResponse {
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body);
    } catch {
      return badRequest(req, "Invalid batch payload format.", "BadRequest");
    }
    const requests = typeof parsed === "object" && parsed !== null && Array.isArray((parsed as JsonObject).requests) ? ((parsed as JsonObject).requests as unknown[]) : undefined;
    if (!requests) return badRequest(req, "Invalid batch payload format.", "BadRequest");
    if (requests.length > BATCH_LIMIT) return badRequest(req, `The number of batch requests ${requests.length} exceeds the maximum of ${BATCH_LIMIT}.`, "BadRequest");
    const seen = new Set<string>();
    const items: { id: string; method: string; url: string; headers: Record<string, string>; dependsOn: string[] }[] = [];
    for (const raw of requests) {
      const r = (typeof raw === "object" && raw !== null ? raw : {}) as JsonObject;
      const id = typeof r.id === "string" || typeof r.id === "number" ? String(r.id) : undefined;
      if (id === undefined || typeof r.method !== "string" || typeof r.url !== "string") return badRequest(req, "Invalid batch payload format: each request needs id, method and url.", "BadRequest");
      if (seen.has(id)) return badRequest(req, `Batch request ids must be unique; '${id}' repeats.`, "BadRequest");
      seen.add(id);
      const headers: Record<string, string> = {};
      if (typeof r.headers === "object" && r.headers !== null) for (const [k, v] of Object.entries(r.headers)) if (typeof v === "string") headers[k.toLowerCase()] = v;
      const dependsOn = Array.isArray(r.dependsOn) ? r.dependsOn.map(String) : [];
      items.push({ id, method: r.method.toUpperCase(), url: r.url, headers, dependsOn });
    }

    const statuses = new Map<string, number>();
    const responses = items.map((item) => {
      // Relative URLs, as Graph requires; the JS SDK sends "/v1.0/…", so a version prefix is accepted.
      let relative = item.url;
      if (/^https?:\/\//i.test(relative)) {
        statuses.set(item.id, 400);
        return { id: item.id, status: 400, headers: { "Content-Type": "application/json" }, body: (badRequest(req, "Batch request URLs must be relative.", "BadRequest").body as JsonObject) };
      }
      relative = relative.replace(/^\/?(v1\.0\/|beta\/)?/, "/");
      const rawPath = `/${versionOf(req)}${relative}`;
      const inner: ApiRequest = { method: item.method, rawPath, url: parseRequestUrl(rawPath), headers: { ...item.headers, authorization: req.headers.authorization }, body: "" };
      let response: ApiResponse;
      const failedDependency = item.dependsOn.find((d) => {
        const s = statuses.get(d);
        return s === undefined || s >= 400;
      });
      if (failedDependency !== undefined) response = graphError(inner, 424, "FailedDependency", `Request '${failedDependency}' this request depends on failed or is missing.`);
      else response = state.faultResponse("graph", graphErrors, inner, rawPath) ?? state.withoutFields("graph", rawPath, route(inner, inner.url.pathname.replace(/^\/(v1\.0|beta)/, "")));
      statuses.set(item.id, response.status);
      state.requests.push({ api: "graph", method: item.method, path: rawPath, hasAuthorization: true, authorizationValid: true, status: response.status, batchInner: true });
      return { id: item.id, status: response.status, headers: { "Content-Type": "application/json", ...response.headers }, body: response.body };
    });
    return json(200, { responses });
  }

  return {
    api: "graph",
    errors: graphErrors,
    contentType: CONTENT_TYPE,
    commonHeaders: (req) => {
      const id = newRequestId();
      return { "request-id": id, "client-request-id": req.headers["client-request-id"] ?? id };
    },
    handle(req) {
      const path = req.url.pathname;
      const version = /^\/(v1\.0|beta)(\/|$)/.exec(path)?.[1];
      if (!version) return badRequest(req, "Invalid version: the emulator serves v1.0 and beta only.", "BadRequest");
      const relative = path.slice(version.length + 1);
      if (relative === "/$batch" || relative === "/%24batch") {
        if (req.method !== "POST") return graphError(req, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
        return batch(req);
      }
      // $batch is never cached: its inner requests are logged and throttled one by one.
      return responses.get(`${req.method} ${req.rawPath} ${req.headers.consistencylevel ?? ""}`, () => route(req, relative));
    },
  };
}
