import { describe, expect, it } from "vitest";
import { InventoryBuilder, type CredentialSpec } from "@trustscope/core/testing";
import { unresolvedSubject } from "../src/rules/unresolved-subject.ts";
import { wildcardClaimsExpression } from "../src/rules/wildcard-claims-expression.ts";
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
  it("fires critical for a repository wildcard whose identity can change production, with the expression in the finding", () => {
    const [f, ...rest] = run(wildcardClaimsExpression, app("claims['sub'] matches 'repo:contoso/*'").build());
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "critical", identity: { displayName: "gh-deployer", kind: "application" } });
    // The finding's credential carries the expression instead of an empty subject.
    expect(f!.credential).toEqual({ name: "flex", issuer: GITHUB, claimsMatchingExpression: { value: "claims['sub'] matches 'repo:contoso/*'", languageVersion: 1 }, audiences: ["api://AzureADTokenExchange"] });
    expect(f!.scope).toMatch(/^\/subscriptions\//);
    expect(f!.message).toMatch(/accepts tokens from more than one GitHub workload through credential 'flex' \(claims\['sub'\] matches 'repo:contoso\/\*'\) and can change production scope/);
    const evidence = f!.evidence.join("\n");
    expect(evidence).toMatch(/claim 'sub' may be any value that starts with 'repo:contoso\/': any GitHub repository of 'contoso'/);
    expect(evidence).toMatch(/holds 'Contributor' at .*production because subscription 'Contoso-Prod' has 'prod' in its name/);
    expect(f!.anchor).toBe("/entra/applications/0/federatedIdentityCredentials/0");
  });

  it("is high when every production grant is read-only, and medium when nothing reaches production", () => {
    expect(run(wildcardClaimsExpression, app("claims['sub'] matches 'repo:contoso/*'", "Reader").build())[0]?.severity).toBe("high");
    const [f] = run(wildcardClaimsExpression, app("claims['sub'] matches 'repo:contoso/*'", "Contributor", "Contoso-NonProd").build());
    expect(f?.severity).toBe("medium");
    expect(f?.scope).toBeUndefined();
    expect(f?.evidence.join("\n")).toMatch(/no role of the identity touches production/);
  });

  it("says when pull-request workflows match a branch wildcard", () => {
    const [f] = run(wildcardClaimsExpression, app("claims['sub'] matches 'repo:contoso/app:*'").build());
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

  it("fires when only another claim is pinned, and for an expression it cannot read", () => {
    const [reusable] = run(wildcardClaimsExpression, app("claims['sub'] matches 'repo:contoso/*' and claims['job_workflow_ref'] eq 'contoso/shared/.github/workflows/deploy.yml@refs/heads/main'").build());
    expect(reusable?.evidence.join("\n")).toMatch(/claim 'job_workflow_ref' must be exactly 'contoso\/shared/);
    const [noSub] = run(wildcardClaimsExpression, app("claims['job_workflow_ref'] eq 'contoso/shared/.github/workflows/deploy.yml@refs/heads/main'").build());
    expect(noSub?.evidence.join("\n")).toMatch(/no clause constrains the subject/);
    const [odd] = run(wildcardClaimsExpression, app("claims['sub'] startswith 'repo:contoso/'").build());
    expect(odd?.severity).toBe("critical");
    expect(odd?.evidence.join("\n")).toMatch(/not in the documented .* form/);
  });

  it("fires for a user-assigned identity's expression from ARM (bare comparand, as ARM's example writes it)", () => {
    const b = new InventoryBuilder();
    const sub = b.subscription("Contoso-Prod");
    const mi = b.managedIdentity("id-aks", b.resourceGroup(sub, "rg-aks"), [{ name: "aks", issuer: "https://oidc.prod-aks.azure.com/tenant/issuer", expression: "claims['sub'] matches system:serviceaccount:ns:*" }]);
    b.assign(mi.principalId, "Contributor", sub);
    const [f] = run(wildcardClaimsExpression, b.build());
    expect(f).toMatchObject({ severity: "critical", identity: { kind: "managedIdentity", displayName: "id-aks" }, anchor: "/azure/managedIdentities/0/federatedIdentityCredentials/0" });
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
