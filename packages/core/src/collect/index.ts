/**
 * `@trustscope/core/collect`: live collection through the Buildkite, Microsoft Graph, Azure and
 * GitHub (Octokit) SDKs. A module of its own so that only live scans load the SDKs (a snapshot or
 * repository scan never does).
 */
export { collectInventory } from "./collect.ts";
export { azureCredentials, staticTokenCredential, type AzureCredentials } from "./credentials.ts";
export { collectGitHub, GITHUB_API_VERSION, GITHUB_MAX_CONCURRENCY, GITHUB_MAX_RATE_LIMIT_WAIT_MS, GITHUB_PERMISSION } from "./github.ts";
export { Limiter } from "./http.ts";
export { CLOUDS, CLOUD_NAMES, type CloudEndpoints } from "./clouds.ts";
export { DEFAULTS as COLLECT_DEFAULTS, type CollectOptions } from "./options.ts";
