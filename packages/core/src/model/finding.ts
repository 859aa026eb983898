/** Findings as reported: the JSON report's `findings[]` (see CONTRACT.md). */

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** True when `s` is at least as severe as `threshold`. */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) <= severityRank(threshold);
}

export interface FindingIdentity {
  kind: "application" | "managedIdentity";
  /** Client ID (for a managed identity too). */
  appId: string;
  /** Application object ID, or the managed identity's principal (service principal) ID. */
  objectId: string;
  displayName: string;
}

export interface FindingCredential {
  name: string;
  issuer: string;
  /** Left out for a credential that matches by expression and has no subject. */
  subject?: string;
  /** Set for a credential that matches by expression (a flexible credential). */
  claimsMatchingExpression?: { value: string; languageVersion: number };
  audiences: string[];
}

export interface FindingLocation {
  file: string;
  line: number;
}

/** Another place that is part of the same problem (a secret's definition, its other uses). */
export interface RelatedLocation extends FindingLocation {
  /** What is there, one short sentence. */
  message: string;
}

export interface FindingSuppression {
  /** `policy` (trustscope.yaml) or `inline` (a comment in a file). */
  kind: "policy" | "inline";
  reason: string;
  expires?: string;
  /** Where the suppression is written. */
  location?: FindingLocation;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  identity?: FindingIdentity;
  credential?: FindingCredential;
  pipeline?: { uuid: string; slug: string };
  scope?: string;
  location?: FindingLocation;
  /** Other places that are part of this problem (SARIF `relatedLocations`). */
  relatedLocations?: RelatedLocation[];
  evidence: string[];
  remediation: string;
  fingerprint: string;
  /** Present when a suppression matched: the finding is kept, but does not count. */
  suppression?: FindingSuppression;
  /** With --baseline: whether the earlier report had this finding (by fingerprint). */
  baseline?: "new" | "unchanged";
  /** JSON pointer into the inventory for the fact this finding is about (SARIF anchors). */
  anchor?: string;
}
