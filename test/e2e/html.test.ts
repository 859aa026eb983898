/**
 * The HTML report in a real browser: headless Chromium opens the demo organisation's report from
 * disk, and the test checks the trust map draws every pipeline and identity, that a click shows a
 * pipeline's blast radius, that search and cluster collapse work, and that the page reaches for
 * nothing outside itself. A 1,500-pipeline map must stay interactive. Screenshots land in
 * test-artifacts/. Skipped, saying why, only when Chromium cannot be installed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import type { Page } from "playwright-core";
import { buildReport, buildTrustMap, evaluate } from "@trustscope/core";
import { renderHtml } from "@trustscope/core/html";
import { InventoryBuilder } from "@trustscope/core/testing";
import { builtinRules } from "@trustscope/rules";
import { trustscope } from "../support/cli.ts";
import { DEMO_SNAPSHOT, REPO_ROOT } from "../support/paths.ts";
import { ensureChromium, launchChromium, type Browser } from "../support/chromium.ts";

const ARTIFACTS = resolve(REPO_ROOT, "test-artifacts");
const HOSTILE = `x"'</script><img src=x onerror=alert(1)><svg onload=alert(2)>`;

interface DemoInventory {
  buildkite: { pipelines: { slug: string }[] };
  entra: { applications: { displayName: string; federatedIdentityCredentials: { issuer: string }[] }[] };
  azure: { managedIdentities: { name: string; federatedIdentityCredentials: { issuer: string }[] }[] };
}

let unavailable: string | undefined;
let browser: Browser | undefined;
let dir: string;

beforeAll(async () => {
  unavailable = await ensureChromium();
  if (unavailable) {
    console.warn(`trustscope: skipping the browser tests of the HTML report: ${unavailable}`);
    return;
  }
  dir = mkdtempSync(join(tmpdir(), "trustscope-html-"));
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
}, 20 * 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A page on the file, recording every request and every error the page reports. */
async function open(file: string, ctx: TestContext): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  if (unavailable || !browser) ctx.skip(`headless Chromium is not available: ${unavailable ?? "it did not start"}`);
  const page = await browser!.context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("dialog", (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  // Nothing but the file itself may load; anything else is refused (and recorded above).
  await page.route("**/*", (route) => (/^(file|data):/.test(route.request().url()) ? route.continue() : route.abort()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector("html[data-map-ready]");
  return { page, requests, errors };
}

async function labels(page: Page, selector: string): Promise<string[]> {
  const out: string[] = [];
  for (const node of await page.locator(selector).all()) out.push((await node.getAttribute("data-label")) ?? "");
  return out.sort();
}

describe("the HTML report of the demo organisation in headless Chromium", () => {
  const demo = JSON.parse(readFileSync(DEMO_SNAPSHOT, "utf8")) as DemoInventory;
  // Every federated identity is on the map, whatever its issuer: Buildkite's and GitHub's alike.
  const federated = (cs: { issuer: string }[]) => cs.length > 0;
  const pipelines = demo.buildkite.pipelines.map((p) => p.slug).sort();
  const identities = [
    ...demo.entra.applications.filter((a) => federated(a.federatedIdentityCredentials)).map((a) => a.displayName),
    ...demo.azure.managedIdentities.filter((m) => federated(m.federatedIdentityCredentials)).map((m) => m.name),
  ].sort();
  let file: string;

  beforeAll(() => {
    if (unavailable) return;
    file = join(dir, "demo.html");
    const r = trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "html", "-o", file, "--fail-on", "never"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("draws every pipeline and identity of the demo, loading nothing but the file and raising no error", async (ctx) => {
    const { page, requests, errors } = await open(file, ctx);
    expect(await labels(page, '#map [data-kind="pipeline"]')).toEqual(pipelines);
    expect(await labels(page, '#map [data-kind="identity"]')).toEqual(identities);
    expect(identities).toContain("web-storefront-deployer");
    // Two Buildkite clusters, and GitHub Actions' workloads grouped beside them.
    expect(await page.locator('#map [data-kind="cluster"]').count()).toBe(3);
    expect(await page.locator('#map [data-cluster="GitHub Actions"]').textContent()).toContain("GitHub Actions");
    expect(await page.locator("#map path.edge").count()).toBeGreaterThan(10);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a pipeline's blast radius on click: the identities it can become, the scopes they reach, and why they are production", async (ctx) => {
    const { page, errors } = await open(file, ctx);
    await page.locator('#map [data-kind="pipeline"][data-label="landing-zone-prod"]').click();
    // In the demo, landing-zone-prod is named by lz-prod-deployer's credential and matched by
    // platform-tools' organisation-wide one; lz-prod-deployer is Owner of Contoso-Prod,
    // platform-tools Contributor there and Reader at the tenant root group.
    expect(await labels(page, '#map .node.selected[data-kind="pipeline"]')).toEqual(["landing-zone-prod"]);
    expect(await labels(page, '#map .node.in-radius[data-kind="credential"]')).toEqual(["acme-org", "landing-zone-prod"]);
    expect(await labels(page, '#map .node.in-radius[data-kind="identity"]')).toEqual(["lz-prod-deployer", "platform-tools"]);
    expect(await labels(page, '#map .node.in-radius[data-kind="scope"]')).toEqual(["Contoso-Prod", "Tenant Root Group"]);
    expect(await labels(page, '#map .node.dim[data-kind="pipeline"]')).toEqual(pipelines.filter((p) => p !== "landing-zone-prod"));
    expect(await page.locator("#map path.edge.in-radius").count()).toBeGreaterThanOrEqual(6);

    await expect.poll(() => page.locator("#details-title").textContent()).toBe("landing-zone-prod");
    const details = (await page.locator("#details").textContent()) ?? "";
    expect(details).toContain("Production: pipeline 'landing-zone-prod' has 'prod' in its name");
    expect(details).toContain("Blast radius: 2 credentials, 2 identities, 2 scopes; 2 production scopes");
    expect(details).toMatch(/Contoso-Prod: [^\n]*Owner via lz-prod-deployer/);
    expect(details).toContain("Reader via platform-tools");

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "html-report.png"), fullPage: true });
    await page.locator("#map-section").screenshot({ path: join(ARTIFACTS, "html-report-map.png") });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("works from the keyboard: Enter on an identity shows the pipelines that reach it, Escape clears", async (ctx) => {
    const { page } = await open(file, ctx);
    await page.locator('#map [data-kind="identity"][data-label="lz-prod-deployer"]').focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#details-title").textContent()).toBe("lz-prod-deployer");
    expect(await labels(page, '#map .node.in-radius[data-kind="pipeline"]')).toEqual(["landing-zone-prod"]);
    expect(await labels(page, '#map .node.in-radius[data-kind="scope"]')).toEqual(["Contoso-Prod"]);
    const details = (await page.locator("#details").textContent()) ?? "";
    expect(details).toContain("Pipelines that can reach it (1)");
    // The findings that name the identity, from the findings table (its Activity Log adds narrower-role-would-do).
    expect(details).toContain("Findings naming it (4)");
    expect(details).toContain("unconstrained-role-assignment");
    // Focus stays on the node after the map redraws, so Tab order is kept.
    expect(await page.locator("#map :focus").getAttribute("data-label")).toBe("lz-prod-deployer");
    await page.keyboard.press("Escape");
    expect(await page.locator("#map .node.selected").count()).toBe(0);
    expect(await page.locator("#map .node.dim").count()).toBe(0);
    await page.close();
  });

  it("shows a GitHub-trusting identity beside the Buildkite ones: its repositories stand where pipelines do", async (ctx) => {
    const { page, errors } = await open(file, ctx);
    // The storefront's deployer trusts pull requests, two environments and a wildcard of acme's
    // repositories; a credential for a repository that does not exist still names it.
    expect(await labels(page, '#map [data-kind="workload"]')).toEqual(["acme/*", "acme/storefront-v1", "acme/web-legacy", "acme/web-storefront"]);
    await page.locator('#map [data-kind="workload"][data-label="acme/web-storefront"]').click();
    expect(await labels(page, '#map .node.in-radius[data-kind="identity"]')).toEqual(["web-storefront-deployer"]);
    expect(await labels(page, '#map .node.in-radius[data-kind="credential"]')).toEqual(["github-production", "github-pull-requests", "github-staging"]);
    expect(await labels(page, '#map .node.in-radius[data-kind="scope"]')).toEqual(["rg-app-platform-prod"]);
    await expect.poll(() => page.locator("#details-title").textContent()).toBe("acme/web-storefront");
    const details = (await page.locator("#details").textContent()) ?? "";
    expect(details).toContain("Platform: GitHub Actions");
    expect(details).toContain("Production: GitHub environment 'production' has 'production' in its name");
    // From the identity, both kinds of workload are in its radius.
    await page.locator('#map [data-kind="identity"][data-label="web-storefront-deployer"]').click();
    await expect.poll(() => page.locator("#details-title").textContent()).toBe("web-storefront-deployer");
    const identity = (await page.locator("#details").textContent()) ?? "";
    expect(identity).toContain("Other workloads that can reach it");
    expect(identity).toMatch(/pull-request-subject/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("filters the map by search, and collapses and expands a cluster", async (ctx) => {
    const { page } = await open(file, ctx);
    await page.locator("#map-search").fill("lz-prod");
    // Details count too: the credential says which app registration it is on.
    await expect.poll(() => labels(page, "#map .node.match")).toEqual(["landing-zone-prod", "lz-prod-deployer"]);
    expect(await labels(page, '#map .node.match[data-kind="credential"]')).toEqual(["landing-zone-prod"]);
    // The match keeps its whole path: the pipeline that reaches it and the scope it reaches.
    expect(await labels(page, '#map [data-kind="pipeline"]')).toEqual(["landing-zone-prod"]);
    expect(await labels(page, '#map [data-kind="scope"]')).toEqual(["Contoso-Prod"]);
    await page.locator("#map-search").fill("");
    await expect.poll(() => labels(page, '#map [data-kind="pipeline"]')).toEqual(pipelines);

    const production = page.locator('#map [data-cluster="Production"]');
    expect(await production.getAttribute("aria-expanded")).toBe("true");
    await production.click();
    expect(await page.locator('#map [data-cluster="Production"]').getAttribute("aria-expanded")).toBe("false");
    expect(await labels(page, '#map [data-kind="pipeline"]')).toEqual(pipelines.filter((p) => !["app-platform-prod", "landing-zone-prod"].includes(p)));
    expect(await page.locator('#map [data-cluster="Production"]').textContent()).toContain("Production · 2 pipelines");
    await page.locator('#map [data-cluster="Production"]').press("Enter");
    expect(await labels(page, '#map [data-kind="pipeline"]')).toEqual(pipelines);
    await page.locator("#map-collapse").click();
    expect(await page.locator('#map [data-kind="pipeline"]').count()).toBe(0);
    await page.close();
  });
});

describe("a 1,500-pipeline trust map in headless Chromium", () => {
  let file: string;

  beforeAll(() => {
    if (unavailable) return;
    // 15 clusters of 100 pipelines; 300 deployers with 5 pipelines each and a resource group
    // each; one organisation-wide credential every pipeline can use.
    const b = new InventoryBuilder();
    const subs = Array.from({ length: 10 }, (_, i) => b.subscription(`sub-${i}`, { tags: { environment: i % 2 === 0 ? "production" : "dev" } }));
    const slugs = Array.from({ length: 1500 }, (_, i) => `svc-${String(i).padStart(4, "0")}`);
    const uuids = slugs.map((slug, i) => b.pipeline(slug, { cluster: `cluster-${String(Math.floor(i / 100)).padStart(2, "0")}` }));
    for (let a = 0; a < 300; a++) {
      const name = `deployer-${String(a).padStart(3, "0")}`;
      const app = b.app(name, { credentials: uuids.slice(a * 5, a * 5 + 5).map((subject) => ({ subject })) });
      b.assign(app.principalId, "Contributor", b.resourceGroup(subs[a % 10]!, `rg-${name}`));
    }
    const tools = b.app("platform-tools", { credentials: [{ subject: b.orgUuid, name: "whole-org" }] });
    b.assign(tools.principalId, "Reader", subs[0]!);
    const hostile = b.app(HOSTILE, { credentials: [{ subject: uuids[0]!, name: HOSTILE }] });
    b.assign(hostile.principalId, "Reader", b.resourceGroup(subs[1]!, "rg-hostile"));
    const evaluation = evaluate({ inventory: b.build(), rules: builtinRules });
    const report = buildReport(evaluation, "0.0.0-test");
    file = join(dir, "large.html");
    writeFileSync(file, renderHtml(report, evaluation.rules, buildTrustMap(evaluation.graph, evaluation.environments, report.findings)));
  }, 120_000);

  it("starts with clusters collapsed, and stays interactive: search finds a pipeline, a click shows its radius, a cluster expands", async (ctx) => {
    const { page, errors, requests } = await open(file, ctx);
    expect(await page.locator('#map [data-kind="cluster"]').count()).toBe(15);
    expect(await page.locator('#map [data-kind="pipeline"]').count()).toBe(0);
    expect(await page.locator('#map [data-cluster="cluster-07"]').getAttribute("aria-expanded")).toBe("false");

    await page.locator("#map-search").fill("svc-0777");
    const hit = page.locator('#map [data-kind="pipeline"][data-label="svc-0777"]');
    await hit.waitFor();
    expect(await labels(page, '#map [data-kind="pipeline"]')).toEqual(["svc-0777"]);
    await hit.click();
    await expect.poll(() => page.locator("#details-title").textContent()).toBe("svc-0777");
    // svc-0777 is the third pipeline of deployer-155; every pipeline can also use whole-org.
    expect(await labels(page, '#map .node.in-radius[data-kind="identity"]')).toEqual(["deployer-155", "platform-tools"]);
    expect(await labels(page, '#map .node.in-radius[data-kind="scope"]')).toEqual(["rg-deployer-155", "sub-0"]);
    expect(await page.locator("#details").textContent()).toContain("Contributor via deployer-155");
    await page.screenshot({ path: join(ARTIFACTS, "html-report-1500-pipelines.png") });

    // Hostile names are shown as text and run nothing.
    await page.locator("#map-search").fill("onerror");
    const evil = page.locator('#map [data-kind="identity"]').filter({ hasText: "onerror" });
    await evil.waitFor();
    expect(await evil.getAttribute("data-label")).toBe(HOSTILE);
    await evil.click();
    await expect.poll(() => page.locator("#details-title").textContent()).toBe(HOSTILE);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("#map svg, #details svg").count()).toBe(0);

    await page.locator("#map-search").fill("");
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator('#map [data-kind="pipeline"]').count()).toBe(0);
    await page.locator('#map [data-cluster="cluster-07"]').click();
    expect(await labels(page, '#map [data-kind="pipeline"]')).toEqual(Array.from({ length: 100 }, (_, i) => `svc-0${700 + i}`));
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
    await page.close();
  });
});
