/**
 * The GitHub collector through Octokit against the loopback emulator: organisations and their
 * templates, paged repository and environment listings, custom deployment branch policies,
 * unprotected environments' custom deployment protection rules, repositories' subject customisation, missing repositories, permissions, rate limits, and the hostile answers every collector refuses.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Fault } from "../../emulator/src/index.ts";
import { collectGitHub, GITHUB_PERMISSION, nextLinkOf } from "../src/collect/github.ts";
import type { CollectOptions } from "../src/collect/options.ts";
import { canonicalizeGitHub } from "../src/inventory/canonical.ts";
import type { GitHubEnvironment, GitHubInventory, GitHubRepository, Inventory } from "../src/model/inventory.ts";

const env = (name: string, more: Partial<GitHubEnvironment> = {}): GitHubEnvironment => ({ name, requiredReviewers: 0, deploymentBranchPolicy: null, canAdminsBypass: true, ...more });
const repo = (fullName: string, id: number, ownerId: number, more: Partial<GitHubRepository> = {}): GitHubRepository => ({
  fullName,
  id,
  owner: { login: fullName.split("/")[0]!, id: ownerId },
  private: true,
  fork: false,
  archived: false,
  defaultBranch: "main",
  ...more,
});

const ACME = 1001;
const GLOBEX = 1002;
/** Read by name: environments and subject customisation. */
const WANTED = {
  app: repo("acme/App", 11, ACME, {
    oidcSubject: { useDefault: false, includeClaimKeys: ["repo", "context", "job_workflow_ref"] },
    environments: [
      env("production", { requiredReviewers: 2, preventSelfReview: true, waitTimerMinutes: 30, deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false }, canAdminsBypass: false }),
      // Custom branch policies: their patterns are read (paged: three in pages of two) whatever else protects it.
      env("staging", {
        requiredReviewers: 1,
        preventSelfReview: false,
        deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true, patterns: [{ name: "main", type: "branch" }, { name: "release/*", type: "branch" }, { name: "v*", type: "tag" }] },
      }),
      // Custom branch policies that let any branch deploy: its custom rules are read too, the name URL-encoded.
      env("qa/east", { deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true, patterns: [{ name: "*", type: "branch" }] }, customProtectionRules: ["change-gate"] }),
      // Custom branch policies that restrict branches: no custom rules read.
      env("canary", { deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true, patterns: [{ name: "canary/*", type: "branch" }] } }),
      // Neither reviewers nor a branch policy: their custom rules are read (a name with `/` and a space too).
      env("dev", { customProtectionRules: ["change-gate", "datadog-monitors"] }),
      env("preview-1", { waitTimerMinutes: 0, customProtectionRules: [] }),
      env("preview/pr 2", { customProtectionRules: [] }),
    ],
  }),
  lib: repo("acme/lib", 12, ACME, { private: false, oidcSubject: { useDefault: true }, environments: [] }),
  svc: repo("acme/svc", 13, ACME, { archived: true, defaultBranch: "trunk", oidcSubject: { useDefault: false }, environments: [env("prod", { requiredReviewers: 1, preventSelfReview: false })] }),
  site: repo("globex/site", 21, GLOBEX, { fork: true, oidcSubject: { useDefault: true }, environments: [] }),
  tool: repo("octocat/tool", 31, 583231, { private: false, oidcSubject: { useDefault: true }, environments: [] }),
};
const SCENARIO: GitHubInventory = {
  apiUrl: "https://api.github.com",
  organizations: [
    { login: "acme", id: ACME, oidcSubjectClaimKeys: ["repo", "context"] },
    { login: "globex", id: GLOBEX, oidcSubjectClaimKeys: null },
  ],
  repositories: [WANTED.app, WANTED.lib, WANTED.svc, ...[1, 2, 3, 4].map((n) => repo(`acme/extra-${n}`, 100 + n, ACME)), WANTED.site, WANTED.tool],
  missingRepositories: ["acme/ghost"],
  movedRepositories: ["acme/old-name"],
};
const INVENTORY = { schemaVersion: "1", cloud: "AzureCloud", github: SCENARIO, coverage: { complete: true, gaps: [] } } as unknown as Inventory;
/** As a credential would name them: in other case than GitHub's, plus one that does not exist. */
const ASKED = { organizations: ["acme", "GLOBEX", "octocat"], repositories: ["acme/app", "ACME/lib", "acme/svc", "globex/site", "octocat/tool", "acme/ghost", "acme/old-name"] };

let running: Emulator | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function collect(faults: Fault[] = [], more: Partial<CollectOptions> = {}, token?: string) {
  const emu = (running = await startEmulator({ scenario: INVENTORY, pageSize: { github: 2 }, faults }));
  const opts: CollectOptions = { cloud: "AzureCloud", caPem: emu.caPem, maxRetries: 0, github: { apiUrl: emu.githubApiUrl, token: token ?? emu.tokens.github, ...ASKED }, ...more };
  const result = await collectGitHub(opts, ASKED);
  canonicalizeGitHub(result.github);
  return { emu, ...result };
}

/** What a complete collection returns: the scenario, in canonical order, read from the emulator. */
function expected(apiUrl: string): GitHubInventory {
  const gh = structuredClone(SCENARIO);
  gh.apiUrl = apiUrl;
  // Listed only: no environments or subject customisation read.
  gh.repositories = gh.repositories.map((r) => (r.fullName.includes("extra") ? { ...r, environments: undefined, oidcSubject: undefined } : r)).map((r) => JSON.parse(JSON.stringify(r)) as GitHubRepository);
  canonicalizeGitHub(gh);
  return gh;
}

const githubRequests = (emu: Emulator) => emu.requests.filter((r) => r.api === "github");
const pathsMatching = (emu: Emulator, re: RegExp) => githubRequests(emu).filter((r) => re.test(r.path.split("?")[0]!));

describe("collecting GitHub", () => {
  it("reads organisations, their templates and listings, and the repositories asked for, paging everything", async () => {
    const { emu, github, gaps } = await collect();
    expect(gaps).toEqual([]);
    expect(github).toEqual(expected(emu.githubApiUrl));
    // Seven acme repositories in pages of two: four pages, the later ones where GitHub's Link points.
    expect(pathsMatching(emu, /^\/orgs\/acme\/repos$/)).toHaveLength(1);
    expect(pathsMatching(emu, new RegExp(`^/organizations/${ACME}/repos$`)).map((r) => new URL(`https://x${r.path}`).searchParams.get("page"))).toEqual(["2", "3", "4"]);
    // Seven environments: four pages, the later ones on /repositories/{id}/environments.
    expect(pathsMatching(emu, /^\/repos\/acme\/app\/environments$/)).toHaveLength(1);
    expect(pathsMatching(emu, /^\/repositories\/11\/environments$/)).toHaveLength(3);
    // per_page asks for GitHub's largest page; the server chose two.
    expect(pathsMatching(emu, /^\/orgs\/acme\/repos$/)[0]!.path).toContain("per_page=100");
    // Environments and subject customisation only of the repositories asked for.
    expect(pathsMatching(emu, /extra-\d\/(environments|actions)/)).toEqual([]);
    expect(githubRequests(emu).every((r) => r.authorizationValid && [200, 301, 404].includes(r.status))).toBe(true);
    expect(emu.requests.filter((r) => r.api === "foreign")).toEqual([]);
  });

  it("reads custom deployment protection rules only for environments with neither reviewers nor a branch policy, the name URL-encoded", async () => {
    const { emu, github, gaps } = await collect();
    expect(gaps).toEqual([]);
    expect(pathsMatching(emu, /\/deployment_protection_rules$/).map((r) => r.path)).toEqual(
      expect.arrayContaining([
        "/repos/acme/app/environments/dev/deployment_protection_rules",
        "/repos/acme/app/environments/preview-1/deployment_protection_rules",
        "/repos/acme/app/environments/preview%2Fpr%202/deployment_protection_rules",
        "/repos/acme/app/environments/qa%2Feast/deployment_protection_rules",
      ]),
    );
    // Not production, staging or canary of acme/App, nor acme/svc's protected prod: nothing else.
    expect(pathsMatching(emu, /\/deployment_protection_rules$/)).toHaveLength(4);
    const app = github.repositories.find((r) => r.fullName === "acme/App")!;
    expect(Object.fromEntries(app.environments!.map((e) => [e.name, e.customProtectionRules]))).toEqual({
      production: undefined,
      staging: undefined,
      canary: undefined,
      "qa/east": ["change-gate"],
      dev: ["change-gate", "datadog-monitors"],
      "preview-1": [],
      "preview/pr 2": [],
    });
  });

  it("reads deployment branch policies only for environments with custom ones, paged, the name URL-encoded", async () => {
    const { emu, github, gaps } = await collect();
    expect(gaps).toEqual([]);
    const firstPages = pathsMatching(emu, /\/deployment-branch-policies$/).filter((r) => r.path.startsWith("/repos/"));
    expect(firstPages.map((r) => r.path.split("?")[0]).sort()).toEqual(["/repos/acme/app/environments/canary/deployment-branch-policies", "/repos/acme/app/environments/qa%2Feast/deployment-branch-policies", "/repos/acme/app/environments/staging/deployment-branch-policies"]);
    expect(firstPages.every((r) => r.path.includes("per_page=100"))).toBe(true);
    // staging's three policies in pages of two: its second page where GitHub's Link points.
    expect(pathsMatching(emu, /^\/repositories\/11\/environments\/staging\/deployment-branch-policies$/).map((r) => new URL(`https://x${r.path}`).searchParams.get("page"))).toEqual(["2"]);
    expect(pathsMatching(emu, /\/deployment-branch-policies$/)).toHaveLength(4);
    const app = github.repositories.find((r) => r.fullName === "acme/App")!;
    const policies = Object.fromEntries(app.environments!.map((e) => [e.name, e.deploymentBranchPolicy]));
    expect(policies.staging!.patterns).toEqual([
      { name: "main", type: "branch" },
      { name: "release/*", type: "branch" },
      { name: "v*", type: "tag" },
    ]);
    expect(policies["qa/east"]!.patterns).toEqual([{ name: "*", type: "branch" }]);
    expect(policies.production).not.toHaveProperty("patterns");
    expect(policies.dev).toBeNull();
  });

  it("makes a 403 on one environment's branch policies a gap naming the permission; its patterns stay unread and its custom rules unasked", async () => {
    const { emu, github, gaps } = await collect([{ kind: "forbidden", api: "github", match: /^\/repos\/acme\/app\/environments\/qa%2Feast\/deployment-branch-policies/ }]);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ source: "github", scope: "acme/App" });
    expect(gaps[0]!.error).toMatch(/^deployment branch policies of environment "qa\/east" of acme\/App: 403 Resource not accessible by personal access token: the token needs /);
    expect(gaps[0]!.error).toContain(GITHUB_PERMISSION.branchPolicies);
    expect(gaps[0]!.error).toContain("(GitHub asks for actions=read)");
    const app = github.repositories.find((r) => r.fullName === "acme/App")!;
    const qa = app.environments!.find((e) => e.name === "qa/east")!;
    expect(qa.deploymentBranchPolicy).toEqual({ protectedBranches: false, customBranchPolicies: true });
    expect(qa).not.toHaveProperty("customProtectionRules");
    expect(pathsMatching(emu, /qa%2Feast\/deployment_protection_rules$/)).toEqual([]);
    expect(app.environments!.find((e) => e.name === "staging")!.deploymentBranchPolicy!.patterns).toHaveLength(3);
  });

  it("makes a 403 on one environment's custom rules a gap naming the permission; that environment keeps them unread, the others are read", async () => {
    const { github, gaps } = await collect([{ kind: "forbidden", api: "github", match: /^\/repos\/acme\/app\/environments\/dev\/deployment_protection_rules/ }]);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ source: "github", scope: "acme/App" });
    expect(gaps[0]!.error).toMatch(/^custom deployment protection rules of environment "dev" of acme\/App: 403 Resource not accessible by personal access token: the token needs /);
    expect(gaps[0]!.error).toContain(GITHUB_PERMISSION.customProtectionRules);
    expect(gaps[0]!.error).toContain("(GitHub asks for actions=read)");
    const app = github.repositories.find((r) => r.fullName === "acme/App")!;
    expect(app.environments!.find((e) => e.name === "dev")).toEqual({ ...WANTED.app.environments!.find((e) => e.name === "dev"), customProtectionRules: undefined });
    expect(app.environments!.find((e) => e.name === "dev")).not.toHaveProperty("customProtectionRules");
    expect(app.environments!.find((e) => e.name === "preview/pr 2")!.customProtectionRules).toEqual([]);
  });

  it("keeps an organisation's template, or null for GitHub's default; a user account is no organisation", async () => {
    const { github } = await collect();
    expect(github.organizations).toEqual([
      { login: "acme", id: ACME, oidcSubjectClaimKeys: ["repo", "context"] },
      { login: "globex", id: GLOBEX, oidcSubjectClaimKeys: null },
    ]);
  });

  it("reads a repository's subject customisation: its own keys, GitHub's default, or the organisation's template", async () => {
    const { github } = await collect();
    const sub = (name: string) => github.repositories.find((r) => r.fullName.toLowerCase() === name)?.oidcSubject;
    expect(sub("acme/app")).toEqual({ useDefault: false, includeClaimKeys: ["repo", "context", "job_workflow_ref"] });
    expect(sub("acme/lib")).toEqual({ useDefault: true });
    expect(sub("acme/svc")).toEqual({ useDefault: false });
    // GitHub's spelling wins over the one asked with.
    expect(github.repositories.map((r) => r.fullName)).toContain("acme/App");
  });

  it("names a repository GitHub redirects (renamed or transferred) in movedRepositories, without following the redirect or a gap", async () => {
    const { github, gaps, emu } = await collect();
    expect(github.movedRepositories).toEqual(["acme/old-name"]);
    expect(gaps).toEqual([]);
    // Asked once, answered 301; nothing was read at the place it points to.
    expect(pathsMatching(emu, /^\/repos\/acme\/old-name/).map((r) => r.status)).toEqual([301]);
    expect(githubRequests(emu).some((r) => /^\/repositories\/7000000/.test(r.path))).toBe(false);
  });

  it("names a repository that answers 404 in missingRepositories, not in a gap", async () => {
    const { github, gaps } = await collect();
    expect(github.missingRepositories).toEqual(["acme/ghost"]);
    expect(gaps).toEqual([]);
  });

  it("makes a 403 on one repository's environments a gap naming the permission; the others are still read", async () => {
    const { github, gaps } = await collect([{ kind: "forbidden", api: "github", match: /^\/repos\/acme\/app\/environments/ }]);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ source: "github", scope: "acme/App" });
    expect(gaps[0]!.error).toContain("403 Resource not accessible by personal access token");
    expect(gaps[0]!.error).toContain(GITHUB_PERMISSION.environments);
    expect(gaps[0]!.error).toContain("(GitHub asks for actions=read)");
    const app = github.repositories.find((r) => r.fullName === "acme/App")!;
    expect(app.environments).toBeUndefined();
    expect(app.oidcSubject).toEqual(WANTED.app.oidcSubject);
    expect(github.repositories.find((r) => r.fullName === "acme/svc")!.environments).toEqual(WANTED.svc.environments);
  });

  it("makes a 403 on an organisation's template a gap naming Administration (read) and read:org; its repositories are still listed", async () => {
    const { github, gaps } = await collect([{ kind: "forbidden", api: "github", match: /^\/orgs\/acme\/actions/ }]);
    expect(gaps.map((g) => [g.scope, g.error.includes(GITHUB_PERMISSION.organizationTemplate)])).toEqual([["orgs/acme", true]]);
    expect(github.organizations.find((o) => o.login === "acme")).toEqual({ login: "acme", id: ACME });
    expect(github.repositories.filter((r) => r.owner.login === "acme")).toHaveLength(7);
  });

  it("waits out a primary rate limit whose reset has passed or is near, and reads on", async () => {
    for (const retryAfterSeconds of [-5, 1]) {
      const { emu, github, gaps } = await collect([{ kind: "throttle", api: "github", match: /^\/orgs\/acme$/, times: 1, retryAfterSeconds, githubLimit: "primary" }], { maxRetries: 2 });
      expect(gaps).toEqual([]);
      expect(github).toEqual(expected(emu.githubApiUrl));
      expect(pathsMatching(emu, /^\/orgs\/acme$/).map((r) => r.status)).toEqual([403, 200]);
      await running?.close();
      running = undefined;
    }
  });

  it("makes a primary rate limit that resets beyond the wait a gap saying when it resets, and stops asking", async () => {
    const { emu, gaps } = await collect([{ kind: "throttle", api: "github", match: /^\/orgs\/acme\/repos/, times: 100, retryAfterSeconds: 3600, githubLimit: "primary", status: 429 }], { maxRetries: 2 });
    const gap = gaps.find((g) => g.scope === "orgs/acme")!;
    expect(gap.error).toMatch(/^repositories of organisation acme: GitHub's primary rate limit is used up \(x-ratelimit-remaining 0\) until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, more than the 60 s trustscope waits/);
    // Never retried: the reset is too far.
    expect(pathsMatching(emu, /^\/orgs\/acme\/repos$/)).toHaveLength(1);
  });

  it("honours a secondary rate limit's retry-after, and makes one beyond the wait a gap", async () => {
    const near = await collect([{ kind: "throttle", api: "github", match: /^\/repos\/acme\/svc$/, times: 1, retryAfterSeconds: 1, status: 429 }], { maxRetries: 2 });
    expect(near.gaps).toEqual([]);
    expect(pathsMatching(near.emu, /^\/repos\/acme\/svc$/).map((r) => r.status)).toEqual([429, 200]);
    await running?.close();
    running = undefined;

    const far = await collect([{ kind: "throttle", api: "github", match: /^\/repos\/acme\/svc$/, times: 5, retryAfterSeconds: 600 }], { maxRetries: 2 });
    expect(far.gaps).toEqual([{ source: "github", scope: "acme/svc", error: "repository acme/svc: GitHub's secondary rate limit asked to wait 600 s, more than the 60 s trustscope waits; not read, so the listing is incomplete" }]);
    expect(pathsMatching(far.emu, /^\/repos\/acme\/svc$/)).toHaveLength(1);
    // Listed with its organisation; its own reads never happened.
    expect(far.github.repositories.find((r) => r.fullName === "acme/svc")).toEqual({ ...WANTED.svc, oidcSubject: undefined, environments: undefined });
  });

  it("retries a server error maxRetries times, then names its status and the URL without its query", async () => {
    const { emu, gaps } = await collect([{ kind: "fail", api: "github", match: /^\/repos\/globex\/site\/actions/, status: 502 }], { maxRetries: 1 });
    expect(gaps).toEqual([{ source: "github", scope: "globex/site", error: `OIDC subject customisation of globex/site: 502 Server Error from ${emu.githubApiUrl}/repos/globex/site/actions/oidc/customization/sub` }]);
    expect(pathsMatching(emu, /^\/repos\/globex\/site\/actions/)).toHaveLength(2);
  });

  it("never follows a Link next to another origin; what was read is kept", async () => {
    const { emu, github, gaps } = await collect([{ kind: "foreignNextLink", api: "github", match: /^\/orgs\/acme\/repos/ }]);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.scope).toBe("orgs/acme");
    expect(gaps[0]!.error).toMatch(new RegExp(`^repositories of organisation acme: next link ${emu.foreignUrl}/organizations/${ACME}/repos points outside ${emu.githubApiUrl}; not followed`));
    expect(emu.requests.filter((r) => r.api === "foreign")).toEqual([]);
    // The first page (App and lib) and those read by name.
    expect(github.repositories.filter((r) => r.owner.login === "acme").map((r) => r.fullName)).toEqual(["acme/App", "acme/lib", "acme/svc"]);
  });

  it("ends a listing whose pages link back to themselves", async () => {
    const { gaps } = await collect([{ kind: "loopNextLink", api: "github", match: /environments/ }]);
    expect(gaps.find((g) => g.scope === "acme/App")!.error).toMatch(/^environments of acme\/App: next link .*\/repositories\/11\/environments repeats a page already read/);
  });

  it("follows no redirect, not even to its own origin", async () => {
    const { emu, github, gaps } = await collect([{ kind: "redirect", api: "github", match: /^\/repos\/acme\/lib$/i, status: 301, to: "foreign" }]);
    expect(gaps).toEqual([{ source: "github", scope: "ACME/lib", error: `repository ACME/lib: 301 redirect from ${emu.githubApiUrl}/repos/ACME/lib to ${emu.foreignUrl} not followed (trustscope follows no redirects), so the listing is incomplete` }]);
    expect(emu.requests.filter((r) => r.api === "foreign")).toEqual([]);
    // Listed with its organisation still; its own reads never happened.
    expect(github.repositories.find((r) => r.fullName === "acme/lib")).toEqual({ ...WANTED.lib, oidcSubject: undefined, environments: undefined });
  });

  it("refuses a body over the limit without reading it", async () => {
    const { emu, gaps } = await collect([{ kind: "oversize", api: "github", match: /^\/orgs\/globex\/repos/i, bytes: 5_000_000 }], { maxResponseBytes: 100_000 });
    expect(gaps).toEqual([{ source: "github", scope: "orgs/globex", error: `repositories of organisation globex: response from ${emu.githubApiUrl}/orgs/GLOBEX/repos is larger than 100000 bytes; not read, so the listing is incomplete` }]);
  });

  it("says a refused token is GITHUB_TOKEN's, and never puts a token in a gap or the request log", async () => {
    const refused = await collect([], {}, "not-the-token");
    expect(refused.gaps.length).toBeGreaterThan(0);
    for (const g of refused.gaps) expect(g.error).toMatch(/GITHUB_TOKEN was refused \(401 Bad credentials\)$/);
    await running?.close();
    running = undefined;

    const { emu, gaps } = await collect([{ kind: "echoAuthorization", api: "github", match: /^\/repos\/acme\/svc\/environments/, status: 422 }]);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.error).toContain("[GITHUB_TOKEN]");
    for (const text of [...gaps.flatMap((g) => [g.scope, g.error]), ...refused.gaps.flatMap((g) => [g.scope, g.error]), JSON.stringify(emu.requests)]) {
      expect(text).not.toContain(emu.tokens.github);
    }
  });
});

describe("nextLinkOf", () => {
  it("finds rel=next among GitHub's links, and nothing without one", () => {
    expect(nextLinkOf('<https://api.github.com/organizations/1/repos?page=1>; rel="prev", <https://api.github.com/organizations/1/repos?page=3>; rel="next", <https://api.github.com/organizations/1/repos?page=5>; rel="last"')).toBe("https://api.github.com/organizations/1/repos?page=3");
    expect(nextLinkOf('<https://api.github.com/x?page=1>; rel="first", <https://api.github.com/x?page=1>; rel="prev"')).toBeUndefined();
    expect(nextLinkOf(undefined)).toBeUndefined();
  });
});
