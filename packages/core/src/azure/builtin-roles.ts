/**
 * A subset of Azure's built-in role definitions, as Microsoft publishes them (sources in
 * builtin-roles.md). A scan without live inventory (a pull-request check of a Terraform
 * repository) names roles by name or ID only; these give it the permissions to judge.
 */
import type { RoleDefinition } from "../model/inventory.ts";
import roles from "./builtin-roles.json" with { type: "json" };

export const BUILTIN_ROLES: readonly RoleDefinition[] = roles as RoleDefinition[];

const GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
/** A bare GUID, a tenant-level role definition ID, or one under a subscription (as azurerm returns it). */
const ROLE_ID = new RegExp(`^(?:(?:/subscriptions/[^/]+)?/providers/microsoft\\.authorization/roledefinitions/)?(${GUID})$`);

const byName = new Map(BUILTIN_ROLES.map((r) => [r.roleName.toLowerCase(), r]));
const byGuid = new Map(BUILTIN_ROLES.map((r) => [r.name.toLowerCase(), r]));

/** The built-in role with this name; ARM matches role names case-insensitively, and so does azurerm. */
export function builtinRoleByName(name: string): RoleDefinition | undefined {
  return byName.get(name.trim().toLowerCase());
}

/**
 * The built-in role with this GUID, given bare or as a role definition ID
 * (`/providers/Microsoft.Authorization/roleDefinitions/<guid>`, optionally under
 * `/subscriptions/<id>`). Anything else, such as a management-group or resource-group scoped ID,
 * names no built-in role here.
 */
export function builtinRoleByGuid(idOrGuid: string): RoleDefinition | undefined {
  const m = ROLE_ID.exec(idOrGuid.trim().toLowerCase());
  return m?.[1] === undefined ? undefined : byGuid.get(m[1]);
}
