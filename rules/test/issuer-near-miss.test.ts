import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { issuerNearMiss } from "../src/rules/issuer-near-miss.ts";
import { run } from "./support.ts";

function withIssuer(issuer: string) {
  const b = new InventoryBuilder();
  b.app("deployer", { credentials: [{ subject: b.pipeline("deploy"), issuer }] });
  return b.build();
}

describe("issuer-near-miss", () => {
  for (const issuer of ["https://agent.buildkite.com/", "http://agent.buildkite.com", "https://Agent.Buildkite.com", " https://agent.buildkite.com", "agent.buildkite.com"]) {
    it(`fires for ${JSON.stringify(issuer)}`, () => {
      const [f] = run(issuerNearMiss, withIssuer(issuer));
      expect(f).toMatchObject({ ruleId: "issuer-near-miss", severity: "medium", credential: { issuer } });
    });
  }

  it("is quiet for the exact issuer and for other issuers (GitHub, AKS)", () => {
    expect(run(issuerNearMiss, withIssuer("https://agent.buildkite.com"))).toEqual([]);
    expect(run(issuerNearMiss, withIssuer("https://token.actions.githubusercontent.com"))).toEqual([]);
  });

  it("a near-miss credential reaches no pipeline", async () => {
    const { buildTrustGraph } = await import("@trustscope/core");
    const g = buildTrustGraph(withIssuer("https://agent.buildkite.com/"));
    expect(g.edges[0]?.reach).toEqual([]);
  });
});
