/**
 * Synthetic tenants for the benchmark: deterministic (seeded), sized like a large enterprise, with
 * known problems planted for every built-in rule. Rules that judge an inventory get theirs in the
 * tenant; rules that judge a repository (`--repo`) get theirs in a small synthetic repository that
 * one of the tenant's pipelines builds and whose identity is one of the tenant's apps. Each planted
 * problem records what its finding must name (rule, identity, pipeline, scope, file and line), so
 * the bench can prove that collecting fast never loses one.
 */
import {
  ACTIVITY_SCOPES_KEPT,
  BUILDKITE_ISSUER,
  TOKEN_EXCHANGE_AUDIENCES,
  type BuildkitePipeline,
  type EntraApplication,
  type EntraServicePrincipal,
  type ActivityLog,
  type ActivityOperation,
  type ActivityRead,
  type FederatedCredential,
  type GitHubEnvironment,
  type GitHubInventory,
  type GitHubRepository,
  type Inventory,
  type ManagedIdentity,
  type RoleAssignment,
  type RoleDefinition,
  type StorageAccount,
} from "@trustscope/core";
import { BUILTIN_ROLES, WEB_ROLES } from "@trustscope/core/testing";

export interface TenantSize {
  applications: number;
  /** Applications with a Buildkite federated credential (planted ones included). */
  buildkiteApplications: number;
  pipelines: number;
  clusters: number;
  subscriptions: number;
  roleAssignmentsPerSubscription: number;
  storageAccounts: number;
  managedIdentitiesPerSubscription: number;
  resourceGroupsPerSubscription: number;
  agentsPerCluster: number;
  /** Repositories of the GitHub organisation `bench` (those credentials name included). */
  githubRepositories: number;
}

/** The issue's reference size. */
export const REFERENCE_SIZE: TenantSize = {
  applications: 3000,
  buildkiteApplications: 300,
  pipelines: 1500,
  clusters: 6,
  subscriptions: 20,
  roleAssignmentsPerSubscription: 2000,
  storageAccounts: 500,
  managedIdentitiesPerSubscription: 2,
  resourceGroupsPerSubscription: 5,
  agentsPerCluster: 10,
  githubRepositories: 300,
};

/** Every count multiplied by `factor` (the 8× evaluation run has 320,000 role assignments). */
export function scaled(size: TenantSize, factor: number): TenantSize {
  return {
    ...size,
    applications: size.applications * factor,
    buildkiteApplications: size.buildkiteApplications * factor,
    pipelines: size.pipelines * factor,
    subscriptions: size.subscriptions * factor,
    storageAccounts: size.storageAccounts * factor,
    githubRepositories: size.githubRepositories * factor,
  };
}

/** What a planted problem's finding must carry; unset fields are not checked. */
export interface PlantedFinding {
  ruleId: string;
  /** Client ID of the identity. */
  appId?: string;
  pipelineUuid?: string;
  scope?: string;
  /** File (relative to the repository root) and 1-based line, for findings in the synthetic repository. */
  location?: { file: string; line: number };
  what: string;
}

/**
 * A checkout of the repository that one generated pipeline builds (repo.ts writes it to disk and
 * reads it with the scanner's own loader).
 */
export interface SyntheticRepo {
  /** `origin`'s URL: the same repository as the pipeline's URL, written the other common way. */
  remoteUrl: string;
  /** Relative POSIX path → contents. */
  files: Record<string, string>;
}

export interface GeneratedTenant {
  inventory: Inventory;
  /** Planted problems, in the inventory and (with `location`) in `repo`. */
  planted: PlantedFinding[];
  repo: SyntheticRepo;
  /** Built-in rules that cannot be planted, with the reason (none today). */
  notApplicable: { ruleId: string; reason: string }[];
}

/** The evaluation time the planted secrets are judged at (they must still be valid then). */
export const BENCH_NOW = new Date("2026-01-01T00:00:00Z");

/** mulberry32: small, fast and seedable; `Math.random` would make every run different. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (random: () => number, n: number) => {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(random() * 16).toString(16);
  return s;
};

/** A built-in role's GUID by its name (from the same role definitions the tenant carries). */
function role(roleName: string): string {
  const r = BUILTIN_ROLES.find((d) => d.roleName === roleName);
  if (!r) throw new Error(`no built-in role '${roleName}'`);
  return r.name;
}
const [OWNER, CONTRIBUTOR, READER, BLOB_CONTRIBUTOR] = ["Owner", "Contributor", "Reader", "Storage Blob Data Contributor"].map(role) as [string, string, string, string];
const BUILDKITE = BUILDKITE_ISSUER;
const AUDIENCE = TOKEN_EXCHANGE_AUDIENCES.AzureCloud;
const TENANT_ID = "00000000-0000-4000-8000-0000000b3a4c";
const STEPS = "steps:\n  - label: test\n    command: make test\n";
const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
/** The GitHub organisation the generated repositories (and the synthetic repository) belong to. */
export const GITHUB_ORG = "bench";
const GITHUB_ORG_ID = 59_000_001;
/** One in this many of the apps that trust neither Buildkite nor anything planted trusts a GitHub repository. */
const GITHUB_APP_EVERY = 50;
/** A protected environment: two reviewers, only protected branches may deploy. */
const PROTECTED: GitHubEnvironment = { name: "production", requiredReviewers: 2, preventSelfReview: true, deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false }, canAdminsBypass: false };
/**
 * An environment anyone's branch can deploy to (no credential names one, except where planted).
 * No custom deployment protection rule either: the collector reads them for such an environment,
 * so the generated inventory says so, as a collection does.
 */
const UNPROTECTED = (name: string): GitHubEnvironment => ({ name, requiredReviewers: 0, deploymentBranchPolicy: null, canAdminsBypass: true, customProtectionRules: [] });

export const NOT_APPLICABLE: GeneratedTenant["notApplicable"] = [];

/** How the Activity Log is generated; `eventsFactor` multiplies every identity's events (memory must not follow). */
export interface ActivityOptions {
  eventsFactor?: number;
}

/** The Activity Log window: the 90 days Azure keeps, up to the bench's evaluation time. */
export const ACTIVITY_DAYS = 90;
const DAY_MS = 86_400_000;
/** ISO 8601 as the collector writes it: whole seconds without ".000". */
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");

/**
 * Website Contributor as Azure defines it (MicrosoftDocs/azure-docs, built-in-roles/web-and-mobile.md):
 * the built-in role narrower-role-would-do proposes for the planted web deployer.
 */
export const WEBSITE_CONTRIBUTOR: RoleDefinition = WEB_ROLES.find((r) => r.roleName === "Website Contributor")!;

/** Write operations ordinary pipelines perform (never Microsoft.Authorization: that is planted). */
const OPERATION_POOL = [
  "Microsoft.Web/sites/write",
  "Microsoft.Web/sites/config/write",
  "Microsoft.Storage/storageAccounts/write",
  "Microsoft.KeyVault/vaults/secrets/write",
  "Microsoft.Network/networkSecurityGroups/write",
  "Microsoft.ContainerService/managedClusters/write",
  "Microsoft.Sql/servers/databases/write",
  "Microsoft.Compute/virtualMachines/write",
  "Microsoft.Resources/deployments/delete",
  "Microsoft.Web/sites/restart/action",
];
/** A web app deployed through a staging slot: 17 operations, all within Website Contributor. */
const WEB_DEPLOY_OPERATIONS = [
  "Microsoft.Resources/deployments/write",
  "Microsoft.Resources/deployments/validate/action",
  "Microsoft.Insights/components/write",
  "Microsoft.Web/certificates/write",
  "Microsoft.Web/sites/write",
  "Microsoft.Web/sites/basicPublishingCredentialsPolicies/write",
  "Microsoft.Web/sites/config/list/action",
  "Microsoft.Web/sites/config/write",
  "Microsoft.Web/sites/hostNameBindings/write",
  "Microsoft.Web/sites/publishxml/action",
  "Microsoft.Web/sites/restart/action",
  "Microsoft.Web/sites/slots/write",
  "Microsoft.Web/sites/slots/config/write",
  "Microsoft.Web/sites/slots/extensions/write",
  "Microsoft.Web/sites/slots/publishxml/action",
  "Microsoft.Web/sites/slots/restart/action",
  "Microsoft.Web/sites/slots/slotsswap/action",
];
/** One in this many privileged identities writes tens of thousands of events (a busy platform pipeline). */
const HEAVY_EVERY = 70;

/**
 * The synthetic repository: pipeline YAML and a script with one planted problem per repository
 * rule, each in its own step so that no step fires a second repository rule. It logs in as
 * `clientId`, an app whose only credential trusts `pipeline`'s UUID; `pipeline` builds pull
 * requests (not from forks).
 */
function syntheticRepo(pipeline: BuildkitePipeline, clientId: string, tenantId: string): { repo: SyntheticRepo; planted: PlantedFinding[] } {
  const PIPELINE = ".buildkite/pipeline.yml";
  const SCRIPT = ".buildkite/legacy-login.sh";
  const TEMPLATE = "infra/deployer.bicep";
  const WORKFLOW = ".github/workflows/preview.yml";
  const pipelineYaml = [
    "# Synthetic repository of the trustscope bench: one planted problem per repository rule.",
    "env:",
    `  AZURE_CLIENT_ID: "${clientId}"`,
    `  AZURE_TENANT_ID: "${tenantId}"`,
    "",
    "steps:",
    '  - label: ":test_tube: test"',
    "    command: make test",
    "",
    "  # unguarded-token-request: runs for every pull request, with no branches, if or block step.",
    '  - label: ":rocket: deploy preview"',
    "    command: |",
    '      token="$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange)"',
    '      az login --service-principal -u "$$AZURE_CLIENT_ID" -t "$$AZURE_TENANT_ID" --federated-token "$$token" --output none',
    "",
    "  # subject-claim-mismatch: the app trusts the pipeline UUID, not the cluster UUID.",
    '  - label: ":azure: cluster login"',
    "    branches: main",
    "    command: |",
    '      token="$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange --subject-claim cluster_id)"',
    '      az login --service-principal -u "$$AZURE_CLIENT_ID" -t "$$AZURE_TENANT_ID" --federated-token "$$token" --output none',
    "",
    "  # token-shared-between-steps: the token file is uploaded as an artifact.",
    '  - label: ":key: token for later steps"',
    "    branches: main",
    '    artifact_paths: "tmp/*.jwt"',
    "    command: |",
    "      mkdir -p tmp",
    "      buildkite-agent oidc request-token --audience api://AzureADTokenExchange > tmp/azure.jwt",
    "",
    "  # upload-time-interpolation: $REGION is replaced at upload, before the command sets it.",
    '  - label: ":earth_africa: region"',
    "    branches: main",
    "    command: |",
    "      REGION=westeurope",
    '      echo "deploying to $REGION"',
    "",
    "  # client-secret-login: the script logs in with a client secret.",
    '  - label: ":lock: legacy login"',
    "    branches: main",
    `    command: ${SCRIPT}`,
    "",
  ];
  const script = [
    "#!/usr/bin/env bash",
    "set -euo pipefail",
    'az login --service-principal -u "$AZURE_CLIENT_ID" --password "$AZURE_CLIENT_SECRET" --tenant "$AZURE_TENANT_ID"',
    "az group list -o table",
    "",
  ];
  // role-decided-at-deploy: a template with federated trust whose role a parameter decides.
  const template = [
    "param roleDefinitionId string",
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
    "resource access 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
    "  name: guid(resourceGroup().id, 'deployer')",
    "  properties: {",
    "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionId)",
    "    principalId: deployer.properties.principalId",
    "  }",
    "}",
    "",
  ];
  // azure-login-on-untrusted-trigger: a pull_request_target job (the base repository's identity,
  // on an outsider's event) logs in to Azure. The client ID comes from a secret, so
  // subject-claim-mismatch has no identity to compare; the checkout is the base branch (high, not critical).
  const workflow = [
    "# Synthetic repository of the trustscope bench: a preview deployment for every pull request.",
    "name: preview",
    "on:",
    "  pull_request_target:",
    "    branches: [main]",
    "permissions:",
    "  contents: read",
    "jobs:",
    "  preview:",
    "    runs-on: ubuntu-latest",
    "    permissions:",
    "      contents: read",
    "      id-token: write",
    "    steps:",
    "      - uses: actions/checkout@v4",
    "      - uses: azure/login@v2",
    "        with:",
    "          client-id: ${{ secrets.AZURE_CLIENT_ID }}",
    "          tenant-id: ${{ secrets.AZURE_TENANT_ID }}",
    "          allow-no-subscriptions: true",
    "      - run: az webapp list --output table",
    "",
  ];
  /** 1-based line of the only line containing `needle`. */
  const lineOf = (lines: string[], needle: string) => {
    const hits = lines.flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
    if (hits.length !== 1) throw new Error(`'${needle}' is on ${hits.length} lines of the synthetic repository`);
    return hits[0]!;
  };
  const planted: PlantedFinding[] = [
    {
      ruleId: "unguarded-token-request",
      appId: clientId,
      pipelineUuid: pipeline.uuid,
      location: { file: PIPELINE, line: lineOf(pipelineYaml, "AzureADTokenExchange)") },
      what: "token request in a step that runs for pull requests, with no branch condition or block step",
    },
    {
      ruleId: "subject-claim-mismatch",
      appId: clientId,
      pipelineUuid: pipeline.uuid,
      location: { file: PIPELINE, line: lineOf(pipelineYaml, "--subject-claim cluster_id") },
      what: "cluster_id subject requested for an app that trusts only the pipeline UUID",
    },
    {
      ruleId: "token-shared-between-steps",
      location: { file: PIPELINE, line: lineOf(pipelineYaml, "> tmp/azure.jwt") },
      what: "token written to a file the step uploads as an artifact",
    },
    {
      ruleId: "client-secret-login",
      location: { file: SCRIPT, line: lineOf(script, "--password") },
      what: "az login with a client secret in a script a step runs",
    },
    {
      ruleId: "upload-time-interpolation",
      location: { file: PIPELINE, line: lineOf(pipelineYaml, '"deploying to $REGION"') },
      what: "$REGION interpolated at upload though the step's command sets it",
    },
    {
      ruleId: "role-decided-at-deploy",
      location: { file: TEMPLATE, line: lineOf(template, "resource access") },
      what: "role chosen by a parameter in a template with a federated credential",
    },
    {
      ruleId: "azure-login-on-untrusted-trigger",
      location: { file: WORKFLOW, line: lineOf(workflow, "azure/login@") },
      what: "azure/login in a pull_request_target job with id-token: write",
    },
  ];
  // `git@github.com:bench/x.git` in Buildkite, `https://github.com/bench/x.git` in the checkout.
  const remoteUrl = pipeline.repository!.url.replace(/^git@([^:]+):/, "https://$1/");
  return { repo: { remoteUrl, files: { [PIPELINE]: pipelineYaml.join("\n"), [SCRIPT]: script.join("\n"), [TEMPLATE]: template.join("\n"), [WORKFLOW]: workflow.join("\n") } }, planted };
}

export function generateTenant(size: TenantSize, seed = 1, activityOptions: ActivityOptions = {}): GeneratedTenant {
  const random = prng(seed);
  const uuid = () => `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-8${hex(random, 3)}-${hex(random, 12)}`;
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const planted: PlantedFinding[] = [];
  let repo: SyntheticRepo | undefined;

  // --- Buildkite ---------------------------------------------------------------------------------
  const orgSlug = "bench-org";
  const orgUuid = uuid();
  const clusterNames = ["production", "staging", ...Array.from({ length: Math.max(0, size.clusters - 2) }, (_, i) => `dev-${i + 1}`)].slice(0, size.clusters);
  const clusters = clusterNames.map((name) => ({ uuid: uuid(), name, queues: ["default", "deploy", "large"].map((q) => ({ uuid: uuid(), key: `${name}-${q}` })) }));
  const teams = Array.from({ length: 40 }, (_, i) => ({ uuid: uuid(), slug: `team-${i}` }));
  const pipelines: BuildkitePipeline[] = Array.from({ length: size.pipelines }, (_, i) => {
    const cluster = clusters[i % clusters.length]!;
    const slug = `${cluster.name === "production" ? "deploy" : "svc"}-${i}`;
    return {
      uuid: uuid(),
      slug,
      name: slug,
      clusterUuid: cluster.uuid,
      visibility: "PRIVATE",
      repository: { url: `git@github.com:bench/${slug}.git`, provider: "RepositoryProviderGithub", settings: { buildPullRequests: false, buildPullRequestForks: false } },
      defaultBranch: "main",
      stepsYaml: STEPS,
      teams: [{ ...pick(teams), accessLevel: "BUILD_AND_READ" }],
    };
  });
  const agents = clusters.flatMap((c) => Array.from({ length: size.agentsPerCluster }, (_, i) => ({ uuid: uuid(), name: `${c.name}-agent-${i}`, version: "3.110.0", queueUuid: c.queues[i % c.queues.length]!.uuid })));
  const productionPipelines = pipelines.filter((p) => p.clusterUuid === clusters[0]!.uuid);
  const otherPipelines = pipelines.filter((p) => p.clusterUuid !== clusters[0]!.uuid);

  // --- Azure scopes ------------------------------------------------------------------------------
  const mg = (name: string, parent: string | null) => ({ id: `/providers/Microsoft.Management/managementGroups/${name}`, name, displayName: name, parentId: parent });
  const root = mg("bench-root", null);
  const prodMg = mg("bench-prod", root.id);
  const nonprodMg = mg("bench-nonprod", root.id);
  const prodSubscriptions = Math.max(1, Math.floor(size.subscriptions / 4));
  const subscriptions = Array.from({ length: size.subscriptions }, (_, i) => {
    const prod = i < prodSubscriptions;
    return { subscriptionId: uuid(), displayName: `${prod ? "prod" : "dev"}-${String(i).padStart(3, "0")}`, tags: {}, managementGroupId: prod ? prodMg.id : nonprodMg.id };
  });
  const subScope = (s: { subscriptionId: string }) => `/subscriptions/${s.subscriptionId}`;
  const resourceGroups = subscriptions.flatMap((s) =>
    Array.from({ length: size.resourceGroupsPerSubscription }, (_, i) => ({ id: `${subScope(s)}/resourceGroups/rg-${i}`, name: `rg-${i}`, subscriptionId: s.subscriptionId, tags: {} })),
  );
  const rgsOf = (subIndex: number) => resourceGroups.slice(subIndex * size.resourceGroupsPerSubscription, (subIndex + 1) * size.resourceGroupsPerSubscription);
  const storageAccounts: StorageAccount[] = Array.from({ length: size.storageAccounts }, (_, i) => {
    const rg = resourceGroups[i % resourceGroups.length]!;
    const name = `st${String(i).padStart(6, "0")}bench`;
    return { id: `${rg.id}/providers/Microsoft.Storage/storageAccounts/${name}`, name, tags: {} };
  });

  // --- Entra -------------------------------------------------------------------------------------
  const groups = Array.from({ length: 30 }, (_, i) => ({ objectId: uuid(), displayName: `group-${i}` }));
  const applications: EntraApplication[] = [];
  const servicePrincipals: EntraServicePrincipal[] = [];
  const roleAssignments: RoleAssignment[] = [];
  const assignmentsPerSub = new Map<string, number>();
  /** Owner and Contributor grants of service principals and managed identities: principal → (subscription → grant scope). */
  const privileged = new Map<string, Map<string, string>>();
  /** Principals with at least one federated credential: with a privileged grant, their log is read. */
  const federated = new Set<string>();
  const assign = (principalId: string, role: string, scope: string, principalType: RoleAssignment["principalType"], extra: Partial<RoleAssignment> = {}) => {
    const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${uuid()}`;
    roleAssignments.push({ id, scope, roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId, principalType, ...extra });
    const sub = /^\/subscriptions\/([^/]+)/.exec(scope)?.[1];
    if (sub) assignmentsPerSub.set(sub, (assignmentsPerSub.get(sub) ?? 0) + 1);
    if (sub && principalType === "ServicePrincipal" && (role === OWNER || role === CONTRIBUTOR)) {
      const grants = privileged.get(principalId) ?? new Map<string, string>();
      privileged.set(principalId, grants);
      if (!grants.has(sub)) grants.set(sub, scope);
    }
  };
  /** Planted activity: principal → operations (empty: read in full, nothing done). */
  const plantedActivity = new Map<string, { operations: string[]; events: number }>();
  const fic = (subject: string, name: string, extra: Partial<FederatedCredential> = {}): FederatedCredential => ({ name, issuer: BUILDKITE, subject, audiences: [AUDIENCE], ...extra });
  /** An app registration and its service principal; returns the principal's object ID. */
  const app = (displayName: string, credentials: FederatedCredential[], extra: Partial<EntraApplication> = {}, memberOf: string[] = []) => {
    const a: EntraApplication = { objectId: uuid(), appId: uuid(), displayName, passwordCredentials: [], federatedIdentityCredentials: credentials, ...extra };
    applications.push(a);
    const principalId = uuid();
    servicePrincipals.push({ objectId: principalId, appId: a.appId, displayName, servicePrincipalType: "Application", memberOf });
    if (credentials.length > 0) federated.add(principalId);
    return { appId: a.appId, principalId };
  };
  const prodSub = subScope(subscriptions[0]!);
  const devSub = subScope(subscriptions[subscriptions.length - 1]!);

  // Planted problems: one known instance per rule that an inventory can show.
  {
    const target = productionPipelines[0]!;
    const id = app("planted-org-scoped", [fic(orgUuid, "org-wide")]);
    assign(id.principalId, CONTRIBUTOR, prodSub, "ServicePrincipal");
    planted.push({ ruleId: "org-scoped-trust", appId: id.appId, scope: prodSub, what: "organisation-UUID subject with Contributor on a production subscription" });

    const forked = otherPipelines[0]!;
    forked.repository!.settings = { buildPullRequests: true, buildPullRequestForks: true, prefixPullRequestForkBranchNames: true };
    const fork = app("planted-fork-builds", [fic(forked.uuid, "forked-pipeline")]);
    assign(fork.principalId, READER, devSub, "ServicePrincipal");
    planted.push({ ruleId: "fork-builds-on-trusted-pipeline", appId: fork.appId, pipelineUuid: forked.uuid, what: "pipeline building third-party forks trusted by an app" });

    const owner = app("planted-owner", [fic(target.uuid, "deploy")]);
    assign(owner.principalId, OWNER, devSub, "ServicePrincipal");
    planted.push({ ruleId: "owner-where-contributor-would-do", appId: owner.appId, scope: devSub, what: "Owner with no sign of managing access" });

    const account = storageAccounts[0]!;
    account.allowSharedKeyAccess = false;
    const rgOfAccount = account.id.split("/providers/")[0]!;
    const storage = app("planted-storage", [fic(otherPipelines[1]!.uuid, "uploads")]);
    assign(storage.principalId, CONTRIBUTOR, rgOfAccount, "ServicePrincipal");
    planted.push({ ruleId: "missing-storage-data-role", appId: storage.appId, scope: account.id, what: "Contributor on an Entra-only storage account without a blob data role" });

    const manager = app("planted-access-manager", [fic(otherPipelines[2]!.uuid, "landing-zone")]);
    assign(manager.principalId, OWNER, subScope(subscriptions[1 % subscriptions.length]!), "ServicePrincipal");
    assign(uuid(), READER, subScope(subscriptions[1 % subscriptions.length]!), "User", { createdBy: manager.principalId });
    planted.push({ ruleId: "unconstrained-role-assignment", appId: manager.appId, scope: subScope(subscriptions[1 % subscriptions.length]!), what: "Owner without a condition on an identity that creates assignments" });
    plantedActivity.set(manager.principalId, { operations: ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Resources/deployments/write"], events: 120 });

    // The Activity Log rules: production Contributor nobody used in 90 days, and production
    // Contributor used only for what Website Contributor allows.
    const dormant = app("planted-dormant", [fic(productionPipelines[2 % productionPipelines.length]!.uuid, "release")]);
    assign(dormant.principalId, CONTRIBUTOR, rgsOf(0)[1 % size.resourceGroupsPerSubscription]!.id, "ServicePrincipal");
    plantedActivity.set(dormant.principalId, { operations: [], events: 0 });
    planted.push({ ruleId: "dormant-privileged-identity", appId: dormant.appId, scope: rgsOf(0)[1 % size.resourceGroupsPerSubscription]!.id, what: "Contributor in production and no operation in 90 days" });
    const web = app("planted-web-deployer", [fic(productionPipelines[3 % productionPipelines.length]!.uuid, "web")]);
    assign(web.principalId, CONTRIBUTOR, rgsOf(0)[2 % size.resourceGroupsPerSubscription]!.id, "ServicePrincipal");
    plantedActivity.set(web.principalId, { operations: WEB_DEPLOY_OPERATIONS, events: 400 });
    planted.push({ ruleId: "narrower-role-would-do", appId: web.appId, scope: rgsOf(0)[2 % size.resourceGroupsPerSubscription]!.id, what: "Contributor in production used only for operations Website Contributor allows" });

    const shared = app("planted-shared", [fic(productionPipelines[1]!.uuid, "prod"), fic(otherPipelines[3]!.uuid, "dev")]);
    planted.push({ ruleId: "shared-identity-across-environments", appId: shared.appId, what: "one app trusted by a production and a non-production pipeline" });

    const broad = app("planted-overbroad", [fic(clusters[1 % clusters.length]!.uuid, "whole-cluster")]);
    planted.push({ ruleId: "overbroad-subject", appId: broad.appId, what: "cluster-UUID subject that no pipeline of the cluster uses" });

    const secret = app("planted-secret", [fic(otherPipelines[4]!.uuid, "ci")], {
      passwordCredentials: [{ keyId: uuid(), displayName: "legacy", startDateTime: "2025-01-01T00:00:00Z", endDateTime: "2027-01-01T00:00:00Z" }],
    });
    planted.push({ ruleId: "client-secret-on-federated-app", appId: secret.appId, what: "valid client secret next to a Buildkite credential" });

    const nearMiss = app("planted-issuer", [fic(otherPipelines[5]!.uuid, "slash", { issuer: `${BUILDKITE}/` })]);
    planted.push({ ruleId: "issuer-near-miss", appId: nearMiss.appId, what: "issuer with a trailing slash" });

    const audience = app("planted-audience", [fic(otherPipelines[6]!.uuid, "custom-aud", { audiences: ["api://bench-custom"] })]);
    planted.push({ ruleId: "unexpected-audience", appId: audience.appId, what: "custom audience" });

    const stale = app("planted-stale", [fic(uuid(), "deleted-pipeline")]);
    planted.push({ ruleId: "unresolved-subject", appId: stale.appId, what: "subject of a pipeline that no longer exists" });

    const compound = app("planted-compound", [fic(`organization:${orgSlug}:pipeline:${target.slug}:ref:refs/heads/main:commit:0123abcd:step:deploy`, "one-commit")]);
    planted.push({ ruleId: "compound-subject", appId: compound.appId, what: "compound subject bound to one commit" });

    // The repository rules: a pipeline that builds pull requests (not from forks), and the app it
    // logs in as, trusting that pipeline's UUID; the synthetic repository is that pipeline's.
    const built = otherPipelines[7]!;
    built.repository!.settings = { buildPullRequests: true, buildPullRequestForks: false };
    const deployer = app("planted-repo-deployer", [fic(built.uuid, "pipeline")]);
    const synthetic = syntheticRepo(built, deployer.appId, TENANT_ID);
    repo = synthetic.repo;
    planted.push(...synthetic.planted);
  }

  // Ordinary Buildkite-trusting apps: one pipeline each, Contributor on a resource group.
  const plantedApps = applications.length;
  for (let i = plantedApps; i < size.buildkiteApplications; i++) {
    const pipeline = pipelines[(i * 7) % pipelines.length]!;
    const subIndex = i % subscriptions.length;
    const memberOf = i % 10 === 0 ? [pick(groups).objectId] : [];
    const id = app(`bk-deployer-${i}`, [fic(pipeline.uuid, `pipeline-${pipeline.slug}`)], {}, memberOf);
    assign(id.principalId, CONTRIBUTOR, pick(rgsOf(subIndex)).id, "ServicePrincipal");
  }
  // GitHub: the repositories credentials name, with their environments and subject templates
  // (repository name → what GitHub answers for it beyond the listing).
  const githubNamed = new Map<string, { environments: GitHubEnvironment[]; oidcSubject: NonNullable<GitHubRepository["oidcSubject"]> }>();
  const defaultTemplate = (name: string) => ({ useDefault: true, useImmutableSubject: false, subClaimPrefix: `repo:${GITHUB_ORG}/${name}` });
  const missingRepositories: string[] = [];

  // Other apps: one in GITHUB_APP_EVERY trusts a GitHub repository of its own (every other one its
  // protected `production` environment, the rest its main branch; no roles), the rest federate with
  // nothing. Few enough that GitHub's two requests in flight stay a small part of the collection.
  for (let i = applications.length; i < size.applications; i++) {
    const github = i % GITHUB_APP_EVERY === 0;
    const environment = github && (i / GITHUB_APP_EVERY) % 2 === 0;
    const name = `app-${i}`;
    if (github) githubNamed.set(name, { environments: environment ? [PROTECTED, UNPROTECTED("staging")] : [], oidcSubject: defaultTemplate(name) });
    const credentials = github ? [{ name: "gha", issuer: GITHUB_ISSUER, subject: `repo:${GITHUB_ORG}/${name}:${environment ? "environment:production" : "ref:refs/heads/main"}`, audiences: [AUDIENCE] }] : [];
    app(name, credentials);
  }
  // Group assignments the group members inherit.
  for (const [i, g] of groups.entries()) assign(g.objectId, READER, subScope(subscriptions[i % subscriptions.length]!), "Group");

  // User-assigned managed identities, each trusted by one pipeline and Contributor on its resource group.
  const managedIdentities: ManagedIdentity[] = subscriptions.flatMap((s, subIndex) =>
    Array.from({ length: size.managedIdentitiesPerSubscription }, (_, i) => {
      const rg = rgsOf(subIndex)[i % size.resourceGroupsPerSubscription]!;
      const name = `mi-${subIndex}-${i}`;
      const principalId = uuid();
      federated.add(principalId);
      assign(principalId, CONTRIBUTOR, rg.id, "ServicePrincipal");
      const pipeline = pipelines[(subIndex * 13 + i) % pipelines.length]!;
      const clientId = uuid();
      // Every managed identity has a service principal in Entra, as in a real tenant.
      servicePrincipals.push({ objectId: principalId, appId: clientId, displayName: name, servicePrincipalType: "ManagedIdentity", memberOf: [] });
      return {
        id: `${rg.id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
        name,
        clientId,
        principalId,
        tenantId: TENANT_ID,
        federatedIdentityCredentials: [{ id: `${rg.id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}/federatedIdentityCredentials/bk`, name: "bk", issuer: BUILDKITE, subject: pipeline.uuid, audiences: [AUDIENCE] }],
      };
    }),
  );

  // A flexible credential (ARM returns its expression from 2025-01-31-preview) beside the first
  // identity's Buildkite one: every repository of a GitHub owner, and Contributor in production.
  // On a managed identity, so the Graph requests stay those of the lower bound.
  {
    const mi = managedIdentities[0]!;
    mi.federatedIdentityCredentials.push({
      id: `${mi.id}/federatedIdentityCredentials/github-any-repo`,
      name: "github-any-repo",
      issuer: "https://token.actions.githubusercontent.com",
      subject: "",
      claimsMatchingExpression: { value: "claims['sub'] matches 'repo:bench/*'", languageVersion: 1 },
      audiences: [AUDIENCE],
    });
    planted.push({ ruleId: "wildcard-expression", appId: mi.clientId, scope: rgsOf(0)[0]!.id, what: "claims expression matching every repository of a GitHub owner, Contributor in production" });
  }

  // The GitHub rules that judge an inventory: each on a managed identity of its own with one
  // credential for a repository of `bench` (Graph reads the service principals of app
  // registrations that trust Buildkite only, so an app registration's GitHub grants would be lost
  // in collection; a managed identity's come from ARM).
  {
    const githubIdentity = (name: string, subject: string, rg: { id: string }, role?: string, extra: Partial<FederatedCredential> = {}) => {
      const id = `${rg.id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
      const principalId = uuid();
      const clientId = uuid();
      federated.add(principalId);
      if (role) assign(principalId, role, rg.id, "ServicePrincipal");
      servicePrincipals.push({ objectId: principalId, appId: clientId, displayName: name, servicePrincipalType: "ManagedIdentity", memberOf: [] });
      managedIdentities.push({ id, name, clientId, principalId, tenantId: TENANT_ID, federatedIdentityCredentials: [{ id: `${id}/federatedIdentityCredentials/github`, name: "github", issuer: GITHUB_ISSUER, subject, audiences: [AUDIENCE], ...extra }] });
      return clientId;
    };
    const prodRg = (i: number) => rgsOf(0)[i % size.resourceGroupsPerSubscription]!;

    githubNamed.set("gh-preview", { environments: [], oidcSubject: defaultTemplate("gh-preview") });
    const preview = githubIdentity("mi-gh-pull-requests", `repo:${GITHUB_ORG}/gh-preview:pull_request`, prodRg(0), CONTRIBUTOR);
    planted.push({ ruleId: "pull-request-subject", appId: preview, scope: prodRg(0).id, what: "GitHub pull-request subject on an identity with Contributor in production" });

    // A wait timer alone protects nothing.
    githubNamed.set("gh-release", { environments: [{ ...UNPROTECTED("production"), waitTimerMinutes: 5 }], oidcSubject: defaultTemplate("gh-release") });
    const release = githubIdentity("mi-gh-release", `repo:${GITHUB_ORG}/gh-release:environment:production`, prodRg(1), CONTRIBUTOR);
    planted.push({ ruleId: "unprotected-environment-subject", appId: release, scope: prodRg(1).id, what: "GitHub environment subject naming an environment without reviewers or branch policy, Contributor in production" });

    // The repository customised its subject template after the credential was written.
    githubNamed.set("gh-legacy", { environments: [], oidcSubject: { useDefault: false, includeClaimKeys: ["repository_owner_id", "context"], useImmutableSubject: false, subClaimPrefix: `repo:${GITHUB_ORG}/gh-legacy` } });
    const legacy = githubIdentity("mi-gh-legacy", `repo:${GITHUB_ORG}/gh-legacy:ref:refs/heads/main`, rgsOf(subscriptions.length - 1)[0]!);
    planted.push({ ruleId: "customised-subject-mismatch", appId: legacy, what: "default-template subject for a repository with its own subject template" });

    missingRepositories.push(`${GITHUB_ORG}/gh-retired`);
    const retired = githubIdentity("mi-gh-retired", `repo:${GITHUB_ORG}/gh-retired:ref:refs/heads/main`, prodRg(0), CONTRIBUTOR);
    planted.push({ ruleId: "subject-names-missing-repository", appId: retired, scope: prodRg(0).id, what: "GitHub subject naming a repository GitHub answers 404 for, Contributor in production" });

    // A flexible credential on an identity with no production role (wildcard-expression owns the
    // production ones): every repository's staging environment.
    const devRg = rgsOf(subscriptions.length - 1)[1 % size.resourceGroupsPerSubscription]!;
    const staging = githubIdentity("mi-gh-any-staging", "", devRg, CONTRIBUTOR, { claimsMatchingExpression: { value: `claims['sub'] matches 'repo:${GITHUB_ORG}/*:environment:staging'`, languageVersion: 1 } });
    planted.push({ ruleId: "wildcard-claims-expression", appId: staging, what: "claims expression matching the staging environment of every repository of a GitHub owner, Contributor outside production" });
  }

  // The organisation: the named repositories, then the pipelines' repositories and libraries up
  // to its size, so that its listing takes several pages.
  const githubRepositories: GitHubRepository[] = [];
  const githubRepo = (name: string): GitHubRepository => {
    const n = githubRepositories.length;
    const details = githubNamed.get(name);
    const r: GitHubRepository = { fullName: `${GITHUB_ORG}/${name}`, id: 81_000_000 + n, owner: { login: GITHUB_ORG, id: GITHUB_ORG_ID }, private: n % 4 !== 0, fork: false, archived: false, defaultBranch: "main", ...(details ? { oidcSubject: details.oidcSubject, environments: details.environments } : {}) };
    githubRepositories.push(r);
    return r;
  };
  for (const name of githubNamed.keys()) githubRepo(name);
  for (const p of pipelines) if (githubRepositories.length < size.githubRepositories) githubRepo(p.slug);
  while (githubRepositories.length < size.githubRepositories) githubRepo(`lib-${githubRepositories.length}`);
  const github: GitHubInventory = {
    apiUrl: "https://api.github.com",
    organizations: [{ login: GITHUB_ORG, id: GITHUB_ORG_ID, oidcSubjectClaimKeys: null }],
    repositories: githubRepositories,
    missingRepositories,
  };

  // Everyone else's assignments (users, groups, other apps) fill each subscription to its size.
  const users = Array.from({ length: 2000 }, () => uuid());
  const roles = [READER, CONTRIBUTOR, BLOB_CONTRIBUTOR];
  for (const [subIndex, s] of subscriptions.entries()) {
    const rgs = rgsOf(subIndex);
    for (let n = assignmentsPerSub.get(s.subscriptionId) ?? 0; n < size.roleAssignmentsPerSubscription; n++) {
      const scope = n % 3 === 0 ? subScope(s) : pick(rgs).id;
      assign(pick(users), pick(roles), scope, "User");
    }
  }

  // Graph lists applications in no particular order: spread the Buildkite-trusting ones out.
  for (let i = applications.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [applications[i], applications[j]] = [applications[j]!, applications[i]!];
  }

  const activity = generateActivity(seed, privileged, federated, plantedActivity, activityOptions.eventsFactor ?? 1);

  const inventory: Inventory = {
    schemaVersion: 1,
    cloud: "AzureCloud",
    tenantId: TENANT_ID,
    buildkite: { organization: { uuid: orgUuid, slug: orgSlug, name: "Bench Org" }, clusters, pipelines, agents },
    entra: { applications, servicePrincipals, groups },
    azure: {
      managementGroups: [root, prodMg, nonprodMg],
      subscriptions,
      resourceGroups,
      roleDefinitions: [...structuredClone(BUILTIN_ROLES), structuredClone(WEBSITE_CONTRIBUTOR)],
      roleAssignments,
      storageAccounts,
      managedIdentities,
      activity,
    },
    github,
    coverage: { complete: true, gaps: [] },
  };
  return { inventory, planted, repo: repo!, notApplicable: NOT_APPLICABLE };
}

/**
 * 90 days of Activity Log for every federated identity with a privileged grant, per subscription
 * the grant is in: most write a few hundred events, one in HEAVY_EVERY tens of thousands, over 2
 * to 5 operations on up to 8 resources each. Seeded apart from the tenant, so the tenant is the
 * same whatever the log holds.
 */
function generateActivity(
  seed: number,
  privileged: Map<string, Map<string, string>>,
  federated: Set<string>,
  planted: Map<string, { operations: string[]; events: number }>,
  eventsFactor: number,
): ActivityLog {
  const random = prng(seed * 7919 + 17);
  const to = BENCH_NOW.getTime();
  const from = to - ACTIVITY_DAYS * DAY_MS;
  const reads: ActivityRead[] = [];
  const candidates = [...privileged.keys()].filter((p) => federated.has(p)).sort();
  for (const [index, principalId] of candidates.entries()) {
    for (const [subscriptionId, scope] of [...privileged.get(principalId)!].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const plant = planted.get(principalId);
      const heavy = index % HEAVY_EVERY === 0;
      const events = Math.round((plant ? plant.events : heavy ? 10_000 + random() * 30_000 : 100 + random() * 500) * eventsFactor);
      let names = plant?.operations;
      if (!names) {
        const pool = [...OPERATION_POOL];
        names = ["Microsoft.Resources/deployments/write"];
        for (let k = 1 + Math.floor(random() * 4); k > 0; k--) names.push(...pool.splice(Math.floor(random() * pool.length), 1));
      }
      // Events shared out by random weights; every operation gets at least one.
      const weights = names.map(() => 0.5 + random());
      const total = weights.reduce((a, b) => a + b, 0);
      const counts = weights.map((w) => Math.max(1, Math.floor((events * w) / total)));
      if (counts.length > 0) counts[0]! += Math.max(0, events - counts.reduce((a, b) => a + b, 0));
      const operations: ActivityOperation[] = names.map((operation, i) => {
        const count = counts[i]!;
        const resourceType = operation.split("/").slice(0, 2).join("/");
        const base = scope.includes("/resourceGroups/") ? scope : `${scope}/resourceGroups/rg-0`;
        const distinct = Math.min(count, 1 + Math.floor(random() * 8), ACTIVITY_SCOPES_KEPT);
        const scopes = Array.from({ length: distinct }, (_, j) => `${base}/providers/${resourceType}/r${j}`).sort();
        const first = Math.floor((from + random() * 30 * DAY_MS) / 1000) * 1000;
        const last = count === 1 ? first : Math.floor((to - random() * 5 * DAY_MS) / 1000) * 1000;
        return { operation, count, first: iso(first), last: iso(last), scopes };
      });
      reads.push({ principalId, subscriptionId, operations });
    }
  }
  return { from: iso(from), to: iso(to), reads };
}
