/**
 * Which GitHub organisations and repositories a collection reads: the ones named with
 * --github-org/--github-repo, narrowed to what federated credentials point at. Pure.
 */
import type { Inventory } from "../model/inventory.ts";
import { readTrust } from "../issuers/read-trust.ts";
import { githubApiServes } from "../issuers/platform.ts";

export interface GitHubTargets {
  /** Organisations whose subject template and repository listing are read. */
  organizations: string[];
  /** `owner/repo` whose environments and subject customisation are read. */
  repositories: string[];
  /** Repositories credentials name outside the organisations and repositories asked for: not read. */
  outside: string[];
}

/**
 * Every repository given is read; of the organisations given, the repositories that a credential
 * with a GitHub issuer names (by `repo:` in its subject or pinned expression). The owners of the
 * repositories given are read as organisations too, for their subject template.
 */
export function githubTargets(asked: { apiUrl: string; organizations: string[]; repositories: string[] }, inventory: Pick<Inventory, "entra" | "azure">): GitHubTargets {
  // Names keyed by their lower case: GitHub's names are case-insensitive; the first spelling is kept.
  const keep = (m: Map<string, string>, name: string) => {
    if (!m.has(name.toLowerCase())) m.set(name.toLowerCase(), name);
  };
  const orgs = new Map<string, string>();
  for (const o of asked.organizations) keep(orgs, o);
  const repos = new Map<string, string>();
  for (const r of asked.repositories) keep(repos, r);
  const owners = new Map(orgs);
  for (const r of repos.values()) keep(owners, r.split("/")[0]!);
  const outside = new Map<string, string>();
  const credentials = [
    ...(inventory.entra?.applications ?? []).flatMap((a) => a.federatedIdentityCredentials),
    ...(inventory.azure?.managedIdentities ?? []).flatMap((m) => m.federatedIdentityCredentials),
  ];
  for (const c of credentials) {
    const trust = readTrust(c);
    // Only the repositories of the GitHub this API is: a GHES repository of the same name is another one.
    const repository = trust.platform === "github" && githubApiServes(asked.apiUrl, c.issuer) ? trust.github?.repository : undefined;
    // `.` and `..` are no repository names (in a URL path they would name another path).
    if (!repository || !/^(?!\.\.?\/)[^/\s*?]+\/(?!\.\.?$)[^/\s*?]+$/.test(repository)) continue;
    const key = repository.toLowerCase();
    if (repos.has(key)) continue;
    keep(orgs.has(key.split("/")[0]!) ? repos : outside, repository);
  }
  const sorted = (m: Map<string, string>) => [...m.values()].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  return { organizations: sorted(owners), repositories: sorted(repos), outside: sorted(outside) };
}
