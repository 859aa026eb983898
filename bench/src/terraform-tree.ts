/**
 * A synthetic Terraform estate shaped like real infrastructure repositories, for timing
 * `scan --repo` with the HCL parser on big trees: root modules under
 * `terraform/envs/<team>-<n>/`, each with its providers (Buildkite, AzureRM, AzureAD), variables
 * with defaults, a `terraform.tfvars` and a `prod.tfvars` (a `-var-file` variant, so two
 * configurations per root), a Buildkite pipeline whose UUID an app registration's federated
 * credential trusts, a role assignment by role name, a storage account, a `for_each` over a small
 * map, a call to one of the shared local modules under `terraform/modules/`, and a call to a
 * registry module (which the reader notes, not reads). Deterministic: the same count gives the
 * same files.
 */

/** Where the tree sits in the repository (so the bench can also read it alone). */
export const TERRAFORM_DIR = "terraform";
const TEAMS = ["payments", "identity", "search", "platform", "data", "mobile", "web", "billing"] as const;
/** Shared local modules: each declares an identity, its federated credential and a role assignment from its inputs. */
export const SHARED_MODULES = 10;
const MODULE_ROLES = ["Reader", "Contributor", "Storage Blob Data Contributor", "Key Vault Secrets User", "Website Contributor"] as const;

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

function providers(root: string): string {
  return `terraform {
  required_version = ">= 1.6"

  required_providers {
    buildkite = {
      source  = "buildkite/buildkite"
      version = "~> 1.16"
    }
    azuread = {
      source  = "hashicorp/azuread"
      version = "~> 3.0"
    }
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }

  backend "azurerm" {
    resource_group_name  = "rg-tfstate"
    storage_account_name = "stbenchtfstate"
    container_name       = "tfstate"
    key                  = "${root}.tfstate"
  }
}

provider "buildkite" {
  organization = "bench-org"
}

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
}

provider "azuread" {
  tenant_id = var.tenant_id
}
`;
}

function variables(i: number): string {
  return `variable "environment" {
  description = "Deployment environment"
  type        = string
  default     = "dev"
}

variable "location" {
  type    = string
  default = "westeurope"
}

variable "subscription_id" {
  type    = string
  default = "00000000-0000-4000-8000-${hex(0xa000 + (i % 20), 12)}"
}

variable "tenant_id" {
  type    = string
  default = "00000000-0000-4000-8000-0000000b3a4c"
}

variable "allow_fork_builds" {
  description = "Build pull requests from forks on the deploy pipeline"
  type        = bool
  default     = false
}

variable "deploy_role" {
  type    = string
  default = "Contributor"
}

variable "apps" {
  description = "Workloads of this environment and the role each gets on the artifacts account"
  type = map(object({
    role     = string
    replicas = number
  }))
  default = {
    api = {
      role     = "Storage Blob Data Reader"
      replicas = 2
    }
    worker = {
      role     = "Storage Blob Data Contributor"
      replicas = 1
    }
    web = {
      role     = "Reader"
      replicas = 3
    }
  }
}
`;
}

function main(team: string, i: number, root: string): string {
  const shared = i % SHARED_MODULES;
  return `locals {
  name       = "${root}-\${var.environment}"
  repository = "git@github.com:bench/${root}.git"
  tags = {
    team        = "${team}"
    environment = var.environment
    managed_by  = "terraform"
  }
}

resource "azurerm_resource_group" "this" {
  name     = "rg-\${local.name}"
  location = var.location
  tags     = local.tags
}

resource "buildkite_pipeline" "deploy" {
  name           = "\${local.name}-deploy"
  repository     = local.repository
  default_branch = "main"

  provider_settings = {
    build_branches           = true
    build_pull_requests      = true
    build_pull_request_forks = var.allow_fork_builds
    trigger_mode             = "code"
  }
}

resource "azuread_application" "deployer" {
  display_name     = "\${local.name}-deployer"
  sign_in_audience = "AzureADMyOrg"
}

resource "azuread_service_principal" "deployer" {
  client_id = azuread_application.deployer.client_id
}

resource "azuread_application_federated_identity_credential" "deployer" {
  application_id = azuread_application.deployer.id
  display_name   = "buildkite-\${local.name}"
  description    = "Deploys from \${buildkite_pipeline.deploy.name}"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://agent.buildkite.com"
  subject        = buildkite_pipeline.deploy.uuid
}

resource "azurerm_role_assignment" "deployer" {
  scope                = azurerm_resource_group.this.id
  role_definition_name = var.deploy_role
  principal_id         = azuread_service_principal.deployer.object_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_storage_account" "artifacts" {
  name                      = "st${team.slice(0, 6)}${i}\${var.environment}"
  resource_group_name       = azurerm_resource_group.this.name
  location                  = azurerm_resource_group.this.location
  account_tier              = "Standard"
  account_replication_type  = var.environment == "prod" ? "GRS" : "LRS"
  shared_access_key_enabled = false
  tags                      = local.tags
}

resource "azurerm_user_assigned_identity" "app" {
  for_each            = var.apps
  name                = "id-\${local.name}-\${each.key}"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  tags                = merge(local.tags, { app = each.key })
}

resource "azurerm_role_assignment" "app" {
  for_each             = var.apps
  scope                = azurerm_storage_account.artifacts.id
  role_definition_name = each.value.role
  principal_id         = azurerm_user_assigned_identity.app[each.key].principal_id
}

module "release" {
  source              = "../../modules/shared-${shared}"
  name                = local.name
  pipeline_uuid       = buildkite_pipeline.deploy.uuid
  scope               = azurerm_resource_group.this.id
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
}

module "network" {
  source              = "Azure/avm-res-network-virtualnetwork/azurerm"
  version             = "0.7.1"
  name                = "vnet-\${local.name}"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  address_space       = ["10.${i % 256}.0.0/16"]
}

output "deploy_pipeline_uuid" {
  value = buildkite_pipeline.deploy.uuid
}
`;
}

/** A shared module: half declare a user-assigned identity, half an app registration. */
function sharedModule(m: number): Record<string, string> {
  const role = MODULE_ROLES[m % MODULE_ROLES.length]!;
  const identity =
    m % 2 === 0
      ? `resource "azurerm_user_assigned_identity" "this" {
  name                = "id-\${var.name}-release"
  resource_group_name = var.resource_group_name
  location            = var.location
}

resource "azurerm_federated_identity_credential" "buildkite" {
  name                      = "buildkite-\${var.name}"
  resource_group_name       = var.resource_group_name
  user_assigned_identity_id = azurerm_user_assigned_identity.this.id
  audience                  = ["api://AzureADTokenExchange"]
  issuer                    = "https://agent.buildkite.com"
  subject                   = var.pipeline_uuid
}

resource "azurerm_role_assignment" "this" {
  scope                = var.scope
  role_definition_name = var.role
  principal_id         = azurerm_user_assigned_identity.this.principal_id
}
`
      : `resource "azuread_application" "this" {
  display_name = "\${var.name}-release"
}

resource "azuread_service_principal" "this" {
  client_id = azuread_application.this.client_id
}

resource "azuread_application_federated_identity_credential" "buildkite" {
  application_id = azuread_application.this.id
  display_name   = "buildkite-\${var.name}"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://agent.buildkite.com"
  subject        = var.pipeline_uuid
}

resource "azurerm_role_assignment" "this" {
  scope                = var.scope
  role_definition_name = var.role
  principal_id         = azuread_service_principal.this.object_id
}
`;
  const principal = m % 2 === 0 ? "azurerm_user_assigned_identity.this.principal_id" : "azuread_service_principal.this.object_id";
  return {
    [`${TERRAFORM_DIR}/modules/shared-${m}/main.tf`]: identity,
    [`${TERRAFORM_DIR}/modules/shared-${m}/variables.tf`]: `variable "name" {
  type = string
}

variable "pipeline_uuid" {
  description = "UUID of the Buildkite pipeline that releases"
  type        = string
}

variable "scope" {
  type = string
}

variable "resource_group_name" {
  type = string
}

variable "location" {
  type = string
}

variable "role" {
  type    = string
  default = "${role}"
}
`,
    [`${TERRAFORM_DIR}/modules/shared-${m}/outputs.tf`]: `output "principal_id" {
  value = ${principal}
}
`,
  };
}

/** `roots` root modules and the shared modules they call, under TERRAFORM_DIR: path → text. */
export function terraformTree(roots: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let m = 0; m < SHARED_MODULES; m++) Object.assign(files, sharedModule(m));
  for (let i = 0; i < roots; i++) {
    const team = TEAMS[i % TEAMS.length]!;
    const root = `${team}-${i}`;
    const dir = `${TERRAFORM_DIR}/envs/${root}`;
    files[`${dir}/providers.tf`] = providers(root);
    files[`${dir}/variables.tf`] = variables(i);
    files[`${dir}/main.tf`] = main(team, i, root);
    files[`${dir}/terraform.tfvars`] = `location = "${i % 3 === 0 ? "northeurope" : "westeurope"}"\n`;
    // The apply pipeline's -var-file for production: a second configuration of the same root.
    files[`${dir}/prod.tfvars`] = `environment       = "prod"\nsubscription_id   = "00000000-0000-4000-8000-${hex(0xb000 + (i % 20), 12)}"\ndeploy_role       = "${i % 10 === 0 ? "Owner" : "Contributor"}"\nallow_fork_builds = false\n`;
  }
  return files;
}
