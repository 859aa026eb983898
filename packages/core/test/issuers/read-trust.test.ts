import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readTrust } from "../../src/issuers/read-trust.ts";
import type { FederatedCredential } from "../../src/model/inventory.ts";

const GH = "https://token.actions.githubusercontent.com";
const cred = (issuer: string, subject: string, expression?: string): FederatedCredential => ({
  name: "fic",
  issuer,
  subject,
  audiences: ["api://AzureADTokenExchange"],
  ...(expression !== undefined ? { claimsMatchingExpression: { value: expression, languageVersion: 1 } } : {}),
});

describe("readTrust: subjects", () => {
  it.each([
    [cred(GH, "repo:acme/app:pull_request"), { platform: "github", platformName: "GitHub Actions", workload: "acme/app", label: "pull requests of GitHub repository 'acme/app'" }],
    [cred(GH, "repo:acme/app:ref:refs/heads/main"), { workload: "acme/app", label: "branch 'main' of GitHub repository 'acme/app'" }],
    [cred(GH, "repo:acme/app:environment:prod"), { label: "environment 'prod' of GitHub repository 'acme/app'" }],
    [cred("https://gitlab.com", "project_path:g/p:ref_type:branch:ref:main"), { platform: "gitlab", workload: "g/p", label: "branch 'main' of GitLab project 'g/p'" }],
    [cred("https://app.terraform.io", "organization:acme:project:infra:workspace:prod:run_phase:apply"), { platform: "terraform-cloud", workload: "acme/infra/prod" }],
    [cred("https://vstoken.dev.azure.com/0b8e4e7c-3a4b-4c8f-9a1e-2f3d4c5b6a7e", "sc://contoso/web/deploy-conn"), { platform: "azure-devops", workload: "contoso/web/deploy-conn" }],
    [cred("https://westeurope.oic.prod-aks.azure.com/t/g/", "system:serviceaccount:payments:deployer"), { platform: "kubernetes", workload: "payments/deployer", label: "service account 'deployer' in Kubernetes namespace 'payments'" }],
    [cred("https://agent.buildkite.com", "0190a9d4-1111-2222-3333-444455556666"), { platform: "buildkite", platformName: "Buildkite", workload: "0190a9d4-1111-2222-3333-444455556666" }],
    [cred("https://idp.example.com", "svc-1"), { platform: "unknown", platformName: "idp.example.com", workload: "svc-1" }],
  ])("reads %j", (c, expected) => {
    const t = readTrust(c);
    expect(t).toMatchObject({ expression: false, wide: false, ...expected });
    expect(t.problem).toBeUndefined();
  });

  it.each([
    [cred(`${GH}/`, "repo:acme/app:pull_request"), "issuer differs from GitHub's https://token.actions.githubusercontent.com only by case/slash: matches no token"],
    [cred("https://TOKEN.actions.githubusercontent.com", "repo:acme/app:pull_request"), "issuer differs from GitHub's https://token.actions.githubusercontent.com only by case/slash: matches no token"],
  ])("classifies a near-miss GitHub issuer as GitHub, with a problem", (c, problem) => {
    expect(readTrust(c)).toMatchObject({ platform: "github", problem });
  });

  it.each([
    [cred(GH, "Repo:acme/app:pull_request"), /'Repo' is spelt 'repo'/],
    [cred(GH, "repo:acme/app:ref:main"), /refs\/heads\/main/],
    [cred(GH, "repo:acme/*"), /contains '\*'/],
    [cred("https://app.terraform.io", "organization:o:project:p:workspace:w:run_phase:*"), /contains '\*'/],
    [cred("https://app.terraform.io", "organization:o:workspace:w:run_phase:plan"), /without project/],
    [cred("https://aks.example", "system:serviceaccount:ns:*"), /contains '\*'/],
    [cred("https://github.example.com/_services/token", "repo:a@1/b@2:pull_request"), /Enterprise Server does not issue immutable/],
  ])("reports why %j matches no token", (c, problem) => {
    expect(readTrust(c).problem).toMatch(problem);
  });

  it("keeps a legacy Terraform subject on Terraform Enterprise without a problem", () => {
    expect(readTrust(cred("https://tfe.example.com", "organization:o:workspace:w:run_phase:plan")).problem).toBeUndefined();
  });
});

describe("readTrust: expressions", () => {
  it("reads an exact sub pin like a subject", () => {
    const t = readTrust(cred(GH, "", "claims['sub'] eq 'repo:acme/app:environment:prod'"));
    expect(t).toMatchObject({ expression: true, wide: false, workload: "acme/app", label: "environment 'prod' of GitHub repository 'acme/app'" });
    expect(readTrust(cred(GH, "", "claims['sub'] eq 'Repo:acme/app:pull_request'")).problem).toMatch(/spelt 'repo'/);
  });

  it.each([
    ["repo:acme/app:ref:refs/heads/*", "acme/app", "any branch of GitHub repository 'acme/app'"],
    ["repo:acme/app:*", "acme/app", "any workflow of GitHub repository 'acme/app' (any branch, tag, environment or pull request)"],
    ["repo:acme/app:environment:*", "acme/app", "any environment of GitHub repository 'acme/app'"],
    ["repo:acme/*", "acme/*", "every repository of GitHub owner 'acme'"],
    ["repo:acme/svc-*", "acme/*", "repositories of GitHub owner 'acme' matching 'svc-*' (subject pattern 'repo:acme/svc-*')"],
  ])("describes the GitHub pattern %s", (pattern, workload, label) => {
    expect(readTrust(cred(GH, "", `claims['sub'] matches '${pattern}'`))).toMatchObject({ platform: "github", expression: true, wide: true, workload, label });
  });

  it("describes other platforms' patterns", () => {
    expect(readTrust(cred("https://aks.example", "", "claims['sub'] matches 'system:serviceaccount:payments:*'"))).toMatchObject({
      platform: "kubernetes",
      wide: true,
      label: "every service account in Kubernetes namespace 'payments'",
      kubernetes: { namespace: "payments" },
    });
    expect(readTrust(cred("https://gitlab.com", "", "claims['sub'] matches 'project_path:group/*'")).label).toBe("every project under GitLab group 'group'");
    expect(readTrust(cred("https://gitlab.com", "", "claims['sub'] matches 'project_path:g/p:ref_type:branch:ref:*'")).label).toBe("any branch of GitLab project 'g/p'");
    expect(readTrust(cred("https://app.terraform.io", "", "claims['sub'] matches 'organization:acme:project:*:workspace:*:run_phase:*'"))).toMatchObject({
      platform: "terraform-cloud",
      workload: "acme/*",
    });
  });

  it("reports a pattern whose keyword is in the wrong case", () => {
    expect(readTrust(cred(GH, "", "claims['sub'] matches 'Repo:acme/*'")).problem).toMatch(/spelt 'repo:'/);
  });

  it("reads an expression without a sub clause, or one it cannot parse, as any subject", () => {
    expect(readTrust(cred(GH, "", "claims['job_workflow_ref'] eq 'a/b/.github/workflows/x.yml@refs/heads/main'"))).toMatchObject({ wide: true, workload: "*", label: expect.stringMatching(/no clause/) });
    expect(readTrust(cred(GH, "", "sub == 'x'"))).toMatchObject({ wide: true, label: expect.stringMatching(/not in the documented form/) });
  });
});

describe("readTrust: hostile input", () => {
  it("reads a 10 kB subject", () => {
    expect(readTrust(cred(GH, `repo:a/b:environment:${"x".repeat(10_000)}`)).platform).toBe("github");
    expect(readTrust(cred(GH, ":".repeat(10_000))).problem).toBeDefined();
  });
  it("never throws on any issuer and subject", () => {
    fc.assert(
      fc.property(fc.constantFrom(GH, "https://gitlab.com", "https://app.terraform.io", "https://aks.example", "https://vstoken.dev.azure.com/x", ""), fc.string({ maxLength: 120 }), fc.boolean(), (issuer, s, asExpression) => {
        const t = readTrust(asExpression ? cred(issuer, "", `claims['sub'] matches '${s.replaceAll("'", "''")}'`) : cred(issuer, s));
        expect(typeof t.label).toBe("string");
      }),
      { numRuns: 400 },
    );
  });
});
