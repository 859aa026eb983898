import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { wildcardClaimsExpression } from "../src/rules/wildcard-claims-expression.ts";
import { wildcardExpression } from "../src/rules/wildcard-expression.ts";
import { deployer, repository, withGitHub } from "./github-support.ts";
import { run } from "./support.ts";

const ORG_WIDE = "claims['sub'] matches 'repo:contoso/*'";

describe("wildcard-expression", () => {
  it("is critical for an owner-wide GitHub expression on an identity that can change production, and wildcard-claims-expression steps aside", () => {
    const inventory = deployer([{ expression: ORG_WIDE }]).build();
    const [f, ...rest] = run(wildcardExpression, inventory);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "critical", credential: { claimsMatchingExpression: { value: ORG_WIDE } }, anchor: "/entra/applications/0/federatedIdentityCredentials/0" });
    expect(f!.scope).toMatch(/^\/subscriptions\//);
    expect(f!.message).toContain(ORG_WIDE);
    expect(f!.message).toMatch(/more than one repository/);
    expect(f!.evidence.join("\n")).toMatch(/production because subscription 'Contoso-Prod'/);
    expect(run(wildcardClaimsExpression, inventory)).toEqual([]);
  });

  it("names the repositories GitHub listed that the expression accepts, when GitHub was read", () => {
    const b = withGitHub(deployer([{ expression: "claims['sub'] matches 'repo:contoso/*:ref:refs/heads/main'" }]), {
      repositories: [
        repository("contoso/app", { oidcSubject: { useDefault: true } }),
        repository("contoso/lib", { defaultBranch: "trunk", oidcSubject: { useDefault: true } }),
        repository("contoso/site"),
        repository("contoso/custom", { oidcSubject: { useDefault: false, includeClaimKeys: ["repository_id", "context"] } }),
        repository("contoso/new", { oidcSubject: { useDefault: true, useImmutableSubject: true } }),
        repository("fabrikam/app"),
      ],
    });
    const [f] = run(wildcardExpression, b.build());
    // contoso/lib deploys from trunk, which the pattern does not accept; fabrikam is another owner;
    // contoso/custom and contoso/new get subjects in another form; contoso/site's template was not read.
    expect(f!.evidence).toContain("of the 6 repositories GitHub listed, 1 has workflows it accepts (on their default branch or pull requests): contoso/app");
    expect(f!.evidence).toContain("1 more listed repository would (their subject templates were not read; GitHub's default assumed): contoso/site");
    // Without GitHub's listing, nothing is claimed about which repositories.
    expect(run(wildcardExpression, deployer([{ expression: ORG_WIDE }]).build())[0]!.evidence.some((e) => /GitHub listed/.test(e))).toBe(false);
  });

  it("is high when every production grant is read-only", () => {
    const [f] = run(wildcardExpression, deployer([{ expression: ORG_WIDE }], "Reader").build());
    expect(f?.severity).toBe("high");
    expect(f?.scope).toMatch(/^\/subscriptions\//);
  });

  it("leaves identities without production access to wildcard-claims-expression", () => {
    const dev = deployer([{ expression: ORG_WIDE }], "Contributor", "Contoso-Dev").build();
    expect(run(wildcardExpression, dev)).toEqual([]);
    expect(run(wildcardClaimsExpression, dev)[0]?.severity).toBe("medium");
    const none = deployer([{ expression: ORG_WIDE }], null).build();
    expect(run(wildcardExpression, none)).toEqual([]);
    expect(run(wildcardClaimsExpression, none)[0]?.severity).toBe("medium");
  });

  it("fires for every branch of one repository", () => {
    expect(run(wildcardExpression, deployer([{ expression: "claims['sub'] matches 'repo:contoso/app:ref:refs/heads/*'" }]).build())[0]?.message).toMatch(/every branch/);
    expect(run(wildcardExpression, deployer([{ expression: "claims['sub'] matches 'repo:contoso/app:*'" }]).build())[0]?.severity).toBe("critical");
  });

  it("fires for every service account of a namespace and for more than one Terraform Cloud workspace", () => {
    const b = new InventoryBuilder();
    const sub = b.subscription("Contoso-Prod");
    const mi = b.managedIdentity("id-aks", b.resourceGroup(sub, "rg-aks"), [{ name: "aks", issuer: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/", expression: "claims['sub'] matches 'system:serviceaccount:payments:*'" }]);
    b.assign(mi.principalId, "Contributor", sub);
    const [k8s] = run(wildcardExpression, b.build());
    expect(k8s).toMatchObject({ severity: "critical", identity: { kind: "managedIdentity" }, anchor: "/azure/managedIdentities/0/federatedIdentityCredentials/0" });
    expect(k8s!.message).toMatch(/every service account/);

    const tfc = deployer([{ issuer: "https://app.terraform.io", expression: "claims['sub'] matches 'organization:acme:project:*:workspace:*:run_phase:apply'" }]).build();
    const [t] = run(wildcardExpression, tfc);
    expect(t?.severity).toBe("critical");
    expect(t?.message).toMatch(/more than one Terraform Cloud workspace/);
  });

  it("is quiet for pinned expressions, expressions that reach one workload, subjects and Buildkite's issuer", () => {
    for (const expression of [
      "claims['sub'] eq 'repo:contoso/app:environment:production'",
      "claims['sub'] matches 'repo:contoso/app:ref:refs/heads/main'",
      "claims['sub'] matches 'repo:contoso/app:environment:*'",
    ]) {
      expect(run(wildcardExpression, deployer([{ expression }]).build()), expression).toEqual([]);
    }
    // Every environment of one repository stays wildcard-claims-expression's.
    expect(run(wildcardClaimsExpression, deployer([{ expression: "claims['sub'] matches 'repo:contoso/app:environment:*'" }]).build())[0]?.severity).toBe("critical");
    expect(run(wildcardExpression, deployer([{ subject: "repo:contoso/app:ref:refs/heads/main" }], "Owner").build())).toEqual([]);
    const bk = deployer([{ issuer: "https://agent.buildkite.com", expression: "claims['sub'] matches 'organization:acme:pipeline:*'" }], "Owner").build();
    expect(run(wildcardExpression, bk)).toEqual([]);
    expect(run(wildcardClaimsExpression, bk)[0]?.severity).toBe("low");
  });

  it("counts an expression that does not constrain the subject, or cannot be read, as reaching everything", () => {
    expect(run(wildcardExpression, deployer([{ expression: "claims['job_workflow_ref'] eq 'contoso/shared/.github/workflows/deploy.yml@refs/heads/main'" }]).build())[0]?.severity).toBe("critical");
    expect(run(wildcardExpression, deployer([{ expression: "claims['sub'] startswith 'repo:contoso/'" }]).build())[0]?.severity).toBe("critical");
  });
});
