/**
 * `trustscope explain-access TARGET`: the blast radius in words. For a pipeline, what it can
 * reach in Azure and through which credential; for an identity, who can log in as it and what it
 * may do; for a scope, which pipelines can reach it.
 */
import { resolve } from "node:path";
import {
  UsageError,
  blastRadius,
  describeAccessTarget,
  describeIdentity,
  describeMatch,
  describeScope,
  findAccessTargets,
  findingIdentity,
  findingSubjectIds,
  identityNodeId,
  listSome,
  jsonText,
  pipelineNodeId,
  suggestAccessTargets,
  terminalText,
  whyNoToken,
  type BlastRadius,
  type Finding,
  type FindingNodeIds,
  type Grant,
  type GrantReach,
  type IdentityBlastRadius,
  type PipelineBlastRadius,
  type PipelineReach,
  type ScopeBlastRadius,
  type TrustEdge,
  type TrustGraph,
  type Redactor,
} from "@trustscope/core";
import { oneOf, parse } from "../args.ts";
import { writeText, type Io } from "../io.ts";
import { coverageExit, evaluateSources, SOURCE_HELP, VIEW_OPTIONS } from "../evaluated-source.ts";

export const EXPLAIN_ACCESS_HELP = `Usage: trustscope explain-access TARGET [source] [options]

The blast radius of TARGET, in words: "if this pipeline is compromised, what can it touch?"
  a pipeline     (slug, ORG/SLUG or UUID): each credential its tokens match, the identity it
                 unlocks, and that identity's role assignments: scope, role, what the role
                 allows, read-only or not, production with the reason
  an identity    (client ID, object ID or display name of an app registration or managed
                 identity): which pipelines can log in as it, through which credential, and its
                 role assignments
  an Azure scope (full ARM ID such as /subscriptions/ID/resourceGroups/NAME, a subscription ID or
                 name, or a management group name): which pipelines can reach it, through which
                 identity and role, including assignments above it; assignments inside it are
                 marked partial
Findings that name the target (or the identities on its paths) follow. A name that matches
more than one target is an error listing them: prefix pipeline:, identity: or scope:, or give
the UUID, client ID or full ARM ID.

${SOURCE_HELP}
Output:
  --format FORMAT          text | json (default: text)
  -o, --output FILE        write to FILE instead of stdout
  -h, --help               show this help

Exit codes: 0 explained, 2 usage error or unknown/ambiguous TARGET, 3 incomplete scan (the
answer is printed but may miss access), 4 internal error.
`;

const FORMATS = ["text", "json"] as const;

/** How many candidates an ambiguous or unknown TARGET error lists. */
const MAX_CANDIDATES = 5;
/** How many pipelines a text line lists before "and N more" (JSON lists all). */
const MAX_PIPELINES = 10;

export async function explainAccessCommand(args: string[], io: Io, redactor: Redactor): Promise<number> {
  const { values, positionals } = parse("explain-access", args, VIEW_OPTIONS);
  if (values.help) {
    io.stdout(EXPLAIN_ACCESS_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("explain-access: give a TARGET: a pipeline, an identity or an Azure scope (see 'trustscope explain-access --help')");
  if (positionals.length > 1) throw new UsageError(`explain-access: give one TARGET, got '${positionals[0]}' and '${positionals[1]}'`);
  const query = positionals[0]!;
  // Echoed in errors, which stay on one line.
  const shownQuery = query.replace(/\s+/g, " ");
  const format = oneOf("--format", values.format, FORMATS, "text");

  const result = await evaluateSources("explain-access", values, io, redactor);
  const { graph, environments } = result.evaluation;
  const targets = findAccessTargets(graph, query);
  if (targets.length === 0) {
    const near = suggestAccessTargets(graph, query, MAX_CANDIDATES);
    throw new UsageError(`explain-access: no pipeline, identity or scope matches '${shownQuery}'${near.length ? `; did you mean: ${near.join("; ")}` : ""}`);
  }
  if (targets.length > 1) {
    const shown = targets.slice(0, MAX_CANDIDATES).map((t) => describeAccessTarget(graph, t));
    const more = targets.length > MAX_CANDIDATES ? ` and ${targets.length - MAX_CANDIDATES} more` : "";
    throw new UsageError(`explain-access: '${shownQuery}' is ambiguous: ${shown.join("; ")}${more} (give the UUID, client ID or full ARM ID, or prefix pipeline:, identity: or scope:)`);
  }
  const radius = blastRadius(graph, environments, targets[0]!);
  const findings = findingsFor(graph, radius, result.report.findings);
  const out = format === "json" ? `${jsonText(toJson(graph, radius, findings), 2)}\n` : renderText(graph, radius, findings);
  if (values.output) writeText(resolve(io.cwd, values.output), redactor.redact(out));
  else io.stdout(out);
  return coverageExit(result, io, values.quiet, "the answer");
}

// ---------------------------------------------------------------------------------------------
// Findings that concern the target

interface NamedFindings {
  /** Unsuppressed findings naming the target or an identity on its paths. */
  shown: Finding[];
  suppressed: number;
}

function findingsFor(graph: TrustGraph, radius: BlastRadius, all: Finding[]): NamedFindings {
  // Identity node ids: findings are matched to identities as the trust map matches them.
  const identities = new Set<string>();
  let names: (f: Finding, ids: FindingNodeIds) => boolean = () => false;
  if (radius.kind === "pipeline") {
    const id = pipelineNodeId(radius.pipeline);
    for (const p of radius.paths) identities.add(identityNodeId(p.identity));
    names = (_f, ids) => ids.pipeline === id;
  } else if (radius.kind === "identity") {
    identities.add(identityNodeId(radius.identity));
  } else {
    // Findings about the scope or anything inside it (subscriptions under a management group
    // included), and about the identities that reach it.
    for (const r of radius.reaches) identities.add(identityNodeId(r.identity));
    names = (f) => f.scope !== undefined && graph.rbac.scopes.covers(radius.scope, f.scope);
  }
  const matches = all.filter((f) => {
    const ids = findingSubjectIds(f);
    return names(f, ids) || (ids.identity !== undefined && identities.has(ids.identity));
  });
  return { shown: matches.filter((f) => !f.suppression), suppressed: matches.filter((f) => f.suppression).length };
}

// ---------------------------------------------------------------------------------------------
// Text

function renderText(graph: TrustGraph, radius: BlastRadius, findings: NamedFindings): string {
  const lines = radius.kind === "pipeline" ? pipelineText(graph, radius) : radius.kind === "identity" ? identityText(graph, radius) : scopeText(graph, radius);
  lines.push("");
  if (findings.shown.length === 0) lines.push(`No findings name it${findings.suppressed ? ` (${findings.suppressed} suppressed)` : ""}.`);
  else {
    lines.push(`Findings (${findings.shown.length}${findings.suppressed ? `, and ${findings.suppressed} suppressed` : ""}):`);
    for (const f of findings.shown) lines.push(`  ${f.severity.toUpperCase().padEnd(8)} ${f.ruleId}: ${f.message}`);
  }
  // Each line is ours apart from the data in it, and ours holds no control characters: escaping
  // whole lines makes every name's control characters and line breaks visible.
  return `${lines.map(terminalText).join("\n")}\n`;
}

function grantLines(graph: TrustGraph, grants: GrantReach[], indent: string): string[] {
  if (grants.length === 0) return [`${indent}no role assignments: it can log in but do nothing in Azure`];
  return grants.flatMap((g) => [
    `${indent}- ${g.roleName} at ${describeScope(graph, g.scope)} (${g.scope})${heldHow(g.grant)}`,
    `${indent}  ${g.readOnly ? "read-only" : "can change things"}: ${g.allows}`,
    ...(g.production ? [`${indent}  PRODUCTION: ${g.production}`] : []),
  ]);
}

/** ` through group 'g'` and ` with a condition`, as the grant has them (in describeGrant's words). */
function heldHow(grant: Grant): string {
  return `${grant.viaGroup ? ` through group '${grant.viaGroup.displayName}'` : ""}${grant.conditional ? " with a condition" : ""}`;
}

function credentialText(edge: TrustEdge): string {
  return `credential '${edge.credential.name}' (${edge.subject ? `subject ${edge.subject.label}` : describeMatch(edge.credential)})`;
}

function pipelineText(graph: TrustGraph, r: PipelineBlastRadius): string[] {
  const p = r.pipeline;
  const cluster = graph.inventory.buildkite?.clusters.find((c) => c.uuid.toLowerCase() === p.clusterUuid?.toLowerCase())?.name;
  const lines = [
    `Pipeline ${graph.inventory.buildkite?.organization.slug ?? "?"}/${p.slug} (${p.uuid})${cluster ? `, cluster '${cluster}'` : ", no cluster"}`,
    r.production ? `PRODUCTION: ${r.production}` : "Not production.",
    "",
  ];
  if (r.paths.length === 0) {
    lines.push("No federated credential accepts this pipeline's tokens: it cannot log in to Azure as any collected identity.");
    return lines;
  }
  lines.push(`It can log in to Azure through ${plural(r.paths.length, "credential")}:`);
  for (const path of r.paths) {
    lines.push("", `${credentialText(path.edge)}`, `  → ${describeIdentity(path.identity)}`, ...grantLines(graph, path.grants, "    "));
  }
  return lines;
}

function identityText(graph: TrustGraph, r: IdentityBlastRadius): string[] {
  const i = r.identity;
  const lines = [`${capitalise(describeIdentity(i))}, object ID ${i.objectId}`, ""];
  const buildkite = r.credentials.filter((e) => e.trust.platform === "buildkite");
  const other = r.credentials.filter((e) => e.trust.platform !== "buildkite");
  if (buildkite.length === 0) lines.push("It has no Buildkite federated credential: no pipeline can log in as it.");
  else if (r.pipelines.length === 0) lines.push(`No pipeline can log in as it (its ${plural(buildkite.length, "Buildkite credential")} match no collected pipeline's tokens).`);
  else {
    lines.push(`${plural(r.pipelines.length, "pipeline")} can log in as it:`);
    for (const p of r.pipelines) {
      lines.push(`  - ${p.pipeline.slug} through ${p.edges.map((e) => `'${e.credential.name}'`).join(", ")}${p.production ? ` (PRODUCTION: ${p.production})` : ""}`);
    }
  }
  // Every other issuer's workload can log in as it too: the blast radius is every token Entra accepts.
  if (other.length > 0) {
    lines.push(`${plural(other.length, "credential")} of other issuers let other workloads log in as it:`);
    for (const e of other) {
      // What the subject and GitHub's answers show: no token matches today (or only once someone claims a name).
      const why = whyNoToken(graph.inventory.github, e);
      lines.push(`  - ${e.trust.platformName}: ${e.trust.label} through '${e.credential.name}'${why ? ` (no token matches today: ${why})` : ""}`);
    }
  }
  lines.push("", "Its role assignments:", ...grantLines(graph, r.grants, "  "));
  return lines;
}

const RELATION_TEXT = { at: "", above: ", above this scope (inherited)", below: ", inside this scope (PARTIAL: reaches only that part)" } as const;

function scopeText(graph: TrustGraph, r: ScopeBlastRadius): string[] {
  const v = r.production;
  const lines = [
    `Scope ${r.scope} (${describeScope(graph, r.scope)})`,
    v.production ? `PRODUCTION: ${v.reason}` : v.touchesProduction ? `Contains production: ${v.reason}` : "Not production.",
    "",
  ];
  if (r.reaches.length === 0) {
    lines.push("No pipeline can reach it: no identity that pipelines can log in as holds a role at, above or inside it.");
    return lines;
  }
  const pipelines = new Set(r.reaches.flatMap((x) => x.pipelines.map((p) => p.pipeline.uuid)));
  const workloads = new Set(r.reaches.flatMap((x) => x.otherWorkloads.map((e) => `${e.trust.platform}\u0000${e.trust.workload}`)));
  const identities = new Set(r.reaches.map((x) => x.identity));
  lines.push(`${plural(pipelines.size, "pipeline")}${workloads.size ? ` and ${plural(workloads.size, "workload")} of other issuers` : ""} can reach it through ${plural(identities.size, "identity", "identities")}:`);
  for (const x of r.reaches) {
    const where = x.relation === "at" ? "at this scope" : `at ${describeScope(graph, x.grant.scope)} (${x.grant.scope})${RELATION_TEXT[x.relation]}`;
    lines.push(
      "",
      `${describeIdentity(x.identity)}: ${x.grant.roleName} ${where}${heldHow(x.grant.grant)}`,
      `  ${x.grant.readOnly ? "read-only" : "can change things"}: ${x.grant.allows}`,
      ...pipelinesByCredential(x.pipelines).map(([name, slugs]) => `  pipelines through credential '${name}': ${listSome(slugs, MAX_PIPELINES)}`),
      ...x.otherWorkloads.map((e) => `  ${e.trust.platformName} through credential '${e.credential.name}': ${e.trust.label}`),
    );
  }
  return lines;
}

/** Pipeline slugs per credential name, credentials in first-seen order. */
function pipelinesByCredential(reaches: PipelineReach[]): [string, string[]][] {
  const out = new Map<string, string[]>();
  for (const r of reaches) for (const e of r.edges) out.set(e.credential.name, out.get(e.credential.name) ?? []).get(e.credential.name)!.push(r.pipeline.slug);
  return [...out];
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------
// JSON (plain data: the graph's objects refer to each other and cannot be serialised as they are)

function grantJson(graph: TrustGraph, g: GrantReach) {
  return {
    role: g.roleName,
    scope: g.scope,
    scopeName: describeScope(graph, g.scope),
    ...(g.grant.viaGroup ? { viaGroup: g.grant.viaGroup.displayName } : {}),
    conditional: g.grant.conditional,
    readOnly: g.readOnly,
    allows: g.allows,
    production: g.production ?? null,
  };
}

function credentialJson(e: TrustEdge) {
  const expression = e.credential.claimsMatchingExpression;
  return { name: e.credential.name, issuer: e.credential.issuer, subject: e.credential.subject, ...(expression ? { claimsMatchingExpression: expression } : {}), subjectKind: e.subject?.kind ?? null, pipelines: e.reach.length, platform: e.trust.platform, workload: e.trust.workload };
}

function pipelineJson(r: PipelineReach) {
  return { uuid: r.pipeline.uuid, slug: r.pipeline.slug, credentials: r.edges.map((e) => e.credential.name) };
}

function toJson(graph: TrustGraph, r: BlastRadius, findings: NamedFindings) {
  return {
    schemaVersion: 1 as const,
    ...radiusJson(graph, r),
    findings: findings.shown.map((f) => ({ ruleId: f.ruleId, severity: f.severity, message: f.message, fingerprint: f.fingerprint })),
    suppressedFindings: findings.suppressed,
  };
}

function radiusJson(graph: TrustGraph, r: BlastRadius) {
  if (r.kind === "pipeline") {
    return {
      kind: r.kind,
      pipeline: { uuid: r.pipeline.uuid, slug: r.pipeline.slug, name: r.pipeline.name, production: r.production ?? null },
      paths: r.paths.map((p) => ({ credential: credentialJson(p.edge), identity: findingIdentity(p.identity), grants: p.grants.map((g) => grantJson(graph, g)) })),
    };
  }
  if (r.kind === "identity") {
    return {
      kind: r.kind,
      identity: findingIdentity(r.identity),
      credentials: r.credentials.map(credentialJson),
      pipelines: r.pipelines.map((p) => ({ ...pipelineJson(p), production: p.production ?? null })),
      grants: r.grants.map((g) => grantJson(graph, g)),
    };
  }
  return {
    kind: r.kind,
    scope: r.scope,
    scopeName: describeScope(graph, r.scope),
    production: r.production,
    reaches: r.reaches.map((x) => ({
      relation: x.relation,
      partial: x.relation === "below",
      identity: findingIdentity(x.identity),
      grant: grantJson(graph, x.grant),
      pipelines: x.pipelines.map(pipelineJson),
      otherWorkloads: x.otherWorkloads.map((e) => ({ platform: e.trust.platform, workload: e.trust.workload, credential: e.credential.name, trusts: e.trust.label })),
    })),
  };
}
