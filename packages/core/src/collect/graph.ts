/**
 * Microsoft Graph collector: app registrations with their federated credentials and
 * password-credential metadata (never values), and, for the identities Buildkite can log in as,
 * their service principals and transitive group memberships. Uses the official Graph client.
 */
import {
  AuthenticationHandler,
  Client,
  CustomAuthenticationProvider,
  GraphClientError,
  GraphError,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
  type Context,
  type Middleware,
} from "@microsoft/microsoft-graph-client";
import type { TokenCredential } from "@azure/core-auth";
import type { CoverageGap, EntraApplication, EntraInventory, EntraServicePrincipal, FederatedCredential } from "../model/inventory.ts";
import { listSome } from "../graph/queries.ts";
import { expressionFromApi } from "../graph/claims-expression.ts";
import { assertSameOrigin, backoffMs, bufferedResponse, dispatcherFor, Limiter, PageGuard, redactUrl, refusalOf, responseLimits, retryAfterMs, sleep, type ResponseLimits } from "./http.ts";
import { absent, LeftOut, leftOutGaps } from "./left-out.ts";
import { DEFAULTS, type CollectOptions } from "./options.ts";

interface GraphPage<T> {
  value: T[];
  "@odata.nextLink"?: string;
}
/** Fields a response may leave out are optional: published examples omit even `id`. */
interface RawApplication {
  id?: string | null;
  appId?: string | null;
  displayName: string | null;
  passwordCredentials?: { keyId: string; displayName?: string | null; hint?: string | null; startDateTime?: string | null; endDateTime?: string | null }[];
  federatedIdentityCredentials?: RawFederatedCredential[];
}
interface RawFederatedCredential {
  id?: string;
  name: string;
  issuer: string;
  /** null for a flexible credential, whose expression only Graph beta returns. */
  subject: string | null;
  audiences: string[];
  description?: string | null;
  claimsMatchingExpression?: { value?: unknown; languageVersion?: unknown } | null;
}
interface RawServicePrincipal {
  id?: string | null;
  appId?: string | null;
  displayName: string | null;
  servicePrincipalType?: string;
}
interface RawDirectoryObject {
  id?: string | null;
  displayName?: string | null;
}
interface BatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Batch size is capped at 20 by Graph (and the SDK). */
const BATCH_LIMIT = 20;
/** With `$expand`, Graph serves at most 100 directory objects a page, whatever `$top` asks (known issues). */
const EXPAND_PAGE_LIMIT = 100;
/**
 * An OData cast on a directory relationship is an advanced query: Graph wants `$count=true` and
 * this header (in a `$batch`, in the inner request's headers; on later pages, again).
 */
const ADVANCED_QUERY = { ConsistencyLevel: "eventual" } as const;

const PERMISSION_HINT: [RegExp, string][] = [
  [/^\/applications/, "Application.Read.All"],
  [/transitiveMemberOf/, "Application.Read.All and GroupMember.Read.All (or Directory.Read.All)"],
  [/^\/servicePrincipals/, "Application.Read.All"],
];

function describe(e: unknown, path: string, credentialName: string, graphUrl: string): string {
  // One slash between the base (which may end in one) and the version.
  const where = /^https?:/.test(path) ? redactUrl(path) : `${redactUrl(graphUrl).replace(/\/+$/, "")}/v1.0${path.split("?")[0]}`;
  const refused = refusalOf(e);
  if (refused) return refused.message;
  if (e instanceof GraphError || (e && typeof e === "object" && "statusCode" in e)) {
    const ge = e as GraphError;
    // An empty code reads as none (`||`): "403  from" helps nobody.
    if (ge.statusCode === 401) return `401 ${ge.code || "Unauthorized"} from ${where}: the Graph token from ${credentialName} was rejected`;
    if (ge.statusCode === 403) {
      const need = PERMISSION_HINT.find(([re]) => re.test(path))?.[1] ?? "Application.Read.All";
      return `403 ${ge.code || "Forbidden"} from ${where}: the Graph credential (${credentialName}) needs the ${need} application permission`;
    }
    return `${ge.statusCode || "error"} ${ge.code ?? ""} from ${where}: ${ge.message}`.replace(/\s+/g, " ");
  }
  return `${where}: ${e instanceof Error ? e.message : String(e)}`;
}

export interface EntraCollection {
  entra: EntraInventory;
  gaps: CoverageGap[];
}

/**
 * The last link of the client's middleware chain, in place of the SDK's RedirectHandler and
 * HTTPMessageHandler: sends with fetch without following redirects (a redirect is refused, see
 * RedirectRefusedError) and reads the body within the collection's limits before the SDK parses it.
 */
class GuardedFetchHandler implements Middleware {
  constructor(private readonly limits: ResponseLimits) {}
  async execute(context: Context): Promise<void> {
    const url = typeof context.request === "string" ? context.request : context.request.url;
    const res = await fetch(context.request, { ...(context.options as RequestInit), redirect: "manual" });
    try {
      context.response = await bufferedResponse(res, url, this.limits);
    } catch (e) {
      // The SDK passes GraphClientErrors through as they are; anything else it rewraps, losing the refusal.
      const wrapped = new GraphClientError(e instanceof Error ? e.message : String(e));
      wrapped.cause = e;
      throw wrapped;
    }
  }
}

export function graphClient(opts: CollectOptions, credential: TokenCredential, scope: string): Client {
  const az = opts.azure!;
  const dispatcher = dispatcherFor(opts.caPem);
  const auth = new CustomAuthenticationProvider((done) => {
    credential.getToken(scope).then(
      (t) => (t ? done(null, t.token) : done(new Error("the credential returned no token"), null)),
      (e: unknown) => done(e instanceof Error ? e : new Error(String(e)), null),
    );
  });
  return Client.initWithMiddleware({
    baseUrl: `${az.graphUrl.replace(/\/+$/, "")}/`,
    defaultVersion: "v1.0",
    // The client only attaches the token to hosts it knows; an overridden endpoint is one.
    customHosts: new Set([new URL(az.graphUrl).hostname]),
    // The SDK's default chain without its RedirectHandler, which follows redirects to any origin.
    middleware: [new AuthenticationHandler(auth), new RetryHandler(new RetryHandlerOptions()), new TelemetryHandler(), new GuardedFetchHandler(responseLimits(opts, DEFAULTS))],
    ...(dispatcher ? { fetchOptions: { dispatcher } as RequestInit } : {}),
  });
}

/** A user-assigned managed identity found in ARM; its service principal's groups come from Graph. */
export interface ManagedIdentityRef {
  principalId: string;
  clientId: string;
  name: string;
}

/**
 * Values per `$filter=appId in (…)`: Graph's known-issues page limits `in` to 15 values, so
 * service principals are looked up 15 to a request (inside `$batch`) rather than one by one.
 */
const IN_FILTER_LIMIT = 15;

export async function collectEntra(
  opts: CollectOptions,
  graphScope: string,
  managedIdentities: ManagedIdentityRef[] | Promise<ManagedIdentityRef[]>,
): Promise<EntraCollection> {
  const az = opts.azure!;
  const client = graphClient(opts, az.graphCredential, graphScope);
  const limiter = new Limiter(opts.concurrency ?? DEFAULTS.concurrency);
  const maxRetries = opts.maxRetries ?? DEFAULTS.maxRetries;
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  const top = Math.min(opts.pageSize?.graph ?? DEFAULTS.pageSize.graph, 999);
  const maxPages = opts.maxPagesPerListing ?? DEFAULTS.maxPagesPerListing;
  const graphBase = `${az.graphUrl.replace(/\/+$/, "")}/v1.0`;
  const graphBetaBase = `${az.graphUrl.replace(/\/+$/, "")}/beta`;
  const gaps: CoverageGap[] = [];
  const progress = (m: string) => opts.onProgress?.("graph", m);
  const gap = (path: string, e: unknown, about?: string) =>
    gaps.push({
      source: "graph",
      scope: /^https?:/.test(path) ? redactUrl(path) : path.split("?")[0]!,
      error: `${describe(e, path, az.graphCredentialName, az.graphUrl)}${about ? ` (${about})` : ""}`,
    });

  /** GET a path and every next page (same origin only); `onPage` sees each page as it arrives. */
  async function listAll<T>(path: string, onPage?: (items: T[]) => void, headers: Record<string, string> = {}): Promise<{ items: T[]; complete: boolean }> {
    const items: T[] = [];
    const guard = new PageGuard(maxPages);
    let next: string | undefined = path;
    while (next) {
      const url: string = next;
      try {
        if (url !== path) assertSameOrigin(url, az.graphUrl);
        // Absolute, so a next link back to the first page counts as a repeat.
        guard.next(/^https?:/.test(url) ? url : `${graphBase}${url}`);
        // Pages outrank $batch lookups: each next link waits on the page before it, while the
        // lookups can fill any free slot (see Limiter.run).
        const page = (await limiter.run(() => client.api(url).headers(headers).options({ signal: AbortSignal.timeout(timeoutMs) }).get(), 1)) as GraphPage<T>;
        items.push(...page.value);
        onPage?.(page.value);
        next = page["@odata.nextLink"];
      } catch (e) {
        gap(path, e);
        return { items, complete: false };
      }
    }
    return { items, complete: true };
  }

  // Lookups for the identities Buildkite can (nearly) log in as go out in $batch requests of 20
  // while the applications are still being paged, so the two overlap instead of queueing.
  /** `about` says whose data a lookup reads, for a gap: its URL alone does not always. */
  type Lookup = { key: string; url: string; about?: string; headers?: Record<string, string> };
  const results = new Map<string, BatchResponse>();
  const lookups = new Map<string, Lookup>();
  const pendingLookups: Lookup[] = [];
  const sent: Promise<void>[] = [];
  /**
   * Sends lookups in one $batch and keeps each answer. Never throws (it runs unawaited while the
   * applications are paged): a failed request, a reply without a `responses` list or a lookup the
   * reply leaves out is a gap for that lookup.
   */
  const sendBatch = async (batch: Lookup[]) => {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      let responses: unknown;
      try {
        const body = { requests: pending.map((l, i) => ({ id: String(i), method: "GET", url: l.url, ...(l.headers ? { headers: l.headers } : {}) })) };
        responses = ((await limiter.run(() => client.api("/$batch").options({ signal: AbortSignal.timeout(timeoutMs) }).post(body))) as { responses?: unknown } | undefined)?.responses;
      } catch (e) {
        for (const l of pending) gap(l.url, e, l.about);
        return;
      }
      if (!Array.isArray(responses)) {
        for (const l of pending) gap(l.url, new Error("the $batch reply has no 'responses' list"), l.about);
        return;
      }
      // Inner requests are throttled one by one: retry those after their Retry-After.
      const retry: Lookup[] = [];
      const answered = new Set<Lookup>();
      let wait = 0;
      for (const r of responses as BatchResponse[]) {
        const l = pending[Number(r?.id)];
        if (!l || answered.has(l)) continue;
        answered.add(l);
        if ((r.status === 429 || r.status >= 500) && attempt < maxRetries) {
          retry.push(l);
          wait = Math.max(wait, retryAfterMs(r.headers?.["Retry-After"] ?? r.headers?.["retry-after"], backoffMs(attempt)));
        } else {
          results.set(l.key, r);
        }
      }
      for (const l of pending) if (!answered.has(l)) gap(l.url, new Error("the $batch reply has no answer for this request"), l.about);
      pending = retry;
      if (pending.length) await sleep(wait);
    }
  };
  const lookup = (l: Lookup) => {
    lookups.set(l.key, l);
    pendingLookups.push(l);
    if (pendingLookups.length >= BATCH_LIMIT) sent.push(sendBatch(pendingLookups.splice(0, BATCH_LIMIT)));
  };
  const flushLookups = () => {
    while (pendingLookups.length > 0) sent.push(sendBatch(pendingLookups.splice(0, BATCH_LIMIT)));
  };
  const spSelect = "$select=id,appId,displayName,servicePrincipalType";
  const spQueue: string[] = [];
  const spFilterKeys: string[] = [];
  const flushSpQueue = (all: boolean) => {
    while (spQueue.length >= IN_FILTER_LIMIT || (all && spQueue.length > 0)) {
      const ids = spQueue.splice(0, IN_FILTER_LIMIT);
      const key = `sps:${spFilterKeys.length}`;
      spFilterKeys.push(key);
      // Spaces percent-encoded: a $batch URL is used as given.
      const about = `service principals of ${ids.length} application${ids.length === 1 ? "" : "s"}: ${listSome(ids, 3)}`;
      lookup({ key, url: `/servicePrincipals?$filter=appId%20in%20(${ids.map((id) => `'${id}'`).join(",")})&${spSelect}&$top=${IN_FILTER_LIMIT}`, about });
    }
  };
  // Cast to groups: only groups come back (no directory roles), whatever `@odata.type` says or omits.
  const groupsUrl = (sp: string) => `/servicePrincipals${sp}/transitiveMemberOf/microsoft.graph.group?$count=true&$select=id,displayName&$top=${top}`;

  // 1. Applications with their federated credentials: $expand returns them all (at most 20 exist per app).
  const toApplication = (a: RawApplication & { id: string; appId: string }): EntraApplication => ({
    objectId: a.id,
    appId: a.appId,
    displayName: a.displayName ?? a.appId,
    // Metadata only: Graph never returns secret values on reads, and the hint is not kept.
    passwordCredentials: (a.passwordCredentials ?? []).map((p) => ({
      keyId: p.keyId,
      displayName: p.displayName ?? null,
      startDateTime: p.startDateTime ?? null,
      endDateTime: p.endDateTime ?? null,
    })),
    federatedIdentityCredentials: (a.federatedIdentityCredentials ?? []).map(
      (f): FederatedCredential => {
        const expression = expressionFromApi(f.claimsMatchingExpression);
        return { ...(f.id ? { id: f.id } : {}), name: f.name, issuer: f.issuer, subject: f.subject ?? "", ...(expression ? { claimsMatchingExpression: expression } : {}), audiences: f.audiences ?? [], description: f.description ?? null };
      },
    ),
  });
  // 1b. Flexible credentials: v1.0 gives them subject null and no expression; Graph beta has the
  // expression. Read from beta only the credentials of applications that hold one (one request
  // each, at most 20 credentials per application), never every application's.
  const expressionReads: Promise<void>[] = [];
  const readExpressions = async (app: EntraApplication, names: Set<string>) => {
    const path = `/applications/${app.objectId}/federatedIdentityCredentials`;
    const about = `the claimsMatchingExpression of ${names.size === 1 ? "credential" : "credentials"} ${listSome([...names].map((n) => `'${n}'`), 3)} of app registration '${app.displayName}' (client ID ${app.appId}), which only Graph beta returns`;
    try {
      const page = (await limiter.run(() => client.api(path).version("beta").options({ signal: AbortSignal.timeout(timeoutMs) }).get())) as GraphPage<RawFederatedCredential>;
      const byName = new Map((page.value ?? []).map((f) => [f.name, f]));
      for (const f of app.federatedIdentityCredentials) {
        if (!names.has(f.name)) continue;
        const expression = expressionFromApi(byName.get(f.name)?.claimsMatchingExpression);
        if (expression) f.claimsMatchingExpression = expression;
        else gap(`${graphBetaBase}${path}`, new Error(`the beta listing has no claimsMatchingExpression for credential '${f.name}'`), about);
      }
    } catch (e) {
      gap(`${graphBetaBase}${path}`, e, about);
    }
  };
  const applications: EntraApplication[] = [];
  const federated: EntraApplication[] = [];
  const leftOut = { applications: new LeftOut(), servicePrincipals: new LeftOut(), groups: new LeftOut() };
  const apps = await listAll<RawApplication>(
    `/applications?$select=id,appId,displayName,passwordCredentials&$expand=federatedIdentityCredentials&$top=${Math.min(top, EXPAND_PAGE_LIMIT)}`,
    (page) => {
      for (const raw of page) {
        if ((raw.federatedIdentityCredentials ?? []).length === 0) continue;
        if (!raw.id || !raw.appId) {
          leftOut.applications.add(raw.appId || raw.id || raw.displayName, `without ${absent({ id: raw.id, appId: raw.appId })}`);
          continue;
        }
        const a = toApplication({ ...raw, id: raw.id, appId: raw.appId });
        applications.push(a);
        // v1.0 marks a flexible credential by its null subject (names are unique per application).
        const flexible = new Set((raw.federatedIdentityCredentials ?? []).filter((f) => f.subject === null).map((f) => f.name));
        const unread = new Set(a.federatedIdentityCredentials.filter((f) => flexible.has(f.name) && !f.claimsMatchingExpression).map((f) => f.name));
        if (unread.size > 0) expressionReads.push(readExpressions(a, unread));
        // 2. Service principals and groups of every federated identity, whatever its issuers: a
        // GitHub- or cluster-trusting app is judged by its roles as a Buildkite one is.
        federated.push(a);
        spQueue.push(a.appId);
        lookup({ key: `groups:${a.appId}`, url: groupsUrl(`(appId='${a.appId}')`), headers: ADVANCED_QUERY });
      }
      flushSpQueue(false);
    },
  );
  progress(`${apps.items.length} app registrations`);
  flushSpQueue(true);
  const identities = await managedIdentities;
  for (const mi of identities) lookup({ key: `groups:${mi.principalId}`, url: groupsUrl(`/${mi.principalId}`), headers: ADVANCED_QUERY });
  flushLookups();
  await Promise.all([...sent, ...expressionReads]);

  /** A $batch answer's items and the pages after it (a 404 is an empty list). */
  async function batchedList<T>(key: string): Promise<T[]> {
    const r = results.get(key);
    if (!r) return []; // its gap is already recorded
    const l = lookups.get(key)!;
    if (r.status !== 200) {
      if (r.status !== 404) gap(l.url, graphErrorOf(r), l.about);
      return [];
    }
    const page = r.body as GraphPage<T>;
    let objects = page.value;
    if (page["@odata.nextLink"]) {
      try {
        assertSameOrigin(page["@odata.nextLink"], az.graphUrl);
        const rest = await listAll<T>(page["@odata.nextLink"], undefined, l.headers);
        objects = [...objects, ...rest.items];
      } catch (e) {
        gap(l.url, e, l.about);
      }
    }
    return objects;
  }

  const groupNames = new Map<string, string>();
  async function groupsOf(key: string): Promise<string[]> {
    const ids: string[] = [];
    for (const g of await batchedList<RawDirectoryObject>(key)) {
      if (!g.id) leftOut.groups.add(g.displayName, `without an ID, in ${lookups.get(key)!.url.split("?")[0]}`);
      else {
        groupNames.set(g.id, g.displayName ?? g.id);
        ids.push(g.id);
      }
    }
    return ids;
  }

  // Service principals found by the appId filters (a missing one: nothing can be assigned to it).
  const spByAppId = new Map<string, RawServicePrincipal & { id: string; appId: string }>();
  for (const key of spFilterKeys) {
    for (const sp of await batchedList<RawServicePrincipal>(key)) {
      if (sp.id && sp.appId) spByAppId.set(sp.appId.toLowerCase(), sp as RawServicePrincipal & { id: string; appId: string });
      else leftOut.servicePrincipals.add(sp.appId || sp.id || sp.displayName, `without ${absent({ id: sp.id, appId: sp.appId })}`);
    }
  }
  const servicePrincipals: EntraServicePrincipal[] = [];
  for (const a of federated) {
    const sp = spByAppId.get(a.appId.toLowerCase());
    if (!sp) continue;
    servicePrincipals.push({
      objectId: sp.id,
      appId: sp.appId,
      displayName: sp.displayName ?? sp.appId,
      ...(sp.servicePrincipalType ? { servicePrincipalType: sp.servicePrincipalType } : {}),
      memberOf: await groupsOf(`groups:${a.appId}`),
    });
  }
  for (const mi of identities) {
    const memberOf = await groupsOf(`groups:${mi.principalId}`);
    // Only worth recording when groups add assignments; the identity itself comes from ARM.
    if (memberOf.length > 0) {
      servicePrincipals.push({ objectId: mi.principalId, appId: mi.clientId, displayName: mi.name, servicePrincipalType: "ManagedIdentity", memberOf });
    }
  }
  progress(`${applications.length} federated app registrations, ${servicePrincipals.length} service principals`);
  gaps.push(...leftOutGaps("graph", [[leftOut.applications, "/applications", "applications"], [leftOut.servicePrincipals, "/servicePrincipals", "service principals"], [leftOut.groups, "/servicePrincipals", "groups"]]));
  return {
    entra: {
      applications,
      servicePrincipals,
      groups: [...groupNames].map(([objectId, displayName]) => ({ objectId, displayName })).sort((a, b) => (a.objectId < b.objectId ? -1 : 1)),
    },
    gaps,
  };
}

/** A Graph error object from a $batch inner response, for messages. */
function graphErrorOf(r: BatchResponse): GraphError {
  const body = r.body as { error?: { code?: string; message?: string } } | undefined;
  const e = new GraphError(r.status, body?.error?.message ?? `HTTP ${r.status}`);
  e.code = body?.error?.code ?? null;
  return e;
}
