/**
 * Activity Log collection: for each privileged federated identity and each subscription its
 * privileged grants reach, the succeeded control-plane writes it made in the window, read with a
 * server-side filter (window and caller) and folded into per-operation counts page by page. Requests
 * grow with identities × subscriptions × pages, never with events, and no page outlives its fold.
 */
import { ACTIVITY_SCOPES_KEPT, type ActivityLog, type ActivityOperation, type ActivityRead, type CoverageGap } from "../model/inventory.ts";
import type { ActivityCandidate } from "../graph/activity.ts";

/** The only GA version of `ActivityLogs_List`. */
export const ACTIVITY_API_VERSION = "2015-04-01";
/** What reading a subscription's Activity Log needs (Reader has it, through `*\/read`). */
export const ACTIVITY_PERMISSION = "Microsoft.Insights/eventtypes/values/read";
/** The fields the aggregate reads; the rest of an event (claims, properties) is most of its bytes. */
export const ACTIVITY_SELECT = "caller,category,eventTimestamp,operationName,resourceId,status";

/** An event as `$select` returns it: unselected fields are absent. */
export interface RawActivityEvent {
  caller?: string | null;
  category?: { value?: string | null } | null;
  eventTimestamp?: string | null;
  operationName?: { value?: string | null } | null;
  resourceId?: string | null;
  status?: { value?: string | null } | null;
}

/** Pages one subscription's log (AzureCollection.listActivity); false when it failed (a gap was added). */
export type ActivityLister = (what: string, subscriptionId: string, query: string, onPage: (items: RawActivityEvent[]) => void, gaps: CoverageGap[]) => Promise<boolean>;

const DAY_MS = 86_400_000;

/**
 * ISO 8601 in UTC, to the second unless there is a fraction: the service writes seven fractional
 * digits, and a snapshot written by hand (the demo's) round-trips unchanged.
 */
export function activityTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

/** The window read: `days` before `now` up to `now`. */
export function activityWindow(now: Date, days: number): { from: string; to: string } {
  return { from: activityTime(now.getTime() - days * DAY_MS), to: activityTime(now.getTime()) };
}

/**
 * The `$filter`: the documented time window, plus `caller eq` (undocumented in the spec, sent by
 * both az CLI and Az PowerShell), so the server returns this identity's events only.
 */
export function activityFilter(window: { from: string; to: string }, principalId: string): string {
  return `eventTimestamp ge '${window.from}' and eventTimestamp le '${window.to}' and caller eq '${principalId}'`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const lc = (s: string) => s.toLowerCase();
/** A field's text, or "" when the server sent something else (a number, an object). */
const text = (v: unknown): string => (typeof v === "string" ? v : "");

/**
 * Distinct operations one (identity, subscription) read may hold. Real identities perform tens to
 * hundreds; a server naming a new operation per event would otherwise grow the tallies (and the
 * snapshot) until the response byte caps, so past this the read ends as a gap.
 */
export const ACTIVITY_MAX_OPERATIONS = 1_000;
/** Longer operation names are no Azure operation (the longest are ~150 characters): not judged. */
export const ACTIVITY_MAX_OPERATION_LENGTH = 512;
/** Longer resource IDs are counted among an operation's scopes but not kept. */
export const ACTIVITY_MAX_SCOPE_LENGTH = 4_096;
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** FNV-1a, 32 bits twice (two offsets): distinct scopes are counted without holding their text. */
function scopeHash(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193) >>> 0;
  }
  // 53 bits: a collision among one operation's scopes is negligible.
  return (a & 0x1fffff) * 0x100000000 + b;
}

interface OperationTally {
  operation: string;
  count: number;
  first: number;
  last: number;
  /** The smallest ACTIVITY_SCOPES_KEPT distinct scopes by lower-cased text, whatever order pages came in. */
  kept: Map<string, string>;
  /** Every distinct scope seen, hashed. */
  seen: Set<number>;
}

/**
 * One (identity, subscription)'s events folded into per-operation tallies. Memory grows with the
 * distinct operations and resources the identity touched, never with the number of its events.
 */
export class ActivityAggregate {
  private readonly tallies = new Map<string, OperationTally>();
  private readonly fromMs: number;
  private readonly toMs: number;
  /** Events of this identity that could not be judged: no readable time or category, an oversized operation name (counted, then reported as a gap). */
  unreadable = 0;
  /** Events the client-side checks dropped (other callers, reads, failures, other categories, outside the window). */
  dropped = 0;

  constructor(
    private readonly principalId: string,
    window: { from: string; to: string },
  ) {
    this.fromMs = Date.parse(window.from);
    this.toMs = Date.parse(window.to);
  }

  /**
   * Folds one page in. The server filtered on caller already; each check is repeated here. Throws
   * past ACTIVITY_MAX_OPERATIONS distinct operations, which ends the read (the lister's gap).
   */
  add(events: readonly RawActivityEvent[]): void {
    for (const e of events as readonly unknown[]) {
      // Fields are read as text whatever their JSON type: the service has sent numbers where the spec says strings (`level`).
      const event: RawActivityEvent = e !== null && typeof e === "object" ? e : {};
      const operation = text(event.operationName?.value);
      const category = lc(text(event.category?.value));
      if (
        lc(text(event.caller)) !== this.principalId ||
        operation === "" ||
        (category !== "administrative" && category !== "") ||
        lc(text(event.status?.value)) !== "succeeded" ||
        lc(operation).endsWith("/read")
      ) {
        this.dropped++;
        continue;
      }
      const at = Date.parse(text(event.eventTimestamp));
      // No category: `$select=category` is undocumented (the spec's own examples lack the field),
      // and dropping every such event would make an active identity look dormant.
      if (Number.isNaN(at) || category === "" || operation.length > ACTIVITY_MAX_OPERATION_LENGTH) {
        this.unreadable++;
        continue;
      }
      if (at < this.fromMs || at > this.toMs) {
        this.dropped++;
        continue;
      }
      const key = lc(operation);
      let t = this.tallies.get(key);
      if (!t) {
        if (this.tallies.size >= ACTIVITY_MAX_OPERATIONS) throw new Error(`more than ${ACTIVITY_MAX_OPERATIONS} distinct operations by one identity; not judged, so the read is incomplete`);
        this.tallies.set(key, (t = { operation, count: 0, first: at, last: at, kept: new Map(), seen: new Set() }));
      }
      // Two spellings of one operation: the smaller is kept, so the result does not depend on page order.
      if (operation < t.operation) t.operation = operation;
      t.count++;
      if (at < t.first) t.first = at;
      if (at > t.last) t.last = at;
      const scope = text(event.resourceId);
      if (scope !== "") this.addScope(t, scope);
    }
  }

  private addScope(t: OperationTally, scope: string): void {
    const key = lc(scope);
    t.seen.add(scopeHash(key));
    // Counted (so `moreScopes` leaves the operation unsettled), never kept: a snapshot holds no megabyte IDs.
    if (scope.length > ACTIVITY_MAX_SCOPE_LENGTH) return;
    const held = t.kept.get(key);
    if (held !== undefined) {
      if (scope < held) t.kept.set(key, scope);
      return;
    }
    if (t.kept.size < ACTIVITY_SCOPES_KEPT) {
      t.kept.set(key, scope);
      return;
    }
    let largest = "";
    for (const k of t.kept.keys()) if (k > largest) largest = k;
    if (key < largest) {
      t.kept.delete(largest);
      t.kept.set(key, scope);
    }
  }

  /** The tallies as the inventory holds them, in canonical order (inventory/canonical.ts). */
  operations(): ActivityOperation[] {
    return [...this.tallies.values()]
      .map((t) => {
        const scopes = [...t.kept.values()].sort(byCodeUnit);
        const more = t.seen.size - scopes.length;
        return { operation: t.operation, count: t.count, first: activityTime(t.first), last: activityTime(t.last), scopes, ...(more > 0 ? { moreScopes: more } : {}) };
      })
      .sort((a, b) => byCodeUnit(lc(a.operation), lc(b.operation)) || byCodeUnit(a.operation, b.operation));
  }
}

/**
 * Reads the log of every (candidate, subscription) pair at once (the lister's limiter bounds what
 * is in flight). A pair is in `reads` only when its log was read to the end; a failed one is a gap
 * naming the identity, and the others are still read.
 */
export async function collectActivity(
  candidates: readonly ActivityCandidate[],
  subscriptionIds: readonly string[],
  window: { from: string; to: string },
  list: ActivityLister,
  onProgress?: (message: string) => void,
): Promise<{ activity: ActivityLog; gaps: CoverageGap[] }> {
  // The inventory's own spelling of each subscription ID, so reads name it as the subscription list does.
  const spelling = new Map(subscriptionIds.map((s) => [lc(s), s]));
  const reads: ActivityRead[] = [];
  const gaps: CoverageGap[] = [];
  const query = (principalId: string) => `&$filter=${encodeURIComponent(activityFilter(window, principalId))}&$select=${encodeURIComponent(ACTIVITY_SELECT)}`;
  const total = candidates.reduce((n, c) => n + c.subscriptionIds.length, 0);
  let done = 0;
  await Promise.all(
    candidates.flatMap((c) =>
      c.subscriptionIds.map(async (sub) => {
        const subscriptionId = spelling.get(lc(sub)) ?? sub;
        const who = `${c.identity.displayName} (${c.principalId})`;
        if (!GUID.test(c.principalId)) {
          // Never put into a filter what could change its meaning.
          gaps.push({ source: "arm", scope: `/subscriptions/${subscriptionId}`, error: `Activity Log of ${who}: not read, as its principal ID is not a GUID` });
          return;
        }
        const aggregate = new ActivityAggregate(c.principalId, window);
        const read = await list(`Activity Log of ${who}`, subscriptionId, query(c.principalId), (page) => aggregate.add(page), gaps);
        if (read && aggregate.unreadable > 0) {
          gaps.push({ source: "arm", scope: `/subscriptions/${subscriptionId}`, error: `Activity Log of ${who}: ${aggregate.unreadable} event(s) without a readable eventTimestamp or category, or with an oversized operation name; not judged, so the read is incomplete` });
        } else if (read) {
          reads.push({ principalId: c.principalId, subscriptionId, operations: aggregate.operations() });
        }
        onProgress?.(`Activity Log ${++done}/${total} identity-subscription pairs read`);
      }),
    ),
  );
  reads.sort((a, b) => byCodeUnit(lc(a.principalId), lc(b.principalId)) || byCodeUnit(lc(a.subscriptionId), lc(b.subscriptionId)));
  return { activity: { from: window.from, to: window.to, reads }, gaps };
}
