/**
 * Live collection against a hostile front: the real CLI and SDKs against the loopback emulator
 * answering with redirects, oversized bodies, next links and cursors that never end, and error
 * messages that echo the bearer token. Each must end as a coverage gap (exit 3), never as data
 * from elsewhere, a crash, a hang or a leaked token.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Emulator } from "@trustscope/emulator";
import { standInAgent } from "../support/buildkite-agent.ts";
import { trustscopeAsync, type CliResult } from "../support/cli.ts";
import { demoScenario as scenario, liveEmulatorPerTest } from "../support/live-emulator.ts";

const TOKENS = { buildkite: "bk-hostile-5e4d3c2b1a09f8e7d6c5", graph: "graph-hostile-0a1b2c3d4e5f60718293", arm: "arm-hostile-9f8e7d6c5b4a39281706" };
const SUB_PROD = "0b1f6471-1bf0-4dda-aec3-111122223333";
const SUB_NONPROD = "4d6e8f10-2a3b-4c5d-8e9f-444455556666";

const start = liveEmulatorPerTest({ tokens: TOKENS });

interface Gap {
  source: string;
  scope: string;
  error: string;
}

/** Scans as JSON and checks what every hostile answer must give: exit 3, no crash, nothing sent elsewhere. */
async function scanGaps(emu: Emulator, live: string[], env: Record<string, string>): Promise<Gap[]> {
  const r = await trustscopeAsync(["scan", ...live, "--format", "json", "--fail-on", "never"], { env });
  expectIncompleteNotCrashed(r);
  expect(emu.requests.filter((x) => x.api === "foreign")).toEqual([]);
  return (JSON.parse(r.stdout) as { coverage: { complete: boolean; gaps: Gap[] } }).coverage.gaps;
}

function expectIncompleteNotCrashed(r: CliResult) {
  expect(r.stderr).not.toMatch(/at .*\.[jt]s:\d+|Unhandled|heap out of memory|RangeError/);
  expect(r.code).toBe(3);
}

/** The one gap of a source and scope (of one listing: `what`, where ARM names it first). */
function gapOf(gaps: Gap[], source: string, scope: string, what = ""): string {
  const found = gaps.filter((g) => g.source === source && g.scope === scope && g.error.startsWith(what));
  expect(found, `${source} ${scope} ${what} in ${JSON.stringify(gaps, null, 1)}`).toHaveLength(1);
  return found[0]!.error;
}

const ROLE_ASSIGNMENTS = (sub: string) => new RegExp(`/subscriptions/${sub}/providers/Microsoft\\.Authorization/roleAssignments`, "i");

describe("no redirect is followed", () => {
  it("a redirect to another origin reaches nothing there, on any API, and is a gap naming the status, the URL and where it pointed", async () => {
    const { emu, env, live } = await start([
      { kind: "redirect", api: "graph", match: /^\/v1\.0\/applications/, status: 302, to: "foreign" },
      // A 307 would carry the GraphQL query along.
      { kind: "redirect", api: "buildkite", match: /#TrustscopePipelines$/, status: 307, to: "foreign" },
      { kind: "redirect", api: "arm", match: ROLE_ASSIGNMENTS(SUB_NONPROD), status: 301, to: "foreign" },
      // An SDK operation's listing (POST getEntities).
      { kind: "redirect", api: "arm", match: /getEntities/i, status: 307, to: "foreign" },
    ]);
    const gaps = await scanGaps(emu, live, env);
    const refused = (status: number, url: string) => `${status} redirect from ${url} to ${emu.foreignUrl} not followed (trustscope follows no redirects), so the listing is incomplete`;
    expect(gapOf(gaps, "graph", "/applications")).toBe(refused(302, `${emu.graphUrl}/v1.0/applications`));
    expect(gapOf(gaps, "buildkite", "pipelines")).toBe(refused(307, emu.buildkiteGraphqlUrl));
    expect(gapOf(gaps, "arm", `/subscriptions/${SUB_NONPROD}`)).toBe(`role assignments: ${refused(301, `${emu.armUrl}/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleAssignments`)}`);
    expect(gapOf(gaps, "arm", "/providers/Microsoft.Management/managementGroups")).toBe(`management groups: ${refused(307, `${emu.armUrl}/providers/Microsoft.Management/getEntities`)}`);
  });

  it("a redirect to the API's own origin is not followed either (the SDK listings included)", async () => {
    const { emu, env, live } = await start([
      { kind: "redirect", api: "graph", match: /\$batch/, status: 308, to: "same" },
      { kind: "redirect", api: "buildkite", match: /#TrustscopeAgents$/, status: 302, to: "same" },
      { kind: "redirect", api: "arm", match: /^\/subscriptions\?/, status: 302, to: "same" },
    ]);
    const gaps = await scanGaps(emu, live, env);
    const refused = (status: number, url: string) => `${status} redirect from ${url} to ${new URL(url).origin} not followed (trustscope follows no redirects), so the listing is incomplete`;
    expect(gapOf(gaps, "arm", "/subscriptions")).toBe(`subscriptions: ${refused(302, `${emu.armUrl}/subscriptions`)}`);
    expect(gapOf(gaps, "buildkite", "agents")).toBe(refused(302, emu.buildkiteGraphqlUrl));
    const batchGaps = gaps.filter((g) => g.source === "graph");
    expect(batchGaps.length).toBeGreaterThan(0);
    for (const g of batchGaps) expect(g.error).toMatch(new RegExp(`^${escape(refused(308, `${emu.graphUrl}/v1.0/$batch`))}`));
    // Each redirected request was sent once: none was repeated at the Location.
    const sent = (api: string, re: RegExp) => emu.requests.filter((x) => x.api === api && re.test(x.path)).length;
    expect(sent("arm", /^\/subscriptions\?/)).toBe(1);
    expect(emu.requests.filter((x) => x.operationName === "TrustscopeAgents")).toHaveLength(1);
    expect(sent("graph", /\$batch/)).toBe(emu.requests.filter((x) => x.api === "graph" && x.status === 308).length);
  });
});

describe("huge responses", () => {
  const CAP = 1_000_000;
  it("a body over the limit (chunked or declared) is a gap, read no further, for Graph ($batch too), Buildkite and ARM (listJson, its POST listing and SDK listings)", async () => {
    const { emu, env, live } = await start([
      { kind: "oversize", api: "graph", match: /^\/v1\.0\/applications/, bytes: 2 * CAP },
      { kind: "oversize", api: "graph", match: /\$batch/, bytes: 2 * CAP },
      { kind: "oversize", api: "buildkite", match: /#TrustscopeAgents$/, bytes: 2 * CAP },
      { kind: "oversize", api: "arm", match: ROLE_ASSIGNMENTS(SUB_PROD), bytes: 2 * CAP },
      { kind: "oversize", api: "arm", match: /getEntities/i, bytes: 2 * CAP, declareLength: true },
    ]);
    // The default (DEFAULTS.maxResponseBytes, 64 MiB) lowered so that the test serves megabytes, not gigabytes.
    const gaps = await scanGaps(emu, live, { ...env, TRUSTSCOPE_MAX_RESPONSE_BYTES: String(CAP) });
    const tooLarge = (url: string) => `response from ${url} is larger than ${CAP} bytes; not read, so the listing is incomplete`;
    expect(gapOf(gaps, "graph", "/applications")).toBe(tooLarge(`${emu.graphUrl}/v1.0/applications`));
    // The managed identity's group lookup went out in a $batch.
    const mi = scenario.azure!.managedIdentities[0]!;
    expect(gapOf(gaps, "graph", `/servicePrincipals/${mi.principalId}/transitiveMemberOf/microsoft.graph.group`)).toBe(tooLarge(`${emu.graphUrl}/v1.0/$batch`));
    expect(gapOf(gaps, "buildkite", "agents")).toBe(tooLarge(emu.buildkiteGraphqlUrl));
    expect(gapOf(gaps, "arm", `/subscriptions/${SUB_PROD}`)).toBe(`role assignments: ${tooLarge(`${emu.armUrl}/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments`)}`);
    expect(gapOf(gaps, "arm", "/providers/Microsoft.Management/managementGroups")).toBe(`management groups: ${tooLarge(`${emu.armUrl}/providers/Microsoft.Management/getEntities`)}`);
  });

  it("answers that each stay under the limit but add up past the total are gaps, not memory without end", async () => {
    const { emu, env, live } = await start([]);
    // The default (DEFAULTS.maxTotalResponseBytes, 512 MiB per API) lowered below what the demo reads from each API.
    const gaps = await scanGaps(emu, live, { ...env, TRUSTSCOPE_MAX_TOTAL_RESPONSE_BYTES: "3000" });
    const total = gaps.filter((g) => / passed 3000 bytes in all; .* and what follows are not read, so the listing is incomplete$/.test(g.error));
    // GitHub's answers count against their own total, like each of the others'.
    expect(new Set(total.map((g) => g.source))).toEqual(new Set(["graph", "arm", "buildkite", "github"]));
  });

  it("a limit that is not a positive whole number is a usage error", async () => {
    const r = await trustscopeAsync(["scan", "--buildkite-org", "acme"], { env: { BUILDKITE_API_TOKEN: TOKENS.buildkite, TRUSTSCOPE_MAX_RESPONSE_BYTES: "lots" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TRUSTSCOPE_MAX_RESPONSE_BYTES must be a positive whole number, got 'lots'/);
  });
});

describe("answers that never finish", () => {
  it("a body that stops coming is a gap after the request timeout, for Graph, Buildkite and ARM (whose HTTP client's own timeout ends with the headers)", async () => {
    const { emu, env, live } = await start([
      { kind: "stallBody", api: "graph", match: /^\/v1\.0\/applications/ },
      { kind: "stallBody", api: "buildkite", match: /#TrustscopeAgents$/ },
      { kind: "stallBody", api: "arm", match: ROLE_ASSIGNMENTS(SUB_PROD) },
    ]);
    // The default (DEFAULTS.timeoutMs, 30 s) lowered; retries of a timed-out request are not the point here.
    const gaps = await scanGaps(emu, live, { ...env, TRUSTSCOPE_TIMEOUT_MS: "1500" });
    expect(gapOf(gaps, "graph", "/applications")).toMatch(/timeout|aborted/i);
    expect(gapOf(gaps, "buildkite", "agents")).toMatch(/timeout|aborted/i);
    expect(gapOf(gaps, "arm", `/subscriptions/${SUB_PROD}`)).toBe(
      `role assignments: the response from ${emu.armUrl}/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments did not finish within 1500 ms; not read, so the listing is incomplete`,
    );
  });
});

describe("paging that never ends", () => {
  it("a next link or end cursor that repeats a page already read is a gap, not an endless loop", async () => {
    const { emu, env, live } = await start([
      { kind: "loopNextLink", api: "graph", match: /^\/v1\.0\/applications/ },
      { kind: "loopNextLink", api: "buildkite", match: /#TrustscopePipelines$/ },
      { kind: "loopNextLink", api: "arm", match: ROLE_ASSIGNMENTS(SUB_PROD) },
      { kind: "loopNextLink", api: "arm", match: /getEntities/i },
    ]);
    const gaps = await scanGaps(emu, live, env);
    const repeats = (link: string) => `next link ${link} repeats a page already read; not followed, so the listing is incomplete`;
    expect(gapOf(gaps, "graph", "/applications")).toBe(repeats(`${emu.graphUrl}/v1.0/applications`));
    expect(gapOf(gaps, "buildkite", "pipelines")).toBe("the end cursor repeats a page already read; not followed, so the listing is incomplete");
    expect(gapOf(gaps, "arm", `/subscriptions/${SUB_PROD}`)).toBe(`role assignments: ${repeats(`${emu.armUrl}/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleAssignments`)}`);
    expect(gapOf(gaps, "arm", "/providers/Microsoft.Management/managementGroups")).toBe(`management groups: ${repeats(`${emu.armUrl}/providers/Microsoft.Management/getEntities`)}`);
  });

  it("a listing longer than the page limit is a gap saying so", async () => {
    const { emu, env, live } = await start([]);
    // The default (DEFAULTS.maxPagesPerListing, 10,000) lowered: the demo's lists are 3 or 4 pages of 2.
    const gaps = await scanGaps(emu, live, { ...env, TRUSTSCOPE_MAX_PAGES_PER_LISTING: "2" });
    const tooMany = "more than 2 pages; the rest is not read, so the listing is incomplete";
    expect(gapOf(gaps, "graph", "/applications")).toBe(tooMany);
    expect(gapOf(gaps, "buildkite", "pipelines")).toBe(tooMany);
    expect(gapOf(gaps, "arm", "/providers/Microsoft.Management/managementGroups")).toBe(`management groups: ${tooMany}`);
    for (const sub of [SUB_PROD, SUB_NONPROD]) {
      for (const what of ["role assignments", "role definitions"]) expect(gapOf(gaps, "arm", `/subscriptions/${sub}`, what)).toBe(`${what}: ${tooMany}`);
    }
  });
});

describe("an error message that echoes the bearer token", () => {
  // Tokens with the characters Markdown and HTML escape, JWT-like ones among them.
  const HOSTILE_TOKENS = {
    buildkite: "bkua_ab-cd.ef/gh_0123456789",
    graph: "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJncmFwaCJ9.aBc_dE-fG_hI-jK_0123456789",
    arm: "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJhcm0ifQ.Zz_-Yy-_Xx_9876543210",
  };

  /** Every spelling of a token that would give it away. */
  const spellings = (token: string) => [token, Buffer.from(token).toString("base64"), Buffer.from(token).toString("base64url"), encodeURIComponent(token)];

  /** Text with JSON, HTML and Markdown escapes undone, so an escaped token is still found. */
  function unescaped(text: string): string {
    return text
      .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      .replace(/&#x([0-9a-fA-F]+);/g, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
      .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
      .replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" })[name]!)
      .replace(/\\(.)/g, "$1");
  }

  function expectNoToken(what: string, text: string) {
    for (const t of [text, unescaped(text)]) {
      for (const token of Object.values(HOSTILE_TOKENS)) for (const s of spellings(token)) expect(t.includes(s), `${what} contains ${s}`).toBe(false);
    }
  }

  it("reaches no output: stdout, stderr, every report format, the snapshot and the Buildkite annotation", async () => {
    const { emu, dir, env, live } = await start(
      [
        { kind: "echoAuthorization", api: "graph", match: /^\/v1\.0\/applications/ },
        { kind: "echoAuthorization", api: "buildkite", match: /#TrustscopePipelines$/, status: 200 },
        { kind: "echoAuthorization", api: "arm", match: ROLE_ASSIGNMENTS(SUB_NONPROD) },
        { kind: "echoAuthorization", api: "arm", match: /getEntities/i },
      ],
      HOSTILE_TOKENS,
    );
    const agent = standInAgent();
    const outputs: [string, string][] = [];
    const run = async (args: string[], extraEnv: Record<string, string> = {}) => {
      const r = await trustscopeAsync(args, { env: { ...env, ...extraEnv } });
      expectIncompleteNotCrashed(r);
      outputs.push([`${args.join(" ")}: stdout`, r.stdout], [`${args.join(" ")}: stderr`, r.stderr]);
      return r;
    };
    for (const format of ["table", "json", "sarif", "markdown", "html"]) {
      const file = join(dir, `report.${format}`);
      await run(["scan", ...live, "--format", format, "-o", file, "--fail-on", "never"]);
      outputs.push([`report.${format}`, readFileSync(file, "utf8")]);
    }
    await run(["scan", ...live, "--format", "markdown", "--fail-on", "never", "--buildkite-annotate"], { PATH: agent.path });
    await run(["collect", ...live, "-o", join(dir, "snapshot.json")]);
    const snapshot = readFileSync(join(dir, "snapshot.json"), "utf8");
    outputs.push(["snapshot.json", snapshot]);
    const annotation = agent.calls().find((c) => c.argv[0] === "annotate");
    expect(annotation, "the stand-in agent was asked to annotate").toBeDefined();
    outputs.push(["the Buildkite annotation", annotation!.stdin]);

    // The echoes did arrive, as gaps of each API (their messages are reported, the token is not).
    const gaps = (JSON.parse(snapshot) as { coverage: { gaps: Gap[] } }).coverage.gaps;
    expect(gaps.filter((g) => /was rejected/.test(g.error)).map((g) => `${g.source} ${g.scope}`).sort()).toEqual([
      "arm /providers/Microsoft.Management/managementGroups",
      `arm /subscriptions/${SUB_NONPROD}`,
      "buildkite pipelines",
      "graph /applications",
    ]);
    expect(emu.requests.every((x) => x.authorizationValid)).toBe(true);
    for (const [what, text] of outputs) expectNoToken(what, text);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
