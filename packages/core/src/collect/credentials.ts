/**
 * Credentials for Graph and ARM: bearer tokens from TRUSTSCOPE_GRAPH_TOKEN / TRUSTSCOPE_ARM_TOKEN
 * used as they are, otherwise @azure/identity's default chain (Azure CLI, environment, workload
 * identity, managed identity) — or, when a federated login is given, one
 * `ClientAssertionCredential` whose assertion comes from the caller (a Buildkite OIDC token).
 */
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { ClientAssertionCredential, DefaultAzureCredential } from "@azure/identity";
import { CLOUDS, type CloudEndpoints } from "./clouds.ts";

export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
  };
}

export interface AzureCredentials {
  graph: TokenCredential;
  arm: TokenCredential;
  graphName: string;
  armName: string;
}

/**
 * Log in as an app registration or managed identity with a client assertion: a token from an
 * identity provider that one of its federated credentials trusts. Used for both Graph and ARM;
 * the static-token variables are ignored.
 */
export interface FederatedLogin {
  /** The client (application) ID to log in as. */
  clientId: string;
  /** Returns a fresh assertion (a JWT) each time MSAL needs one. */
  getAssertion: () => Promise<string>;
  /** How messages name this credential, e.g. "the Buildkite OIDC federated credential". */
  name: string;
  /** Called with every access token obtained, so the caller can keep it out of its output. */
  onToken?: (token: string) => void;
}

export interface AzureCredentialOptions {
  /** A credential to use instead of the default chain (static tokens still win). */
  fallback?: TokenCredential;
  /** Log in with a client assertion instead; static tokens are then ignored. */
  federated?: FederatedLogin;
  /**
   * The Entra authority to log in at; default the cloud's. A host that is not one of the known
   * clouds' authorities (a proxy, a test server) is trusted as given: no instance discovery.
   */
  authorityHost?: string;
}

const KNOWN_AUTHORITIES = new Set(Object.values(CLOUDS).map((c) => new URL(c.authorityHost).host));

/** Whether MSAL should skip its instance discovery (which asks Microsoft about the authority). */
function customAuthority(authorityHost: string): boolean {
  try {
    return !KNOWN_AUTHORITIES.has(new URL(authorityHost).host);
  } catch {
    return true;
  }
}

/**
 * One `ClientAssertionCredential` for a federated login. Every access token goes to `onToken`, and
 * a failure to get one says which credential failed (the collectors put it in coverage gaps).
 */
export function clientAssertionCredential(tenantId: string, login: FederatedLogin, authorityHost: string): TokenCredential {
  const credential = new ClientAssertionCredential(tenantId, login.clientId, login.getAssertion, {
    authorityHost,
    ...(customAuthority(authorityHost) ? { disableInstanceDiscovery: true } : {}),
  });
  return {
    getToken: async (scopes, options) => {
      let token: AccessToken | null;
      try {
        token = await credential.getToken(scopes, options);
      } catch (e) {
        if (e instanceof Error && !e.message.startsWith(login.name)) e.message = `${login.name} could not get a token: ${e.message}`;
        throw e;
      }
      if (token) login.onToken?.(token.token);
      return token;
    },
  };
}

function isTokenCredential(x: TokenCredential | AzureCredentialOptions): x is TokenCredential {
  return typeof (x as Partial<TokenCredential>).getToken === "function";
}

/**
 * The Graph and ARM credentials for a live scan. The fourth argument is either a fallback
 * credential (used instead of the default chain) or options; with `federated`, both are the
 * same client-assertion credential and TRUSTSCOPE_GRAPH_TOKEN / TRUSTSCOPE_ARM_TOKEN are ignored.
 */
export function azureCredentials(
  env: NodeJS.ProcessEnv,
  cloud: CloudEndpoints,
  tenantId: string | undefined,
  fallbackOrOptions?: TokenCredential | AzureCredentialOptions,
): AzureCredentials {
  const options: AzureCredentialOptions = fallbackOrOptions === undefined ? {} : isTokenCredential(fallbackOrOptions) ? { fallback: fallbackOrOptions } : fallbackOrOptions;
  const authorityHost = options.authorityHost ?? cloud.authorityHost;
  if (options.federated) {
    if (!tenantId) throw new Error("a federated login needs the tenant ID");
    const credential = clientAssertionCredential(tenantId, options.federated, authorityHost);
    return { graph: credential, arm: credential, graphName: options.federated.name, armName: options.federated.name };
  }
  const fallback = options.fallback;
  let chain: TokenCredential | undefined = fallback;
  const defaultChain = () => (chain ??= new DefaultAzureCredential({ ...(tenantId ? { tenantId } : {}), authorityHost }));
  const graphToken = env.TRUSTSCOPE_GRAPH_TOKEN;
  const armToken = env.TRUSTSCOPE_ARM_TOKEN;
  const chainName = fallback ? "the Buildkite OIDC federated credential" : "the Azure default credential chain";
  return {
    graph: graphToken ? staticTokenCredential(graphToken) : defaultChain(),
    arm: armToken ? staticTokenCredential(armToken) : defaultChain(),
    graphName: graphToken ? "TRUSTSCOPE_GRAPH_TOKEN" : chainName,
    armName: armToken ? "TRUSTSCOPE_ARM_TOKEN" : chainName,
  };
}
