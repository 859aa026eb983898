/** The example custom rule, tested the way a rule author would test their own: public API only. */
import { describe, expect, it } from "vitest";
import { evaluate, validateRule, type Inventory } from "@trustscope/core";
import { InventoryBuilder } from "@trustscope/core/testing";
import rule, { productionOnlyFromCluster } from "./production-only-from-production-cluster.ts";

const NOW = new Date("2026-11-25T12:00:00Z");
const findings = (inventory: Inventory, r = rule) => evaluate({ inventory, rules: [r], now: NOW }).findings;

/** A deploy pipeline in `cluster` that logs in as an identity with Contributor on `subscription`. */
function tenant(cluster: string | null, subscription: string) {
  const b = new InventoryBuilder();
  const pipeline = b.pipeline("web-deploy", cluster ? { cluster } : {});
  const app = b.app("web-deployer", { credentials: [{ name: "web-deploy", subject: pipeline }] });
  b.assign(app.principalId, "Contributor", b.subscription(subscription));
  return b.build();
}

describe("example rule: production-only-from-production-cluster", () => {
  it("is a valid rule module", () => {
    expect(validateRule(rule, "example")).toBe(rule);
  });

  it("fires for a pipeline outside the Production cluster that reaches a production subscription", () => {
    const [f, ...rest] = findings(tenant("Non-production", "Contoso-Prod"));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ ruleId: "production-only-from-production-cluster", severity: "high", pipeline: { slug: "web-deploy" }, identity: { displayName: "web-deployer" } });
    expect(f!.message).toMatch(/cluster 'Non-production'.*'Contributor' at \/subscriptions\//);
    expect(f!.evidence.join("\n")).toMatch(/production because subscription 'Contoso-Prod' has 'prod' in its name/);
  });

  it("fires for an unclustered pipeline", () => {
    expect(findings(tenant(null, "Contoso-Prod"))[0]?.message).toMatch(/\(no cluster\)/);
  });

  it("is quiet for a pipeline in the Production cluster", () => {
    expect(findings(tenant("Production", "Contoso-Prod"))).toEqual([]);
  });

  it("is quiet when the subscription is not production", () => {
    expect(findings(tenant("Non-production", "Contoso-Dev"))).toEqual([]);
  });

  it("takes another cluster name", () => {
    expect(findings(tenant("Prod-EU", "Contoso-Prod"), productionOnlyFromCluster("Prod-EU"))).toEqual([]);
    expect(findings(tenant("Production", "Contoso-Prod"), productionOnlyFromCluster("Prod-EU"))).toHaveLength(1);
  });
});
