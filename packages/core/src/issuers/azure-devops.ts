/**
 * Azure DevOps service-connection subjects. Two forms: `sc://ORGANIZATION/PROJECT/CONNECTION`
 * (issuer `https://vstoken.dev.azure.com/<organization id>`, formerly
 * `https://app.vstoken.visualstudio.com/<organization id>`), and the Entra-issued form
 * `/eid1/c/pub/t/<tenant>/a/<app>/sc/<organization id>/<connection id>` (issuer
 * `https://login.microsoftonline.com/<tenant>/v2.0`) that newer connections show as
 * `workloadIdentityFederationSubject`. A pipeline's own token (requested without a service
 * connection) has the subject `p://ORGANIZATION/PROJECT/PIPELINE` from the same issuer
 * (gravitational/teleport rfd/0211-azure-devops-joining.md quotes one).
 */
import { ADO_ENTRA_SUBJECT, keywordCaseProblem, literalWildcardProblem } from "./platform.ts";
import type { AzureDevOpsSubject } from "./types.ts";

export interface AzureDevOpsSubjectReading {
  subject?: AzureDevOpsSubject;
  problem?: string;
}

export function readAzureDevOpsSubject(subject: string): AzureDevOpsSubjectReading {
  const byId = ADO_ENTRA_SUBJECT.exec(subject);
  if (byId) {
    const [organizationId, serviceConnectionId] = [byId[3]!, byId[4]!];
    return { subject: { organization: organizationId, project: "", connection: serviceConnectionId, organizationId, serviceConnectionId } };
  }
  if (subject.slice(0, 4).toLowerCase() === "p://") return readPipelineSubject(subject);
  const scheme = subject.slice(0, 5);
  if (scheme.toLowerCase() !== "sc://") return { problem: "the subject is neither sc://ORGANIZATION/PROJECT/CONNECTION, p://ORGANIZATION/PROJECT/PIPELINE nor /eid1/…/sc/ORGANIZATION_ID/CONNECTION_ID" };
  const rest = subject.slice(5);
  const first = rest.indexOf("/");
  const second = first < 0 ? -1 : rest.indexOf("/", first + 1);
  const organization = first < 0 ? rest : rest.slice(0, first);
  const project = first < 0 ? "" : second < 0 ? rest.slice(first + 1) : rest.slice(first + 1, second);
  // A connection's name may hold '/', an organisation's or project's may not.
  const connection = second < 0 ? "" : rest.slice(second + 1);
  const out: AzureDevOpsSubject = { organization, project, connection };
  const problem =
    (scheme !== "sc://" ? keywordCaseProblem(scheme, "sc://") : undefined) ??
    literalWildcardProblem(rest) ??
    (organization === "" || project === "" || connection === "" ? "the subject is not sc://ORGANIZATION/PROJECT/CONNECTION (a part is empty or missing): matches no token" : undefined);
  return problem === undefined ? { subject: out } : { subject: out, problem };
}

/** `p://ORGANIZATION/PROJECT/PIPELINE`: a pipeline's own token, not a service connection's. */
function readPipelineSubject(subject: string): AzureDevOpsSubjectReading {
  const scheme = subject.slice(0, 4);
  const rest = subject.slice(4);
  const first = rest.indexOf("/");
  const second = first < 0 ? -1 : rest.indexOf("/", first + 1);
  const organization = first < 0 ? rest : rest.slice(0, first);
  const project = first < 0 ? "" : second < 0 ? rest.slice(first + 1) : rest.slice(first + 1, second);
  const pipeline = second < 0 ? "" : rest.slice(second + 1);
  const out: AzureDevOpsSubject = { organization, project, connection: "", pipeline };
  const problem =
    (scheme !== "p://" ? keywordCaseProblem(scheme, "p://") : undefined) ??
    literalWildcardProblem(rest) ??
    (organization === "" || project === "" || pipeline === "" ? "the subject is not p://ORGANIZATION/PROJECT/PIPELINE (a part is empty or missing): matches no token" : undefined);
  return problem === undefined ? { subject: out } : { subject: out, problem };
}

export function parseAzureDevOpsSubject(subject: string): AzureDevOpsSubject | undefined {
  return readAzureDevOpsSubject(subject).subject;
}

export function describeAzureDevOpsSubject(s: AzureDevOpsSubject): string {
  if (s.pipeline !== undefined) return `pipeline '${s.pipeline}' of Azure DevOps project '${s.organization}/${s.project}'`;
  return s.serviceConnectionId !== undefined
    ? `Azure DevOps service connection ${s.serviceConnectionId} of organisation ${s.organizationId ?? s.organization}`
    : `service connection '${s.connection}' of Azure DevOps project '${s.organization}/${s.project}'`;
}

export function azureDevOpsWorkload(s: AzureDevOpsSubject): string {
  if (s.pipeline !== undefined) return `${s.organization}/${s.project}/${s.pipeline}`;
  return s.serviceConnectionId !== undefined ? `${s.organization}/${s.connection}` : `${s.organization}/${s.project}/${s.connection}`;
}
