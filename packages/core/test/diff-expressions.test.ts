import { describe, expect, it } from "vitest";
import { diffInventories, type FederatedCredential, type Inventory } from "@trustscope/core";
import { InventoryBuilder } from "@trustscope/core/testing";

const GITHUB = "https://token.actions.githubusercontent.com";

/** An app and a managed identity, each with one GitHub credential matching by `expression` (or a subject). */
function world(app: { expression: string } | { subject: string }, mi: { expression: string } | { subject: string } = { expression: "claims['sub'] matches 'system:serviceaccount:ns:*'" }): Inventory {
  const b = new InventoryBuilder();
  const rg = b.resourceGroup(b.subscription("Contoso-Prod"), "rg");
  const ids = b.app("gh-deployer", { credentials: [{ name: "flex", issuer: GITHUB, ...app }] });
  b.assign(ids.principalId, "Contributor", rg);
  b.managedIdentity("id-aks", rg, [{ name: "aks", issuer: "https://oidc.prod-aks.azure.com/t/i", ...mi }]);
  return b.build();
}

const changes = (a: Inventory, b: Inventory) => diffInventories(a, b).changes;

describe("diff of credentials that match by expression", () => {
  it("a changed expression is a trust change, even though both subjects are empty", () => {
    const [c, ...rest] = changes(world({ expression: "claims['sub'] matches 'repo:contoso/*'" }), world({ expression: "claims['sub'] matches 'repo:fabrikam/*'" }));
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ kind: "credential-changed", risk: "increase" });
    expect(c!.summary).toMatch(/Federated credential 'flex' of app registration 'gh-deployer' .* changed its claims expression\./);
    expect(c!.details).toContain("before: claims expression: claims['sub'] matches 'repo:contoso/*'; accepts more than one subject: claim 'sub' may be any value that starts with 'repo:contoso/': any GitHub repository of 'contoso'");
    expect(c!.details.some((d) => d.startsWith("after: claims expression: claims['sub'] matches 'repo:fabrikam/*'"))).toBe(true);
  });

  it("an expression that now accepts every token it did and more is a widening (risk increase), the reverse a narrowing", () => {
    const narrow = world({ expression: "claims['sub'] matches 'repo:contoso/app:*'" });
    const wide = world({ expression: "claims['sub'] matches 'repo:contoso/*'" });
    const [up] = changes(narrow, wide);
    expect(up).toMatchObject({ kind: "subject-widened", risk: "increase" });
    expect(up!.summary).toBe(
      `Credential 'flex' of app registration 'gh-deployer' (client ID ${wide.entra!.applications[0]!.appId}) widened: it now accepts every token it did and more (claims expression "claims['sub'] matches 'repo:contoso/app:*'" → claims expression "claims['sub'] matches 'repo:contoso/*'").`,
    );
    expect(changes(wide, narrow)[0]).toMatchObject({ kind: "subject-narrowed", risk: "decrease" });
  });

  it("a subject replaced by a wildcard expression of the same name widens it", () => {
    const [c] = changes(world({ subject: "repo:contoso/app:ref:refs/heads/main" }), world({ expression: "claims['sub'] matches 'repo:contoso/app:*'" }));
    expect(c).toMatchObject({ kind: "subject-widened", risk: "increase" });
    expect(c!.details[0]).toBe("before: subject: repo:contoso/app:ref:refs/heads/main");
  });

  it("a managed identity's expression from ARM is compared too", () => {
    const [c] = changes(world({ expression: "claims['sub'] eq 'x'" }), world({ expression: "claims['sub'] eq 'x'" }, { expression: "claims['sub'] matches 'system:serviceaccount:*'" }));
    expect(c).toMatchObject({ kind: "subject-widened", risk: "increase" });
    expect(c!.summary).toMatch(/^Credential 'aks' of managed identity 'id-aks'/);
  });

  it("an added expression credential is a risk increase that says what it accepts", () => {
    const before = world({ expression: "claims['sub'] eq 'x'" });
    const after = structuredClone(before);
    const added: FederatedCredential = { name: "flex-2", issuer: GITHUB, subject: "", claimsMatchingExpression: { value: "claims['sub'] matches 'repo:contoso/*'", languageVersion: 1 }, audiences: ["api://AzureADTokenExchange"] };
    after.entra!.applications[0]!.federatedIdentityCredentials.push(added);
    const [c, ...rest] = changes(before, after);
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ kind: "credential-added", risk: "increase" });
    expect(c!.details).toEqual([
      `issuer: ${GITHUB}`,
      "claims expression: claims['sub'] matches 'repo:contoso/*'",
      "accepts more than one subject: claim 'sub' may be any value that starts with 'repo:contoso/': any GitHub repository of 'contoso'",
      "audiences: api://AzureADTokenExchange",
    ]);
  });

  it("an added GitHub subject says what it trusts, not how many pipelines it reaches; a changed one names both workloads", () => {
    const before = world({ subject: "repo:contoso/app:environment:production" });
    const after = structuredClone(before);
    after.entra!.applications[0]!.federatedIdentityCredentials.push({ name: "pr", issuer: GITHUB, subject: "repo:contoso/app:pull_request", audiences: ["api://AzureADTokenExchange"] });
    const [added] = changes(before, after);
    expect(added).toMatchObject({ kind: "credential-added", risk: "increase" });
    expect(added!.details).toContain("trusts pull requests of GitHub repository 'contoso/app' (GitHub Actions)");
    expect(added!.details.some((d) => /pipeline/.test(d))).toBe(false);

    // Another subject under the same name is another credential: one removed, one added, each saying what it trusts.
    const moved = world({ subject: "repo:contoso/app:pull_request" });
    const byKind = new Map(changes(before, moved).map((c) => [c.kind, c]));
    expect(byKind.get("credential-removed")!.details).toContain("trusts environment 'production' of GitHub repository 'contoso/app' (GitHub Actions)");
    expect(byKind.get("credential-added")!.details).toContain("trusts pull requests of GitHub repository 'contoso/app' (GitHub Actions)");

    // The same subject under another issuer (github.com → a GitHub Enterprise Server) is a change of what it trusts.
    const ghes = structuredClone(before);
    ghes.entra!.applications[0]!.federatedIdentityCredentials[0]!.issuer = "https://github.example.com/_services/token";
    const [issuer] = changes(before, ghes);
    expect(issuer).toMatchObject({ kind: "credential-changed", risk: "increase" });
    expect(issuer!.details).toContain(
      "trusts environment 'production' of GitHub repository 'contoso/app' (GitHub Actions) before, environment 'production' of GitHub repository 'contoso/app' (GitHub Actions) after",
    );
  });

  it("finds nothing when only the order changed or the expression is the same", () => {
    const a = world({ expression: "claims['sub'] matches 'repo:contoso/*'" });
    expect(changes(a, structuredClone(a))).toEqual([]);
    const renamed = structuredClone(a);
    renamed.entra!.applications[0]!.federatedIdentityCredentials[0]!.name = "renamed";
    expect(changes(a, renamed)).toEqual([]);
  });
});
