import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { ownerWhereContributorWouldDo } from "../src/rules/owner-where-contributor-would-do.ts";
import { run } from "./support.ts";

function setup(grant: (b: InventoryBuilder, principal: string, scope: string) => void, opts: { federated?: boolean } = {}) {
  const b = new InventoryBuilder();
  const app = b.app("deployer", { credentials: opts.federated === false ? [] : [{ subject: b.pipeline("deploy") }], groups: ["grp-deployers"] });
  const sub = b.subscription("Contoso-NonProd");
  grant(b, app.principalId, sub);
  return { inventory: b.build(), b, app, sub };
}

describe("owner-where-contributor-would-do", () => {
  it("fires for Owner", () => {
    const [f] = run(ownerWhereContributorWouldDo, setup((b, p, s) => b.assign(p, "Owner", s)).inventory);
    expect(f).toMatchObject({ severity: "high", identity: { displayName: "deployer" } });
    expect(f!.message).toMatch(/'Owner'/);
    expect(f!.remediation).toMatch(/Contributor/);
    expect(f!.remediation).toMatch(/Role Based Access Control Administrator/);
  });

  it("fires for a custom role with * and no notActions (as good as Owner)", () => {
    const [f] = run(
      ownerWhereContributorWouldDo,
      setup((b, p, s) => {
        b.customRole("Everything", { actions: ["*"] });
        b.assign(p, "Everything", s);
      }).inventory,
    );
    expect(f?.message).toMatch(/'Everything' \(custom role\)/);
  });

  it("fires for Owner held through a group, and says so", () => {
    const [f] = run(ownerWhereContributorWouldDo, setup((b, _p, s) => b.assign(b.group("grp-deployers"), "Owner", s)).inventory);
    expect(f?.evidence.join("\n")).toMatch(/through group 'grp-deployers'/);
  });

  it("fires for User Access Administrator", () => {
    expect(run(ownerWhereContributorWouldDo, setup((b, p, s) => b.assign(p, "User Access Administrator", s)).inventory)).toHaveLength(1);
  });

  it("is critical on a production scope", () => {
    const b = new InventoryBuilder();
    const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
    b.assign(app.principalId, "Owner", b.subscription("Contoso-Prod"));
    expect(run(ownerWhereContributorWouldDo, b.build())[0]?.severity).toBe("critical");
  });

  it("is quiet for Contributor and for a Contributor clone", () => {
    expect(run(ownerWhereContributorWouldDo, setup((b, p, s) => b.assign(p, "Contributor", s)).inventory)).toEqual([]);
    const contributor = new InventoryBuilder().raw.azure!.roleDefinitions.find((r) => r.roleName === "Contributor")!;
    expect(
      run(
        ownerWhereContributorWouldDo,
        setup((b, p, s) => {
          b.customRole("Deployer", contributor.permissions[0]!);
          b.assign(p, "Deployer", s);
        }).inventory,
      ),
    ).toEqual([]);
  });

  it("is quiet for a role-assignment delegation constrained by a condition", () => {
    const inv = setup((b, p, s) => b.assign(p, "Role Based Access Control Administrator", s, { condition: "@Request[x] ForAnyOfAnyValues:GuidEquals {y}", conditionVersion: "2.0" })).inventory;
    expect(run(ownerWhereContributorWouldDo, inv)).toEqual([]);
  });

  it("is quiet when the identity has created role assignments (it manages access)", () => {
    const inv = setup((b, p, s) => {
      b.assign(p, "Owner", s);
      b.assign(b.group("readers"), "Reader", s, { createdBy: p });
    }).inventory;
    expect(run(ownerWhereContributorWouldDo, inv)).toEqual([]);
  });

  it("is quiet for identities Buildkite cannot log in as", () => {
    expect(run(ownerWhereContributorWouldDo, setup((b, p, s) => b.assign(p, "Owner", s), { federated: false }).inventory)).toEqual([]);
  });
});
