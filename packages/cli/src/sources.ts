/**
 * Where a scan's inventory comes from: a snapshot file, the live APIs, or the bundled demo
 * (the real collectors against the bundled loopback emulator).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CLOUD_NAMES,
  JsonLocator,
  UsageError,
  analyzeRepo,
  gapLines,
  loadHclParser,
  loadRepo,
  parseInventory,
  readTerraformPlanFile,
  type AzureCloudName,
  type CollectOptions,
  type Coverage,
  type Inventory,
  type RepoAnalysis,
  type SarifOptions,
} from "@trustscope/core";
import { readText, type Io } from "./io.ts";

export const DEMO_SCENARIO = fileURLToPath(new URL("../demo/organisation.json", import.meta.url));

export interface LoadedInventory {
  inventory: Inventory;
  /**
   * The file SARIF results without a file of their own point at, with a locator for lines of
   * inventory facts; without one, `scan()`'s default.
   */
  sarif?: Pick<SarifOptions, "anchorFile" | "lineOf">;
}

function anchorFor(path: string, text: string, io: Io): LoadedInventory["sarif"] {
  const locator = new JsonLocator(text);
  return { anchorFile: relative(io.cwd, path) || path, lineOf: (p) => locator.lineOf(p) };
}

export function loadSnapshot(path: string, io: Io): LoadedInventory {
  const text = readText(path, "the snapshot");
  const display = relative(io.cwd, path) || path;
  return { inventory: parseInventory(text, display), sarif: anchorFor(path, text, io) };
}

export async function collectLive(opts: CollectOptions): Promise<LoadedInventory> {
  const { collectInventory } = await import("@trustscope/core/collect");
  return { inventory: await collectInventory(opts) };
}

/**
 * The demo: start the emulator in-process on the demo organisation and read it through the same
 * collectors a live scan uses. No credentials, no network beyond loopback.
 */
export async function collectDemo(io: Io, base: Pick<CollectOptions, "onProgress">): Promise<LoadedInventory> {
  const text = readFileSync(DEMO_SCENARIO, "utf8");
  const scenario = parseInventory(text, relative(io.cwd, DEMO_SCENARIO));
  const [{ startEmulator }, { collectInventory, staticTokenCredential }] = await Promise.all([import("@trustscope/emulator"), import("@trustscope/core/collect")]);
  const emulator = await startEmulator({ scenario });
  // The demo always reads its Activity Log (loopback, free), as of the end of the window its
  // history was written for, so `scan --demo` and `scan --snapshot` of the demo judge the same events.
  const history = scenario.azure?.activity;
  const days = history ? Math.round((Date.parse(history.to) - Date.parse(history.from)) / 86_400_000) : 90;
  try {
    const inventory = await collectInventory({
      ...base,
      activity: { days: Math.min(90, Math.max(1, days)) },
      cloud: scenario.cloud,
      caPem: emulator.caPem,
      buildkite: { organization: scenario.buildkite!.organization.slug, graphqlUrl: emulator.buildkiteGraphqlUrl, token: emulator.tokens.buildkite },
      azure: {
        ...(scenario.tenantId ? { tenantId: scenario.tenantId } : {}),
        graphUrl: emulator.graphUrl,
        armUrl: emulator.armUrl,
        graphCredential: staticTokenCredential(emulator.tokens.graph),
        armCredential: staticTokenCredential(emulator.tokens.arm),
        graphCredentialName: "the demo token",
        armCredentialName: "the demo token",
      },
      // The demo's GitHub organisations, read like --github-org would.
      ...(scenario.github
        ? { github: { apiUrl: emulator.githubApiUrl, token: emulator.tokens.github, organizations: scenario.github.organizations.map((o) => o.login), repositories: [] } }
        : {}),
    }, history ? new Date(history.to) : undefined);
    // The demo organisation is written in the collector's canonical order, so the collected
    // inventory's JSON pointers are line-addressable in the scenario file.
    return { inventory, sarif: anchorFor(DEMO_SCENARIO, text, io) };
  } catch (e) {
    throw new UsageError(`the demo could not run: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await emulator.close();
  }
}

/**
 * Reads a repository for `--repo DIR`. Paths in findings are relative to the repository root
 * (CONTRACT: reports and fingerprints do not depend on the working directory or the checkout
 * path); `root` is where that root is, relative to the working directory, for views that print
 * clickable paths.
 */
export async function loadRepoSource(dir: string, io: Io, githubRepos: string[] = []): Promise<RepoAnalysis & { root: string }> {
  const abs = resolve(io.cwd, dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new UsageError(`--repo ${dir}: no such directory`);
  // The Terraform parser (WASM) loads once; without it .tf files are a coverage gap, not a crash.
  const hcl = await loadHclParser().catch((e: unknown) => {
    io.stderr(`trustscope: warning: ${e instanceof Error ? e.message : String(e)}\n`);
    return undefined;
  });
  const { repo, remoteUrl } = loadRepo(abs, hcl ? { hcl } : {});
  // Which GitHub repository the workflows run in (their subjects name it): one --github-repo, else
  // the one GitHub Actions is running for, else the origin remote (read by the analysis).
  const githubRepository = githubRepos.length === 1 ? githubRepos[0] : io.env.GITHUB_ACTIONS === "true" ? io.env.GITHUB_REPOSITORY : undefined;
  return { ...analyzeRepo(repo, remoteUrl, "", githubRepository ? { githubRepository } : {}), root: relative(io.cwd, abs).split("\\").join("/") };
}

/**
 * Adds Terraform plans (`terraform show -json` output) to the repository scan, or makes one of
 * them alone. A file that is no readable plan is a usage error naming it, like a bad snapshot.
 */
export function withTerraformPlans(repo: (RepoAnalysis & { root: string }) | undefined, plans: string[], io: Io): RepoAnalysis & { root: string } {
  const out = repo ?? { ...analyzeRepo({ pipelines: [], scripts: [], templates: [], diagnostics: [] }), root: "" };
  for (const plan of plans) {
    const abs = resolve(io.cwd, plan);
    const name = relative(io.cwd, abs).split("\\").join("/");
    const read = readTerraformPlanFile(readText(abs, "the Terraform plan"), name);
    // Nothing read and a gap: the file is no plan (or not one trustscope can read). A plan that
    // reads with a malformed entry keeps that entry's gap and is judged.
    const fatal = read.resources === 0 ? read.diagnostics.find((d) => !d.note) : undefined;
    if (fatal) throw new UsageError(`${fatal.file}:${fatal.line}: ${fatal.message}`);
    out.repo.diagnostics.push(...read.diagnostics);
    out.repo.templates.push(...read.templates);
    out.repo.terraform = [...(out.repo.terraform ?? []), ...read.models];
  }
  return out;
}

/** A repository-only scan has no inventory: an empty one, so inventory rules stay quiet. */
export function emptyInventory(cloud: string | undefined): Inventory {
  const name = (cloud ?? "AzureCloud") as AzureCloudName;
  if (!CLOUD_NAMES.includes(name)) throw new UsageError(`--cloud must be one of ${CLOUD_NAMES.join(", ")}, got '${cloud}'`);
  return { schemaVersion: 1, cloud: name, coverage: { complete: true, gaps: [] } };
}

/**
 * Says on stderr that a scan or collection is incomplete, and lists the gaps; `consequence` is
 * what that means for the output (", so the map may be missing access").
 */
export function incompleteNote(io: Io, coverage: Coverage, what: "scan" | "collection", consequence = ""): void {
  io.stderr(`trustscope: the ${what} is incomplete (${coverage.gaps.length} coverage gap(s))${consequence}; exit code 3\n`);
  for (const line of gapLines(coverage.gaps)) io.stderr(`${line}\n`);
}
