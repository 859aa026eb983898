/**
 * Live collection: Buildkite, Microsoft Graph and ARM into one inventory. Whatever could not be
 * read fully is a coverage gap; everything readable is still returned.
 */
import { INVENTORY_SCHEMA_VERSION, type CoverageGap, type Inventory } from "../model/inventory.ts";
import { canonicalizeBuildkite, canonicalizeEntra, canonicalizeGaps } from "../inventory/canonical.ts";
import { collectAzure, type AzureCollection } from "./arm.ts";
import { collectBuildkite } from "./buildkite.ts";
import { CLOUDS } from "./clouds.ts";
import { collectEntra, type EntraCollection, type ManagedIdentityRef } from "./graph.ts";
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
  inventory.coverage.complete = gaps.length === 0;
  canonicalizeGaps(gaps);
  return inventory;
}
