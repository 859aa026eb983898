import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import type { AzureCloudName } from "@trustscope/core";
import { unexpectedAudience } from "../src/rules/unexpected-audience.ts";
import { run } from "./support.ts";

function withAudiences(audiences: string[], cloud: AzureCloudName = "AzureCloud") {
  const b = new InventoryBuilder({ cloud });
  b.app("deployer", { credentials: [{ subject: b.pipeline("deploy"), audiences }] });
  return b.build();
}

describe("unexpected-audience", () => {
  it("fires for a custom audience", () => {
    const [f] = run(unexpectedAudience, withAudiences(["https://buildkite.com/acme"]));
    expect(f?.message).toMatch(/custom audience 'https:\/\/buildkite.com\/acme'/);
    expect(f?.remediation).toMatch(/api:\/\/AzureADTokenExchange/);
  });

  it("fires for another cloud's audience", () => {
    const [f] = run(unexpectedAudience, withAudiences(["api://AzureADTokenExchangeUSGov"]));
    expect(f?.message).toMatch(/audience of another cloud/);
  });

  it("fires for more than one audience", () => {
    expect(run(unexpectedAudience, withAudiences(["api://AzureADTokenExchange", "x"]))[0]?.message).toMatch(/2 audiences/);
  });

  it("is quiet for the cloud's own audience", () => {
    expect(run(unexpectedAudience, withAudiences(["api://AzureADTokenExchange"]))).toEqual([]);
    expect(run(unexpectedAudience, withAudiences(["api://AzureADTokenExchangeUSGov"], "AzureUSGovernment"))).toEqual([]);
    expect(run(unexpectedAudience, withAudiences(["api://AzureADTokenExchangeChina"], "AzureChinaCloud"))).toEqual([]);
  });

  it("is case-sensitive like Entra", () => {
    expect(run(unexpectedAudience, withAudiences(["api://azureadtokenexchange"]))).toHaveLength(1);
  });
});
