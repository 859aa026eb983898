/**
 * Objects a listing returned without something the inventory needs (an ID, the principal of a
 * role assignment, an ID that is no Azure scope): they are left out of the inventory, which could
 * not be read back with them, and said so in one coverage gap per listing; never dropped silently.
 */
import { isAzureScope } from "../azure/scope.ts";
import type { CoverageGap } from "../model/inventory.ts";
import { listSome } from "../graph/queries.ts";

export class LeftOut {
  private readonly entries: string[] = [];

  /** `name` is what identifies the object best (its ID, name or display name); `why` what it lacked. */
  add(name: string | null | undefined, why: string): void {
    this.entries.push(`${name ? JSON.stringify(name.slice(0, 200)) : "one without an ID or a name"} ${why}`);
  }

  /** Whether `id` can stand in the inventory as an Azure resource ID; if not, the object is left out. */
  usableId(id: string | null | undefined, name: string | null | undefined): id is string {
    if (!id) this.add(name, "without an ID");
    else if (!isAzureScope(id)) this.add(id, "whose ID is not an Azure scope");
    else return true;
    return false;
  }

  /** The gap for a listing, or undefined when nothing was left out. */
  gap(source: string, scope: string, what: string): CoverageGap | undefined {
    const n = this.entries.length;
    if (n === 0) return undefined;
    return { source, scope, error: `${what}: ${n} left out, read without what the inventory needs: ${listSome(this.entries, 3)}` };
  }
}

/** The gaps of several listings (`[leftOut, scope, what]`) that left something out. */
export function leftOutGaps(source: string, listings: readonly (readonly [LeftOut, string, string])[]): CoverageGap[] {
  return listings.flatMap(([left, scope, what]) => left.gap(source, scope, what) ?? []);
}

/** The names of the fields that are empty or absent, for `add` ("without scope and principalId"), or "" when none is. */
export function absent(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, v]) => v === undefined || v === null || v === "")
    .map(([k]) => k)
    .join(" and ");
}
