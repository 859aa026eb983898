import { describe, expect, it } from "vitest";
import { InventoryBuilder, type CredentialSpec } from "@trustscope/core/testing";
import { unresolvedSubject } from "../src/rules/unresolved-subject.ts";
import { wildcardClaimsExpression } from "../src/rules/wildcard-claims-expression.ts";
import { wildcardExpression } from "../src/rules/wildcard-expression.ts";
import { run } from "./support.ts";

const GITHUB = "https://token.actions.githubusercontent.com";

/** A GitHub-trusting app with one flexible credential and one role at a subscription. */
function app(expression: string, role = "Contributor", subName = "Contoso-Prod", extra: Partial<CredentialSpec> = {}) {
  const b = new InventoryBuilder();
  const ids = b.app("gh-deployer", { credentials: [{ name: "flex", issuer: GITHUB, expression, ...extra }] });
  b.assign(ids.principalId, role, b.subscription(subName));
  return b;
}

describe("wildcard-claims-expression", () => {
  it("fires critical for a wildcard whose identity can change production, with the expression in the finding", () => {
    const expression = "claims['sub'] matches 'repo:contoso/app:environment:*'";
    const [f, ...rest] = run(wildcardClaimsExpression, app(expression).build());
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "critical", identity: { displayName: "gh-deployer", kind: "application" } });
    // The finding's credential carries the expression instead of an empty subject.
    expect(f!.credential).toEqual({ name: "flex", issuer: GITHUB, claimsMatchingExpression: { value: expression, languageVersion: 1 }, audiences: ["api://AzureADTokenExchange"] });
    expect(f!.scope).toMatch(/^\/subscriptions\//);
    expect(f!.message).toMatch(/accepts tokens from more than one GitHub workload through credential 'flex' \(claims\['sub'\] matches 'repo:contoso\/app:environment:\*'\) and can change production scope/);
    expect(f!.evidence.join("\n")).toMatch(/holds 'Contributor' at .*production because subscription 'Contoso-Prod' has 'prod' in its name/);
    expect(f!.anchor).toBe("/entra/applications/0/federatedIdentityCredentials/0");
  });

  it("steps aside for expressions that wildcard-expression reports (many workloads, production access)", () => {
    const inventory = app("claims['sub'] matches 'repo:contoso/*'").build();
    expect(run(wildcardClaimsExpression, inventory)).toEqual([]);
    expect(run(wildcardExpression, inventory)).toHaveLength(1);
    // Without production access it is still this rule's, with what the expression accepts.
    const [f] = run(wildcardClaimsExpression, app("claims['sub'] matches 'repo:contoso/*'", "Contributor", "Contoso-Dev").build());
    expect(f?.message).toMatch(/accepts tokens from more than one GitHub workload through credential 'flex' \(claims\['sub'\] matches 'repo:contoso\/\*'\)\.$/);
    expect(f?.evidence.join("\n")).toMatch(/claim 'sub' may be any value that starts with 'repo:contoso\/': any GitHub repository of 'contoso'/);
  });

  it("is high when every production grant is read-only, and medium when nothing reaches production", () => {
    expect(run(wildcardClaimsExpression, app("claims['sub'] matches 'repo:contoso/app:environment:*'", "Reader").build())[0]?.severity).toBe("high");
    const [f] = run(wildcardClaimsExpression, app("claims['sub'] matches 'repo:contoso/*'", "Contributor", "Contoso-NonProd").build());
    expect(f?.severity).toBe("medium");
    expect(f?.scope).toBeUndefined();
    expect(f?.evidence.join("\n")).toMatch(/no role of the identity touches production/);
  });

  it("says when pull-request workflows match a branch wildcard", () => {
    const [f] = run(wildcardClaimsExpression, app("claims['sub'] matches 'repo:contoso/app:*'", "Contributor", "Contoso-NonProd").build());
    expect(f?.evidence.join("\n")).toMatch(/pull-request workflows included \(repo:contoso\/app:pull_request\)/);
  });

  it("is quiet for expressions that pin the subject to one value", () => {
    for (const expression of [
      "claims['sub'] eq 'repo:contoso/app:environment:production'",
      "claims['sub'] matches 'repo:contoso/app:ref:refs/heads/main'",
      "claims['sub'] eq 'repo:contoso/app:ref:refs/heads/main' and claims['job_workflow_ref'] matches 'contoso/shared/.github/workflows/*@refs/heads/main'",
    ]) {
      expect(run(wildcardClaimsExpression, app(expression).build()), expression).toEqual([]);
    }
  });

  it("fires when only another claim is pinned, and for an expression it cannot read (outside production: on production wildcard-expression reports them)", () => {
    const dev = (expression: string) => app(expression, "Contributor", "Contoso-NonProd").build();
    const [reusable] = run(wildcardClaimsExpression, dev("claims['sub'] matches 'repo:contoso/*' and claims['job_workflow_ref'] eq 'contoso/shared/.github/workflows/deploy.yml@refs/heads/main'"));
    expect(reusable?.evidence.join("\n")).toMatch(/claim 'job_workflow_ref' must be exactly 'contoso\/shared/);
    const [noSub] = run(wildcardClaimsExpression, dev("claims['job_workflow_ref'] eq 'contoso/shared/.github/workflows/deploy.yml@refs/heads/main'"));
    expect(noSub?.evidence.join("\n")).toMatch(/no clause constrains the subject/);
    const [odd] = run(wildcardClaimsExpression, dev("claims['sub'] startswith 'repo:contoso/'"));
    expect(odd?.severity).toBe("medium");
    expect(odd?.evidence.join("\n")).toMatch(/not in the documented .* form/);
  });

  it("fires for a user-assigned identity's expression from ARM (bare comparand, as ARM's example writes it)", () => {
    const b = new InventoryBuilder();
    const sub = b.subscription("Contoso-NonProd");
    const mi = b.managedIdentity("id-aks", b.resourceGroup(sub, "rg-aks"), [{ name: "aks", issuer: "https://oidc.prod-aks.azure.com/tenant/issuer", expression: "claims['sub'] matches system:serviceaccount:ns:*" }]);
    b.assign(mi.principalId, "Contributor", sub);
    const [f] = run(wildcardClaimsExpression, b.build());
    expect(f).toMatchObject({ severity: "medium", identity: { kind: "managedIdentity", displayName: "id-aks" }, anchor: "/azure/managedIdentities/0/federatedIdentityCredentials/0" });
    const evidence = f!.evidence.join("\n");
    expect(evidence).toMatch(/any Kubernetes service account in namespace 'ns'/);
    expect(evidence).toMatch(/2025-01-31-preview/);
  });

  it("reports a Buildkite-issuer expression as low (Entra does not accept it), and unresolved-subject stays quiet", () => {
    const b = new InventoryBuilder();
    b.pipeline("deploy");
    const ids = b.app("bk", { credentials: [{ name: "flex", expression: "claims['sub'] matches 'organization:acme:pipeline:*'" }] });
    b.assign(ids.principalId, "Owner", b.subscription("Contoso-Prod"));
    const [f, ...rest] = run(wildcardClaimsExpression, b.build());
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "low" });
    expect(f!.message).toMatch(/which Entra does not accept for Buildkite's issuer: it matches no token/);
    expect(run(unresolvedSubject, b.build())).toEqual([]);
  });

  it("says when the service principal was not collected, and is quiet for subject credentials", () => {
    const b = app("claims['sub'] matches 'repo:contoso/*'");
    b.raw.entra!.servicePrincipals = [];
    const [f] = run(wildcardClaimsExpression, b.build());
    expect(f?.severity).toBe("medium");
    expect(f?.evidence.join("\n")).toMatch(/service principal is not in the inventory/);

    const plain = new InventoryBuilder();
    const ids = plain.app("gh", { credentials: [{ issuer: GITHUB, subject: "repo:contoso/app:ref:refs/heads/main" }] });
    plain.assign(ids.principalId, "Owner", plain.subscription("Contoso-Prod"));
    expect(run(wildcardClaimsExpression, plain.build())).toEqual([]);
  });
});
