/**
 * Live collection: Buildkite, Microsoft Graph and ARM into one inventory. Whatever could not be
 * read fully is a coverage gap; everything readable is still returned.
 */
import { INVENTORY_SCHEMA_VERSION, type CoverageGap, type Inventory } from "../model/inventory.ts";
import { canonicalizeBuildkite, canonicalizeEntra, canonicalizeGaps, canonicalizeGitHub } from "../inventory/canonical.ts";
import { inventoryProblems } from "../inventory/load-inventory.ts";
import { activityCandidates } from "../graph/activity.ts";
import { buildTrustGraph } from "../graph/trust-graph.ts";
import { collectActivity, activityWindow } from "./activity.ts";
import { collectAzure, type AzureCollection } from "./arm.ts";
import { collectBuildkite } from "./buildkite.ts";
import { CLOUDS } from "./clouds.ts";
import { collectEntra, type EntraCollection, type ManagedIdentityRef } from "./graph.ts";
import { collectGitHub } from "./github.ts";
import { githubTargets } from "./github-targets.ts";
import type { CollectOptions } from "./options.ts";

export async function collectInventory(opts: CollectOptions, now: Date = new Date()): Promise<Inventory> {
  const cloud = CLOUDS[opts.cloud];
  const gaps: CoverageGap[] = [];
  const inventory: Inventory = {
    schemaVersion: INVENTORY_SCHEMA_VERSION,
    collectedAt: now.toISOString(),
    cloud: opts.cloud,
    ...(opts.azure?.tenantId ? { tenantId: opts.azure.tenantId } : {}),
    coverage: { complete: true, gaps },
  };

  // Each source is put in canonical order as soon as it is read, while the others still are:
  // built here and held by nobody else, so sorted in place (a copy of 40,000 assignments costs more).
  const buildkite = opts.buildkite
    ? collectBuildkite(opts).then((bk) => {
        if (bk.buildkite) canonicalizeBuildkite(bk.buildkite);
        return bk;
      })
    : undefined;
  const azure = opts.azure
    ? (async () => {
        // Graph and ARM are read at the same time. Managed identities are found in ARM and their
        // group memberships live in Graph: ARM hands them over as soon as they are listed.
        let handOver: (refs: ManagedIdentityRef[]) => void = () => undefined;
        const identities = new Promise<ManagedIdentityRef[]>((resolve) => (handOver = resolve));
        const armRead = collectAzure(opts, cloud.armScope, (refs) => handOver(refs)).finally(() => handOver([]));
        const entraRead = collectEntra(opts, cloud.graphScope, identities).then((e) => {
          canonicalizeEntra(e.entra);
          return e;
        });
        // collectAzure returns its lists in canonical order itself.
        const [arm, entra]: [AzureCollection, EntraCollection] = await Promise.all([armRead, entraRead]);
        // Who is worth reading the log for needs both: credentials and grants, and role definitions.
        if (opts.activity) {
          const graph = buildTrustGraph({ schemaVersion: INVENTORY_SCHEMA_VERSION, cloud: opts.cloud, entra: entra.entra, azure: arm.azure, coverage: { complete: true, gaps: [] } });
          const candidates = activityCandidates(graph, { azure: arm.azure });
          const read = await collectActivity(candidates, arm.azure.subscriptions.map((s) => s.subscriptionId), activityWindow(now, opts.activity.days), arm.listActivity, (m) => opts.onProgress?.("arm", m));
          arm.azure.activity = read.activity;
          arm.gaps.push(...read.gaps);
        }
        return { arm, entra };
      })()
    : undefined;

  const [bk, az] = await Promise.all([buildkite, azure]);
  if (bk) {
    if (bk.buildkite) inventory.buildkite = bk.buildkite;
    gaps.push(...bk.gaps);
  }
  if (az) {
    inventory.entra = az.entra.entra;
    inventory.azure = az.arm.azure;
    gaps.push(...az.arm.gaps, ...az.entra.gaps);
  }
  // GitHub is read after Entra and ARM: which repositories matter is what their credentials name.
  if (opts.github) {
    const targets = githubTargets(opts.github, inventory);
    const gh = await collectGitHub(opts, targets);
    canonicalizeGitHub(gh.github);
    inventory.github = gh.github;
    gaps.push(...gh.gaps);
    if (targets.outside.length > 0) {
      (inventory.coverage.notes ??= []).push({
        source: "github",
        message: `${targets.outside.length} repositor${targets.outside.length === 1 ? "y" : "ies"} named by credentials ${targets.outside.length === 1 ? "is" : "are"} outside the organisations and repositories asked for and ${targets.outside.length === 1 ? "was" : "were"} not read: ${targets.outside.slice(0, 5).join(", ")}${targets.outside.length > 5 ? ` and ${targets.outside.length - 5} more` : ""}; add --github-org or --github-repo to check them`,
      });
    }
  }
  leaveOutUnreadable(inventory, gaps);
  inventory.coverage.complete = gaps.length === 0;
  canonicalizeGaps(gaps);
  return inventory;
}

const SOURCE_OF: Record<string, string> = { buildkite: "buildkite", entra: "graph", azure: "arm", github: "github" };

/**
 * The last line of defence behind the collectors' own checks: whatever the APIs sent, `scan
 * --snapshot` must read what `collect` writes. An object the snapshot could not hold (a value the
 * schema rejects) is left out and named in a gap, never written to fail later.
 */
function leaveOutUnreadable(inventory: Inventory, gaps: CoverageGap[]): void {
  // Judged as written: a field left undefined (a server that omitted an optional one) is not in the JSON.
  dropUndefined(inventory);
  const problems = inventoryProblems(inventory);
  if (problems.length === 0) return;
  // Per list, the items to drop (the first array element on each problem's path), each with its first problem.
  const drops = new Map<string, Map<number, string>>();
  const record = inventory as unknown as Record<string, Record<string, unknown> | undefined>;
  for (const { path, message } of problems) {
    const [section = "", list = "", index] = path.split("/").slice(1);
    const items = record[section]?.[list];
    if (Array.isArray(items) && index !== undefined && /^\d+$/.test(index)) {
      const byIndex = drops.get(`${section}/${list}`) ?? new Map<number, string>();
      drops.set(`${section}/${list}`, byIndex);
      if (!byIndex.has(Number(index))) byIndex.set(Number(index), message);
    } else if (record[section]) {
      // Nothing smaller to leave out (the organisation itself, say): the whole source goes.
      delete record[section];
      gaps.push({ source: SOURCE_OF[section] ?? section, scope: `/${section}`, error: `not kept: the snapshot could not be read back with it (${message})` });
    }
  }
  for (const [key, byIndex] of drops) {
    const [section, list] = key.split("/") as [string, string];
    const items = record[section]?.[list];
    if (!Array.isArray(items)) continue; // its whole source was left out above
    for (const [i, message] of [...byIndex].sort((a, b) => b[0] - a[0])) {
      const item = items[i] as Record<string, unknown>;
      const name = [item.id, item.objectId, item.subscriptionId, item.uuid, item.appId, item.fullName, item.login].find((v) => typeof v === "string" && v !== "");
      gaps.push({ source: SOURCE_OF[section] ?? section, scope: typeof name === "string" ? name : `/${section}/${list}`, error: `${list}: one left out, as the snapshot could not be read back with it: ${message}` });
      items.splice(i, 1);
    }
  }
}

/** Deletes, in place and at every depth, the object keys whose value is undefined. */
function dropUndefined(value: unknown): void {
  if (Array.isArray(value)) {
    for (const v of value) dropUndefined(v);
  } else if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (o[k] === undefined) delete o[k];
      else dropUndefined(o[k]);
    }
  }
}
