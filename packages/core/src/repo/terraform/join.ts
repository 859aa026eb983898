/**
 * Joins what one Terraform configuration declares (HCL or plan, see declared.ts) across its
 * resources — a credential whose subject is `buildkite_pipeline.deploy.uuid` trusts that pipeline,
 * a role assignment whose `principal_id` is an identity's is that identity's grant — into:
 *  - facts in the template model (per file), which the template rules judge as they judge Bicep;
 *  - the objects it declares in inventory shape (pipelines, applications, managed identities,
 *    role assignments, storage accounts), with where each is declared, which the engine lays over
 *    the collected inventory to judge the configuration as it will be once applied.
 * Values known only after apply are kept as their Terraform text (`${buildkite_pipeline.deploy.uuid}`)
 * so the same object reads the same from HCL and from a plan. Pure.
 */
import type {
  AzureResourceGroup,
  BuildkiteCluster,
  BuildkitePipeline,
  EntraApplication,
  EntraServicePrincipal,
  FederatedCredential,
  ManagedIdentity,
  ProviderSettings,
  RoleAssignment,
  RoleDefinition,
  StorageAccount,
} from "../../model/inventory.ts";
import type { Diagnostic, Located, TemplateFacts, TemplateFederatedCredential, TemplateRoleAssignment, ValueRef } from "../../model/repo.ts";
import { builtinRoleByGuid, builtinRoleByName } from "../../azure/builtin-roles.ts";
import { refText, valueText, type DeclaredConfiguration, type DeclaredResource, type TfRef, type TfValue } from "./declared.ts";
import { clip } from "../templates/support.ts";
import { normalizeRepoUrl } from "../analyze.ts";

/** Where a declared object is written. */
export interface DeclaredOrigin {
  /** `module.ci.azurerm_role_assignment.deploy["prod"]`. */
  address: string;
  /** Where a reviewer sees it: the resource block, or for a module's resource the root `module` call. */
  location: Located;
  /** The resource block itself, when `location` is a module call. */
  definedAt?: Located;
  source: "hcl" | "plan";
}

/** A role assignment as declared: the role by ID or name, resolved against an inventory later. */
export interface DeclaredRoleAssignment {
  assignment: RoleAssignment;
  /** `role_definition_name` as written (azurerm matches it case-insensitively). */
  roleName?: string;
}

/** The objects a configuration declares, in inventory shape. Unknown IDs are Terraform text. */
export interface DeclaredObjects {
  /** The Buildkite organisation, when the configuration manages Buildkite. */
  organization?: { uuid: string; slug: string };
  clusters: BuildkiteCluster[];
  pipelines: BuildkitePipeline[];
  applications: EntraApplication[];
  servicePrincipals: EntraServicePrincipal[];
  managedIdentities: ManagedIdentity[];
  resourceGroups: AzureResourceGroup[];
  roleAssignments: DeclaredRoleAssignment[];
  /** Custom roles the configuration declares (`azurerm_role_definition`), with their permissions. */
  roleDefinitions: RoleDefinition[];
  storageAccounts: StorageAccount[];
  /**
   * Objects that stand for ones declared elsewhere (an application named by a literal object ID, a
   * `data` source): joined to the inventory by ID or name, and added as they are when the inventory
   * lacks them. Those made from `data` sources are also in `lookups`: one the inventory does not
   * have is left out (and noted), not invented.
   */
  stubs: Set<object>;
  lookups: Set<object>;
  /** The provider settings each pipeline sets itself (the rest are Buildkite's defaults, or the collected pipeline's). */
  declaredSettings: Map<BuildkitePipeline, ProviderSettings>;
  origins: Map<object, DeclaredOrigin>;
}

/** A configuration joined: its facts per file, its objects, and what could not be resolved. */
export interface TerraformModel {
  /** The root module's directory (or the plan file). */
  root: string;
  /** The `-var-file` this variant applies, if any. */
  varFile?: string;
  source: "hcl" | "plan";
  templates: (TemplateFacts & { file: string; kind: "terraform" })[];
  objects: DeclaredObjects;
  diagnostics: Diagnostic[];
}

const APPLICATION_TYPES = new Set(["azuread_application", "azuread_application_registration"]);
const RG_TYPES = new Set(["azurerm_resource_group"]);

/** Buildkite's slug from a pipeline name: lower case, runs of other characters to one `-`. */
export function pipelineSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

function strOf(v: TfValue | undefined): string | undefined {
  return v?.k === "str" ? v.s : undefined;
}

function boolOf(v: TfValue | undefined): boolean | undefined {
  if (v?.k === "bool") return v.b;
  // Plans and tfvars may spell booleans as strings; Terraform converts them.
  if (v?.k === "str" && (v.s === "true" || v.s === "false")) return v.s === "true";
  return undefined;
}

/** A nested block or object attribute (`provider_settings { }` or `= { }`): its entries. */
function mapOf(v: TfValue | undefined): Map<string, TfValue> | undefined {
  if (v?.k === "map") return new Map(v.entries);
  const first = v?.k === "list" ? v.items[0] : undefined;
  if (first?.k === "map") return new Map(first.entries);
  return undefined;
}

function tagsOf(v: TfValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of mapOf(v) ?? []) {
    const s = strOf(x);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

/** The refs a value names: its own, or those inside an unknown string. */
function refsOf(v: TfValue | undefined): TfRef[] {
  if (v?.k === "ref") return [v];
  if (v?.k === "unknown") return v.refs ?? [];
  return [];
}

/** The address of the resource instance a ref points at (`…[0]` of a list attribute stays in `attribute`). */
function targetOf(v: TfValue | undefined): string | undefined {
  return refsOf(v)[0]?.address;
}

function emptyObjects(): DeclaredObjects {
  return {
    clusters: [],
    pipelines: [],
    applications: [],
    servicePrincipals: [],
    managedIdentities: [],
    resourceGroups: [],
    roleAssignments: [],
    roleDefinitions: [],
    storageAccounts: [],
    stubs: new Set(),
    lookups: new Set(),
    declaredSettings: new Map(),
    origins: new Map(),
  };
}

const SETTINGS: [string, keyof ProviderSettings][] = [
  ["build_pull_requests", "buildPullRequests"],
  ["build_pull_request_forks", "buildPullRequestForks"],
  ["prefix_pull_request_fork_branch_names", "prefixPullRequestForkBranchNames"],
  ["build_branches", "buildBranches"],
  ["build_tags", "buildTags"],
  ["filter_enabled", "filterEnabled"],
  ["filter_condition", "filterCondition"],
  ["pull_request_branch_filter_enabled", "pullRequestBranchFilterEnabled"],
  ["pull_request_branch_filter_configuration", "pullRequestBranchFilterConfiguration"],
  ["trigger_mode", "triggerMode"],
];

class Joiner {
  readonly objects = emptyObjects();
  readonly diagnostics: Diagnostic[] = [];
  private readonly byAddress = new Map<string, DeclaredResource>();
  /** The object each resource became, by address. */
  private readonly made = new Map<string, object>();
  private readonly facts = new Map<string, TemplateFacts & { file: string; kind: "terraform" }>();
  private readonly subscription: string;

  constructor(private readonly config: DeclaredConfiguration) {
    for (const r of config.resources) this.byAddress.set(r.address, r);
    const azurerm = config.providers.find((p) => p.name === "azurerm" && p.alias === undefined && p.module === "") ?? config.providers.find((p) => p.name === "azurerm");
    this.subscription = strOf(azurerm?.attributes["subscription_id"]) ?? "${provider.azurerm.subscription_id}";
  }

  run(): void {
    const order = (r: DeclaredResource): number => {
      // Parents before what refers to them: organisation and clusters, then pipelines, identities, then the rest.
      if (r.type.startsWith("buildkite_organization") || r.type === "buildkite_cluster") return 0;
      if (r.type === "buildkite_cluster_queue" || r.type === "buildkite_pipeline" || RG_TYPES.has(r.type)) return 1;
      if (APPLICATION_TYPES.has(r.type) || r.type === "azurerm_user_assigned_identity" || r.type === "azurerm_storage_account" || r.type === "azurerm_role_definition") return 2;
      if (r.type === "azuread_service_principal") return 3;
      return 4;
    };
    for (const r of [...this.config.resources].sort((a, b) => order(a) - order(b))) {
      try {
        this.resource(r);
      } catch (e) {
        this.gap(r, `could not be read: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  model(): TerraformModel {
    return {
      root: this.config.root,
      ...(this.config.varFile !== undefined ? { varFile: this.config.varFile } : {}),
      source: this.config.source,
      templates: [...this.facts.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
      objects: this.objects,
      diagnostics: this.diagnostics,
    };
  }

  // -------------------------------------------------------------------------------------------

  private origin(r: DeclaredResource): DeclaredOrigin {
    const call = r.calledFrom?.[0];
    return { address: r.address, location: call ?? r.location, ...(call ? { definedAt: r.location } : {}), source: this.config.source };
  }

  private keep<T extends object>(r: DeclaredResource, obj: T): T {
    this.objects.origins.set(obj, this.origin(r));
    this.made.set(r.address, obj);
    return obj;
  }

  private factsFor(r: DeclaredResource): TemplateFacts & { file: string; kind: "terraform" } {
    const { location } = this.origin(r);
    let f = this.facts.get(location.file);
    if (!f) {
      f = { file: location.file, kind: "terraform", roleAssignments: [], federatedCredentials: [], storageAccounts: [] };
      this.facts.set(location.file, f);
    }
    return f;
  }

  private located(r: DeclaredResource): Located & { definedAt?: Located } {
    const o = this.origin(r);
    return { file: o.location.file, line: o.location.line, ...(o.definedAt ? { definedAt: o.definedAt } : {}) };
  }

  private note(r: DeclaredResource, message: string, kind = "deploy-time-value"): void {
    const { location } = this.origin(r);
    this.diagnostics.push({ file: location.file, line: location.line, message: `${r.address}: ${message}`, note: true, kind });
  }

  private gap(r: DeclaredResource, message: string): void {
    const { location } = this.origin(r);
    this.diagnostics.push({ file: location.file, line: location.line, message: `${r.address}: ${message}` });
  }

  /** A value the joiner needs and cannot know: a note naming the expression and why. */
  private unknown(r: DeclaredResource, what: string, v: TfValue | undefined, consequence: string): void {
    if (v === undefined) return;
    const why = v.k === "unknown" ? ` (${v.why})` : "";
    this.note(r, `its ${what} ${clip(valueText(v), 100)} is not known from the configuration${why}; ${consequence}`);
  }

  /** A computed attribute of a declared resource: its value when the plan knows it, else its Terraform text. */
  private computed(r: DeclaredResource, attribute: string): string {
    return strOf(r.attributes[attribute]) ?? refText({ address: r.address, attribute });
  }

  /** The text of a value: a literal, or what a ref to a declared resource stands for. */
  private text(v: TfValue | undefined): string | undefined {
    if (v === undefined) return undefined;
    if (v.k === "str") return v.s;
    if (v.k === "ref") return this.refValue(v);
    return undefined;
  }

  private refValue(ref: TfRef): string {
    const target = this.byAddress.get(ref.address);
    const attr = ref.attribute;
    if (!target) return refText(ref);
    const known = strOf(target.attributes[attr]);
    if (known !== undefined) return known;
    if (RG_TYPES.has(target.type) && attr === "id") return this.resourceGroupId(target) ?? refText(ref);
    if (target.type === "azurerm_storage_account" && attr === "id") return this.storageAccountId(target) ?? refText(ref);
    if (target.type === "azurerm_user_assigned_identity" && attr === "id") return this.identityId(target) ?? refText(ref);
    if (target.mode === "managed" && target.type === "azurerm_subscription" && (attr === "id" || attr === "subscription_id")) {
      const sub = this.computed(target, "subscription_id");
      return attr === "id" ? `/subscriptions/${sub}` : sub;
    }
    if (target.mode === "data" && target.type === "azurerm_subscription") {
      const sub = strOf(target.attributes["subscription_id"]) ?? this.subscription;
      return attr === "id" ? `/subscriptions/${sub}` : attr === "subscription_id" ? sub : refText(ref);
    }
    if (target.mode === "data" && target.type === "azurerm_client_config" && attr === "subscription_id") return this.subscription;
    if (target.mode === "data" && target.type === "buildkite_organization" && attr === "uuid") return this.organization().uuid;
    // Synonyms the providers keep across major versions: one placeholder each.
    if (APPLICATION_TYPES.has(target.type) && attr === "application_id") return this.computed(target, "client_id");
    if (target.type === "azuread_service_principal" && (attr === "id" || attr === "object_id")) return this.computed(target, "object_id");
    return refText(ref);
  }

  private resourceGroupId(rg: DeclaredResource): string | undefined {
    const name = strOf(rg.attributes["name"]);
    return name === undefined ? undefined : `/subscriptions/${this.subscription}/resourceGroups/${name}`;
  }

  private inResourceGroup(r: DeclaredResource, provider: string, type: string): string | undefined {
    const name = strOf(r.attributes["name"]);
    const rg = this.text(r.attributes["resource_group_name"]);
    return name === undefined || rg === undefined ? undefined : `/subscriptions/${this.subscription}/resourceGroups/${rg}/providers/${provider}/${type}/${name}`;
  }

  private storageAccountId(r: DeclaredResource): string | undefined {
    return this.inResourceGroup(r, "Microsoft.Storage", "storageAccounts");
  }

  private identityId(r: DeclaredResource): string | undefined {
    return this.inResourceGroup(r, "Microsoft.ManagedIdentity", "userAssignedIdentities");
  }

  private organization(): { uuid: string; slug: string } {
    if (!this.objects.organization) {
      const provider = this.config.providers.find((p) => p.name === "buildkite");
      const org = this.config.resources.find((r) => r.mode === "data" && r.type === "buildkite_organization");
      this.objects.organization = {
        uuid: (org && strOf(org.attributes["uuid"])) ?? (org ? refText({ address: org.address, attribute: "uuid" }) : "${data.buildkite_organization.uuid}"),
        slug: strOf(provider?.attributes["organization"]) ?? "${provider.buildkite.organization}",
      };
    }
    return this.objects.organization;
  }

  // -------------------------------------------------------------------------------------------

  private resource(r: DeclaredResource): void {
    const t = r.type;
    if (r.mode === "data") {
      if (t === "buildkite_organization") this.organization();
      else if (t === "buildkite_cluster") this.cluster(r);
      else if (t === "azurerm_resource_group") this.resourceGroup(r);
      else if (t === "buildkite_pipeline") this.lookup(r, this.dataPipeline(r));
      else if (APPLICATION_TYPES.has(t)) this.lookup(r, this.application(r));
      else if (t === "azuread_service_principal") this.lookup(r, this.dataServicePrincipal(r));
      else if (t === "azurerm_user_assigned_identity") this.lookup(r, this.managedIdentity(r));
      return;
    }
    if (t === "buildkite_cluster") this.cluster(r);
    else if (t === "buildkite_cluster_queue") this.queue(r);
    else if (t === "buildkite_pipeline") this.pipeline(r);
    else if (APPLICATION_TYPES.has(t)) this.application(r);
    else if (t === "azuread_service_principal") this.servicePrincipal(r);
    else if (t === "azurerm_user_assigned_identity") this.managedIdentity(r);
    else if (t === "azuread_application_federated_identity_credential") this.credential(r, "application", "application");
    else if (t === "azuread_application_flexible_federated_identity_credential") this.credential(r, "application", "flexible");
    else if (t === "azurerm_federated_identity_credential") this.credential(r, "managedIdentity", "managedIdentity");
    else if (t === "azurerm_resource_group") this.resourceGroup(r);
    else if (t === "azurerm_role_definition") this.roleDefinition(r);
    else if (t === "azurerm_role_assignment") this.roleAssignment(r);
    else if (t === "azurerm_storage_account") this.storageAccount(r);
  }

  /** A `data` source's object: it stands for one that exists, found in the inventory by what it is looked up by. */
  private lookup(r: DeclaredResource, obj: object | undefined): void {
    if (!obj) return;
    this.objects.stubs.add(obj);
    this.objects.lookups.add(obj);
  }

  private dataPipeline(r: DeclaredResource): BuildkitePipeline | undefined {
    const slug = strOf(r.attributes["slug"]);
    if (slug === undefined) return void this.unknown(r, "slug", r.attributes["slug"], "what trusts the pipeline is not judged");
    this.organization();
    const pipeline: BuildkitePipeline = { uuid: this.computed(r, "uuid"), slug, name: strOf(r.attributes["name"]) ?? slug, clusterUuid: null, visibility: "PRIVATE", teams: [] };
    this.objects.pipelines.push(this.keep(r, pipeline));
    return pipeline;
  }

  private dataServicePrincipal(r: DeclaredResource): EntraServicePrincipal {
    const name = strOf(r.attributes["display_name"]);
    const sp: EntraServicePrincipal = {
      objectId: this.computed(r, "object_id"),
      appId: strOf(r.attributes["client_id"]) ?? strOf(r.attributes["application_id"]) ?? this.computed(r, "client_id"),
      displayName: name ?? r.address,
      memberOf: [],
    };
    this.objects.servicePrincipals.push(this.keep(r, sp));
    return sp;
  }

  private cluster(r: DeclaredResource): void {
    this.organization();
    const name = strOf(r.attributes["name"]);
    if (name === undefined) this.unknown(r, "name", r.attributes["name"], "it cannot be matched to a collected cluster");
    this.objects.clusters.push(this.keep(r, { uuid: this.computed(r, "uuid"), name: name ?? r.address, queues: [] }));
  }

  private clusterOf(v: TfValue | undefined): BuildkiteCluster | undefined {
    const target = targetOf(v);
    const made = target ? this.made.get(target) : undefined;
    return made && this.objects.clusters.includes(made as BuildkiteCluster) ? (made as BuildkiteCluster) : undefined;
  }

  private queue(r: DeclaredResource): void {
    const cluster = this.clusterOf(r.attributes["cluster_id"]);
    const key = strOf(r.attributes["key"]);
    if (!cluster) return this.unknown(r, "cluster_id", r.attributes["cluster_id"], "its cluster is not known");
    const queue = { uuid: this.computed(r, "uuid"), key: key ?? r.address };
    cluster.queues.push(this.keep(r, queue));
  }

  private pipeline(r: DeclaredResource): void {
    this.organization();
    const name = strOf(r.attributes["name"]);
    const slug = strOf(r.attributes["slug"]) ?? (name !== undefined ? pipelineSlug(name) : undefined);
    if (slug === undefined) this.unknown(r, "name", r.attributes["name"], "it cannot be matched to a collected pipeline");
    const repository = strOf(r.attributes["repository"]);
    if (repository === undefined) this.unknown(r, "repository", r.attributes["repository"], "its provider settings are read, but it cannot be matched to the repository's own pipeline files");
    const cluster = this.clusterOf(r.attributes["cluster_id"]);
    const settings: ProviderSettings = {};
    const block = mapOf(r.attributes["provider_settings"]);
    for (const [key, field] of SETTINGS) {
      const v = block?.get(key);
      if (v === undefined || v.k === "null") continue;
      const value = field === "filterCondition" || field === "pullRequestBranchFilterConfiguration" || field === "triggerMode" ? strOf(v) : boolOf(v);
      if (value === undefined) {
        this.unknown(r, `provider_settings.${key}`, v, "it is not judged: Buildkite's default (or the collected pipeline's setting) stands");
        continue;
      }
      (settings as Record<string, unknown>)[field] = value;
    }
    const provider = repository !== undefined ? repositoryProvider(repository) : undefined;
    if (provider === "RepositoryProviderGitlab" || provider === "RepositoryProviderBitbucket") for (const k of GITHUB_ONLY) delete settings[k];
    const visibility = strOf(r.attributes["visibility"])?.toUpperCase() ?? "PRIVATE";
    const pipeline: BuildkitePipeline = {
      uuid: this.computed(r, "uuid"),
      slug: slug ?? r.address,
      name: name ?? r.address,
      clusterUuid: cluster?.uuid ?? null,
      visibility,
      ...(repository !== undefined ? { repository: { url: repository, provider: provider!, settings } } : {}),
      ...(strOf(r.attributes["default_branch"]) !== undefined ? { defaultBranch: strOf(r.attributes["default_branch"])! } : {}),
      teams: [],
    };
    if (r.attributes["cluster_id"] && !cluster) this.unknown(r, "cluster_id", r.attributes["cluster_id"], "its cluster is not known");
    this.objects.declaredSettings.set(pipeline, settings);
    this.objects.pipelines.push(this.keep(r, pipeline));
  }

  private application(r: DeclaredResource): EntraApplication {
    const name = strOf(r.attributes["display_name"]);
    if (name === undefined) this.unknown(r, "display_name", r.attributes["display_name"], "it cannot be matched to a collected application");
    const app: EntraApplication = {
      objectId: this.computed(r, "object_id"),
      appId: strOf(r.attributes["client_id"]) ?? strOf(r.attributes["application_id"]) ?? refText({ address: r.address, attribute: "client_id" }),
      displayName: name ?? r.address,
      passwordCredentials: [],
      federatedIdentityCredentials: [],
    };
    this.objects.applications.push(this.keep(r, app));
    return app;
  }

  private applicationFor(v: TfValue | undefined): EntraApplication | undefined {
    const target = targetOf(v);
    if (target !== undefined) {
      const made = this.made.get(target);
      return made && this.objects.applications.includes(made as EntraApplication) ? (made as EntraApplication) : undefined;
    }
    // A literal: the application's object ID (`/applications/<id>` in azuread 3, the bare ID in 2).
    const s = strOf(v);
    const id = s?.replace(/^\/applications\//i, "");
    if (!id) return undefined;
    let app = this.objects.applications.find((a) => a.objectId.toLowerCase() === id.toLowerCase());
    if (!app) {
      app = { objectId: id, appId: `(application object ${id})`, displayName: `application object ${id}`, passwordCredentials: [], federatedIdentityCredentials: [] };
      this.objects.stubs.add(app);
      this.objects.applications.push(app);
    }
    return app;
  }

  private servicePrincipal(r: DeclaredResource): void {
    const appRef = r.attributes["client_id"] ?? r.attributes["application_id"];
    const target = targetOf(appRef);
    const app = target ? this.made.get(target) : undefined;
    const appId = app && this.objects.applications.includes(app as EntraApplication) ? (app as EntraApplication).appId : this.text(appRef);
    if (appId === undefined) return this.unknown(r, "client_id", appRef, "its application is not known, so its role assignments are not joined to an identity");
    const sp: EntraServicePrincipal = {
      objectId: this.computed(r, "object_id"),
      appId,
      displayName: app ? (app as EntraApplication).displayName : appId,
      servicePrincipalType: "Application",
      memberOf: [],
    };
    this.objects.servicePrincipals.push(this.keep(r, sp));
  }

  private managedIdentity(r: DeclaredResource): ManagedIdentity {
    const name = strOf(r.attributes["name"]);
    if (name === undefined) this.unknown(r, "name", r.attributes["name"], "it cannot be matched to a collected identity");
    const mi: ManagedIdentity = {
      id: strOf(r.attributes["id"]) ?? this.identityId(r) ?? refText({ address: r.address, attribute: "id" }),
      name: name ?? r.address,
      clientId: this.computed(r, "client_id"),
      principalId: this.computed(r, "principal_id"),
      federatedIdentityCredentials: [],
    };
    this.objects.managedIdentities.push(this.keep(r, mi));
    return mi;
  }

  private identityFor(v: TfValue | undefined): ManagedIdentity | undefined {
    const target = targetOf(v);
    if (target !== undefined) {
      const made = this.made.get(target);
      return made && this.objects.managedIdentities.includes(made as ManagedIdentity) ? (made as ManagedIdentity) : undefined;
    }
    const id = strOf(v);
    if (!id || !/\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]+$/i.test(id)) return undefined;
    let mi = this.objects.managedIdentities.find((m) => m.id.toLowerCase() === id.toLowerCase());
    if (!mi) {
      const name = id.slice(id.lastIndexOf("/") + 1);
      mi = { id, name, clientId: `(client ID of ${name})`, principalId: `(principal ID of ${name})`, federatedIdentityCredentials: [] };
      this.objects.stubs.add(mi);
      this.objects.managedIdentities.push(mi);
    }
    return mi;
  }

  private valueRef(v: TfValue | undefined): ValueRef | undefined {
    if (v === undefined) return undefined;
    const text = this.text(v);
    if (v.k === "str") return { raw: JSON.stringify(v.s), literal: v.s };
    if (text !== undefined) return { raw: text };
    return { raw: valueText(v) };
  }

  private credential(r: DeclaredResource, parentKind: "application" | "managedIdentity", form: "application" | "flexible" | "managedIdentity"): void {
    const a = r.attributes;
    const name = strOf(a["display_name"]) ?? strOf(a["name"]);
    const issuerV = a["issuer"];
    const subjectV = a["subject"];
    const audienceV = form === "application" ? a["audiences"] : form === "flexible" ? a["audience"] : (a["audience"] ?? a["audiences"]);
    const audienceItems: TfValue[] = audienceV === undefined ? [] : audienceV.k === "list" ? audienceV.items : [audienceV];
    const fact: TemplateFederatedCredential = { ...this.located(r), parentKind };
    if (name !== undefined) fact.name = name;
    const issuerRef = this.valueRef(issuerV);
    if (issuerRef) fact.issuer = issuerRef;
    const subjectRef = this.valueRef(subjectV);
    if (subjectRef) fact.subject = subjectRef;
    if (audienceV !== undefined) fact.audiences = audienceItems.map((x) => this.valueRef(x)!);
    this.factsFor(r).federatedCredentials.push(fact);

    const issuer = this.text(issuerV);
    const subject = form === "flexible" ? "" : this.text(subjectV);
    const expression = form === "flexible" ? strOf(a["claims_matching_expression"]) : undefined;
    const audiences = audienceItems.map((x) => this.text(x));
    if (issuer === undefined) this.unknown(r, "issuer", issuerV, "the credential is not judged");
    if (form !== "flexible" && subject === undefined) this.unknown(r, "subject", subjectV, "who it trusts is not judged");
    if (form === "flexible" && expression === undefined) this.unknown(r, "claims_matching_expression", a["claims_matching_expression"], "who it trusts is not judged");
    audiences.forEach((x, i) => {
      if (x === undefined) this.unknown(r, "audience", audienceItems[i], "the audience is not judged");
    });
    // Providers rename these across versions (and may compute the old name): the first that names something.
    const names = parentKind === "application" ? ["application_id", "application_object_id"] : ["user_assigned_identity_id", "parent_id"];
    const given = names.map((n) => a[n]).filter((v): v is TfValue => v !== undefined && v.k !== "null");
    const parentV = given.find((v) => v.k === "ref" || v.k === "str" || refsOf(v).length > 0) ?? given[0];
    const parent = parentKind === "application" ? this.applicationFor(parentV) : this.identityFor(parentV);
    if (!parent) {
      this.unknown(r, parentKind === "application" ? "application_id" : "parent_id", parentV, "the identity it belongs to is not known, so only its own values are judged");
      return;
    }
    if (issuer === undefined || subject === undefined || (form === "flexible" && expression === undefined) || audiences.some((x) => x === undefined)) return;
    const credential: FederatedCredential = {
      name: name ?? r.name,
      issuer,
      subject,
      ...(expression !== undefined ? { claimsMatchingExpression: { value: expression, languageVersion: 1 } } : {}),
      audiences: audiences as string[],
    };
    parent.federatedIdentityCredentials.push(this.keep(r, credential));
  }

  private resourceGroup(r: DeclaredResource): void {
    const name = strOf(r.attributes["name"]);
    if (name === undefined) return this.unknown(r, "name", r.attributes["name"], "scopes in it are not judged");
    const rg: AzureResourceGroup = { id: this.resourceGroupId(r)!, name, subscriptionId: this.subscription, tags: tagsOf(r.attributes["tags"]) };
    if (r.mode === "data") this.objects.stubs.add(rg);
    this.objects.resourceGroups.push(this.keep(r, rg));
  }

  private roleDefinition(r: DeclaredResource): void {
    const block = r.attributes["permissions"];
    const items = block?.k === "list" ? block.items : block ? [block] : [];
    const list = (m: Map<string, TfValue> | undefined, key: string): string[] => {
      const v = m?.get(key);
      return v?.k === "list" ? v.items.map(strOf).filter((s): s is string => s !== undefined) : [];
    };
    const permissions = items.map((i) => {
      const m = mapOf(i);
      return { actions: list(m, "actions"), notActions: list(m, "not_actions"), dataActions: list(m, "data_actions"), notDataActions: list(m, "not_data_actions") };
    });
    const guid = strOf(r.attributes["role_definition_id"]) ?? refText({ address: r.address, attribute: "role_definition_id" });
    // The GUID is the ID's last segment, as assignments name roles.
    const id = strOf(r.attributes["role_definition_resource_id"]) ?? `/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
    const def: RoleDefinition = {
      id,
      name: guid,
      roleName: strOf(r.attributes["name"]) ?? r.address,
      roleType: "CustomRole",
      permissions,
      assignableScopes: [],
    };
    this.objects.roleDefinitions.push(this.keep(r, def));
  }

  private roleAssignment(r: DeclaredResource): void {
    const a = r.attributes;
    const nameV = a["role_definition_name"];
    const idV = a["role_definition_id"];
    const roleName = strOf(nameV);
    const roleIdText = this.roleIdOf(idV);
    const builtin = roleName !== undefined ? builtinRoleByName(roleName) : roleIdText !== undefined ? builtinRoleByGuid(roleIdText) : undefined;
    const conditionV = a["condition"];
    const condition = conditionOf(conditionV);
    if (conditionV?.k === "unknown") {
      this.note(r, `its condition ${clip(conditionV.raw, 100)} is not known from the configuration (${conditionV.why}); ${condition !== undefined ? "it has text of its own, so it is read as a condition" : "it is read as no condition"}`);
    }
    const fact: TemplateRoleAssignment = {
      ...this.located(r),
      roleDefinitionRaw: valueText(nameV ?? idV ?? { k: "null" }),
      hasCondition: condition !== undefined,
    };
    if (builtin) fact.roleDefinitionGuid = builtin.name.toLowerCase();
    else if (roleIdText !== undefined && /^(?:.*\/)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.test(roleIdText)) {
      fact.roleDefinitionGuid = roleIdText.slice(-36).toLowerCase();
    }
    const decidedBy = [nameV, idV].find((v) => v?.k === "unknown" && /^var\.[A-Za-z_][\w-]*$/.test(v.raw.trim()));
    if (decidedBy?.k === "unknown") fact.roleDecidedBy = decidedBy.raw.trim();
    if (a["principal_id"] !== undefined) fact.principalRaw = valueText(a["principal_id"]);
    if (a["scope"] !== undefined) fact.scopeRaw = valueText(a["scope"]);
    this.factsFor(r).roleAssignments.push(fact);

    const scope = this.text(a["scope"]);
    const principal = this.text(a["principal_id"]);
    if (scope === undefined) return this.unknown(r, "scope", a["scope"], "the grant is not judged");
    if (principal === undefined) return this.unknown(r, "principal_id", a["principal_id"], "whose grant it is is not known");
    if (roleName === undefined && roleIdText === undefined) return this.unknown(r, "role", nameV ?? idV, "the grant is not judged");
    const roleDefinitionId = builtin?.id ?? roleIdText ?? `(role named ${roleName})`;
    const assignment: RoleAssignment = {
      id: this.computed(r, "id"),
      scope,
      roleDefinitionId,
      principalId: principal,
      principalType: strOf(a["principal_type"]) ?? "ServicePrincipal",
      ...(condition !== undefined ? { condition, conditionVersion: strOf(a["condition_version"]) ?? "2.0" } : {}),
    };
    this.keep(r, assignment);
    this.objects.roleAssignments.push({ assignment, ...(roleName !== undefined && !builtin ? { roleName } : {}) });
  }

  /** A role definition ID from a literal, a declared custom role, or a `data.azurerm_role_definition` by name. */
  private roleIdOf(v: TfValue | undefined): string | undefined {
    const ref = refsOf(v)[0];
    if (ref) {
      const target = this.byAddress.get(ref.address);
      if (target?.mode === "data" && target.type === "azurerm_role_definition") {
        const name = strOf(target.attributes["name"]);
        const byName = name !== undefined ? builtinRoleByName(name) : undefined;
        if (byName) return byName.id;
        const id = strOf(target.attributes["role_definition_id"]);
        if (id) return id;
      }
      if (target?.type === "azurerm_role_definition" && target.mode === "managed") {
        const made = this.made.get(target.address) as RoleDefinition | undefined;
        return made?.id;
      }
      if (v?.k === "ref") return this.refValue(ref);
    }
    // `"${data.azurerm_subscription.x.id}/providers/Microsoft.Authorization/roleDefinitions/<guid>"`: the GUID names the role.
    const guid = v?.k === "unknown" ? /\/roleDefinitions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})["']?\s*$/i.exec(v.raw)?.[1] : undefined;
    if (guid) return `/providers/Microsoft.Authorization/roleDefinitions/${guid.toLowerCase()}`;
    return strOf(v);
  }

  private storageAccount(r: DeclaredResource): void {
    const name = strOf(r.attributes["name"]);
    const sharedV = r.attributes["shared_access_key_enabled"];
    const shared = sharedV === undefined || sharedV.k === "null" ? true : boolOf(sharedV);
    this.factsFor(r).storageAccounts.push({
      ...this.located(r),
      ...(name !== undefined ? { name } : {}),
      // The template model's field: false when keys are off, null when not known, absent when allowed by default.
      ...(sharedV === undefined || sharedV.k === "null" ? {} : { allowSharedKeyAccess: shared ?? null }),
    });
    if (shared === undefined) this.unknown(r, "shared_access_key_enabled", sharedV, "it is read as allowing shared keys");
    const id = strOf(r.attributes["id"]) ?? this.storageAccountId(r);
    if (name === undefined || id === undefined) return this.unknown(r, name === undefined ? "name" : "resource_group_name", name === undefined ? r.attributes["name"] : r.attributes["resource_group_name"], "the account is not judged");
    const account: StorageAccount = { id, name, ...(shared === undefined ? {} : { allowSharedKeyAccess: shared }), tags: tagsOf(r.attributes["tags"]) };
    this.objects.storageAccounts.push(this.keep(r, account));
  }
}

/**
 * A role assignment's condition: its text when non-empty; for a template built around unknown
 * values (the provider's documented `${basename(…)}` example), its text as written when it has
 * text of its own — non-empty whatever the values — else undefined (a bare variable may be empty).
 */
function conditionOf(v: TfValue | undefined): string | undefined {
  const s = strOf(v);
  if (s !== undefined) return s.trim() === "" ? undefined : s;
  // Only a string template has text of its own; any other expression may be empty.
  if (v?.k !== "unknown" || !/^\s*(?:"|<<)/.test(v.raw)) return undefined;
  const own = v.raw.replace(/\$\{[^}]*\}/g, "").replace(/^\s*(?:<<-?\s*\w+|")|(?:\w+|")\s*$/g, "").trim();
  return own !== "" ? v.raw : undefined;
}

/** The provider Buildkite would see, from the repository's host (`git@host:…`, `https://host/…`). */
function repositoryProvider(url: string): string {
  const host = normalizeRepoUrl(url).split("/")[0]!;
  if (host === "github.com" || host.endsWith(".ghe.com")) return "RepositoryProviderGithub";
  if (host === "gitlab.com" || host.startsWith("gitlab.")) return "RepositoryProviderGitlab";
  if (host === "bitbucket.org" || host.startsWith("bitbucket.")) return "RepositoryProviderBitbucket";
  // A GitHub Enterprise Server or any other host: Buildkite's provider is not known from the URL.
  return "RepositoryProviderUnknown";
}

/** Settings Buildkite honours only for GitHub (and GitHub Enterprise). */
const GITHUB_ONLY: (keyof ProviderSettings)[] = ["buildPullRequestForks", "prefixPullRequestForkBranchNames"];

/** Joins one configuration (see the module comment). */
export function joinTerraform(config: DeclaredConfiguration): TerraformModel {
  const j = new Joiner(config);
  j.run();
  // Said once each: readTerraform de-duplicates the diagnostics of all configurations together.
  return j.model();
}
