import { describe, expect, it } from "vitest";
import { actionBreadth, activityAt, activityOf, describeOperation, operationsAt, roleBreadth, rolesAllowingAll, subscriptionsReached } from "../src/graph/activity.ts";
import { buildTrustGraph } from "../src/graph/trust-graph.ts";
import { ScopeTree } from "../src/azure/scope.ts";
import { BUILTIN_ROLES, InventoryBuilder } from "../src/testing/index.ts";
import type { ActivityOperation, RoleDefinition } from "../src/model/inventory.ts";

const role = (name: string): RoleDefinition => BUILTIN_ROLES.find((r) => r.roleName === name)!;
const op = (operation: string, scopes: string[], extra: Partial<ActivityOperation> = {}): ActivityOperation => ({
  operation,
  count: 1,
  first: "2026-10-01T00:00:00Z",
  last: "2026-10-01T00:00:00Z",
  scopes,
  ...extra,
});

describe("breadth", () => {
  it("ranks patterns: every provider ≫ one provider ≫ one resource type ≫ one operation; reads count 0", () => {
    expect(actionBreadth("*")).toBe(10_000);
    expect(actionBreadth("*/write")).toBe(10_000);
    expect(actionBreadth("Microsoft.Web/*")).toBe(100);
    expect(actionBreadth("Microsoft.Authorization/*/Write")).toBe(100);
    expect(actionBreadth("Microsoft.Web/sites/*")).toBe(10);
    expect(actionBreadth("Microsoft.Web/sites/write")).toBe(1);
    expect(actionBreadth("*/read")).toBe(0);
    expect(actionBreadth("Microsoft.Authorization/*/READ")).toBe(0);
  });

  it("subtracts notActions, so Contributor is narrower than Owner, and ignores data actions", () => {
    expect(roleBreadth(role("Owner"))).toBe(10_000);
    expect(roleBreadth(role("Contributor"))).toBe(10_000 - 100 - 100 - 9);
    expect(roleBreadth(role("Storage Account Contributor"))).toBe(141);
    expect(roleBreadth(role("Storage Blob Data Owner"))).toBe(11);
    expect(roleBreadth(role("Reader"))).toBe(0);
  });
});

describe("rolesAllowingAll", () => {
  it("keeps the roles allowing every operation (notActions respected), narrowest first", () => {
    const names = (ops: string[]) => rolesAllowingAll(BUILTIN_ROLES, ops).map((f) => f.role.roleName);
    expect(names(["Microsoft.Storage/storageAccounts/write", "Microsoft.Resources/deployments/write"])).toEqual(["Storage Account Contributor", "Contributor", "Owner"]);
    expect(names(["Microsoft.Authorization/roleAssignments/write"])).toEqual(["Role Based Access Control Administrator", "User Access Administrator", "Owner"]);
    expect(names(["microsoft.authorization/locks/write"])).toEqual(["User Access Administrator", "Owner"]);
  });

  it("breaks a tie in breadth by fewer unused patterns, then by name", () => {
    const mk = (roleName: string, actions: string[]): RoleDefinition => ({
      id: roleName,
      name: roleName,
      roleName,
      roleType: "BuiltInRole",
      permissions: [{ actions, notActions: [], dataActions: [], notDataActions: [] }],
      assignableScopes: ["/"],
    });
    const fits = rolesAllowingAll([mk("B", ["Microsoft.Web/sites/write", "Microsoft.Sql/servers/write"]), mk("C", ["Microsoft.Web/sites/*"]), mk("A", ["Microsoft.Web/sites/*"]), mk("D", ["Microsoft.Web/sites/write", "Microsoft.Web/sites/delete", "*/read"])], ["Microsoft.Web/sites/write"]);
    expect(fits.map((f) => [f.role.roleName, f.breadth, f.unusedPatterns])).toEqual([
      ["B", 2, 1],
      ["D", 2, 1],
      ["A", 10, 0],
      ["C", 10, 0],
    ]);
  });
});

describe("activity under a scope", () => {
  function setup() {
    const b = new InventoryBuilder();
    const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
    const mg = b.managementGroup("platform");
    const one = b.subscription("One", { managementGroup: mg });
    const two = b.subscription("Two", { managementGroup: mg });
    b.subscription("Elsewhere");
    b.assign(app.principalId, "Owner", mg);
    return { b, app, mg, one, two };
  }

  it("expands a management group to the known subscriptions below it", () => {
    const { b, mg, one, two } = setup();
    const inv = b.build();
    const ids = inv.azure!.subscriptions.map((s) => s.subscriptionId);
    expect(subscriptionsReached(new ScopeTree(inv), ids, mg)).toEqual([one, two].map((s) => s.split("/")[2]));
    expect(subscriptionsReached(new ScopeTree(inv), ids, `${one}/resourceGroups/rg`)).toEqual([one.split("/")[2]]);
  });

  it("sums an operation over subscriptions, keeps only scopes below, and counts unsettled scopes in", () => {
    const { b, app, mg, one, two } = setup();
    const inv = b.build();
    inv.azure!.activity = {
      from: "2026-08-27T00:00:00Z",
      to: "2026-11-25T00:00:00Z",
      reads: [
        { principalId: app.principalId, subscriptionId: one.split("/")[2]!, operations: [op("Microsoft.Web/sites/write", [`${one}/resourceGroups/a/providers/Microsoft.Web/sites/x`], { count: 2, last: "2026-11-01T00:00:00Z" })] },
        {
          principalId: app.principalId,
          subscriptionId: two.split("/")[2]!,
          operations: [
            op("microsoft.web/sites/write", [`${two}/resourceGroups/b/providers/Microsoft.Web/sites/y`], { count: 3, first: "2026-09-01T00:00:00Z" }),
            op("Microsoft.Sql/servers/write", [`${two}/resourceGroups/c/providers/Microsoft.Sql/servers/z`], { moreScopes: 4 }),
          ],
        },
      ],
    };
    const graph = buildTrustGraph(inv);
    const activity = activityOf(inv.azure!.activity, { principalId: app.principalId })!;
    const all = activityAt(graph, activity, mg)!;
    expect(all.operations.map((o) => [o.operation, o.count, o.first, o.last, o.scopes.length])).toEqual([
      ["Microsoft.Sql/servers/write", 1, "2026-10-01T00:00:00Z", "2026-10-01T00:00:00Z", 1],
      ["Microsoft.Web/sites/write", 5, "2026-09-01T00:00:00Z", "2026-11-01T00:00:00Z", 2],
    ]);
    // Under resource group `a` only the site there; the SQL write's dropped scopes may be anywhere.
    const rgA = operationsAt(activity, `${one}/resourceGroups/a`, graph.rbac.scopes);
    expect(rgA.map((o) => [o.operation, o.scopes.length, o.moreScopes])).toEqual([
      ["Microsoft.Sql/servers/write", 0, true],
      ["Microsoft.Web/sites/write", 1, false],
    ]);
    expect(describeOperation(all.operations[1]!, 1)).toBe(`Microsoft.Web/sites/write ×5 (first 2026-09-01T00:00:00Z, last 2026-11-01T00:00:00Z) on ${one}/resourceGroups/a/providers/Microsoft.Web/sites/x and 1 more`);
    expect(describeOperation(all.operations[0]!)).toBe(`Microsoft.Sql/servers/write ×1 (at 2026-10-01T00:00:00Z) on ${two}/resourceGroups/c/providers/Microsoft.Sql/servers/z and others`);
  });

  it("settles nothing while one subscription's read is missing, or when the scope reaches no known subscription", () => {
    const { b, app, mg, one } = setup();
    const inv = b.build();
    inv.azure!.activity = { from: "2026-08-27T00:00:00Z", to: "2026-11-25T00:00:00Z", reads: [{ principalId: app.principalId, subscriptionId: one.split("/")[2]!, operations: [] }] };
    const graph = buildTrustGraph(inv);
    const activity = activityOf(inv.azure!.activity, { principalId: app.principalId });
    expect(activityAt(graph, activity, mg)).toBeUndefined();
    expect(activityAt(graph, activity, one)?.operations).toEqual([]);
    expect(activityAt(graph, activity, "/providers/Microsoft.Management/managementGroups/empty")).toBeUndefined();
    expect(activityAt(graph, undefined, one)).toBeUndefined();
  });
});
