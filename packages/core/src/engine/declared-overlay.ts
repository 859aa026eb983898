/**
 * Lays what a Terraform configuration declares over the collected inventory: the tenant and
 * organisation as they will be once the configuration is applied. Declared objects are joined to
 * collected ones by name (pipelines by slug, clusters, applications and managed identities by name,
 * resource groups and storage accounts by ID or name) and take their IDs, so a credential declared
 * for `buildkite_pipeline.deploy.uuid` reaches the collected pipeline `deploy`. Without an
 * inventory, declared objects stand alone with their Terraform text as IDs. Pure.
 */
import { builtinRoleByGuid } from "../azure/builtin-roles.ts";
import { normalizeScope } from "../azure/scope.ts";
import type { BuildkitePipeline, EntraApplication, Inventory, ManagedIdentity, RoleDefinition, StorageAccount } from "../model/inventory.ts";
import type { DeclaredOrigin, TerraformModel } from "../repo/terraform/join.ts";

export type DeclaredKind = "pipeline" | "credential" | "application" | "managedIdentity" | "roleAssignment" | "storageAccount";

export interface LocatedOrigin extends DeclaredOrigin {
  kind: DeclaredKind;
}

export interface DeclaredOverlay {
  inventory: Inventory;
  /** Declared objects by JSON pointer into `inventory` (finding anchors point there). */
  byPointer: Map<string, LocatedOrigin>;
  /** Declared pipelines by lower-case UUID, role assignments by lower-case ID, storage accounts by normalised ID. */
  pipelines: Map<string, LocatedOrigin>;
  assignments: Map<string, LocatedOrigin>;
  storageAccounts: Map<string, LocatedOrigin>;
  /** Role assignments whose role is neither built in nor in the inventory (their grants are not judged): address → role as written. */
  unknownRoles: { address: string; role: string }[];
  /** `data` sources the inventory does not have (or no inventory was read): what refers to them is not judged. */
  unresolved: { address: string; what: string }[];
  /** Set when the configuration manages another Buildkite organisation than the one read: its Buildkite side is left out. */
  otherOrganization?: string;
}

const lower = (s: string) => s.toLowerCase();

/** Replaces each placeholder (Terraform text standing for an ID) by the collected value it joined to. */
class Substitution {
  private readonly map = new Map<string, string>();
  private sorted: [string, string][] | undefined;

  set(from: string, to: string): void {
    if (from === to) return;
    this.map.set(from, to);
    this.sorted = undefined;
  }

  apply(s: string): string {
    const exact = this.map.get(s);
    if (exact !== undefined) return exact;
    // Only IDs built from placeholders hold one inside them.
    if (!s.includes("${")) return s;
    // Longest first: a resource group ID is a prefix of the IDs inside it. Case matters: Terraform
    // addresses differ by case (`azuread_application.Deployer` is not `…deployer`).
    this.sorted ??= [...this.map].sort((a, b) => b[0].length - a[0].length);
    let out = s;
    for (const [from, to] of this.sorted) if (out.includes(from)) out = out.split(from).join(to);
    return out;
  }
}

/** A deep copy with every string substituted, and origins carried to the copies. */
function copy<T>(value: T, sub: Substitution, origins: Map<object, DeclaredOrigin>, carried: Map<object, DeclaredOrigin>): T {
  if (typeof value === "string") return sub.apply(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => copy(v, sub, origins, carried)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = copy(v, sub, origins, carried);
    const o = origins.get(value);
    if (o) carried.set(out, o);
    return out as T;
  }
  return value;
}

/** A list with an index by key, kept as items are added or replaced: joins stay linear on large inventories. */
class Keyed<T> {
  private readonly at = new Map<string, number>();

  constructor(
    readonly items: T[],
    private readonly key: (t: T) => string,
  ) {
    items.forEach((t, i) => {
      const k = key(t);
      if (!this.at.has(k)) this.at.set(k, i);
    });
  }

  get(t: T): T | undefined {
    const i = this.at.get(this.key(t));
    return i === undefined ? undefined : this.items[i];
  }

  /** Replaces the item with the same key, or adds it; `merge` makes the replacement from the one there. */
  put(t: T, merge?: (was: T) => T): void {
    const k = this.key(t);
    const i = this.at.get(k);
    if (i === undefined) {
      this.at.set(k, this.items.length);
      this.items.push(t);
    } else if (merge) this.items[i] = merge(this.items[i]!);
  }
}

function byName<T>(items: T[], name: (t: T) => string | undefined): Map<string, T | null> {
  // null: more than one, so the name does not join.
  const m = new Map<string, T | null>();
  for (const t of items) {
    const n = name(t);
    if (n === undefined) continue;
    const k = lower(n);
    m.set(k, m.has(k) ? null : t);
  }
  return m;
}

/** The resource group segment of an ARM ID, as written. */
function resourceGroupOf(id: string): string | undefined {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1];
}

const guidOf = (id: string) => lower(id.slice(id.lastIndexOf("/") + 1));

export function overlayDeclared(base: Inventory, model: TerraformModel): DeclaredOverlay {
  const d = model.objects;
  const sub = new Substitution();
  const unknownRoles: DeclaredOverlay["unknownRoles"] = [];
  const unresolved: DeclaredOverlay["unresolved"] = [];
  /** Lookups (`data` sources) the inventory has: the others are left out. */
  const found = new Set<object>();
  // Another organisation's pipelines must not join this one's by slug.
  const declaredSlug = d.organization?.slug;
  const otherOrganization = base.buildkite && declaredSlug && !declaredSlug.includes("${") && lower(declaredSlug) !== lower(base.buildkite.organization.slug) ? declaredSlug : undefined;
  const bk = otherOrganization ? undefined : base.buildkite;
  const entra = base.entra;
  const az = base.azure;

  // 1. Joins: each declared placeholder to the collected value.
  if (bk && d.organization) sub.set(d.organization.uuid, bk.organization.uuid);
  const clusters = byName(bk?.clusters ?? [], (c) => c.name);
  for (const c of d.clusters) {
    const hit = clusters.get(lower(c.name));
    if (!hit) continue;
    sub.set(c.uuid, hit.uuid);
    for (const q of c.queues) {
      const hq = hit.queues.find((x) => x.key === q.key);
      if (hq) sub.set(q.uuid, hq.uuid);
    }
  }
  const pipelines = byName(bk?.pipelines ?? [], (p) => p.slug);
  for (const p of d.pipelines) {
    const hit = pipelines.get(lower(p.slug));
    if (!hit) continue;
    sub.set(p.uuid, hit.uuid);
    found.add(p);
  }
  const apps = byName(entra?.applications ?? [], (a) => a.displayName);
  const appsById = new Map((entra?.applications ?? []).map((a) => [lower(a.objectId), a]));
  const appsByAppId = new Map((entra?.applications ?? []).map((a) => [lower(a.appId), a]));
  for (const a of d.applications) {
    // A stub by its IDs (a literal object ID, a data source's lookup key); a lookup also by name.
    const hit = d.stubs.has(a)
      ? (appsById.get(lower(a.objectId)) ?? appsByAppId.get(lower(a.appId)) ?? (d.lookups.has(a) ? (apps.get(lower(a.displayName)) ?? undefined) : undefined))
      : (apps.get(lower(a.displayName)) ?? undefined);
    if (!hit) continue;
    sub.set(a.objectId, hit.objectId);
    sub.set(a.appId, hit.appId);
    found.add(a);
  }
  const sps = new Map((entra?.servicePrincipals ?? []).map((s) => [lower(s.appId), s]));
  const spsById = new Map((entra?.servicePrincipals ?? []).map((s) => [lower(s.objectId), s]));
  const spsByName = byName(entra?.servicePrincipals ?? [], (s) => s.displayName);
  for (const s of d.servicePrincipals) {
    const hit =
      sps.get(lower(sub.apply(s.appId))) ?? (d.lookups.has(s) ? (spsById.get(lower(s.objectId)) ?? spsByName.get(lower(s.displayName)) ?? undefined) : undefined);
    if (!hit) continue;
    sub.set(s.objectId, hit.objectId);
    sub.set(s.appId, hit.appId);
    found.add(s);
  }
  // Subscription and resource groups first, so IDs inside them follow.
  const subs = az?.subscriptions ?? [];
  const rgs = byName(az?.resourceGroups ?? [], (r) => r.name);
  const rgsById = new Map((az?.resourceGroups ?? []).map((r) => [normalizeScope(r.id), r]));
  for (const rg of d.resourceGroups) {
    if (rgsById.has(normalizeScope(rg.id))) continue;
    // By name only where the configuration does not say which subscription.
    const hit = rg.id.includes("${") ? rgs.get(lower(rg.name)) : undefined;
    if (hit) sub.set(rg.id, hit.id);
    else if (subs.length === 1 && rg.subscriptionId.includes("${")) sub.set(rg.subscriptionId, subs[0]!.subscriptionId);
  }
  const mis = az?.managedIdentities ?? [];
  const misById = new Map(mis.map((x) => [lower(x.id), x]));
  const misByName = byName(mis, (x) => x.name);
  for (const m of d.managedIdentities) {
    const id = sub.apply(m.id);
    // By name only where the configuration does not say where the identity is (its ID holds an unknown).
    const byName = id.includes("${") && (!d.stubs.has(m) || d.lookups.has(m)) ? (misByName.get(lower(m.name)) ?? undefined) : undefined;
    // By name, then only in the resource group the configuration names (when it names one).
    const rg = resourceGroupOf(id);
    const hit = misById.get(lower(id)) ?? (byName && (rg === undefined || rg.includes("${") || lower(resourceGroupOf(byName.id) ?? "") === lower(rg)) ? byName : undefined);
    if (!hit) continue;
    found.add(m);
    sub.set(m.id, hit.id);
    sub.set(m.clientId, hit.clientId);
    sub.set(m.principalId, hit.principalId);
  }
  const accounts = byName(az?.storageAccounts ?? [], (a) => a.name);
  for (const a of d.storageAccounts) {
    const hit = accounts.get(lower(a.name));
    if (hit) sub.set(a.id, hit.id);
  }

  for (const o of d.lookups) {
    if (found.has(o)) continue;
    const origin = d.origins.get(o);
    if (origin) unresolved.push({ address: origin.address, what: base.buildkite || base.entra || base.azure ? "the inventory has no such object" : "no inventory was read" });
  }
  /** Declared objects to add: not lookups the inventory lacks, nor another organisation's Buildkite side. */
  const keep = <T extends object>(list: T[]): T[] => list.filter((o) => !d.lookups.has(o) || found.has(o));

  // 2. Copies with collected IDs, origins carried over.
  const carried = new Map<object, DeclaredOrigin>();
  const c = <T>(v: T): T => copy(v, sub, d.origins, carried);
  const inventory: Inventory = { ...base, coverage: base.coverage };

  if (!otherOrganization && (d.organization || d.pipelines.length > 0 || d.clusters.length > 0)) {
    const org = bk?.organization ?? c(d.organization) ?? { uuid: "${data.buildkite_organization.uuid}", slug: "${provider.buildkite.organization}" };
    const outClusters = new Keyed((bk?.clusters ?? []).map((x) => ({ ...x, queues: [...x.queues] })), (x) => x.uuid);
    for (const dc of d.clusters.map(c)) {
      const hit = outClusters.get(dc);
      if (!hit) outClusters.put(dc);
      else {
        const known = new Set(hit.queues.map((x) => x.uuid));
        for (const q of dc.queues) if (!known.has(q.uuid)) hit.queues.push(q);
      }
    }
    const outPipelines = new Keyed([...(bk?.pipelines ?? [])], (x) => lower(x.uuid));
    keep(d.pipelines).forEach((p0) => {
      const p = c(p0);
      const own = d.declaredSettings.get(p0) ?? {};
      const origin = d.origins.get(p0)!;
      // Buildkite's defaults for what a new pipeline does not set: pull requests built, forks not.
      const fresh: BuildkitePipeline = p.repository ? { ...p, repository: { ...p.repository, settings: { buildPullRequests: true, buildPullRequestForks: false, ...own } } } : p;
      carried.set(fresh, origin);
      outPipelines.put(fresh, (was) => {
        // A `data` lookup only names the pipeline: the collected one stands as it is.
        if (d.lookups.has(p0)) return was;
        const merged: BuildkitePipeline = {
          ...was,
          ...(p.repository ? { repository: { ...p.repository, settings: { ...was.repository?.settings, ...own } } } : {}),
          visibility: p.visibility,
          ...(p.clusterUuid !== null ? { clusterUuid: p.clusterUuid } : {}),
        };
        carried.set(merged, origin);
        return merged;
      });
    });
    inventory.buildkite = { organization: org, clusters: outClusters.items, pipelines: outPipelines.items, agents: bk?.agents ?? [] };
  }

  if (d.applications.length > 0 || d.servicePrincipals.length > 0) {
    const outApps = new Keyed([...(entra?.applications ?? [])], (x) => lower(x.objectId));
    for (const a0 of keep(d.applications)) {
      const a = c(a0);
      outApps.put(a, (was) => mergeCredentials(was, a, carried));
    }
    const outSps = new Keyed([...(entra?.servicePrincipals ?? [])], (x) => lower(x.objectId));
    for (const s of keep(d.servicePrincipals).map(c)) outSps.put(s);
    inventory.entra = { applications: outApps.items, servicePrincipals: outSps.items, groups: entra?.groups ?? [] };
  }

  const touchesAzure = d.managedIdentities.length + d.resourceGroups.length + d.roleAssignments.length + d.storageAccounts.length + d.roleDefinitions.length > 0;
  if (touchesAzure) {
    const outMis = new Keyed([...(az?.managedIdentities ?? [])], (x) => lower(x.id));
    for (const m0 of keep(d.managedIdentities)) {
      const m = c(m0);
      outMis.put(m, (was) => mergeCredentials(was, m, carried));
    }
    const outRgs = new Keyed([...(az?.resourceGroups ?? [])], (x) => normalizeScope(x.id));
    // The configuration's tags are the ones the group will have.
    for (const rg of d.resourceGroups.map(c)) outRgs.put(rg, (was) => (Object.keys(rg.tags).length > 0 ? { ...was, tags: rg.tags } : was));
    const outDefs: RoleDefinition[] = [...(az?.roleDefinitions ?? [])];
    const defGuids = new Set(outDefs.map((r) => lower(r.name)));
    const addDefinition = (def: RoleDefinition) => {
      outDefs.push(def);
      defGuids.add(lower(def.name));
    };
    for (const def of d.roleDefinitions.map(c)) if (!defGuids.has(lower(def.name))) addDefinition(def);
    const byRoleName = byName(outDefs, (r) => r.roleName);
    const outAssignments = [...(az?.roleAssignments ?? [])];
    const existing = new Set(outAssignments.map((a) => `${normalizeScope(a.scope)}|${lower(a.principalId)}|${guidOf(a.roleDefinitionId)}`));
    for (const { assignment: a0, roleName } of d.roleAssignments) {
      const a = c(a0);
      if (roleName !== undefined) {
        const def = byRoleName.get(lower(roleName));
        if (!def) {
          unknownRoles.push({ address: d.origins.get(a0)?.address ?? "a role assignment", role: roleName });
          continue;
        }
        a.roleDefinitionId = def.id;
      } else if (!defGuids.has(guidOf(a.roleDefinitionId))) {
        const builtin = builtinRoleByGuid(a.roleDefinitionId);
        if (builtin) addDefinition(builtin);
        else unknownRoles.push({ address: d.origins.get(a0)?.address ?? "a role assignment", role: a.roleDefinitionId });
      }
      const key = `${normalizeScope(a.scope)}|${lower(a.principalId)}|${guidOf(a.roleDefinitionId)}`;
      if (existing.has(key)) continue;
      existing.add(key);
      const o = d.origins.get(a0);
      if (o) carried.set(a, o);
      outAssignments.push(a);
    }
    const outAccounts = new Keyed<StorageAccount>([...(az?.storageAccounts ?? [])], (x) => normalizeScope(x.id));
    for (const s0 of d.storageAccounts) {
      const s = c(s0);
      outAccounts.put(s, (was) => {
        const merged = { ...was, allowSharedKeyAccess: s.allowSharedKeyAccess ?? true, tags: { ...was.tags, ...s.tags } };
        carried.set(merged, d.origins.get(s0)!);
        return merged;
      });
    }
    inventory.azure = {
      managementGroups: az?.managementGroups ?? [],
      subscriptions: az?.subscriptions ?? [],
      resourceGroups: outRgs.items,
      roleDefinitions: outDefs,
      roleAssignments: outAssignments,
      storageAccounts: outAccounts.items,
      managedIdentities: outMis.items,
      ...(az?.activity ? { activity: az.activity } : {}),
    };
  }

  // 3. Where each declared object sits in the overlay.
  const byPointer = new Map<string, LocatedOrigin>();
  const pipelinesOut = new Map<string, LocatedOrigin>();
  const assignments = new Map<string, LocatedOrigin>();
  const storage = new Map<string, LocatedOrigin>();
  // A `data` source declares nothing: findings are not placed at it.
  const lookedUp = new Set([...d.lookups].map((o) => d.origins.get(o)));
  const at = (o: object, kind: DeclaredKind): LocatedOrigin | undefined => {
    const origin = carried.get(o);
    return origin && !lookedUp.has(origin) ? { ...origin, kind } : undefined;
  };
  inventory.buildkite?.pipelines.forEach((p, i) => {
    const o = at(p, "pipeline");
    if (!o) return;
    byPointer.set(`/buildkite/pipelines/${i}`, o);
    pipelinesOut.set(lower(p.uuid), o);
  });
  const identities = (list: (EntraApplication | ManagedIdentity)[], base: string, kind: DeclaredKind) =>
    list.forEach((x, i) => {
      const o = at(x, kind);
      if (o) byPointer.set(`${base}/${i}`, o);
      x.federatedIdentityCredentials.forEach((f, j) => {
        const fo = at(f, "credential");
        if (fo) byPointer.set(`${base}/${i}/federatedIdentityCredentials/${j}`, fo);
      });
    });
  identities(inventory.entra?.applications ?? [], "/entra/applications", "application");
  identities(inventory.azure?.managedIdentities ?? [], "/azure/managedIdentities", "managedIdentity");
  inventory.azure?.roleAssignments.forEach((a, i) => {
    const o = at(a, "roleAssignment");
    if (!o) return;
    byPointer.set(`/azure/roleAssignments/${i}`, o);
    assignments.set(lower(a.id), o);
  });
  inventory.azure?.storageAccounts.forEach((s, i) => {
    const o = at(s, "storageAccount");
    if (!o) return;
    byPointer.set(`/azure/storageAccounts/${i}`, o);
    storage.set(normalizeScope(s.id), o);
  });
  return { inventory, byPointer, pipelines: pipelinesOut, assignments, storageAccounts: storage, unknownRoles, unresolved, ...(otherOrganization ? { otherOrganization } : {}) };
}

/** A collected identity with the declared one's credentials: a declared name replaces the collected one of that name. */
function mergeCredentials<T extends EntraApplication | ManagedIdentity>(was: T, declared: T, carried: Map<object, DeclaredOrigin>): T {
  const names = new Set(declared.federatedIdentityCredentials.map((f) => lower(f.name)));
  const merged = { ...was, federatedIdentityCredentials: [...was.federatedIdentityCredentials.filter((f) => !names.has(lower(f.name))), ...declared.federatedIdentityCredentials] };
  const o = carried.get(declared);
  if (o) carried.set(merged, o);
  return merged;
}
