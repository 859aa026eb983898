/**
 * The demo organisation with the odd-but-valid values the vendors' own published examples carry:
 * open enums with values outside the known list, fields left out, a subscription of another
 * tenant, more group memberships than one page holds. `ODD_FAULTS` makes the emulator leave
 * fields out of its answers the way those examples do.
 */
import type { Inventory } from "@trustscope/core";
import type { Fault } from "@trustscope/emulator";

export const SUB_PROD = "0b1f6471-1bf0-4dda-aec3-111122223333";
export const SUB_NONPROD = "4d6e8f10-2a3b-4c5d-8e9f-444455556666";
/** A subscription of a partner's tenant the credential can also list (Lighthouse, guest access). */
export const SUB_FOREIGN = "7e57f0e1-0000-4000-8000-00000000f0e1";
export const FOREIGN_TENANT = "f0e1f0e1-0000-4000-8000-0000000f0e1f";
/** metrics-exporter: answered without `id`, as the List applications example is. */
export const APP_WITHOUT_ID = "c0ffee06-6666-4aaa-8bbb-000000000006";
/** Its role assignment is answered without `principalType` (ARM's default: User). */
export const ASSIGNMENT_WITHOUT_TYPE = "a5519000-0000-4000-8000-000000000008";
/** app-platform-deployer's service principal: in three groups, more than a page of two. */
export const SP_IN_GROUPS = "5b0e0002-0000-4000-8000-000000000002";

const readerRole = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7";
const ownerRole = "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

export function oddScenario(demo: Inventory): Inventory {
  const inv = structuredClone(demo);
  const entra = inv.entra!;
  const azure = inv.azure!;
  const extraGroups = [
    { objectId: "9a0e0001-0000-4000-8000-0000000000b1", displayName: "grp-release-managers" },
    { objectId: "9a0e0001-0000-4000-8000-0000000000b2", displayName: "grp-all-service-principals" },
  ];
  entra.groups.push(...extraGroups);
  entra.servicePrincipals.find((s) => s.objectId === SP_IN_GROUPS)!.memberOf.push(...extraGroups.map((g) => g.objectId));

  // ARM's principalType is an open enum: a deleted principal reads "Unknown"; a value ARM adds later is kept too.
  azure.roleAssignments.push(
    {
      id: `/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleAssignments/a5519000-0000-4000-8000-0000000000e1`,
      scope: `/subscriptions/${SUB_NONPROD}`,
      roleDefinitionId: readerRole,
      principalId: "de1e7ed0-0000-4000-8000-0000000000e1",
      principalType: "Unknown",
    },
    {
      id: `/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleAssignments/a5519000-0000-4000-8000-0000000000e2`,
      scope: `/subscriptions/${SUB_NONPROD}`,
      roleDefinitionId: readerRole,
      principalId: "5b0e0004-0000-4000-8000-000000000004",
      principalType: "ManagedIdentity",
    },
  );
  // The role definitions' own example has type "roletype".
  azure.roleDefinitions.push({
    id: `/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleDefinitions/c0570003-0000-4000-8000-00000000c003`,
    name: "c0570003-0000-4000-8000-00000000c003",
    roleName: "Role name",
    roleType: "roletype",
    permissions: [{ actions: ["action"], notActions: [], dataActions: ["dataAction"], notDataActions: [] }],
    assignableScopes: [`/subscriptions/${SUB_NONPROD}`],
  });

  // Another tenant's subscription with something to find in it, were it read.
  azure.subscriptions.push({ subscriptionId: SUB_FOREIGN, displayName: "Partner-Prod", tenantId: FOREIGN_TENANT, tags: {} });
  azure.resourceGroups.push({ id: `/subscriptions/${SUB_FOREIGN}/resourceGroups/rg-partner-prod`, name: "rg-partner-prod", subscriptionId: SUB_FOREIGN, tags: {} });
  azure.roleAssignments.push({
    id: `/subscriptions/${SUB_FOREIGN}/providers/Microsoft.Authorization/roleAssignments/a5519000-0000-4000-8000-0000000000f1`,
    scope: `/subscriptions/${SUB_FOREIGN}`,
    roleDefinitionId: ownerRole,
    principalId: "5b0e0003-0000-4000-8000-000000000003",
    principalType: "ServicePrincipal",
  });
  return inv;
}

/** Fields left out of answers, as the published examples leave them out. */
export const ODD_FAULTS: Fault[] = [
  { kind: "omitFields", api: "graph", match: /^\/v1\.0\/applications\?/, fields: ["id"], items: new RegExp(APP_WITHOUT_ID) },
  { kind: "omitFields", api: "graph", match: /^\/v1\.0\/servicePrincipals\?/, fields: ["servicePrincipalType"] },
  { kind: "omitFields", api: "arm", match: /^\/subscriptions\?/, fields: ["state", "subscriptionPolicies", "authorizationSource", "managedByTenants"] },
  { kind: "omitFields", api: "arm", match: /\/roleAssignments\?/i, fields: ["properties.principalType"], items: new RegExp(ASSIGNMENT_WITHOUT_TYPE) },
  { kind: "omitFields", api: "arm", match: /\/roleDefinitions\?/i, fields: ["properties.type", "properties.description"], items: /Storage Queue Data Contributor/ },
  { kind: "omitFields", api: "arm", match: /\/userAssignedIdentities\?/i, fields: ["properties.tenantId", "tags", "location"] },
];
