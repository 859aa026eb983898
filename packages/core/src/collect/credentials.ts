/**
 * Credentials for Graph and ARM: bearer tokens from TRUSTSCOPE_GRAPH_TOKEN / TRUSTSCOPE_ARM_TOKEN
 * used as they are, otherwise @azure/identity's default chain (Azure CLI, environment, workload
 * identity, managed identity).
 */
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";
import type { CloudEndpoints } from "./clouds.ts";

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

export function azureCredentials(env: NodeJS.ProcessEnv, cloud: CloudEndpoints, tenantId: string | undefined, fallback?: TokenCredential): AzureCredentials {
  let chain: TokenCredential | undefined = fallback;
  const defaultChain = () => (chain ??= new DefaultAzureCredential({ ...(tenantId ? { tenantId } : {}), authorityHost: cloud.authorityHost }));
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
