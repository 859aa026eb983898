/**
 * The fewest requests any collector needs to read a tenant completely, and the shortest wall time
 * at a given concurrency and per-request latency. The formula (also in the README):
 *
 *   requests ≥ Σ over list endpoints of max(1, ⌈items ÷ the endpoint's maximum page size⌉)
 *              + the per-item calls no list can answer
 *
 *   Buildkite  organization 1; clusters, pipelines, agents: ⌈n ÷ 500⌉ each (nested teams and
 *              queues fit the first page here).
 *   Graph      applications with $expand=federatedIdentityCredentials: ⌈n ÷ 100⌉ (Graph serves
 *              at most 100 parents per page with $expand); per item, packed 20 to a $batch:
 *              a service-principal lookup per 15 Buildkite-trusting apps (`appId in (…)` takes 15
 *              values) and one transitiveMemberOf per such app and per managed identity (no list
 *              returns the groups of many principals); apps with a flexible credential count as
 *              such apps, and each needs one Graph beta read of its credentials (v1.0 does not
 *              return their claimsMatchingExpression).
 *   ARM        subscriptions and management-group entities: ⌈n ÷ 1000⌉ each; per subscription
 *              resource groups, role definitions, role assignments (those above the
 *              subscription included), storage accounts and managed identities: ⌈n ÷ 1000⌉ each;
 *              per managed identity one federated-credential list (ARM has no $expand for them).
 *
 *   Activity Log  per (privileged federated identity, subscription its privileged grants reach):
 *              max(1, ⌈events ÷ page size⌉), where events are every event the log holds for
 *              that caller in the window (the emulator adds ACTIVITY_EXTRA_EVENTS no tally counts:
 *              a read, a failed and a started write, a policy event). The server picks the page
 *              size; the emulator serves the ARM page size. Requests follow identities ×
 *              subscriptions × pages, never the number of operations.
 *
 *   GitHub     per organisation read: the organisation (`/orgs/{o}`), its OIDC subject template
 *              and its repository listing, ⌈repositories ÷ 100⌉ pages (GitHub's largest page);
 *              per repository of such an organisation that a credential with GitHub's issuer
 *              names (`repo:OWNER/REPO:…`): the repository, and unless GitHub answers 404 for it
 *              (missing) its environments, ⌈environments ÷ 100⌉ pages, its OIDC subject
 *              template, and per environment with no required reviewers and no deployment
 *              branch policy its custom deployment protection rules (one request each, unpaged).
 *              No list answers environments, templates or custom rules for many repositories.
 *
 *   wall time ≥ latency × max(longest chain of dependent requests,
 *                             max over API families of ⌈requests ÷ concurrency⌉)
 *
 * Activity Log listings go through ARM's concurrency limit, so they count with ARM there; the
 * longest of them (each next link comes from the page before) comes after at least one page of
 * applications and of role assignments (its identity must be known to be a candidate).
 * Each API family has its own concurrency limit. The longest chain is the application pages
 * (each next link comes from the page before) followed by the $batch that needs the last page,
 * or subscriptions → a subscription's listings page by page → a managed identity's credentials.
 * ARM does not document its page sizes; 1000 is what the emulator serves and what the bound uses.
 * GitHub asks integrations not to send requests concurrently, and the collector keeps at most
 * GITHUB_MAX_CONCURRENCY in flight, so GitHub's family divides by that. A repository is known to
 * matter only once a credential naming it is read, so the GitHub chain is the longest credential
 * chain (application pages; subscriptions → identities → their credentials) plus the repository's
 * environment pages, plus one when an unprotected environment's custom rules follow them (an
 * environment is known to be unprotected only once listed); the organisation's listing pages make
 * a chain of their own.
 */
import { normalizeScope, type Inventory } from "@trustscope/core";
import { GITHUB_MAX_CONCURRENCY } from "@trustscope/core/collect";

export const MAX_PAGE = { buildkite: 500, graphExpand: 100, arm: 1000, github: 100 } as const;
const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
/** The emulator serves the Activity Log at the ARM page size (Azure picks about 200 itself). */
export const ACTIVITY_PAGE = MAX_PAGE.arm;
/** Events the emulator adds to each identity's log that no tally counts (see activity-log.ts). */
export const ACTIVITY_EXTRA_EVENTS = 4;
export const GRAPH_BATCH = 20;
export const IN_FILTER_VALUES = 15;

export type Family = "buildkite" | "graph" | "arm" | "activity" | "github";

export interface LowerBound {
  requests: Record<Family, number>;
  /** The longest chain of requests that must go one after another. */
  chain: number;
  wallMs(concurrency: number, latencyMs: number): number;
}

const pages = (items: number, size: number) => Math.max(1, Math.ceil(items / size));

export function lowerBound(inventory: Inventory): LowerBound {
  const bk = inventory.buildkite!;
  const entra = inventory.entra!;
  const azure = inventory.azure!;

  const buildkite = 1 + pages(bk.clusters.length, MAX_PAGE.buildkite) + pages(bk.pipelines.length, MAX_PAGE.buildkite) + pages(bk.agents.length, MAX_PAGE.buildkite);

  const appPages = pages(entra.applications.length, MAX_PAGE.graphExpand);
  // Every app with a federated credential, whatever its issuer: its service principal and groups are looked up.
  const buildkiteApps = entra.applications.filter((a) => a.federatedIdentityCredentials.length > 0).length;
  const flexibleApps = entra.applications.filter((a) => a.federatedIdentityCredentials.some((f) => f.claimsMatchingExpression)).length;
  const inner = Math.ceil(buildkiteApps / IN_FILTER_VALUES) + buildkiteApps + azure.managedIdentities.length;
  const graph = appPages + Math.ceil(inner / GRAPH_BATCH) + flexibleApps;

  const subScope = (id: string) => `/subscriptions/${id.toLowerCase()}`;
  const aboveSubscriptions = azure.roleAssignments.filter((a) => !normalizeScope(a.scope).startsWith("/subscriptions/")).length;
  const count = (ids: string[], sub: string) => ids.filter((id) => normalizeScope(id).startsWith(`${subScope(sub)}/`) || normalizeScope(id) === subScope(sub)).length;
  const assignmentsBySub = new Map<string, number>();
  for (const a of azure.roleAssignments) {
    const sub = /^\/subscriptions\/([^/]+)/.exec(normalizeScope(a.scope))?.[1];
    if (sub) assignmentsBySub.set(sub, (assignmentsBySub.get(sub) ?? 0) + 1);
  }
  let arm = pages(azure.subscriptions.length, MAX_PAGE.arm) + pages(azure.subscriptions.length + azure.managementGroups.length, MAX_PAGE.arm);
  let longestArmChain = 0;
  for (const s of azure.subscriptions) {
    const assignmentPages = pages(aboveSubscriptions + (assignmentsBySub.get(s.subscriptionId.toLowerCase()) ?? 0), MAX_PAGE.arm);
    const identities = count(azure.managedIdentities.map((m) => m.id), s.subscriptionId);
    arm +=
      pages(count(azure.resourceGroups.map((r) => r.id), s.subscriptionId), MAX_PAGE.arm) +
      pages(azure.roleDefinitions.length, MAX_PAGE.arm) +
      assignmentPages +
      pages(count(azure.storageAccounts.map((a) => a.id), s.subscriptionId), MAX_PAGE.arm) +
      pages(identities, MAX_PAGE.arm) +
      identities;
    longestArmChain = Math.max(longestArmChain, 1 + assignmentPages, identities > 0 ? 3 : 2);
  }
  // The Activity Log: one listing per (identity, subscription) read, paged.
  let activity = 0;
  let longestActivity = 0;
  for (const r of azure.activity?.reads ?? []) {
    const events = r.operations.reduce((n, o) => n + o.count, 0) + ACTIVITY_EXTRA_EVENTS;
    const listing = pages(events, ACTIVITY_PAGE);
    activity += listing;
    longestActivity = Math.max(longestActivity, listing);
  }
  // GitHub: the organisations read, and the repositories of theirs that plain `repo:O/R:…` subjects
  // name (the bench has no expression that pins one repository).
  let github = 0;
  let githubChain = 0;
  const gh = inventory.github;
  if (gh) {
    const owners = new Set(gh.organizations.map((o) => o.login.toLowerCase()));
    for (const o of gh.organizations) {
      const listing = pages(gh.repositories.filter((r) => r.owner.login.toLowerCase() === o.login.toLowerCase()).length, MAX_PAGE.github);
      github += 2 + listing;
      githubChain = Math.max(githubChain, listing);
    }
    const credentials = [...entra.applications.flatMap((a) => a.federatedIdentityCredentials), ...azure.managedIdentities.flatMap((m) => m.federatedIdentityCredentials)];
    const named = new Set<string>();
    for (const c of credentials) {
      const name = c.issuer === GITHUB_ISSUER && !c.claimsMatchingExpression ? /^repo:([^/:\s*?]+\/[^/:\s*?]+):/.exec(c.subject)?.[1]?.toLowerCase() : undefined;
      if (name && owners.has(name.split("/")[0]!)) named.add(name);
    }
    const missing = new Set((gh.missingRepositories ?? []).map((r) => r.toLowerCase()));
    const credentialChain = Math.max(appPages, azure.managedIdentities.length > 0 ? 3 : 0);
    for (const name of named) {
      const repo = missing.has(name) ? undefined : gh.repositories.find((r) => r.fullName.toLowerCase() === name);
      const environmentPages = repo ? pages(repo.environments?.length ?? 0, MAX_PAGE.github) : 0;
      const unprotected = (repo?.environments ?? []).filter((e) => e.requiredReviewers === 0 && e.deploymentBranchPolicy === null).length;
      github += repo ? 1 + environmentPages + 1 + unprotected : 1;
      githubChain = Math.max(githubChain, credentialChain + Math.max(1, environmentPages) + (unprotected > 0 ? 1 : 0));
    }
  }
  const chain = Math.max(appPages + 1, longestArmChain, pages(bk.pipelines.length, MAX_PAGE.buildkite), longestActivity > 0 ? 1 + longestActivity : 0, githubChain);
  const requests = { buildkite, graph, arm, activity, github };
  return {
    requests,
    chain,
    wallMs: (concurrency, latencyMs) =>
      latencyMs * Math.max(chain, ...[buildkite, graph, arm + activity].map((r) => Math.ceil(r / concurrency)), Math.ceil(github / Math.min(concurrency, GITHUB_MAX_CONCURRENCY))),
  };
}
