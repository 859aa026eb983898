/**
 * @trustscope/core: the inventory model and its loader, the trust graph, RBAC evaluation, the
 * rule engine, the policy and the reporters. It knows no specific rule.
 *
 * Live collection (and the SDKs it needs) is `@trustscope/core/collect`, the HTML report
 * `@trustscope/core/html`: separate entry points, loaded only by what uses them.
 */
export * from "./model/inventory.ts";
export * from "./model/finding.ts";
export { parseInventory, inventorySchema } from "./inventory/load-inventory.ts";
export { JsonLocator } from "./util/json-locate.ts";
export { canonicalInventory } from "./inventory/canonical.ts";
export { CLOUDS, CLOUD_NAMES, type CloudEndpoints } from "./collect/clouds.ts";
export { DEFAULTS as COLLECT_DEFAULTS, type CollectOptions } from "./collect/options.ts";
export { Redactor, REDACTED, MIN_DERIVED, PARTIAL_ECHO } from "./util/redactor.ts";
export { BUILDKITE_QUERIES } from "./collect/buildkite-queries.ts";
export { UsageError, errorMessage } from "./util/errors.ts";
export { readBounded } from "./util/bounded-file.ts";
export * from "./azure/scope.ts";
export * from "./azure/rbac.ts";
export * from "./buildkite/oidc.ts";
export * from "./graph/trust-graph.ts";
export { readClaimsExpression, parseClaimsExpression, compareBreadth, describeMatch, flexibleIssuerPlatform, globMatches, type ClaimsClause, type ClaimsExpressionReading, type Breadth } from "./graph/claims-expression.ts";
export * from "./graph/queries.ts";
export * from "./graph/access.ts";
export * from "./graph/activity.ts";
export * from "./graph/trust-map.ts";
export * from "./issuers/index.ts";
export { exactSubject, githubFor, githubRepositoryFor, deadOnGitHub, whyNoToken } from "./graph/github-answers.ts";
export {
  buildTrustMap,
  renderTrustMapJson,
  NO_CLUSTER,
  ABOVE_SUBSCRIPTIONS,
  pipelineNodeId,
  credentialNodeId,
  workloadNodeId,
  identityNodeId,
  scopeNodeId,
  findingNodes,
  findingNodeIds,
  findingSubjectIds,
  type FindingNodeIds,
} from "./graph/build-trust-map.ts";
export { renderDot } from "./report/graph-dot.ts";
export { renderMermaid } from "./report/graph-mermaid.ts";
export * from "./policy/policy.ts";
export { parsePolicy } from "./policy/load-policy.ts";
export { findInlineSuppressions } from "./repo/inline-suppressions.ts";
export { parseBaseline, applyBaseline, type Baseline, type BaselineFinding } from "./policy/baseline.ts";
export { EnvironmentClassifier, nameLooksProduction, nameLooksNonProduction, type Verdict, type WorkloadVerdict } from "./policy/environments.ts";
export * from "./engine/rule.ts";
export * from "./model/repo.ts";
export { loadRepo, isPipelinePath, type LoadedRepo } from "./repo/load-repo.ts";
export { analyzeRepo, type AnalyzeRepoOptions, normalizeRepoUrl, pipelinesForRepo, resolveValue, DEFAULT_SUBJECT_CLAIM, at, type AzureTokenUse, type RepoAnalysis, type Resolved } from "./repo/analyze.ts";
export { readPipeline } from "./repo/pipeline/read-pipeline.ts";
export { loadHclParser, type HclParser } from "./repo/terraform/read-hcl.ts";
export { readTerraform, readTerraformPlanFile, TERRAFORM_FILE, type TerraformRead } from "./repo/terraform/index.ts";
export { joinTerraform, pipelineSlug, type TerraformModel, type DeclaredObjects, type DeclaredOrigin } from "./repo/terraform/join.ts";
export type { DeclaredConfiguration, DeclaredResource, DeclaredProvider, TfValue, TfRef } from "./repo/terraform/declared.ts";
export { overlayDeclared, type DeclaredOverlay } from "./engine/declared-overlay.ts";
export { BUILTIN_ROLES, builtinRoleByName, builtinRoleByGuid } from "./azure/builtin-roles.ts";
export { readWorkflow, isWorkflowPath, grantsIdToken, actionName, type ReadWorkflowResult } from "./repo/github-workflows/read-workflow.ts";
export { githubJobSubjects, githubRepositoryOf, githubIssuerFor, githubValueLiteral, type ExpectedGitHubSubject, type GitHubJobSubjects } from "./repo/github-workflows/subjects.ts";
export * from "./engine/evaluate.ts";
export { validateRule, rulesOfModule, RULE_ID_PATTERN } from "./engine/validate-rule.ts";
export { loadRulePacks, loadPolicyRules, ruleSetFor, type RulePack, type LoadRulePacksOptions } from "./rule-packs/load-rule-packs.ts";
export * from "./scan/scan.ts";
export * from "./report/report.ts";
export { renderJson } from "./report/json.ts";
export { renderSarif, type SarifOptions } from "./report/sarif.ts";
export { renderMarkdown } from "./report/markdown.ts";
export type { HtmlOptions, TrustPathRow } from "./report/html.ts";
export { renderTable } from "./report/table.ts";
export { terminalText, terminalLines, gapLines, mdText, mdCode, jsonText } from "./report/escape.ts";
export { diffInventories, renderDiffTable, renderDiffMarkdown, renderDiffJson, DIFF_CHANGE_KINDS, type InventoryDiff, type DiffChange, type DiffChangeKind, type DiffRisk } from "./diff/diff.ts";
