import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { parsePolicy } from "@trustscope/core";
import { sharedIdentityAcrossEnvironments } from "../src/rules/shared-identity-across-environments.ts";
import { run } from "./support.ts";

describe("shared-identity-across-environments", () => {
  it("fires when one identity trusts a production and a non-production pipeline", () => {
    const b = new InventoryBuilder();
    b.app("deployer", { credentials: [{ name: "p", subject: b.pipeline("app-prod") }, { name: "n", subject: b.pipeline("app-staging") }] });
    const [f] = run(sharedIdentityAcrossEnvironments, b.build());
    expect(f?.message).toMatch(/1 production and 1 non-production/);
    expect(f?.evidence[0]).toMatch(/app-prod.*default heuristic/);
  });

  it("fires through cluster trust when the cluster holds both (environment from the policy)", () => {
    const b = new InventoryBuilder();
    b.pipeline("payments", { cluster: "shared" });
    b.pipeline("docs", { cluster: "shared" });
    b.app("deployer", { credentials: [{ subject: b.cluster("shared") }] });
    const policy = parsePolicy("environments:\n  prod:\n    buildkite:\n      pipelines: [payments]\n", "trustscope.yaml");
    const [f] = run(sharedIdentityAcrossEnvironments, b.build(), policy);
    expect(f?.evidence[0]).toMatch(/matches environments.prod.buildkite.pipelines 'payments' in trustscope.yaml/);
  });

  it("is quiet for separate identities per environment", () => {
    const b = new InventoryBuilder();
    b.app("prod", { credentials: [{ subject: b.pipeline("app-prod") }] });
    b.app("nonprod", { credentials: [{ subject: b.pipeline("app-preprod") }] });
    expect(run(sharedIdentityAcrossEnvironments, b.build())).toEqual([]);
  });
});
