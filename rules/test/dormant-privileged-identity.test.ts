import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { dormantPrivilegedIdentity } from "../src/rules/dormant-privileged-identity.ts";
import { run } from "./support.ts";
import { op, ownerOnManagementGroup, withActivity } from "./activity-support.ts";

function deployer(subName = "Contoso-Prod", role = "Owner") {
  const b = new InventoryBuilder();
  const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
  const sub = b.subscription(subName);
  b.assign(app.principalId, role, sub);
  return { b, app, sub };
}

describe("dormant-privileged-identity", () => {
  it("fires for an app registration with a privileged production grant and an empty log", () => {
    const { b, app, sub } = deployer();
    const [f] = run(dormantPrivilegedIdentity, withActivity(b.build(), [{ principal: app.principalId, subscription: sub }]));
    expect(f).toMatchObject({ severity: "high", scope: sub, identity: { displayName: "deployer" } });
    expect(f!.message).toMatch(/holds 'Owner' at .* yet performed no operation in 90 days/);
    expect(f!.evidence[0]).toBe(`no write, delete or action by it in the Activity Log of subscription ${sub.split("/")[2]} from 2026-08-27T12:00:00Z to 2026-11-25T12:00:00Z (every one read in full)`);
    expect(f!.evidence[1]).toMatch(/touches production: subscription 'Contoso-Prod' has 'prod' in its name/);
    expect(f!.remediation).toMatch(/Remove the role assignments/);
    expect(f!.remediation).toMatch(/federated credential/);
  });

  it("fires for Contributor too (any role with *)", () => {
    const { b, app, sub } = deployer("Contoso-Prod", "Contributor");
    expect(run(dormantPrivilegedIdentity, withActivity(b.build(), [{ principal: app.principalId, subscription: sub }]))).toHaveLength(1);
  });

  it("is quiet after any operation, even one elsewhere in the subscription", () => {
    const { b, app, sub } = deployer();
    const ops = [op("Microsoft.Web/sites/restart/action", [`${sub}/resourceGroups/rg/providers/Microsoft.Web/sites/app`])];
    expect(run(dormantPrivilegedIdentity, withActivity(b.build(), [{ principal: app.principalId, subscription: sub, operations: ops }]))).toEqual([]);
  });

  it("is quiet without activity, and for a non-production or non-privileged grant", () => {
    expect(run(dormantPrivilegedIdentity, deployer().b.build())).toEqual([]);
    const nonprod = deployer("Contoso-NonProd");
    expect(run(dormantPrivilegedIdentity, withActivity(nonprod.b.build(), [{ principal: nonprod.app.principalId, subscription: nonprod.sub }]))).toEqual([]);
    const reader = deployer("Contoso-Prod", "Reader");
    expect(run(dormantPrivilegedIdentity, withActivity(reader.b.build(), [{ principal: reader.app.principalId, subscription: reader.sub }]))).toEqual([]);
  });

  it("expands a management group grant and needs every subscription read", () => {
    const { b, app, one, two } = ownerOnManagementGroup("production", ["Payments", "Ledger"]);
    const [f] = run(dormantPrivilegedIdentity, withActivity(b.build(), [{ principal: app.principalId, subscription: one }, { principal: app.principalId, subscription: two }]));
    expect(f?.evidence[0]).toContain(`subscriptions ${[one, two].map((s) => s.split("/")[2]).sort().join(", ")} from`);
    // The second read failed (a coverage gap): the identity may have worked there.
    expect(run(dormantPrivilegedIdentity, withActivity(b.build(), [{ principal: app.principalId, subscription: one }]))).toEqual([]);
  });

  it("needs the log of a non-production privileged grant too: activity there is activity", () => {
    const { b, app, sub } = deployer();
    const dev = b.subscription("Contoso-Dev");
    b.assign(app.principalId, "Contributor", dev);
    expect(run(dormantPrivilegedIdentity, withActivity(b.build(), [{ principal: app.principalId, subscription: sub }]))).toEqual([]);
    const busy = [op("Microsoft.Web/sites/write", [`${dev}/resourceGroups/rg/providers/Microsoft.Web/sites/app`])];
    expect(run(dormantPrivilegedIdentity, withActivity(b.build(), [{ principal: app.principalId, subscription: sub }, { principal: app.principalId, subscription: dev, operations: busy }]))).toEqual([]);
    expect(run(dormantPrivilegedIdentity, withActivity(b.build(), [{ principal: app.principalId, subscription: sub }, { principal: app.principalId, subscription: dev }]))).toHaveLength(1);
  });

  it("makes no dormant claim for a managed identity", () => {
    const b = new InventoryBuilder();
    const sub = b.subscription("Contoso-Prod");
    const mi = b.managedIdentity("deployer-mi", b.resourceGroup(sub, "rg-identities"), [{ subject: b.pipeline("deploy") }]);
    b.assign(mi.principalId, "Owner", sub);
    expect(run(dormantPrivilegedIdentity, withActivity(b.build(), [{ principal: mi.principalId, subscription: sub }]))).toEqual([]);
  });
});
