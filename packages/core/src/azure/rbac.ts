/**
 * Effective Azure RBAC, evaluated from role definitions (never from role names):
 * - permission strings match case-insensitively, `*` matches any run of characters (also `/`);
 * - a role's notActions subtract from that role's actions only (NotActions are not deny rules);
 * - data actions are a separate plane: `*` in actions never grants a data action;
 * - assignments apply at their scope and every scope below it;
 * - a principal also holds its (transitive) groups' assignments.
 */
import type { Inventory, RoleAssignment, RoleDefinition, RolePermission } from "../model/inventory.ts";
import { ScopeTree, normalizeScope } from "./scope.ts";

const patternCache = new Map<string, RegExp>();

/** Compile an RBAC permission pattern (`Microsoft.Storage/*\/read`) to an anchored regex. */
export function permissionPattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    const body = pattern
      .trim()
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${body}$`, "i");
    patternCache.set(pattern, re);
  }
  return re;
}

export function matchesPermission(pattern: string, operation: string): boolean {
  return permissionPattern(pattern).test(operation);
}

export type Plane = "control" | "data";

/** Whether one permission block of a role allows `operation` on the given plane. */
export function permissionAllows(p: RolePermission, operation: string, plane: Plane): boolean {
  const [allow, deny] = plane === "control" ? [p.actions, p.notActions] : [p.dataActions, p.notDataActions];
  return allow.some((a) => matchesPermission(a, operation)) && !deny.some((n) => matchesPermission(n, operation));
}

/** Whether a role definition allows `operation`. Each permission block subtracts its own notActions. */
export function roleAllows(role: RoleDefinition, operation: string, plane: Plane = "control"): boolean {
  return role.permissions.some((p) => permissionAllows(p, operation, plane));
}

/** The GUID at the end of a role definition ID, lower-cased (IDs vary in their prefix). */
export function roleDefinitionGuid(roleDefinitionId: string): string {
  const parts = roleDefinitionId.trim().toLowerCase().split("/").filter(Boolean);
  return parts[parts.length - 1] ?? "";
}

/** One assignment that applies to a principal, resolved to its role definition. */
export interface Grant {
  assignment: RoleAssignment;
  /** Undefined when the role definition could not be read: the grant's power is unknown. */
  role: RoleDefinition | undefined;
  /** The group through which the principal holds it; undefined for a direct assignment. */
  viaGroup?: { objectId: string; displayName: string };
  /** True when the assignment carries an ABAC condition that narrows it. */
  conditional: boolean;
}

export const ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write";
export const STORAGE_ACCOUNT_WRITE = "Microsoft.Storage/storageAccounts/write";
export const BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
export const BLOB_WRITE = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write";

/** Read operations carry the `read` verb; everything else changes something. */
export function isReadOnlyRole(role: RoleDefinition): boolean {
  return role.permissions.every(
    (p) =>
      p.dataActions.every((a) => /\/read$/i.test(a)) &&
      p.actions.every((a) => /\/read$/i.test(a)),
  );
}

/**
 * Index over role definitions and assignments: which grants a principal holds, and what they
 * allow at a scope.
 */
export class RbacIndex {
  readonly scopes: ScopeTree;
  private readonly roles = new Map<string, RoleDefinition>();
  private readonly byPrincipal = new Map<string, RoleAssignment[]>();
  private readonly groupNames = new Map<string, string>();
  private readonly memberOf = new Map<string, string[]>();

  constructor(inventory: Inventory) {
    this.scopes = new ScopeTree(inventory);
    for (const r of inventory.azure?.roleDefinitions ?? []) this.roles.set(r.name.toLowerCase(), r);
    for (const a of inventory.azure?.roleAssignments ?? []) {
      const key = a.principalId.toLowerCase();
      const list = this.byPrincipal.get(key) ?? [];
      list.push(a);
      this.byPrincipal.set(key, list);
    }
    for (const g of inventory.entra?.groups ?? []) this.groupNames.set(g.objectId.toLowerCase(), g.displayName);
    for (const sp of inventory.entra?.servicePrincipals ?? []) {
      this.memberOf.set(sp.objectId.toLowerCase(), sp.memberOf.map((g) => g.toLowerCase()));
    }
  }

  roleFor(assignment: RoleAssignment): RoleDefinition | undefined {
    return this.roles.get(roleDefinitionGuid(assignment.roleDefinitionId));
  }

  /** Every assignment the principal holds, directly or through its groups. */
  grantsOf(principalId: string): Grant[] {
    const id = principalId.toLowerCase();
    const out: Grant[] = [];
    const add = (assignments: RoleAssignment[] | undefined, viaGroup?: Grant["viaGroup"]) => {
      for (const a of assignments ?? []) {
        out.push({
          assignment: a,
          role: this.roleFor(a),
          ...(viaGroup ? { viaGroup } : {}),
          conditional: Boolean(a.condition && a.condition.trim()),
        });
      }
    };
    add(this.byPrincipal.get(id));
    for (const g of this.memberOf.get(id) ?? []) {
      add(this.byPrincipal.get(g), { objectId: g, displayName: this.groupNames.get(g) ?? g });
    }
    return out;
  }

  /** The grants that apply at `scope` (assigned there or above). */
  grantsAt(grants: Grant[], scope: string): Grant[] {
    return grants.filter((g) => this.scopes.covers(g.assignment.scope, scope));
  }

  /** Grants that allow `operation` at `scope`. Conditional grants are included and marked. */
  grantsAllowing(grants: Grant[], operation: string, scope: string, plane: Plane = "control"): Grant[] {
    return this.grantsAt(grants, scope).filter((g) => g.role !== undefined && roleAllows(g.role, operation, plane));
  }
}

/** Human description of a grant, for evidence lines. */
export function describeGrant(g: Grant): string {
  const role = g.role ? `'${g.role.roleName}'${g.role.roleType === "CustomRole" ? " (custom role)" : ""}` : `unknown role ${roleDefinitionGuid(g.assignment.roleDefinitionId)}`;
  const via = g.viaGroup ? ` through group '${g.viaGroup.displayName}'` : "";
  const cond = g.conditional ? " with a condition" : "";
  return `${role} at ${displayScope(g.assignment.scope)}${via}${cond}`;
}

export function displayScope(scope: string): string {
  return normalizeScope(scope) === "/" ? "/ (tenant root)" : scope;
}
