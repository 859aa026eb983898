import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contextOf, effectiveClaimKeys, githubSubjectFor, parseGitHubSubject, readGitHubSubject, subjectFollowsTemplate } from "../../src/issuers/github.ts";
import type { GitHubContext } from "../../src/issuers/types.ts";
import type { GitHubRepository } from "../../src/model/inventory.ts";

const repo: GitHubRepository = { fullName: "Acme/App", id: 456, owner: { login: "Acme", id: 123 }, private: true };

describe("parseGitHubSubject", () => {
  it.each([
    ["repo:acme/app:ref:refs/heads/main", { kind: "branch", value: "main" }],
    ["repo:acme/app:ref:refs/heads/feature/x", { kind: "branch", value: "feature/x" }],
    ["repo:acme/app:ref:refs/tags/v1.2", { kind: "tag", value: "v1.2" }],
    ["repo:acme/app:environment:Production", { kind: "environment", value: "Production" }],
    ["repo:acme/app:pull_request", { kind: "pull_request" }],
    ["repo:acme/app:ref:refs/pull/7/merge", { kind: "other", value: "ref:refs/pull/7/merge" }],
  ])("reads the default form %s", (subject, context) => {
    const r = readGitHubSubject(subject);
    expect(r.problem).toBeUndefined();
    expect(r.subject).toMatchObject({ repository: "acme/app", context, claimKeys: ["repo", "context"] });
  });

  it("keeps the case of owner, repository and environment as written", () => {
    expect(parseGitHubSubject("repo:ACME/App:environment:Prod")).toMatchObject({ repository: "ACME/App", context: { value: "Prod" } });
  });

  it("decodes %3A in values (GitHub's escape for ':')", () => {
    expect(parseGitHubSubject("repo:acme/app:environment:production%3Aeastus").context).toEqual({ kind: "environment", value: "production:eastus" });
    expect(parseGitHubSubject("environment:production%3Aeastus:repository_owner:octo-org")).toMatchObject({ claimKeys: ["environment", "repository_owner"], repositoryOwner: "octo-org" });
  });

  it("reads the immutable form repo:OWNER@ID/REPO@ID", () => {
    const s = parseGitHubSubject("repo:octo-org@123456/octo-repo@456789:ref:refs/heads/main");
    expect(s).toMatchObject({ repository: "octo-org/octo-repo", repositoryOwnerId: "123456", repositoryId: "456789", immutable: true, context: { kind: "branch", value: "main" } });
  });

  it("reads customised templates by claim key", () => {
    const s = parseGitHubSubject("repo:octo-org/octo-repo:environment:prod:job_workflow_ref:octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main");
    expect(s.claimKeys).toEqual(["repo", "context", "job_workflow_ref"]);
    expect(s.jobWorkflowRef).toBe("octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main");
    expect(parseGitHubSubject("repository_owner_id:123:repository_id:456")).toMatchObject({ repositoryOwnerId: "123", repositoryId: "456", claimKeys: ["repository_owner_id", "repository_id"] });
    expect(parseGitHubSubject("repository_owner:monalisa:repository_visibility:private").claims).toEqual({ repository_owner: "monalisa", repository_visibility: "private" });
    expect(parseGitHubSubject("repo:a/b:pull_request:ref:refs/pull/3/merge").claimKeys).toEqual(["repo", "context", "ref"]);
    expect(parseGitHubSubject("repo_property_workspace_id:ws-abc123").claims).toEqual({ repo_property_workspace_id: "ws-abc123" });
  });

  it.each([
    ["Repo:acme/app:ref:refs/heads/main", /'Repo' is spelt 'repo'/],
    ["repo:acme/app:REF:refs/heads/main", /'REF' is spelt 'ref'/],
    ["repo:acme/app:Environment:prod", /'Environment' is spelt 'environment'/],
    ["repo:acme/app:ref:Refs/Heads/main", /'Refs\/Heads\/' is spelt 'refs\/heads\/'/],
    ["repo:acme/app:ref:main", /refs\/heads\/main/],
    ["repo:acme/app:ref:refs/heads/*", /contains '\*'/],
    ["repo:acme/app:*", /contains '\*'/],
    ["repo:acme/ap?:pull_request", /contains '\?'/],
    ["repo:/app:pull_request", /empty owner/],
    ["repo:acme/:pull_request", /empty owner/],
    ["repo:acme:pull_request", /not OWNER\/REPO/],
    ["repo:acme/app:branch:main", /'branch' is not a claim/],
    ["repo:acme/app:", /empty part/],
    ["repo:acme/app:environment", /has no value/],
    ["repo:acme/app:environment:", /empty value/],
    [" repo:acme/app:pull_request", /leading or trailing space/],
    ["repo:acme@1/app:pull_request", /mixes names and IDs/],
    ["repo:a/b:job_workflow_ref:x:job_workflow_ref:y", /appears twice/],
    ["", /empty/],
  ])("reports %j as matching no token", (subject, problem) => {
    expect(readGitHubSubject(subject).problem).toMatch(problem);
  });

  it("does not flag a '*' in a free-text claim (a workflow's name)", () => {
    expect(readGitHubSubject("repo:a/b:workflow:Deploy *all*").problem).toBeUndefined();
  });
});

describe("githubSubjectFor", () => {
  const contexts: GitHubContext[] = [
    { kind: "branch", value: "main" },
    { kind: "tag", value: "v1" },
    { kind: "environment", value: "prod:eastus" },
    { kind: "pull_request" },
  ];

  it("renders the default template", () => {
    expect(githubSubjectFor(repo, { kind: "branch", value: "main" }, ["repo", "context"])).toBe("repo:Acme/App:ref:refs/heads/main");
    expect(githubSubjectFor(repo, { kind: "environment", value: "prod:eastus" }, ["repo", "context"])).toBe("repo:Acme/App:environment:prod%3Aeastus");
    expect(githubSubjectFor(repo, { kind: "pull_request" }, ["repo", "context"], { immutable: true })).toBe("repo:Acme@123/App@456:pull_request");
  });

  it("renders customised templates and is undefined when a value is unknown", () => {
    expect(githubSubjectFor(repo, { kind: "pull_request" }, ["repository_owner_id", "repository_id"])).toBe("repository_owner_id:123:repository_id:456");
    expect(githubSubjectFor(repo, { kind: "environment", value: "prod" }, ["repo", "context", "job_workflow_ref"], { jobWorkflowRef: "acme/x/.github/workflows/d.yml@refs/heads/main" })).toBe(
      "repo:Acme/App:environment:prod:job_workflow_ref:acme/x/.github/workflows/d.yml@refs/heads/main",
    );
    expect(githubSubjectFor(repo, { kind: "environment", value: "prod" }, ["repo", "job_workflow_ref"])).toBeUndefined();
    expect(githubSubjectFor(repo, { kind: "pull_request" }, ["environment"])).toBeUndefined();
    expect(githubSubjectFor(repo, { kind: "pull_request" }, ["repo", "context", "runner_environment"], { claims: { runner_environment: "github-hosted" } })).toBe("repo:Acme/App:pull_request:runner_environment:github-hosted");
    expect(githubSubjectFor(repo, { kind: "pull_request" }, [])).toBeUndefined();
  });

  it.each(contexts)("round-trips through parseGitHubSubject (%j)", (context) => {
    for (const keys of [["repo", "context"], ["repo", "context", "job_workflow_ref"], ["repository_owner_id", "repository_id", "context"]]) {
      for (const immutable of [false, true]) {
        const sub = githubSubjectFor(repo, context, keys, { jobWorkflowRef: "Acme/wf/.github/workflows/d.yml@refs/heads/main", immutable })!;
        const parsed = parseGitHubSubject(sub);
        expect(readGitHubSubject(sub).problem).toBeUndefined();
        expect(subjectFollowsTemplate(sub, keys)).toBe(true);
        if (keys[0] === "repo") {
          expect(parsed.repository).toBe("Acme/App");
          expect(parsed.context).toEqual(context);
          expect(parsed.claimKeys).toEqual(keys);
        }
      }
    }
  });
});

describe("subjectFollowsTemplate", () => {
  it("accepts exactly the keys in that order", () => {
    expect(subjectFollowsTemplate("repo:a/b:ref:refs/heads/main", ["repo", "context"])).toBe(true);
    expect(subjectFollowsTemplate("repo:a/b:pull_request", ["repo", "context"])).toBe(true);
    expect(subjectFollowsTemplate("repo:a/b", ["repo", "context"])).toBe(false);
    expect(subjectFollowsTemplate("repo:a/b:ref:refs/heads/main", ["repo"])).toBe(false);
    expect(subjectFollowsTemplate("repository_id:1:repository_owner_id:2", ["repository_owner_id", "repository_id"])).toBe(false);
    expect(subjectFollowsTemplate("repo:a/b:ref:refs/heads/main:job_workflow_ref:x", ["repo", "context", "job_workflow_ref"])).toBe(true);
    expect(subjectFollowsTemplate("", [])).toBe(false);
  });
});

describe("contextOf", () => {
  it("reads each kind", () => {
    expect(contextOf("ref:refs/heads/a/b")).toEqual({ kind: "branch", value: "a/b" });
    expect(contextOf("ref:refs/tags/v1")).toEqual({ kind: "tag", value: "v1" });
    expect(contextOf("environment:a%3Ab")).toEqual({ kind: "environment", value: "a:b" });
    expect(contextOf("pull_request")).toEqual({ kind: "pull_request" });
    expect(contextOf("merge_group")).toEqual({ kind: "other", value: "merge_group" });
  });
});

describe("effectiveClaimKeys", () => {
  const org = { login: "acme", id: 123 };
  it.each([
    ["not read", undefined, undefined, undefined],
    ["use_default", { useDefault: true, includeClaimKeys: ["repo"] }, undefined, ["repo", "context"]],
    ["the repository's own", { useDefault: false, includeClaimKeys: ["repository_id", "context"] }, undefined, ["repository_id", "context"]],
    ["the organisation's", { useDefault: false }, { ...org, oidcSubjectClaimKeys: ["repo", "job_workflow_ref"] }, ["repo", "job_workflow_ref"]],
    ["GitHub's default when the organisation has none", { useDefault: false }, { ...org, oidcSubjectClaimKeys: null }, ["repo", "context"]],
    ["unknown when the organisation's was not read", { useDefault: false }, { ...org }, undefined],
    ["unknown without the organisation", { useDefault: false }, undefined, undefined],
    ["unknown with another owner's organisation", { useDefault: false }, { login: "other", oidcSubjectClaimKeys: ["repo"] }, undefined],
  ])("%s", (_, oidcSubject, o, expected) => {
    const r: GitHubRepository = { ...repo, owner: { login: "acme", id: 123 }, ...(oidcSubject ? { oidcSubject } : {}) };
    expect(effectiveClaimKeys(r, o)).toEqual(expected);
  });
});

describe("hostile input", () => {
  it("reads a 10 kB subject and one of many colons", () => {
    expect(readGitHubSubject(`repo:a/b:environment:${"x".repeat(10_000)}`).subject.context?.value).toHaveLength(10_000);
    expect(readGitHubSubject(":".repeat(10_000)).problem).toMatch(/empty part/);
    expect(readGitHubSubject("repo:a/b:" + "ref:refs/heads/x:".repeat(2_000)).problem).toMatch(/twice|empty part/);
  });

  it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom("", "repo:", "repo:a/b:", "repository_id:"), (s, prefix) => {
        const r = readGitHubSubject(prefix + s);
        expect(Array.isArray(r.subject.claimKeys)).toBe(true);
        subjectFollowsTemplate(prefix + s, ["repo", "context"]);
      }),
      { numRuns: 300 },
    );
  });
});
