import { describe, expect, it } from "vitest";
import { DIFF_CHANGE_KINDS, diffInventories, renderDiffJson, renderDiffMarkdown, renderDiffTable, type Inventory, type InventoryDiff } from "@trustscope/core";
import { InventoryBuilder } from "@trustscope/core/testing";

/** A small organisation: clusters, pipelines, federated identities, assignments, storage. */
function base(): InventoryBuilder {
  const b = new InventoryBuilder();
  b.cluster("Production", ["prod-agents"]);
  b.cluster("Non-production", ["nonprod-agents"]);
  const deploy = b.pipeline("deploy-prod", { cluster: "Production", settings: { buildPullRequests: true, buildPullRequestForks: false } });
  b.pipeline("release-prod", { cluster: "Production" });
  b.pipeline("web", { cluster: "Non-production", settings: { buildPullRequests: false } });
  b.pipeline("docs", { cluster: "Non-production", visibility: "PUBLIC" });
  const sub = b.subscription("Contoso-Prod");
  const rg = b.resourceGroup(sub, "rg-app");
  const app = b.app("deployer", { credentials: [{ name: "deploy-prod", subject: deploy }] });
  const mi = b.managedIdentity("id-build", rg, [{ name: "nonprod-queue", subject: b.queueUuid("nonprod-agents") }]);
  b.app("unfederated");
  b.assign(app.principalId, "Contributor", rg);
  b.assign(mi.principalId, "Reader", rg);
  b.storageAccount(rg, "stlocked", false);
  b.storageAccount(rg, "stopen");
  return b;
}

const diff = (a: Inventory, b: Inventory) => diffInventories(a, b);
const kinds = (d: InventoryDiff) => d.changes.map((c) => `${c.kind}:${c.risk}`);

function shuffle<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The same inventory with every array that carries no order shuffled. */
function reorder(inv: Inventory, seed: number): Inventory {
  const r = structuredClone(inv);
  const bk = r.buildkite!;
  bk.pipelines = shuffle(bk.pipelines, seed);
  bk.clusters = shuffle(bk.clusters, seed + 1).map((c) => ({ ...c, queues: shuffle(c.queues, seed) }));
  r.entra!.applications = shuffle(r.entra!.applications, seed + 2).map((a) => ({ ...a, federatedIdentityCredentials: shuffle(a.federatedIdentityCredentials, seed) }));
  r.entra!.servicePrincipals = shuffle(r.entra!.servicePrincipals, seed + 3);
  const az = r.azure!;
  az.roleAssignments = shuffle(az.roleAssignments, seed + 4);
  az.roleDefinitions = shuffle(az.roleDefinitions, seed + 5);
  az.storageAccounts = shuffle(az.storageAccounts, seed + 6);
  az.managedIdentities = shuffle(az.managedIdentities, seed + 7).map((m) => ({ ...m, federatedIdentityCredentials: shuffle(m.federatedIdentityCredentials, seed) }));
  for (const a of az.roleAssignments) a.id = a.id.toUpperCase(); // ids compare case-insensitively
  return r;
}

describe("diffInventories: no change", () => {
  it("finds nothing between identical inventories", () => {
    const inv = base().build();
    const d = diff(inv, structuredClone(inv));
    expect(d.changes).toEqual([]);
    expect(d.summary).toEqual({ increases: 0, decreases: 0 });
    expect(d.notes).toEqual([]);
  });

  it("finds nothing between merely reordered inventories", () => {
    const b = base();
    b.app("second", { credentials: [{ name: "a", subject: b.orgUuid }, { name: "b", subject: b.cluster("Production") }] });
    b.assign(b.group("admins"), "Owner", b.subscription("Contoso-Prod"));
    const inv = b.build();
    for (const seed of [1, 7, 42, 99]) expect(diff(inv, reorder(inv, seed)).changes, `seed ${seed}`).toEqual([]);
  });

  it("ignores a renamed credential with the same issuer, subject and audiences", () => {
    const inv = base().build();
    const next = structuredClone(inv);
    next.entra!.applications[0]!.federatedIdentityCredentials[0]!.name = "renamed";
    expect(diff(inv, next).changes).toEqual([]);
  });
});

describe("diffInventories: federated credentials", () => {
  it("reports an added and a removed credential on an app registration and a managed identity", () => {
    const before = base();
    const after = base();
    after.raw.entra!.applications.find((a) => a.displayName === "deployer")!.federatedIdentityCredentials.push({
      name: "release",
      issuer: "https://agent.buildkite.com",
      subject: after.raw.buildkite!.pipelines.find((p) => p.slug === "release-prod")!.uuid,
      audiences: ["api://AzureADTokenExchange"],
    });
    after.raw.azure!.managedIdentities[0]!.federatedIdentityCredentials = [];
    const d = diff(before.build(), after.build());
    // The identity's Reader assignment was privileged only because the identity was federated.
    expect(kinds(d)).toEqual(["credential-added:increase", "credential-removed:decrease", "privileged-assignment-removed:decrease"]);
    expect(d.changes[2]!.details).toContain("the assignment still exists but is no longer privileged");
    expect(d.changes[0]!.summary).toBe(`Federated credential 'release' was added to app registration 'deployer' (client ID ${after.raw.entra!.applications[0]!.appId}).`);
    expect(d.changes[0]!.details).toContain("reaches 1 pipeline: release-prod");
    expect(d.changes[1]!.summary).toMatch(/'nonprod-queue' was removed from managed identity 'id-build'/);
    expect(d.changes[1]!.details).toContain("reaches 2 pipelines: docs, web");
  });

  it("reports credentials of a new identity as added, and a different subject under the same name as removed + added", () => {
    const before = base();
    const after = base();
    after.app("newcomer", { credentials: [{ name: "web", subject: after.raw.buildkite!.pipelines.find((p) => p.slug === "web")!.uuid }] });
    after.raw.entra!.applications[0]!.federatedIdentityCredentials[0]!.subject = after.raw.buildkite!.pipelines.find((p) => p.slug === "release-prod")!.uuid;
    const d = diff(before.build(), after.build());
    expect(kinds(d)).toEqual(["credential-added:increase", "credential-added:increase", "credential-removed:decrease"]);
    expect(d.changes.map((c) => c.summary).join("\n")).toMatch(/'newcomer'/);
  });

  it("reports a changed audience or issuer on the same name as changed", () => {
    const inv = base().build();
    const audience = structuredClone(inv);
    audience.entra!.applications[0]!.federatedIdentityCredentials[0]!.audiences = ["api://custom"];
    let d = diff(inv, audience);
    expect(kinds(d)).toEqual(["credential-changed:increase"]);
    expect(d.changes[0]!.summary).toMatch(/'deploy-prod' of app registration 'deployer' .* changed its audience\./);
    expect(d.changes[0]!.details).toContain("audiences: api://AzureADTokenExchange → api://custom");

    // A near-miss issuer (trailing slash) matches no token: fixing it increases risk, breaking it decreases it.
    const issuer = structuredClone(inv);
    issuer.entra!.applications[0]!.federatedIdentityCredentials[0]!.issuer = "https://agent.buildkite.com/";
    d = diff(inv, issuer);
    expect(kinds(d)).toEqual(["credential-changed:decrease"]);
    expect(d.changes[0]!.summary).toMatch(/changed its issuer\./);
    expect(d.changes[0]!.details).toContain("reaches 1 pipeline before, 0 pipelines after");
    expect(kinds(diff(issuer, inv))).toEqual(["credential-changed:increase"]);
  });
});

describe("diffInventories: subjects", () => {
  it("reports widening along pipeline → queue → cluster → organisation, with the pipelines reached", () => {
    const b = base();
    const inv = b.build();
    const subjects: [string, number][] = [
      [inv.buildkite!.pipelines.find((p) => p.slug === "deploy-prod")!.uuid, 1],
      [b.queueUuid("prod-agents"), 2],
      [b.cluster("Production"), 2],
      [b.orgUuid, 4],
    ];
    const withSubject = (s: string) => {
      const x = structuredClone(inv);
      x.entra!.applications[0]!.federatedIdentityCredentials[0]!.subject = s;
      return x;
    };
    for (let i = 0; i < subjects.length; i++) {
      for (let j = i + 1; j < subjects.length; j++) {
        const [from, fromReach] = subjects[i]!;
        const [to, toReach] = subjects[j]!;
        const wide = diff(withSubject(from), withSubject(to));
        expect(kinds(wide), `${i}→${j}`).toEqual(["subject-widened:increase"]);
        expect(wide.changes[0]!.summary).toContain(`(${fromReach} → ${toReach} pipeline${toReach === 1 ? "" : "s"})`);
        const narrow = diff(withSubject(to), withSubject(from));
        expect(kinds(narrow), `${j}→${i}`).toEqual(["subject-narrowed:decrease"]);
      }
    }
    const org = diff(withSubject(subjects[0]![0]), withSubject(b.orgUuid));
    expect(org.changes[0]!.summary).toMatch(/^Credential 'deploy-prod' of app registration 'deployer' .* widened from a pipeline to an organisation subject \(1 → 4 pipelines\)\.$/);
    expect(org.changes[0]!.details[1]).toBe(`after: ${b.orgUuid} (organisation 'acme'), reaching 4 pipelines: deploy-prod, docs, release-prod, web`);
  });

  it("widens a managed identity's credential too", () => {
    const b = base();
    const inv = b.build();
    const next = structuredClone(inv);
    next.azure!.managedIdentities[0]!.federatedIdentityCredentials[0]!.subject = b.orgUuid;
    const d = diff(inv, next);
    expect(kinds(d)).toEqual(["subject-widened:increase"]);
    expect(d.changes[0]!.summary).toMatch(/managed identity 'id-build'.*from a queue to an organisation subject \(2 → 4 pipelines\)/);
  });
});

describe("diffInventories: privileged role assignments", () => {
  it("reports Owner, User Access Administrator and a custom role that writes role assignments, never by name", () => {
    const before = base();
    const after = base();
    const admin = after.group("admins");
    const sub = after.subscription("Contoso-Prod");
    after.assign(admin, "Owner", sub);
    after.assign(admin, "User Access Administrator", `${sub}/resourceGroups/rg-app`);
    after.customRole("Harmless name", { actions: ["Microsoft.Authorization/roleAssignments/write"] });
    after.assign(admin, "Harmless name", sub);
    // Not privileged: a read role for someone who is no federated identity.
    after.assign(after.group("auditors"), "Reader", sub);
    const d = diff(before.build(), after.build());
    expect(kinds(d)).toEqual(Array(3).fill("privileged-assignment-added:increase"));
    expect(d.changes.map((c) => c.summary)).toEqual([
      expect.stringMatching(/^Privileged role assignment added: 'Harmless name' \(custom role\) for group 'admins'/),
      expect.stringMatching(/^Privileged role assignment added: 'Owner' for group 'admins'/),
      expect.stringMatching(/^Privileged role assignment added: 'User Access Administrator' for group 'admins'/),
    ]);
    expect(d.changes[0]!.details).toContain("the role allows Microsoft.Authorization/roleAssignments/write");
    expect(d.changes[1]!.details).toContain("the role allows every control-plane action (*)");

    // A role named like a privileged one is judged by its permissions.
    const named = base();
    named.customRole("Owner (read only)", { actions: ["*/read"] });
    named.assign(named.group("admins"), "Owner (read only)", named.subscription("Contoso-Prod"));
    expect(diff(before.build(), named.build()).changes).toEqual([]);
  });

  it("reports any assignment of a federated identity, and removal when it goes", () => {
    const before = base();
    const after = base();
    const mi = after.raw.azure!.managedIdentities[0]!;
    after.assign(mi.principalId, "Storage Blob Data Reader", after.subscription("Contoso-Prod"));
    const d = diff(before.build(), after.build());
    expect(kinds(d)).toEqual(["privileged-assignment-added:increase"]);
    expect(d.changes[0]!.details).toContain("the principal is a federated identity that 2 pipelines can log in as");
    expect(kinds(diff(after.build(), before.build()))).toEqual(["privileged-assignment-removed:decrease"]);
  });

  it("reports an existing assignment that became privileged because its principal became federated", () => {
    const before = base();
    const app = before.app("later-federated");
    before.assign(app.principalId, "Reader", before.subscription("Contoso-Prod"));
    const inv = before.build();
    const next = structuredClone(inv);
    next.entra!.applications.find((a) => a.displayName === "later-federated")!.federatedIdentityCredentials.push({
      name: "docs",
      issuer: "https://agent.buildkite.com",
      subject: inv.buildkite!.pipelines.find((p) => p.slug === "docs")!.uuid,
      audiences: ["api://AzureADTokenExchange"],
    });
    const d = diff(inv, next);
    expect(kinds(d)).toEqual(["credential-added:increase", "privileged-assignment-added:increase"]);
    expect(d.changes[1]!.details).toContain("the assignment existed before but was not privileged");
  });
});

describe("diffInventories: storage accounts and pipelines", () => {
  it("reports shared-key access gained and lost; absent or null means allowed", () => {
    const inv = base().build();
    const next = structuredClone(inv);
    const accounts = next.azure!.storageAccounts;
    delete accounts.find((s) => s.name === "stlocked")!.allowSharedKeyAccess; // false → absent: allowed
    accounts.find((s) => s.name === "stopen")!.allowSharedKeyAccess = false; // absent → false
    const d = diff(inv, next);
    expect(kinds(d)).toEqual(["shared-key-enabled:increase", "shared-key-disabled:decrease"]);
    expect(d.changes[0]!.summary).toBe("Storage account 'stlocked' now allows shared-key access.");
    expect(d.changes[1]!.summary).toBe("Storage account 'stopen' no longer allows shared-key access.");

    const nulls = structuredClone(inv);
    nulls.azure!.storageAccounts.find((s) => s.name === "stopen")!.allowSharedKeyAccess = null;
    nulls.azure!.storageAccounts.find((s) => s.name === "stopen")!.id = nulls.azure!.storageAccounts.find((s) => s.name === "stopen")!.id.toUpperCase();
    expect(diff(inv, nulls).changes).toEqual([]);

    const added = base();
    added.storageAccount(added.resourceGroup(added.subscription("Contoso-Prod"), "rg-new"), "stnew");
    expect(kinds(diff(inv, added.build()))).toEqual(["shared-key-enabled:increase"]);
  });

  it("reports fork builds turned on and off (with pull request builds), naming the credentials that trust the pipeline", () => {
    const inv = base().build();
    const next = structuredClone(inv);
    const deploy = next.buildkite!.pipelines.find((p) => p.slug === "deploy-prod")!;
    deploy.repository!.settings!.buildPullRequestForks = true;
    const d = diff(inv, next);
    expect(kinds(d)).toEqual(["fork-builds-enabled:increase"]);
    expect(d.changes[0]!.summary).toBe("Pipeline 'deploy-prod' builds pull requests from forks.");
    expect(d.changes[0]!.details).toContain("buildPullRequestForks: false → true");
    expect(d.changes[0]!.details.some((x) => /credential 'deploy-prod' of app registration 'deployer'/.test(x))).toBe(true);
    expect(kinds(diff(next, inv))).toEqual(["fork-builds-disabled:decrease"]);

    // Forks without pull request builds build nothing.
    const noPrs = structuredClone(inv);
    noPrs.buildkite!.pipelines.find((p) => p.slug === "web")!.repository!.settings!.buildPullRequestForks = true;
    expect(diff(inv, noPrs).changes).toEqual([]);
    noPrs.buildkite!.pipelines.find((p) => p.slug === "web")!.repository!.settings!.buildPullRequests = true;
    expect(kinds(diff(inv, noPrs))).toEqual(["fork-builds-enabled:increase"]);
  });

  it("reports a pipeline made public, and a new public pipeline", () => {
    const inv = base().build();
    const next = structuredClone(inv);
    next.buildkite!.pipelines.find((p) => p.slug === "release-prod")!.visibility = "PUBLIC";
    let d = diff(inv, next);
    expect(kinds(d)).toEqual(["pipeline-made-public:increase"]);
    expect(d.changes[0]!.summary).toBe("Pipeline 'release-prod' is public.");
    expect(d.changes[0]!.details).toContain("visibility: PRIVATE → PUBLIC");
    expect(diff(next, inv).changes).toEqual([]); // made private: nothing to review

    const added = base();
    added.pipeline("open-source", { visibility: "PUBLIC" });
    d = diff(inv, added.build());
    expect(d.changes.map((c) => c.summary)).toEqual(["New pipeline 'open-source' is public."]);
  });
});

describe("diffInventories: ordering, coverage and rendering", () => {
  function mixed(): [Inventory, Inventory] {
    const b = base();
    const inv = b.build();
    const next = structuredClone(inv);
    next.azure!.storageAccounts.find((s) => s.name === "stopen")!.allowSharedKeyAccess = false;
    next.azure!.storageAccounts.find((s) => s.name === "stlocked")!.allowSharedKeyAccess = true;
    next.entra!.applications[0]!.federatedIdentityCredentials[0]!.subject = b.orgUuid;
    next.azure!.managedIdentities[0]!.federatedIdentityCredentials = [];
    next.buildkite!.pipelines.find((p) => p.slug === "release-prod")!.visibility = "PUBLIC";
    return [inv, next];
  }

  it("sorts increases first, then by kind, then by summary, whatever the input order", () => {
    const [inv, next] = mixed();
    const d = diff(inv, next);
    expect(kinds(d)).toEqual([
      "subject-widened:increase",
      "pipeline-made-public:increase",
      "shared-key-enabled:increase",
      "credential-removed:decrease",
      "privileged-assignment-removed:decrease",
      "shared-key-disabled:decrease",
    ]);
    expect(d.summary).toEqual({ increases: 3, decreases: 3 });
    for (const seed of [3, 5, 8]) {
      // Assignment ids are upper-cased by reorder(), which shows in the details only.
      const r = diff(reorder(inv, seed), reorder(next, seed + 1));
      expect(r.changes.map((c) => [c.kind, c.risk, c.summary])).toEqual(d.changes.map((c) => [c.kind, c.risk, c.summary]));
      expect(r.summary).toEqual(d.summary);
    }
    const ranks = d.changes.map((c) => DIFF_CHANGE_KINDS.indexOf(c.kind));
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
  });

  it("compares only the sides both snapshots collected, and says so", () => {
    const inv = base().build();
    const partial = structuredClone(inv);
    delete partial.azure;
    partial.azure = undefined;
    const d = diff(inv, partial);
    expect(d.changes).toEqual([]);
    expect(d.notes).toEqual(["Azure Resource Manager was collected in only one of the snapshots, so its changes were not compared"]);
  });

  it("renders JSON, a table and Markdown", () => {
    const [inv, next] = mixed();
    inv.collectedAt = "2026-01-01T00:00:00Z";
    const d = diff(inv, next);
    const json = JSON.parse(renderDiffJson(d)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(["schemaVersion", "old", "new", "changes", "summary"]);
    expect(json.schemaVersion).toBe(1);
    expect(json.old).toEqual({ collectedAt: "2026-01-01T00:00:00Z" });
    expect(json.new).toEqual({});
    expect(json.summary).toEqual({ increases: 3, decreases: 3 });

    const table = renderDiffTable(d);
    expect(table).toMatch(/^INCREASE {2}subject-widened$/m);
    expect(table).toMatch(/^DECREASE {2}shared-key-disabled$/m);
    expect(table).toMatch(/^6 trust change\(s\): 3 increase risk, 3 decrease risk\.\n$/m);
    expect(table).not.toContain("\u001b");
    expect(renderDiffTable(d, { color: true })).toContain("\u001b[31mINCREASE");
    expect(renderDiffTable(diff(inv, inv))).toMatch(/No trust changes\./);

    const md = renderDiffMarkdown(d);
    expect(md).toMatch(/^### 🟥 Risk increases \(3\)$/m);
    expect(md).toMatch(/^### 🟩 Risk decreases \(3\)$/m);
    expect(md).toMatch(/^- \*\*`pipeline-made-public`\*\* Pipeline 'release-prod' is public\.$/m);
  });
});
