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

describe("shared-identity-across-environments with other issuers", () => {
  const GITHUB = "https://token.actions.githubusercontent.com";
  it("counts a GitHub pull request or staging environment beside a production pipeline or environment", () => {
    const b = new InventoryBuilder();
    b.app("deployer", {
      credentials: [
        { name: "prod", subject: b.pipeline("app-prod") },
        { name: "pr", issuer: GITHUB, subject: "repo:acme/app:pull_request" },
      ],
    });
    const [f] = run(sharedIdentityAcrossEnvironments, b.build());
    expect(f?.message).toMatch(/1 production and 1 non-production workload\(s\)/);
    expect(f?.evidence[1]).toMatch(/non-production: GitHub Actions: pull requests of GitHub repository 'acme\/app' \(.*pull requests are not production\)/);

    const gh = new InventoryBuilder();
    gh.app("web", { credentials: [{ name: "live", issuer: GITHUB, subject: "repo:acme/web:environment:production" }, { name: "stage", issuer: GITHUB, subject: "repo:acme/web:environment:staging" }] });
    expect(run(sharedIdentityAcrossEnvironments, gh.build())[0]?.evidence[0]).toMatch(/^production: GitHub Actions: environment 'production' of GitHub repository 'acme\/web' \(GitHub environment 'production'/);
  });

  it("is quiet when the other workload's environment is unknown (a main branch) or production too", () => {
    const b = new InventoryBuilder();
    b.app("deployer", {
      credentials: [
        { name: "prod", subject: b.pipeline("app-prod") },
        { name: "main", issuer: GITHUB, subject: "repo:acme/app:ref:refs/heads/main" },
        { name: "env", issuer: GITHUB, subject: "repo:acme/app:environment:production" },
      ],
    });
    expect(run(sharedIdentityAcrossEnvironments, b.build())).toEqual([]);
  });
});
