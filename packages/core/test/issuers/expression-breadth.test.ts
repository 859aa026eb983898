import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expressionBreadth } from "../../src/issuers/expression-breadth.ts";
import type { FederatedCredential } from "../../src/model/inventory.ts";

const GH = "https://token.actions.githubusercontent.com";
const cred = (expression: string | undefined, issuer = GH): FederatedCredential => ({
  name: "fic",
  issuer,
  subject: expression === undefined ? "repo:a/b:pull_request" : "",
  audiences: [],
  ...(expression !== undefined ? { claimsMatchingExpression: { value: expression, languageVersion: 1 } } : {}),
});
const flags = (expression: string, issuer?: string) => {
  const b = expressionBreadth(cred(expression, issuer))!;
  const { reasons, ...rest } = b;
  expect(reasons.length).toBeGreaterThan(0);
  return rest;
};
const none = { moreThanOneRepository: false, allBranches: false, pullRequests: false, allServiceAccounts: false, moreThanOneWorkspace: false };
const all = { moreThanOneRepository: true, allBranches: true, pullRequests: true, allServiceAccounts: true, moreThanOneWorkspace: true };

describe("expressionBreadth", () => {
  it("is undefined for a credential without an expression", () => {
    expect(expressionBreadth(cred(undefined))).toBeUndefined();
  });

  it("reaches nothing beyond a pinned subject", () => {
    expect(flags("claims['sub'] eq 'repo:contoso/app:ref:refs/heads/main'")).toEqual(none);
  });

  it.each([
    ["repo:contoso/*", { moreThanOneRepository: true, allBranches: true, pullRequests: true }],
    ["repo:contoso/app:ref:refs/heads/*", { allBranches: true }],
    ["repo:contoso/app:*", { allBranches: true, pullRequests: true }],
    ["repo:contoso/app:environment:*", {}],
    ["repo:contoso/app:ref:refs/heads/release/*", {}],
    ["repo:contoso/app-*:ref:refs/heads/main", { moreThanOneRepository: true }],
    ["*:ref:refs/heads/main", { moreThanOneRepository: true }],
    ["repo:contoso@1/app@2:*", { allBranches: true, pullRequests: true }],
  ])("GitHub %s", (pattern, expected) => {
    expect(flags(`claims['sub'] matches '${pattern}'`)).toEqual({ ...none, ...expected });
  });

  it("says why an environment wildcard is still wide", () => {
    expect(expressionBreadth(cred("claims['sub'] matches 'repo:contoso/app:environment:*'"))!.reasons.join("\n")).toMatch(/every environment/);
  });

  it("requires every sub clause (they are joined by and)", () => {
    expect(flags("claims['sub'] matches 'repo:contoso/*' and claims['sub'] matches '*:ref:refs/heads/main'")).toEqual({ ...none, moreThanOneRepository: true });
  });

  it("reads a GitHub custom-template pattern as reaching everything it cannot rule out", () => {
    expect(flags("claims['sub'] matches 'repository_owner:contoso:*'")).toMatchObject({ moreThanOneRepository: true, allBranches: true, pullRequests: true });
  });

  it.each([
    ["system:serviceaccount:ns:*", "https://aks.example", { allServiceAccounts: true }],
    ["system:serviceaccount:*", "https://aks.example", { allServiceAccounts: true }],
    ["system:serviceaccount:ns:deploy-*", "https://aks.example", {}],
    ["project_path:group/*", "https://gitlab.com", { moreThanOneRepository: true, allBranches: true }],
    ["project_path:group/app:ref_type:branch:ref:*", "https://gitlab.com", { allBranches: true }],
    ["organization:o:project:*:workspace:*:run_phase:*", "https://app.terraform.io", { moreThanOneWorkspace: true }],
    ["organization:o:project:p:workspace:w:run_phase:*", "https://app.terraform.io", {}],
  ])("%s on %s", (pattern, issuer, expected) => {
    expect(flags(`claims['sub'] matches '${pattern}'`, issuer)).toEqual({ ...none, ...expected });
  });

  it("counts an expression without a sub clause, or one it cannot parse, as reaching everything", () => {
    expect(flags("claims['job_workflow_ref'] eq 'a/b/.github/workflows/x.yml@refs/heads/main'")).toEqual(all);
    expect(expressionBreadth(cred("claims['aud'] eq 'x'"))!.reasons[0]).toMatch(/no clause constrains the subject/);
    expect(flags("sub matches repo:*")).toEqual(all);
    expect(expressionBreadth(cred("sub matches repo:*"))!.reasons[0]).toMatch(/not in the documented/);
  });

  it("never throws, on long or odd patterns", () => {
    expect(flags(`claims['sub'] matches 'repo:${"a:".repeat(900)}*'`)).toBeDefined();
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), fc.constantFrom(GH, "https://gitlab.com", "https://app.terraform.io", "https://aks.example", "https://x.example"), (s, issuer) => {
        const b = expressionBreadth(cred(`claims['sub'] matches '${s.replaceAll("'", "''")}'`, issuer));
        expect(b?.reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe("expressionBreadth of customised GitHub templates: only GitHub's breadths", () => {
  const GITHUB = "https://token.actions.githubusercontent.com";
  const of = (value: string) => {
    const { reasons: _r, ...flags } = expressionBreadth({ name: "c", issuer: GITHUB, subject: "", claimsMatchingExpression: { value, languageVersion: 1 }, audiences: [] })!;
    return flags;
  };
  it("a pattern that pins repository_id and leaves only the environment open reaches one repository, no branch, no pull request", () => {
    expect(of("claims['sub'] matches 'repository_owner_id:123:repository_id:456:environment:*'")).toEqual({ moreThanOneRepository: false, allBranches: false, pullRequests: false, allServiceAccounts: false, moreThanOneWorkspace: false });
  });
  it("a pattern open after the owner reaches every repository, branch and pull request, and nothing of Kubernetes or Terraform", () => {
    expect(of("claims['sub'] matches 'repository_owner_id:123:*'")).toEqual({ moreThanOneRepository: true, allBranches: true, pullRequests: true, allServiceAccounts: false, moreThanOneWorkspace: false });
  });
});
