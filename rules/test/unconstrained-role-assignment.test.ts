import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { unconstrainedRoleAssignment } from "../src/rules/unconstrained-role-assignment.ts";
import { run } from "./support.ts";
import { op, withActivity } from "./activity-support.ts";

function setup(extra: Record<string, string> = {}) {
  const b = new InventoryBuilder();
  const app = b.app("landing-zone", { credentials: [{ subject: b.pipeline("lz") }] });
  const sub = b.subscription("Contoso-NonProd");
  b.assign(app.principalId, "Owner", sub, extra);
  b.assign(b.group("readers"), "Reader", sub, { createdBy: app.principalId });
  return b.build();
}

describe("unconstrained-role-assignment", () => {
  it("fires when an identity that manages access holds Owner with no condition", () => {
    const [f] = run(unconstrainedRoleAssignment, setup());
    expect(f).toMatchObject({ severity: "medium", identity: { displayName: "landing-zone" } });
    expect(f!.evidence[0]).toMatch(/it manages access: it created role assignment/);
    expect(f!.remediation).toMatch(/f58310d9-a9f6-439a-9e8d-f62e7b41a168/);
  });

  it("fires on role assignments written in the Activity Log window (since deleted, so not in the inventory), and not without them", () => {
    const b = new InventoryBuilder();
    const app = b.app("landing-zone", { credentials: [{ subject: b.pipeline("lz") }] });
    const sub = b.subscription("Contoso-NonProd");
    b.assign(app.principalId, "Owner", sub);
    const write = op("Microsoft.Authorization/roleAssignments/write", [`${sub}/providers/Microsoft.Authorization/roleAssignments/9`], { count: 3, last: "2026-10-01T08:00:00Z" });
    const [f] = run(unconstrainedRoleAssignment, withActivity(b.build(), [{ principal: app.principalId, subscription: sub, operations: [write] }]));
    expect(f!.evidence[0]).toMatch(/it manages access: the Activity Log shows it wrote role assignments in subscription \S+ 3 times, last on 2026-10-01T08:00:00Z/);
    const quiet = new InventoryBuilder();
    const other = quiet.app("landing-zone", { credentials: [{ subject: quiet.pipeline("lz") }] });
    const s2 = quiet.subscription("Contoso-NonProd");
    quiet.assign(other.principalId, "Owner", s2);
    expect(run(unconstrainedRoleAssignment, withActivity(quiet.build(), [{ principal: other.principalId, subscription: s2, operations: [] }]))).toEqual([]);
  });

  it("is high on production", () => {
    const b = new InventoryBuilder();
    const app = b.app("landing-zone", { credentials: [{ subject: b.pipeline("lz") }] });
    const sub = b.subscription("Contoso-Prod");
    b.assign(app.principalId, "Owner", sub);
    b.assign(b.group("readers"), "Reader", sub, { createdBy: app.principalId });
    expect(run(unconstrainedRoleAssignment, b.build())[0]?.severity).toBe("high");
  });

  it("is quiet when the delegation carries a condition", () => {
    expect(run(unconstrainedRoleAssignment, setup({ condition: "@Request[x] ForAnyOfAnyValues:GuidEquals {y}" }))).toEqual([]);
  });

  it("is quiet when nothing shows the identity manages access (owner-where-contributor-would-do covers it)", () => {
    const b = new InventoryBuilder();
    const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
    b.assign(app.principalId, "Owner", b.subscription("Contoso-NonProd"));
    expect(run(unconstrainedRoleAssignment, b.build())).toEqual([]);
  });
});
