/**
 * The emulator's GitHub REST surface over plain HTTPS: tokens in both of GitHub's schemes, names
 * matched in any case, `page`/`per_page` with real `Link` headers, the real object and error
 * shapes, rate-limit headers, and the throttle faults' primary and secondary variants.
 */
import type { Inventory } from "@trustscope/core";
import { describe, expect, it } from "vitest";
import { emulatorPerTest, type Json } from "./helpers.ts";

const SCENARIO = {
  schemaVersion: "1",
  cloud: "AzureCloud",
  coverage: { complete: true, gaps: [] },
  github: {
    apiUrl: "https://api.github.com",
    organizations: [
      { login: "acme", id: 1001, oidcSubjectClaimKeys: ["repo", "context"] },
      { login: "globex", id: 1002, oidcSubjectClaimKeys: null },
    ],
    repositories: [
      {
        fullName: "acme/App",
        id: 11,
        owner: { login: "acme", id: 1001 },
        private: true,
        defaultBranch: "trunk",
        oidcSubject: { useDefault: false, includeClaimKeys: ["repo", "context", "job_workflow_ref"] },
        environments: [
          { name: "production", requiredReviewers: 2, preventSelfReview: true, waitTimerMinutes: 30, deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false }, canAdminsBypass: false },
          { name: "dev", requiredReviewers: 0, deploymentBranchPolicy: null, customProtectionRules: ["change-gate", "datadog"] },
          { name: "qa", requiredReviewers: 0, deploymentBranchPolicy: null },
          { name: "preview/pr 7", requiredReviewers: 0, deploymentBranchPolicy: null, customProtectionRules: [] },
          {
            name: "staging/eu",
            requiredReviewers: 0,
            deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true, patterns: [{ name: "main", type: "branch" }, { name: "release/*", type: "branch" }, { name: "v*", type: "tag" }] },
          },
          { name: "canary", requiredReviewers: 0, deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true } },
        ],
      },
      { fullName: "acme/lib", id: 12, owner: { login: "acme", id: 1001 }, private: false, oidcSubject: { useDefault: false } },
      { fullName: "acme/svc", id: 13, owner: { login: "acme", id: 1001 }, private: false },
      { fullName: "octocat/tool", id: 31, owner: { login: "octocat", id: 583231 }, private: false },
    ],
    missingRepositories: ["acme/ghost"],
  },
} as unknown as Inventory;

const start = emulatorPerTest();

describe("the GitHub emulator", () => {
  it("takes the token as Bearer or token, and answers others with GitHub's 401 body", async () => {
    const { emu, http } = await start({ scenario: SCENARIO });
    const url = `${emu.githubApiUrl}/orgs/acme`;
    expect((await http.get(url, emu.tokens.github)).status).toBe(200);
    expect((await http.get(url, undefined, { Authorization: `token ${emu.tokens.github}` })).status).toBe(200);
    const bad = await http.get(url, "nope");
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
    expect((await http.get(url)).body.message).toBe("Requires authentication");
    expect(JSON.stringify(emu.requests)).not.toContain(emu.tokens.github);
  });

  it("serves organisations, repositories and templates with names in any case; users and missing repositories are 404", async () => {
    const { emu, http } = await start({ scenario: SCENARIO });
    const get = (path: string) => http.get(`${emu.githubApiUrl}${path}`, emu.tokens.github);
    const org = await get("/orgs/ACME");
    expect(org.body).toMatchObject({ login: "acme", id: 1001, type: "Organization" });
    const repo = await get("/repos/ACME/app");
    expect(repo.body).toMatchObject({ id: 11, name: "App", full_name: "acme/App", private: true, fork: false, archived: false, default_branch: "trunk", visibility: "private", owner: { login: "acme", id: 1001, type: "Organization" } });
    expect((await get("/orgs/acme/actions/oidc/customization/sub")).body).toEqual({ include_claim_keys: ["repo", "context"] });
    expect((await get("/orgs/globex/actions/oidc/customization/sub")).body).toEqual({ include_claim_keys: [] });
    expect((await get("/repos/acme/app/actions/oidc/customization/sub")).body).toEqual({ use_default: false, include_claim_keys: ["repo", "context", "job_workflow_ref"] });
    expect((await get("/repos/acme/lib/actions/oidc/customization/sub")).body).toEqual({ use_default: false });
    expect((await get("/repos/acme/svc/actions/oidc/customization/sub")).body).toEqual({ use_default: true });
    for (const path of ["/orgs/octocat", "/repos/acme/ghost", "/repos/acme/ghost/environments", "/repos/acme/nope", "/nowhere"]) {
      const r = await get(path);
      expect([path, r.status, r.body.message, r.body.status]).toEqual([path, 404, "Not Found", "404"]);
    }
    expect((await http.post(`${emu.githubApiUrl}/orgs/acme`, {}, emu.tokens.github)).status).toBe(404);
  });

  it("pages with per_page up to its page size and a Link header GitHub's way, and sends rate-limit headers", async () => {
    const { emu, http } = await start({ scenario: SCENARIO, pageSize: { github: 2 } });
    const first = await http.get(`${emu.githubApiUrl}/orgs/acme/repos?per_page=100`, emu.tokens.github);
    expect((first.body as unknown as Json[]).map((r) => r.full_name)).toEqual(["acme/App", "acme/lib"]);
    const base = `${emu.githubApiUrl}/organizations/1001/repos?per_page=2`;
    expect(first.headers.get("link")).toBe(`<${base}&page=2>; rel="next", <${base}&page=2>; rel="last"`);
    const second = await http.get(`${base}&page=2`, emu.tokens.github);
    expect((second.body as unknown as Json[]).map((r) => r.full_name)).toEqual(["acme/svc"]);
    expect(second.headers.get("link")).toBe(`<${base}&page=1>; rel="prev", <${base}&page=1>; rel="first"`);
    expect(first.headers.get("x-ratelimit-limit")).toBe("5000");
    expect(Number(first.headers.get("x-ratelimit-remaining"))).toBeGreaterThan(Number(second.headers.get("x-ratelimit-remaining")));
    expect(first.headers.get("x-ratelimit-resource")).toBe("core");
    expect(first.headers.get("x-github-request-id")).toMatch(/^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}$/);
  });

  it("serves environments as GitHub's objects, with their protection rules", async () => {
    const { emu, http } = await start({ scenario: SCENARIO, pageSize: { github: 2 } });
    const r = await http.get(`${emu.githubApiUrl}/repos/acme/app/environments`, emu.tokens.github);
    expect(r.body.total_count).toBe(6);
    const [production, dev] = r.body.environments as Json[];
    expect(production).toMatchObject({ name: "production", can_admins_bypass: false, deployment_branch_policy: { protected_branches: true, custom_branch_policies: false } });
    expect((production!.protection_rules as Json[]).map((x) => [x.type, x.wait_timer, x.prevent_self_review, (x.reviewers as unknown[] | undefined)?.length])).toEqual([
      ["wait_timer", 30, undefined, undefined],
      ["required_reviewers", undefined, true, 2],
      ["branch_policy", undefined, undefined, undefined],
    ]);
    expect(dev).toMatchObject({ name: "dev", can_admins_bypass: true, protection_rules: [], deployment_branch_policy: null });
    expect(r.headers.get("link")).toContain(`${emu.githubApiUrl}/repositories/11/environments?per_page=2&page=2>; rel="next"`);
  });

  it("serves an environment's custom deployment protection rules in GitHub's shape: all at once, none when the scenario names none, 404 for an unknown environment", async () => {
    const { emu, http } = await start({ scenario: SCENARIO, pageSize: { github: 1 } });
    const get = (path: string) => http.get(`${emu.githubApiUrl}${path}`, emu.tokens.github);
    const dev = await get("/repos/ACME/app/environments/DEV/deployment_protection_rules");
    expect(dev.status).toBe(200);
    expect(dev.headers.get("link")).toBeNull();
    expect(dev.body.total_count).toBe(2);
    const rules = dev.body.custom_deployment_protection_rules as Json[];
    expect(rules.map((x) => [x.enabled, (x.app as Json).slug])).toEqual([
      [true, "change-gate"],
      [true, "datadog"],
    ]);
    for (const x of rules) {
      expect(x).toEqual({ id: expect.any(Number), node_id: expect.any(String), enabled: true, app: { id: expect.any(Number), slug: expect.any(String), integration_url: expect.any(String), node_id: expect.any(String) } });
    }
    expect(new Set(rules.map((x) => x.id)).size).toBe(2);
    for (const name of ["qa", "preview%2Fpr%207"]) {
      expect((await get(`/repos/acme/app/environments/${name}/deployment_protection_rules`)).body, name).toEqual({ total_count: 0, custom_deployment_protection_rules: [] });
    }
    for (const path of ["/repos/acme/app/environments/nope/deployment_protection_rules", "/repos/acme/lib/environments/dev/deployment_protection_rules", "/repos/acme/ghost/environments/dev/deployment_protection_rules"]) {
      const x = await get(path);
      expect([path, x.status, x.body.message]).toEqual([path, 404, "Not Found"]);
    }
  });

  it("serves an environment's deployment branch policies in GitHub's shape, paged with Link headers; none when the scenario names none, 404 for an unknown environment", async () => {
    const { emu, http } = await start({ scenario: SCENARIO, pageSize: { github: 2 } });
    const get = (path: string) => http.get(path.startsWith("http") ? path : `${emu.githubApiUrl}${path}`, emu.tokens.github);
    const first = await get("/repos/ACME/app/environments/Staging%2FEU/deployment-branch-policies?per_page=100");
    expect(first.status).toBe(200);
    expect(first.body.total_count).toBe(3);
    const policies = first.body.branch_policies as Json[];
    expect(policies.map((p) => [p.name, p.type])).toEqual([
      ["main", "branch"],
      ["release/*", "branch"],
    ]);
    for (const p of policies) expect(p).toEqual({ id: expect.any(Number), node_id: expect.any(String), name: expect.any(String), type: expect.any(String) });
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get("link") ?? "")?.[1];
    expect(next).toBe(`${emu.githubApiUrl}/repositories/11/environments/staging%2Feu/deployment-branch-policies?per_page=2&page=2`);
    const second = await get(next!);
    expect([second.body.total_count, (second.body.branch_policies as Json[]).map((p) => [p.name, p.type])]).toEqual([3, [["v*", "tag"]]]);
    expect(new Set([...policies, ...(second.body.branch_policies as Json[])].map((p) => p.id)).size).toBe(3);
    expect((await get("/repos/acme/app/environments/canary/deployment-branch-policies")).body).toEqual({ total_count: 0, branch_policies: [] });
    for (const path of ["/repos/acme/app/environments/nope/deployment-branch-policies", "/repositories/11/environments/nope/deployment-branch-policies", "/repositories/99/environments/canary/deployment-branch-policies", "/repos/acme/ghost/environments/canary/deployment-branch-policies"]) {
      const x = await get(path);
      expect([path, x.status, x.body.message]).toEqual([path, 404, "Not Found"]);
    }
  });

  it("answers a primary-limit throttle with x-ratelimit-remaining 0 and the reset, a secondary one with retry-after", async () => {
    const { emu, http } = await start({
      scenario: SCENARIO,
      faults: [
        { kind: "throttle", api: "github", match: /^\/orgs\/acme$/, times: 1, retryAfterSeconds: 30, githubLimit: "primary" },
        { kind: "throttle", api: "github", match: /^\/orgs\/globex$/, times: 1, retryAfterSeconds: 7, status: 429 },
      ],
    });
    const before = Math.floor(Date.now() / 1000);
    const primary = await http.get(`${emu.githubApiUrl}/orgs/acme`, emu.tokens.github);
    expect(primary.status).toBe(403);
    expect(primary.body.message).toMatch(/^API rate limit exceeded/);
    expect(primary.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(primary.headers.get("x-ratelimit-reset")) - before).toBeGreaterThanOrEqual(30);
    expect(primary.headers.get("retry-after")).toBeNull();
    const secondary = await http.get(`${emu.githubApiUrl}/orgs/globex`, emu.tokens.github);
    expect([secondary.status, secondary.headers.get("retry-after")]).toEqual([429, "7"]);
    expect(secondary.body.message).toMatch(/secondary rate limit/);
    expect(secondary.headers.get("x-ratelimit-remaining")).not.toBe("0");
    // The throttle is spent: the next request goes through.
    expect((await http.get(`${emu.githubApiUrl}/orgs/acme`, emu.tokens.github)).status).toBe(200);
  });

  it("names the permission a forbidden read needs in X-Accepted-GitHub-Permissions", async () => {
    const { emu, http } = await start({ scenario: SCENARIO, faults: [{ kind: "forbidden", api: "github", match: /./ }] });
    const accepted = async (path: string) => (await http.get(`${emu.githubApiUrl}${path}`, emu.tokens.github)).headers.get("x-accepted-github-permissions");
    expect(await accepted("/repos/acme/app/environments")).toBe("actions=read");
    expect(await accepted("/repos/acme/app/environments/dev/deployment_protection_rules")).toBe("actions=read");
    expect(await accepted("/repos/acme/app/environments/canary/deployment-branch-policies")).toBe("actions=read");
    expect(await accepted("/repos/acme/app/actions/oidc/customization/sub")).toBe("actions=read");
    expect(await accepted("/orgs/acme/actions/oidc/customization/sub")).toBe("organization_administration=read");
    expect(await accepted("/orgs/acme/repos")).toBe("metadata=read");
  });
});
