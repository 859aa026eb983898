import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { missingStorageDataRole } from "../src/rules/missing-storage-data-role.ts";
import { run } from "./support.ts";

function setup(sharedKey: boolean | null | undefined, dataRole?: { role: string; at: "account" | "rg" | "sub" }, manager = "Contributor") {
  const b = new InventoryBuilder();
  const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
  const sub = b.subscription("Contoso-NonProd");
  const rg = b.resourceGroup(sub, "rg-app");
  const sa = b.storageAccount(rg, "stapp", sharedKey);
  b.assign(app.principalId, manager, rg);
  if (dataRole) b.assign(app.principalId, dataRole.role, { account: sa, rg, sub }[dataRole.at]);
  return b.build();
}

describe("missing-storage-data-role", () => {
  it("fires when shared keys are off and the identity manages the account without a blob data role", () => {
    const [f] = run(missingStorageDataRole, setup(false));
    expect(f).toMatchObject({ severity: "medium", identity: { displayName: "deployer" } });
    expect(f!.scope).toMatch(/storageAccounts\/stapp$/);
    expect(f!.remediation).toMatch(/Storage Blob Data Contributor/);
  });

  it("fires for Owner too: management wildcards grant no data actions", () => {
    expect(run(missingStorageDataRole, setup(false, undefined, "Owner"))).toHaveLength(1);
  });

  it("is quiet with Storage Blob Data Contributor on the account", () => {
    expect(run(missingStorageDataRole, setup(false, { role: "Storage Blob Data Contributor", at: "account" }))).toEqual([]);
  });

  it("is quiet with a blob data role at a parent scope (inheritance)", () => {
    expect(run(missingStorageDataRole, setup(false, { role: "Storage Blob Data Reader", at: "sub" }))).toEqual([]);
  });

  it("is quiet with a blob data role on one of the account's containers", () => {
    const b = new InventoryBuilder();
    const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
    const rg = b.resourceGroup(b.subscription("Contoso-NonProd"), "rg-app");
    const sa = b.storageAccount(rg, "stapp", false);
    b.assign(app.principalId, "Contributor", rg);
    b.assign(app.principalId, "Storage Blob Data Contributor", `${sa}/blobServices/default/containers/artifacts`);
    expect(run(missingStorageDataRole, b.build())).toEqual([]);
  });

  it("still fires when the blob data role is on another account", () => {
    const b = new InventoryBuilder();
    const app = b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
    const rg = b.resourceGroup(b.subscription("Contoso-NonProd"), "rg-app");
    b.storageAccount(rg, "stapp", false);
    b.assign(app.principalId, "Contributor", rg);
    b.assign(app.principalId, "Storage Blob Data Contributor", b.storageAccount(rg, "stapp2", false));
    expect(run(missingStorageDataRole, b.build()).map((f) => f.scope?.split("/").pop())).toEqual(["stapp"]);
  });

  it("still fires when the only data role is for queues, not blobs", () => {
    expect(run(missingStorageDataRole, setup(false, { role: "Storage Queue Data Contributor", at: "account" }))).toHaveLength(1);
  });

  it("is quiet when shared-key access is absent (allowed by default), null, or true", () => {
    expect(run(missingStorageDataRole, setup(undefined))).toEqual([]);
    expect(run(missingStorageDataRole, setup(null))).toEqual([]);
    expect(run(missingStorageDataRole, setup(true))).toEqual([]);
  });

  it("is quiet when the identity cannot manage the account (Reader)", () => {
    expect(run(missingStorageDataRole, setup(false, undefined, "Reader"))).toEqual([]);
  });
});
