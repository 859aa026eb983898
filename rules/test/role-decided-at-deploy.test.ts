import { describe, expect, it } from "vitest";
import { roleDecidedAtDeploy } from "../src/rules/role-decided-at-deploy.ts";
import { runRepo } from "./support.ts";

const IDENTITY = [
  "param pipelineId string",
  "resource deployer 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {",
  "  name: 'deployer'",
  "  location: 'westeurope'",
  "}",
  "resource ci 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = {",
  "  parent: deployer",
  "  name: 'buildkite'",
  "  properties: {",
  "    issuer: 'https://agent.buildkite.com'",
  "    subject: pipelineId",
  "    audiences: ['api://AzureADTokenExchange']",
  "  }",
  "}",
];
const assignment = (role: string) => [
  "resource access 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
  "  name: guid(resourceGroup().id, 'deployer')",
  "  properties: {",
  `    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ${role})`,
  "    principalId: deployer.properties.principalId",
  "  }",
  "}",
];

describe("role-decided-at-deploy", () => {
  it("fires when a parameter decides the role in a template with federated trust", () => {
    const text = ["param roleDefinitionId string", ...IDENTITY, ...assignment("roleDefinitionId"), ""].join("\n");
    const [f, ...rest] = runRepo(roleDecidedAtDeploy, { "infra/deployer.bicep": text });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "info", location: { file: "infra/deployer.bicep", line: 16 } });
    expect(f!.message).toMatch(/chosen by 'roleDefinitionId'/);
  });

  it("is quiet when the role is pinned, or when the template declares no federated trust", () => {
    const pinned = ["param roleDefinitionId string", ...IDENTITY, ...assignment("'b24988ac-6180-42a0-ab88-20f7382dd24c'"), ""].join("\n");
    expect(runRepo(roleDecidedAtDeploy, { "infra/deployer.bicep": pinned })).toEqual([]);
    const noTrust = ["param roleDefinitionId string", "resource deployer 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {", "  name: 'd'", "  location: 'w'", "}", ...assignment("roleDefinitionId"), ""].join("\n");
    expect(runRepo(roleDecidedAtDeploy, { "infra/deployer.bicep": noTrust })).toEqual([]);
  });
});
