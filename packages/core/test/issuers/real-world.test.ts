/**
 * Federated-credential shapes people really write, each re-made with invented names in the shape of
 * a public source (named in the row's comment; third-party text is not copied). Expected values are
 * what Entra matches per its docs: issuer, subject and audience compared exactly and
 * case-sensitively; `*`/`?` are wildcards only in a flexible credential's `matches`.
 */
import { describe, expect, it } from "vitest";
import { expressionBreadth } from "../../src/issuers/expression-breadth.ts";
import { readTrust } from "../../src/issuers/read-trust.ts";
import type { ExpressionBreadth, Platform } from "../../src/issuers/types.ts";
import type { FederatedCredential } from "../../src/model/inventory.ts";

const GH = "https://token.actions.githubusercontent.com";
const TFC = "https://app.terraform.io";
const GL = "https://gitlab.com";
const ORG_ID = "0b8e4e7c-3a4b-4c8f-9a1e-2f3d4c5b6a7e";
const ADO = `https://vstoken.dev.azure.com/${ORG_ID}`;
const TENANT = "11111111-2222-3333-4444-555555555555";
const AKS = `https://westeurope.oic.prod-aks.azure.com/${TENANT}/${ORG_ID}/`;

type Flags = Omit<ExpressionBreadth, "reasons">;
const none: Flags = { moreThanOneRepository: false, allBranches: false, pullRequests: false, allServiceAccounts: false, moreThanOneWorkspace: false };

/** issuer, subject, platform, workload, problem (a pattern, or undefined for a subject that can match). */
type SubjectRow = [issuer: string, subject: string, platform: Platform, workload: string, problem: RegExp | undefined];

const subjects: SubjectRow[] = [
  // --- GitHub Actions, default template ---
  // Energinet-DataHub/opengeh-wholesale shared-resources/terraform/infrastructure/env/test_002/spn-federated.tf: environment with '_'
  [GH, "repo:Contoso-Data/infra-core:environment:test_002", "github", "Contoso-Data/infra-core", undefined],
  // Azure-Terraformer/terraform-azuread-github-credential main.tf: branch, tag, pull_request subjects built from one prefix
  [GH, "repo:fabrikam/web:ref:refs/heads/main", "github", "fabrikam/web", undefined],
  [GH, "repo:fabrikam/web:ref:refs/tags/v2.4.0", "github", "fabrikam/web", undefined],
  [GH, "repo:fabrikam/web:pull_request", "github", "fabrikam/web", undefined],
  // Valerio-PCG/bicep-end-to-end scripts/create-workload-identity-prod.sh: environment in title case
  [GH, "repo:northwind/bicep-site:environment:Production", "github", "northwind/bicep-site", undefined],
  // equinor/radix-platform (module "federatedcredential"): a 'master' branch
  [GH, "repo:tailspin/canary:ref:refs/heads/master", "github", "tailspin/canary", undefined],
  // Azure-Samples/virtual-network-integration-recipes issue 14: a branch name with '/'
  [GH, "repo:tailspin/recipes:ref:refs/heads/contoso/widget-fix", "github", "tailspin/recipes", undefined],
  // Azure/login issue 453: a repository name with '.'
  [GH, "repo:Woodgrove/workflow.transition.monitor:ref:refs/heads/update-x", "github", "Woodgrove/workflow.transition.monitor", undefined],
  // pagopa-style azurerm_federated_identity_credential: environment name with '-'
  [GH, "repo:adatum/io-cards:environment:io-app-prod-cd", "github", "adatum/io-cards", undefined],
  // Unique-AG/hello-azure-v2 01_bootstrap/day-0/40-federated-credentials.tf: environment names starting with digits
  [GH, "repo:Litware/hello-cloud:environment:00-init", "github", "Litware/hello-cloud", undefined],
  // --- GitHub Actions, immutable subjects (Azure/login issues 617, 635; Freddy-DK/Fkh issue 46) ---
  [GH, "repo:acme-org@123456789/acme-application@987654321:environment:production", "github", "acme-org/acme-application", undefined],
  [GH, "repo:acme-org@123456789/deploy@55501:ref:refs/heads/main", "github", "acme-org/deploy", undefined],
  // --- GitHub Actions, customised templates (GitHub OIDC docs; ambilykk/actions-custom-oidc-claim README; Azure/azure-dev PR 7705) ---
  [GH, "repo:octo-org/app:environment:prod:repository_owner:octo-org", "github", "octo-org/app", undefined],
  [GH, "repo:octo-org/app:environment:prod:job_workflow_ref:octo-org/automation/.github/workflows/oidc.yml@refs/heads/main", "github", "octo-org/app", undefined],
  [GH, "repository_owner_id:1234:repository_id:5678:environment:prod", "github", "repository_owner_id:1234:repository_id:5678:environment:prod", undefined],
  [GH, "repository_id:5678", "github", "repository_id:5678", undefined],
  [GH, "repository_owner:octo-org", "github", "octo-org", undefined],
  [GH, "job_workflow_ref:octo-org/automation/.github/workflows/deploy.yml@refs/heads/main", "github", "octo-org/automation/.github/workflows/deploy.yml@refs/heads/main", undefined],
  // --- GitHub issuers: enterprise slug, GHE.com data residency, GHES ---
  [`${GH}/contoso-enterprise`, "repo:contoso/app:ref:refs/heads/main", "github", "contoso/app", undefined],
  ["https://token.actions.contoso.ghe.com", "repo:contoso/app:environment:prod", "github", "contoso/app", undefined],
  ["https://github.contoso.example/_services/token", "repo:contoso/app:ref:refs/heads/main", "github", "contoso/app", undefined],
  // Freddy-DK/Fkh issue 46 (GitHub docs: GHES does not issue immutable subjects)
  ["https://github.contoso.example/_services/token", "repo:contoso@1/app@2:ref:refs/heads/main", "github", "contoso/app", /Enterprise Server does not issue immutable/],
  // --- GitHub mistakes ---
  // Azure/login issue 178: the portal once wrote 'pull-request'
  [GH, "repo:fabrikam/web:pull-request", "github", "fabrikam/web", /'pull-request' is not a claim/],
  // Azure/azure-workload-identity issue 340: issuer with trailing slashes
  [`${GH}//`, "repo:fabrikam/web:ref:refs/heads/main", "github", "fabrikam/web", /only by case\/slash/],
  // Azure/azure-dev issue 2428 / Azure/login issue 296 quote 'https://token.actions.githubusercontent.com/'
  [`${GH}/`, "repo:fabrikam/web:ref:refs/heads/main", "github", "fabrikam/web", /only by case\/slash/],
  // a homecare-style azuread credential with 'repo:…:ref:refs/heads/*' (code search 'all branch deployments'); efreeman518-style 'repo:O/R:*'
  [GH, "repo:fabrikam/web:ref:refs/heads/*", "github", "fabrikam/web", /contains '\*'/],
  [GH, "repo:fabrikam/web:*", "github", "fabrikam/web", /contains '\*'/],
  // Azure/login issues 515 and 517 (AADSTS7002138): case differs from GitHub's
  [GH, "Repo:fabrikam/web:environment:Production", "github", "fabrikam/web", /'Repo' is spelt 'repo'/],
  [GH, "repo:fabrikam/web:Environment:Production", "github", "fabrikam/web", /'Environment' is spelt 'environment'/],
  [GH, "repo:fabrikam/web:ref:Refs/Heads/main", "github", "fabrikam/web", /'Refs\/Heads\/' is spelt/],
  // Azure/login issue 346 (people write the branch without refs/heads/)
  [GH, "repo:fabrikam/web:ref:main", "github", "fabrikam/web", /ref:refs\/heads\/main for a branch/],
  [GH, "repo:fabrikam/web:ref:/refs/heads/main", "github", "fabrikam/web", /starts with '\/': GitHub writes ref:refs\/heads\/main/],
  [GH, "repo:fabrikam/web:ref:refs/head/main", "github", "fabrikam/web", /refs\/heads\/, refs\/tags\/ or refs\/pull\//],
  [GH, "repo:fabrikam/web:branch:main", "github", "fabrikam/web", /'branch' is not a claim/],
  // constructed (no public source found): stray spaces from copy and paste
  [GH, "repo:fabrikam/web:ref:refs/heads/main ", "github", "fabrikam/web", /leading or trailing space/],
  [GH, "repo: fabrikam/web:pull_request", "github", " fabrikam/web", /' fabrikam' has a character GitHub names cannot hold/],
  // constructed (no public source found): a repository URL pasted as the subject
  [GH, "https://github.com/fabrikam/web", "github", "https://github.com/fabrikam/web", /'https' is not a claim/],
  // --- Terraform Cloud / HCP Terraform ---
  // blinqas/station bootstrap/federated_identity_credential.tf: plan and apply credentials
  [TFC, "organization:acme:project:platform:workspace:station-prod:run_phase:plan", "terraform-cloud", "acme/platform/station-prod", undefined],
  [TFC, "organization:acme:project:Default Project:workspace:infra:run_phase:apply", "terraform-cloud", "acme/Default Project/infra", undefined],
  ["https://app.eu.terraform.io", "organization:acme:project:eu:workspace:net:run_phase:apply", "terraform-cloud", "acme/eu/net", undefined],
  // HashiCorp Stacks docs: a Stack deployment
  [TFC, "organization:acme:project:platform:stack:network:deployment:production:operation:apply", "terraform-cloud", "acme/platform/network/production", undefined],
  // Terraform Enterprise (self-hosted) keeps the pre-project form
  ["https://tfe.acme.example", "organization:acme:workspace:legacy:run_phase:plan", "terraform-cloud", "acme/legacy", undefined],
  // hashicorp/terraform-provider-azuread issue 1715 asked for 'run_phase:*'; a plain credential reads it literally
  [TFC, "organization:acme:project:devops:workspace:app:run_phase:*", "terraform-cloud", "acme/devops/app", /contains '\*'/],
  [TFC, "organization:acme:workspace:app:run_phase:plan", "terraform-cloud", "acme/app", /without project/],
  [TFC, "organization:acme:project:devops:workspace:app:run_phase:Apply", "terraform-cloud", "acme/devops/app", /'Apply' is spelt 'apply'/],
  [TFC, "organization:acme:project:devops:workspace:app", "terraform-cloud", "organization:acme:project:devops:workspace:app", /run_phase/],
  // --- GitLab ---
  // gitlabhq/gitlabhq doc/ci/cloud_services/azure/_index.md
  [GL, "project_path:acme/web:ref_type:branch:ref:main", "gitlab", "acme/web", undefined],
  [GL, "project_path:acme/platform/web:ref_type:tag:ref:v1.2.3", "gitlab", "acme/platform/web", undefined],
  ["https://gitlab.acme.example", "project_path:acme/web:ref_type:branch:ref:main", "gitlab", "acme/web", undefined],
  [GL, "project_path:acme/web:ref:main", "gitlab", "acme/web", undefined],
  // Scalr/terraform-provider-scalr examples/…/gitlab.tf: the subject without 'project_path:'
  [GL, "acme/web:ref_type:branch:ref:main", "gitlab", "acme/web:ref_type:branch:ref:main", /does not start with project_path:/],
  // GitHub habits carried over to GitLab
  [GL, "project_path:acme/web:ref_type:branch:ref:refs/heads/main", "gitlab", "acme/web", /bare branch or tag name \(ref:main\)/],
  [GL, "project_path:acme/web:ref_type:merge_request:ref:main", "gitlab", "acme/web", /'merge_request' is not one GitLab issues/],
  [`${GL}/`, "project_path:acme/web:ref_type:branch:ref:main", "gitlab", "acme/web", /only by case\/slash/],
  // --- Azure DevOps ---
  // arambazamba/AZ-400 demos/…/02-workload-identity/create-principal.ps1
  [ADO, "sc://contoso-dev/az-400/scWorkload", "azure-devops", "contoso-dev/az-400/scWorkload", undefined],
  // microsoft/powerplatform-build-tools issue 916: names with spaces and parentheses
  [ADO, "sc://contoso/Web Project/Azure Sub (prod)", "azure-devops", "contoso/Web Project/Azure Sub (prod)", undefined],
  // Azure-Samples/azure-devops-terraform-oidc-ci-cd terraform-oidc-config/locals.tf: the legacy issuer
  ["https://app.vstoken.visualstudio.com", "sc://contoso/web/deploy", "azure-devops", "contoso/web/deploy", undefined],
  // johnlokerse/azure-devops-bicep-local-deploy issue 18: the Entra-issued form
  [`https://login.microsoftonline.com/${TENANT}/v2.0`, `/eid1/c/pub/t/AbCdEf0123456789abcdEF/a/AAABAAAAiL9Kn2Z27UubvWFPbm0gLQ/sc/${ORG_ID}/99e5794d-47e1-4b9b-86eb-937aa20e4e11`, "azure-devops", `${ORG_ID}/99e5794d-47e1-4b9b-86eb-937aa20e4e11`, undefined],
  // gravitational/teleport rfd/0211-azure-devops-joining.md: a pipeline's own token
  [ADO, "p://contoso/web/contoso.web-ci", "azure-devops", "contoso/web/contoso.web-ci", undefined],
  // a setup guide found by code search for 'vstoken.dev.azure.com/$': the organisation's name where its ID goes
  ["https://vstoken.dev.azure.com/contoso", "sc://contoso/web/deploy", "azure-devops", "contoso/web/deploy", /issuer names organisation 'contoso'/],
  [ADO, "SC://contoso/web/deploy", "azure-devops", "contoso/web/deploy", /'SC:\/\/' is spelt 'sc:\/\/'/],
  [ADO, "sc://contoso/web", "azure-devops", "contoso/web/", /a part is empty or missing/],
  // --- Kubernetes ---
  // briandenicola/kubernetes cncf/porter/terraform/identities.tf; AKS issuer
  [AKS, "system:serviceaccount:whatos:whatos-app-identity", "kubernetes", "whatos/whatos-app-identity", undefined],
  // equinor/radix-platform azure-service-operator credential
  [AKS, "system:serviceaccount:azure-service-operator-system:azureserviceoperator-default", "kubernetes", "azure-service-operator-system/azureserviceoperator-default", undefined],
  ["https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789", "system:serviceaccount:kube-system:external-dns", "kubernetes", "kube-system/external-dns", undefined],
  // self-managed clusters serve their discovery document from a storage account
  ["https://contosooidc.blob.core.windows.net/oidc/", "system:serviceaccount:default:workload-sa", "kubernetes", "default/workload-sa", undefined],
  [AKS, "system:serviceaccount:Payments:deployer", "kubernetes", "Payments/deployer", /namespace 'Payments'/],
  [AKS, "system:serviceaccount:payments:deploy_sa", "kubernetes", "payments/deploy_sa", /service account 'deploy_sa'/],
  [AKS, "system:serviceaccount:payments:*", "kubernetes", "payments/*", /contains '\*'/],
  // --- Others Entra accepts ---
  // microsoft/Agents issue 202: a managed identity as a credential (Entra-issued, no /sc/)
  [`https://login.microsoftonline.com/${TENANT}/v2.0`, "/eid1/c/pub/t/AbCdEf0123456789abcdEF/a/9ExAW52n_ky4ZiS_jhpJIQ/7e307b14-2a27-4f66-ada8-ec6400eb4977", "unknown", "/eid1/c/pub/t/AbCdEf0123456789abcdEF/a/9ExAW52n_ky4ZiS_jhpJIQ/7e307b14-2a27-4f66-ada8-ec6400eb4977", undefined],
  // Microsoft Graph example (msgraph_resource federatedIdentityCredentials): an object ID on sts.windows.net
  [`https://sts.windows.net/${TENANT}/`, TENANT, "unknown", TENANT, undefined],
];

const cred = (issuer: string, subject: string, expression?: string): FederatedCredential => ({
  name: "fic",
  issuer,
  subject,
  audiences: ["api://AzureADTokenExchange"],
  ...(expression !== undefined ? { claimsMatchingExpression: { value: expression, languageVersion: 1 } } : {}),
});

describe("real-world subjects", () => {
  it("covers every platform with many distinct shapes", () => {
    expect(new Set(subjects.map((r) => `${r[0]} ${r[1]}`)).size).toBe(subjects.length);
    expect(subjects.length + expressions.length).toBeGreaterThanOrEqual(60);
    expect(new Set(subjects.map((r) => r[2]))).toEqual(new Set(["github", "terraform-cloud", "gitlab", "azure-devops", "kubernetes", "unknown"]));
  });

  it.each(subjects)("%s %j", (issuer, subject, platform, workload, problem) => {
    const t = readTrust(cred(issuer, subject));
    expect(t).toMatchObject({ platform, workload, expression: false, wide: false });
    if (problem === undefined) expect(t.problem).toBeUndefined();
    else expect(t.problem).toMatch(problem);
  });

  it("reads an Azure DevOps pipeline subject as the pipeline, not a service connection", () => {
    expect(readTrust(cred(ADO, "p://contoso/web/contoso.web-ci"))).toMatchObject({
      label: "pipeline 'contoso.web-ci' of Azure DevOps project 'contoso/web'",
      azureDevOps: { organization: "contoso", project: "web", connection: "", pipeline: "contoso.web-ci" },
    });
  });
});

/** issuer, expression, platform, workload, problem, breadth flags (beyond none). */
type ExpressionRow = [issuer: string, expression: string, platform: Platform, workload: string, problem: RegExp | undefined, flags: Partial<Flags>];
const m = (pattern: string) => `claims['sub'] matches '${pattern}'`;

const expressions: ExpressionRow[] = [
  // Entra flexible-credential docs and Azure/login issue 467: every branch, or everything, of a repository
  [GH, m("repo:contoso/app:ref:refs/heads/*"), "github", "contoso/app", undefined, { allBranches: true }],
  [GH, m("repo:contoso/app:*"), "github", "contoso/app", undefined, { allBranches: true, pullRequests: true }],
  [GH, m("repo:contoso/*"), "github", "contoso/*", undefined, { moreThanOneRepository: true, allBranches: true, pullRequests: true }],
  // release tags (a code-search README on signing releases: 'refs/tags/v*' on GitHub, 'ref_type:tag:ref:v*' on GitLab)
  [GH, m("repo:contoso/app:ref:refs/tags/v*"), "github", "contoso/app", undefined, {}],
  [GH, m("repo:contoso/app:environment:*"), "github", "contoso/app", undefined, {}],
  [GH, m("repo:contoso/*:environment:prod"), "github", "contoso/*", undefined, { moreThanOneRepository: true }],
  [GH, m("repo:contoso@42/*"), "github", "contoso/*", undefined, { moreThanOneRepository: true, allBranches: true, pullRequests: true }],
  // a provisioning script found by code search for 'claimsMatchingExpression': regex alternation, which matches reads literally
  [GH, m("repo:(orgA|orgB)/.*:environment:bot"), "github", "(orgA|orgB)/*", /not regular expressions/, { moreThanOneRepository: true }],
  // Entra docs: a job_workflow_ref clause is not read for breadth; without a sub clause anything the issuer signs matches
  [GH, `${m("repo:contoso/app:ref:refs/heads/*")} and claims['job_workflow_ref'] matches 'contoso/wf/.github/workflows/*@refs/heads/main'`, "github", "contoso/app", undefined, { allBranches: true }],
  [GH, "claims['job_workflow_ref'] matches 'contoso/wf/.github/workflows/*@refs/heads/main'", "github", "*", undefined, { moreThanOneRepository: true, allBranches: true, pullRequests: true, allServiceAccounts: true, moreThanOneWorkspace: true }],
  [GH, m("Repo:contoso/*"), "github", "contoso/*", /spelt 'repo:'/, { moreThanOneRepository: true, allBranches: true, pullRequests: true, allServiceAccounts: true, moreThanOneWorkspace: true }],
  // hashicorp/terraform-provider-azuread issue 1715: every workspace of a project, both phases
  [TFC, m("organization:acme:project:devops:workspace:*:run_phase:*"), "terraform-cloud", "acme/*", undefined, { moreThanOneWorkspace: true }],
  // one workspace, both phases (the docs' run_phase example)
  [TFC, m("organization:acme:project:devops:workspace:app:run_phase:*"), "terraform-cloud", "acme/devops/app", undefined, {}],
  [TFC, m("organization:acme:project:devops:stack:net:deployment:prod:operation:*"), "terraform-cloud", "acme/devops/net/prod", undefined, {}],
  [TFC, m("organization:acme:project:devops:stack:net:deployment:*:operation:*"), "terraform-cloud", "acme/*", undefined, { moreThanOneWorkspace: true }],
  [GL, m("project_path:acme/web:ref_type:tag:ref:v*"), "gitlab", "acme/web", undefined, {}],
  [GL, m("project_path:acme/web:ref_type:branch:ref:*"), "gitlab", "acme/web", undefined, { allBranches: true }],
  [GL, m("project_path:acme/*"), "gitlab", "acme/*", undefined, { moreThanOneRepository: true, allBranches: true }],
  // a pinned subject in expression form reads like the subject
  [GH, "claims['sub'] eq 'repo:contoso/app:environment:prod'", "github", "contoso/app", undefined, {}],
];

describe("real-world expressions", () => {
  it.each(expressions)("%s %s", (issuer, expression, platform, workload, problem, flags) => {
    const c = cred(issuer, "", expression);
    const t = readTrust(c);
    expect(t).toMatchObject({ platform, workload, expression: true });
    if (problem === undefined) expect(t.problem).toBeUndefined();
    else expect(t.problem).toMatch(problem);
    const { reasons, ...rest } = expressionBreadth(c)!;
    expect(reasons.length).toBeGreaterThan(0);
    expect(rest).toEqual({ ...none, ...flags });
  });
});
