/**
 * A loopback HTTPS stand-in for the Entra authority (login.microsoftonline.com): OpenID discovery
 * and the v2.0 token endpoint, enough for MSAL's client-credentials flow with a client assertion.
 * It records every token request and answers with the access token configured for the scope.
 */
import { createServer } from "node:https";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";

/** The part of `selfsigned` (the emulator's dependency) used here. */
interface SelfSigned {
  generate(
    attrs: { name: string; value: string }[],
    opts: Record<string, unknown>,
  ): Promise<{ private: string; cert: string }>;
}

/**
 * A certificate of its own, with a subject the emulator's does not share: two self-signed
 * certificates with one subject in NODE_EXTRA_CA_CERTS make OpenSSL pick the wrong one.
 */
async function certificate(): Promise<{ key: string; cert: string }> {
  const require = createRequire(new URL("../../packages/emulator/package.json", import.meta.url));
  const { generate } = require("selfsigned") as SelfSigned;
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: "commonName", value: "trustscope-test-entra-authority" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 24 * 3600_000),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

export interface TokenRequest {
  tenant: string;
  form: Record<string, string>;
}

export interface EntraAuthority {
  /** `https://127.0.0.1:PORT` (give it as `--authority-url`). */
  url: string;
  /** The self-signed certificate the server presents. */
  caPem: string;
  tokenRequests: TokenRequest[];
  /** Paths of every request, in order. */
  paths: string[];
  close(): Promise<void>;
}

export async function startEntraAuthority(opts: {
  /** The access token to issue for a scope (matched by substring), or an error. */
  tokenFor: (scope: string, form: Record<string, string>) => string | { status: number; error: string; description: string };
}): Promise<EntraAuthority> {
  const tls = await certificate();
  const tokenRequests: TokenRequest[] = [];
  const paths: string[] = [];
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d: string) => (body += d));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "https://127.0.0.1");
      paths.push(url.pathname);
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(value));
      };
      const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
      if (req.method === "GET" && discovery) {
        const tenant = discovery[1]!;
        return json(200, {
          issuer: `${origin}/${tenant}/v2.0`,
          authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/authorize`,
          token_endpoint: `${origin}/${tenant}/oauth2/v2.0/token`,
          end_session_endpoint: `${origin}/${tenant}/oauth2/v2.0/logout`,
          jwks_uri: `${origin}/${tenant}/discovery/v2.0/keys`,
          response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
          subject_types_supported: ["pairwise"],
          id_token_signing_alg_values_supported: ["RS256"],
          token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        });
      }
      const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
      if (req.method === "POST" && token) {
        const form = Object.fromEntries(new URLSearchParams(body));
        tokenRequests.push({ tenant: token[1]!, form });
        const answer = opts.tokenFor(form.scope ?? "", form);
        if (typeof answer !== "string") {
          return json(answer.status, { error: answer.error, error_description: answer.description, error_codes: [70021], trace_id: "t", correlation_id: "c" });
        }
        return json(200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: answer });
      }
      json(404, { error: "not_found", error_description: `no route for ${req.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: tls.cert,
    tokenRequests,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
