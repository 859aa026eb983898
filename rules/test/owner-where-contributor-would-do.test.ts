import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { ownerWhereContributorWouldDo } from "../src/rules/owner-where-contributor-would-do.ts";
import { run } from "./support.ts";
import { op, ownerOnManagementGroup, withActivity } from "./activity-support.ts";

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

  describe("with the Activity Log", () => {
    it("fires with the log as evidence when the identity wrote no role assignment in the window", () => {
      const { inventory, app, sub } = setup((b, p, s) => b.assign(p, "Owner", s));
      const [f] = run(ownerWhereContributorWouldDo, withActivity(inventory, [{ principal: app.principalId, subscription: sub, operations: [op("Microsoft.Web/sites/write", [`${sub}/resourceGroups/rg/providers/Microsoft.Web/sites/app`])] }]));
      expect(f?.severity).toBe("high");
      const line = f!.evidence.find((e) => e.includes("Activity Log"));
      expect(line).toBe(
        `no Microsoft.Authorization/roleAssignments/write (nor any other Microsoft.Authorization write or delete) by this identity in the last 90 days in subscription ${sub.split("/")[2]} (Activity Log, 2026-08-27T12:00:00Z…2026-11-25T12:00:00Z)`,
      );
    });

    it("is quiet when the identity assigned roles under the grant 80 days ago", () => {
      const { inventory, app, sub } = setup((b, p, s) => b.assign(p, "Owner", s));
      const write = op("Microsoft.Authorization/roleAssignments/write", [`${sub}/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/0b5e6f1a`], {
        first: "2026-09-06T09:12:00Z",
        last: "2026-09-06T09:12:00Z",
      });
      expect(run(ownerWhereContributorWouldDo, withActivity(inventory, [{ principal: app.principalId, subscription: sub, operations: [write] }]))).toEqual([]);
    });

    it("is quiet for a lock written under the grant (Contributor's notActions exclude it too), whatever the case", () => {
      const { inventory, app, sub } = setup((b, p, s) => b.assign(p, "Owner", s));
      const lock = op("MICROSOFT.AUTHORIZATION/LOCKS/WRITE", [`${sub}/resourceGroups/rg/providers/Microsoft.Authorization/locks/keep`]);
      expect(run(ownerWhereContributorWouldDo, withActivity(inventory, [{ principal: app.principalId, subscription: sub, operations: [lock] }]))).toEqual([]);
    });

    it("still fires when the role assignments it wrote are outside the grant's scope", () => {
      const b = new InventoryBuilder();
      const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
      const sub = b.subscription("Contoso-NonProd");
      b.assign(app.principalId, "Owner", `${sub}/resourceGroups/rg-app`);
      const elsewhere = op("Microsoft.Authorization/roleAssignments/write", [`${sub}/resourceGroups/rg-other/providers/Microsoft.Authorization/roleAssignments/1`]);
      const [f] = run(ownerWhereContributorWouldDo, withActivity(b.build(), [{ principal: app.principalId, subscription: sub, operations: [elsewhere] }]));
      expect(f?.evidence.some((e) => e.startsWith("no Microsoft.Authorization/roleAssignments/write"))).toBe(true);
    });

    it("counts a write whose kept scopes were cut short as under the grant (quiet)", () => {
      const b = new InventoryBuilder();
      const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
      const sub = b.subscription("Contoso-NonProd");
      b.assign(app.principalId, "Owner", `${sub}/resourceGroups/rg-app`);
      const many = op("Microsoft.Authorization/roleAssignments/write", [`${sub}/resourceGroups/rg-other/providers/Microsoft.Authorization/roleAssignments/1`], { moreScopes: 30 });
      expect(run(ownerWhereContributorWouldDo, withActivity(b.build(), [{ principal: app.principalId, subscription: sub, operations: [many] }]))).toEqual([]);
    });

    it("expands a management group grant to its subscriptions, and adds no log evidence while one read is missing", () => {
      const { b, app, one, two } = ownerOnManagementGroup("platform", ["Contoso-One", "Contoso-Two"]);
      const both = run(ownerWhereContributorWouldDo, withActivity(b.build(), [{ principal: app.principalId, subscription: one }, { principal: app.principalId, subscription: two }]));
      const ids = [one, two].map((s) => s.split("/")[2]).sort();
      expect(both[0]?.evidence.join("\n")).toContain(`in subscriptions ${ids.join(", ")} (Activity Log`);
      // A write in the second subscription makes it quiet: the grant applies there too.
      const wrote = op("Microsoft.Authorization/roleAssignments/write", [`${two}/providers/Microsoft.Authorization/roleAssignments/1`]);
      expect(run(ownerWhereContributorWouldDo, withActivity(b.build(), [{ principal: app.principalId, subscription: one }, { principal: app.principalId, subscription: two, operations: [wrote] }]))).toEqual([]);
      // The second subscription's read failed: as without the log.
      const gap = run(ownerWhereContributorWouldDo, withActivity(b.build(), [{ principal: app.principalId, subscription: one }]));
      expect(gap).toHaveLength(1);
      expect(gap[0]!.evidence.some((e) => e.includes("Activity Log"))).toBe(false);
    });

    it("does not take a managed identity's empty log as proof", () => {
      const b = new InventoryBuilder();
      const sub = b.subscription("Contoso-NonProd");
      const mi = b.managedIdentity("deployer-mi", b.resourceGroup(sub, "rg-identities"), [{ subject: b.pipeline("deploy") }]);
      b.assign(mi.principalId, "Owner", sub);
      const [f] = run(ownerWhereContributorWouldDo, withActivity(b.build(), [{ principal: mi.principalId, subscription: sub }]));
      expect(f?.evidence.find((e) => e.includes("Activity Log"))).toMatch(/may be incomplete for managed identities, so this proves nothing$/);
      expect(f?.evidence.some((e) => e.startsWith("no Microsoft.Authorization/roleAssignments/write"))).toBe(false);
    });
  });
});

describe("owner-where-contributor-would-do on identities other issuers log in as", () => {
  it("fires for an app only GitHub Actions and a cluster can log in as, and names them in its evidence", () => {
    const b = new InventoryBuilder();
    const app = b.app("gh-deployer", {
      credentials: [
        { name: "main", issuer: "https://token.actions.githubusercontent.com", subject: "repo:acme/infra:ref:refs/heads/main" },
        { name: "aks", issuer: "https://oidc.prod-aks.azure.com/tenant/issuer/", subject: "system:serviceaccount:platform:deployer" },
      ],
    });
    b.assign(app.principalId, "Owner", b.subscription("Contoso-NonProd"));
    const [f, ...rest] = run(ownerWhereContributorWouldDo, b.build());
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "high", identity: { displayName: "gh-deployer" } });
    expect(f!.evidence.at(-1)).toBe(
      "also trusted outside Buildkite: GitHub Actions: branch 'main' of GitHub repository 'acme/infra' (credential 'main'), Kubernetes: service account 'deployer' in Kubernetes namespace 'platform' (credential 'aks')",
    );
  });

  it("stays quiet for an app with no federated credential of any issuer", () => {
    expect(run(ownerWhereContributorWouldDo, setup((b, p, s) => b.assign(p, "Owner", s), { federated: false }).inventory)).toEqual([]);
  });
});
