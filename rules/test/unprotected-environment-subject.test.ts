import { describe, expect, it } from "vitest";
import type { GitHubEnvironment } from "@trustscope/core";
import { unprotectedEnvironmentSubject } from "../src/rules/unprotected-environment-subject.ts";
import { deployer, repository, withGitHub } from "./github-support.ts";
import { run } from "./support.ts";

const SUBJECT = "repo:acme/app:environment:production";

function env(name: string, extra: Partial<GitHubEnvironment> = {}): GitHubEnvironment {
  return { name, requiredReviewers: 0, deploymentBranchPolicy: null, ...extra };
}

/** The deployer with `subject`, and acme/app read with these environments. */
function scan(environments: GitHubEnvironment[] | undefined, subject = SUBJECT, role = "Contributor", subscription = "Contoso-Prod") {
  const b = withGitHub(deployer([{ subject }], role, subscription), { repositories: [repository("acme/app", environments ? { environments } : {})] });
  return run(unprotectedEnvironmentSubject, b.build());
}

describe("unprotected-environment-subject", () => {
  it("is high for an environment with neither reviewers nor a branch policy nor a custom rule on an identity that can change production", () => {
    const [f, ...rest] = scan([env("production", { waitTimerMinutes: 30, canAdminsBypass: true, preventSelfReview: false, customProtectionRules: [] })]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "high", credential: { subject: SUBJECT }, anchor: "/entra/applications/0/federatedIdentityCredentials/0" });
    expect(f!.scope).toMatch(/^\/subscriptions\//);
    const evidence = f!.evidence.join("\n");
    expect(evidence).toMatch(/required reviewers: none/);
    expect(evidence).toMatch(/wait timer: 30 minutes/);
    expect(evidence).toMatch(/bypass protection rules: yes/);
    expect(evidence).toMatch(/prevent self-review: no/);
    expect(evidence).toMatch(/custom deployment protection rules: none/);
    expect(evidence).toMatch(/gets the token without anyone's approval/);
    expect(f!.message).toMatch(/no required reviewers, no deployment branch policy and no custom deployment protection rule:/);
  });

  it("is quiet when a custom deployment protection rule gates the environment (its app decides)", () => {
    expect(scan([env("production", { customProtectionRules: ["change-gate"] })])).toEqual([]);
    expect(scan([env("Production", { customProtectionRules: ["change-gate", "datadog"] })])).toEqual([]);
  });

  it("still fires when the custom rules were not read, saying so and claiming no missing approval", () => {
    const [f, ...rest] = scan([env("production")]);
    expect(rest).toEqual([]);
    expect(f?.severity).toBe("high");
    expect(f!.message).toMatch(/no required reviewers and no deployment branch policy \(its custom deployment protection rules were not read\)/);
    const text = [f!.message, ...f!.evidence].join("\n");
    expect(text).toMatch(/custom deployment protection rules: not read/);
    expect(text).toMatch(/unless a custom deployment protection rule \(not read\) stops it/);
    expect(text).not.toMatch(/without anyone's approval/);
  });

  it("fires when the environment does not exist, naming the ones that do", () => {
    const [f] = scan([env("staging", { requiredReviewers: 1 })]);
    expect(f?.severity).toBe("high");
    const evidence = f!.evidence.join("\n");
    expect(evidence).toMatch(/no environment 'production'/);
    expect(evidence).toMatch(/'staging'/);
    expect(evidence).toMatch(/creates it with no protection rules/);
    expect(scan([])[0]?.evidence.join("\n")).toMatch(/it has none/);
  });

  it("compares environment names case-insensitively, as GitHub does", () => {
    expect(scan([env("Production", { requiredReviewers: 2 })])).toEqual([]);
    const [f] = scan([env("PRODUCTION")]);
    expect(f?.severity).toBe("high");
    expect(f?.evidence.join("\n")).toMatch(/environment 'PRODUCTION'/);
  });

  it("is quiet when the environment has required reviewers or a deployment branch policy", () => {
    expect(scan([env("production", { requiredReviewers: 1 })])).toEqual([]);
    expect(scan([env("production", { deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false } })])).toEqual([]);
  });

  it("fires when custom branch policies let any branch deploy (a pattern of only * and ** segments), naming the pattern", () => {
    const custom = (...patterns: { name: string; type: "branch" | "tag" }[]) => ({ protectedBranches: false, customBranchPolicies: true, patterns });
    const [f, ...rest] = scan([env("production", { deploymentBranchPolicy: custom({ name: "main", type: "branch" }, { name: "*", type: "branch" }), customProtectionRules: [] })]);
    expect(rest).toEqual([]);
    expect(f?.severity).toBe("high");
    expect(f!.message).toMatch(/no required reviewers, a deployment branch policy whose pattern '\*' any branch can match and no custom deployment protection rule: add required reviewers or narrow its deployment branch policy\./);
    const evidence = f!.evidence.join("\n");
    expect(evidence).toMatch(/deployment branch policy: custom, with branch pattern '\*', which any branch can be named to match/);
    expect(evidence).not.toMatch(/deployment branch policy: none/);
    for (const name of ["**", "*/*", "**/*"]) {
      expect(scan([env("production", { deploymentBranchPolicy: custom({ name, type: "branch" }) })])[0]?.evidence.join("\n"), name).toContain(`branch pattern '${name}'`);
    }
    // Custom rules not read: it still fires, saying so.
    expect(scan([env("production", { deploymentBranchPolicy: custom({ name: "*", type: "branch" }) })])[0]?.message).toMatch(/pattern '\*' any branch can match \(its custom deployment protection rules were not read\)/);
    // Reviewers or a custom protection rule still protect it.
    expect(scan([env("production", { requiredReviewers: 1, deploymentBranchPolicy: custom({ name: "*", type: "branch" }) })])).toEqual([]);
    expect(scan([env("production", { deploymentBranchPolicy: custom({ name: "*", type: "branch" }), customProtectionRules: ["change-gate"] })])).toEqual([]);
  });

  it("is quiet when custom branch policies restrict branches, allow tags only or allow nothing, and when their patterns were not read", () => {
    const custom = (patterns?: { name: string; type: "branch" | "tag" }[]) => ({ protectedBranches: false, customBranchPolicies: true, ...(patterns ? { patterns } : {}) });
    for (const patterns of [[{ name: "main", type: "branch" as const }], [{ name: "release/*", type: "branch" as const }], [{ name: "*", type: "tag" as const }], [{ name: "*-hotfix", type: "branch" as const }], []]) {
      expect(scan([env("production", { deploymentBranchPolicy: custom(patterns), customProtectionRules: [] })]), JSON.stringify(patterns)).toEqual([]);
    }
    expect(scan([env("production", { deploymentBranchPolicy: custom(), customProtectionRules: [] })])).toEqual([]);
  });

  it("is quiet when GitHub, the repository or its environments were not read", () => {
    expect(run(unprotectedEnvironmentSubject, deployer([{ subject: SUBJECT }]).build())).toEqual([]);
    expect(scan(undefined)).toEqual([]);
    expect(run(unprotectedEnvironmentSubject, withGitHub(deployer([{ subject: SUBJECT }]), { repositories: [repository("acme/other", { environments: [] })] }).build())).toEqual([]);
  });

  it("is medium when the identity cannot change production", () => {
    expect(scan([env("production")], SUBJECT, "Contributor", "Contoso-Dev")[0]?.severity).toBe("medium");
    expect(scan([env("production")], SUBJECT, "Reader")[0]?.severity).toBe("medium");
  });

  it("reads pinned expressions like subjects, and leaves wildcards and dead subjects alone", () => {
    const pinned = withGitHub(deployer([{ expression: `claims['sub'] eq '${SUBJECT}'` }]), { repositories: [repository("acme/app", { environments: [env("production")] })] });
    expect(run(unprotectedEnvironmentSubject, pinned.build())[0]?.severity).toBe("high");
    const wide = withGitHub(deployer([{ expression: "claims['sub'] matches 'repo:acme/app:environment:*'" }]), { repositories: [repository("acme/app", { environments: [env("production")] })] });
    expect(run(unprotectedEnvironmentSubject, wide.build())).toEqual([]);
    // Keyword or repository in another case: no token matches it, so its environment does not matter.
    expect(scan([env("production")], "repo:acme/app:Environment:production")).toEqual([]);
    expect(scan([env("production")], "repo:ACME/app:environment:production")).toEqual([]);
  });

  it("is quiet when the repository's subject template makes the subject match no token", () => {
    // acme/app issues repo:acme/app:environment:production:job_workflow_ref:… under its own template, and
    // acme/lib is read with immutable subjects (repo:acme@42/lib@4242:…): the plain subjects reach neither.
    const custom = repository("acme/app", { environments: [env("production")], oidcSubject: { useDefault: false, includeClaimKeys: ["repo", "context", "job_workflow_ref"] } });
    expect(run(unprotectedEnvironmentSubject, withGitHub(deployer([{ subject: SUBJECT }]), { repositories: [custom] }).build())).toEqual([]);
    const immutable = repository("acme/lib", { environments: [env("production")], oidcSubject: { useDefault: true, useImmutableSubject: true } });
    expect(run(unprotectedEnvironmentSubject, withGitHub(deployer([{ subject: "repo:acme/lib:environment:production" }]), { repositories: [immutable] }).build())).toEqual([]);
    // The subject that follows the template names the unprotected environment: it fires.
    const fitting = "repo:acme/app:environment:production:job_workflow_ref:acme/app/.github/workflows/deploy.yml@refs/heads/main";
    expect(run(unprotectedEnvironmentSubject, withGitHub(deployer([{ subject: fitting }]), { repositories: [custom] }).build())).toHaveLength(1);
  });
});
