/**
 * Microsoft Graph collector: app registrations with their federated credentials and
 * password-credential metadata (never values), and, for the identities Buildkite can log in as,
 * their service principals and transitive group memberships. Uses the official Graph client.
 */
import { Client, GraphError } from "@microsoft/microsoft-graph-client";
import type { TokenCredential } from "@azure/core-auth";
import type { CoverageGap, EntraApplication, EntraInventory, EntraServicePrincipal, FederatedCredential } from "../model/inventory.ts";
import { classifyIssuer } from "../buildkite/oidc.ts";
import { assertSameOrigin, backoffMs, dispatcherFor, ForeignOriginError, Limiter, redactUrl, retryAfterMs, sleep } from "./http.ts";
import { DEFAULTS, type CollectOptions } from "./options.ts";

interface GraphPage<T> {
  value: T[];
  "@odata.nextLink"?: string;
}
interface RawApplication {
  id: string;
  appId: string;
  displayName: string | null;
  passwordCredentials?: { keyId: string; displayName?: string | null; hint?: string | null; startDateTime?: string | null; endDateTime?: string | null }[];
  federatedIdentityCredentials?: { id?: string; name: string; issuer: string; subject: string | null; audiences: string[]; description?: string | null }[];
}
interface RawServicePrincipal {
  id: string;
  appId: string;
  displayName: string | null;
  servicePrincipalType?: string;
}
interface RawDirectoryObject {
  "@odata.type"?: string;
  id: string;
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

const PERMISSION_HINT: [RegExp, string][] = [
  [/^\/applications/, "Application.Read.All"],
  [/transitiveMemberOf/, "Application.Read.All and GroupMember.Read.All (or Directory.Read.All)"],
  [/^\/servicePrincipals/, "Application.Read.All"],
];

function describe(e: unknown, path: string, credentialName: string, graphUrl: string): string {
  const where = /^https?:/.test(path) ? redactUrl(path) : `${redactUrl(graphUrl)}/v1.0${path.split("?")[0]}`;
  if (e instanceof ForeignOriginError) return e.message;
  if (e instanceof GraphError || (e && typeof e === "object" && "statusCode" in e)) {
    const ge = e as GraphError;
    if (ge.statusCode === 401) return `401 ${ge.code ?? "Unauthorized"} from ${where}: the Graph token from ${credentialName} was rejected`;
    if (ge.statusCode === 403) {
      const need = PERMISSION_HINT.find(([re]) => re.test(path))?.[1] ?? "Application.Read.All";
      return `403 ${ge.code ?? "Forbidden"} from ${where}: the Graph credential (${credentialName}) needs the ${need} application permission`;
    }
    return `${ge.statusCode || "error"} ${ge.code ?? ""} from ${where}: ${ge.message}`.replace(/\s+/g, " ");
  }
  return `${where}: ${e instanceof Error ? e.message : String(e)}`;
}

export interface EntraCollection {
  entra: EntraInventory;
  gaps: CoverageGap[];
}

export function graphClient(opts: CollectOptions, credential: TokenCredential, scope: string): Client {
  const az = opts.azure!;
  const dispatcher = dispatcherFor(opts.caPem);
  return Client.init({
    baseUrl: `${az.graphUrl.replace(/\/+$/, "")}/`,
    defaultVersion: "v1.0",
    // The client only attaches the token to hosts it knows; an overridden endpoint is one.
    customHosts: new Set([new URL(az.graphUrl).hostname]),
    authProvider: (done) => {
      credential.getToken(scope).then(
        (t) => (t ? done(null, t.token) : done(new Error("the credential returned no token"), null)),
        (e: unknown) => done(e instanceof Error ? e : new Error(String(e)), null),
      );
    },
    ...(dispatcher ? { fetchOptions: { dispatcher } as RequestInit } : {}),
  });
}

/** A user-assigned managed identity found in ARM; its service principal's groups come from Graph. */
export interface ManagedIdentityRef {
  principalId: string;
  clientId: string;
  name: string;
}

export async function collectEntra(opts: CollectOptions, graphScope: string, managedIdentities: ManagedIdentityRef[]): Promise<EntraCollection> {
  const az = opts.azure!;
  const client = graphClient(opts, az.graphCredential, graphScope);
  const limiter = new Limiter(opts.concurrency ?? DEFAULTS.concurrency);
  const maxRetries = opts.maxRetries ?? DEFAULTS.maxRetries;
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  const top = Math.min(opts.pageSize?.graph ?? DEFAULTS.pageSize.graph, 999);
  const gaps: CoverageGap[] = [];
  const progress = (m: string) => opts.onProgress?.("graph", m);
  const gap = (path: string, e: unknown) =>
    gaps.push({ source: "graph", scope: /^https?:/.test(path) ? redactUrl(path) : path.split("?")[0]!, error: describe(e, path, az.graphCredentialName, az.graphUrl) });

  /** GET a path and every next page (same origin only). */
  async function listAll<T>(path: string): Promise<{ items: T[]; complete: boolean }> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const url: string = next;
      try {
        if (url !== path) assertSameOrigin(url, az.graphUrl);
        const page = (await limiter.run(() => client.api(url).options({ signal: AbortSignal.timeout(timeoutMs) }).get())) as GraphPage<T>;
        items.push(...page.value);
        next = page["@odata.nextLink"];
      } catch (e) {
        gap(path, e);
        return { items, complete: false };
      }
    }
    return { items, complete: true };
  }

  // 1. Applications with their federated credentials: $expand returns them all (at most 20 exist per app).
  const apps = await listAll<RawApplication>(
    `/applications?$select=id,appId,displayName,passwordCredentials&$expand=federatedIdentityCredentials&$top=${top}`,
  );
  progress(`${apps.items.length} app registrations`);
  const applications: EntraApplication[] = apps.items
    .filter((a) => (a.federatedIdentityCredentials ?? []).length > 0)
    .map((a) => ({
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
        (f): FederatedCredential => ({ ...(f.id ? { id: f.id } : {}), name: f.name, issuer: f.issuer, subject: f.subject ?? "", audiences: f.audiences ?? [], description: f.description ?? null }),
      ),
    }));

  // 2. Service principals and groups, only for identities Buildkite can (nearly) log in as.
  const federated = applications.filter((a) => a.federatedIdentityCredentials.some((f) => classifyIssuer(f.issuer) !== "other"));
  type Lookup = { key: string; url: string; kind: "sp" | "groups"; appId?: string; principalId?: string };
  const lookups: Lookup[] = [];
  for (const a of federated) {
    const key = `appId='${a.appId}'`;
    lookups.push({ key: `sp:${a.appId}`, kind: "sp", appId: a.appId, url: `/servicePrincipals(${key})?$select=id,appId,displayName,servicePrincipalType` });
    lookups.push({ key: `groups:${a.appId}`, kind: "groups", appId: a.appId, url: `/servicePrincipals(${key})/transitiveMemberOf?$select=id,displayName&$top=${top}` });
  }
  for (const mi of managedIdentities) {
    lookups.push({ key: `groups:${mi.principalId}`, kind: "groups", principalId: mi.principalId, url: `/servicePrincipals/${mi.principalId}/transitiveMemberOf?$select=id,displayName&$top=${top}` });
  }

  const results = new Map<string, BatchResponse>();
  const batches: Lookup[][] = [];
  for (let i = 0; i < lookups.length; i += BATCH_LIMIT) batches.push(lookups.slice(i, i + BATCH_LIMIT));
  await Promise.all(
    batches.map(async (batch) => {
      let pending = batch;
      for (let attempt = 0; pending.length > 0; attempt++) {
        let responses: BatchResponse[];
        try {
          const body = { requests: pending.map((l, i) => ({ id: String(i), method: "GET", url: l.url })) };
          responses = ((await limiter.run(() => client.api("/$batch").options({ signal: AbortSignal.timeout(timeoutMs) }).post(body))) as { responses: BatchResponse[] }).responses;
        } catch (e) {
          for (const l of pending) gap(l.url, e);
          return;
        }
        // Inner requests are throttled one by one: retry those after their Retry-After.
        const retry: Lookup[] = [];
        let wait = 0;
        for (const r of responses) {
          const l = pending[Number(r.id)]!;
          if ((r.status === 429 || r.status >= 500) && attempt < maxRetries) {
            retry.push(l);
            wait = Math.max(wait, retryAfterMs(r.headers?.["Retry-After"] ?? r.headers?.["retry-after"], backoffMs(attempt)));
          } else {
            results.set(l.key, r);
          }
        }
        pending = retry;
        if (pending.length) await sleep(wait);
      }
    }),
  );

  const groupNames = new Map<string, string>();
  async function groupsOf(l: Lookup): Promise<string[]> {
    const r = results.get(l.key);
    if (!r) return [];
    if (r.status !== 200) {
      if (r.status !== 404) gap(l.url, graphErrorOf(r));
      return [];
    }
    const page = r.body as GraphPage<RawDirectoryObject>;
    let objects = page.value;
    if (page["@odata.nextLink"]) {
      try {
        assertSameOrigin(page["@odata.nextLink"], az.graphUrl);
        const rest = await listAll<RawDirectoryObject>(page["@odata.nextLink"]);
        objects = [...objects, ...rest.items];
      } catch (e) {
        gap(l.url, e);
      }
    }
    const groups = objects.filter((o) => o["@odata.type"] === "#microsoft.graph.group");
    for (const g of groups) groupNames.set(g.id, g.displayName ?? g.id);
    return groups.map((g) => g.id);
  }

  const servicePrincipals: EntraServicePrincipal[] = [];
  for (const a of federated) {
    const r = results.get(`sp:${a.appId}`);
    if (!r) continue;
    if (r.status === 404) continue; // no service principal in this tenant: nothing can be assigned to it
    if (r.status !== 200) {
      gap(`/servicePrincipals(appId='${a.appId}')`, graphErrorOf(r));
      continue;
    }
    const sp = r.body as RawServicePrincipal;
    servicePrincipals.push({
      objectId: sp.id,
      appId: sp.appId,
      displayName: sp.displayName ?? sp.appId,
      ...(sp.servicePrincipalType ? { servicePrincipalType: sp.servicePrincipalType } : {}),
      memberOf: await groupsOf(lookups.find((l) => l.key === `groups:${a.appId}`)!),
    });
  }
  for (const mi of managedIdentities) {
    const memberOf = await groupsOf(lookups.find((l) => l.key === `groups:${mi.principalId}`)!);
    // Only worth recording when groups add assignments; the identity itself comes from ARM.
    if (memberOf.length > 0) {
      servicePrincipals.push({ objectId: mi.principalId, appId: mi.clientId, displayName: mi.name, servicePrincipalType: "ManagedIdentity", memberOf });
    }
  }
  progress(`${applications.length} federated app registrations, ${servicePrincipals.length} service principals`);
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
