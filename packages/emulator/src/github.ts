/**
 * GitHub's REST API, as far as trustscope reads it: organisations, their repository listing and
 * OIDC subject template, and per repository its environments (with each one's custom deployment
 * branch policies and custom deployment protection rules) and OIDC subject template. Owner and
 * repository names match case-insensitively, lists page with `page`/`per_page` and a `Link`
 * header (next pages on `/organizations/{id}/…` and `/repositories/{id}/…`, as GitHub writes
 * them), every answer carries the rate-limit headers, and errors have GitHub's body.
 */
import { randomBytes } from "node:crypto";
import type { GitHubEnvironment, GitHubInventory, GitHubRepository, Inventory } from "@trustscope/core";
import { githubToken, json, queryParam, segmentsOf, type ApiRequest, type ApiResponse, type EmulatorState, type FamilyErrors, type FamilyHandler } from "./http.ts";

const CONTENT_TYPE = "application/json; charset=utf-8";
/** GitHub's own default and largest `per_page`. */
const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;
/** The primary limit of a personal access token, per hour. */
const RATE_LIMIT = 5000;
/** The inventory records no timestamps; GitHub always returns them. */
const TIMESTAMP = "2024-01-01T00:00:00Z";
const DOCS = "https://docs.github.com/rest";

type JsonObject = Record<string, unknown>;

export interface GitHubOptions {
  scenario: Inventory;
  pageSize: number;
  state: EmulatorState;
}

/** GitHub's error body: `message`, `documentation_url` and the status as a string. */
function githubError(status: number, message: string, documentationUrl = DOCS, headers?: Record<string, string>): ApiResponse {
  return json(status, { message, documentation_url: documentationUrl, status: String(status) }, headers);
}

/** A request ID in GitHub's shape (`CA41:3B8E:1B6F0B2:1C6C2E5:65F1D2A3`). */
function requestId(): string {
  const hex = (n: number) => randomBytes(n).toString("hex").toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(4)}:${hex(4)}:${hex(4)}`;
}

const lc = (s: string) => s.toLowerCase();

/**
 * The fine-grained permission an endpoint needs, as GitHub names it in
 * `X-Accepted-GitHub-Permissions` (docs: "Permissions required for fine-grained personal access tokens").
 */
function acceptedPermissions(segs: string[]): string {
  const lower = segs.map(lc);
  if (lower[0] === "orgs" && lower[2] === "actions") return "organization_administration=read";
  if (lower[0] === "repos" && (lower[3] === "environments" || lower[3] === "actions")) return "actions=read";
  if (lower[0] === "repositories" && lower[2] === "environments") return "actions=read";
  return "metadata=read";
}

export function createGitHubErrors(): FamilyErrors {
  const errors: FamilyErrors = {
    unauthorized: (_req, missing) => (missing ? githubError(401, "Requires authentication") : githubError(401, "Bad credentials")),
    throttled: (_req, status, retryAfterSeconds, limit = "secondary") => {
      if (status === 503) return githubError(503, "Service Unavailable", DOCS, { "retry-after": String(retryAfterSeconds) });
      if (limit === "primary") {
        const reset = Math.floor(Date.now() / 1000) + retryAfterSeconds;
        return githubError(status, `API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID ${requestId()}.`, "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api", {
          "x-ratelimit-limit": String(RATE_LIMIT),
          "x-ratelimit-remaining": "0",
          "x-ratelimit-used": String(RATE_LIMIT),
          "x-ratelimit-reset": String(reset),
          "x-ratelimit-resource": "core",
        });
      }
      return githubError(
        status,
        `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId()}.`,
        "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        { "retry-after": String(retryAfterSeconds) },
      );
    },
    forbidden: (req) => githubError(403, "Resource not accessible by personal access token", DOCS, { "x-accepted-github-permissions": acceptedPermissions(segmentsOf(req.url.pathname)) }),
    failed: (_req, status) => {
      switch (status) {
        case 404:
          return githubError(404, "Not Found");
        case 413:
          return githubError(413, "Request Entity Too Large");
        case 502:
          return githubError(502, "Server Error");
        case 503:
          return githubError(503, "Service Unavailable");
        default:
          return githubError(status, status >= 500 ? "Server Error" : `The request failed with status ${status}.`);
      }
    },
    failedWith: (_req, status, message) => githubError(status, message),
  };
  return errors;
}

/** A user or organisation as GitHub's `simple-user` shows it. */
function accountJson(origin: string, login: string, id: number, type: "Organization" | "User"): JsonObject {
  return {
    login,
    id,
    node_id: Buffer.from(`04:${type}${id}`).toString("base64"),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: "",
    url: `${origin}/users/${login}`,
    html_url: `https://github.com/${login}`,
    repos_url: `${origin}/users/${login}/repos`,
    type,
    user_view_type: "public",
    site_admin: false,
  };
}

export function createGitHubHandler(options: GitHubOptions): FamilyHandler {
  const { scenario, state, pageSize } = options;
  const github: GitHubInventory = scenario.github ?? { apiUrl: "", organizations: [], repositories: [] };
  const errors = createGitHubErrors();
  const organizations = new Map(github.organizations.map((o, i) => [lc(o.login), { ...o, id: o.id ?? 9_000_000 + i }]));
  const organizationsById = new Map([...organizations.values()].map((o) => [o.id, o]));
  const repositories = new Map(github.repositories.map((r) => [lc(r.fullName), r]));
  const repositoriesById = new Map(github.repositories.map((r) => [r.id, r]));
  const missing = new Set((github.missingRepositories ?? []).map(lc));
  const moved = new Set((github.movedRepositories ?? []).map(lc));
  // One primary-limit window for the emulator's life: counted down per answer, never enforced.
  const resetAt = Math.floor(Date.now() / 1000) + 3600;
  let used = 0;

  const origin = () => state.urls.github;
  const notFound = (documentationUrl = DOCS) => githubError(404, "Not Found", documentationUrl);
  const ownerType = (login: string) => (organizations.has(lc(login)) ? "Organization" : "User");

  function repositoryJson(r: GitHubRepository): JsonObject {
    const [, name = r.fullName] = r.fullName.split("/");
    const base = `${origin()}/repos/${r.fullName}`;
    return {
      id: r.id,
      node_id: Buffer.from(`010:Repository${r.id}`).toString("base64"),
      name,
      full_name: r.fullName,
      private: r.private,
      owner: accountJson(origin(), r.owner.login, r.owner.id, ownerType(r.owner.login)),
      html_url: `https://github.com/${r.fullName}`,
      description: null,
      fork: r.fork ?? false,
      url: base,
      hooks_url: `${base}/hooks`,
      deployments_url: `${base}/deployments`,
      environments_url: `${base}/environments`,
      created_at: TIMESTAMP,
      updated_at: TIMESTAMP,
      pushed_at: TIMESTAMP,
      git_url: `git://github.com/${r.fullName}.git`,
      ssh_url: `git@github.com:${r.fullName}.git`,
      clone_url: `https://github.com/${r.fullName}.git`,
      homepage: null,
      size: 108,
      stargazers_count: 0,
      watchers_count: 0,
      language: null,
      has_issues: true,
      has_projects: true,
      has_wiki: true,
      has_pages: false,
      forks_count: 0,
      archived: r.archived ?? false,
      disabled: false,
      open_issues_count: 0,
      license: null,
      allow_forking: true,
      is_template: false,
      topics: [],
      visibility: r.private ? "private" : "public",
      forks: 0,
      open_issues: 0,
      watchers: 0,
      default_branch: r.defaultBranch ?? "main",
      permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
    };
  }

  function environmentJson(r: GitHubRepository, e: GitHubEnvironment, index: number): JsonObject {
    const id = r.id * 100 + index;
    const rules: JsonObject[] = [];
    if (e.waitTimerMinutes !== undefined) rules.push({ id: id * 10 + 1, node_id: Buffer.from(`04:Gate${id * 10 + 1}`).toString("base64"), type: "wait_timer", wait_timer: e.waitTimerMinutes });
    if (e.requiredReviewers > 0) {
      rules.push({
        id: id * 10 + 2,
        node_id: Buffer.from(`04:Gate${id * 10 + 2}`).toString("base64"),
        prevent_self_review: e.preventSelfReview ?? false,
        type: "required_reviewers",
        reviewers: Array.from({ length: e.requiredReviewers }, (_, i) => ({ type: "User", reviewer: accountJson(origin(), `reviewer-${i + 1}`, 7_000_000 + i, "User") })),
      });
    }
    if (e.deploymentBranchPolicy) rules.push({ id: id * 10 + 3, node_id: Buffer.from(`04:Gate${id * 10 + 3}`).toString("base64"), type: "branch_policy" });
    return {
      id,
      node_id: Buffer.from(`011:Environment${id}`).toString("base64"),
      name: e.name,
      url: `${origin()}/repos/${r.fullName}/environments/${encodeURIComponent(e.name)}`,
      html_url: `https://github.com/${r.fullName}/deployments/activity_log?environments_filter=${encodeURIComponent(e.name)}`,
      created_at: TIMESTAMP,
      updated_at: TIMESTAMP,
      can_admins_bypass: e.canAdminsBypass ?? true,
      protection_rules: rules,
      deployment_branch_policy: e.deploymentBranchPolicy ? { protected_branches: e.deploymentBranchPolicy.protectedBranches, custom_branch_policies: e.deploymentBranchPolicy.customBranchPolicies } : null,
    };
  }

  /**
   * One page of a list, with GitHub's `Link` header. `listPath` is where next pages live (GitHub
   * pages `/orgs/x/repos` on `/organizations/ID/repos`); faults point the next link at the foreign
   * server, or make every page after the first link to itself.
   */
  function page<T>(req: ApiRequest, items: T[], listPath: string, wrap: (slice: T[]) => unknown): ApiResponse {
    const perPageRaw = Number(queryParam(req.url, "per_page") ?? DEFAULT_PER_PAGE);
    const perPage = Math.min(Number.isInteger(perPageRaw) && perPageRaw > 0 ? Math.min(perPageRaw, MAX_PER_PAGE) : DEFAULT_PER_PAGE, pageSize);
    const pageRaw = Number(queryParam(req.url, "page") ?? 1);
    const current = Number.isInteger(pageRaw) && pageRaw > 0 ? pageRaw : 1;
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((current - 1) * perPage, current * perPage);
    const foreign = state.fault("foreignNextLink", "github", req.rawPath);
    const loop = state.fault("loopNextLink", "github", req.rawPath);
    const linkTo = (n: number, base = origin()) => `<${base}${listPath}?per_page=${perPage}&page=${n}>`;
    const links: string[] = [];
    if (current > 1) links.push(`${linkTo(current - 1)}; rel="prev"`);
    const next = loop ? (current > 1 ? current : current + 1) : current < last ? current + 1 : undefined;
    if (next !== undefined) links.push(`${linkTo(next, foreign ? state.urls.foreign : origin())}; rel="next"`, `${linkTo(Math.max(last, next))}; rel="last"`);
    if (current > 1) links.push(`${linkTo(1)}; rel="first"`);
    return { status: 200, body: wrap(slice), ...(links.length > 0 ? { headers: { link: links.join(", ") } } : {}) };
  }

  function organizationRoutes(req: ApiRequest, login: string, rest: string[]): ApiResponse {
    const org = organizations.get(lc(login));
    // An owner of repositories that is no organisation is a user account: /orgs/{user} is 404.
    if (!org) return notFound("https://docs.github.com/rest/orgs/orgs#get-an-organization");
    if (rest.length === 0) {
      return json(200, {
        ...accountJson(origin(), org.login, org.id, "Organization"),
        url: `${origin()}/orgs/${org.login}`,
        repos_url: `${origin()}/orgs/${org.login}/repos`,
        description: null,
        name: org.login,
        company: null,
        blog: "",
        location: null,
        email: null,
        is_verified: false,
        has_organization_projects: true,
        has_repository_projects: true,
        public_repos: github.repositories.filter((r) => lc(r.owner.login) === lc(org.login) && !r.private).length,
        html_url: `https://github.com/${org.login}`,
        created_at: TIMESTAMP,
        updated_at: TIMESTAMP,
        archived_at: null,
      });
    }
    const path = rest.map(lc).join("/");
    if (path === "repos") return organizationRepos(req, org.id);
    // The organisation's template; one never set answers with no keys.
    if (path === "actions/oidc/customization/sub") return json(200, { include_claim_keys: org.oidcSubjectClaimKeys ?? [] });
    return notFound();
  }

  function organizationRepos(req: ApiRequest, orgId: number): ApiResponse {
    const org = organizationsById.get(orgId);
    if (!org) return notFound();
    const owned = github.repositories.filter((r) => lc(r.owner.login) === lc(org.login));
    return page(req, owned, `/organizations/${orgId}/repos`, (slice) => slice.map(repositoryJson));
  }

  function repositoryRoutes(req: ApiRequest, r: GitHubRepository, rest: string[]): ApiResponse {
    if (rest.length === 0) return json(200, repositoryJson(r));
    const path = rest.map(lc).join("/");
    if (path === "environments") return environments(req, r);
    if (rest.length === 3 && lc(rest[0]!) === "environments" && lc(rest[2]!) === "deployment_protection_rules") return customProtectionRules(r, rest[1]!);
    if (rest.length === 3 && lc(rest[0]!) === "environments" && lc(rest[2]!) === "deployment-branch-policies") return branchPolicies(req, r, rest[1]!);
    if (path === "actions/oidc/customization/sub") {
      const sub = r.oidcSubject ?? { useDefault: true };
      // The immutable-subject fields only when the scenario has them: without, the answer is one
      // from before GitHub added them (and a scenario round-trips exactly either way).
      const immutable = sub.useImmutableSubject;
      const prefix = immutable ? `repo:${r.owner.login}@${r.owner.id}/${r.fullName.split("/")[1]}@${r.id}` : `repo:${r.fullName}`;
      return json(200, {
        use_default: sub.useDefault,
        ...(sub.includeClaimKeys ? { include_claim_keys: sub.includeClaimKeys } : {}),
        ...(immutable !== undefined ? { use_immutable_subject: immutable, sub_claim_prefix: sub.subClaimPrefix ?? prefix } : {}),
      });
    }
    return notFound();
  }

  function environments(req: ApiRequest, r: GitHubRepository): ApiResponse {
    const all = r.environments ?? [];
    return page(req, all.map((e, i) => environmentJson(r, e, i)), `/repositories/${r.id}/environments`, (slice) => ({ total_count: all.length, environments: slice }));
  }

  /** A repository's environment by name, any case, with its index (ids are derived from it). */
  function environmentNamed(r: GitHubRepository, name: string): { index: number; e: GitHubEnvironment | undefined } {
    const index = (r.environments ?? []).findIndex((e) => lc(e.name) === lc(name));
    return { index, e: r.environments?.[index] };
  }

  /**
   * `GET /repos/{o}/{r}/environments/{name}/deployment_protection_rules`: every enabled custom rule
   * (no pages, as GitHub), one per app slug the scenario names; none when it names none.
   */
  function customProtectionRules(r: GitHubRepository, name: string): ApiResponse {
    const { index, e } = environmentNamed(r, name);
    if (!e) return notFound("https://docs.github.com/rest/deployments/protection-rules#get-all-deployment-protection-rules-for-an-environment");
    const slugs = e.customProtectionRules ?? [];
    const rules = slugs.map((slug, i) => {
      const id = (r.id * 100 + index) * 10 + 4 + i;
      const appId = 3_000_000 + i;
      return {
        id,
        node_id: Buffer.from(`04:Gate${id}`).toString("base64"),
        enabled: true,
        app: { id: appId, slug, integration_url: `${origin()}/apps/${slug}`, node_id: Buffer.from(`03:Integration${appId}`).toString("base64") },
      };
    });
    return json(200, { total_count: rules.length, custom_deployment_protection_rules: rules });
  }

  /**
   * `GET /repos/{o}/{r}/environments/{name}/deployment-branch-policies`: the scenario's patterns
   * (none when it names none), paged with next pages on `/repositories/{id}/…`, as the
   * environments listing; 404 for an unknown environment.
   */
  function branchPolicies(req: ApiRequest, r: GitHubRepository, name: string): ApiResponse {
    const { index, e } = environmentNamed(r, name);
    if (!e) return notFound("https://docs.github.com/rest/deployments/branch-policies#list-deployment-branch-policies");
    const all = (e.deploymentBranchPolicy?.patterns ?? []).map((p, i) => {
      const id = (r.id * 100 + index) * 100 + i;
      return { id, node_id: Buffer.from(`04:GateBranchPolicy${id}`).toString("base64"), name: p.name, type: p.type };
    });
    return page(req, all, `/repositories/${r.id}/environments/${encodeURIComponent(e.name)}/deployment-branch-policies`, (slice) => ({ total_count: all.length, branch_policies: slice }));
  }

  function route(req: ApiRequest): ApiResponse {
    // GitHub answers a method a route lacks as it answers a route that does not exist.
    if (req.method !== "GET") return notFound();
    const segs = segmentsOf(req.url.pathname);
    const lower = segs.map(lc);
    if (lower[0] === "orgs" && segs.length >= 2) return organizationRoutes(req, segs[1]!, segs.slice(2));
    if (lower[0] === "organizations" && segs.length === 3 && lower[2] === "repos") return organizationRepos(req, Number(segs[1]));
    if (lower[0] === "repos" && segs.length >= 3) {
      const fullName = `${segs[1]}/${segs[2]}`;
      // A renamed or transferred repository: GitHub redirects the old name to the repository's ID.
      if (moved.has(lc(fullName))) {
        const to = `${origin()}/repositories/${7_000_000 + [...moved].indexOf(lc(fullName))}${segs.length > 3 ? `/${segs.slice(3).join("/")}` : ""}`;
        return { status: 301, headers: { location: to }, body: { message: "Moved Permanently", url: to, documentation_url: "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects" } };
      }
      const r = missing.has(lc(fullName)) ? undefined : repositories.get(lc(fullName));
      if (!r) return notFound("https://docs.github.com/rest/repos/repos#get-a-repository");
      return repositoryRoutes(req, r, segs.slice(3));
    }
    if (lower[0] === "repositories" && segs.length === 3 && lower[2] === "environments") {
      const r = repositoriesById.get(Number(segs[1]));
      return r ? environments(req, r) : notFound();
    }
    if (lower[0] === "repositories" && segs.length === 5 && lower[2] === "environments" && lower[4] === "deployment-branch-policies") {
      const r = repositoriesById.get(Number(segs[1]));
      return r ? branchPolicies(req, r, segs[3]!) : notFound();
    }
    return notFound();
  }

  return {
    api: "github",
    errors,
    contentType: CONTENT_TYPE,
    tokenOf: githubToken,
    commonHeaders: () => {
      used = Math.min(RATE_LIMIT, used + 1);
      return {
        "x-github-api-version-selected": "2022-11-28",
        "x-ratelimit-limit": String(RATE_LIMIT),
        "x-ratelimit-remaining": String(RATE_LIMIT - used),
        "x-ratelimit-reset": String(resetAt),
        "x-ratelimit-used": String(used),
        "x-ratelimit-resource": "core",
        "x-github-request-id": requestId(),
      };
    },
    handle: (req) => route(req),
  };
}
