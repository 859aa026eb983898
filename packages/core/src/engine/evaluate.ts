/**
 * Runs the rules over the trust graph and applies the policy: rule settings, suppressions
 * (expired ones stop suppressing and are reported), stable fingerprints and ordering.
 */
import { atLeast, severityRank, SEVERITIES, type Finding, type Severity } from "../model/finding.ts";
import type { Coverage, CoverageNote, Inventory } from "../model/inventory.ts";
import { buildTrustGraph, type TrustGraph } from "../graph/trust-graph.ts";
import { githubApiServes } from "../issuers/platform.ts";
import { EnvironmentClassifier } from "../policy/environments.ts";
import { DEFAULT_POLICY, type Policy, type Suppression } from "../policy/policy.ts";
import { normalizeScope } from "../azure/scope.ts";
import { UsageError, errorMessage } from "../util/errors.ts";
import { resultProblem } from "./validate-rule.ts";
import { fingerprintOf, toFinding } from "./to-finding.ts";
import { judgeDeclared } from "./declared-pass.ts";

export { fingerprintOf };
import type { Rule, RuleMeta } from "./rule.ts";
import type { RepoAnalysis } from "../repo/analyze.ts";

/** Reported by the engine itself when a policy suppression has passed its expiry date. */
export const EXPIRED_SUPPRESSION: RuleMeta = {
  id: "expired-suppression",
  title: "A suppression in the policy file has expired",
  defaultSeverity: "low",
  description:
    "Suppressions in trustscope.yaml carry an expiry date so accepted risks get reviewed. Once the date has passed the suppression no longer hides its finding, and this finding asks for the suppression to be reviewed: renewed with a new date and reason, or removed.",
  tags: ["policy"],
};

/** Reported by the engine for a suppression that matches no finding. */
export const UNUSED_SUPPRESSION: RuleMeta = {
  id: "unused-suppression",
  title: "A suppression matches no finding",
  defaultSeverity: "low",
  description:
    "A suppression (in trustscope.yaml or an inline `trustscope: ignore[…]` comment) that matches no finding hides nothing today but would silently hide a future problem of that rule at that place. Remove it, or fix what it names if it is mistyped.",
  tags: ["policy"],
};

/** Reported by the engine for an inline suppression it cannot honour. */
export const INVALID_SUPPRESSION: RuleMeta = {
  id: "invalid-suppression",
  title: "An inline suppression has no reason or names an unknown rule",
  defaultSeverity: "low",
  description:
    "Inline suppressions must say why the finding is accepted (`# trustscope: ignore[rule-id] reason`) and name rules that exist. One without a reason, or naming an unknown rule, does not suppress anything; this finding points at it.",
  tags: ["policy"],
};

/** The engine's own rules (policy diagnostics). */
export const ENGINE_RULES: RuleMeta[] = [EXPIRED_SUPPRESSION, UNUSED_SUPPRESSION, INVALID_SUPPRESSION];

export interface EvaluationInput {
  inventory: Inventory;
  rules: Rule[];
  policy?: Policy;
  now?: Date;
  /** Built from the inventory when not given. */
  graph?: TrustGraph;
  /** Coverage gaps found outside the inventory. */
  extraGaps?: Coverage["gaps"];
  /** The repository scan, when there is one; its diagnostics are coverage gaps. */
  repo?: RepoAnalysis;
}

export interface Evaluation {
  findings: Finding[];
  coverage: Coverage;
  summary: Record<Severity, number>;
  graph: TrustGraph;
  /** The production classifier the rules used (front ends build the trust map with it). */
  environments: EnvironmentClassifier;
  /** The metadata of every rule that ran (for reporters). */
  rules: RuleMeta[];
}


/** Check that every rule id the policy names exists: a typo must not silently do nothing. */
export function checkPolicyRuleIds(policy: Policy, known: Iterable<string>): void {
  const ids = new Set(known);
  for (const m of ENGINE_RULES) ids.add(m.id);
  for (const [id, setting] of Object.entries(policy.ruleSettings)) {
    if (!ids.has(id)) throw new UsageError(`${setting.location?.file ?? "policy"}:${setting.location?.line ?? 1}: ruleSettings names unknown rule '${id}' (see 'trustscope rules')`);
  }
  for (const s of policy.suppressions) {
    if (!ids.has(s.rule)) throw new UsageError(`${s.location?.file ?? "policy"}:${s.location?.line ?? 1}: suppression names unknown rule '${s.rule}' (see 'trustscope rules')`);
  }
}

function suppressionMatches(s: Suppression, f: Finding): boolean {
  if (s.rule !== f.ruleId) return false;
  const eq = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
  if (s.identity && !(eq(s.identity, f.identity?.appId) || eq(s.identity, f.identity?.objectId) || eq(s.identity, f.identity?.displayName))) return false;
  if (s.pipeline && !(eq(s.pipeline, f.pipeline?.slug) || eq(s.pipeline, f.pipeline?.uuid))) return false;
  if (s.scope) {
    if (!f.scope) return false;
    const want = normalizeScope(s.scope);
    const got = normalizeScope(f.scope);
    if (!(got === want || got.startsWith(want + "/"))) return false;
  }
  if (s.fingerprint && s.fingerprint.toLowerCase() !== f.fingerprint) return false;
  return true;
}

/** A suppression holds through its expiry day (UTC). */
export function isExpired(s: Suppression, now: Date): boolean {
  return now.getTime() >= Date.parse(`${s.expires}T00:00:00Z`) + 24 * 3600 * 1000;
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
    (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0)
  );
}

export function summarize(findings: Finding[]): Record<Severity, number> {
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) if (!f.suppression) summary[f.severity]++;
  return summary;
}

export function evaluate(input: EvaluationInput): Evaluation {
  const policy = input.policy ?? DEFAULT_POLICY;
  const now = input.now ?? new Date();
  const graph = input.graph ?? buildTrustGraph(input.inventory);
  const environments = new EnvironmentClassifier(input.inventory, policy, graph.pipelineUse);
  const ctx = { graph, environments, policy, now, ...(input.repo ? { repo: input.repo } : {}) };

  const byFingerprint = new Map<string, Finding>();
  const ran: RuleMeta[] = [];
  // A rule that throws or returns something malformed has not judged everything it should:
  // that is a coverage gap (exit 3), never a quiet pass, and the other rules still run.
  const ruleGaps: Coverage["gaps"] = [];
  for (const rule of input.rules) {
    const setting = policy.ruleSettings[rule.meta.id];
    if (setting?.enabled === false) continue;
    ran.push(rule.meta);
    try {
      for (const r of rule.check(ctx)) {
        const problem = resultProblem(r);
        if (problem) {
          ruleGaps.push({ source: "rule", scope: rule.meta.id, error: `rule '${rule.meta.id}' returned an invalid result: ${problem}` });
          continue;
        }
        const f = toFinding(rule, r, setting?.severity);
        if (!byFingerprint.has(f.fingerprint)) byFingerprint.set(f.fingerprint, f);
      }
    } catch (e) {
      ruleGaps.push({ source: "rule", scope: rule.meta.id, error: `rule '${rule.meta.id}' failed: ${errorMessage(e).split("\n")[0]}` });
    }
  }
  const findings = [...byFingerprint.values()];
  // Terraform in the repository: the declared rules judge it as it will be once applied.
  const declared = input.repo ? judgeDeclared({ inventory: input.inventory, rules: input.rules, policy, now, repo: input.repo }) : undefined;
  for (const f of declared?.findings ?? []) {
    const was = byFingerprint.get(f.fingerprint);
    if (!was) {
      findings.push(f);
      byFingerprint.set(f.fingerprint, f);
    } else if (severityRank(f.severity) < severityRank(was.severity)) {
      // The configuration makes it worse (a production role added): reported as it will be.
      findings[findings.indexOf(was)] = f;
      byFingerprint.set(f.fingerprint, f);
    } else if (!was.location) Object.assign(was, { location: f.location, evidence: f.evidence, ...(f.relatedLocations ? { relatedLocations: f.relatedLocations } : {}) });
  }

  // Expired suppressions stop suppressing and say so.
  const active = policy.suppressions.filter((s) => !isExpired(s, now));
  if (policy.ruleSettings[EXPIRED_SUPPRESSION.id]?.enabled !== false) ran.push(EXPIRED_SUPPRESSION);
  for (const s of policy.suppressions) {
    if (!isExpired(s, now) || policy.ruleSettings[EXPIRED_SUPPRESSION.id]?.enabled === false) continue;
    const hidden = findings.filter((f) => suppressionMatches(s, f)).length;
    const what = (["identity", "pipeline", "scope", "fingerprint"] as const)
      .filter((k) => s[k])
      .map((k) => `${k} ${s[k]}`)
      .join(", ");
    findings.push(
      toFinding({ meta: EXPIRED_SUPPRESSION, check: () => [] }, {
        message: `The suppression of ${s.rule} for ${what} expired on ${s.expires}; it no longer hides ${hidden === 1 ? "its finding" : `${hidden} findings`}.`,
        ...(s.location ? { location: s.location } : {}),
        evidence: [`suppression reason: ${s.reason}`, `expired: ${s.expires}`, `findings it matched: ${hidden}`],
        remediation: "Review the accepted risk: fix the finding, or renew the suppression with a new expiry date and an up-to-date reason.",
        key: [s.rule, what, s.expires],
      }, policy.ruleSettings[EXPIRED_SUPPRESSION.id]?.severity),
    );
  }
  const used = new Set<Suppression>();
  for (const f of findings) {
    const s = active.find((x) => suppressionMatches(x, f));
    if (s) {
      used.add(s);
      f.suppression = { kind: "policy", reason: s.reason, expires: s.expires, ...(s.location ? { location: s.location } : {}) };
    }
  }

  // Inline suppressions from the repository: a reason and known rules, or they do not count.
  const known = new Set([...input.rules.map((r) => r.meta.id), ...ENGINE_RULES.map((m) => m.id)]);
  const diagnostics: Finding[] = [];
  const enabled = (m: RuleMeta) => policy.ruleSettings[m.id]?.enabled !== false;
  for (const s of input.repo?.repo.inlineSuppressions ?? []) {
    const unknown = s.rules.filter((r) => !known.has(r));
    if (!s.reason || unknown.length > 0 || s.rules.length === 0) {
      if (!enabled(INVALID_SUPPRESSION)) continue;
      diagnostics.push(
        toFinding({ meta: INVALID_SUPPRESSION, check: () => [] }, {
          message: !s.reason ? `The inline suppression at ${s.file}:${s.line} gives no reason, so it suppresses nothing.` : `The inline suppression at ${s.file}:${s.line} names ${unknown.length ? `unknown rule(s) ${unknown.join(", ")}` : "no rule"}.`,
          location: { file: s.file, line: s.line },
          evidence: [`ignore[${s.rules.join(", ")}]${s.reason ? ` ${s.reason}` : ""}`],
          remediation: "Write `# trustscope: ignore[<rule-id>] <why this is accepted>` with a rule id from `trustscope rules`.",
          key: [s.file, "invalid", s.rules.join(","), s.reason],
        }, policy.ruleSettings[INVALID_SUPPRESSION.id]?.severity),
      );
      continue;
    }
    let hit = false;
    for (const f of findings) {
      if (f.suppression || !f.location || f.location.file !== s.file || !s.rules.includes(f.ruleId)) continue;
      if (f.location.line !== s.line && f.location.line !== s.appliesTo) continue;
      f.suppression = { kind: "inline", reason: s.reason, location: { file: s.file, line: s.line } };
      hit = true;
    }
    if (!hit && enabled(UNUSED_SUPPRESSION)) {
      diagnostics.push(
        toFinding({ meta: UNUSED_SUPPRESSION, check: () => [] }, {
          message: `The inline suppression of ${s.rules.join(", ")} at ${s.file}:${s.line} matches no finding.`,
          location: { file: s.file, line: s.line },
          evidence: [`it covers line ${s.appliesTo}`, `reason: ${s.reason}`],
          remediation: "Remove the comment, or move it onto (or just above) the line the finding is reported at.",
          key: [s.file, "unused", s.rules.join(","), s.reason],
        }, policy.ruleSettings[UNUSED_SUPPRESSION.id]?.severity),
      );
    }
  }
  for (const s of active) {
    if (used.has(s) || !enabled(UNUSED_SUPPRESSION)) continue;
    const what = (["identity", "pipeline", "scope", "fingerprint"] as const).filter((k) => s[k]).map((k) => `${k} ${s[k]}`).join(", ");
    diagnostics.push(
      toFinding({ meta: UNUSED_SUPPRESSION, check: () => [] }, {
        message: `The suppression of ${s.rule} for ${what} matches no finding.`,
        ...(s.location ? { location: s.location } : {}),
        evidence: [`reason: ${s.reason}`, `expires: ${s.expires}`],
        remediation: "Remove it from the policy file, or correct what it names.",
        key: [s.rule, "unused", what],
      }, policy.ruleSettings[UNUSED_SUPPRESSION.id]?.severity),
    );
  }
  findings.push(...diagnostics);
  if (enabled(UNUSED_SUPPRESSION)) ran.push(UNUSED_SUPPRESSION);
  if (input.repo && enabled(INVALID_SUPPRESSION)) ran.push(INVALID_SUPPRESSION);

  findings.sort(compareFindings);
  const repoGaps = (input.repo?.repo.diagnostics ?? []).filter((d) => !d.note).map((d) => ({ source: "repo", scope: d.file, error: `line ${d.line}: ${d.message}` }));
  const gaps = [...input.inventory.coverage.gaps, ...graph.gaps, ...repoGaps, ...ruleGaps, ...(declared?.gaps ?? []), ...(input.extraGaps ?? [])];
  const notes = [...(input.inventory.coverage.notes ?? []), ...unreadSourceNotes(graph), ...(declared?.notes ?? [])];
  return {
    findings,
    coverage: { complete: input.inventory.coverage.complete && gaps.length === 0, gaps, ...(notes.length ? { notes } : {}) },
    summary: summarize(findings),
    graph,
    environments,
    rules: ran,
  };
}

/**
 * Sources that were not asked for but that credentials point at: not a failure to read (the
 * scan is complete without them), but what they would have shown was not judged, and the
 * report must say so rather than look as if it had been.
 */
function unreadSourceNotes(graph: TrustGraph): CoverageNote[] {
  const read = graph.inventory.github;
  // Credentials of another GitHub than the one read (a GHES beside github.com) were not checked either.
  const github = graph.edges.filter((e) => e.trust.platform === "github" && !(read && githubApiServes(read.apiUrl, e.credential.issuer)));
  if (github.length === 0) return [];
  if (read) {
    const issuers = [...new Set(github.map((e) => e.credential.issuer))].sort();
    return [
      {
        source: "github",
        message: `${github.length === 1 ? "1 credential names" : `${github.length} credentials name`} repositories of another GitHub than the one read (${read.apiUrl}): issuer ${issuers.slice(0, 3).join(", ")}${issuers.length > 3 ? ` and ${issuers.length - 3} more` : ""}; their environments and subject templates were not checked (scan that GitHub with --github-api-url).`,
      },
    ];
  }
  return [
    {
      source: "github",
      message: `GitHub was not read, so the environments and OIDC subject templates of the repositories that ${github.length === 1 ? "1 credential" : `${github.length} credentials`} with GitHub's issuer name were not checked (unprotected-environment-subject and customised-subject-mismatch need them); give --github-org or --github-repo with GITHUB_TOKEN. Their subjects were still judged.`,
    },
  ];
}


export type FailOn = Severity | "never";

/**
 * Exit code per CONTRACT.md: 3 when the scan is incomplete (it wins over 1), 1 when an
 * unsuppressed finding is at or above `failOn`, else 0.
 */
export function exitCodeFor(evaluation: Pick<Evaluation, "findings" | "coverage">, failOn: FailOn, opts: { onlyNew?: boolean } = {}): 0 | 1 | 3 {
  if (!evaluation.coverage.complete) return 3;
  if (failOn === "never") return 0;
  // With --fail-on-new, findings the baseline already had do not fail the run.
  return evaluation.findings.some((f) => !f.suppression && atLeast(f.severity, failOn) && !(opts.onlyNew && f.baseline === "unchanged")) ? 1 : 0;
}
