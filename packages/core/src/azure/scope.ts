/**
 * ARM scopes and their hierarchy: management group → subscription → resource group → resource.
 * ARM IDs are case-insensitive, so every comparison goes through `normalizeScope`.
 */
import type { Inventory } from "../model/inventory.ts";

export type ScopeKind = "root" | "managementGroup" | "subscription" | "resourceGroup" | "resource";

const MG_PREFIX = "/providers/microsoft.management/managementgroups/";

export function normalizeScope(scope: string): string {
  const s = scope.trim().toLowerCase();
  // Trailing slashes trimmed by hand: /\/+$/ retries at every "/" of the ID, and this runs for
  // every assignment, often several times.
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 47) end--;
  return end === 0 ? "/" : end === s.length ? s : s.slice(0, end);
}

/**
 * The shape of every scope a role can be assigned at: the root, a management group, a
 * subscription, a resource group, or a resource inside one (`…/providers/ns/type/name[/type/name…]`).
 */
const SCOPE_SHAPE = /^\/(?:providers\/microsoft\.management\/managementgroups\/[^/]+|subscriptions\/[^/]+(?:\/resourcegroups\/[^/]+)?(?:\/providers\/[^/]+(?:\/[^/]+\/[^/]+)+)?)?$/;

/** Whether `scope` is an ARM scope (case-insensitive; trailing slashes allowed, as ARM IDs compare). */
export function isAzureScope(scope: string): boolean {
  // normalizeScope reads "" as the root; a scope must say so itself.
  return scope.trim().startsWith("/") && SCOPE_SHAPE.test(normalizeScope(scope));
}

export function scopeKind(scope: string): ScopeKind {
  const s = normalizeScope(scope);
  if (s === "/") return "root";
  if (s.startsWith(MG_PREFIX)) return "managementGroup";
  const parts = s.split("/").filter(Boolean);
  if (parts[0] !== "subscriptions") return "resource";
  if (parts.length <= 2) return "subscription";
  if (parts[2] === "resourcegroups" && parts.length <= 4) return "resourceGroup";
  return "resource";
}

export function subscriptionOf(scope: string): string | undefined {
  const m = /^\/subscriptions\/([^/]+)/.exec(normalizeScope(scope));
  return m?.[1];
}

export function resourceGroupIdOf(scope: string): string | undefined {
  const m = /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+)/.exec(normalizeScope(scope));
  return m?.[1];
}

export function managementGroupName(scope: string): string | undefined {
  const s = normalizeScope(scope);
  return s.startsWith(MG_PREFIX) ? s.slice(MG_PREFIX.length).split("/")[0] : undefined;
}

/**
 * Knows the management-group tree, so it can say whether an assignment at one scope applies at
 * another. Below the subscription the ARM ID path itself is the hierarchy.
 */
export class ScopeTree {
  private readonly mgParent = new Map<string, string | null>();
  private readonly subscriptionMg = new Map<string, string | null>();

  constructor(inventory: Pick<Inventory, "azure">) {
    for (const mg of inventory.azure?.managementGroups ?? []) {
      this.mgParent.set(normalizeScope(mg.id), mg.parentId ? normalizeScope(mg.parentId) : null);
    }
    for (const sub of inventory.azure?.subscriptions ?? []) {
      this.subscriptionMg.set(
        sub.subscriptionId.toLowerCase(),
        sub.managementGroupId ? normalizeScope(sub.managementGroupId) : null,
      );
    }
  }

  /** The scope itself and every scope above it, nearest first, ending with `/`. */
  ancestorsOf(scope: string): string[] {
    const s = normalizeScope(scope);
    const out: string[] = [];
    if (s === "/") return ["/"];
    let mg: string | null | undefined;
    if (s.startsWith(MG_PREFIX)) {
      mg = s;
    } else {
      // Walk the ARM path up to the subscription: every even-length prefix is a scope.
      const parts = s.split("/").filter(Boolean);
      for (let n = parts.length; n >= 2; n--) {
        // Skip "/subscriptions/x/resourceGroups" style non-scopes and provider segments.
        const prefix = "/" + parts.slice(0, n).join("/");
        if (isScopePath(parts.slice(0, n))) out.push(prefix);
      }
      const sub = subscriptionOf(s);
      mg = sub ? this.subscriptionMg.get(sub) : undefined;
    }
    const seen = new Set<string>();
    while (mg && !seen.has(mg)) {
      seen.add(mg);
      out.push(mg);
      mg = this.mgParent.get(mg);
    }
    out.push("/");
    return out;
  }

  /** True when an assignment at `assignedAt` applies at `target` (same scope or above it). */
  covers(assignedAt: string, target: string): boolean {
    const a = normalizeScope(assignedAt);
    if (a === "/") return true;
    const t = normalizeScope(target);
    if (t === a || t.startsWith(a + "/")) return true;
    if (a.startsWith(MG_PREFIX)) return this.ancestorsOf(t).includes(a);
    return false;
  }

  /** True when one scope contains the other. */
  overlaps(a: string, b: string): boolean {
    return this.covers(a, b) || this.covers(b, a);
  }
}

/**
 * Whether a split ARM path names a scope: `/subscriptions/x`, `/subscriptions/x/resourceGroups/y`,
 * or a resource `…/providers/ns/type/name[/type/name…]`.
 */
function isScopePath(parts: string[]): boolean {
  if (parts[0] !== "subscriptions") return parts.length > 0;
  if (parts.length === 2) return true;
  if (parts[2] !== "resourcegroups") {
    return parts.length >= 6 && parts[2] === "providers" && (parts.length - 4) % 2 === 0;
  }
  if (parts.length === 4) return true;
  // /subscriptions/s/resourcegroups/r/providers/ns/type/name(/type/name)*
  return parts.length >= 8 && parts[4] === "providers" && (parts.length - 6) % 2 === 0;
}
