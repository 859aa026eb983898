import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { clientSecretOnFederatedApp } from "../src/rules/client-secret-on-federated-app.ts";
import { run } from "./support.ts";

const LIVE = { keyId: "11111111-1111-4111-8111-111111111111", displayName: "ci", hint: "abc", endDateTime: "2027-01-01T00:00:00Z" };
const EXPIRED = { keyId: "22222222-2222-4222-8222-222222222222", displayName: "old", hint: "xyz", endDateTime: "2024-01-01T00:00:00Z" };

function setup(secrets: object[], federated = true) {
  const b = new InventoryBuilder();
  b.app("deployer", { credentials: federated ? [{ subject: b.pipeline("deploy") }] : [], secrets: secrets as never });
  return b.build();
}

describe("client-secret-on-federated-app", () => {
  it("fires when an app that trusts Buildkite still has a valid secret", () => {
    const [f] = run(clientSecretOnFederatedApp, setup([LIVE, EXPIRED]));
    expect(f).toMatchObject({ severity: "medium" });
    expect(f!.message).toMatch(/1 valid client secret/);
    expect(f!.evidence.join("\n")).toContain(LIVE.keyId);
  });

  it("keeps its fingerprint when a secret is rotated", () => {
    const ROTATED = { ...LIVE, keyId: "33333333-3333-4333-8333-333333333333" };
    expect(run(clientSecretOnFederatedApp, setup([ROTATED]))[0]?.fingerprint).toBe(run(clientSecretOnFederatedApp, setup([LIVE]))[0]?.fingerprint);
  });

  it("never prints the secret hint", () => {
    const [f] = run(clientSecretOnFederatedApp, setup([LIVE]));
    expect(JSON.stringify(f)).not.toContain("abc");
  });

  it("reports only info when every secret has expired", () => {
    expect(run(clientSecretOnFederatedApp, setup([EXPIRED]))[0]?.severity).toBe("info");
  });

  it("is quiet without secrets, and for apps that do not trust Buildkite", () => {
    expect(run(clientSecretOnFederatedApp, setup([]))).toEqual([]);
    expect(run(clientSecretOnFederatedApp, setup([LIVE], false))).toEqual([]);
  });
});
