import { describe, expect, it } from "vitest";
import { githubApiServes, issuerProblem, platformName, platformOf } from "../../src/issuers/platform.ts";

describe("platformOf", () => {
  it.each([
    ["https://agent.buildkite.com", undefined, "buildkite"],
    ["https://agent.buildkite.com/", undefined, "buildkite"],
    ["https://token.actions.githubusercontent.com", undefined, "github"],
    ["https://token.actions.githubusercontent.com/octocat-inc", undefined, "github"],
    ["https://token.actions.octocorp.ghe.com", undefined, "github"],
    ["https://token.actions.octocorp.ghe.com/octocorp", undefined, "github"],
    ["https://github.example.com/_services/token", undefined, "github"],
    ["https://Token.Actions.GithubUserContent.com/", undefined, "github"],
    ["https://gitlab.com", undefined, "gitlab"],
    ["https://gitlab.example.com", "project_path:g/p:ref_type:branch:ref:main", "gitlab"],
    ["https://app.terraform.io", undefined, "terraform-cloud"],
    ["https://app.eu.terraform.io", undefined, "terraform-cloud"],
    ["https://tfe.example.com", "organization:o:project:p:workspace:w:run_phase:plan", "terraform-cloud"],
    ["https://vstoken.dev.azure.com/0b8e4e7c-3a4b-4c8f-9a1e-2f3d4c5b6a7e", undefined, "azure-devops"],
    ["https://app.vstoken.visualstudio.com/0b8e4e7c-3a4b-4c8f-9a1e-2f3d4c5b6a7e", undefined, "azure-devops"],
    ["https://example.com", "sc://o/p/c", "azure-devops"],
    ["https://login.microsoftonline.com/0b8e4e7c-3a4b-4c8f-9a1e-2f3d4c5b6a7e/v2.0", "/eid1/c/pub/t/x/a/y/sc/0b8e4e7c-3a4b-4c8f-9a1e-2f3d4c5b6a7e/1b8e4e7c-3a4b-4c8f-9a1e-2f3d4c5b6a7e", "azure-devops"],
    ["https://login.microsoftonline.com/0b8e4e7c-3a4b-4c8f-9a1e-2f3d4c5b6a7e/v2.0", "/eid1/c/pub/t/x/a/y/bot", "unknown"],
    ["https://westeurope.oic.prod-aks.azure.com/t/g/", undefined, "kubernetes"],
    ["https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "system:serviceaccount:ns:sa", "kubernetes"],
    ["https://k8s.example.com", "System:ServiceAccount:ns:sa", "kubernetes"],
    ["https://example.com/oidc", "whatever", "unknown"],
    ["https://example.com/oidc", "organization:o:pipeline:p", "unknown"],
  ])("%s with %s is %s", (issuer, subject, platform) => {
    expect(platformOf(issuer, subject)).toBe(platform);
  });
});

describe("issuerProblem", () => {
  it("flags GitHub's issuer with a trailing slash or another case", () => {
    expect(issuerProblem("github", "https://token.actions.githubusercontent.com/")).toBe(
      "issuer differs from GitHub's https://token.actions.githubusercontent.com only by case/slash: matches no token",
    );
    expect(issuerProblem("github", "https://Token.Actions.GitHubUserContent.com")).toMatch(/only by case\/slash/);
    expect(issuerProblem("github", "https://token.actions.githubusercontent.com")).toBeUndefined();
    expect(issuerProblem("github", "https://token.actions.githubusercontent.com/octocat-inc")).toBeUndefined();
    expect(issuerProblem("github", "https://github.example.com/_services/token/")).toMatch(/only by case\/slash/);
  });

  it("flags near misses of the other fixed issuers", () => {
    expect(issuerProblem("buildkite", "https://agent.buildkite.com/")).toMatch(/Buildkite's https:\/\/agent\.buildkite\.com/);
    expect(issuerProblem("gitlab", "https://gitlab.com/")).toMatch(/GitLab's https:\/\/gitlab\.com/);
    expect(issuerProblem("gitlab", "https://gitlab.example.com")).toBeUndefined();
    expect(issuerProblem("terraform-cloud", "https://APP.terraform.io")).toMatch(/https:\/\/app\.terraform\.io/);
    expect(issuerProblem("azure-devops", "https://vstoken.dev.azure.com/0b8e4e7c-3a4b-4c8f-9a1e-2f3d4c5b6a7e/")).toMatch(/only by case\/slash/);
    expect(issuerProblem("kubernetes", "https://westeurope.oic.prod-aks.azure.com/t/g/")).toBeUndefined();
  });
});

describe("platformName", () => {
  it("names platforms, or the issuer's host", () => {
    expect(platformName("github", "")).toBe("GitHub Actions");
    expect(platformName("terraform-cloud", "")).toBe("Terraform Cloud");
    expect(platformName("unknown", "https://idp.example.com/oidc")).toBe("idp.example.com");
    expect(platformName("unknown", "not a url")).toBe("not a url");
  });
});

describe("githubApiServes: which GitHub's API holds a credential's repositories", () => {
  it.each([
    ["https://api.github.com", "https://token.actions.githubusercontent.com", true],
    ["https://api.github.com", "https://token.actions.githubusercontent.com/acme-enterprise", true],
    ["https://api.github.com", "https://github.example.com/_services/token", false],
    ["https://github.example.com/api/v3", "https://github.example.com/_services/token", true],
    ["https://github.example.com/api/v3", "https://token.actions.githubusercontent.com", false],
    ["https://github.example.com/api/v3", "https://other.example.com/_services/token", false],
    ["https://api.octocorp.ghe.com", "https://token.actions.octocorp.ghe.com", true],
    ["https://api.octocorp.ghe.com", "https://token.actions.githubusercontent.com", false],
    // A proxy or the emulator stands for github.com.
    ["https://127.0.0.1:8443", "https://token.actions.githubusercontent.com", true],
    ["https://127.0.0.1:8443", "https://github.example.com/_services/token", false],
    ["not a url", "https://token.actions.githubusercontent.com", false],
  ])("%s serves %s: %s", (api, issuer, expected) => {
    expect(githubApiServes(api, issuer)).toBe(expected);
  });
});
