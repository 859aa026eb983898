/**
 * The straightforward collector the benchmark compares with: the same SDK clients, the same
 * concurrency, but federated credentials fetched per application and role assignments queried
 * per principal (`$filter=assignedTo('{id}')`) in every subscription. Buildkite is read by the
 * real collector (it has no per-item variant worth showing). Only requests and time matter here.
 */
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ManagedServiceIdentityClient } from "@azure/arm-msi";
import { ResourceManagementClient } from "@azure/arm-resources";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { StorageManagementClient } from "@azure/arm-storage";
import { Client } from "@microsoft/microsoft-graph-client";
import type { CollectOptions } from "@trustscope/core";
import { collectInventory, Limiter, staticTokenCredential } from "@trustscope/core/collect";
import { Agent } from "undici";

interface Endpoints {
  buildkiteGraphqlUrl: string;
  graphUrl: string;
  armUrl: string;
  caPem: string;
  tokens: { buildkite: string; graph: string; arm: string };
}

/** At most `limit` tasks at once: the collectors' own limiter, so the comparison is like for like. */
function limiter(limit: number) {
  const l = new Limiter(limit);
  return <T>(task: () => Promise<T>): Promise<T> => l.run(task);
}

async function drain<T>(run: <R>(task: () => Promise<R>) => Promise<R>, pages: AsyncIterableIterator<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const page = await run(() => pages.next());
    if (page.done) return out;
    out.push(...page.value);
  }
}

export async function collectNaively(emu: Endpoints, concurrency: number, orgSlug: string): Promise<void> {
  const buildkite = collectInventory({
    cloud: "AzureCloud",
    buildkite: { organization: orgSlug, graphqlUrl: emu.buildkiteGraphqlUrl, token: emu.tokens.buildkite },
    caPem: emu.caPem,
    concurrency,
  } satisfies CollectOptions);

  const graphRun = limiter(concurrency);
  const graph = Client.init({
    baseUrl: `${emu.graphUrl}/`,
    defaultVersion: "v1.0",
    customHosts: new Set([new URL(emu.graphUrl).hostname]),
    authProvider: (done) => done(null, emu.tokens.graph),
    fetchOptions: { dispatcher: new Agent({ connect: { ca: emu.caPem } }) } as RequestInit,
  });
  const graphAll = async <T>(path: string): Promise<T[]> => {
    const out: T[] = [];
    for (let next: string | undefined = path; next; ) {
      const url: string = next;
      const page = (await graphRun(() => graph.api(url).get())) as { value: T[]; "@odata.nextLink"?: string };
      out.push(...page.value);
      next = page["@odata.nextLink"];
    }
    return out;
  };
  const entra = (async () => {
    const apps = await graphAll<{ id: string; appId: string }>("/applications?$select=id,appId,displayName,passwordCredentials&$top=999");
    const federated: string[] = [];
    await Promise.all(
      apps.map(async (a) => {
        const fics = await graphAll<{ issuer: string }>(`/applications/${a.id}/federatedIdentityCredentials`);
        if (fics.length > 0) federated.push(a.appId);
      }),
    );
    const principals: string[] = [];
    await Promise.all(
      federated.map(async (appId) => {
        const sp = (await graphRun(() => graph.api(`/servicePrincipals(appId='${appId}')`).get())) as { id: string };
        principals.push(sp.id);
        await graphAll(`/servicePrincipals/${sp.id}/transitiveMemberOf?$select=id,displayName`);
      }),
    );
    return principals;
  })();

  const armRun = limiter(concurrency);
  const credential = staticTokenCredential(emu.tokens.arm);
  const clientOptions = { endpoint: emu.armUrl, $host: emu.armUrl, credentialScopes: ["https://management.azure.com/.default"], tlsOptions: { ca: emu.caPem } };
  const subs = await drain(armRun, new SubscriptionClient(credential, clientOptions).subscriptions.list().byPage());
  const identities = await Promise.all(
    subs.map(async (s) => {
      const id = s.subscriptionId!;
      const msi = new ManagedServiceIdentityClient(credential, id, clientOptions);
      const [, , , list] = await Promise.all([
        drain(armRun, new ResourceManagementClient(credential, id, clientOptions).resourceGroups.list().byPage()),
        drain(armRun, new AuthorizationManagementClient(credential, id, clientOptions).roleDefinitions.list(`subscriptions/${id}`).byPage()),
        drain(armRun, new StorageManagementClient(credential, id, clientOptions).storageAccounts.list().byPage()),
        drain(armRun, msi.userAssignedIdentities.listBySubscription().byPage()),
      ]);
      await Promise.all(
        list.map((mi) => {
          const rg = mi.id!.split("/")[4]!;
          return drain(armRun, msi.federatedIdentityCredentials.list(rg, mi.name!).byPage());
        }),
      );
      return list.map((mi) => mi.principalId!);
    }),
  );
  const principals = [...(await entra), ...identities.flat()];
  // Per principal, per subscription: the pattern that makes a scan cost principals × subscriptions.
  await Promise.all(
    subs.flatMap((s) => {
      const authz = new AuthorizationManagementClient(credential, s.subscriptionId!, clientOptions);
      return principals.map((p) => drain(armRun, authz.roleAssignments.listForSubscription({ filter: `assignedTo('${p}')` }).byPage()));
    }),
  );
  await buildkite;
}
