import { describe, expect, it } from "vitest";
import { pullRequestSubject } from "../src/rules/pull-request-subject.ts";
import { wildcardClaimsExpression } from "../src/rules/wildcard-claims-expression.ts";
import { wildcardExpression } from "../src/rules/wildcard-expression.ts";
import { deployer, GITHUB, repository, withGitHub } from "./github-support.ts";
import { run } from "./support.ts";

const PR = "repo:acme/app:pull_request";

describe("pull-request-subject", () => {
  it("is critical for a pull-request subject on an identity that can change production", () => {
    const [f, ...rest] = run(pullRequestSubject, deployer([{ subject: PR }]).build());
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "critical", identity: { displayName: "gh-deployer" }, credential: { name: "gh-0", subject: PR, issuer: GITHUB } });
    expect(f!.scope).toMatch(/^\/subscriptions\//);
    expect(f!.anchor).toBe("/entra/applications/0/federatedIdentityCredentials/0");
    const evidence = f!.evidence.join("\n");
    expect(evidence).toContain(PR);
    expect(evidence).toMatch(/any branch of the repository with an open pull request can request this token/);
    expect(evidence).toMatch(/production because subscription 'Contoso-Prod'/);
    expect(f!.remediation).toMatch(/environment/);
    expect(f!.remediation).toMatch(/Reader/);
  });

  it("is medium when the identity can change only non-production scopes", () => {
    const [f] = run(pullRequestSubject, deployer([{ subject: PR }], "Contributor", "Contoso-Dev").build());
    expect(f?.severity).toBe("medium");
    expect(f?.scope).toBeUndefined();
  });

  it("is quiet when the identity only reads, or holds nothing", () => {
    expect(run(pullRequestSubject, deployer([{ subject: PR }], "Reader").build())).toEqual([]);
    expect(run(pullRequestSubject, deployer([{ subject: PR }], null).build())).toEqual([]);
  });

  it("is quiet for subjects that can never match (keyword case) and for other contexts", () => {
    for (const subject of ["Repo:acme/app:pull_request", "repo:acme/app:Pull_Request", "repo:acme/app:ref:refs/heads/main", "repo:acme/app:environment:production"]) {
      expect(run(pullRequestSubject, deployer([{ subject }]).build()), subject).toEqual([]);
    }
    // The same subject from an issuer that is not GitHub's names no pull request.
    expect(run(pullRequestSubject, deployer([{ subject: PR, issuer: "https://gitlab.com" }]).build())).toEqual([]);
  });

  it("fires for an expression pinned to the pull-request subject and for one that matches only pull requests", () => {
    const [pinned] = run(pullRequestSubject, deployer([{ expression: `claims['sub'] eq '${PR}'` }]).build());
    expect(pinned?.severity).toBe("critical");
    expect(pinned?.credential?.claimsMatchingExpression?.value).toBe(`claims['sub'] eq '${PR}'`);
    const [pattern] = run(pullRequestSubject, deployer([{ expression: "claims['sub'] matches 'repo:acme/app:pull_*'" }]).build());
    expect(pattern?.severity).toBe("critical");
  });

  it("leaves expressions that reach every branch to the wildcard rules (one finding per credential)", () => {
    const prod = deployer([{ expression: "claims['sub'] matches 'repo:acme/app:*'" }]).build();
    expect(run(pullRequestSubject, prod)).toEqual([]);
    expect(run(wildcardExpression, prod)).toHaveLength(1);
    const dev = deployer([{ expression: "claims['sub'] matches 'repo:acme/app:*'" }], "Contributor", "Contoso-Dev").build();
    expect(run(pullRequestSubject, dev)).toEqual([]);
    expect(run(wildcardClaimsExpression, dev)).toHaveLength(1);
  });

  it("says what is known about fork pull requests from the repository's visibility", () => {
    const evidence = (b: ReturnType<typeof deployer>) => run(pullRequestSubject, b.build())[0]!.evidence.join("\n");
    expect(evidence(withGitHub(deployer([{ subject: PR }]), { repositories: [repository("acme/app", { private: false })] }))).toMatch(/acme\/app is public: .*forks cannot request an OIDC token/);
    expect(evidence(withGitHub(deployer([{ subject: PR }]), { repositories: [repository("acme/app", { private: true })] }))).toMatch(/acme\/app is private: .*send.* write tokens/);
    expect(evidence(deployer([{ subject: PR }]))).toMatch(/not read/);
  });

  it("keeps the same fingerprint when another credential is added before it", () => {
    const [alone] = run(pullRequestSubject, deployer([{ subject: PR }]).build());
    const [second] = run(pullRequestSubject, deployer([{ subject: "repo:acme/app:ref:refs/heads/main" }, { subject: PR, name: "gh-0" }]).build());
    expect(second?.anchor).toBe("/entra/applications/0/federatedIdentityCredentials/1");
    expect(second?.fingerprint).toBe(alone?.fingerprint);
  });

  it("is quiet when GitHub's answers show the subject matches no token of the repository", () => {
    // A template with job_workflow_ref: GitHub issues repo:acme/app:pull_request:job_workflow_ref:…, never the plain subject.
    const custom = repository("acme/app", { oidcSubject: { useDefault: false, includeClaimKeys: ["repo", "context", "job_workflow_ref"] } });
    expect(run(pullRequestSubject, withGitHub(deployer([{ subject: PR }]), { repositories: [custom] }).build())).toEqual([]);
    // GitHub spells it acme/App: Entra compares exactly, so repo:acme/app:… matches nothing.
    expect(run(pullRequestSubject, withGitHub(deployer([{ subject: PR }]), { repositories: [repository("acme/App")] }).build())).toEqual([]);
    // The default template and GitHub's spelling: it fires.
    expect(run(pullRequestSubject, withGitHub(deployer([{ subject: PR }]), { repositories: [repository("acme/app", { oidcSubject: { useDefault: true } })] }).build())).toHaveLength(1);
  });
});
