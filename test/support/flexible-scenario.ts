/**
 * The demo organisation plus flexible federated credentials (claimsMatchingExpression), for the
 * emulator, collector and end-to-end tests: an app registration trusting every GitHub repository
 * of an owner with Contributor on production, one with a plain GitHub subject (no beta read for
 * it), and a user-assigned managed identity whose expression only ARM 2025-01-31-preview returns.
 */
import type { FederatedCredential, Inventory } from "@trustscope/core";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
export const APP_EXPRESSION = "claims['sub'] matches 'repo:acme/*'";
export const MI_EXPRESSION = "claims['sub'] matches system:serviceaccount:payments:*";
const CONTRIBUTOR = "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c";

/** A credential as the collectors record it: an expression one has an empty subject. */
const fic = (id: string, name: string, issuer: string, match: { subject: string } | { expression: string }): FederatedCredential => ({
  id,
  name,
  issuer,
  subject: "subject" in match ? match.subject : "",
  ...("expression" in match ? { claimsMatchingExpression: { value: match.expression, languageVersion: 1 } } : {}),
  audiences: ["api://AzureADTokenExchange"],
});
/** Graph's credentials carry a description (null when unset); ARM's do not. */
const graphFic = (...args: Parameters<typeof fic>): FederatedCredential => ({ ...fic(...args), description: null });

export const FLEXIBLE = {
  app: { objectId: "5e1f7a00-0000-4000-8000-00000000f1e1", appId: "5e1f7a00-0000-4000-8000-00000000a991", principalId: "5e1f7a00-0000-4000-8000-0000000005b1" },
  plainApp: { objectId: "5e1f7a00-0000-4000-8000-00000000f1e2", appId: "5e1f7a00-0000-4000-8000-00000000a992" },
  managedIdentity: { name: "id-payments-aks", clientId: "5e1f7a00-0000-4000-8000-00000000c11e", principalId: "5e1f7a00-0000-4000-8000-0000000005b2" },
} as const;

export function flexibleScenario(base: Inventory): Inventory {
  const inv = structuredClone(base);
  const prod = inv.azure!.subscriptions.find((s) => s.displayName === "Contoso-Prod")!;
  const rg = inv.azure!.resourceGroups.find((r) => r.subscriptionId === prod.subscriptionId)!;
  inv.entra!.applications.push(
    {
      objectId: FLEXIBLE.app.objectId,
      appId: FLEXIBLE.app.appId,
      displayName: "gh-acme-deployer",
      passwordCredentials: [],
      federatedIdentityCredentials: [
        graphFic("5e1f7a00-0000-4000-8000-0000000f1c01", "acme-any-repo", GITHUB_ISSUER, { expression: APP_EXPRESSION }),
        graphFic("5e1f7a00-0000-4000-8000-0000000f1c02", "acme-app-main", GITHUB_ISSUER, { subject: "repo:acme/app:ref:refs/heads/main" }),
      ],
    },
    {
      objectId: FLEXIBLE.plainApp.objectId,
      appId: FLEXIBLE.plainApp.appId,
      displayName: "gh-plain",
      passwordCredentials: [],
      federatedIdentityCredentials: [graphFic("5e1f7a00-0000-4000-8000-0000000f1c03", "web-main", GITHUB_ISSUER, { subject: "repo:acme/web:ref:refs/heads/main" })],
    },
  );
  inv.entra!.servicePrincipals.push({ objectId: FLEXIBLE.app.principalId, appId: FLEXIBLE.app.appId, displayName: "gh-acme-deployer", servicePrincipalType: "Application", memberOf: [] });
  const mi = FLEXIBLE.managedIdentity;
  const miId = `${rg.id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${mi.name}`;
  inv.azure!.managedIdentities.push({
    id: miId,
    name: mi.name,
    clientId: mi.clientId,
    principalId: mi.principalId,
    tenantId: inv.tenantId!,
    federatedIdentityCredentials: [fic(`${miId}/federatedIdentityCredentials/payments`, "payments", "https://oidc.prod-aks.azure.com/tenant/issuer", { expression: MI_EXPRESSION })],
  });
  // The repositories these credentials name are not on the (demo's) GitHub: a live read records them as missing.
  if (inv.github) inv.github.missingRepositories = [...new Set([...(inv.github.missingRepositories ?? []), "acme/app", "acme/web"])].sort();
  for (const [principalId, n] of [[FLEXIBLE.app.principalId, 1], [mi.principalId, 2]] as const) {
    inv.azure!.roleAssignments.push({
      id: `/subscriptions/${prod.subscriptionId}/providers/Microsoft.Authorization/roleAssignments/5e1f7a00-0000-4000-8000-00000000000${n}`,
      scope: `/subscriptions/${prod.subscriptionId}`,
      roleDefinitionId: CONTRIBUTOR,
      principalId,
      principalType: "ServicePrincipal",
    });
  }
  return inv;
}
