/**
 * The official SDKs the collectors use, pointed at the emulator: if these page through everything,
 * the URL forms, query parameters and next-link fields match what the SDKs expect.
 */
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ManagementGroupsAPI } from "@azure/arm-managementgroups";
import { ManagedServiceIdentityClient } from "@azure/arm-msi";
import { ResourceManagementClient } from "@azure/arm-resources";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { StorageManagementClient } from "@azure/arm-storage";
import type { TokenCredential } from "@azure/core-auth";
import { Client, PageIterator, type PageCollection } from "@microsoft/microsoft-graph-client";
import { GraphQLClient } from "graphql-request";
import { fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILDKITE_QUERIES } from "../../core/src/collect/buildkite-queries.ts";
import { startEmulator, type Emulator } from "../src/index.ts";
import { clientFor, demo, fullSchemaSdl, HAS_SHARED } from "./helpers.ts";

const SUB_NONPROD = "4d6e8f10-2a3b-4c5d-8e9f-444455556666";
const azure = demo.azure!;

const staticCredential = (token: string): TokenCredential => ({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) });

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

describe("official SDKs against the emulator (page size 2)", () => {
  let emu: Emulator;
  let http: ReturnType<typeof clientFor>;
  beforeAll(async () => {
    emu = await startEmulator({
      scenario: demo,
      pageSize: { buildkite: 2, graph: 2, arm: 2 },
      ...(HAS_SHARED ? { buildkiteSchemaSdl: fullSchemaSdl() } : {}),
      faults: [{ kind: "throttle", api: "arm", match: /roleDefinitions/i, times: 1, retryAfterSeconds: 1 }],
    });
    http = clientFor(emu);
  });
  afterAll(async () => {
    await http.close();
    await emu.close();
  });

  const armOptions = () => ({ endpoint: emu.armUrl, tlsOptions: { ca: emu.caPem } });

  it("@microsoft/microsoft-graph-client: PageIterator over applications, $batch", async () => {
    const client = Client.init({
      authProvider: (done) => done(null, emu.tokens.graph),
      baseUrl: `${emu.graphUrl}/`,
      customHosts: new Set(["127.0.0.1"]),
      fetchOptions: { dispatcher: http.dispatcher } as RequestInit,
    });
    const first = (await client.api("/applications?$select=id,appId,displayName,passwordCredentials&$expand=federatedIdentityCredentials&$top=999").get()) as PageCollection;
    const apps: { id: string; federatedIdentityCredentials: unknown[] }[] = [];
    await new PageIterator(client, first, (app: { id: string; federatedIdentityCredentials: unknown[] }) => {
      apps.push(app);
      return true;
    }).iterate();
    expect(apps.map((a) => a.id)).toEqual(demo.entra!.applications.map((a) => a.objectId));
    expect(apps.map((a) => a.federatedIdentityCredentials.length)).toEqual(demo.entra!.applications.map((a) => a.federatedIdentityCredentials.length));

    const sp = demo.entra!.servicePrincipals[0]!;
    const batch = (await client.api("/$batch").post({ requests: [{ id: "1", method: "GET", url: `/servicePrincipals(appId='${sp.appId}')?$select=id` }] })) as { responses: { status: number; body: { id: string } }[] };
    expect(batch.responses[0]).toMatchObject({ status: 200, body: { id: sp.objectId } });
    expect(emu.requests.filter((r) => r.api === "graph").every((r) => r.authorizationValid)).toBe(true);
  });

  it("@azure/arm-*: every list the collector reads, through the SDKs' own paging (GET nextLink; getEntities' next pages only as POST)", async () => {
    const credential = staticCredential(emu.tokens.arm);
    const subscriptions = await all(new SubscriptionClient(credential, armOptions()).subscriptions.list());
    expect(subscriptions.map((s) => s.subscriptionId).sort()).toEqual(azure.subscriptions.map((s) => s.subscriptionId).sort());
    expect(subscriptions.find((s) => s.subscriptionId === SUB_NONPROD)!.tags).toEqual(azure.subscriptions.find((s) => s.subscriptionId === SUB_NONPROD)!.tags);

    // getEntities exists as POST only (Entities_List): the SDK's first page reads, its GET of the
    // next link is refused, as the service defines no GET (so the collector POSTs every page).
    const entityPages = new ManagementGroupsAPI(credential, armOptions()).entities.list().byPage();
    const firstEntities = (await entityPages.next()).value as { type?: string; name?: string; parent?: { id?: string } }[];
    expect(firstEntities.length).toBe(2);
    expect(firstEntities.find((e) => e.type === "Microsoft.Management/managementGroups" && !e.parent)?.name).toBe(demo.tenantId);
    await expect(entityPages.next()).rejects.toMatchObject({ statusCode: 405 });

    const authz = new AuthorizationManagementClient(credential, SUB_NONPROD, armOptions());
    const assignments = await all(authz.roleAssignments.listForSubscription());
    expect(assignments.length).toBeGreaterThan(2);
    expect(assignments.some((a) => a.scope === `/providers/Microsoft.Management/managementGroups/${demo.tenantId}`)).toBe(true);
    const withCondition = assignments.find((a) => a.condition)!;
    expect(withCondition).toMatchObject({ conditionVersion: "2.0", principalType: "ServicePrincipal" });
    const definitions = await all(authz.roleDefinitions.list(`subscriptions/${SUB_NONPROD}`));
    expect(definitions.map((d) => d.name).sort()).toEqual(azure.roleDefinitions.map((d) => d.name).sort());
    expect(definitions.find((d) => d.roleName === "Sandbox Operator")!.roleType).toBe("CustomRole");
    // The SDK honoured the 429 and retried.
    expect(emu.requests.some((r) => r.api === "arm" && r.status === 429)).toBe(true);

    const groups = await all(new ResourceManagementClient(credential, SUB_NONPROD, armOptions()).resourceGroups.list());
    expect(groups.map((g) => g.id).sort()).toEqual(azure.resourceGroups.filter((g) => g.subscriptionId === SUB_NONPROD).map((g) => g.id).sort());

    const accounts = await all(new StorageManagementClient(credential, SUB_NONPROD, armOptions()).storageAccounts.list());
    for (const a of accounts) expect(a.allowSharedKeyAccess).toBe(azure.storageAccounts.find((x) => x.id === a.id)!.allowSharedKeyAccess);

    const msi = new ManagedServiceIdentityClient(credential, SUB_NONPROD, armOptions());
    const identities = await all(msi.userAssignedIdentities.listBySubscription());
    expect(identities.map((i) => [i.clientId, i.principalId])).toEqual(azure.managedIdentities.map((m) => [m.clientId, m.principalId]));
    const fics = await all(msi.federatedIdentityCredentials.list("rg-dev-sandbox", identities[0]!.name!));
    expect(fics.map((f) => f.subject)).toEqual(azure.managedIdentities[0]!.federatedIdentityCredentials.map((f) => f.subject));
  });

  it("graphql-request: the collector's queries with a fetch that trusts the emulator", async () => {
    const client = new GraphQLClient(emu.buildkiteGraphqlUrl, {
      headers: { Authorization: `Bearer ${emu.tokens.buildkite}` },
      fetch: ((url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: http.dispatcher })) as unknown as typeof fetch,
    });
    const org = await client.request<{ organization: { uuid: string } }>(BUILDKITE_QUERIES.ORGANIZATION_QUERY, { slug: "acme" });
    expect(org.organization.uuid).toBe(demo.buildkite!.organization.uuid);
    const agents = await client.request<{ organization: { agents: { edges: unknown[]; pageInfo: { hasNextPage: boolean } } } }>(BUILDKITE_QUERIES.AGENTS_QUERY, { slug: "acme", first: 100 });
    expect(agents.organization.agents.edges.length).toBe(2);
    expect(agents.organization.agents.pageInfo.hasNextPage).toBe(true);
  });
});
