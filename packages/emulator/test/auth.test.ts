import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../src/index.ts";
import { clientFor, demo } from "./helpers.ts";

describe("authentication and TLS", () => {
  let emu: Emulator;
  let http: ReturnType<typeof clientFor>;
  beforeAll(async () => {
    emu = await startEmulator({ scenario: demo, tokens: { arm: "arm-secret-token-123" } });
    http = clientFor(emu);
  });
  afterAll(async () => {
    await http.close();
    await emu.close();
  });

  it("serves HTTPS on loopback with a certificate clients must be told to trust", async () => {
    expect(emu.armUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.graphUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.buildkiteGraphqlUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(emu.foreignUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(new Set([emu.armUrl, emu.graphUrl, emu.foreignUrl, new URL(emu.buildkiteGraphqlUrl).origin]).size).toBe(4);
    expect(emu.caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    // Without the CA, the handshake fails.
    await expect(fetch(`${emu.armUrl}/subscriptions?api-version=2022-12-01`)).rejects.toThrow();
  });

  it("uses the given tokens and the documented defaults", () => {
    expect(emu.tokens).toEqual({ buildkite: "emulator-buildkite-token", graph: "emulator-graph-token", arm: "arm-secret-token-123", github: "emulator-github-token" });
  });

  it("ARM: 401 AuthenticationFailed without a token, InvalidAuthenticationToken with a wrong one", async () => {
    const url = `${emu.armUrl}/subscriptions?api-version=2022-12-01`;
    const missing = await http.get(url);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: { code: "AuthenticationFailed", message: "Authentication failed. The 'Authorization' header is missing." } });
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer authorization_uri="https:\/\/login\.windows\.net\//);
    const wrong = await http.get(url, "emulator-graph-token");
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: { code: "InvalidAuthenticationToken" } });
    expect((await http.get(url, "arm-secret-token-123")).status).toBe(200);
  });

  it("Graph: 401 InvalidAuthenticationToken with innerError", async () => {
    for (const token of [undefined, "wrong"]) {
      const r = await http.get(`${emu.graphUrl}/v1.0/applications`, token);
      expect(r.status).toBe(401);
      const error = r.body.error as { code: string; message: string; innerError: Record<string, string> };
      expect(error.code).toBe("InvalidAuthenticationToken");
      expect(Object.keys(error.innerError).sort()).toEqual(["client-request-id", "date", "request-id"]);
    }
    expect((await http.get(`${emu.graphUrl}/v1.0/applications`, emu.tokens.graph)).status).toBe(200);
  });

  it("Buildkite: HTTP 401 with a JSON message", async () => {
    const query = { query: "{ organization(slug: \"acme\") { uuid } }" };
    for (const token of [undefined, emu.tokens.graph]) {
      const r = await http.post(emu.buildkiteGraphqlUrl, query, token);
      expect(r.status).toBe(401);
      expect(typeof r.body.message).toBe("string");
      expect(r.body).not.toHaveProperty("data");
    }
    expect((await http.post(emu.buildkiteGraphqlUrl, query, emu.tokens.buildkite)).body).toEqual({ data: { organization: { uuid: demo.buildkite!.organization.uuid } } });
  });

  it("records every request with whether it was authorised, never the token itself", () => {
    const unauthorised = emu.requests.filter((r) => r.status === 401);
    expect(unauthorised.length).toBeGreaterThanOrEqual(6);
    expect(unauthorised.every((r) => !r.authorizationValid)).toBe(true);
    expect(unauthorised.some((r) => !r.hasAuthorization)).toBe(true);
    expect(unauthorised.some((r) => r.hasAuthorization)).toBe(true);
    expect(emu.requests.filter((r) => r.status === 200).every((r) => r.authorizationValid && r.hasAuthorization)).toBe(true);
    const log = JSON.stringify(emu.requests);
    for (const token of [...Object.values(emu.tokens), "wrong"]) expect(log).not.toContain(token);
    expect(emu.requests.find((r) => r.api === "buildkite" && r.status === 200)).toMatchObject({ method: "POST", path: "/v1" });
  });

  it("closes its servers (idempotently)", async () => {
    const other = await startEmulator({ scenario: demo });
    await other.close();
    await other.close();
    const c = clientFor(other);
    await expect(c.get(`${other.armUrl}/subscriptions?api-version=2022-12-01`, other.tokens.arm)).rejects.toThrow();
    await c.close();
  });
});
