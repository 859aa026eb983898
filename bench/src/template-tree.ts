/**
 * A synthetic infrastructure repository shaped like Azure's Bicep module registry and landing
 * zones, for timing `scan --repo` on big trees: resource modules with the registry's role
 * assignment pattern (`builtInRoleNames`, a loop over a parameter), callers that bind them as
 * local modules, `.bicepparam` files, and ARM JSON templates with `*.parameters.json` beside them.
 * Deterministic: the same count gives the same files.
 */

const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";

function resourceModule(i: number): string {
  return `metadata name = 'Resource module ${i}'
targetScope = 'resourceGroup'

@description('Required. Name of the storage account.')
param name string = 'st${i}'

param location string = resourceGroup().location

@description('Optional. Role assignments to create.')
param roleAssignments roleAssignmentType[]?

param allowSharedKeyAccess bool = false

var builtInRoleNames = {
  Contributor: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${CONTRIBUTOR}')
  Owner: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${OWNER}')
  'Storage Blob Data Contributor': subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
}

var formattedRoleAssignments = [
  for (roleAssignment, index) in (roleAssignments ?? []): union(roleAssignment, {
    roleDefinitionId: builtInRoleNames[?roleAssignment.roleDefinitionIdOrName] ?? roleAssignment.roleDefinitionIdOrName
  })
]

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: allowSharedKeyAccess
    minimumTlsVersion: 'TLS1_2'
  }
}

resource storageAccount_roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (roleAssignment, index) in (formattedRoleAssignments ?? []): {
    name: roleAssignment.?name ?? guid(storageAccount.id, roleAssignment.principalId, roleAssignment.roleDefinitionId)
    properties: {
      roleDefinitionId: roleAssignment.roleDefinitionId
      principalId: roleAssignment.principalId
      principalType: roleAssignment.?principalType
      condition: roleAssignment.?condition
    }
    scope: storageAccount
  }
]

output resourceId string = storageAccount.id

type roleAssignmentType = {
  name: string?
  roleDefinitionIdOrName: string
  principalId: string
  principalType: ('ServicePrincipal' | 'Group' | 'User')?
  condition: string?
}
`;
}

function caller(i: number): string {
  return `param principalId string = '00000000-0000-0000-0000-${String(i).padStart(12, "0")}'

module storage '../modules/res${i}/main.bicep' = {
  name: 'storage-${i}'
  params: {
    name: 'stcaller${i}'
    roleAssignments: [
      {
        roleDefinitionIdOrName: '${i % 7 === 0 ? "Owner" : "Contributor"}'
        principalId: principalId
        principalType: 'ServicePrincipal'
      }
    ]
  }
}

module registry 'br/public:avm/res/key-vault/vault:0.9.0' = {
  name: 'kv-${i}'
  params: { name: 'kv${i}' }
}
`;
}

function armTemplate(i: number): string {
  return JSON.stringify(
    {
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      parameters: {
        principalId: { type: "string" },
        builtInRoleType: { type: "string", allowedValues: ["Owner", "Contributor"], defaultValue: "Contributor" },
      },
      variables: {
        Owner: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${OWNER}')]`,
        Contributor: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${CONTRIBUTOR}')]`,
      },
      resources: [
        {
          type: "Microsoft.Authorization/roleAssignments",
          apiVersion: "2022-04-01",
          name: `[guid(resourceGroup().id, parameters('principalId'), '${i}')]`,
          properties: { roleDefinitionId: "[variables(parameters('builtInRoleType'))]", principalId: "[parameters('principalId')]" },
        },
      ],
    },
    null,
    2,
  );
}

/** `count` template files (Bicep modules and callers, bicepparam, ARM with parameter files), path → text. */
export function templateTree(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  // Per group of 5 files: a module, its caller, the caller's .bicepparam, an ARM template and its parameters.
  for (let i = 0; files && Object.keys(files).length < count; i++) {
    files[`infra/modules/res${i}/main.bicep`] = resourceModule(i);
    files[`infra/stacks/stack${i}.bicep`] = caller(i);
    files[`infra/stacks/stack${i}.bicepparam`] = `using './stack${i}.bicep'\n\nparam principalId = '11111111-1111-1111-1111-${String(i).padStart(12, "0")}'\n`;
    files[`infra/arm/t${i}/azuredeploy.json`] = armTemplate(i);
    files[`infra/arm/t${i}/azuredeploy.parameters.json`] = JSON.stringify({ $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", contentVersion: "1.0.0.0", parameters: { principalId: { value: "22222222-2222-2222-2222-222222222222" } } }, null, 2);
  }
  return files;
}
