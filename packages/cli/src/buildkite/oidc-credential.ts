/**
 * `--azure-auth buildkite-oidc`: log in to Azure the way Buildkite recommends, with no secret. Inside
 * a Buildkite job, `buildkite-agent oidc request-token` mints a short-lived OIDC token for the
 * cloud's token-exchange audience; Entra exchanges it (client-assertion flow) for Graph and ARM
 * tokens of the app registration or managed identity whose federated credential trusts it.
 */
import { execFile } from "node:child_process";
import type { CloudEndpoints, Redactor } from "@trustscope/core";
import { azureCredentials, type AzureCredentials } from "@trustscope/core/collect";
import { AGENT } from "./annotate.ts";

export const OIDC_CREDENTIAL_NAME = "the Buildkite OIDC federated credential";

export interface OidcAssertionOptions {
  /** The token's `aud`: the cloud's token-exchange audience, e.g. `api://AzureADTokenExchange`. */
  audience: string;
  /** `--subject-claim`; without it the agent uses BUILDKITE_OIDC_TOKEN_SUBJECT_CLAIM or its default. */
  subjectClaim?: string;
  /** The agent's environment (its PATH finds the agent; it needs BUILDKITE_JOB_ID and its access token). */
  env: NodeJS.ProcessEnv;
  /** Called with every token before it is returned, so it can be redacted from all output. */
  onToken?: (token: string) => void;
  /** The agent executable; default `buildkite-agent` on PATH. */
  agent?: string;
  timeoutMs?: number;
}

/** The arguments of `buildkite-agent` for one token. */
export function requestTokenArgs(audience: string, subjectClaim?: string): string[] {
  return ["oidc", "request-token", "--audience", audience, ...(subjectClaim ? ["--subject-claim", subjectClaim] : [])];
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * A `getAssertion` for `ClientAssertionCredential`: runs the agent (execFile, no shell) each time
 * MSAL needs an assertion and returns the token it prints. Errors name the agent's complaint but
 * never its stdout (which could hold a token).
 */
export function buildkiteOidcAssertion(opts: OidcAssertionOptions): () => Promise<string> {
  const agent = opts.agent ?? AGENT;
  const args = requestTokenArgs(opts.audience, opts.subjectClaim);
  return () =>
    new Promise<string>((resolve, reject) => {
      execFile(
        agent,
        args,
        { env: opts.env, encoding: "utf8", timeout: opts.timeoutMs ?? 120_000, maxBuffer: 1024 * 1024, windowsHide: true },
        (error, stdout, stderr) => {
          if (error) {
            const { code, killed, signal } = error as { code?: string | number | null; killed?: boolean; signal?: string | null };
            if (code === "ENOENT") {
              reject(new Error(`${agent} was not found on PATH; --azure-auth buildkite-oidc works only inside a Buildkite job`));
              return;
            }
            const last = String(stderr).trim().split("\n").filter(Boolean).pop()?.trim().slice(0, 500);
            const how = killed ? `timed out${signal ? ` (${signal})` : ""}` : typeof code === "number" ? `exited with ${code}` : `failed (${code ?? error.message})`;
            reject(new Error(`${agent} ${args.slice(0, 2).join(" ")} ${how}${last ? `: ${last}` : ""}`));
            return;
          }
          const token = String(stdout).trim();
          if (!JWT.test(token)) {
            reject(new Error(`${agent} ${args.slice(0, 2).join(" ")} did not print a JWT`));
            return;
          }
          opts.onToken?.(token);
          resolve(token);
        },
      );
    });
}

export interface BuildkiteOidcLogin {
  tenantId: string;
  clientId: string;
  cloud: CloudEndpoints;
  subjectClaim?: string;
  /** Override the cloud's Entra authority (a proxy or a test server). */
  authorityHost?: string;
  env: NodeJS.ProcessEnv;
  /** The OIDC token and every access token are added to it before anything can print them. */
  redactor: Redactor;
  agent?: string;
}

/**
 * Graph and ARM credentials for `--azure-auth buildkite-oidc`: one
 * `ClientAssertionCredential(tenantId, clientId, getAssertion, { authorityHost })` for both.
 * TRUSTSCOPE_GRAPH_TOKEN / TRUSTSCOPE_ARM_TOKEN are ignored.
 */
export function buildkiteOidcCredentials(login: BuildkiteOidcLogin): AzureCredentials {
  const getAssertion = buildkiteOidcAssertion({
    audience: login.cloud.tokenExchangeAudience,
    ...(login.subjectClaim ? { subjectClaim: login.subjectClaim } : {}),
    env: login.env,
    onToken: (t) => login.redactor.add(t),
    ...(login.agent ? { agent: login.agent } : {}),
  });
  return azureCredentials(login.env, login.cloud, login.tenantId, {
    federated: { clientId: login.clientId, getAssertion, name: OIDC_CREDENTIAL_NAME, onToken: (t) => login.redactor.add(t) },
    ...(login.authorityHost ? { authorityHost: login.authorityHost } : {}),
  });
}
