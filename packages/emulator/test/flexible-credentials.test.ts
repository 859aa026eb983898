/**
 * Flexible federated credentials as the published examples show them: Graph v1.0 gives subject
 * null and no claimsMatchingExpression, Graph beta the expression; ARM gives
 * properties.claimsMatchingExpression from 2025-01-31-preview on and leaves it out before.
 */
import { describe, expect, it } from "vitest";
import { APP_EXPRESSION, FLEXIBLE, flexibleScenario, MI_EXPRESSION } from "../../../test/support/flexible-scenario.ts";
import { demo, emulatorPerTest, type Json } from "./helpers.ts";

const start = emulatorPerTest();
const scenario = flexibleScenario(demo);
const app = FLEXIBLE.app.objectId;

describe("flexible credentials in the emulator", () => {
  it("Graph v1.0: subject null and no claimsMatchingExpression property, listed or expanded", async () => {
    const { emu, http } = await start({ scenario });
    const listed = await http.get(`${emu.graphUrl}/v1.0/applications/${app}/federatedIdentityCredentials`, emu.tokens.graph);
    const [flexible, plain] = listed.body.value as Json[];
    expect(flexible).toMatchObject({ name: "acme-any-repo", subject: null });
    expect(flexible).not.toHaveProperty("claimsMatchingExpression");
    expect(plain).toMatchObject({ name: "acme-app-main", subject: "repo:acme/app:ref:refs/heads/main" });
    const expanded = await http.get(`${emu.graphUrl}/v1.0/applications?$filter=id eq '${app}'&$expand=federatedIdentityCredentials`, emu.tokens.graph);
    const fics = ((expanded.body.value as Json[])[0]!.federatedIdentityCredentials as Json[]);
    expect(fics.map((f) => [f.name, f.subject, "claimsMatchingExpression" in f])).toEqual([["acme-any-repo", null, false], ["acme-app-main", "repo:acme/app:ref:refs/heads/main", false]]);
    const select = await http.get(`${emu.graphUrl}/v1.0/applications/${app}/federatedIdentityCredentials?$select=claimsMatchingExpression`, emu.tokens.graph);
    expect(select.status).toBe(400);
  });

  it("Graph beta: the expression as a federatedIdentityExpression, null for a subject credential; in $batch too", async () => {
    const { emu, http } = await start({ scenario });
    const listed = await http.get(`${emu.graphUrl}/beta/applications/${app}/federatedIdentityCredentials`, emu.tokens.graph);
    expect(listed.status).toBe(200);
    expect(listed.body["@odata.context"]).toBe(`${emu.graphUrl}/beta/$metadata#applications('${app}')/federatedIdentityCredentials`);
    const [flexible, plain] = listed.body.value as Json[];
    expect(flexible).toMatchObject({ name: "acme-any-repo", subject: null, claimsMatchingExpression: { "@odata.type": "#microsoft.graph.federatedIdentityExpression", languageVersion: 1, value: APP_EXPRESSION } });
    expect(plain).toMatchObject({ subject: "repo:acme/app:ref:refs/heads/main", claimsMatchingExpression: null });
    const batch = await http.post(`${emu.graphUrl}/beta/$batch`, { requests: [{ id: "1", method: "GET", url: `/applications/${app}/federatedIdentityCredentials?$select=name,claimsMatchingExpression` }] }, emu.tokens.graph);
    const [inner] = (batch.body as { responses: { status: number; body: Json }[] }).responses;
    expect(inner!.status).toBe(200);
    expect((inner!.body.value as Json[])[0]).toEqual({ name: "acme-any-repo", claimsMatchingExpression: { "@odata.type": "#microsoft.graph.federatedIdentityExpression", languageVersion: 1, value: APP_EXPRESSION } });
    expect(emu.requests.find((r) => r.batchInner)?.path).toBe(`/beta/applications/${app}/federatedIdentityCredentials?$select=name,claimsMatchingExpression`);
    expect((await http.get(`${emu.graphUrl}/v2.0/applications`, emu.tokens.graph)).status).toBe(400);
  });

  it("ARM: properties.claimsMatchingExpression from 2025-01-31-preview, left out by earlier versions; no subject either way", async () => {
    const { emu, http } = await start({ scenario });
    const mi = scenario.azure!.managedIdentities.find((m) => m.name === FLEXIBLE.managedIdentity.name)!;
    const list = (version: string) => http.get(`${emu.armUrl}${mi.id}/federatedIdentityCredentials?api-version=${version}`, emu.tokens.arm);
    const preview = ((await list("2025-01-31-preview")).body.value as Json[])[0]!;
    expect(preview).toEqual({
      id: `${mi.id}/federatedIdentityCredentials/payments`,
      name: "payments",
      type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
      properties: { issuer: "https://oidc.prod-aks.azure.com/tenant/issuer", audiences: ["api://AzureADTokenExchange"], claimsMatchingExpression: { languageVersion: 1, value: MI_EXPRESSION } },
    });
    const ga = ((await list("2023-01-31")).body.value as Json[])[0]!;
    expect(ga.properties).toEqual({ issuer: "https://oidc.prod-aks.azure.com/tenant/issuer", audiences: ["api://AzureADTokenExchange"] });
  });
});
