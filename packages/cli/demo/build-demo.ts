/**
 * Builds the demo organisation (`organisation.json`): a production cluster and a non-production
 * cluster, two subscriptions, and a mix of good practice and the mistakes every rule exists for.
 * Run `pnpm --filter @trustscope/cli demo:build` after changing it; a test checks the JSON is current.
 *
 * IDs are fixed so the demo's report is byte-stable.
 */
import { writeFileSync } from "node:fs";
import type {
  ActivityLog,
  ActivityOperation,
  FederatedCredential,
  GitHubEnvironment,
  GitHubRepository,
  Inventory,
  PasswordCredentialMetadata,
  RoleAssignment,
  RoleDefinition,
} from "@trustscope/core";
import { canonicalInventory } from "@trustscope/core";
import { BUILTIN_ROLES as builtinRoles, WEB_ROLES } from "@trustscope/core/testing";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const ISSUER = "https://agent.buildkite.com";
const AUDIENCE = "api://AzureADTokenExchange";
const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

// Buildkite
const ORG = "0e2a9a4e-5f0b-4c39-9a2f-6f3f1d1c4a10";
const CLUSTER_PROD = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";
const CLUSTER_NONPROD = "8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d";
const QUEUE_PROD = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";
const QUEUE_NONPROD = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f";
const P = {
  lzProd: "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e01",
  appProd: "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e02",
  lzNonprod: "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e03",
  appNonprod: "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e04",
  sandbox: "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e05",
  exp1: "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e06",
  exp2: "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8e07",
};
const DELETED_PIPELINE = "01890c9e-7a1b-4c2d-8e3f-4a5b6c7d8eff";

// Azure
const SUB_PROD = "0b1f6471-1bf0-4dda-aec3-111122223333";
const SUB_NONPROD = "4d6e8f10-2a3b-4c5d-8e9f-444455556666";
const MG_ROOT = `/providers/Microsoft.Management/managementGroups/${TENANT}`;
const MG_PROD = "/providers/Microsoft.Management/managementGroups/mg-prod";
const MG_NONPROD = "/providers/Microsoft.Management/managementGroups/mg-nonprod";
const rg = (sub: string, name: string) => `/subscriptions/${sub}/resourceGroups/${name}`;
const RG = {
  lzProd: rg(SUB_PROD, "rg-landing-zone-prod"),
  appProd: rg(SUB_PROD, "rg-app-platform-prod"),
  lzNonprod: rg(SUB_NONPROD, "rg-landing-zone-nonprod"),
  appNonprod: rg(SUB_NONPROD, "rg-app-platform-nonprod"),
  sandbox: rg(SUB_NONPROD, "rg-dev-sandbox"),
};
const storage = (rgId: string, name: string) => `${rgId}/providers/Microsoft.Storage/storageAccounts/${name}`;

// Identities: [app object ID, client ID, service principal object ID]
const APP = {
  lzProd: ["5a1e0001-0000-4000-8000-000000000001", "c0ffee01-1111-4aaa-8bbb-000000000001", "5b0e0001-0000-4000-8000-000000000001"],
  appProd: ["5a1e0002-0000-4000-8000-000000000002", "c0ffee02-2222-4aaa-8bbb-000000000002", "5b0e0002-0000-4000-8000-000000000002"],
  nonprod: ["5a1e0003-0000-4000-8000-000000000003", "c0ffee03-3333-4aaa-8bbb-000000000003", "5b0e0003-0000-4000-8000-000000000003"],
  tools: ["5a1e0004-0000-4000-8000-000000000004", "c0ffee04-4444-4aaa-8bbb-000000000004", "5b0e0004-0000-4000-8000-000000000004"],
  legacy: ["5a1e0005-0000-4000-8000-000000000005", "c0ffee05-5555-4aaa-8bbb-000000000005", "5b0e0005-0000-4000-8000-000000000005"],
  metrics: ["5a1e0006-0000-4000-8000-000000000006", "c0ffee06-6666-4aaa-8bbb-000000000006", "5b0e0006-0000-4000-8000-000000000006"],
  old: ["5a1e0007-0000-4000-8000-000000000007", "c0ffee07-7777-4aaa-8bbb-000000000007", "5b0e0007-0000-4000-8000-000000000007"],
  web: ["5a1e000a-0000-4000-8000-00000000000a", "c0ffee0a-aaaa-4aaa-8bbb-00000000000a", "5b0e000a-0000-4000-8000-00000000000a"],
} as const;
const SANDBOX_MI = { clientId: "c0ffee08-8888-4aaa-8bbb-000000000008", principalId: "5b0e0008-0000-4000-8000-000000000008" };
const LZ_NONPROD_MI = { clientId: "c0ffee09-9999-4aaa-8bbb-000000000009", principalId: "5b0e0009-0000-4000-8000-000000000009" };
const TEAMS: Record<string, string> = { platform: "7ea30001-0000-4000-8000-0000000000d1", developers: "7ea30002-0000-4000-8000-0000000000d2" };
const GROUP_DEPLOYERS = "9a0e0001-0000-4000-8000-0000000000a1";
const PLATFORM_ADMIN_USER = "9a0e0002-0000-4000-8000-0000000000a2";

const ROLE = Object.fromEntries(builtinRoles.map((r) => [r.roleName, r.name])) as Record<string, string>;
const roleId = (name: string) => `/providers/Microsoft.Authorization/roleDefinitions/${ROLE[name] ?? name}`;

const fic = (name: string, subject: string, overrides: Partial<FederatedCredential> = {}): FederatedCredential => ({
  name,
  issuer: ISSUER,
  subject,
  audiences: [AUDIENCE],
  ...overrides,
});

let assignmentCounter = 0;
const assign = (scope: string, role: string, principalId: string, extra: Partial<RoleAssignment> = {}): RoleAssignment => {
  const guid = `a5519000-0000-4000-8000-${String(++assignmentCounter).padStart(12, "0")}`;
  return {
    id: `${scope === "/" ? "" : scope}/providers/Microsoft.Authorization/roleAssignments/${guid}`,
    scope,
    roleDefinitionId: roleId(role),
    principalId,
    principalType: principalId === GROUP_DEPLOYERS ? "Group" : principalId === PLATFORM_ADMIN_USER ? "User" : "ServicePrincipal",
    createdBy: PLATFORM_ADMIN_USER,
    ...extra,
  };
};

const customRoles: RoleDefinition[] = [
  {
    id: `/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleDefinitions/c0570001-0000-4000-8000-00000000c001`,
    name: "c0570001-0000-4000-8000-00000000c001",
    roleName: "Sandbox Operator",
    roleType: "CustomRole",
    // Written as "everything in the sandbox": with no notActions it is as strong as Owner.
    permissions: [{ actions: ["*"], notActions: [], dataActions: [], notDataActions: [] }],
    assignableScopes: [`/subscriptions/${SUB_NONPROD}`],
  },
  {
    id: `/subscriptions/${SUB_NONPROD}/providers/Microsoft.Authorization/roleDefinitions/c0570002-0000-4000-8000-00000000c002`,
    name: "c0570002-0000-4000-8000-00000000c002",
    roleName: "Deployer (Contributor clone)",
    roleType: "CustomRole",
    permissions: structuredClone(builtinRoles.find((r) => r.roleName === "Contributor")!.permissions),
    assignableScopes: [`/subscriptions/${SUB_NONPROD}`],
  },
];
ROLE["Sandbox Operator"] = customRoles[0]!.name;

// Built-in roles narrower than Contributor for what the pipelines actually do, as Azure defines
// them: narrower-role-would-do judges from these actions, never from the names.
const webRoles: RoleDefinition[] = structuredClone(WEB_ROLES);
for (const r of webRoles) ROLE[r.roleName] = r.name;
ROLE["Deployer (Contributor clone)"] = customRoles[1]!.name;

const RBAC_CONDITION =
  "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {ba92f5b4-2d11-453d-a403-e96b0029c9fe, 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1}))";

// What the privileged federated identities did in the 90 days before collection (the Activity
// Log, as `collect --activity` aggregates it; `scan --demo` reads it from the emulator). Every
// candidate's log was read in full, so an empty list is evidence that it did nothing.
const COLLECTED_AT = "2026-11-01T06:00:00Z";
const ACTIVITY_FROM = "2026-08-03T06:00:00Z";
// Times as the collector writes them (ISO 8601, whole seconds without ".000"), so that collecting
// the demo from the emulator gives back these very values.
const iso = (t: string) => new Date(t).toISOString().replace(/\.000Z$/, "Z");
const op = (operation: string, count: number, first: string, last: string, scopes: string[]): ActivityOperation => ({ operation, count, first: iso(first), last: iso(last), scopes: [...scopes].sort() });
const site = `${RG.appProd}/providers/Microsoft.Web/sites/app-platform-prod`;
const activity: ActivityLog = {
  from: iso(ACTIVITY_FROM),
  to: iso(COLLECTED_AT),
  reads: [
    // landing zone: Terraform across providers, and the one role assignment in the inventory it
    // created, 80 days ago (it manages access, so unconstrained-role-assignment is its finding)
    {
      principalId: APP.lzProd[2],
      subscriptionId: SUB_PROD,
      operations: [
        op("Microsoft.Authorization/roleAssignments/write", 1, "2026-08-13T09:14:05Z", "2026-08-13T09:14:05Z", [`${RG.appProd}/providers/Microsoft.Authorization/roleAssignments/a5519000-0000-4000-8000-000000000002`]),
        op("Microsoft.Resources/subscriptions/resourceGroups/write", 2, "2026-08-13T09:11:52Z", "2026-08-13T09:12:03Z", [RG.lzProd, RG.appProd]),
        op("Microsoft.Network/virtualNetworks/write", 6, "2026-08-13T09:12:31Z", "2026-10-22T10:03:12Z", [`${RG.lzProd}/providers/Microsoft.Network/virtualNetworks/vnet-hub-prod`]),
        op("Microsoft.Network/networkSecurityGroups/write", 4, "2026-08-13T09:12:40Z", "2026-10-22T10:03:20Z", [`${RG.lzProd}/providers/Microsoft.Network/networkSecurityGroups/nsg-hub-prod`]),
        op("Microsoft.KeyVault/vaults/write", 2, "2026-08-13T09:13:02Z", "2026-09-30T14:40:51Z", [`${RG.lzProd}/providers/Microsoft.KeyVault/vaults/kv-landing-zone-prod`]),
        op("Microsoft.Storage/storageAccounts/write", 1, "2026-08-13T09:13:30Z", "2026-08-13T09:13:30Z", [storage(RG.appProd, "stappplatformprod")]),
      ],
    },
    // app platform: deploys its web app through a staging slot and nothing else, so Website
    // Contributor would do (17 operations, every one within it); it never assigned a role,
    // though a group gives it User Access Administrator
    {
      principalId: APP.appProd[2],
      subscriptionId: SUB_PROD,
      operations: [
        op("Microsoft.Resources/deployments/write", 38, "2026-08-04T10:02:11Z", "2026-10-30T15:47:09Z", [`${RG.appProd}/providers/Microsoft.Resources/deployments/app-platform`]),
        op("Microsoft.Resources/deployments/validate/action", 38, "2026-08-04T10:01:58Z", "2026-10-30T15:46:55Z", [`${RG.appProd}/providers/Microsoft.Resources/deployments/app-platform`]),
        op("Microsoft.Insights/components/write", 3, "2026-08-04T10:02:30Z", "2026-09-15T11:20:04Z", [`${RG.appProd}/providers/Microsoft.Insights/components/appi-app-platform-prod`]),
        op("Microsoft.Web/certificates/write", 1, "2026-09-15T11:21:40Z", "2026-09-15T11:21:40Z", [`${RG.appProd}/providers/Microsoft.Web/certificates/app-platform-prod-tls`]),
        op("Microsoft.Web/sites/write", 38, "2026-08-04T10:03:40Z", "2026-10-30T15:48:35Z", [site]),
        op("Microsoft.Web/sites/basicPublishingCredentialsPolicies/write", 1, "2026-08-04T10:04:02Z", "2026-08-04T10:04:02Z", [`${site}/basicPublishingCredentialsPolicies/scm`]),
        op("Microsoft.Web/sites/config/list/action", 38, "2026-08-04T10:04:10Z", "2026-10-30T15:48:50Z", [`${site}/config/publishingcredentials`]),
        op("Microsoft.Web/sites/config/write", 12, "2026-08-11T08:30:02Z", "2026-10-27T09:15:44Z", [`${site}/config/appsettings`]),
        op("Microsoft.Web/sites/hostNameBindings/write", 1, "2026-09-15T11:22:15Z", "2026-09-15T11:22:15Z", [`${site}/hostNameBindings/app.acme.example`]),
        op("Microsoft.Web/sites/publishxml/action", 2, "2026-08-04T10:04:20Z", "2026-08-11T08:29:40Z", [site]),
        op("Microsoft.Web/sites/restart/action", 5, "2026-08-21T16:20:18Z", "2026-10-16T07:55:27Z", [site]),
        op("Microsoft.Web/sites/slots/write", 38, "2026-08-04T10:05:01Z", "2026-10-30T15:49:12Z", [`${site}/slots/staging`]),
        op("Microsoft.Web/sites/slots/config/write", 12, "2026-08-11T08:31:10Z", "2026-10-27T09:16:30Z", [`${site}/slots/staging/config/appsettings`]),
        op("Microsoft.Web/sites/slots/extensions/write", 38, "2026-08-04T10:05:40Z", "2026-10-30T15:49:58Z", [`${site}/slots/staging/extensions/MSDeploy`]),
        op("Microsoft.Web/sites/slots/publishxml/action", 38, "2026-08-04T10:05:20Z", "2026-10-30T15:49:30Z", [`${site}/slots/staging`]),
        op("Microsoft.Web/sites/slots/restart/action", 4, "2026-08-21T16:18:02Z", "2026-10-16T07:53:11Z", [`${site}/slots/staging`]),
        op("Microsoft.Web/sites/slots/slotsswap/action", 37, "2026-08-04T10:09:12Z", "2026-10-30T15:53:40Z", [`${site}/slots/staging`]),
      ],
    },
    // platform tools: its nightly drift report only reads, yet it holds Contributor on production
    { principalId: APP.tools[2], subscriptionId: SUB_PROD, operations: [] },
    // The non-prod app registrations were frozen for the quarter: nothing in their logs, which on
    // non-production is no finding (dormant-privileged-identity judges production access).
    { principalId: APP.nonprod[2], subscriptionId: SUB_NONPROD, operations: [] },
    { principalId: APP.legacy[2], subscriptionId: SUB_NONPROD, operations: [] },
    // metrics exporter: its credential's audience never matches, so it never logs in
    { principalId: APP.metrics[2], subscriptionId: SUB_NONPROD, operations: [] },
    // the sandbox's managed identity: nothing in the log, which for a managed identity proves
    // nothing (api-version 2015-04-01 may miss their events: azure-powershell#18784)
    { principalId: SANDBOX_MI.principalId, subscriptionId: SUB_NONPROD, operations: [] },
    // the non-prod landing zone's managed identity: Owner, and the log shows it assigned a role 80
    // days ago (a write is evidence even for a managed identity), so Owner is not flagged
    {
      principalId: LZ_NONPROD_MI.principalId,
      subscriptionId: SUB_NONPROD,
      operations: [
        op("Microsoft.Authorization/roleAssignments/write", 1, "2026-08-13T10:05:31Z", "2026-08-13T10:05:31Z", [`${RG.lzNonprod}/providers/Microsoft.Authorization/roleAssignments/a5519000-0000-4000-8000-0000000000e1`]),
        op("Microsoft.Resources/deployments/write", 26, "2026-08-13T10:01:12Z", "2026-10-29T10:11:40Z", [`${RG.lzNonprod}/providers/Microsoft.Resources/deployments/landing-zone`]),
        op("Microsoft.Network/virtualNetworks/write", 9, "2026-08-13T10:02:05Z", "2026-10-29T10:12:09Z", [`${RG.lzNonprod}/providers/Microsoft.Network/virtualNetworks/vnet-hub-nonprod`]),
      ],
    },
  ],
};

const steps = {
  lzProd: `env:
  AZURE_TENANT_ID: "${TENANT}"
steps:
  - label: ":terraform: plan landing zone"
    key: plan
    agents: { queue: prod-agents }
    env:
      ARM_CLIENT_ID: "${APP.lzProd[1]}"
      ARM_USE_OIDC: "true"
    command: |
      export ARM_OIDC_TOKEN="$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange)"
      terraform plan -out tfplan
  - block: ":rocket: Apply the landing zone?"
    branches: main
  - label: ":terraform: apply"
    agents: { queue: prod-agents }
    branches: main
    env:
      ARM_CLIENT_ID: "${APP.lzProd[1]}"
      ARM_USE_OIDC: "true"
    command: |
      export ARM_OIDC_TOKEN="$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange)"
      terraform apply tfplan
  - label: ":mag: nightly drift report"
    agents: { queue: prod-agents }
    env:
      AZURE_CLIENT_ID: "${APP.tools[1]}"
    command: |
      token="$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange --subject-claim organization_id)"
      az login --service-principal -u "$$AZURE_CLIENT_ID" -t "$$AZURE_TENANT_ID" --federated-token "$$token"
      ./scripts/drift-report.sh
`,
  appProd: `steps:
  - label: ":rocket: deploy app platform"
    agents: { queue: prod-agents }
    branches: main
    env:
      AZURE_CLIENT_ID: "${APP.appProd[1]}"
      AZURE_TENANT_ID: "${TENANT}"
    command: |
      token="$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange)"
      az login --service-principal -u "$$AZURE_CLIENT_ID" -t "$$AZURE_TENANT_ID" --federated-token "$$token"
      ./deploy.sh production
`,
  nonprod: (label: string, extra = "") => `steps:
  - label: "${label}"
    agents: { queue: nonprod-agents }
    env:
      AZURE_CLIENT_ID: "${APP.nonprod[1]}"
      AZURE_TENANT_ID: "${TENANT}"
    command: |
      token="$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange --subject-claim cluster_id)"
      az login --service-principal -u "$$AZURE_CLIENT_ID" -t "$$AZURE_TENANT_ID" --federated-token "$$token"
      ./deploy.sh nonprod
${extra}`,
  experiment: (n: number) => `steps:
  - label: ":test_tube: experiment ${n}"
    agents: { queue: nonprod-agents }
    command: make experiment-${n}
`,
};

const inventory: Inventory = {
  schemaVersion: 1,
  collectedAt: COLLECTED_AT,
  cloud: "AzureCloud",
  tenantId: TENANT,
  buildkite: {
    organization: { uuid: ORG, slug: "acme", name: "Acme Inc" },
    clusters: [
      { uuid: CLUSTER_PROD, name: "Production", queues: [{ uuid: QUEUE_PROD, key: "prod-agents" }] },
      { uuid: CLUSTER_NONPROD, name: "Non-production", queues: [{ uuid: QUEUE_NONPROD, key: "nonprod-agents" }] },
    ],
    pipelines: [
      pipeline(P.lzProd, "landing-zone-prod", "Landing zone (prod)", CLUSTER_PROD, "git@github.com:acme/landing-zone.git", { buildPullRequests: false, buildPullRequestForks: false }, steps.lzProd, [["platform", "MANAGE_BUILD_AND_READ"]]),
      pipeline(P.appProd, "app-platform-prod", "App platform (prod)", CLUSTER_PROD, "git@github.com:acme/app-platform.git", { buildPullRequests: true, buildPullRequestForks: false, prefixPullRequestForkBranchNames: true }, steps.appProd, [["platform", "MANAGE_BUILD_AND_READ"], ["developers", "READ_ONLY"]]),
      pipeline(P.lzNonprod, "landing-zone-nonprod", "Landing zone (non-prod)", CLUSTER_NONPROD, "git@github.com:acme/landing-zone.git", { buildPullRequests: true, buildPullRequestForks: false, prefixPullRequestForkBranchNames: true }, steps.nonprod(":terraform: landing zone (non-prod)"), [["platform", "MANAGE_BUILD_AND_READ"]]),
      pipeline(P.appNonprod, "app-platform-nonprod", "App platform (non-prod)", CLUSTER_NONPROD, "https://github.com/acme/app-platform.git", { buildPullRequests: true, buildPullRequestForks: true, prefixPullRequestForkBranchNames: false }, steps.nonprod(":rocket: deploy app platform (non-prod)"), [["developers", "BUILD_AND_READ"]], "PUBLIC"),
      pipeline(P.sandbox, "dev-sandbox", "Developer sandbox", CLUSTER_NONPROD, "git@github.com:acme/sandbox.git", { buildPullRequests: true, buildPullRequestForks: false, prefixPullRequestForkBranchNames: true }, steps.nonprod(":terraform: sandbox infrastructure", `  - label: ":broom: reset sandbox"
    agents: { queue: nonprod-agents }
    env:
      AZURE_CLIENT_ID: "${SANDBOX_MI.clientId}"
    command: |
      token="$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange --subject-claim queue_id)"
      az login --service-principal -u "$$AZURE_CLIENT_ID" -t "${TENANT}" --federated-token "$$token"
      ./reset-sandbox.sh
  - label: ":chart_with_upwards_trend: export metrics"
    agents: { queue: nonprod-agents }
    env:
      AZURE_CLIENT_ID: "${APP.metrics[1]}"
    command: |
      token="$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchangeUSGov)"
      ./export-metrics.sh "$$token"
`), [["developers", "BUILD_AND_READ"]]),
      pipeline(P.exp1, "experiment-1", "Experiment 1", CLUSTER_NONPROD, "git@github.com:acme/experiments.git", { buildPullRequests: false, buildPullRequestForks: false }, steps.experiment(1), [["developers", "MANAGE_BUILD_AND_READ"]]),
      pipeline(P.exp2, "experiment-2", "Experiment 2", CLUSTER_NONPROD, "git@github.com:acme/experiments.git", { buildPullRequests: false, buildPullRequestForks: false }, steps.experiment(2), [["developers", "MANAGE_BUILD_AND_READ"]]),
    ],
    agents: [
      { uuid: "0a9e0001-0000-4000-8000-0000000000b1", name: "prod-agent-1", version: "3.121.0", queueUuid: QUEUE_PROD },
      { uuid: "0a9e0002-0000-4000-8000-0000000000b2", name: "nonprod-agent-1", version: "3.121.0", queueUuid: QUEUE_NONPROD },
      { uuid: "0a9e0003-0000-4000-8000-0000000000b3", name: "nonprod-agent-2", version: "3.118.2", queueUuid: QUEUE_NONPROD },
    ],
  },
  entra: {
    applications: [
      app(APP.lzProd, "lz-prod-deployer", [fic("landing-zone-prod", P.lzProd)], [
        { keyId: "7e570001-0000-4000-8000-00000000e001", displayName: "terraform-legacy", startDateTime: "2025-06-01T00:00:00Z", endDateTime: "2027-06-01T00:00:00Z" },
      ]),
      app(APP.appProd, "app-platform-deployer", [fic("app-platform-prod", P.appProd), fic("app-platform-nonprod", P.appNonprod)]),
      app(APP.nonprod, "nonprod-deployer", [fic("nonprod-cluster", CLUSTER_NONPROD)]),
      app(APP.tools, "platform-tools", [fic("acme-org", ORG)]),
      app(APP.legacy, "legacy-deployer", [fic("landing-zone-nonprod", P.lzNonprod, { issuer: "https://agent.buildkite.com/" })], [
        { keyId: "7e570002-0000-4000-8000-00000000e002", displayName: "buildkite-secret", startDateTime: "2025-01-15T00:00:00Z", endDateTime: "2027-01-15T00:00:00Z" },
        { keyId: "7e570003-0000-4000-8000-00000000e003", displayName: "old", startDateTime: "2023-01-15T00:00:00Z", endDateTime: "2024-01-15T00:00:00Z" },
      ]),
      app(APP.metrics, "metrics-exporter", [fic("dev-sandbox", P.sandbox, { audiences: ["api://AzureADTokenExchangeUSGov"] })]),
      // GitHub Actions deploys the storefront with its own identity: one credential per way in.
      app(APP.web, "web-storefront-deployer", [
        fic("github-pull-requests", "repo:acme/web-storefront:pull_request", { issuer: GITHUB_ISSUER }),
        fic("github-production", "repo:acme/web-storefront:environment:production", { issuer: GITHUB_ISSUER }),
        fic("github-staging", "repo:acme/web-storefront:environment:staging", { issuer: GITHUB_ISSUER }),
        fic("github-legacy-main", "repo:acme/web-legacy:ref:refs/heads/main", { issuer: GITHUB_ISSUER }),
        fic("github-old-storefront", "repo:acme/storefront-v1:environment:production", { issuer: GITHUB_ISSUER }),
        fic("github-any-main", "", { issuer: GITHUB_ISSUER, claimsMatchingExpression: { value: "claims['sub'] matches 'repo:acme/*:ref:refs/heads/main'", languageVersion: 1 } }),
      ]),
      app(APP.old, "old-pipeline-deployer", [
        fic("deleted-pipeline", DELETED_PIPELINE),
        fic("landing-zone-nonprod-main", "organization:acme:pipeline:landing-zone-nonprod:ref:refs/heads/main:commit:*:step:*"),
        fic("experiment-1-upper", P.exp1.toUpperCase()),
      ]),
    ],
    servicePrincipals: [
      sp(APP.lzProd, "lz-prod-deployer"),
      sp(APP.appProd, "app-platform-deployer", [GROUP_DEPLOYERS]),
      sp(APP.nonprod, "nonprod-deployer"),
      sp(APP.tools, "platform-tools"),
      sp(APP.legacy, "legacy-deployer"),
      sp(APP.metrics, "metrics-exporter"),
      sp(APP.old, "old-pipeline-deployer"),
      sp(APP.web, "web-storefront-deployer"),
    ],
    groups: [{ objectId: GROUP_DEPLOYERS, displayName: "grp-platform-deployers" }],
  },
  azure: {
    managementGroups: [
      { id: MG_ROOT, name: TENANT, displayName: "Tenant Root Group", parentId: null },
      { id: MG_PROD, name: "mg-prod", displayName: "Production", parentId: MG_ROOT },
      { id: MG_NONPROD, name: "mg-nonprod", displayName: "Non-production", parentId: MG_ROOT },
    ],
    subscriptions: [
      { subscriptionId: SUB_PROD, displayName: "Contoso-Prod", state: "Enabled", tags: { environment: "production", owner: "platform" }, managementGroupId: MG_PROD },
      { subscriptionId: SUB_NONPROD, displayName: "Contoso-NonProd", state: "Enabled", tags: { environment: "nonprod", owner: "platform" }, managementGroupId: MG_NONPROD },
    ],
    resourceGroups: Object.values(RG).map((id) => ({ id, name: id.split("/").pop()!, subscriptionId: id.split("/")[2]!, tags: {} })),
    roleDefinitions: [...(builtinRoles as RoleDefinition[]), ...webRoles, ...customRoles],
    roleAssignments: [
      // landing zone: Owner on the prod subscription; it creates role assignments (it manages access)
      assign(`/subscriptions/${SUB_PROD}`, "Owner", APP.lzProd[2]),
      assign(RG.appProd, "Storage Blob Data Reader", PLATFORM_ADMIN_USER, { createdBy: APP.lzProd[2] }),
      // app platform: Contributor on its resource group; User Access Administrator through a group
      assign(RG.appProd, "Contributor", APP.appProd[2]),
      assign(RG.appProd, "User Access Administrator", GROUP_DEPLOYERS),
      // non-prod: Contributor on the subscription, blob data on its artifacts account, and a
      // role-assignment delegation constrained by a condition (the recommended form)
      assign(`/subscriptions/${SUB_NONPROD}`, "Contributor", APP.nonprod[2]),
      assign(storage(RG.appNonprod, "stnonprodartifacts"), "Storage Blob Data Contributor", APP.nonprod[2]),
      assign(`/subscriptions/${SUB_NONPROD}`, "Role Based Access Control Administrator", APP.nonprod[2], { condition: RBAC_CONDITION, conditionVersion: "2.0" }),
      // organisation-wide trust with Contributor on production
      assign(`/subscriptions/${SUB_PROD}`, "Contributor", APP.tools[2]),
      assign(MG_ROOT, "Reader", APP.tools[2]),
      assign(RG.lzNonprod, "Contributor", APP.legacy[2]),
      assign(RG.sandbox, "Deployer (Contributor clone)", APP.metrics[2]),
      assign(`/subscriptions/${SUB_NONPROD}`, "Reader", APP.old[2]),
      // the storefront's GitHub deployer: web apps only, in production
      assign(RG.appProd, "Website Contributor", APP.web[2]),
      assign(RG.sandbox, "Sandbox Operator", SANDBOX_MI.principalId),
      // the non-prod landing zone's managed identity: Owner on its resource group (it manages access there)
      assign(RG.lzNonprod, "Owner", LZ_NONPROD_MI.principalId),
    ],
    storageAccounts: [
      { id: storage(RG.appProd, "stappplatformprod"), name: "stappplatformprod", allowSharedKeyAccess: false, tags: {} },
      { id: storage(RG.appNonprod, "stnonprodartifacts"), name: "stnonprodartifacts", allowSharedKeyAccess: false, tags: {} },
      // allowSharedKeyAccess absent: shared keys allowed (the ARM default)
      { id: storage(RG.sandbox, "stdevsandbox"), name: "stdevsandbox", tags: {} },
    ],
    managedIdentities: [
      {
        id: `${RG.lzNonprod}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-landing-zone-nonprod`,
        name: "id-landing-zone-nonprod",
        clientId: LZ_NONPROD_MI.clientId,
        principalId: LZ_NONPROD_MI.principalId,
        tenantId: TENANT,
        federatedIdentityCredentials: [
          {
            id: `${RG.lzNonprod}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-landing-zone-nonprod/federatedIdentityCredentials/landing-zone-nonprod`,
            ...fic("landing-zone-nonprod", P.lzNonprod),
          },
        ],
      },
      {
        id: `${RG.sandbox}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-dev-sandbox`,
        name: "id-dev-sandbox",
        clientId: SANDBOX_MI.clientId,
        principalId: SANDBOX_MI.principalId,
        tenantId: TENANT,
        federatedIdentityCredentials: [
          {
            id: `${RG.sandbox}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-dev-sandbox/federatedIdentityCredentials/nonprod-agents-queue`,
            ...fic("nonprod-agents-queue", QUEUE_NONPROD),
          },
        ],
      },
    ],
    activity,
  },
  github: {
    apiUrl: "https://api.github.com",
    organizations: [{ login: "acme", id: 51000001, oidcSubjectClaimKeys: null }],
    repositories: [
      githubRepo(1, "web-storefront", false, { useDefault: true }, [
        // no reviewers, any branch, no custom rule (read, as for any such environment): any workflow run can use the production credential
        { name: "production", requiredReviewers: 0, deploymentBranchPolicy: null, canAdminsBypass: true, customProtectionRules: [] },
        { name: "staging", requiredReviewers: 1, preventSelfReview: true, deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false }, canAdminsBypass: false },
      ]),
      // a repository that customised its subject template after the credential was made
      githubRepo(2, "web-legacy", true, { useDefault: false, includeClaimKeys: ["repository_owner_id", "context"] }, []),
      // listed with the organisation (the wildcard credential reaches them); no credential names them, so no more is read
      githubRepo(3, "landing-zone", true),
      githubRepo(4, "app-platform", false),
    ],
    missingRepositories: ["acme/storefront-v1"],
  },
  coverage: { complete: true, gaps: [] },
};

function githubRepo(n: number, name: string, isPrivate: boolean, oidcSubject?: GitHubRepository["oidcSubject"], environments?: GitHubEnvironment[]): GitHubRepository {
  // GitHub answers the template with whether the repo claim is immutable and how subjects start.
  const template = oidcSubject ? { ...oidcSubject, useImmutableSubject: false, subClaimPrefix: `repo:acme/${name}` } : undefined;
  return { fullName: `acme/${name}`, id: 72000000 + n, owner: { login: "acme", id: 51000001 }, private: isPrivate, fork: false, archived: false, defaultBranch: "main", ...(template ? { oidcSubject: template } : {}), ...(environments ? { environments } : {}) };
}

function pipeline(
  uuid: string,
  slug: string,
  name: string,
  clusterUuid: string,
  url: string,
  settings: Record<string, boolean | string | null>,
  stepsYaml: string,
  teams: [string, "MANAGE_BUILD_AND_READ" | "BUILD_AND_READ" | "READ_ONLY"][],
  visibility: "PUBLIC" | "PRIVATE" = "PRIVATE",
) {
  return {
    uuid,
    slug,
    name,
    clusterUuid,
    visibility,
    // The full GitHub settings set, as the GraphQL API returns it.
    repository: {
      url,
      provider: "RepositoryProviderGithub",
      settings: {
        buildPullRequests: false,
        buildPullRequestForks: false,
        prefixPullRequestForkBranchNames: true,
        buildBranches: true,
        buildTags: false,
        filterEnabled: false,
        filterCondition: null,
        pullRequestBranchFilterEnabled: false,
        pullRequestBranchFilterConfiguration: null,
        triggerMode: "code",
        ...settings,
      },
    },
    defaultBranch: "main",
    stepsYaml,
    teams: teams.map(([team, accessLevel]) => ({ uuid: TEAMS[team]!, slug: team, accessLevel })),
  };
}

function app(ids: readonly string[], displayName: string, federatedIdentityCredentials: FederatedCredential[], passwordCredentials: PasswordCredentialMetadata[] = []) {
  // Graph gives every credential an ID and a (here empty) description.
  const fics = federatedIdentityCredentials.map((f, i) => ({ id: `f1c00000-0000-4000-8000-${ids[0]!.slice(-4)}${String(i).padStart(8, "0")}`, ...f, description: null }));
  return { objectId: ids[0]!, appId: ids[1]!, displayName, passwordCredentials, federatedIdentityCredentials: fics };
}

function sp(ids: readonly string[], displayName: string, memberOf: string[] = []) {
  return { objectId: ids[2]!, appId: ids[1]!, displayName, servicePrincipalType: "Application", memberOf };
}

// Written in the collector's canonical order, so collecting the demo from the emulator gives
// back this very file (and JSON pointers into it are the collector's).
export const demoInventory = canonicalInventory(inventory);

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  writeFileSync(new URL("./organisation.json", import.meta.url), `${JSON.stringify(demoInventory, null, 2)}\n`);
  console.error("wrote organisation.json");
}
