/**
 * The Activity Log (`ActivityLogs_List`, api-version 2015-04-01) of each subscription: the
 * scenario's `azure.activity` tallies expanded back into events with the real EventData shape
 * (the REST spec's examples and an observed service-principal event), plus events the caller
 * filter or a client's own checks must drop (another caller's writes, reads, failures, policy
 * events). Events are made on demand from their index, so an identity with tens of thousands of
 * them costs the emulator no memory; the time window and caller are filtered server-side.
 */
import { createHash } from "node:crypto";
import type { ActivityOperation, Inventory } from "@trustscope/core";
import { decodeSkipToken, json, queryParam, type ApiRequest, type ApiResponse } from "./http.ts";

type JsonObject = Record<string, unknown>;

/** The fields `$select` can name (EventData's properties; case-insensitive, like the service). */
const EVENT_FIELDS = [
  "authorization", "caller", "channels", "claims", "correlationId", "description", "eventDataId", "eventName", "category", "httpRequest", "id", "level",
  "resourceGroupName", "resourceProviderName", "resourceId", "resourceType", "operationId", "operationName", "properties", "status", "subStatus",
  "eventTimestamp", "submissionTimestamp", "subscriptionId", "tenantId", "relatedEvents",
];
const FIELD_BY_LOWER = new Map(EVENT_FIELDS.map((f) => [f.toLowerCase(), f]));

/** A user who also works in every subscription the log has: the caller filter keeps their events out. */
const OTHER_CALLER = "admin@contoso.com";

/** One run of events of one caller and operation, evenly spread from `first` to `last`. */
interface Segment {
  caller: string;
  subscriptionId: string;
  operation: string;
  count: number;
  first: number;
  last: number;
  scopes: string[];
  category: string;
  status: string;
  /** The caller's appId (a service principal's or managed identity's client ID), for the claims. */
  appId?: string;
  managedIdentityId?: string;
}

const lc = (s: string) => s.toLowerCase();
const guidOf = (...parts: (string | number)[]) => {
  const h = createHash("sha256").update(parts.join("|")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
/** The service's timestamps carry seven fractional digits. */
const timestamp = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");

/** The time of event `i` of a segment: `first` and `last` exactly, the rest evenly between. */
function timeOf(s: Segment, i: number): number {
  return s.count === 1 ? s.first : s.first + Math.round(((s.last - s.first) * i) / (s.count - 1));
}

/** The first index whose time is at or after `t` (the times rise with the index). */
function firstAtOrAfter(s: Segment, t: number): number {
  let lo = 0;
  let hi = s.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timeOf(s, mid) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Every scope of an operation: those kept, then one made up for each of `moreScopes`. */
function scopesOf(o: ActivityOperation, subscriptionId: string): string[] {
  const kept = o.scopes.length > 0 ? o.scopes : [`/subscriptions/${subscriptionId}`];
  const base = kept.reduce((a, b) => (lc(a) > lc(b) ? a : b));
  // Sorting after every kept scope, so a client keeping the smallest ones keeps the same.
  return [...kept, ...Array.from({ length: o.moreScopes ?? 0 }, (_, k) => `${base}/~more-${String(k).padStart(6, "0")}`)];
}

function eventJson(s: Segment, i: number, tenantId: string): JsonObject {
  const at = timeOf(s, i);
  const scope = s.scopes[i % s.scopes.length]!;
  const eventDataId = guidOf(s.caller, s.subscriptionId, s.operation, s.status, s.category, i);
  const correlationId = guidOf("correlation", eventDataId);
  const namespace = s.operation.split("/")[0] ?? s.operation;
  const resourceType = s.operation.split("/").slice(0, -1).join("/");
  const group = /\/resourceGroups\/([^/]+)/i.exec(scope)?.[1] ?? "";
  const isApp = s.appId !== undefined;
  const issuer = `https://sts.windows.net/${tenantId}/`;
  const claims: Record<string, string> = isApp
    ? {
        aud: "https://management.core.windows.net/",
        iss: issuer,
        iat: String(Math.floor(at / 1000) - 300),
        nbf: String(Math.floor(at / 1000) - 300),
        exp: String(Math.floor(at / 1000) + 3600),
        appid: s.appId!,
        // Federated credentials and certificates: 2.
        appidacr: "2",
        "http://schemas.microsoft.com/identity/claims/identityprovider": issuer,
        idtyp: "app",
        "http://schemas.microsoft.com/identity/claims/objectidentifier": s.caller,
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier": s.caller,
        "http://schemas.microsoft.com/identity/claims/tenantid": tenantId,
        ver: "1.0",
        ...(s.managedIdentityId ? { xms_mirid: s.managedIdentityId } : {}),
      }
    : {
        aud: "https://management.core.windows.net/",
        iss: issuer,
        name: "Contoso Admin",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": s.caller,
        "http://schemas.microsoft.com/identity/claims/objectidentifier": guidOf("user", s.caller),
        "http://schemas.microsoft.com/identity/claims/tenantid": tenantId,
        ver: "1.0",
      };
  const succeeded = s.status === "Succeeded";
  return {
    authorization: { action: s.operation, scope },
    caller: s.caller,
    channels: "Operation",
    claims,
    correlationId,
    description: "",
    eventDataId,
    eventName: { value: "EndRequest", localizedValue: "End request" },
    category: { value: s.category, localizedValue: s.category },
    eventTimestamp: timestamp(at),
    id: `${scope}/events/${eventDataId}/ticks/${BigInt(at) * 10_000n + 621_355_968_000_000_000n}`,
    level: succeeded ? "Informational" : "Error",
    operationId: correlationId,
    operationName: { value: s.operation, localizedValue: s.operation },
    ...(group ? { resourceGroupName: group } : {}),
    resourceProviderName: { value: namespace, localizedValue: namespace },
    resourceType: { value: resourceType, localizedValue: resourceType },
    resourceId: scope,
    status: { value: s.status, localizedValue: s.status },
    subStatus: succeeded ? { value: "OK", localizedValue: "OK (HTTP Status Code: 200)" } : { value: "Forbidden", localizedValue: "Forbidden (HTTP Status Code: 403)" },
    submissionTimestamp: new Date(at + 60_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    subscriptionId: s.subscriptionId,
    tenantId,
    properties: { statusCode: succeeded ? "OK" : "Forbidden", serviceRequestId: null, eventCategory: s.category, entity: scope, message: s.operation, hierarchy: s.subscriptionId },
    relatedEvents: [],
  };
}

/** The documented conditions besides the window, by lower-cased name ("": accepted, not applied). */
const SCOPING_FIELDS = new Map<string, "resourceGroupName" | "resourceUri" | "resourceProvider" | "correlationId" | "">([
  ["resourcegroupname", "resourceGroupName"],
  ["resourceuri", "resourceUri"],
  ["resourceprovider", "resourceProvider"],
  ["correlationid", "correlationId"],
  ["eventchannels", ""],
]);

/** A parsed `$filter`: the window, and the optional conditions ANDed to it. */
interface ActivityFilter {
  from: number;
  to: number;
  caller?: string;
  resourceGroupName?: string;
  resourceUri?: string;
  resourceProvider?: string;
  correlationId?: string;
}

/**
 * The documented filters (a window, optionally with one of resourceGroupName, resourceUri,
 * resourceProvider, correlationId or eventChannels), each optionally with `caller eq` (what az CLI
 * and Az PowerShell send). Anything else is refused, as the service refuses it; an error message.
 */
export function parseActivityFilter(filter: string | undefined): ActivityFilter | string {
  if (filter === undefined || filter.trim() === "") return "The $filter query parameter is required and must give the time window: eventTimestamp ge '<start>' and eventTimestamp le '<end>'.";
  const out: Partial<ActivityFilter> = {};
  let scoped = false;
  for (const clause of filter.trim().split(/\s+and\s+/i)) {
    const m = /^(\w+)\s+(eq|ge|le)\s+(?:'([^']*)'|(\S+))$/i.exec(clause.trim());
    if (!m) return `$filter searching parameters invalid: '${clause}'`;
    const [field, op, value] = [lc(m[1]!), lc(m[2]!), m[3] ?? m[4]!];
    if (field === "eventtimestamp" && (op === "ge" || op === "le")) {
      const t = Date.parse(value);
      if (Number.isNaN(t)) return `$filter searching parameters invalid: '${value}' is not a date and time`;
      if ((op === "ge" ? out.from : out.to) !== undefined) return "$filter searching parameters invalid: the time window is given twice";
      if (op === "ge") out.from = t;
      else out.to = t;
      continue;
    }
    if (op !== "eq") return `$filter searching parameters invalid: '${clause}'`;
    if (field === "caller") {
      if (out.caller !== undefined) return "$filter searching parameters invalid: caller is given twice";
      out.caller = value;
      continue;
    }
    const key = SCOPING_FIELDS.get(field);
    if (key === undefined) return `$filter searching parameters invalid: '${m[1]}' cannot be filtered on`;
    if (scoped) return "$filter searching parameters invalid: only one of resourceGroupName, resourceUri, resourceProvider, correlationId and eventChannels may be given";
    scoped = true;
    if (key !== "") out[key] = value;
  }
  if (out.from === undefined || out.to === undefined) return "$filter must give the time window: eventTimestamp ge '<start>' and eventTimestamp le '<end>'.";
  if (out.from > out.to) return "$filter searching parameters invalid: the window's start is after its end";
  return out as ActivityFilter;
}

/** `$select` as canonical field names, or an error message; undefined: every field. */
function parseSelect(select: string | undefined): string[] | string | undefined {
  if (select === undefined || select.trim() === "") return undefined;
  const fields: string[] = [];
  for (const name of select.split(",").map((f) => f.trim())) {
    const field = FIELD_BY_LOWER.get(lc(name));
    if (!field) return `The $select field '${name}' is not a property of EventData.`;
    fields.push(field);
  }
  return fields;
}

export interface ActivityLogHandler {
  /** Answers `GET /subscriptions/{id}/providers/microsoft.insights/eventtypes/management/values`. */
  list(req: ApiRequest, subscriptionId: string, pageSize: number, nextPageLink: (offset: number, size: number, total: number) => string | undefined): ApiResponse;
}

export function createActivityLog(scenario: Inventory, badRequest: (code: string, message: string) => ApiResponse): ActivityLogHandler {
  const tenantId = scenario.tenantId ?? "00000000-0000-0000-0000-000000000000";
  const log = scenario.azure?.activity;
  const appIdOf = new Map<string, { appId: string; managedIdentityId?: string }>();
  for (const sp of scenario.entra?.servicePrincipals ?? []) appIdOf.set(lc(sp.objectId), { appId: sp.appId });
  for (const mi of scenario.azure?.managedIdentities ?? []) appIdOf.set(lc(mi.principalId), { appId: mi.clientId, managedIdentityId: mi.id });

  const bySubscription = new Map<string, Segment[]>();
  const add = (s: Segment) => {
    const list = bySubscription.get(lc(s.subscriptionId)) ?? [];
    bySubscription.set(lc(s.subscriptionId), list);
    list.push(s);
  };
  if (log) {
    const mid = Math.round((Date.parse(log.from) + Date.parse(log.to)) / 2);
    const touched = new Set<string>();
    for (const r of log.reads) {
      const who = appIdOf.get(lc(r.principalId)) ?? { appId: guidOf("app", r.principalId) };
      const base = { caller: lc(r.principalId), subscriptionId: r.subscriptionId, ...who };
      for (const o of r.operations) {
        add({ ...base, operation: o.operation, count: o.count, first: Date.parse(o.first), last: Date.parse(o.last), scopes: scopesOf(o, r.subscriptionId), category: "Administrative", status: "Succeeded" });
      }
      // What the same identity's log also holds and no tally may count: a read, a failed write, a
      // write's Started event, and a policy evaluation.
      const sub = [`/subscriptions/${r.subscriptionId}`];
      add({ ...base, operation: "Microsoft.Resources/subscriptions/resourceGroups/read", count: 1, first: mid, last: mid, scopes: sub, category: "Administrative", status: "Succeeded" });
      add({ ...base, operation: "Microsoft.Authorization/roleAssignments/write", count: 1, first: mid, last: mid, scopes: sub, category: "Administrative", status: "Failed" });
      add({ ...base, operation: "Microsoft.Resources/deployments/write", count: 1, first: mid, last: mid, scopes: sub, category: "Administrative", status: "Started" });
      add({ ...base, operation: "Microsoft.Authorization/policies/audit/action", count: 1, first: mid, last: mid, scopes: sub, category: "Policy", status: "Succeeded" });
      touched.add(r.subscriptionId);
    }
    // Someone else's writes in each subscription: only the caller filter keeps them out.
    for (const subscriptionId of touched) {
      add({ caller: OTHER_CALLER, subscriptionId, operation: "Microsoft.Authorization/roleAssignments/write", count: 2, first: mid, last: mid + 60_000, scopes: [`/subscriptions/${subscriptionId}`], category: "Administrative", status: "Succeeded" });
    }
  }

  return {
    list(req, subscriptionId, pageSize, nextPageLink) {
      const filter = parseActivityFilter(queryParam(req.url, "$filter"));
      if (typeof filter === "string") return badRequest("BadRequest", filter);
      const select = parseSelect(queryParam(req.url, "$select"));
      if (typeof select === "string") return badRequest("BadRequest", select);
      // The events that pass the filter, as index ranges of their segments (newest segment last).
      const ranges: { segment: Segment; start: number; end: number }[] = [];
      for (const s of bySubscription.get(lc(subscriptionId)) ?? []) {
        if (filter.caller !== undefined && lc(filter.caller) !== lc(s.caller)) continue;
        if (filter.resourceProvider !== undefined && lc(filter.resourceProvider) !== lc(s.operation.split("/")[0] ?? "")) continue;
        if (filter.correlationId !== undefined) continue; // made-up correlation IDs match nothing asked for
        if (filter.resourceGroupName !== undefined || filter.resourceUri !== undefined) {
          // Per event: scopes differ within a segment. Rare in tests; kept simple.
          for (let i = 0; i < s.count; i++) {
            const scope = lc(s.scopes[i % s.scopes.length]!);
            const t = timeOf(s, i);
            const inGroup = filter.resourceGroupName === undefined || scope.includes(`/resourcegroups/${lc(filter.resourceGroupName)}`);
            const atUri = filter.resourceUri === undefined || scope === lc(filter.resourceUri) || scope.startsWith(`${lc(filter.resourceUri)}/`);
            if (inGroup && atUri && t >= filter.from && t <= filter.to) ranges.push({ segment: s, start: i, end: i + 1 });
          }
          continue;
        }
        const start = firstAtOrAfter(s, filter.from);
        const end = firstAtOrAfter(s, filter.to + 1);
        if (end > start) ranges.push({ segment: s, start, end });
      }
      const total = ranges.reduce((n, r) => n + r.end - r.start, 0);
      const token = queryParam(req.url, "$skiptoken");
      let offset = 0;
      if (token !== undefined) {
        const decoded = decodeSkipToken(token);
        if (decoded === undefined) return badRequest("InvalidSkipToken", `The skip token '${token}' is not valid.`);
        offset = decoded;
      }
      const value: JsonObject[] = [];
      let skip = offset;
      for (const r of ranges) {
        if (value.length >= pageSize) break;
        const n = r.end - r.start;
        if (skip >= n) {
          skip -= n;
          continue;
        }
        // Newest first within a segment, as the service lists.
        for (let k = skip; k < n && value.length < pageSize; k++) value.push(project(eventJson(r.segment, r.end - 1 - k, tenantId), select));
        skip = 0;
      }
      const body: JsonObject = { value };
      const next = nextPageLink(offset, pageSize, total);
      if (next) body.nextLink = next;
      return json(200, body);
    },
  };
}

/** An event with only the `$select`ed fields: unselected ones are absent, not null. */
function project(event: JsonObject, select: string[] | undefined): JsonObject {
  if (!select) return event;
  const out: JsonObject = {};
  for (const f of select) if (event[f] !== undefined) out[f] = event[f];
  return out;
}
