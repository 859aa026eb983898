import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "../src/testing/index.ts";
import { EnvironmentClassifier, nameLooksNonProduction, nameLooksProduction } from "../src/policy/environments.ts";
import { readTrust } from "../src/issuers/read-trust.ts";
import { parsePolicy } from "../src/policy/load-policy.ts";
import { DEFAULT_POLICY } from "../src/policy/policy.ts";
import { readPipelineOidcUse } from "../src/buildkite/oidc.ts";

describe("default production heuristic", () => {
  it.each(["prod", "Contoso-Prod", "app_production", "payments.prd", "ProdWeb", "deploy prod"])("%s is production", (n) => {
    expect(nameLooksProduction(n)).toBeDefined();
  });
  it.each(["nonprod", "non-prod", "preprod", "pre-prod", "pre-production", "Contoso-NonProd", "product", "prodigy", "staging", "dev"])("%s is not production", (n) => {
    expect(nameLooksProduction(n)).toBeUndefined();
  });
});

describe("EnvironmentClassifier", () => {
  function world() {
    const b = new InventoryBuilder();
    b.cluster("Production", ["deploy-agents"]);
    const mg = b.managementGroup("mg-payments");
    const prodSub = b.subscription("Payments", { tags: { Environment: "Production" }, managementGroup: mg });
    const taggedDev = b.subscription("legacy-prod-copy", { tags: { env: "dev" } });
    const rg = b.resourceGroup(b.subscription("Shared"), "rg-web-prod");
    const p1 = b.pipeline("web", { cluster: "Production" });
    const p2 = b.pipeline("web-prod");
    const p3 = b.pipeline("tests", { stepsYaml: "steps:\n  - command: x\n    agents: { queue: deploy-agents }\n" });
    const p4 = b.pipeline("docs");
    return { b, inv: b.build(), prodSub, taggedDev, rg, mg, p: [p1, p2, p3, p4] };
  }
  const classifier = (inv: ReturnType<typeof world>["inv"], policy = DEFAULT_POLICY) =>
    new EnvironmentClassifier(inv, policy, new Map(inv.buildkite!.pipelines.flatMap((p) => { const u = readPipelineOidcUse(p.stepsYaml); return u ? [[p.uuid.toLowerCase(), u]] : []; })));

  it("uses tags before names, and says which fact decided", () => {
    const w = world();
    const c = classifier(w.inv);
    expect(c.scope(w.prodSub)).toEqual({ production: true, reason: "subscription 'Payments' has tag Environment=Production" });
    expect(c.scope(w.taggedDev).production).toBe(false); // env=dev outranks the name
    expect(c.scope(w.rg).reason).toBe("resource group 'rg-web-prod' has 'prod' in its name (default heuristic)");
    expect(c.scope(`${w.prodSub}/resourceGroups/x/providers/Microsoft.Storage/storageAccounts/y`).reason).toMatch(/subscription 'Payments'/);
  });

  it("an assignment at a management group above production touches production", () => {
    const w = world();
    const c = classifier(w.inv);
    expect(c.scope(w.mg).production).toBe(false);
    expect(c.touchesProduction(w.mg).reason).toMatch(/^it contains production scope \/subscriptions\/.*: subscription 'Payments' has tag/);
    expect(c.touchesProduction("/").production).toBe(true);
  });

  it("classifies pipelines by name, cluster and targeted queue", () => {
    const w = world();
    const c = classifier(w.inv);
    const [byCluster, byName, byQueue, none] = w.inv.buildkite!.pipelines;
    expect(c.pipeline(byCluster!).reason).toBe("cluster 'Production' has 'production' in its name (default heuristic)");
    expect(c.pipeline(byName!).reason).toMatch(/pipeline 'web-prod' has 'prod'/);
    expect(c.pipeline(byQueue!).production).toBe(false); // 'deploy-agents' has no prod word
    expect(c.pipeline(none!).production).toBe(false);
  });

  it("with an environments section, only what it names is production", () => {
    const w = world();
    const policy = parsePolicy(
      "environments:\n  prod:\n    buildkite:\n      queues: [deploy-*]\n      pipelines: [docs]\n    azure:\n      subscriptions: [Shared]\n      tags: { env: dev }\n",
      "trustscope.yaml",
    );
    const c = classifier(w.inv, policy);
    const [byCluster, byName, byQueue, docs] = w.inv.buildkite!.pipelines;
    expect(c.pipeline(byCluster!).production).toBe(false); // heuristics are off
    expect(c.pipeline(byName!).production).toBe(false);
    expect(c.pipeline(byQueue!).reason).toBe("pipeline 'tests' targets queue 'deploy-agents', which matches environments.prod.buildkite.queues 'deploy-*' in trustscope.yaml");
    expect(c.pipeline(docs!).reason).toMatch(/matches environments.prod.buildkite.pipelines 'docs'/);
    expect(c.scope(w.prodSub).production).toBe(false);
    expect(c.scope(w.rg).reason).toMatch(/subscription 'Shared' matches environments.prod.azure.subscriptions 'Shared'/);
    expect(c.scope(w.taggedDev).reason).toMatch(/has tag env=dev \(environments.prod.azure.tags/);
  });

  it("a policy whose environments name no prod environment makes nothing production", () => {
    const w = world();
    const c = classifier(w.inv, parsePolicy("environments:\n  staging:\n    buildkite:\n      pipelines: ['*']\n", "t.yaml"));
    expect(w.inv.buildkite!.pipelines.some((p) => c.pipeline(p).production)).toBe(false);
    expect(c.scope(w.prodSub).production).toBe(false);
  });
});

describe("other issuers' workloads", () => {
  const GITHUB = "https://token.actions.githubusercontent.com";
  const credential = (subject: string, issuer = GITHUB) => ({ name: "c", issuer, subject, audiences: ["api://AzureADTokenExchange"] });
  const verdict = (policy: Parameters<typeof parsePolicy>[0] | undefined, subject: string, issuer?: string) => {
    const classifier = new EnvironmentClassifier(new InventoryBuilder().build(), policy === undefined ? DEFAULT_POLICY : parsePolicy(policy, "trustscope.yaml"));
    return classifier.workload(readTrust(credential(subject, issuer)), subject);
  };

  it.each(["staging", "dev", "QA", "sandbox", "non-prod", "preprod", "uat"])("'%s' says it is not production", (n) => {
    expect(nameLooksNonProduction(n)).toBeDefined();
  });
  it.each(["production", "prod-eu", "main", "release", "deploy"])("'%s' does not say it is not production", (n) => {
    expect(nameLooksNonProduction(n)).toBeUndefined();
  });

  it("judges a GitHub environment, Kubernetes namespace or Terraform Cloud workspace by its name; a branch says neither; a pull request is never production", () => {
    expect(verdict(undefined, "repo:acme/app:environment:production")).toMatchObject({ production: true, reason: expect.stringMatching(/GitHub environment 'production'/) });
    expect(verdict(undefined, "repo:acme/app:environment:staging")).toMatchObject({ production: false, nonProduction: expect.stringMatching(/'staging'/) });
    expect(verdict(undefined, "repo:acme/app:ref:refs/heads/main")).toEqual({ production: false });
    expect(verdict(undefined, "repo:acme/app:pull_request")).toMatchObject({ production: false, nonProduction: expect.stringMatching(/pull requests are not production/) });
    expect(verdict(undefined, "system:serviceaccount:payments-prod:deployer", "https://oidc.prod-aks.azure.com/t/i/")).toMatchObject({ production: true, reason: expect.stringMatching(/Kubernetes namespace 'payments-prod'/) });
    expect(verdict(undefined, "organization:acme:project:web:workspace:web-dev:run_phase:apply", "https://app.terraform.io")).toMatchObject({ nonProduction: expect.stringMatching(/workspace 'web-dev'/) });
  });

  it("with environments.prod.workloads, a matching subject is production and every other is not", () => {
    const policy = "environments:\n  prod:\n    workloads: ['repo:acme/*:environment:live']\n";
    expect(verdict(policy, "repo:acme/app:environment:live")).toMatchObject({ production: true, reason: expect.stringMatching(/matches environments.prod.workloads 'repo:acme\/\*:environment:live' in trustscope.yaml/) });
    expect(verdict(policy, "repo:acme/app:environment:production")).toMatchObject({ production: false, nonProduction: expect.stringMatching(/matches none of environments.prod.workloads/) });
    // Without a workloads list, a configured policy leaves workloads to their names.
    expect(verdict("environments:\n  prod:\n    buildkite:\n      pipelines: [x]\n", "repo:acme/app:environment:production")).toMatchObject({ production: true });
  });

  it("rejects a workloads list that is not a list of strings, naming the line", () => {
    expect(() => parsePolicy("environments:\n  prod:\n    workloads: repo:acme/app\n", "trustscope.yaml")).toThrow(/environments.prod.workloads must be a list of strings/);
  });
});
