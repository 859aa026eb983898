import { describe, expect, it } from "vitest";
import type { GitHubOrganization, GitHubRepository } from "@trustscope/core";
import { customisedSubjectMismatch } from "../src/rules/customised-subject-mismatch.ts";
import { deployer, repository, withGitHub } from "./github-support.ts";
import { run } from "./support.ts";

const DEFAULT = { useDefault: true };
const IDS = { useDefault: false, includeClaimKeys: ["repository_owner_id", "repository_id", "context"] };

function scan(credential: { subject: string } | { expression: string }, repo: Partial<GitHubRepository>, organizations: GitHubOrganization[] = []) {
  const b = withGitHub(deployer([credential]), { repositories: [repository("acme/app", repo)], organizations });
  return run(customisedSubjectMismatch, b.build());
}

describe("customised-subject-mismatch", () => {
  it("fires for a default-format subject where the repository customises its template, naming the subject GitHub issues", () => {
    const [f, ...rest] = scan({ subject: "repo:acme/app:environment:production" }, { oidcSubject: IDS });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "medium", credential: { subject: "repo:acme/app:environment:production" }, anchor: "/entra/applications/0/federatedIdentityCredentials/0" });
    const evidence = f!.evidence.join("\n");
    expect(evidence).toContain("repository_owner_id:42:repository_id:4242:environment:production");
    expect(evidence).toMatch(/repository_owner_id, repository_id, context/);
    expect(evidence).toMatch(/AADSTS700213/);
    expect(f!.message).toContain("repository_owner_id:42:repository_id:4242:environment:production");
  });

  it("fires for a customised subject where the repository uses GitHub's default", () => {
    const [f] = scan({ subject: "repo:acme/app:environment:production:job_workflow_ref:acme/shared/.github/workflows/deploy.yml@refs/heads/main" }, { oidcSubject: DEFAULT });
    expect(f?.severity).toBe("medium");
    expect(f?.evidence.join("\n")).toContain("repo:acme/app:environment:production");
  });

  it("fires for repository IDs that are not the repository's", () => {
    // GitHub's immutable form repo:OWNER@OWNER_ID/REPO@REPO_ID carries both IDs.
    const [f] = scan({ subject: "repo:acme@42/app@9999:environment:production" }, { oidcSubject: DEFAULT });
    expect(f?.evidence.join("\n")).toMatch(/repository_id 9999 is not acme\/app's ID 4242/);
    const [owner] = scan({ subject: "repo:acme@7/app@4242:environment:production" }, { oidcSubject: DEFAULT });
    expect(owner?.evidence.join("\n")).toMatch(/repository_owner_id 7 is not acme's ID 42/);
    expect(scan({ subject: "repo:acme@42/app@4242:environment:production" }, { oidcSubject: DEFAULT })).toEqual([]);
  });

  it("fires when the repository uses immutable subjects and the credential does not (or the other way round)", () => {
    const [f] = scan({ subject: "repo:acme/app:environment:production" }, { oidcSubject: { useDefault: true, useImmutableSubject: true } });
    expect(f?.evidence.join("\n")).toContain("repo:acme@42/app@4242:environment:production");
    expect(scan({ subject: "repo:acme@42/app@4242:environment:production" }, { oidcSubject: { useDefault: true, useImmutableSubject: false } })).toHaveLength(1);
    expect(scan({ subject: "repo:acme@42/app@4242:environment:production" }, { oidcSubject: { useDefault: true, useImmutableSubject: true } })).toEqual([]);
  });

  it("fires when the owner or repository is spelled in another case than GitHub's", () => {
    const [f] = scan({ subject: "repo:ACME/App:ref:refs/heads/main" }, { oidcSubject: DEFAULT });
    expect(f?.evidence.join("\n")).toMatch(/spells the repository 'ACME\/App', GitHub spells it 'acme\/app'/);
    expect(f?.evidence.join("\n")).toContain("repo:acme/app:ref:refs/heads/main");
  });

  it("is quiet when the subject fits the template", () => {
    expect(scan({ subject: "repo:acme/app:ref:refs/heads/main" }, { oidcSubject: DEFAULT })).toEqual([]);
    expect(scan({ subject: "repository_owner_id:42:repository_id:4242:environment:production" }, { oidcSubject: IDS })).toEqual([]);
    expect(scan({ subject: "repository_owner_id:42:repository_id:4242:pull_request" }, { oidcSubject: IDS })).toEqual([]);
  });

  it("follows the organisation's template when the repository does, and is quiet when that was not read", () => {
    const org = (keys: string[] | null | undefined): GitHubOrganization => ({ login: "acme", id: 42, ...(keys !== undefined ? { oidcSubjectClaimKeys: keys } : {}) });
    const follows = { oidcSubject: { useDefault: false } };
    expect(scan({ subject: "repo:acme/app:ref:refs/heads/main" }, follows, [org(["repository_owner_id", "context"])])[0]?.evidence.join("\n")).toContain("repository_owner_id:42:ref:refs/heads/main");
    expect(scan({ subject: "repo:acme/app:ref:refs/heads/main" }, follows, [org(null)])).toEqual([]);
    const customised = { subject: "repo:acme/app:ref:refs/heads/main:job_workflow_ref:acme/shared/.github/workflows/deploy.yml@refs/heads/main" };
    expect(scan(customised, follows, [org(null)])).toHaveLength(1);
    expect(scan(customised, follows, [org(["repo", "context", "job_workflow_ref"])])).toEqual([]);
    expect(scan(customised, follows, [org(undefined)])).toEqual([]);
    expect(scan(customised, follows)).toEqual([]);
  });

  it("is quiet when the template or GitHub was not read, and for subjects that cannot match anyway", () => {
    expect(scan({ subject: "repo:acme/app:environment:production" }, {})).toEqual([]);
    expect(run(customisedSubjectMismatch, deployer([{ subject: "repo:acme/app:environment:production" }]).build())).toEqual([]);
    // A keyword in the wrong case is a parse problem, not a template mismatch.
    expect(scan({ subject: "Repo:acme/app:environment:production" }, { oidcSubject: IDS })).toEqual([]);
  });

  it("reads expressions pinned with eq, and leaves wildcards alone", () => {
    expect(scan({ expression: "claims['sub'] eq 'repo:acme/app:environment:production'" }, { oidcSubject: IDS })).toHaveLength(1);
    expect(scan({ expression: "claims['sub'] eq 'repository_owner_id:42:repository_id:4242:environment:production'" }, { oidcSubject: IDS })).toEqual([]);
    expect(scan({ expression: "claims['sub'] matches 'repo:acme/app:*'" }, { oidcSubject: IDS })).toEqual([]);
  });
});
