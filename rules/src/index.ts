/**
 * @trustscope/rules: the built-in rule pack. Each rule is one module with its metadata and a
 * pure check; its documentation (with a failing and a passing example) is docs/<id>.md, embedded
 * in docs.generated.ts so the pack does no I/O.
 */
import { ENGINE_RULES, type Rule, type RuleMeta } from "@trustscope/core";
import { RULE_DOCS } from "./docs.generated.ts";
import { clientSecretOnFederatedApp } from "./rules/client-secret-on-federated-app.ts";
import { compoundSubject } from "./rules/compound-subject.ts";
import { forkBuildsOnTrustedPipeline } from "./rules/fork-builds-on-trusted-pipeline.ts";
import { issuerNearMiss } from "./rules/issuer-near-miss.ts";
import { missingStorageDataRole } from "./rules/missing-storage-data-role.ts";
import { orgScopedTrust } from "./rules/org-scoped-trust.ts";
import { overbroadSubject } from "./rules/overbroad-subject.ts";
import { ownerWhereContributorWouldDo } from "./rules/owner-where-contributor-would-do.ts";
import { sharedIdentityAcrossEnvironments } from "./rules/shared-identity-across-environments.ts";
import { unconstrainedRoleAssignment } from "./rules/unconstrained-role-assignment.ts";
import { unexpectedAudience } from "./rules/unexpected-audience.ts";
import { unresolvedSubject } from "./rules/unresolved-subject.ts";
import { clientSecretLogin } from "./rules/client-secret-login.ts";
import { subjectClaimMismatch } from "./rules/subject-claim-mismatch.ts";
import { tokenSharedBetweenSteps } from "./rules/token-shared-between-steps.ts";
import { unguardedTokenRequest } from "./rules/unguarded-token-request.ts";
import { wildcardClaimsExpression } from "./rules/wildcard-claims-expression.ts";
import { uploadTimeInterpolation } from "./rules/upload-time-interpolation.ts";
import { roleDecidedAtDeploy } from "./rules/role-decided-at-deploy.ts";
import { narrowerRoleWouldDo } from "./rules/narrower-role-would-do.ts";
import { dormantPrivilegedIdentity } from "./rules/dormant-privileged-identity.ts";
import { pullRequestSubject } from "./rules/pull-request-subject.ts";
import { unprotectedEnvironmentSubject } from "./rules/unprotected-environment-subject.ts";
import { wildcardExpression } from "./rules/wildcard-expression.ts";
import { customisedSubjectMismatch } from "./rules/customised-subject-mismatch.ts";
import { subjectNamesMissingRepository } from "./rules/subject-names-missing-repository.ts";
import { azureLoginOnUntrustedTrigger } from "./rules/azure-login-on-untrusted-trigger.ts";

const modules: Rule[] = [
  orgScopedTrust,
  wildcardClaimsExpression,
  forkBuildsOnTrustedPipeline,
  ownerWhereContributorWouldDo,
  missingStorageDataRole,
  unconstrainedRoleAssignment,
  sharedIdentityAcrossEnvironments,
  overbroadSubject,
  clientSecretOnFederatedApp,
  issuerNearMiss,
  unexpectedAudience,
  unresolvedSubject,
  compoundSubject,
  clientSecretLogin,
  tokenSharedBetweenSteps,
  subjectClaimMismatch,
  unguardedTokenRequest,
  uploadTimeInterpolation,
  roleDecidedAtDeploy,
  narrowerRoleWouldDo,
  dormantPrivilegedIdentity,
  pullRequestSubject,
  unprotectedEnvironmentSubject,
  wildcardExpression,
  customisedSubjectMismatch,
  subjectNamesMissingRepository,
  azureLoginOnUntrustedTrigger,
];

function docsFor(id: string): string {
  const docs = RULE_DOCS[id];
  if (docs === undefined) throw new Error(`rule ${id} has no documentation in docs/${id}.md (run the docs:embed script)`);
  return docs;
}

function withDocs(meta: RuleMeta): RuleMeta {
  return { ...meta, docs: docsFor(meta.id) };
}

/** Every built-in rule, with documentation attached. */
export const builtinRules: Rule[] = modules.map((r) => ({ ...r, meta: withDocs(r.meta) }));

/** Metadata of rules the engine reports itself (policy diagnostics), documented here too. */
export const engineRules: RuleMeta[] = ENGINE_RULES.map(withDocs);

export {
  orgScopedTrust,
  wildcardClaimsExpression,
  forkBuildsOnTrustedPipeline,
  ownerWhereContributorWouldDo,
  missingStorageDataRole,
  unconstrainedRoleAssignment,
  sharedIdentityAcrossEnvironments,
  overbroadSubject,
  clientSecretOnFederatedApp,
  issuerNearMiss,
  unexpectedAudience,
  unresolvedSubject,
  compoundSubject,
  clientSecretLogin,
  tokenSharedBetweenSteps,
  subjectClaimMismatch,
  unguardedTokenRequest,
  narrowerRoleWouldDo,
  dormantPrivilegedIdentity,
  pullRequestSubject,
  unprotectedEnvironmentSubject,
  wildcardExpression,
  customisedSubjectMismatch,
  subjectNamesMissingRepository,
  azureLoginOnUntrustedTrigger,
};
