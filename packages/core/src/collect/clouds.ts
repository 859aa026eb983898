/** Endpoints per Azure cloud, by the names `az cloud list` uses. */
import type { AzureCloudName } from "../model/inventory.ts";
import { TOKEN_EXCHANGE_AUDIENCES } from "../buildkite/oidc.ts";

export interface CloudEndpoints {
  name: AzureCloudName;
  authorityHost: string;
  graphUrl: string;
  /** Token scope for Microsoft Graph (stays the cloud's even when --graph-url points elsewhere). */
  graphScope: string;
  armUrl: string;
  armScope: string;
  tokenExchangeAudience: string;
}

export const CLOUDS: Record<AzureCloudName, CloudEndpoints> = {
  AzureCloud: {
    name: "AzureCloud",
    authorityHost: "https://login.microsoftonline.com",
    graphUrl: "https://graph.microsoft.com",
    graphScope: "https://graph.microsoft.com/.default",
    armUrl: "https://management.azure.com",
    armScope: "https://management.azure.com/.default",
    tokenExchangeAudience: TOKEN_EXCHANGE_AUDIENCES.AzureCloud,
  },
  AzureUSGovernment: {
    name: "AzureUSGovernment",
    authorityHost: "https://login.microsoftonline.us",
    graphUrl: "https://graph.microsoft.us",
    graphScope: "https://graph.microsoft.us/.default",
    armUrl: "https://management.usgovcloudapi.net",
    armScope: "https://management.usgovcloudapi.net/.default",
    tokenExchangeAudience: TOKEN_EXCHANGE_AUDIENCES.AzureUSGovernment,
  },
  AzureChinaCloud: {
    name: "AzureChinaCloud",
    authorityHost: "https://login.chinacloudapi.cn",
    graphUrl: "https://microsoftgraph.chinacloudapi.cn",
    graphScope: "https://microsoftgraph.chinacloudapi.cn/.default",
    armUrl: "https://management.chinacloudapi.cn",
    armScope: "https://management.chinacloudapi.cn/.default",
    tokenExchangeAudience: TOKEN_EXCHANGE_AUDIENCES.AzureChinaCloud,
  },
};

export const CLOUD_NAMES = Object.keys(CLOUDS) as AzureCloudName[];
