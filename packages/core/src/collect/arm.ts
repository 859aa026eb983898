/**
 * Azure Resource Manager collector: subscriptions and tags and management-group ancestry through
 * the ARM SDKs' operations; per subscription, resource groups, role definitions, role assignments
 * (once per subscription, never per principal), storage accounts and user-assigned managed
 * identities with their federated credentials, through an SDK client's pipeline and read as the
 * REST API's JSON (see listJson).
 */
import { Readable } from "node:stream";
import { ResourceManagementClient } from "@azure/arm-resources";
import { getContinuationToken as subscriptionsNextLink, SubscriptionClient, type Subscription } from "@azure/arm-resources-subscriptions";
import type { TokenCredential } from "@azure/core-auth";
import { createDefaultHttpClient, createPipelineRequest, type HttpClient, type PipelinePolicy } from "@azure/core-rest-pipeline";
import type {
  AzureInventory,
  AzureManagementGroup,
  AzureSubscription,
  CoverageGap,
  FederatedCredential,
  ManagedIdentity,
  RoleAssignment,
  RoleDefinition,
  StorageAccount,
} from "../model/inventory.ts";
import { isAzureScope } from "../azure/scope.ts";
import { expressionFromApi } from "../graph/claims-expression.ts";
import { canonicalizeAzure } from "../inventory/canonical.ts";
import type { ManagedIdentityRef } from "./graph.ts";
import { absent, LeftOut, leftOutGaps } from "./left-out.ts";
import { assertSameOrigin, cappedBody, isRedirect, Limiter, PageGuard, readCapped, RedirectRefusedError, RefusedResponseError, redactUrl, refusalOf, responseLimits, type ResponseLimits } from "./http.ts";
import { DEFAULTS, type CollectOptions } from "./options.ts";
import { ACTIVITY_API_VERSION, ACTIVITY_PERMISSION, type RawActivityEvent } from "./activity.ts";

interface PagedIterator<T> {
  byPage(): AsyncIterableIterator<T[]>;
}

/** An ARM resource as the REST API returns it: unlike the SDK's models, `properties` is not flattened. */
interface Rest<P> {
  id?: string;
  name?: string;
  tags?: Record<string, string> | null;
  properties?: P;
}

type RawRoleAssignment = Rest<{ scope?: string; roleDefinitionId?: string; principalId?: string; principalType?: string; condition?: string | null; conditionVersion?: string | null; createdBy?: string | null }>;
type RawRoleDefinition = Rest<{ roleName?: string; type?: string; permissions?: { actions?: string[]; notActions?: string[]; dataActions?: string[]; notDataActions?: string[] }[]; assignableScopes?: string[] }>;
type RawStorageAccount = Rest<{ allowSharedKeyAccess?: boolean | null }>;
type RawIdentity = Rest<{ clientId?: string; principalId?: string; tenantId?: string }>;
/** An entity of `getEntities`: a management group or a subscription, with its parent. */
type RawEntity = Rest<{ displayName?: string | null; parent?: { id?: string | null } | null }> & { type?: string };
type RawFederatedCredential = Rest<{ issuer?: string; subject?: string | null; audiences?: string[]; claimsMatchingExpression?: { value?: unknown; languageVersion?: unknown } | null }>;

/**
 * The REST API versions the per-subscription listings are read with: GA versions that carry every
 * field read here (`condition` on role assignments, `allowSharedKeyAccess` on storage accounts,
 * federated credentials on user-assigned identities).
 */
const API_VERSION = { resources: "2021-04-01", authorization: "2022-04-01", storage: "2023-05-01", managedIdentity: "2023-01-31", management: "2021-04-01" } as const;

/**
 * Federated credentials are listed with the first API version that returns a flexible
 * credential's `properties.claimsMatchingExpression` (earlier ones leave it out, and with it what
 * the credential trusts). A preview version: no GA version carries the field yet.
 */
const FEDERATED_CREDENTIALS_API_VERSION = "2025-01-31-preview";

/** A response body streamed to the end, as text (guardedHttpClient has capped the stream). */
async function readText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The HTTP client under every SDK client's pipeline, below its retry, redirect and
 * deserialisation policies, so that nothing above sees what it refuses: a redirect (the
 * pipeline's redirect policy would follow one to the same origin), and a body over
 * `maxBytes`. Bodies are always streamed from the socket and counted as they arrive; a caller that
 * asked for a stream gets a capped one, every other gets the text as usual.
 */
export function guardedHttpClient(inner: HttpClient, limits: ResponseLimits, timeoutMs: number): HttpClient {
  return {
    async sendRequest(request) {
      const wanted = request.streamResponseStatusCodes;
      // POSITIVE_INFINITY: every status (see the Node HTTP client).
      request.streamResponseStatusCodes = new Set([Number.POSITIVE_INFINITY]);
      let response;
      try {
        response = await inner.sendRequest(request);
      } finally {
        request.streamResponseStatusCodes = wanted;
      }
      const stream = response.readableStreamBody;
      const length = response.headers.get("content-length");
      if (isRedirect(response.status)) {
        (stream as Readable | undefined)?.destroy();
        throw new RedirectRefusedError(response.status, request.url, response.headers.get("location") ?? null);
      }
      if (!stream) return response;
      // The Node HTTP client's timeout ends once the headers are in; a body that stops coming
      // would hold the scan forever.
      bodyDeadline(stream as Readable, request.url, timeoutMs);
      if (wanted?.has(Number.POSITIVE_INFINITY) || wanted?.has(response.status)) {
        response.readableStreamBody = Readable.from(cappedBody(stream as AsyncIterable<Buffer>, request.url, limits, length));
      } else {
        response.readableStreamBody = undefined;
        response.bodyAsText = (await readCapped(stream as AsyncIterable<Buffer>, request.url, limits, length)).toString("utf8");
      }
      return response;
    },
  };
}

/** Ends a body that has not finished `ms` after its headers came, with a refusal (a gap). */
function bodyDeadline(stream: Readable, url: string, ms: number): void {
  const timer = setTimeout(() => stream.destroy(new RefusedResponseError(`the response from ${redactUrl(url)} did not finish within ${ms} ms; not read, so the listing is incomplete`)), ms);
  stream.once("close", () => clearTimeout(timer));
}

/** An item with its sort key, computed once. */
interface Keyed<T> {
  item: T;
  key: string;
}

const byKey = <T>(a: Keyed<T>, b: Keyed<T>): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** A list in order of lower-cased ID, with the keys of its ends. */
export interface SortedRun<T> {
  items: T[];
  first: string;
  last: string;
}

/**
 * Sorts by lower-cased ID on keys computed once per item. Only the items are kept: the keys and
 * their wrappers die young instead of being carried to the end of the collection.
 */
export function sortedRun<T extends { id: string }>(items: T[]): SortedRun<T> {
  const keyed = items.map((item) => ({ item, key: item.id.toLowerCase() })).sort(byKey);
  return { items: keyed.map((x) => x.item), first: keyed[0]?.key ?? "", last: keyed[keyed.length - 1]?.key ?? "" };
}

/**
 * Runs each in order, in one ordered list. Each subscription's assignment IDs share its own
 * prefix, so the runs cover ranges that do not overlap and are joined end to end; should they
 * ever overlap, everything is sorted together.
 */
export function mergeSorted<T extends { id: string }>(runs: SortedRun<T>[]): T[] {
  const nonEmpty = runs.filter((r) => r.items.length > 0).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const disjoint = nonEmpty.every((r, i) => i === 0 || nonEmpty[i - 1]!.last < r.first);
  const joined = nonEmpty.flatMap((r) => r.items);
  return disjoint ? joined : sortedRun(joined).items;
}

/**
 * Request priorities under the ARM concurrency limit: what everything waits on first, then the
 * heads of the longest chains (role-assignment pages, identity listings whose credentials follow),
 * then single pages, which fill whatever slots the chains leave.
 */
const PRIORITY = { page: 0, chainHead: 2, dependent: 3, first: 10 } as const;

/** The scope a management-group listing's gaps name. */
const MG_LISTING_SCOPE = "/providers/Microsoft.Management/managementGroups";
const lastSegment = (id: string) => id.split("/").filter(Boolean).pop() ?? id;

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
  [/^Activity Log /, `${ACTIVITY_PERMISSION} (Reader has it)`],
  [/managementgroups|getentities/i, "Management Group Reader on the tenant root management group"],
  [/./, "Reader"],
];

function describe(e: unknown, what: string, scope: string, credentialName: string, armUrl: string): string {
  const refused = refusalOf(e);
  if (refused) return `${what}: ${refused.message}`;
  const r = e as RestLikeError;
  if (r && typeof r === "object" && typeof r.statusCode === "number") {
    // An empty code reads as none (`||`): "403  listing" helps nobody.
    if (r.statusCode === 401) return `401 ${r.code || "Unauthorized"} listing ${what} at ${redactUrl(armUrl)}: the ARM token from ${credentialName} was rejected`;
    if (r.statusCode === 403) {
      const need = PERMISSION_FOR.find(([re]) => re.test(scope) || re.test(what))![1];
      return `403 ${r.code || "Forbidden"} listing ${what}: the ARM credential (${credentialName}) needs ${need} on ${scope}`;
    }
    return `${r.statusCode} ${r.code ?? ""} listing ${what}: ${(r.message ?? "").split("\n")[0]}`.replace(/\s+/g, " ");
  }
  return `${what}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
}

export interface AzureCollection {
  azure: AzureInventory;
  gaps: CoverageGap[];
  /**
   * Pages one subscription's Activity Log through the same pipeline, limiter and response limits
   * as every listing above; read once Entra is in too (the candidates need both). True when read
   * to the end; otherwise its gap (`what` names the identity) has been added to `gaps`.
   */
  listActivity: (what: string, subscriptionId: string, query: string, onPage: (items: RawActivityEvent[]) => void, gaps: CoverageGap[]) => Promise<boolean>;
}

/**
 * `onManagedIdentities` hears every user-assigned identity as soon as all subscriptions' identity
 * listings are in (before their credentials), so Graph can look up their groups meanwhile.
 */
export async function collectAzure(opts: CollectOptions, armScope: string, onManagedIdentities?: (refs: ManagedIdentityRef[]) => void): Promise<AzureCollection> {
  const az = opts.azure!;
  const credential: TokenCredential = az.armCredential;
  const limiter = new Limiter(opts.concurrency ?? DEFAULTS.concurrency);
  const maxPages = opts.maxPagesPerListing ?? DEFAULTS.maxPagesPerListing;
  const clientOptions = {
    endpoint: az.armUrl.replace(/\/+$/, ""),
    $host: az.armUrl.replace(/\/+$/, ""),
    credentialScopes: [armScope],
    // One HTTP client for every SDK client: they share its keep-alive connections instead of each
    // opening its own.
    httpClient: guardedHttpClient(createDefaultHttpClient(), responseLimits(opts, DEFAULTS), opts.timeoutMs ?? DEFAULTS.timeoutMs),
    retryOptions: { maxRetries: opts.maxRetries ?? DEFAULTS.maxRetries },
    // Never reached (guardedHttpClient refuses every redirect first); said here as well.
    redirectOptions: { maxRetries: 0 },
    ...(opts.caPem ? { tlsOptions: { ca: opts.caPem } } : {}),
    additionalPolicies: [{ policy: sameOriginPolicy(az.armUrl, opts.timeoutMs ?? DEFAULTS.timeoutMs), position: "perCall" as const }],
  };
  const gaps: CoverageGap[] = [];
  const progress = (m: string) => opts.onProgress?.("arm", m);
  // The client whose pipeline the plain-JSON listings (listJson) are sent through.
  const restClient = new ResourceManagementClient(credential, clientOptions);

  /**
   * Pages a listing to the end under the concurrency limit; a failure keeps what was read and
   * records a gap. Each next page outranks the one before it (see `Limiter.run`), so long chains
   * keep moving while single pages fill the gaps.
   */
  async function listAll<T>(what: string, scope: string, iterator: () => PagedIterator<T>, nextLinkOf: (page: T[]) => string | undefined, priority: number = PRIORITY.page): Promise<T[]> {
    const out: T[] = [];
    const guard = new PageGuard(maxPages);
    try {
      // ARM decides page sizes itself; most list operations take no page-size parameter.
      const pages = iterator().byPage();
      for (let n = 0, link = scope; ; n++) {
        guard.next(link);
        const page = await limiter.run(() => pages.next(), priority + n);
        if (page.done) break;
        out.push(...page.value);
        // The SDK follows the page's next link on the next call: checked before it is.
        const next = nextLinkOf(page.value);
        if (!next) break;
        link = next;
      }
    } catch (e) {
      gaps.push({ source: "arm", scope, error: describe(e, what, scope, az.armCredentialName, az.armUrl) });
    }
    return out;
  }

  /**
   * The per-subscription listings go through an SDK client's own pipeline (token, retries,
   * Retry-After, the same-origin policy) but are parsed as plain JSON: role assignments are nearly
   * every item a tenant has, and the SDK's generic deserialiser costs more CPU than the rest of
   * the collection together. Each page is handed to `onPage` and boiled down at once, so the raw
   * items (several times the size of what is kept) die young. A failure keeps what was read and
   * records a gap. A POST listing (getEntities) POSTs every page, its next links included: the
   * operation exists only as POST, and a next link carries its `$skiptoken` in the query.
   */
  async function listJson<T>(what: string, scope: string, path: string, apiVersion: string, priority: number, onPage: (items: T[]) => void, more: { method?: "GET" | "POST"; query?: string; gaps?: CoverageGap[] } = {}): Promise<boolean> {
    const method = more.method ?? "GET";
    // `query` goes on the first page only: a next link carries the whole query itself.
    let url: string | undefined = `${clientOptions.endpoint}${path}?api-version=${apiVersion}${more.query ?? ""}`;
    const guard = new PageGuard(maxPages);
    try {
      for (let n = 0; url; n++) {
        guard.next(url);
        // A 200 comes back as a stream, read and parsed after the request has given up its slot
        // under the limiter: the next request's latency overlaps this page's parsing.
        const request = createPipelineRequest({ url, method, streamResponseStatusCodes: new Set([200]) });
        const response = await limiter.run(() => restClient.sendRequest(request), priority + n);
        type Page = { value?: T[]; nextLink?: string | null; error?: { code?: string; message?: string }; code?: string; message?: string };
        const parsed = (response as { parsedBody?: unknown }).parsedBody;
        const text = response.readableStreamBody ? await readText(response.readableStreamBody) : response.bodyAsText;
        let body: Page | undefined = parsed && typeof parsed === "object" ? (parsed as Page) : text ? undefined : {};
        if (body === undefined) {
          try {
            body = JSON.parse(text!) as Page;
          } catch (e) {
            // An error page that is not JSON (a gateway's HTML, say) still reports its status below.
            if (response.status === 200) throw new Error(`the response is not JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
          }
        }
        if (response.status !== 200) {
          const notArm = `not an ARM error response (${response.headers.get("content-type") ?? "no content type"})`;
          // ARM wraps its errors in `error`; some front ends answer with a bare { code, message }.
          const error = body?.error ?? body;
          throw { statusCode: response.status, code: error?.code, message: error?.message ?? (body ? `HTTP ${response.status}` : notArm) } satisfies RestLikeError;
        }
        body ??= {};
        onPage(body.value ?? []);
        url = body.nextLink ?? undefined;
      }
      return true;
    } catch (e) {
      (more.gaps ?? gaps).push({ source: "arm", scope, error: describe(e, what, scope, az.armCredentialName, az.armUrl) });
      return false;
    }
  }

  // Management-group ancestry, in one listing of entities, read while everything else is. The
  // SDK would GET its next pages; the service defines only POST.
  const entities: RawEntity[] = [];
  const entitiesListed = listJson<RawEntity>("management groups", MG_LISTING_SCOPE, "/providers/Microsoft.Management/getEntities", API_VERSION.management, PRIORITY.page, (items) => entities.push(...items), { method: "POST" });

  // Subscriptions: all the credential can list, or the ones asked for.
  const subscriptionClient = new SubscriptionClient(credential, clientOptions);
  const home = az.tenantId?.toLowerCase();
  const leftOutSubscriptions = new LeftOut();
  /** The inventory's subscription; its tenant is kept where it is not the scan's (or that is unknown). */
  const toSubscription = (s: Subscription, asked?: string): AzureSubscription | undefined => {
    const subscriptionId = s.subscriptionId ?? /^\/subscriptions\/([^/]+)\/?$/i.exec(s.id ?? "")?.[1] ?? asked;
    if (!subscriptionId) {
      leftOutSubscriptions.add(s.displayName, "without a subscription ID");
      return undefined;
    }
    const tenant = s.tenantId && s.tenantId.toLowerCase() !== home ? { tenantId: s.tenantId } : {};
    return { subscriptionId, displayName: s.displayName ?? subscriptionId, ...(s.state ? { state: s.state } : {}), ...tenant, tags: s.tags ?? {} };
  };
  let subs: AzureSubscription[];
  if (az.subscriptions && az.subscriptions.length > 0) {
    subs = [];
    for (const id of az.subscriptions) {
      try {
        const s = await limiter.run(() => subscriptionClient.subscriptions.get(id), PRIORITY.first);
        subs.push(toSubscription(s, id)!);
      } catch (e) {
        gaps.push({ source: "arm", scope: `/subscriptions/${id}`, error: describe(e, `subscription ${id}`, `/subscriptions/${id}`, az.armCredentialName, az.armUrl) });
      }
    }
  } else {
    const listed = (await listAll("subscriptions", "/subscriptions", () => subscriptionClient.subscriptions.list(), subscriptionsNextLink, PRIORITY.first)).flatMap((s) => toSubscription(s) ?? []);
    // The listing holds every subscription the credential can see, other tenants' too (Lighthouse,
    // guest access): with the tenant known, only its own are read; the others are named, not merged.
    const foreign = home ? listed.filter((s) => s.tenantId !== undefined) : [];
    subs = foreign.length > 0 ? listed.filter((s) => s.tenantId === undefined) : listed;
    if (foreign.length > 0) opts.onOtherTenantSubscriptions?.(foreign.map((s) => ({ subscriptionId: s.subscriptionId, displayName: s.displayName, tenantId: s.tenantId! })));
  }
  progress(`${subs.length} subscriptions`);

  await entitiesListed;
  const managementGroups: AzureManagementGroup[] = [];
  const parentOf = new Map<string, string>();
  const leftOutEntities = new LeftOut();
  for (const e of entities) {
    const parentId = e.properties?.parent?.id || null;
    if (!leftOutEntities.usableId(e.id, e.name ?? e.properties?.displayName)) continue;
    if (parentId !== null && !isAzureScope(parentId)) {
      // A snapshot cannot hold a parent the hierarchy cannot place.
      leftOutEntities.add(e.id, `whose parent ${JSON.stringify(parentId.slice(0, 200))} is not an Azure scope`);
    } else if (e.type?.toLowerCase() === "microsoft.management/managementgroups") {
      managementGroups.push({ id: e.id, name: e.name ?? lastSegment(e.id), displayName: e.properties?.displayName ?? e.name ?? "", parentId });
    } else if (parentId) {
      parentOf.set((e.name ?? lastSegment(e.id)).toLowerCase(), parentId);
    }
  }
  for (const s of subs) {
    const mg = parentOf.get(s.subscriptionId.toLowerCase());
    if (mg) s.managementGroupId = mg;
  }
  gaps.push(...leftOutGaps("arm", [[leftOutSubscriptions, "/subscriptions", "subscriptions"], [leftOutEntities, MG_LISTING_SCOPE, "management groups"]]));

  const roleDefinitions = new Map<string, RoleDefinition>();
  // Assignments inside a subscription come back in its listing only; those above it (management
  // groups, the root) come back in every subscription's, so only they need de-duplicating. Each
  // subscription's are sorted as soon as it is done, while others are still in flight, so that
  // the end of the collection only merges.
  const sortedBySubscription: SortedRun<RoleAssignment>[] = [];
  const aboveSubscriptions = new Map<string, RoleAssignment>();
  const resourceGroups: AzureInventory["resourceGroups"] = [];
  const storageAccounts: StorageAccount[] = [];
  const managedIdentities: ManagedIdentity[] = [];

  // Every subscription's listings are independent: all go out at once under the limiter, and
  // each identity's credentials are listed as soon as its subscription's identities are known.
  const identityLists = subs.map(async (sub) => {
    const found: RawIdentity[] = [];
    await listJson<RawIdentity>("user-assigned managed identities", `/subscriptions/${sub.subscriptionId}`, `/subscriptions/${encodeURIComponent(sub.subscriptionId)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`, API_VERSION.managedIdentity, PRIORITY.chainHead, (items) => found.push(...items));
    const leftOut = new LeftOut();
    const usable = found.filter((mi) => {
      const lacks = absent({ clientId: mi.properties?.clientId, principalId: mi.properties?.principalId });
      if (lacks) leftOut.add(mi.id ?? mi.name, `without ${lacks}`);
      return !lacks && leftOut.usableId(mi.id, mi.name);
    });
    gaps.push(...leftOutGaps("arm", [[leftOut, `/subscriptions/${sub.subscriptionId}`, "user-assigned managed identities"]]));
    return usable;
  });
  void Promise.all(identityLists).then((lists) => onManagedIdentities?.(lists.flat().map((mi) => ({ principalId: mi.properties!.principalId!, clientId: mi.properties!.clientId!, name: mi.name ?? "" }))));
  await Promise.all(
    subs.map(async (sub, index) => {
      const id = sub.subscriptionId;
      const scope = `/subscriptions/${id}`;
      const path = `/subscriptions/${encodeURIComponent(id)}`;
      const credentialsListed = identityLists[index]!.then((identities) =>
        Promise.all(
          identities.map(async (mi) => {
            const fics: FederatedCredential[] = [];
            const idPath = mi.id!.split("/").map(encodeURIComponent).join("/");
            await listJson<RawFederatedCredential>(`federated credentials of ${mi.name}`, mi.id!, `${idPath}/federatedIdentityCredentials`, FEDERATED_CREDENTIALS_API_VERSION, PRIORITY.dependent, (items) => {
              for (const f of items) {
                const expression = expressionFromApi(f.properties?.claimsMatchingExpression);
                fics.push({ ...(f.id ? { id: f.id } : {}), name: f.name ?? "", issuer: f.properties?.issuer ?? "", subject: f.properties?.subject ?? "", ...(expression ? { claimsMatchingExpression: expression } : {}), audiences: f.properties?.audiences ?? [] });
              }
            });
            managedIdentities.push({
              id: mi.id!,
              name: mi.name ?? lastSegment(mi.id!),
              clientId: mi.properties!.clientId!,
              principalId: mi.properties!.principalId!,
              ...(mi.properties!.tenantId ? { tenantId: mi.properties!.tenantId } : {}),
              federatedIdentityCredentials: fics,
            });
          }),
        ),
      );
      const own: RoleAssignment[] = [];
      const subscriptionPrefix = `${scope.toLowerCase()}/`;
      const inSubscription = (assignmentId: string) => assignmentId.length > subscriptionPrefix.length && assignmentId.slice(0, subscriptionPrefix.length).toLowerCase() === subscriptionPrefix;
      const misplaced: string[] = [];
      const leftOut = { assignments: new LeftOut(), definitions: new LeftOut(), groups: new LeftOut(), storage: new LeftOut() };
      const keepAssignments = (items: RawRoleAssignment[]) => {
        for (const { id: assignmentId, name, properties: a } of items) {
          if (!assignmentId || !a?.scope || !a.roleDefinitionId || !a.principalId) {
            leftOut.assignments.add(assignmentId ?? name, `without ${absent({ id: assignmentId, scope: a?.scope, roleDefinitionId: a?.roleDefinitionId, principalId: a?.principalId })}`);
            continue;
          }
          // A scope the hierarchy cannot place would cover nothing: the access it grants would vanish.
          if (!isAzureScope(a.scope)) {
            misplaced.push(a.scope);
            continue;
          }
          // Built field by field rather than with spreads: this runs for every assignment.
          const assignment: RoleAssignment = {
            id: assignmentId,
            scope: a.scope,
            roleDefinitionId: a.roleDefinitionId,
            principalId: a.principalId,
            // ARM's enum is open: a value it adds later is kept as it is; absent is its default, User.
            principalType: a.principalType || "User",
          };
          if (a.condition) {
            assignment.condition = a.condition;
            assignment.conditionVersion = a.conditionVersion ?? null;
          }
          if (a.createdBy) assignment.createdBy = a.createdBy;
          if (inSubscription(assignmentId)) own.push(assignment);
          else {
            // Every subscription's listing repeats these; should two spell the ID differently,
            // the same one is kept whichever subscription answered last.
            const key = assignmentId.toLowerCase();
            const kept = aboveSubscriptions.get(key);
            if (!kept || assignmentId < kept.id) aboveSubscriptions.set(key, assignment);
          }
        }
      };
      const keepDefinitions = (items: RawRoleDefinition[]) => {
        for (const d of items) {
          // Assignments name a definition by its GUID: the name, or else the ID's last segment.
          const name = d.name || (d.id ? lastSegment(d.id) : undefined);
          const p = d.properties ?? {};
          if (!name) {
            leftOut.definitions.add(p.roleName, "without an ID or a name");
            continue;
          }
          roleDefinitions.set(name.toLowerCase(), {
            id: d.id || `/providers/Microsoft.Authorization/roleDefinitions/${name}`,
            name,
            roleName: p.roleName ?? name,
            // An open string in the API ("roletype" in its own example): kept as read.
            roleType: p.type || "BuiltInRole",
            permissions: (p.permissions ?? []).map((x) => ({ actions: x.actions ?? [], notActions: x.notActions ?? [], dataActions: x.dataActions ?? [], notDataActions: x.notDataActions ?? [] })),
            assignableScopes: p.assignableScopes ?? [],
          });
        }
      };
      const keepResourceGroups = (items: Rest<unknown>[]) => {
        for (const rg of items) {
          // A group's ID follows from its name.
          const rgId = rg.id || (rg.name ? `${scope}/resourceGroups/${rg.name}` : undefined);
          if (leftOut.groups.usableId(rgId, rg.name)) resourceGroups.push({ id: rgId, name: rg.name ?? lastSegment(rgId), subscriptionId: id, tags: rg.tags ?? {} });
        }
      };
      const keepStorageAccounts = (items: RawStorageAccount[]) => {
        for (const a of items) {
          if (!leftOut.storage.usableId(a.id, a.name)) continue;
          const sharedKey = a.properties?.allowSharedKeyAccess;
          storageAccounts.push({ id: a.id, name: a.name ?? lastSegment(a.id), ...(sharedKey !== undefined && sharedKey !== null ? { allowSharedKeyAccess: sharedKey } : {}), tags: a.tags ?? {} });
        }
      };
      await Promise.all([
        listJson("resource groups", scope, `${path}/resourcegroups`, API_VERSION.resources, PRIORITY.page, keepResourceGroups),
        listJson("role definitions", scope, `${path}/providers/Microsoft.Authorization/roleDefinitions`, API_VERSION.authorization, PRIORITY.page, keepDefinitions),
        listJson("role assignments", scope, `${path}/providers/Microsoft.Authorization/roleAssignments`, API_VERSION.authorization, PRIORITY.chainHead, keepAssignments),
        listJson("storage accounts", scope, `${path}/providers/Microsoft.Storage/storageAccounts`, API_VERSION.storage, PRIORITY.page, keepStorageAccounts),
        credentialsListed,
      ]);
      if (misplaced.length > 0) {
        gaps.push({ source: "arm", scope, error: `role assignments: ${misplaced.length} with a scope that is not an Azure scope (first: ${JSON.stringify(misplaced[0]!.slice(0, 200))}); not judged` });
      }
      gaps.push(...leftOutGaps("arm", [[leftOut.assignments, scope, "role assignments"], [leftOut.definitions, scope, "role definitions"], [leftOut.groups, scope, "resource groups"], [leftOut.storage, scope, "storage accounts"]]));
      sortedBySubscription.push(sortedRun(own));
      progress(`${sortedBySubscription.reduce((n, r) => n + r.items.length, 0) + aboveSubscriptions.size} role assignments, ${storageAccounts.length} storage accounts, ${managedIdentities.length} managed identities`);
    }),
  );

  // Returned in canonical order (inventory/canonical.ts). The assignments are left out of that
  // pass: mergeSorted has already put them in the same order, and checking 40,000 again is the
  // last thing a large collection would wait for.
  const azure: AzureInventory = { managementGroups, subscriptions: subs, resourceGroups, roleDefinitions: [...roleDefinitions.values()], roleAssignments: [], storageAccounts, managedIdentities };
  canonicalizeAzure(azure);
  azure.roleAssignments = mergeSorted([sortedRun([...aboveSubscriptions.values()]), ...sortedBySubscription]);
  return {
    azure,
    gaps: gaps.map(redactGap),
    listActivity: async (what, subscriptionId, query, onPage, activityGaps) => {
      const own: CoverageGap[] = [];
      const scope = `/subscriptions/${subscriptionId}`;
      const read = await listJson(what, scope, `${scope.replace(subscriptionId, encodeURIComponent(subscriptionId))}/providers/Microsoft.Insights/eventtypes/management/values`, ACTIVITY_API_VERSION, PRIORITY.page, onPage, { query, gaps: own });
      activityGaps.push(...own.map(redactGap));
      return read;
    },
  };
}

/** A gap's error with every URL in it cut to its origin and path (no query, no skip token). */
const redactGap = (g: CoverageGap): CoverageGap => ({ ...g, error: g.error.replace(/https?:\/\/\S+/g, (u) => redactUrl(u)) });
