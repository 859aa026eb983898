/**
 * GitHub collector: for each organisation its ID, OIDC subject template and repository listing;
 * for each repository asked for, the repository itself, its environments (protection rules; the
 * patterns of custom deployment branch policies; the custom deployment protection rules of those
 * with no other protection) and its OIDC subject customisation. Read through `@octokit/rest` with
 * a fetch of our own that keeps to the API's origin, follows no redirect, caps bodies, times out,
 * and waits out GitHub's rate limits when they end soon (else the read becomes a gap saying when
 * they reset).
 */
import { Octokit } from "@octokit/rest";
import { openBranchPattern, type CoverageGap, type GitHubBranchPattern, type GitHubEnvironment, type GitHubInventory, type GitHubOrganization, type GitHubRepository } from "../model/inventory.ts";
import { LeftOut, leftOutGaps } from "./left-out.ts";
import { assertSameOrigin, backoffMs, bufferedResponse, dispatcherFor, Limiter, PageGuard, RedirectRefusedError, redactUrl, RefusedResponseError, refusalOf, responseLimits, retryAfterMs, sleep } from "./http.ts";
import { DEFAULTS, type CollectOptions } from "./options.ts";

/** The REST API version asked for (the header GitHub's docs send; the one the response shapes here are from). */
export const GITHUB_API_VERSION = "2022-11-28";
/** The longest trustscope waits for a rate limit to end; a later reset makes the read a gap. */
export const GITHUB_MAX_RATE_LIMIT_WAIT_MS = 60_000;
/**
 * GitHub asks integrations to avoid concurrent requests (best practices) and counts 900 points a
 * minute per endpoint family towards its secondary limit (a GET is one point): two in flight stay
 * under it at GitHub's usual latency, four would not.
 */
export const GITHUB_MAX_CONCURRENCY = 2;
/** GitHub's largest page. */
const PER_PAGE = 100;
/** What `getOne` returns for a repository GitHub redirects (renamed or transferred). */
const MOVED = Symbol("moved");

/** The refused redirect behind an error (Octokit wraps what its fetch throws), if that is what it was. */
function redirectOf(e: unknown): RedirectRefusedError | undefined {
  const refused = refusalOf(e);
  return refused instanceof RedirectRefusedError ? refused : undefined;
}
/** Secondary limit without `retry-after`: GitHub says to wait at least a minute, longer on each retry. */
const SECONDARY_WAIT_MS = 60_000;
/** The latest time a Date can hold (ECMA-262's time value range). */
const MAX_DATE_MS = 8.64e15;

/**
 * What each read needs, for a fine-grained token or GitHub App and for a classic token (from
 * GitHub's "Permissions required for fine-grained personal access tokens" and each endpoint's
 * reference): said in a 403's gap.
 */
export const GITHUB_PERMISSION = {
  organization: "organisation membership visible to the token (no permission needed for a public organisation)",
  repositories: "repository permission Metadata (read) on the organisation's repositories (classic token: repo for private ones)",
  organizationTemplate: "organisation permission Administration (read) (classic token: read:org)",
  repository: "repository permission Metadata (read) (classic token: repo for a private repository)",
  environments: "repository permission Actions (read) (classic token: repo for a private repository)",
  customProtectionRules: "repository permission Actions (read) (classic token: repo for a private repository)",
  branchPolicies: "repository permission Actions (read) (classic token: repo for a private repository)",
  repositoryTemplate: "repository permission Actions (read) (classic token: repo)",
} as const;

/** A rate limit that ends too late to wait for: the read is a gap naming when it ends. */
export class GitHubRateLimitError extends RefusedResponseError {
  override name = "GitHubRateLimitError";
  constructor(
    message: string,
    /** When requests may go again (ms since the epoch), if GitHub said. */
    readonly resumeAt?: number,
  ) {
    super(message);
  }
}

/** How a 403/429/5xx answer asks to be retried: after `waitMs`, or (primary limit) at `resumeAt`. */
export interface GitHubThrottle {
  limit: "primary" | "secondary" | "server";
  waitMs: number;
  resumeAt?: number;
}

/**
 * GitHub's documented rules ("Rate limits for the REST API", "Exceeding the rate limit"): a 403
 * or 429 with `x-ratelimit-remaining: 0` waits until `x-ratelimit-reset` (UTC epoch seconds); one
 * with `retry-after` waits that long; one whose message names the secondary limit (or a bare 429)
 * waits at least a minute, doubling per retry. A 5xx is retried after `retry-after` or backoff. Any
 * other answer is not a throttle (a 403 is then a permission to name).
 */
export function githubThrottle(status: number, headers: Headers, bodyText: string, attempt: number, now: number): GitHubThrottle | undefined {
  if (status >= 500) return { limit: "server", waitMs: retryAfterMs(headers.get("retry-after"), backoffMs(attempt)) };
  if (status !== 403 && status !== 429) return undefined;
  if (headers.get("x-ratelimit-remaining") === "0") {
    const reset = Number(headers.get("x-ratelimit-reset"));
    // A reset a Date cannot hold (year 275760 and on) is as unreadable as none: wait the minute GitHub advises.
    const resumeAt = Number.isFinite(reset) && reset > 0 && reset * 1000 <= MAX_DATE_MS ? reset * 1000 : now + SECONDARY_WAIT_MS;
    return { limit: "primary", waitMs: Math.max(0, resumeAt - now), resumeAt };
  }
  const retryAfter = headers.get("retry-after");
  if (retryAfter) return { limit: "secondary", waitMs: retryAfterMs(retryAfter, SECONDARY_WAIT_MS) };
  if (status === 429 || /secondary rate limit|abuse detection/i.test(bodyText)) return { limit: "secondary", waitMs: SECONDARY_WAIT_MS * 2 ** attempt };
  return undefined;
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * The fetch under Octokit: every request within the API's origin, no redirect followed, bodies
 * capped, a deadline per request; throttles and server errors retried as githubThrottle says, up to
 * `maxRetries`, never waiting longer than GITHUB_MAX_RATE_LIMIT_WAIT_MS. A primary limit holds every
 * request of the collection until its reset (or, when that is too far, refuses them unsent: GitHub
 * may ban an integration that keeps asking).
 */
function githubFetch(opts: CollectOptions, apiUrl: string): typeof fetch {
  const dispatcher = dispatcherFor(opts.caPem);
  const maxRetries = opts.maxRetries ?? DEFAULTS.maxRetries;
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  const limits = responseLimits(opts, DEFAULTS);
  let pausedUntil = 0;
  let exhausted: GitHubRateLimitError | undefined;
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    // Before anything is sent: the token must never reach another origin.
    assertSameOrigin(url, apiUrl);
    const headers = { ...(init?.headers as Record<string, string> | undefined), "x-github-api-version": GITHUB_API_VERSION };
    for (let attempt = 0; ; attempt++) {
      if (exhausted && Date.now() < (exhausted.resumeAt ?? Number.POSITIVE_INFINITY)) throw exhausted;
      if (pausedUntil > Date.now()) await sleep(pausedUntil - Date.now());
      let buffered: Response;
      try {
        const res = await fetch(url, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(timeoutMs), ...(dispatcher ? { dispatcher } : {}) } as RequestInit);
        buffered = await bufferedResponse(res, url, limits);
      } catch (e) {
        // A refused answer would be refused again; a network failure or timeout may not recur.
        if (refusalOf(e) || attempt >= maxRetries) throw e instanceof Error && e.name === "TimeoutError" ? new Error(`no complete answer from ${redactUrl(url)} within ${timeoutMs} ms`) : e;
        await sleep(backoffMs(attempt));
        continue;
      }
      const now = Date.now();
      const remaining = buffered.headers.get("x-ratelimit-remaining");
      const throttled = githubThrottle(buffered.status, buffered.headers, buffered.status === 403 || buffered.status === 429 ? await buffered.clone().text() : "", attempt, now);
      if (!throttled) {
        // The last request this window allows: hold the next ones until the reset rather than be refused.
        if (remaining === "0" && buffered.ok) {
          const reset = Number(buffered.headers.get("x-ratelimit-reset")) * 1000;
          if (Number.isFinite(reset) && reset - now <= GITHUB_MAX_RATE_LIMIT_WAIT_MS) pausedUntil = Math.max(pausedUntil, reset);
        }
        return buffered;
      }
      if (throttled.limit === "server") {
        // A server error's retry-after is the server's to choose: one beyond the longest wait ends the read now.
        if (attempt >= maxRetries || throttled.waitMs > GITHUB_MAX_RATE_LIMIT_WAIT_MS) return buffered;
        await sleep(throttled.waitMs);
        continue;
      }
      if (attempt < maxRetries && throttled.waitMs <= GITHUB_MAX_RATE_LIMIT_WAIT_MS) {
        if (throttled.resumeAt !== undefined) pausedUntil = Math.max(pausedUntil, throttled.resumeAt);
        await sleep(throttled.waitMs);
        continue;
      }
      const error =
        throttled.limit === "primary"
          ? new GitHubRateLimitError(`GitHub's primary rate limit is used up (x-ratelimit-remaining 0) until ${isoSeconds(throttled.resumeAt!)}${throttled.waitMs > GITHUB_MAX_RATE_LIMIT_WAIT_MS ? `, more than the ${GITHUB_MAX_RATE_LIMIT_WAIT_MS / 1000} s trustscope waits` : ` (${maxRetries} retries spent)`}; not read, so the listing is incomplete`, throttled.resumeAt)
          : new GitHubRateLimitError(`GitHub's secondary rate limit asked to wait ${Math.ceil(throttled.waitMs / 1000)} s${throttled.waitMs > GITHUB_MAX_RATE_LIMIT_WAIT_MS ? `, more than the ${GITHUB_MAX_RATE_LIMIT_WAIT_MS / 1000} s trustscope waits` : ` (${maxRetries} retries spent)`}; not read, so the listing is incomplete`);
      if (throttled.limit === "primary" && throttled.waitMs > GITHUB_MAX_RATE_LIMIT_WAIT_MS) exhausted = error;
      throw error;
    }
  };
}

/** What Octokit throws for an HTTP error status (its RequestError), read without depending on the class. */
interface HttpErrorLike {
  status: number;
  response?: { url?: string; headers?: Record<string, string | undefined>; data?: unknown };
}

function httpErrorOf(e: unknown): HttpErrorLike | undefined {
  const x = e as HttpErrorLike | undefined;
  return x && typeof x === "object" && typeof x.status === "number" && x.response !== undefined ? x : undefined;
}

/**
 * One line of at most 200 characters from text a server chose, the token replaced first (a cut
 * could otherwise leave part of it).
 */
const oneLine = (s: string, token: string) => scrub(s, token).replace(/\s+/g, " ").trim().slice(0, 200);
const scrub = (s: string, token: string) => (token.length > 0 ? s.split(token).join("[GITHUB_TOKEN]") : s);

/** A gap's error: what was read, why it failed, and for a 403 the permission it needs. No token, no query string. */
function describe(e: unknown, what: string, url: string, permission: string, token: string): string {
  const refused = refusalOf(e);
  if (refused) return `${what}: ${refused.message}`;
  const http = httpErrorOf(e);
  if (http) {
    const data = http.response?.data;
    const message = data && typeof data === "object" && typeof (data as { message?: unknown }).message === "string" ? oneLine((data as { message: string }).message, token) : "";
    if (http.status === 401) return `${what}: GITHUB_TOKEN was refused (401${message ? ` ${message}` : ""})`;
    if (http.status === 403) {
      const accepted = http.response?.headers?.["x-accepted-github-permissions"];
      return `${what}: 403${message ? ` ${message}` : ""}: the token needs ${permission}${accepted ? ` (GitHub asks for ${oneLine(accepted, token)})` : ""}`;
    }
    return `${what}: ${http.status}${message ? ` ${message}` : ""} from ${redactUrl(url)}`;
  }
  const cause = (e as { cause?: unknown } | undefined)?.cause;
  const text = e instanceof Error ? e.message : String(e);
  return `${what}: ${oneLine(cause instanceof Error && cause.message ? cause.message : text, token)} (${redactUrl(url)})`;
}

/** The URL of `rel="next"` in a `Link` header, if any. */
export function nextLinkOf(link: string | undefined): string | undefined {
  for (const m of (link ?? "").matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";,]+)"?/i.exec(m[2] ?? "")?.[1];
    if (rel && rel.toLowerCase().split(/\s+/).includes("next")) return m[1];
  }
  return undefined;
}

/**
 * A next link as the URL to request: a relative one resolved against the page it came with (RFC
 * 8288), as a browser would. Anything but a plain http(s) URL (another scheme, user credentials,
 * text that is no URL) is refused with what it is, never requested.
 */
export function nextUrl(link: string, base: string): string {
  let u: URL;
  try {
    u = new URL(link, base);
  } catch {
    throw new RefusedResponseError(`next link ${JSON.stringify(link.slice(0, 100))} is not a URL; not followed, so the listing is incomplete`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new RefusedResponseError(`next link with scheme ${JSON.stringify(u.protocol.slice(0, 40))} is not an http(s) URL; not followed, so the listing is incomplete`);
  if (u.username !== "" || u.password !== "") throw new RefusedResponseError(`next link ${redactUrl(`${u.origin}${u.pathname}`)} carries user credentials; not followed, so the listing is incomplete`);
  return u.href;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
const lc = (s: string) => s.toLowerCase();
/** `owner/repo`, neither part `.` or `..` (GitHub allows neither; in a URL path they would name another path). */
const FULL_NAME = /^(?!\.\.?\/)[^/\s]+\/(?!\.\.?$)[^/\s]+$/;
/**
 * Far above GitHub's own limits (logins 39 characters, repository names 100, environment names
 * 255): longer text from a server is no name of GitHub's and would bloat every report that prints it.
 */
const MAX_NAME = 512;

/** A repository as the inventory holds it, or the reason it cannot be. */
function toRepository(raw: unknown): GitHubRepository | string {
  if (!isObject(raw)) return "that is not an object";
  const owner = raw.owner;
  if (typeof raw.full_name !== "string" || raw.full_name.length > MAX_NAME || !FULL_NAME.test(raw.full_name)) return "without an owner/name full_name";
  if (!isInt(raw.id)) return "without an integer id";
  if (!isObject(owner) || typeof owner.login !== "string" || owner.login === "" || owner.login.length > MAX_NAME || !isInt(owner.id)) return "without an owner login and id";
  if (typeof raw.private !== "boolean") return "without private";
  return {
    fullName: raw.full_name,
    id: raw.id,
    owner: { login: owner.login, id: owner.id },
    private: raw.private,
    ...(typeof raw.fork === "boolean" ? { fork: raw.fork } : {}),
    ...(typeof raw.archived === "boolean" ? { archived: raw.archived } : {}),
    ...(typeof raw.default_branch === "string" ? { defaultBranch: raw.default_branch } : {}),
  };
}

/** An environment as the inventory holds it (`protection_rules` boiled down), or why it cannot be. */
function toEnvironment(raw: unknown): GitHubEnvironment | string {
  if (!isObject(raw)) return "that is not an object";
  if (typeof raw.name !== "string" || raw.name === "" || raw.name.length > MAX_NAME) return "without a name";
  let requiredReviewers = 0;
  let preventSelfReview: boolean | undefined;
  let waitTimerMinutes: number | undefined;
  for (const rule of Array.isArray(raw.protection_rules) ? raw.protection_rules : []) {
    if (!isObject(rule)) continue;
    if (rule.type === "required_reviewers") {
      requiredReviewers += Array.isArray(rule.reviewers) ? rule.reviewers.length : 0;
      if (typeof rule.prevent_self_review === "boolean") preventSelfReview = rule.prevent_self_review;
    } else if (rule.type === "wait_timer" && isInt(rule.wait_timer) && rule.wait_timer >= 0) {
      waitTimerMinutes = rule.wait_timer;
    }
    // `branch_policy` says only that deployment_branch_policy is set, read below; custom
    // deployment protection rules are read from their own endpoint (readCustomRules).
  }
  const policy = raw.deployment_branch_policy;
  return {
    name: raw.name,
    requiredReviewers,
    ...(preventSelfReview !== undefined ? { preventSelfReview } : {}),
    ...(waitTimerMinutes !== undefined ? { waitTimerMinutes } : {}),
    deploymentBranchPolicy: isObject(policy) ? { protectedBranches: policy.protected_branches === true, customBranchPolicies: policy.custom_branch_policies === true } : null,
    ...(typeof raw.can_admins_bypass === "boolean" ? { canAdminsBypass: raw.can_admins_bypass } : {}),
  };
}

/**
 * One custom deployment branch policy, or undefined when the entry is none. GitHub added `type`
 * with tag policies: an answer without it comes from before, when every policy was a branch's.
 */
function toBranchPattern(raw: unknown): GitHubBranchPattern | undefined {
  if (!isObject(raw) || typeof raw.name !== "string" || raw.name === "" || raw.name.length > MAX_NAME) return undefined;
  if (raw.type !== undefined && raw.type !== "branch" && raw.type !== "tag") return undefined;
  return { name: raw.name, type: raw.type === "tag" ? "tag" : "branch" };
}

/**
 * The app slugs of an environment's custom deployment protection rules, or why the answer says
 * nothing. A rule that is not enabled gates nothing; an enabled one whose app cannot be named
 * makes the whole answer unusable (its environment must not pass for ungated, nor for gated by
 * something unnamed).
 */
function customRuleApps(raw: unknown): string[] | string {
  if (!isObject(raw) || !Array.isArray(raw.custom_deployment_protection_rules)) return "the answer has no custom_deployment_protection_rules list";
  const rules: unknown[] = raw.custom_deployment_protection_rules;
  // The endpoint has no pages: a count above the list means rules left out.
  if (isInt(raw.total_count) && raw.total_count > rules.length) return `the answer counts ${raw.total_count} rules but lists ${rules.length}`;
  const slugs = new Set<string>();
  for (const rule of rules) {
    if (!isObject(rule) || typeof rule.enabled !== "boolean") return "a rule in the answer is not a rule with enabled";
    if (!rule.enabled) continue;
    const app = rule.app;
    if (!isObject(app) || typeof app.slug !== "string" || app.slug === "" || app.slug.length > MAX_NAME) return "an enabled rule in the answer names no app slug";
    slugs.add(app.slug);
  }
  return [...slugs];
}

/** Claim keys as the inventory holds them: non-empty strings only, or the reason they are not. */
function claimKeys(raw: unknown): string[] | string {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || !raw.every((k) => typeof k === "string" && k !== "")) return "include_claim_keys is not a list of claim names";
  return raw as string[];
}

/** Request priorities under the limiter: next pages before first reads, so listings finish. */
const PRIORITY = { first: 0, page: 1 } as const;

export async function collectGitHub(opts: CollectOptions, wanted: { organizations: string[]; repositories: string[] }): Promise<{ github: GitHubInventory; gaps: CoverageGap[] }> {
  const gh = opts.github!;
  const apiUrl = gh.apiUrl.replace(/\/+$/, "");
  const limiter = new Limiter(Math.max(1, Math.min(opts.concurrency ?? DEFAULTS.concurrency, GITHUB_MAX_CONCURRENCY)));
  const maxPages = opts.maxPagesPerListing ?? DEFAULTS.maxPagesPerListing;
  // Names in progress lines come from the server, which could echo the token into them.
  const progress = (m: string) => opts.onProgress?.("github", scrub(m, gh.token));
  const gaps: CoverageGap[] = [];
  const octokit = new Octokit({
    auth: gh.token,
    baseUrl: apiUrl,
    userAgent: "trustscope",
    // Octokit's warnings (deprecations) would reach the terminal; the collection says what matters in gaps.
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    request: { fetch: githubFetch(opts, apiUrl) },
  });

  const get = (url: string, priority: number) =>
    limiter.run(async () => {
      const res = await octokit.request({ method: "GET", url });
      return { data: res.data as unknown, link: res.headers.link };
    }, priority);

  /** `url` (absolute) for messages. */
  const abs = (path: string) => (/^https?:/i.test(path) ? path : `${apiUrl}${path}`);

  /**
   * One object; a 404 is `undefined` when `notFound` says so (a repository that does not exist),
   * every other failure a gap and `null`.
   */
  async function getOne(what: string, scope: string, path: string, permission: string, notFound?: "absent"): Promise<unknown | typeof MOVED> {
    try {
      return (await get(path, PRIORITY.first)).data;
    } catch (e) {
      if (notFound === "absent" && httpErrorOf(e)?.status === 404) return undefined;
      // GitHub answers a renamed or transferred repository's old name with a redirect to the
      // repository's ID on its own API (not followed); a redirect anywhere else is refused as usual.
      const moved = notFound === "absent" ? redirectOf(e) : undefined;
      if (moved?.target && moved.target.origin === new URL(apiUrl).origin && /^\/(?:api\/v3\/)?repositories\/\d+(?:\/|$)/.test(moved.target.pathname)) return MOVED;
      gaps.push({ source: "github", scope, error: describe(e, what, abs(path), permission, gh.token) });
      return null;
    }
  }

  /**
   * Pages a listing to the end along its `Link` headers (never off the API's origin, never a page
   * twice, at most maxPagesPerListing); `items` picks a page's list. A failure keeps what was read,
   * records a gap and returns false.
   */
  async function listAll(what: string, scope: string, path: string, permission: string, items: (data: unknown) => unknown[] | undefined, onPage: (page: unknown[]) => void): Promise<boolean> {
    const guard = new PageGuard(maxPages);
    let url = `${path}${path.includes("?") ? "&" : "?"}per_page=${PER_PAGE}`;
    try {
      for (let n = 0; ; n++) {
        guard.next(abs(url));
        const { data, link } = await get(url, n === 0 ? PRIORITY.first : PRIORITY.page);
        const page = items(data);
        if (!page) throw new Error("the answer is not the list GitHub sends");
        onPage(page);
        const written = nextLinkOf(link);
        if (written === undefined) return true;
        const next = nextUrl(written, abs(url));
        assertSameOrigin(next, apiUrl);
        url = next;
      }
    } catch (e) {
      gaps.push({ source: "github", scope, error: describe(e, what, abs(url), permission, gh.token) });
      return false;
    }
  }

  const organizations: GitHubOrganization[] = [];
  const repositories = new Map<string, GitHubRepository>();
  const missingRepositories: string[] = [];
  const movedRepositories: string[] = [];
  const leftOut = new Map<string, LeftOut>();
  const leftOutIn = (scope: string) => leftOut.get(scope) ?? (leftOut.set(scope, new LeftOut()), leftOut.get(scope)!);

  const byLower = <T extends string>(names: readonly T[]) => [...new Map(names.map((n) => [lc(n), n])).values()];

  async function readOrganization(login: string): Promise<void> {
    const scope = `orgs/${login}`;
    const org = await getOne(`organisation ${login}`, scope, `/orgs/${encodeURIComponent(login)}`, GITHUB_PERMISSION.organization, "absent");
    // 404: no organisation by that name the token can see; a repository owner that is a user
    // account answers so too, and has no template to read.
    if (org === undefined) {
      progress(`${login} is no organisation the token can see`);
      return;
    }
    if (org === null) return;
    // An answer that is no object (malformed JSON reads as text) says nothing about the organisation.
    if (!isObject(org)) {
      gaps.push({ source: "github", scope, error: `organisation ${login}: the answer is not an organisation object; not read` });
      return;
    }
    // GitHub spells the login its own way, but it is still the organisation asked for.
    const named = typeof org.login === "string" && lc(org.login) === lc(login) ? org.login : login;
    const entry: GitHubOrganization = { login: named, ...(isInt(org.id) ? { id: org.id } : {}) };
    organizations.push(entry);
    // Gaps name the organisation as GitHub spells it, as the inventory does.
    const orgScope = `orgs/${entry.login}`;
    const templateRead = (async () => {
      const template = await getOne(`OIDC subject template of organisation ${entry.login}`, orgScope, `/orgs/${encodeURIComponent(login)}/actions/oidc/customization/sub`, GITHUB_PERMISSION.organizationTemplate);
      if (template === null) return;
      // The field is required in GitHub's schema: an answer without it says nothing.
      const keys = isObject(template) && Array.isArray(template.include_claim_keys) ? claimKeys(template.include_claim_keys) : "the answer has no include_claim_keys list";
      if (typeof keys === "string") {
        gaps.push({ source: "github", scope: orgScope, error: `OIDC subject template of organisation ${entry.login}: ${keys}; not judged` });
        return;
      }
      // No keys: the organisation never set a template (GitHub's default applies).
      entry.oidcSubjectClaimKeys = keys.length > 0 ? keys : null;
    })();
    let listed = 0;
    await listAll(`repositories of organisation ${entry.login}`, orgScope, `/orgs/${encodeURIComponent(login)}/repos`, GITHUB_PERMISSION.repositories, (d) => (Array.isArray(d) ? d : undefined), (page) => {
      for (const raw of page) {
        const r = toRepository(raw);
        if (typeof r === "string") {
          leftOutIn(orgScope).add(isObject(raw) && typeof raw.full_name === "string" ? raw.full_name : undefined, r);
          continue;
        }
        // An organisation's listing holds its own repositories only; another owner's would be filed under the wrong account.
        if (lc(r.owner.login) !== lc(entry.login) || lc(r.fullName.split("/")[0]!) !== lc(entry.login)) {
          leftOutIn(orgScope).add(r.fullName, `owned by ${r.owner.login}, not by organisation ${entry.login}`);
          continue;
        }
        // A repository asked for by name is read on its own, which wins.
        if (!repositories.has(lc(r.fullName))) repositories.set(lc(r.fullName), r);
        listed++;
      }
      progress(`${listed} repositories listed in ${entry.login}`);
    });
    await templateRead;
  }

  async function readRepository(name: string): Promise<void> {
    if (!FULL_NAME.test(name)) {
      gaps.push({ source: "github", scope: name, error: `repository ${JSON.stringify(name.slice(0, 200))}: not an owner/repo name; not read` });
      return;
    }
    const [owner, repo] = name.split("/") as [string, string];
    const base = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
    const raw = await getOne(`repository ${name}`, name, base, GITHUB_PERMISSION.repository, "absent");
    if (raw === MOVED) {
      movedRepositories.push(name);
      return;
    }
    if (raw === undefined) {
      // A credential naming a repository that does not exist is a finding, not a read failure.
      missingRepositories.push(name);
      return;
    }
    if (raw === null) return;
    const r = toRepository(raw);
    if (typeof r === "string") {
      gaps.push({ source: "github", scope: name, error: `repository ${name}: the answer is a repository ${r}; not read` });
      return;
    }
    // GitHub answers a renamed or transferred repository's old name with a redirect (refused above),
    // so an answer naming another repository is not this one's: its facts would be filed under the wrong name.
    if (lc(r.fullName) !== lc(name)) {
      gaps.push({ source: "github", scope: name, error: `repository ${name}: the answer describes repository ${JSON.stringify(r.fullName.slice(0, 200))}, not the one asked for; not read` });
      return;
    }
    repositories.set(lc(r.fullName), r);
    const scope = r.fullName;
    const environments: GitHubEnvironment[] = [];
    const leftOutEnvironments = new LeftOut();
    const [environmentsRead] = await Promise.all([
      listAll(`environments of ${scope}`, scope, `${base}/environments`, GITHUB_PERMISSION.environments, (d) => (isObject(d) && Array.isArray(d.environments) ? d.environments : undefined), (page) => {
        for (const e of page) {
          const env = toEnvironment(e);
          if (typeof env === "string") leftOutEnvironments.add(isObject(e) && typeof e.name === "string" ? e.name : undefined, env);
          else environments.push(env);
        }
      }).then(async (read) => {
        if (!read) return read;
        await Promise.all(
          environments.map(async (e) => {
            if (e.deploymentBranchPolicy?.customBranchPolicies) await readBranchPolicies(base, scope, e);
            // Custom rules matter only where nothing else protects the environment, and each read is a
            // request: environments with reviewers, or a branch policy that restricts branches (or
            // whose patterns were not read), are not asked about.
            if (e.requiredReviewers === 0 && (e.deploymentBranchPolicy === null || openBranchPattern(e) !== undefined)) await readCustomRules(base, scope, e);
          }),
        );
        return read;
      }),
      (async () => {
        const what = `OIDC subject customisation of ${scope}`;
        const sub = await getOne(what, scope, `${base}/actions/oidc/customization/sub`, GITHUB_PERMISSION.repositoryTemplate);
        if (sub === null) return;
        const keys = claimKeys(isObject(sub) ? sub.include_claim_keys : undefined);
        if (!isObject(sub) || typeof sub.use_default !== "boolean" || typeof keys === "string") {
          gaps.push({ source: "github", scope, error: `${what}: ${typeof keys === "string" ? keys : "the answer has no use_default"}; not judged` });
          return;
        }
        // GitHub ignores the keys while use_default is true; without keys the organisation's template applies.
        r.oidcSubject = {
          useDefault: sub.use_default,
          ...(!sub.use_default && keys.length > 0 ? { includeClaimKeys: keys } : {}),
          // GitHub's immutable subjects (owner@ID/repo@ID); answers from before that feature carry neither field.
          ...(typeof sub.use_immutable_subject === "boolean" ? { useImmutableSubject: sub.use_immutable_subject } : {}),
          ...(typeof sub.sub_claim_prefix === "string" && sub.sub_claim_prefix.length <= 512 ? { subClaimPrefix: sub.sub_claim_prefix } : {}),
        };
      })(),
    ]);
    // Only a complete list says which environments exist: a partial one stays unread.
    if (environmentsRead) r.environments = environments;
    gaps.push(...leftOutGaps("github", [[leftOutEnvironments, scope, "environments"]]));
    progress(`${scope}: ${environmentsRead ? `${environments.length} environments` : "environments not read"}`);
  }

  /**
   * An environment's custom deployment branch policies (`custom_branch_policies: true`), paged. A
   * failure, an entry that is no policy or a count above what the pages listed is a gap, and the
   * environment keeps `patterns` absent (not read): a policy left out could be the one that lets
   * every branch deploy.
   */
  async function readBranchPolicies(base: string, scope: string, env: GitHubEnvironment): Promise<void> {
    const policy = env.deploymentBranchPolicy;
    if (!policy) return;
    // The name came from the server: quoted, so a line break in it stays on the gap's one line.
    const what = `deployment branch policies of environment ${JSON.stringify(env.name)} of ${scope}`;
    const patterns: GitHubBranchPattern[] = [];
    let problem: string | undefined;
    let counted: number | undefined;
    // GitHub wants the name URL-encoded, `/` included (as %2F).
    const read = await listAll(
      what,
      scope,
      `${base}/environments/${encodeURIComponent(env.name)}/deployment-branch-policies`,
      GITHUB_PERMISSION.branchPolicies,
      (d) => {
        if (!isObject(d) || !Array.isArray(d.branch_policies)) return undefined;
        if (isInt(d.total_count)) counted = d.total_count;
        return d.branch_policies;
      },
      (page) => {
        for (const raw of page) {
          const p = toBranchPattern(raw);
          if (p) patterns.push(p);
          else problem ??= "a policy in the answer is not a policy with a name and a type of branch or tag";
        }
      },
    );
    if (!read) return;
    if (problem === undefined && counted !== undefined && counted > patterns.length) problem = `the answer counts ${counted} policies but lists ${patterns.length}`;
    if (problem !== undefined) {
      gaps.push({ source: "github", scope, error: `${what}: ${problem}; not read` });
      return;
    }
    policy.patterns = patterns;
  }

  /**
   * An environment's enabled custom deployment protection rules, as their apps' slugs. One request:
   * the endpoint takes no page parameters and answers every enabled rule (GitHub enables at most
   * six per environment). A failure or an answer of another shape is a gap, and the environment
   * keeps `customProtectionRules` absent (not read).
   */
  async function readCustomRules(base: string, scope: string, env: GitHubEnvironment): Promise<void> {
    // The name came from the server: quoted, so a line break in it stays on the gap's one line.
    const what = `custom deployment protection rules of environment ${JSON.stringify(env.name)} of ${scope}`;
    // GitHub wants the name URL-encoded, `/` included (as %2F).
    const raw = await getOne(what, scope, `${base}/environments/${encodeURIComponent(env.name)}/deployment_protection_rules`, GITHUB_PERMISSION.customProtectionRules);
    if (raw === null) return;
    const apps = customRuleApps(raw);
    if (typeof apps === "string") {
      gaps.push({ source: "github", scope, error: `${what}: ${apps}; not read` });
      return;
    }
    env.customProtectionRules = apps;
  }

  await Promise.all([...byLower(wanted.organizations).map(readOrganization), ...byLower(wanted.repositories).map(readRepository)]);
  for (const [scope, left] of leftOut) gaps.push(...leftOutGaps("github", [[left, scope, "repositories"]]));

  const github: GitHubInventory = {
    apiUrl,
    organizations,
    repositories: [...repositories.values()],
    ...(missingRepositories.length > 0 ? { missingRepositories } : {}),
    ...(movedRepositories.length > 0 ? { movedRepositories } : {}),
  };
  progress(`${organizations.length} organisations, ${github.repositories.length} repositories${missingRepositories.length > 0 ? `, ${missingRepositories.length} missing` : ""}`);
  return { github: scrubStrings(github, gh.token), gaps: gaps.map((g) => redactGap(g, gh.token)) };
}

/**
 * Every string of what was read with the token replaced: the server received the token and could
 * echo it back as a login, a name or a claim key, and the inventory is written out and reported.
 */
function scrubStrings<T>(value: T, token: string): T {
  if (token.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return scrub(v, token);
    if (Array.isArray(v)) return v.map(walk);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrub(k, token), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * A gap's error with every URL cut to its origin and path, and the token (should a server have
 * echoed it into a message) replaced.
 */
function redactGap(g: CoverageGap, token: string): CoverageGap {
  return { ...g, scope: scrub(g.scope, token), error: scrub(g.error, token).replace(/https?:\/\/\S+/g, (u) => redactUrl(u)) };
}
