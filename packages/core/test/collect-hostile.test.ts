/**
 * The collectors against a hostile front, called directly with CollectOptions (the real SDKs and
 * the loopback emulator): the listings the CLI test does not reach, small limits, and the
 * plumbing in collect/http.ts on its own.
 */
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Emulator, Fault } from "../../emulator/src/index.ts";
import { collectorsPerTest } from "./support/emulator-collect.ts";
import { collectAzure } from "../src/collect/arm.ts";
import { collectBuildkite } from "../src/collect/buildkite.ts";
import { CLOUDS } from "../src/collect/clouds.ts";
import { collectEntra } from "../src/collect/graph.ts";
import { isRedirect, OversizeResponseError, PageGuard, readCapped, redactUrl, ResponseLimits } from "../src/collect/http.ts";
import { DEFAULTS, type CollectOptions } from "../src/collect/options.ts";
import { parseInventory } from "../src/index.ts";

const scenario = parseInventory(readFileSync(new URL("../../cli/demo/organisation.json", import.meta.url), "utf8"), "organisation.json");
const cloud = CLOUDS.AzureCloud;

const startCollectors = collectorsPerTest(scenario);

async function start(faults: Fault[], limits: Partial<CollectOptions> = {}): Promise<{ emu: Emulator; opts: CollectOptions }> {
  const { emu, opts } = await startCollectors(faults);
  return { emu, opts: { ...opts, ...limits } };
}

const errors = (gaps: { scope: string; error: string }[], scope: string) => gaps.filter((g) => g.scope === scope).map((g) => g.error);

describe("ARM's SDK-operation listings (subscriptions, management groups)", () => {
  it("a subscriptions next link that repeats ends the listing without reading a page twice", async () => {
    const { emu, opts } = await start([{ kind: "loopNextLink", api: "arm", match: /^\/subscriptions\?/ }]);
    const { azure, gaps } = await collectAzure(opts, cloud.armScope);
    expect(errors(gaps, "/subscriptions")).toEqual([expect.stringMatching(new RegExp(`^subscriptions: next link ${emu.armUrl.replace(/\./g, "\\.")}/subscriptions repeats a page already read`))]);
    // The first page, read once; the subscriptions found are still read.
    expect(azure.subscriptions.map((s) => s.subscriptionId).sort()).toEqual(scenario.azure!.subscriptions.map((s) => s.subscriptionId).sort());
    expect(azure.roleAssignments.length).toBeGreaterThan(0);
  });

  it("more pages than the limit, or a body over the limit chunked or declared, are gaps", async () => {
    const { opts } = await start(
      [
        { kind: "oversize", api: "arm", match: /^\/subscriptions\?/, bytes: 100_000 },
        { kind: "oversize", api: "arm", match: /roleDefinitions/i, bytes: 100_000, declareLength: true },
      ],
      { maxResponseBytes: 50_000, maxPagesPerListing: 2 },
    );
    const { gaps } = await collectAzure({ ...opts, azure: { ...opts.azure!, subscriptions: [] } }, cloud.armScope);
    expect(errors(gaps, "/subscriptions")).toEqual([expect.stringMatching(/^subscriptions: response from https:\/\/127\.0\.0\.1:\d+\/subscriptions is larger than 50000 bytes; not read/)]);
    expect(errors(gaps, "/providers/Microsoft.Management/managementGroups")).toEqual(["management groups: more than 2 pages; the rest is not read, so the listing is incomplete"]);

    // With the subscriptions named, their listings are reached: role definitions arrive with a Content-Length over the limit.
    const sub = scenario.azure!.subscriptions[0]!.subscriptionId;
    const named = await collectAzure({ ...opts, azure: { ...opts.azure!, subscriptions: [sub] } }, cloud.armScope);
    expect(errors(named.gaps, `/subscriptions/${sub}`)).toContainEqual(expect.stringMatching(/^role definitions: response from .*\/roleDefinitions is larger than 50000 bytes; not read/));
  });
});

describe("Graph and Buildkite listings the CLI test does not reach", () => {
  it("a group-membership next link from a $batch answer that repeats is a gap", async () => {
    const { opts } = await start([{ kind: "loopNextLink", api: "graph", match: /transitiveMemberOf/ }]);
    const mi = scenario.azure!.managedIdentities[0]!;
    const { gaps } = await collectEntra(opts, cloud.graphScope, [{ principalId: mi.principalId, clientId: mi.clientId, name: mi.name }]);
    const looped = gaps.filter((g) => /transitiveMemberOf/.test(g.scope));
    expect(looped.length).toBeGreaterThan(0);
    for (const g of looped) expect(g.error).toMatch(/^next link https:\/\/127\.0\.0\.1:\d+\/v1\.0\/servicePrincipals.*\/transitiveMemberOf\/microsoft\.graph\.group repeats a page already read/);
  });

  it("a pipeline's teams, paged after the pipeline, stop at an end cursor that repeats", async () => {
    const { opts } = await start([{ kind: "loopNextLink", api: "buildkite", match: /#TrustscopePipelineTeams$/ }], { pageSize: { buildkite: 2, buildkiteNested: 1 } });
    const { buildkite, gaps } = await collectBuildkite(opts);
    expect(gaps).toEqual([{ source: "buildkite", scope: "teams of pipeline app-platform-prod", error: "the end cursor repeats a page already read; not followed, so the listing is incomplete" }]);
    // The page the cursor pointed past was kept: both teams.
    expect(buildkite!.pipelines.find((p) => p.slug === "app-platform-prod")!.teams).toHaveLength(2);
  });

  it("a 308 from the Buildkite endpoint is a gap and sends the query nowhere else", async () => {
    const { emu, opts } = await start([{ kind: "redirect", api: "buildkite", match: /#TrustscopeOrganization$/, status: 308, to: "foreign" }]);
    const { buildkite, gaps } = await collectBuildkite(opts);
    expect(buildkite).toBeUndefined();
    expect(gaps).toEqual([{ source: "buildkite", scope: "organization acme", error: `308 redirect from ${emu.buildkiteGraphqlUrl} to ${emu.foreignUrl} not followed (trustscope follows no redirects), so the listing is incomplete` }]);
    expect(emu.requests.filter((r) => r.api === "foreign")).toEqual([]);
  });
});

describe("collect/http.ts", () => {
  it("documents its limits", () => {
    expect(DEFAULTS.maxResponseBytes).toBe(64 * 1024 * 1024);
    expect(DEFAULTS.maxPagesPerListing).toBe(10_000);
  });

  it("PageGuard: a repeated link, then more pages than the limit", () => {
    const guard = new PageGuard(3);
    guard.next("https://x.example/a");
    guard.next("https://x.example/a?$skiptoken=1");
    expect(() => guard.next("https://x.example/a?$skiptoken=1")).toThrow("next link https://x.example/a repeats a page already read; not followed, so the listing is incomplete");
    guard.next("https://x.example/a?$skiptoken=2");
    expect(() => guard.next("https://x.example/a?$skiptoken=3")).toThrow("more than 3 pages; the rest is not read, so the listing is incomplete");
  });

  it("readCapped stops at the limit (and before reading, on a declared length) and releases the body", async () => {
    let pulled = 0;
    const endless = () =>
      new Readable({
        read() {
          pulled++;
          this.push(Buffer.alloc(1024, 1));
        },
      });
    const body = endless();
    await expect(readCapped(body, "https://x.example/big?secret=1", new ResponseLimits(10_000, Infinity))).rejects.toThrow(new OversizeResponseError("https://x.example/big", 10_000));
    expect(body.destroyed).toBe(true);
    expect(pulled).toBeLessThan(40);

    const declared = endless();
    pulled = 0;
    await expect(readCapped(declared, "https://x.example/big", new ResponseLimits(10_000, Infinity), "2147483648")).rejects.toBeInstanceOf(OversizeResponseError);
    expect(declared.destroyed).toBe(true);
    expect(pulled).toBe(0);
    expect((await readCapped(Readable.from([Buffer.from("{}")]), "https://x.example/", new ResponseLimits(2, Infinity))).toString()).toBe("{}");
  });

  it("all the answers of one collection together stay under the total, however small each page is", async () => {
    const limits = new ResponseLimits(1_000, 2_500);
    const page = () => Readable.from([Buffer.alloc(900, 1)]);
    await readCapped(page(), "https://x.example/p1", limits);
    await readCapped(page(), "https://x.example/p2", limits);
    await expect(readCapped(page(), "https://x.example/p3?skiptoken=s", limits)).rejects.toThrow(
      "answers from this API passed 2500 bytes in all; https://x.example/p3 and what follows are not read, so the listing is incomplete",
    );
  });

  it("redirects are every 3xx but 304; a bare origin stays bare in messages", () => {
    expect([300, 301, 302, 303, 307, 308].every(isRedirect)).toBe(true);
    expect([200, 304, 400].some(isRedirect)).toBe(false);
    expect(redactUrl("https://x.example")).toBe("https://x.example");
    expect(redactUrl("https://x.example/v1.0/applications?$skiptoken=abc")).toBe("https://x.example/v1.0/applications");
  });
});

describe("ARM values the hierarchy cannot place", () => {
  const bad = structuredClone(scenario);
  const sub = bad.azure!.subscriptions[0]!.subscriptionId;
  const victim = bad.azure!.roleAssignments.find((a) => a.scope.toLowerCase() === `/subscriptions/${sub}`.toLowerCase())!;
  victim.scope = `/subscriptions/${sub}/resourceGroups`;
  const startBad = collectorsPerTest(bad);

  it("role assignments whose scope is not an Azure scope are a gap, not access that silently vanishes", async () => {
    const { opts } = await startBad();
    const { azure, gaps } = await collectAzure(opts, cloud.armScope);
    expect(errors(gaps, `/subscriptions/${sub}`)).toEqual([`role assignments: 1 with a scope that is not an Azure scope (first: "/subscriptions/${sub}/resourceGroups"); not judged`]);
    expect(azure.roleAssignments.some((a) => a.id === victim.id)).toBe(false);
  });
});
