/**
 * The GitHub collector against a hostile API server (a tiny loopback HTTP server per test): odd
 * next links, absurd rate-limit headers, answers of the wrong shape or for the wrong repository,
 * endless and stalled bodies, and a server that echoes the token back in the data.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { collectGitHub } from "../src/collect/github.ts";
import type { CollectOptions } from "../src/collect/options.ts";

const TOKEN = "ghp_hostileTestToken0123456789";

type Handler = (req: IncomingMessage, res: ServerResponse, host: string) => void;

interface Server {
  url: string;
  /** Paths (with query) in arrival order. */
  paths: string[];
  close(): Promise<void>;
}

let running: Server | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function serve(handler: Handler): Promise<Server> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? "");
    handler(req, res, req.headers.host ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return (running = {
    url,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
};
const rawRepo = (fullName: string, more: Record<string, unknown> = {}) => ({ full_name: fullName, id: 5, owner: { login: fullName.split("/")[0], id: 6 }, private: false, ...more });
const path = (req: IncomingMessage) => (req.url ?? "").split("?")[0]!;

const NO_CUSTOM_RULES: Handler = (req, res) => json(res, 200, { total_count: 0, custom_deployment_protection_rules: [] });

/**
 * A server for repository acme/app whose environments listing is `environments` and whose
 * environments' custom deployment protection rules are `customRules` (none by default);
 * everything else answers plainly.
 */
const appServer =
  (environments: Handler, customRules: Handler = NO_CUSTOM_RULES): Handler =>
  (req, res, host) => {
    const p = path(req);
    if (p === "/repos/acme/app") return json(res, 200, rawRepo("acme/app"));
    if (p.endsWith("/environments")) return environments(req, res, host);
    if (p.endsWith("/deployment_protection_rules")) return customRules(req, res, host);
    return json(res, 200, { use_default: true });
  };

async function collect(handler: Handler, wanted: { organizations?: string[]; repositories?: string[] } = { repositories: ["acme/app"] }, more: Partial<CollectOptions> = {}) {
  const server = await serve(handler);
  const asked = { organizations: wanted.organizations ?? [], repositories: wanted.repositories ?? [] };
  const progress: string[] = [];
  const opts: CollectOptions = { cloud: "AzureCloud", maxRetries: 0, timeoutMs: 5_000, github: { apiUrl: server.url, token: TOKEN, ...asked }, onProgress: (_, m) => progress.push(m), ...more };
  const result = await collectGitHub(opts, asked);
  return { server, progress, ...result };
}

describe("collecting GitHub from a hostile server: links", () => {
  it("follows a relative next link on the API's origin, as RFC 8288 resolves it", async () => {
    const { server, github, gaps } = await collect(
      appServer((req, res) =>
        req.url!.includes("page=2") ? json(res, 200, { environments: [{ name: "two" }] }) : json(res, 200, { environments: [{ name: "one" }] }, { link: '</repositories/5/environments?page=2>; rel="next"' }),
      ),
    );
    expect(gaps).toEqual([]);
    expect(github.repositories[0]!.environments!.map((e) => e.name)).toEqual(["one", "two"]);
    expect(server.paths).toContain("/repositories/5/environments?page=2");
  });

  it("refuses a next link of another scheme, or with user credentials, without requesting it", async () => {
    for (const [link, reason] of [
      ["javascript:alert(1)", /^environments of acme\/app: next link with scheme "javascript:" is not an http\(s\) URL; not followed/],
      ["file:///etc/passwd", /^environments of acme\/app: next link with scheme "file:" is not an http\(s\) URL; not followed/],
      ["http://user:pw@HOST/repositories/5/environments?page=2", /^environments of acme\/app: next link http:\/\/127\.0\.0\.1:\d+\/repositories\/5\/environments carries user credentials; not followed/],
    ] as const) {
      const { server, github, gaps } = await collect(appServer((req, res, host) => json(res, 200, { environments: [{ name: "one" }] }, { link: `<${link.replace("HOST", host)}>; rel="next"` })));
      expect(gaps.map((g) => g.error)).toEqual([expect.stringMatching(reason)]);
      expect(gaps[0]!.error).not.toContain("pw");
      // The partial listing is not taken for the whole.
      expect(github.repositories[0]!.environments).toBeUndefined();
      expect(server.paths.filter((p) => p.includes("page=2"))).toEqual([]);
      await server.close();
      running = undefined;
    }
  });

  it("stops a listing whose every page is empty and links to a new next page", async () => {
    let n = 0;
    const { server, gaps } = await collect(appServer((req, res, host) => json(res, 200, { environments: [] }, { link: `<http://${host}/repositories/5/environments?page=${++n + 1}>; rel="next"` })), undefined, { maxPagesPerListing: 25 });
    expect(gaps.map((g) => g.error)).toEqual(["environments of acme/app: more than 25 pages; the rest is not read, so the listing is incomplete"]);
    expect(server.paths.filter((p) => p.includes("/environments"))).toHaveLength(25);
  });
});

describe("collecting GitHub from a hostile server: rate limits and stalls", () => {
  it("reads a primary limit's reset beyond what a Date holds as no reset, in one line", async () => {
    for (const reset of ["1e20", "NaN", "-5", "Infinity"]) {
      const { gaps } = await collect((req, res) => json(res, 403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset }));
      expect(gaps).toHaveLength(1);
      expect(gaps[0]!.error, reset).toMatch(/^repository acme\/app: GitHub's primary rate limit is used up \(x-ratelimit-remaining 0\) until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(0 retries spent\); not read/);
      await running?.close();
      running = undefined;
    }
  });

  it("does not wait out a server error's retry-after beyond the longest wait: the read ends at once", async () => {
    const { server, gaps } = await collect((req, res) => json(res, 503, { message: "Service Unavailable" }, { "retry-after": "86400" }), undefined, { maxRetries: 3 });
    expect(gaps.map((g) => g.error)).toEqual([`repository acme/app: 503 Service Unavailable from ${server.url}/repos/acme/app`]);
    expect(server.paths).toEqual(["/repos/acme/app"]);
  });

  it("gives up on a body that never ends within the timeout, in one line", async () => {
    const { gaps } = await collect(
      (req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"full_name":');
      },
      undefined,
      { timeoutMs: 300 },
    );
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.error).toMatch(/^repository acme\/app: no complete answer from http:\/\/127\.0\.0\.1:\d+\/repos\/acme\/app within 300 ms/);
    expect(gaps[0]!.error).not.toMatch(/\n|\bat\b.*\.ts/);
  });
});

describe("collecting GitHub from a hostile server: answers of the wrong shape", () => {
  it("makes an organisation answered with malformed JSON a gap, not an organisation", async () => {
    const { server, github, gaps } = await collect((req, res) => (path(req) === "/orgs/acme" ? json(res, 200, "{not json") : json(res, 200, [])), { organizations: ["acme"] });
    expect(github.organizations).toEqual([]);
    expect(gaps).toEqual([{ source: "github", scope: "orgs/acme", error: "organisation acme: the answer is not an organisation object; not read" }]);
    expect(server.paths).toEqual(["/orgs/acme"]);
  });

  it("files nothing under a repository whose answer describes another repository", async () => {
    const { server, github, gaps } = await collect((req, res) => (path(req) === "/repos/acme/app" ? json(res, 200, rawRepo("victim/other")) : json(res, 200, { environments: [] })));
    expect(github.repositories).toEqual([]);
    expect(gaps).toEqual([{ source: "github", scope: "acme/app", error: 'repository acme/app: the answer describes repository "victim/other", not the one asked for; not read' }]);
    expect(server.paths).toEqual(["/repos/acme/app"]);
  });

  it("keeps GitHub's own spelling of the repository asked for", async () => {
    const { github, gaps } = await collect((req, res) => (path(req) === "/repos/acme/app" ? json(res, 200, rawRepo("Acme/App")) : path(req).endsWith("/environments") ? json(res, 200, { environments: [] }) : json(res, 200, { use_default: true })));
    expect(gaps).toEqual([]);
    expect(github.repositories.map((r) => r.fullName)).toEqual(["Acme/App"]);
  });

  it("makes environments as an object, and a repository with a string id, gaps with their reasons", async () => {
    const envs = await collect(appServer((req, res) => json(res, 200, { total_count: 1, environments: { name: "production" } })));
    expect(envs.gaps.map((g) => g.error)).toEqual([`environments of acme/app: the answer is not the list GitHub sends (${envs.server.url}/repos/acme/app/environments)`]);
    expect(envs.github.repositories[0]!.environments).toBeUndefined();
    await running?.close();
    running = undefined;

    const ids = await collect((req, res) => json(res, 200, rawRepo("acme/app", { id: "5" })));
    expect(ids.gaps.map((g) => g.error)).toEqual(["repository acme/app: the answer is a repository without an integer id; not read"]);
  });

  it("makes custom deployment protection rules of the wrong shape a gap; the environment keeps them unread", async () => {
    const environments: Handler = (req, res) => json(res, 200, { total_count: 1, environments: [{ name: "production" }] });
    const rule = (more: Record<string, unknown>) => ({ id: 3515, node_id: "MDQ6R2F0ZTM1MTU=", enabled: true, app: { id: 1, node_id: "x", slug: "change-gate", integration_url: "https://api.github.com/apps/change-gate" }, ...more });
    for (const [answer, reason] of [
      [{ total_count: 1, rules: [rule({})] }, "the answer has no custom_deployment_protection_rules list"],
      ["[not json", "the answer has no custom_deployment_protection_rules list"],
      [{ total_count: 1, custom_deployment_protection_rules: [rule({ app: { id: 1 } })] }, "an enabled rule in the answer names no app slug"],
      [{ total_count: 1, custom_deployment_protection_rules: ["change-gate"] }, "a rule in the answer is not a rule with enabled"],
      [{ total_count: 3, custom_deployment_protection_rules: [rule({})] }, "the answer counts 3 rules but lists 1"],
    ] as const) {
      const { server, github, gaps } = await collect(appServer(environments, (req, res) => json(res, 200, answer)));
      expect(gaps).toEqual([{ source: "github", scope: "acme/app", error: `custom deployment protection rules of environment "production" of acme/app: ${reason}; not read` }]);
      expect(github.repositories[0]!.environments).toEqual([{ name: "production", requiredReviewers: 0, deploymentBranchPolicy: null }]);
      expect(github.repositories[0]!.environments![0]).not.toHaveProperty("customProtectionRules");
      expect(server.paths.filter((p) => p.includes("deployment_protection_rules"))).toEqual(["/repos/acme/app/environments/production/deployment_protection_rules"]);
      await server.close();
      running = undefined;
    }
    // A disabled rule gates nothing; duplicates of one app are one slug.
    const { github, gaps } = await collect(appServer(environments, (req, res) => json(res, 200, { total_count: 2, custom_deployment_protection_rules: [rule({ enabled: false, app: { slug: "off" } }), rule({}), rule({ id: 2 })] })));
    expect(gaps).toEqual([]);
    expect(github.repositories[0]!.environments![0]!.customProtectionRules).toEqual(["change-gate"]);
  });

  it("makes deployment branch policies of the wrong shape a gap; the environment keeps its patterns unread", async () => {
    const environments: Handler = (req, res) => json(res, 200, { total_count: 1, environments: [{ name: "production", deployment_branch_policy: { protected_branches: false, custom_branch_policies: true } }] });
    const policy = (more: Record<string, unknown>) => ({ id: 361471, node_id: "MDE2OkdhdGVCcmFuY2hQb2xpY3kzNjE0NzE=", name: "release/*", type: "branch", ...more });
    const withPolicies =
      (answer: unknown): Handler =>
      (req, res, host) =>
        path(req).endsWith("/deployment-branch-policies") ? json(res, 200, answer) : appServer(environments)(req, res, host);
    const what = 'deployment branch policies of environment "production" of acme/app';
    for (const [answer, reason] of [
      [{ total_count: 1, policies: [policy({})] }, "the answer is not the list GitHub sends"],
      [{ total_count: 1, branch_policies: [policy({ type: "commit" })] }, "a policy in the answer is not a policy with a name and a type of branch or tag; not read"],
      [{ total_count: 1, branch_policies: [policy({ name: "" })] }, "a policy in the answer is not a policy with a name and a type of branch or tag; not read"],
      [{ total_count: 2, branch_policies: ["*"] }, "a policy in the answer is not a policy with a name and a type of branch or tag; not read"],
      [{ total_count: 3, branch_policies: [policy({})] }, "the answer counts 3 policies but lists 1; not read"],
    ] as const) {
      const { server, github, gaps } = await collect(withPolicies(answer));
      expect(gaps).toHaveLength(1);
      expect(gaps[0]).toMatchObject({ source: "github", scope: "acme/app" });
      expect(gaps[0]!.error.slice(0, what.length + 2)).toBe(`${what}: `);
      expect(gaps[0]!.error).toContain(reason);
      expect(github.repositories[0]!.environments).toEqual([{ name: "production", requiredReviewers: 0, deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true } }]);
      // Patterns unread: the environment counts as restricted, so its custom rules are not asked for.
      expect(server.paths.filter((p) => p.includes("deployment_protection_rules"))).toEqual([]);
      await server.close();
      running = undefined;
    }
    // An answer from before tag policies (no type) lists branch patterns.
    const { github, gaps } = await collect(withPolicies({ total_count: 1, branch_policies: [{ id: 1, node_id: "x", name: "main" }] }));
    expect(gaps).toEqual([]);
    expect(github.repositories[0]!.environments![0]!.deploymentBranchPolicy).toEqual({ protectedBranches: false, customBranchPolicies: true, patterns: [{ name: "main", type: "branch" }] });
  });

  it("leaves out an organisation listing's repositories of another owner, and names of megabytes", async () => {
    const huge = "x".repeat(2_000_000);
    const { github, gaps } = await collect(
      (req, res) => {
        if (path(req) === "/orgs/acme") return json(res, 200, { login: "acme", id: 6 });
        if (path(req) === "/orgs/acme/repos") return json(res, 200, [rawRepo("acme/ok"), rawRepo("victim/planted", { owner: { login: "victim", id: 7 } }), rawRepo(`acme/${huge}`)]);
        return json(res, 200, { include_claim_keys: [] });
      },
      { organizations: ["acme"] },
    );
    expect(github.repositories.map((r) => r.fullName)).toEqual(["acme/ok"]);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.error).toMatch(/^repositories: 2 left out, .*"victim\/planted" owned by victim, not by organisation acme.*, "acme\/x{190,200}" without an owner\/name full_name$/);
    expect(gaps[0]!.error.length).toBeLessThan(1000);
  });
});

describe("collecting GitHub from a hostile server: the token", () => {
  it("never returns the token a server echoes into logins, names, claim keys or messages", async () => {
    const echo = (req: IncomingMessage) => String(req.headers.authorization).split(" ").at(-1)!;
    const { github, gaps, progress } = await collect(
      (req, res) => {
        const p = path(req);
        const t = echo(req);
        if (p === "/orgs/acme") return json(res, 200, { login: "acme", id: 6 });
        if (p === "/orgs/acme/repos") return json(res, 200, [rawRepo(`acme/${t}`)]);
        if (p === "/orgs/acme/actions/oidc/customization/sub") return json(res, 200, { include_claim_keys: ["repo", t] });
        if (p === "/repos/acme/app") return json(res, 200, rawRepo("acme/app"));
        if (p.endsWith("/environments")) return json(res, 200, { environments: [{ name: `env-${t}` }] });
        if (p.endsWith("/deployment_protection_rules")) return json(res, 200, { total_count: 1, custom_deployment_protection_rules: [{ id: 1, enabled: true, app: { id: 2, slug: `gate-${t}` } }] });
        return json(res, 422, { message: `bad token ${t}` });
      },
      { organizations: ["acme"], repositories: ["acme/app"] },
    );
    const text = JSON.stringify({ github, gaps, progress });
    expect(text).not.toContain(TOKEN);
    expect(text).toContain("[GITHUB_TOKEN]");
    expect(github.repositories.map((r) => r.fullName).sort()).toEqual(["acme/[GITHUB_TOKEN]", "acme/app"]);
    expect(github.repositories.find((r) => r.fullName === "acme/app")!.environments).toEqual([{ name: "env-[GITHUB_TOKEN]", requiredReviewers: 0, deploymentBranchPolicy: null, customProtectionRules: ["gate-[GITHUB_TOKEN]"] }]);
    expect(gaps.map((g) => g.error)).toEqual([expect.stringMatching(/^OIDC subject customisation of acme\/app: 422 bad token \[GITHUB_TOKEN\] from /)]);
  });
});
