/**
 * The GraphQL documents the Buildkite collector sends. Each validates against Buildkite's
 * published schema (a test checks it). Connections are paged with `first`/`after` to the end.
 */

const PAGE_INFO = "pageInfo { hasNextPage endCursor }";

// Settings differ per provider type; GitHub and GitHub Enterprise share the field set, and the
// fields selected in both fragments have the same (non-null) types, so they merge.
const GITHUB_SETTINGS = `settings {
  buildPullRequests buildPullRequestForks prefixPullRequestForkBranchNames buildBranches buildTags
  filterEnabled filterCondition pullRequestBranchFilterEnabled pullRequestBranchFilterConfiguration triggerMode
}`;

export const ORGANIZATION_QUERY = `query TrustscopeOrganization($slug: ID!) {
  organization(slug: $slug) { id uuid slug name }
}`;

/**
 * Nested connections page with `$nested`, smaller than `$first`: Buildkite charges requested
 * complexity per possible object, so 500 pipelines × 20 teams (≈ 24,000 points) stays under the
 * 50,000 a query may request, where 500 × 500 would not. Longer nested lists are paged after.
 */
export const CLUSTERS_QUERY = `query TrustscopeClusters($slug: ID!, $first: Int!, $nested: Int = 20, $after: String) {
  organization(slug: $slug) {
    clusters(first: $first, after: $after) {
      ${PAGE_INFO}
      edges { node { id uuid name queues(first: $nested) { ${PAGE_INFO} edges { node { uuid key } } } } }
    }
  }
}`;

export const CLUSTER_QUEUES_QUERY = `query TrustscopeClusterQueues($slug: ID!, $cluster: ID!, $first: Int!, $after: String) {
  organization(slug: $slug) {
    cluster(id: $cluster) { queues(first: $first, after: $after) { ${PAGE_INFO} edges { node { uuid key } } } }
  }
}`;

export const PIPELINES_QUERY = `query TrustscopePipelines($slug: ID!, $first: Int!, $nested: Int = 20, $after: String) {
  organization(slug: $slug) {
    pipelines(first: $first, after: $after) {
      ${PAGE_INFO}
      edges {
        node {
          id uuid slug name visibility defaultBranch
          cluster { uuid }
          repository {
            url
            provider {
              __typename
              ... on RepositoryProviderGithub { ${GITHUB_SETTINGS} }
              ... on RepositoryProviderGithubEnterprise { ${GITHUB_SETTINGS} }
              ... on RepositoryProviderBitbucket { settings { buildPullRequests buildBranches buildTags filterEnabled filterCondition } }
            }
          }
          steps { yaml }
          teams(first: $nested) { ${PAGE_INFO} edges { node { accessLevel team { uuid slug } } } }
        }
      }
    }
  }
}`;

export const PIPELINE_TEAMS_QUERY = `query TrustscopePipelineTeams($pipeline: ID!, $first: Int!, $after: String) {
  node(id: $pipeline) {
    ... on Pipeline { teams(first: $first, after: $after) { ${PAGE_INFO} edges { node { accessLevel team { uuid slug } } } } }
  }
}`;

export const AGENTS_QUERY = `query TrustscopeAgents($slug: ID!, $first: Int!, $after: String) {
  organization(slug: $slug) {
    agents(first: $first, after: $after) {
      ${PAGE_INFO}
      edges { node { uuid name version clusterQueue { uuid } } }
    }
  }
}`;

export const BUILDKITE_QUERIES = {
  ORGANIZATION_QUERY,
  CLUSTERS_QUERY,
  CLUSTER_QUEUES_QUERY,
  PIPELINES_QUERY,
  PIPELINE_TEAMS_QUERY,
  AGENTS_QUERY,
};
