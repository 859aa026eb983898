/**
 * Kubernetes service-account subjects, `system:serviceaccount:NAMESPACE:NAME`, as every cluster's
 * service-account issuer (AKS, EKS, GKE, self-managed) writes them. Namespaces are RFC 1123 labels
 * and service-account names RFC 1123 subdomains: lower case, digits, `-` (and `.` in names).
 */
import { keywordCaseProblem, literalWildcardProblem } from "./platform.ts";
import type { KubernetesSubject } from "./types.ts";

export interface KubernetesSubjectReading {
  subject?: KubernetesSubject;
  problem?: string;
}

const PREFIX = "system:serviceaccount:";

export function readKubernetesSubject(subject: string): KubernetesSubjectReading {
  const head = subject.slice(0, PREFIX.length);
  if (head.toLowerCase() !== PREFIX) return { problem: "the subject is not system:serviceaccount:NAMESPACE:NAME" };
  const rest = subject.slice(PREFIX.length);
  const colon = rest.indexOf(":");
  const namespace = colon < 0 ? rest : rest.slice(0, colon);
  const serviceAccount = colon < 0 ? "" : rest.slice(colon + 1);
  const out: KubernetesSubject = { namespace, serviceAccount };
  const problem =
    (head !== PREFIX ? keywordCaseProblem(head, PREFIX) : undefined) ??
    literalWildcardProblem(rest) ??
    (namespace === "" || serviceAccount === "" ? "the subject names no namespace or no service account: matches no token" : undefined) ??
    (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(namespace) ? `namespace '${namespace}' is not a Kubernetes name (lower-case letters, digits, '-'): matches no token` : undefined) ??
    (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(serviceAccount) ? `service account '${serviceAccount}' is not a Kubernetes name (lower-case letters, digits, '-', '.'): matches no token` : undefined);
  return problem === undefined ? { subject: out } : { subject: out, problem };
}

export function parseKubernetesSubject(subject: string): KubernetesSubject | undefined {
  return readKubernetesSubject(subject).subject;
}

export function describeKubernetesSubject(s: KubernetesSubject): string {
  return `service account '${s.serviceAccount}' in Kubernetes namespace '${s.namespace}'`;
}
