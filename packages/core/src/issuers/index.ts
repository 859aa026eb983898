/** Reading federated credentials of every issuer Entra accepts tokens from (issue 20). */
export type * from "./types.ts";
export { platformOf, platformName, issuerProblem, githubApiServes, GITHUB_ISSUER, GITLAB_ISSUER, TERRAFORM_CLOUD_ISSUERS } from "./platform.ts";
export {
  DEFAULT_CLAIM_KEYS,
  contextOf,
  contextText,
  effectiveClaimKeys,
  githubSubjectFor,
  parseGitHubSubject,
  readGitHubSubject,
  subjectFollowsTemplate,
  type GitHubSubjectReading,
} from "./github.ts";
export { parseGitLabSubject, readGitLabSubject, type GitLabSubjectReading } from "./gitlab.ts";
export { parseTerraformCloudSubject, readTerraformCloudSubject, type TerraformCloudSubjectReading } from "./terraform-cloud.ts";
export { parseAzureDevOpsSubject, readAzureDevOpsSubject, type AzureDevOpsSubjectReading } from "./azure-devops.ts";
export { parseKubernetesSubject, readKubernetesSubject, type KubernetesSubjectReading } from "./kubernetes.ts";
export { readTrust } from "./read-trust.ts";
export { expressionBreadth } from "./expression-breadth.ts";
