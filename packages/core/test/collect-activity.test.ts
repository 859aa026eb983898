/**
 * Activity Log collection through the real SDK pipeline against the loopback emulator: which
 * (identity, subscription) logs are read, the filter sent, paging, the fold into per-operation
 * tallies, client-side drops, and 403 / 429 / caps as for every other ARM listing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Fault } from "../../emulator/src/index.ts";
import { activityScenario } from "../../emulator/test/activity-scenario.ts";
import { ActivityAggregate, ACTIVITY_MAX_OPERATION_LENGTH, ACTIVITY_MAX_OPERATIONS, ACTIVITY_MAX_SCOPE_LENGTH, ACTIVITY_SELECT } from "../src/collect/activity.ts";
import { collectInventory } from "../src/collect/collect.ts";
import { staticTokenCredential } from "../src/collect/credentials.ts";
import type { CollectOptions } from "../src/collect/options.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const S = activityScenario(NOW);
const ACTIVITY_PATH = /\/providers\/Microsoft\.Insights\/eventtypes\/management\/values\?/i;

let running: Emulator | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function collect(faults: Fault[] = [], more: Partial<CollectOptions> = {}): Promise<{ emu: Emulator; inventory: Awaited<ReturnType<typeof collectInventory>> }> {
  const emu = (running = await startEmulator({ scenario: S.inventory, pageSize: { graph: 999, arm: 100 }, faults }));
  const opts: CollectOptions = {
    cloud: "AzureCloud",
    caPem: emu.caPem,
    maxRetries: 0,
    activity: { days: 90 },
    azure: {
      tenantId: S.inventory.tenantId!,
      graphUrl: emu.graphUrl,
      armUrl: emu.armUrl,
      graphCredential: staticTokenCredential(emu.tokens.graph),
      armCredential: staticTokenCredential(emu.tokens.arm),
      graphCredentialName: "TRUSTSCOPE_GRAPH_TOKEN",
      armCredentialName: "TRUSTSCOPE_ARM_TOKEN",
    },
    ...more,
  };
  return { emu, inventory: await collectInventory(opts, NOW) };
}

const activityRequests = (emu: Emulator) => emu.requests.filter((r) => r.api === "arm" && ACTIVITY_PATH.test(r.path));
/** The scenario's reads of the candidates, in canonical order (principal, then subscription). */
const candidateReads = () =>
  S.inventory.azure!.activity!.reads.filter((r) => r.principalId !== S.reader).sort((a, b) => `${a.principalId} ${a.subscriptionId}`.localeCompare(`${b.principalId} ${b.subscriptionId}`));

describe("collecting the Activity Log", () => {
  it("reads each privileged federated identity's log per subscription its grants reach, and folds it into the scenario's tallies", async () => {
    const { emu, inventory } = await collect();
    expect(inventory.coverage).toEqual({ complete: true, gaps: [] });
    const activity = inventory.azure!.activity!;
    expect(activity.from).toBe("2026-03-03T12:00:00Z");
    expect(activity.to).toBe("2026-06-01T12:00:00Z");
    // The Reader and the identity without a federated credential are never read; what the
    // others did comes back exactly as the emulator's history was written, reads and failures dropped.
    expect(activity.reads).toEqual(candidateReads());

    const requests = activityRequests(emu);
    // Pages, not events: Prod's deployer log holds 450 + 3 counted events and 5 that are dropped
    // (a read, a failure, a Started, a policy event; another caller's are filtered out by the server).
    const byPair = new Map<string, number>();
    for (const r of requests) {
      const filter = new URL(`https://x${r.path}`).searchParams.get("$filter")!;
      const caller = /caller eq '([^']+)'/.exec(filter)![1]!;
      const sub = /\/subscriptions\/([^/]+)\//.exec(r.path)![1]!;
      byPair.set(`${caller} ${sub}`, (byPair.get(`${caller} ${sub}`) ?? 0) + 1);
    }
    expect(Object.fromEntries(byPair)).toEqual({ [`${S.deployer} ${S.prod}`]: 5, [`${S.deployer} ${S.dev}`]: 1, [`${S.miPrincipal} ${S.prod}`]: 1 });
    expect(requests.every((r) => r.status === 200)).toBe(true);
  });

  it("sends the window and the caller in $filter, and $select, on the first page; next pages follow the nextLink as given", async () => {
    const { emu } = await collect();
    const first = activityRequests(emu).filter((r) => !/skiptoken/i.test(r.path));
    expect(first).toHaveLength(3);
    for (const r of first) {
      const q = new URL(`https://x${r.path}`).searchParams;
      expect(q.get("api-version")).toBe("2015-04-01");
      expect(q.get("$filter")).toMatch(/^eventTimestamp ge '2026-03-03T12:00:00Z' and eventTimestamp le '2026-06-01T12:00:00Z' and caller eq '[0-9a-f-]{36}'$/);
      expect(q.get("$select")).toBe(ACTIVITY_SELECT);
    }
    const next = activityRequests(emu).filter((r) => /skiptoken/i.test(r.path));
    expect(next.length).toBe(4);
    for (const r of next) expect(new URL(`https://x${r.path}`).searchParams.get("$filter")).toContain(`caller eq '${S.deployer}'`);
  });

  it("reads a shorter window with --activity-days", async () => {
    const { inventory } = await collect([], { activity: { days: 20 } });
    const prod = inventory.azure!.activity!.reads.find((r) => r.principalId === S.deployer && r.subscriptionId === S.prod)!;
    expect(inventory.azure!.activity!.from).toBe("2026-05-12T12:00:00Z");
    // Only the 450 deployments spread over 88 days that fall in the last 20, and the one role assignment 10 days ago.
    expect(prod.operations.find((o) => o.operation === "Microsoft.Authorization/roleAssignments/write")).toMatchObject({ count: 1 });
    const deployments = prod.operations.find((o) => o.operation === "Microsoft.Resources/deployments/write")!;
    expect(deployments.count).toBeGreaterThan(90);
    expect(deployments.count).toBeLessThan(120);
    // The Dev write 30 days ago is outside the window: read, and empty.
    expect(inventory.azure!.activity!.reads.find((r) => r.subscriptionId === S.dev)!.operations).toEqual([]);
  });

  it("is not read without the option", async () => {
    const { emu, inventory } = await collect([], { activity: undefined });
    expect(inventory.azure!.activity).toBeUndefined();
    expect(activityRequests(emu)).toEqual([]);
  });

  it("a 403 on one subscription's log is a gap naming the permission and the identity; the rest is still read", async () => {
    const { inventory } = await collect([{ kind: "forbidden", api: "arm", match: new RegExp(`/subscriptions/${S.dev}/providers/microsoft\\.insights/`, "i") }]);
    expect(inventory.coverage.complete).toBe(false);
    expect(inventory.coverage.gaps).toEqual([
      {
        source: "arm",
        scope: `/subscriptions/${S.dev}`,
        error: `403 AuthorizationFailed listing Activity Log of deployer (${S.deployer}): the ARM credential (TRUSTSCOPE_ARM_TOKEN) needs Microsoft.Insights/eventtypes/values/read (Reader has it) on /subscriptions/${S.dev}`,
      },
    ]);
    // No entry for the pair that failed: its absence of operations is no evidence.
    expect(inventory.azure!.activity!.reads).toEqual(candidateReads().filter((r) => r.subscriptionId !== S.dev));
  });

  it("a failure on a later page leaves the pair out, not half-counted", async () => {
    const { inventory } = await collect([{ kind: "fail", api: "arm", match: /eventtypes\/management\/values\?.*skiptoken/i, status: 500 }]);
    expect(inventory.coverage.gaps).toHaveLength(1);
    expect(inventory.coverage.gaps[0]).toMatchObject({ scope: `/subscriptions/${S.prod}`, error: expect.stringMatching(/^500 InternalServerError listing Activity Log of deployer/) });
    expect(inventory.azure!.activity!.reads.map((r) => `${r.principalId} ${r.subscriptionId}`)).toEqual(candidateReads().filter((r) => r.principalId !== S.deployer || r.subscriptionId !== S.prod).map((r) => `${r.principalId} ${r.subscriptionId}`));
  });

  it("honours a 429's Retry-After and ends complete", async () => {
    const { emu, inventory } = await collect([{ kind: "throttle", api: "arm", match: /eventtypes\/management\/values/i, times: 2, retryAfterSeconds: 0 }], { maxRetries: 3 });
    expect(inventory.coverage).toEqual({ complete: true, gaps: [] });
    expect(inventory.azure!.activity!.reads).toEqual(candidateReads());
    expect(activityRequests(emu).filter((r) => r.status === 429)).toHaveLength(2);
  });

  it("keeps to the page cap and the same-origin rule", async () => {
    const capped = await collect([], { maxPagesPerListing: 2 });
    expect(capped.inventory.coverage.gaps).toEqual([{ source: "arm", scope: `/subscriptions/${S.prod}`, error: "Activity Log of deployer (" + S.deployer + "): more than 2 pages; the rest is not read, so the listing is incomplete" }]);
    expect(capped.inventory.azure!.activity!.reads.some((r) => r.principalId === S.deployer && r.subscriptionId === S.prod)).toBe(false);
    await running!.close();
    const foreign = await collect([{ kind: "foreignNextLink", api: "arm", match: /eventtypes\/management\/values/i }]);
    expect(foreign.inventory.coverage.gaps).toEqual([{ source: "arm", scope: `/subscriptions/${S.prod}`, error: expect.stringMatching(/^Activity Log of deployer \(.*\): next link https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.*\/eventtypes\/management\/values points outside https:\/\/127\.0\.0\.1:\d+; not followed/) }]);
    expect(foreign.emu.requests.filter((r) => r.api === "foreign")).toEqual([]);
  });
});

describe("ActivityAggregate", () => {
  const window = { from: "2026-01-01T00:00:00Z", to: "2026-04-01T00:00:00Z" };
  const me = "11111111-2222-4333-8444-555555555555";
  const event = (over: Record<string, unknown> = {}) => ({
    caller: me.toUpperCase(),
    category: { value: "Administrative" },
    status: { value: "succeeded" },
    operationName: { value: "Microsoft.Resources/deployments/write" },
    eventTimestamp: "2026-02-01T10:00:00.1234567Z",
    resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Resources/deployments/a",
    ...over,
  });

  it("counts only the identity's succeeded administrative writes inside the window", () => {
    const a = new ActivityAggregate(me, window);
    a.add([
      event(),
      event({ caller: "someone@contoso.com" }),
      event({ operationName: { value: "Microsoft.Resources/subscriptions/resourceGroups/READ" } }),
      event({ status: { value: "Failed" } }),
      event({ category: { value: "Policy" } }),
      event({ eventTimestamp: "2025-12-31T23:59:59Z" }),
      event({ caller: undefined }),
      event({ eventTimestamp: "2026-03-01T00:00:00Z", resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Resources/deployments/B" }),
    ]);
    expect(a.dropped).toBe(6);
    expect(a.operations()).toEqual([
      { operation: "Microsoft.Resources/deployments/write", count: 2, first: "2026-02-01T10:00:00.123Z", last: "2026-03-01T00:00:00Z", scopes: ["/subscriptions/s/resourceGroups/rg/providers/Microsoft.Resources/deployments/B", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Resources/deployments/a"] },
    ]);
  });

  it("keeps the 20 smallest scopes whatever the order, and counts the rest", () => {
    const ids = Array.from({ length: 30 }, (_, i) => `/subscriptions/s/r${String(i).padStart(2, "0")}`);
    const forward = new ActivityAggregate(me, window);
    const backward = new ActivityAggregate(me, window);
    forward.add(ids.map((resourceId) => event({ resourceId })));
    backward.add([...ids].reverse().flatMap((resourceId) => [event({ resourceId }), event({ resourceId: resourceId.toUpperCase() })]));
    expect(forward.operations()[0]).toMatchObject({ count: 30, scopes: ids.slice(0, 20), moreScopes: 10 });
    expect(backward.operations()[0]!.scopes.map((s) => s.toLowerCase())).toEqual(ids.slice(0, 20));
    expect(backward.operations()[0]).toMatchObject({ count: 60, moreScopes: 10 });
  });

  it("reads fields of the wrong JSON type as absent instead of failing the read", () => {
    const a = new ActivityAggregate(me, window);
    a.add([
      event({ level: 4 }),
      event({ status: { value: 1 } }),
      event({ caller: 42 }),
      event({ operationName: "Microsoft.Resources/deployments/write" }),
      null,
      "Microsoft.Resources/deployments/write",
    ] as never);
    expect(a.operations()).toMatchObject([{ operation: "Microsoft.Resources/deployments/write", count: 1 }]);
    expect({ dropped: a.dropped, unreadable: a.unreadable }).toEqual({ dropped: 5, unreadable: 0 });
  });

  it("leaves unjudged, not dropped, an event without a category or with an oversized operation name", () => {
    const a = new ActivityAggregate(me, window);
    a.add([event({ category: undefined }), event({ category: { value: 3 } }), event({ operationName: { value: `Microsoft.Web/${"x".repeat(ACTIVITY_MAX_OPERATION_LENGTH)}/write` } })]);
    expect(a.operations()).toEqual([]);
    expect(a.unreadable).toBe(3);
  });

  it("counts an oversized resource ID among the scopes without keeping it", () => {
    const a = new ActivityAggregate(me, window);
    a.add([event(), event({ resourceId: `/subscriptions/s/${"\u001b".repeat(ACTIVITY_MAX_SCOPE_LENGTH)}` })]);
    expect(a.operations()).toMatchObject([{ count: 2, scopes: [event().resourceId], moreScopes: 1 }]);
  });

  it("ends the read past the cap on distinct operations, so a server naming a new one per event cannot grow it", () => {
    const a = new ActivityAggregate(me, window);
    const distinct = (from: number, n: number) => Array.from({ length: n }, (_, i) => event({ operationName: { value: `Microsoft.Hostile/op${from + i}/write` } }));
    a.add(distinct(0, ACTIVITY_MAX_OPERATIONS));
    a.add([event({ operationName: { value: "MICROSOFT.HOSTILE/OP0/WRITE" } })]);
    expect(a.operations()).toHaveLength(ACTIVITY_MAX_OPERATIONS);
    expect(() => a.add(distinct(ACTIVITY_MAX_OPERATIONS, 1))).toThrow(`more than ${ACTIVITY_MAX_OPERATIONS} distinct operations by one identity; not judged, so the read is incomplete`);
  });
});
