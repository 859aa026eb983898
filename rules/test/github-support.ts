import { InventoryBuilder, type CredentialSpec } from "@trustscope/core/testing";
import type { GitHubInventory, GitHubRepository } from "@trustscope/core";

export const GITHUB = "https://token.actions.githubusercontent.com";

/** A GitHub repository as the collector records it; IDs are fixed so tests can name them. */
export function repository(fullName: string, extra: Partial<GitHubRepository> = {}): GitHubRepository {
  const [owner = ""] = fullName.split("/");
  return { fullName, id: 4242, owner: { login: owner, id: 42 }, private: true, defaultBranch: "main", ...extra };
}

/** Records what GitHub returned on the inventory. */
export function withGitHub(b: InventoryBuilder, github: Partial<GitHubInventory>): InventoryBuilder {
  b.raw.github = { apiUrl: "https://api.github.com", organizations: [], repositories: [], ...github };
  return b;
}

/**
 * An app registration `gh-deployer` with GitHub credentials and, unless `role` is null, one role
 * at a subscription (`Contoso-Prod` is production by the default name heuristic, `Contoso-Dev` is not).
 */
export function deployer(credentials: CredentialSpec[], role: string | null = "Contributor", subscription = "Contoso-Prod"): InventoryBuilder {
  const b = new InventoryBuilder();
  const ids = b.app("gh-deployer", { credentials: credentials.map((c, i) => ({ name: `gh-${i}`, issuer: GITHUB, ...c })) });
  if (role !== null) b.assign(ids.principalId, role, b.subscription(subscription));
  return b;
}
