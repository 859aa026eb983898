import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import type { Inventory, RolePermission } from "@trustscope/core";
import { narrowerRoleWouldDo } from "../src/rules/narrower-role-would-do.ts";
import { run } from "./support.ts";
import { op, ownerOnManagementGroup, withActivity } from "./activity-support.ts";

/** A built-in role definition the test inventory lacks (the rule judges actions, not names). */
function builtin(b: InventoryBuilder, roleName: string, permission: Partial<RolePermission>): void {
  b.customRole(roleName, permission);
  b.raw.azure!.roleDefinitions.at(-1)!.roleType = "BuiltInRole";
}

function deployer(subName = "Contoso-NonProd") {
  const b = new InventoryBuilder();
  const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
  const sub = b.subscription(subName);
  return { b, app, sub, rg: `${sub}/resourceGroups/rg-app` };
}

/** `n` distinct storage writes in the resource group: enough use for a built-in role to be close. */
function storageOps(rg: string, n: number) {
  return Array.from({ length: n }, (_, i) => op(`Microsoft.Storage/storageAccounts/op${String(i).padStart(2, "0")}/write`, [`${rg}/providers/Microsoft.Storage/storageAccounts/st${i}`], { count: 3, last: "2026-11-20T08:00:00Z" }));
}

function logged(inv: Inventory, principal: string, sub: string, operations: ReturnType<typeof op>[]): Inventory {
  return withActivity(inv, [{ principal, subscription: sub, operations }]);
}

describe("narrower-role-would-do", () => {
  it("proposes a custom role with exactly the used actions when no built-in role is close", () => {
    const { b, app, sub, rg } = deployer();
    b.assign(app.principalId, "Owner", sub);
    const ops = [
      op("Microsoft.Web/sites/write", [`${rg}/providers/Microsoft.Web/sites/app`], { count: 41, first: "2026-08-30T10:00:00Z", last: "2026-11-24T16:02:00Z" }),
      op("Microsoft.Resources/deployments/write", [`${rg}/providers/Microsoft.Resources/deployments/main`], { count: 41 }),
    ];
    const [f] = run(narrowerRoleWouldDo, logged(b.build(), app.principalId, sub, ops));
    expect(f).toMatchObject({ severity: "medium", scope: sub });
    expect(f!.message).toMatch(/used only 2 operations there in 90 days; no built-in role is close/);
    expect(f!.evidence).toContain('custom role actions: ["Microsoft.Resources/deployments/write","Microsoft.Web/sites/write"]');
    expect(f!.evidence).toContain(`used: Microsoft.Web/sites/write ×41 (first 2026-08-30T10:00:00Z, last 2026-11-24T16:02:00Z) on ${rg}/providers/Microsoft.Web/sites/app`);
    expect(f!.evidence.join("\n")).toMatch(/breadth of 'Owner' 10000 .* of the used set 2; proposed 2/);
    expect(f!.remediation).toContain('"Actions": ["Microsoft.Resources/deployments/write","Microsoft.Web/sites/write"]');
  });

  it("proposes the narrowest built-in role that allows everything used, high on production", () => {
    const { b, app, sub, rg } = deployer("Contoso-Prod");
    b.assign(app.principalId, "Contributor", sub);
    const ops = [...storageOps(rg, 15), op("Microsoft.Resources/deployments/write", [`${rg}/providers/Microsoft.Resources/deployments/main`])];
    const [f] = run(narrowerRoleWouldDo, logged(b.build(), app.principalId, sub, ops));
    expect(f?.severity).toBe("high");
    expect(f!.message).toMatch(/all of which built-in role 'Storage Account Contributor' allows/);
    expect(f!.evidence.join("\n")).toMatch(/'Storage Account Contributor' \(17d1049b-9a84-46fb-8f53-869881c3d3ab\) allows every used operation, with breadth 141/);
    expect(f!.evidence).toContain("and 8 more operations");
    expect(f!.remediation).toMatch(/^Assign 'Storage Account Contributor'/);
  });

  it("prefers the narrower of two fitting built-in roles, judged by actions and not names", () => {
    const { b, app, sub, rg } = deployer();
    b.assign(app.principalId, "Owner", sub);
    // Allows the same through provider-wide wildcards (breadth 300 against 141), and sorts first by name.
    builtin(b, "Aaa Storage Admin", { actions: ["Microsoft.Storage/*", "Microsoft.Resources/*", "Microsoft.Support/*"] });
    // Narrower still, but lacks the deployments: the operation that decided against it is named.
    builtin(b, "Storage Accounts Only", { actions: ["Microsoft.Storage/storageAccounts/*"] });
    const ops = [...storageOps(rg, 15), op("Microsoft.Resources/deployments/write", [`${rg}/providers/Microsoft.Resources/deployments/main`])];
    const [f] = run(narrowerRoleWouldDo, logged(b.build(), app.principalId, sub, ops));
    expect(f?.message).toMatch(/'Storage Account Contributor'/);
    expect(f!.evidence).toContain("'Storage Accounts Only' would not do: it does not allow Microsoft.Resources/deployments/write");
  });

  it("evaluates a custom role with wildcards from its actions", () => {
    const { b, app, sub, rg } = deployer();
    b.customRole("Web Admin", { actions: ["Microsoft.Web/*", "Microsoft.Authorization/*/write"] });
    b.assign(app.principalId, "Web Admin", rg);
    const [f] = run(narrowerRoleWouldDo, logged(b.build(), app.principalId, sub, [op("Microsoft.Web/sites/write", [`${rg}/providers/Microsoft.Web/sites/app`])]));
    expect(f?.message).toMatch(/'Web Admin' \(custom role\) at .*rg-app but used only 1 operation/);
    expect(f!.evidence.join("\n")).toMatch(/breadth of 'Web Admin' 200 /);
    expect(f!.evidence).toContain('custom role actions: ["Microsoft.Web/sites/write"]');
  });

  it("is info when the proposal is not much narrower than the current role", () => {
    const { b, app, sub, rg } = deployer("Contoso-Prod");
    builtin(b, "Web Deployer", { actions: ["Microsoft.Web/sites/*", "Microsoft.Resources/deployments/*", "Microsoft.Insights/components/*", "Microsoft.Web/serverFarms/*"] });
    b.customRole("Web And Access", { actions: ["Microsoft.Web/*", "Microsoft.Resources/*", "Microsoft.Authorization/roleAssignments/write"] });
    b.assign(app.principalId, "Web And Access", rg);
    const ops = ["sites/write", "sites/config/write", "sites/slots/write", "serverFarms/write", "sites/restart/action"].map((o) => op(`Microsoft.Web/${o}`, [`${rg}/providers/Microsoft.Web/sites/app`]));
    const [f] = run(narrowerRoleWouldDo, logged(b.build(), app.principalId, sub, ops));
    expect(f?.severity).toBe("info");
    expect(f!.message).toMatch(/'Web Deployer'/);
  });

  it("judges a management group grant on all its subscriptions, and is quiet while one read is missing", () => {
    const { b, app, one, two } = ownerOnManagementGroup("platform", ["Contoso-One", "Contoso-Two"]);
    const site = (s: string) => op("Microsoft.Web/sites/write", [`${s}/resourceGroups/rg/providers/Microsoft.Web/sites/app`], { count: 2 });
    const full = withActivity(b.build(), [
      { principal: app.principalId, subscription: one, operations: [site(one)] },
      { principal: app.principalId, subscription: two, operations: [site(two), op("Microsoft.Sql/servers/write", [`${two}/resourceGroups/rg/providers/Microsoft.Sql/servers/db`])] },
    ]);
    const [f] = run(narrowerRoleWouldDo, full);
    expect(f?.evidence).toContain('custom role actions: ["Microsoft.Sql/servers/write","Microsoft.Web/sites/write"]');
    expect(f!.evidence.some((e) => e.startsWith("used: Microsoft.Web/sites/write ×4 "))).toBe(true);
    const gap = withActivity(b.build(), [{ principal: app.principalId, subscription: one, operations: [site(one)] }]);
    expect(run(narrowerRoleWouldDo, gap)).toEqual([]);
  });

  it("is quiet when the current role is already about as narrow as the use", () => {
    const { b, app, sub, rg } = deployer();
    b.customRole("Exact", { actions: ["Microsoft.Web/sites/write", "Microsoft.Authorization/roleAssignments/write", "*/read"] });
    b.assign(app.principalId, "Exact", rg);
    const ops = [op("Microsoft.Web/sites/write", [`${rg}/providers/Microsoft.Web/sites/app`]), op("Microsoft.Authorization/roleAssignments/write", [`${rg}/providers/Microsoft.Authorization/roleAssignments/1`])];
    expect(run(narrowerRoleWouldDo, logged(b.build(), app.principalId, sub, ops))).toEqual([]);
  });

  it("is quiet without activity, with no operation, and for operations outside the grant's scope", () => {
    const { b, app, sub, rg } = deployer();
    b.assign(app.principalId, "Owner", rg);
    expect(run(narrowerRoleWouldDo, b.build())).toEqual([]);
    expect(run(narrowerRoleWouldDo, logged(b.build(), app.principalId, sub, []))).toEqual([]);
    const elsewhere = op("Microsoft.Web/sites/write", [`${sub}/resourceGroups/rg-other/providers/Microsoft.Web/sites/app`]);
    expect(run(narrowerRoleWouldDo, logged(b.build(), app.principalId, sub, [elsewhere]))).toEqual([]);
  });

  it("is quiet for a managed identity, whose log may be incomplete", () => {
    const b = new InventoryBuilder();
    const sub = b.subscription("Contoso-NonProd");
    const mi = b.managedIdentity("deployer-mi", b.resourceGroup(sub, "rg-identities"), [{ subject: b.pipeline("deploy") }]);
    b.assign(mi.principalId, "Owner", sub);
    expect(run(narrowerRoleWouldDo, logged(b.build(), mi.principalId, sub, [op("Microsoft.Web/sites/write", [`${sub}/resourceGroups/rg/providers/Microsoft.Web/sites/app`])]))).toEqual([]);
  });
});
