/**
 * A small tenant with an Activity Log history, for the emulator's, the collector's and the CLI's
 * activity tests: two privileged federated identities (an app registration with Owner on Prod and
 * Contributor on Dev, a managed identity with Contributor on Prod), one that is not privileged
 * (Reader) and one privileged without a federated credential; times relative to `now`.
 */
import type { ActivityLog, Inventory } from "@trustscope/core";
import { InventoryBuilder } from "@trustscope/core/testing";

const DAY = 86_400_000;

export interface ActivityScenario {
  inventory: Inventory;
  prod: string;
  dev: string;
  deployer: string;
  miPrincipal: string;
  reader: string;
  admin: string;
}

export function activityScenario(now: Date): ActivityScenario {
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY).toISOString().replace(/\.000Z$/, "Z");
  const b = new InventoryBuilder();
  b.cluster("Production", ["prod"]);
  b.pipeline("deploy", { cluster: "Production" });
  const pipeline = "organization:acme:pipeline:deploy:ref:refs/heads/main";
  const prodScope = b.subscription("Prod", { tags: { environment: "production" } });
  const devScope = b.subscription("Dev");
  const rg = b.resourceGroup(prodScope, "app");
  const deployer = b.app("deployer", { credentials: [{ subject: pipeline }] });
  const mi = b.managedIdentity("mi-deployer", rg, [{ subject: pipeline }]);
  const reader = b.app("reader", { credentials: [{ subject: pipeline }] });
  const admin = b.app("admin-secret");
  b.assign(deployer.principalId, "Owner", prodScope);
  b.assign(deployer.principalId, "Contributor", devScope);
  b.assign(mi.principalId, "Contributor", prodScope);
  b.assign(reader.principalId, "Reader", prodScope);
  b.assign(admin.principalId, "Owner", prodScope);
  const prod = prodScope.split("/")[2]!;
  const dev = devScope.split("/")[2]!;
  const deployments = Array.from({ length: 20 }, (_, i) => `${rg}/providers/Microsoft.Resources/deployments/d${String(i).padStart(2, "0")}`);
  const activity: ActivityLog = {
    from: at(90),
    to: at(0),
    reads: [
      {
        principalId: deployer.principalId,
        subscriptionId: prod,
        operations: [
          { operation: "Microsoft.Authorization/roleAssignments/write", count: 3, first: at(80), last: at(10), scopes: [rg] },
          // 450 events: several pages of 100; 25 distinct deployments, 20 kept.
          { operation: "Microsoft.Resources/deployments/write", count: 450, first: at(89), last: at(1), scopes: deployments, moreScopes: 5 },
        ],
      },
      { principalId: deployer.principalId, subscriptionId: dev, operations: [{ operation: "Microsoft.Storage/storageAccounts/write", count: 2, first: at(30), last: at(29), scopes: [`${devScope}/resourceGroups/x/providers/Microsoft.Storage/storageAccounts/sa`] }] },
      // Privileged and federated, and did nothing in the window.
      { principalId: mi.principalId, subscriptionId: prod, operations: [] },
      // Not a candidate (Reader): its history is never asked for.
      { principalId: reader.principalId, subscriptionId: prod, operations: [{ operation: "Microsoft.Resources/tags/write", count: 1, first: at(5), last: at(5), scopes: [rg] }] },
    ],
  };
  b.raw.azure!.activity = activity;
  b.raw.tenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  return { inventory: b.build(), prod, dev, deployer: deployer.principalId, miPrincipal: mi.principalId, reader: reader.principalId, admin: admin.principalId };
}
