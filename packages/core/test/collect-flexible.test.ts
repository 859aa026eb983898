/**
 * Flexible federated credentials through the real SDKs and the loopback emulator: Graph v1.0
 * hides the expression, so the collector reads it from Graph beta for exactly the applications
 * that hold one; ARM's federated-credential listing uses 2025-01-31-preview, which returns it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Emulator, Fault } from "../../emulator/src/index.ts";
import { collectInventory } from "../src/collect/collect.ts";
import { canonicalInventory, parseInventory, type Inventory } from "../src/index.ts";
import { APP_EXPRESSION, FLEXIBLE, flexibleScenario, MI_EXPRESSION } from "../../../test/support/flexible-scenario.ts";
import { withoutActivity } from "../../../test/support/without-activity.ts";
import { collectorsPerTest } from "./support/emulator-collect.ts";

const scenario = flexibleScenario(parseInventory(readFileSync(new URL("../../cli/demo/organisation.json", import.meta.url), "utf8"), "organisation.json"));
const start = collectorsPerTest(scenario);

/** Graph and ARM only: the Buildkite side has nothing to do with federated credentials. */
async function collect(faults: Fault[] = []): Promise<{ emu: Emulator; inventory: Inventory }> {
  const { emu, opts } = await start(faults);
  const { buildkite: _bk, ...azureOnly } = opts;
  return { emu, inventory: await collectInventory(azureOnly) };
}

const withoutVolatile = (inv: Inventory) => {
  // GitHub is not asked for here (the demo's GitHub side has its own tests).
  const { collectedAt: _c, buildkite: _b, coverage: _g, github: _gh, ...rest } = canonicalInventory(inv);
  return rest;
};

describe("collecting flexible federated credentials", () => {
  it("keeps the expression of app registrations (from Graph beta) and managed identities (from ARM 2025-01-31-preview)", async () => {
    const { emu, inventory } = await collect();
    expect(inventory.coverage).toEqual({ complete: true, gaps: [] });
    expect(withoutVolatile(inventory)).toEqual(withoutVolatile(withoutActivity(scenario)));

    const app = inventory.entra!.applications.find((a) => a.appId === FLEXIBLE.app.appId)!;
    expect(app.federatedIdentityCredentials.find((f) => f.name === "acme-any-repo")).toMatchObject({ subject: "", claimsMatchingExpression: { value: APP_EXPRESSION, languageVersion: 1 } });
    // Its service principal is read too: a wildcard trust is judged by its roles.
    expect(inventory.entra!.servicePrincipals.map((s) => s.appId)).toContain(FLEXIBLE.app.appId);
    const mi = inventory.azure!.managedIdentities.find((m) => m.name === FLEXIBLE.managedIdentity.name)!;
    expect(mi.federatedIdentityCredentials[0]).toMatchObject({ subject: "", claimsMatchingExpression: { value: MI_EXPRESSION, languageVersion: 1 } });

    // Beta is read once per application with a flexible credential (the demo's storefront deployer
    // and this one); nothing else goes to beta.
    const beta = emu.requests.filter((r) => r.api === "graph" && r.path.startsWith("/beta/"));
    const flexibleApps = scenario.entra!.applications.filter((a) => a.federatedIdentityCredentials.some((f) => f.claimsMatchingExpression));
    expect(flexibleApps.map((a) => a.objectId)).toContain(FLEXIBLE.app.objectId);
    expect(beta.map((r) => `${r.method} ${r.path} ${r.status}`).sort()).toEqual(flexibleApps.map((a) => `GET /beta/applications/${a.objectId}/federatedIdentityCredentials 200`).sort());
    // Every managed identity's credentials are listed once, with the preview version.
    const ficLists = emu.requests.filter((r) => r.api === "arm" && /\/federatedIdentityCredentials\?/i.test(r.path));
    expect(ficLists).toHaveLength(scenario.azure!.managedIdentities.length);
    for (const r of ficLists) expect(r.path).toMatch(/[?&]api-version=2025-01-31-preview(&|$)/);
  });

  it("a failed beta read is a coverage gap naming the application, and the rest is still collected", async () => {
    const { inventory } = await collect([{ kind: "forbidden", api: "graph", match: new RegExp(`^/beta/applications/${FLEXIBLE.app.objectId}/`) }]);
    expect(inventory.coverage.complete).toBe(false);
    expect(inventory.coverage.gaps).toEqual([
      {
        source: "graph",
        scope: expect.stringMatching(new RegExp(`^https://127\\.0\\.0\\.1:\\d+/beta/applications/${FLEXIBLE.app.objectId}/federatedIdentityCredentials$`)),
        error: expect.stringMatching(/^403 Authorization_RequestDenied from .*\/beta\/applications\/.*: the Graph credential \(TRUSTSCOPE_GRAPH_TOKEN\) needs the Application\.Read\.All application permission \(the claimsMatchingExpression of credential 'acme-any-repo' of app registration 'gh-acme-deployer' \(client ID 5e1f7a00-0000-4000-8000-00000000a991\), which only Graph beta returns\)$/),
      },
    ]);
    const app = inventory.entra!.applications.find((a) => a.appId === FLEXIBLE.app.appId)!;
    expect(app.federatedIdentityCredentials.find((f) => f.name === "acme-any-repo")).toEqual({ id: "5e1f7a00-0000-4000-8000-0000000f1c01", name: "acme-any-repo", issuer: "https://token.actions.githubusercontent.com", subject: "", audiences: ["api://AzureADTokenExchange"], description: null });
    expect(inventory.entra!.applications).toHaveLength(scenario.entra!.applications.length);
  });
});
