/**
 * `trustscope diff`: the trust changes between two inventories that a reviewer cares about.
 * Everything is keyed (never positional), so reordered arrays produce no change, and the output
 * is sorted deterministically.
 */
import type { FederatedCredential, Inventory, ProviderSettings, RoleAssignment } from "../model/inventory.ts";
import { ROLE_ASSIGNMENT_WRITE, displayScope, roleAllows, roleDefinitionGuid, type RbacIndex } from "../azure/rbac.ts";
import { buildTrustGraph, credentialsOf, describeIdentity, type Identity, type TrustEdge, type TrustGraph } from "../graph/trust-graph.ts";
import { compareBreadth, describeMatch, matchKey, readClaimsExpression } from "../graph/claims-expression.ts";
import type { SubjectKind } from "../buildkite/oidc.ts";
import { jsonText, mdCode, mdText, terminalText as t } from "../report/escape.ts";

/** Every kind of change, in the order they are reported within a risk direction. */
export const DIFF_CHANGE_KINDS = [
  "subject-widened",
  "credential-added",
  "credential-changed",
  "privileged-assignment-added",
  "fork-builds-enabled",
  "pipeline-made-public",
  "shared-key-enabled",
  "subject-narrowed",
  "credential-removed",
  "privileged-assignment-removed",
  "fork-builds-disabled",
  "shared-key-disabled",
] as const;

export type DiffChangeKind = (typeof DIFF_CHANGE_KINDS)[number];
export type DiffRisk = "increase" | "decrease";

export interface DiffChange {
  kind: DiffChangeKind;
  risk: DiffRisk;
  /** One sentence. */
  summary: string;
  details: string[];
}

export interface InventoryDiff {
  old: { collectedAt?: string };
  new: { collectedAt?: string };
  changes: DiffChange[];
  summary: { increases: number; decreases: number };
  /** Comparisons that could not be made (a side was not collected in one snapshot). Not in the JSON. */
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Comparison

/** How far a subject reaches, for widening: pipeline → queue → cluster → organisation. */
const SUBJECT_RANK: Partial<Record<SubjectKind, number>> = {
  pipeline: 0,
  compound: 0,
  queue: 1,
  agent: 1,
  cluster: 2,
  organization: 3,
};

const SUBJECT_WORD: Partial<Record<SubjectKind, string>> = {
  pipeline: "pipeline",
  compound: "pipeline (compound subject)",
  queue: "queue",
  agent: "agent",
  cluster: "cluster",
  organization: "organisation",
};

interface Side {
  inventory: Inventory;
  graph: TrustGraph;
  /** Trust edge of a credential object (Buildkite and near-miss issuers only). */
  edgeOf: Map<FederatedCredential, TrustEdge>;
}

function side(inventory: Inventory): Side {
  const graph = buildTrustGraph(inventory);
  return { inventory, graph, edgeOf: new Map(graph.edges.map((e) => [e.credential, e])) };
}

export function diffInventories(oldInventory: Inventory, newInventory: Inventory): InventoryDiff {
  const a = side(oldInventory);
  const b = side(newInventory);
  const changes: DiffChange[] = [];
  const notes: string[] = [];
  const both = (key: "buildkite" | "entra" | "azure", what: string): boolean => {
    const present = oldInventory[key] !== undefined && newInventory[key] !== undefined;
    if (!present && (oldInventory[key] !== undefined || newInventory[key] !== undefined)) {
      notes.push(`${what} was collected in only one of the snapshots, so its changes were not compared`);
    }
    return present;
  };

  // Identities live in Entra (applications) and ARM (managed identities): compare whatever both hold.
  const identityKinds = new Set<Identity["kind"]>();
  if (both("entra", "Microsoft Entra (app registrations)")) identityKinds.add("application");
  if (both("azure", "Azure Resource Manager")) identityKinds.add("managedIdentity");
  changes.push(...credentialChanges(a, b, identityKinds));
  if (oldInventory.azure && newInventory.azure) {
    changes.push(...assignmentChanges(a, b));
    changes.push(...storageChanges(a.inventory, b.inventory));
  }
  if (both("buildkite", "Buildkite")) changes.push(...pipelineChanges(a, b));

  changes.sort(compareChanges);
  const increases = changes.filter((c) => c.risk === "increase").length;
  return {
    old: collectedAt(oldInventory),
    new: collectedAt(newInventory),
    changes,
    summary: { increases, decreases: changes.length - increases },
    notes,
  };
}

function collectedAt(inv: Inventory): { collectedAt?: string } {
  return inv.collectedAt !== undefined ? { collectedAt: inv.collectedAt } : {};
}

function cmp(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareChanges(x: DiffChange, y: DiffChange): number {
  if (x.risk !== y.risk) return x.risk === "increase" ? -1 : 1;
  const k = DIFF_CHANGE_KINDS.indexOf(x.kind) - DIFF_CHANGE_KINDS.indexOf(y.kind);
  return k !== 0 ? k : cmp(x.summary, y.summary) || cmp(x.details.join("\n"), y.details.join("\n"));
}

function capitalise(s: string): string {
  return s.length > 0 ? `${s[0]!.toUpperCase()}${s.slice(1)}` : s;
}

// --- federated credentials -------------------------------------------------------------------

function audiencesKey(c: FederatedCredential): string {
  return [...c.audiences].sort().join(" ");
}

function pipelinesLabel(n: number): string {
  return `${n} pipeline${n === 1 ? "" : "s"}`;
}

function describeCredential(c: FederatedCredential, edge: TrustEdge | undefined): string[] {
  const lines = [`issuer: ${c.issuer}`, ...matchLines(c, edge), `audiences: ${[...c.audiences].sort().join(", ") || "(none)"}`];
  // Buildkite credentials reach pipelines; another issuer's trust a workload outside Buildkite.
  if (edge?.trust.platform === "buildkite") lines.push(`reaches ${pipelinesLabel(edge.reach.length)}${reachList(edge)}`);
  else if (edge && !edge.trust.expression) lines.push(`trusts ${edge.trust.label} (${edge.trust.platformName})${edge.trust.problem ? `; matches no token: ${edge.trust.problem}` : ""}`);
  return lines;
}

/** The subject, or the expression and what it accepts. */
function matchLines(c: FederatedCredential, edge: TrustEdge | undefined): string[] {
  const e = c.claimsMatchingExpression;
  if (!e) return [`subject: ${c.subject}${edge?.subject ? ` (${edge.subject.label})` : ""}`];
  const reading = readClaimsExpression(e);
  return [`claims expression: ${e.value}`, reading.wide ? `accepts more than one subject: ${reading.matches.join("; ")}` : `accepts one subject: ${reading.exactSubject}`];
}

function reachList(edge: TrustEdge): string {
  if (edge.reach.length === 0) return "";
  const slugs = edge.reach.map((p) => p.slug).sort();
  const shown = slugs.slice(0, 10).join(", ");
  return `: ${shown}${slugs.length > 10 ? `, … (${slugs.length - 10} more)` : ""}`;
}

function reachOf(s: Side, c: FederatedCredential): number {
  return s.edgeOf.get(c)?.reach.length ?? 0;
}

function credentialChanges(a: Side, b: Side, kinds: Set<Identity["kind"]>): DiffChange[] {
  const out: DiffChange[] = [];
  const oldIds = new Map(a.graph.identities.filter((i) => kinds.has(i.kind)).map((i) => [i.key, i]));
  const newIds = new Map(b.graph.identities.filter((i) => kinds.has(i.kind)).map((i) => [i.key, i]));
  for (const key of new Set([...oldIds.keys(), ...newIds.keys()])) {
    const oldId = oldIds.get(key);
    const newId = newIds.get(key);
    const who = describeIdentity((newId ?? oldId)!);
    let olds = oldId ? [...credentialsOf(oldId)] : [];
    let news = newId ? [...credentialsOf(newId)] : [];

    // 1. The same credential (identity + issuer + subject or expression): only its audiences can differ.
    for (const o of [...olds]) {
      const n = news.find((x) => x.issuer === o.issuer && matchKey(x) === matchKey(o));
      if (!n) continue;
      olds = olds.filter((x) => x !== o);
      news = news.filter((x) => x !== n);
      if (audiencesKey(o) !== audiencesKey(n)) out.push(changedCredential(a, b, who, o, n));
    }
    // 2. The same name with a different issuer or subject.
    for (const o of [...olds]) {
      const n = news.find((x) => x.name.toLowerCase() === o.name.toLowerCase());
      if (!n) continue;
      // An expression on either side: the same credential, judged by what it accepts.
      if (o.claimsMatchingExpression || n.claimsMatchingExpression) {
        olds = olds.filter((x) => x !== o);
        news = news.filter((x) => x !== n);
        out.push(expressionChange(a, b, who, o, n));
        continue;
      }
      const oe = a.edgeOf.get(o);
      const ne = b.edgeOf.get(n);
      const or = oe?.subject ? SUBJECT_RANK[oe.subject.kind] : undefined;
      const nr = ne?.subject ? SUBJECT_RANK[ne.subject.kind] : undefined;
      if (o.subject !== n.subject && (or === undefined || nr === undefined || or === nr)) continue; // a different credential: removed + added
      olds = olds.filter((x) => x !== o);
      news = news.filter((x) => x !== n);
      if (o.subject === n.subject) {
        out.push(changedCredential(a, b, who, o, n));
        continue;
      }
      const widened = nr! > or!;
      const details = [
        `before: ${o.subject} (${oe!.subject!.label}), reaching ${pipelinesLabel(oe!.reach.length)}`,
        `after: ${n.subject} (${ne!.subject!.label}), reaching ${pipelinesLabel(ne!.reach.length)}${reachList(ne!)}`,
      ];
      if (o.issuer !== n.issuer) details.push(`issuer changed: ${o.issuer} → ${n.issuer}`);
      if (audiencesKey(o) !== audiencesKey(n)) details.push(`audiences changed: ${audiencesKey(o) || "(none)"} → ${audiencesKey(n) || "(none)"}`);
      out.push({
        kind: widened ? "subject-widened" : "subject-narrowed",
        risk: widened ? "increase" : "decrease",
        summary: `Credential '${n.name}' of ${who} ${widened ? "widened" : "narrowed"} from a ${SUBJECT_WORD[oe!.subject!.kind]} to a${ne!.subject!.kind === "organization" ? "n" : ""} ${SUBJECT_WORD[ne!.subject!.kind]} subject (${oe!.reach.length} → ${pipelinesLabel(ne!.reach.length)}).`,
        details,
      });
    }
    // 3. The rest came or went.
    for (const n of news) {
      out.push({
        kind: "credential-added",
        risk: "increase",
        summary: `Federated credential '${n.name}' was added to ${who}.`,
        details: describeCredential(n, b.edgeOf.get(n)),
      });
    }
    for (const o of olds) {
      out.push({
        kind: "credential-removed",
        risk: "decrease",
        summary: `Federated credential '${o.name}' was removed from ${who}.`,
        details: describeCredential(o, a.edgeOf.get(o)),
      });
    }
  }
  return out;
}

/**
 * A credential whose expression came, went or changed: wider when it now accepts every token it
 * did and more, narrower when the reverse; any other change of what it accepts is a trust change
 * (a risk increase, as it may accept tokens it did not).
 */
function expressionChange(a: Side, b: Side, who: string, o: FederatedCredential, n: FederatedCredential): DiffChange {
  const breadth = compareBreadth(o, n);
  if (breadth !== "wider" && breadth !== "narrower") return changedCredential(a, b, who, o, n);
  const widened = breadth === "wider";
  const details = [`before: ${matchLines(o, a.edgeOf.get(o)).join("; ")}`, `after: ${matchLines(n, b.edgeOf.get(n)).join("; ")}`];
  if (audiencesKey(o) !== audiencesKey(n)) details.push(`audiences changed: ${audiencesKey(o) || "(none)"} → ${audiencesKey(n) || "(none)"}`);
  return {
    kind: widened ? "subject-widened" : "subject-narrowed",
    risk: widened ? "increase" : "decrease",
    summary: `Credential '${n.name}' of ${who} ${widened ? "widened" : "narrowed"}: it now accepts ${widened ? "every token it did and more" : "only some of the tokens it did"} (${describeMatch(o)} → ${describeMatch(n)}).`,
    details,
  };
}

function changedCredential(a: Side, b: Side, who: string, o: FederatedCredential, n: FederatedCredential): DiffChange {
  const details: string[] = [];
  const expressionChanged = matchKey(o) !== matchKey(n) && (o.claimsMatchingExpression || n.claimsMatchingExpression);
  if (o.name !== n.name) details.push(`name: ${o.name} → ${n.name}`);
  if (o.issuer !== n.issuer) details.push(`issuer: ${o.issuer} → ${n.issuer}`);
  if (expressionChanged) details.push(`before: ${matchLines(o, a.edgeOf.get(o)).join("; ")}`, `after: ${matchLines(n, b.edgeOf.get(n)).join("; ")}`);
  else if (o.subject !== n.subject) details.push(`subject: ${o.subject} → ${n.subject}`);
  if (audiencesKey(o) !== audiencesKey(n)) details.push(`audiences: ${audiencesKey(o) || "(none)"} → ${audiencesKey(n) || "(none)"}`);
  const before = reachOf(a, o);
  const after = reachOf(b, n);
  const oe = a.edgeOf.get(o);
  const ne = b.edgeOf.get(n);
  // Other issuers' credentials trust workloads, not pipelines: say which, before and after.
  if (oe?.trust.platform !== "buildkite" || ne?.trust.platform !== "buildkite") {
    details.push(`trusts ${oe ? `${oe.trust.label} (${oe.trust.platformName})` : "?"} before, ${ne ? `${ne.trust.label} (${ne.trust.platformName})` : "?"} after`);
  } else details.push(`reaches ${pipelinesLabel(before)} before, ${pipelinesLabel(after)} after`);
  const what = [o.issuer !== n.issuer && "issuer", expressionChanged ? "claims expression" : o.subject !== n.subject && "subject", audiencesKey(o) !== audiencesKey(n) && "audience"].filter(Boolean).join(" and ");
  // A changed trust relationship is a risk unless it now reaches fewer pipelines.
  return {
    kind: "credential-changed",
    risk: after < before ? "decrease" : "increase",
    summary: `Federated credential '${n.name}' of ${who} changed its ${what}.`,
    details,
  };
}

// --- privileged role assignments ------------------------------------------------------------

interface Privileged {
  assignment: RoleAssignment;
  reasons: string[];
  describe: string;
}

function privilegedAssignments(s: Side): Map<string, Privileged> {
  const rbac: RbacIndex = s.graph.rbac;
  const federated = s.graph.identities.filter((i) => i.credentials.length > 0);
  const byPrincipal = new Map<string, Identity>();
  for (const i of s.graph.identities) if (i.principalId) byPrincipal.set(i.principalId.toLowerCase(), i);
  const fedPrincipals = new Map<string, Identity>();
  for (const i of federated) if (i.principalId) fedPrincipals.set(i.principalId.toLowerCase(), i);
  // Groups a federated identity belongs to: their assignments are the identity's too.
  const fedGroups = new Map<string, Identity[]>();
  for (const sp of s.inventory.entra?.servicePrincipals ?? []) {
    const identity = fedPrincipals.get(sp.objectId.toLowerCase());
    if (!identity) continue;
    for (const g of sp.memberOf) fedGroups.set(g.toLowerCase(), [...(fedGroups.get(g.toLowerCase()) ?? []), identity]);
  }
  const groupNames = new Map((s.inventory.entra?.groups ?? []).map((g) => [g.objectId.toLowerCase(), g.displayName]));

  const out = new Map<string, Privileged>();
  for (const assignment of s.inventory.azure?.roleAssignments ?? []) {
    const role = rbac.roleFor(assignment);
    const reasons: string[] = [];
    if (role && roleAllows(role, "*", "control")) reasons.push("the role allows every control-plane action (*)");
    else if (role && roleAllows(role, ROLE_ASSIGNMENT_WRITE, "control")) reasons.push(`the role allows ${ROLE_ASSIGNMENT_WRITE}`);
    const principal = assignment.principalId.toLowerCase();
    const fed = fedPrincipals.get(principal);
    if (fed) reasons.push(`the principal is a federated identity that ${pipelinesLabel(new Set(fed.credentials.flatMap((e) => e.reach.map((p) => p.uuid))).size)} can log in as`);
    for (const i of (fedGroups.get(principal) ?? []).sort((x, y) => cmp(x.key, y.key))) {
      reasons.push(`the principal is a group that federated identity '${i.displayName}' belongs to`);
    }
    if (reasons.length === 0) continue;
    const identity = byPrincipal.get(principal);
    const who = identity
      ? describeIdentity(identity)
      : groupNames.has(principal)
        ? `group '${groupNames.get(principal)}' (${assignment.principalId})`
        : `${assignment.principalType} ${assignment.principalId}`;
    const roleName = role ? `'${role.roleName}'${role.roleType === "CustomRole" ? " (custom role)" : ""}` : `unknown role ${roleDefinitionGuid(assignment.roleDefinitionId)}`;
    out.set(assignment.id.toLowerCase(), { assignment, reasons, describe: `${roleName} for ${who} at ${displayScope(assignment.scope)}` });
  }
  return out;
}

function assignmentChanges(a: Side, b: Side): DiffChange[] {
  const out: DiffChange[] = [];
  const before = privilegedAssignments(a);
  const after = privilegedAssignments(b);
  const oldIds = new Set((a.inventory.azure?.roleAssignments ?? []).map((x) => x.id.toLowerCase()));
  const newIds = new Set((b.inventory.azure?.roleAssignments ?? []).map((x) => x.id.toLowerCase()));
  for (const [id, p] of after) {
    if (before.has(id)) continue;
    out.push({
      kind: "privileged-assignment-added",
      risk: "increase",
      summary: `Privileged role assignment added: ${p.describe}.`,
      details: [`assignment: ${p.assignment.id}`, ...p.reasons, ...(oldIds.has(id) ? ["the assignment existed before but was not privileged"] : [])],
    });
  }
  for (const [id, p] of before) {
    if (after.has(id)) continue;
    out.push({
      kind: "privileged-assignment-removed",
      risk: "decrease",
      summary: `Privileged role assignment removed: ${p.describe}.`,
      details: [`assignment: ${p.assignment.id}`, ...p.reasons, ...(newIds.has(id) ? ["the assignment still exists but is no longer privileged"] : [])],
    });
  }
  return out;
}

// --- storage accounts ------------------------------------------------------------------------

function storageChanges(a: Inventory, b: Inventory): DiffChange[] {
  const out: DiffChange[] = [];
  const allowed = (v: boolean | null | undefined) => v !== false;
  const olds = new Map((a.azure?.storageAccounts ?? []).map((s) => [s.id.toLowerCase(), s]));
  for (const n of b.azure?.storageAccounts ?? []) {
    const o = olds.get(n.id.toLowerCase());
    const now = allowed(n.allowSharedKeyAccess);
    if (!o) {
      if (now) {
        out.push({
          kind: "shared-key-enabled",
          risk: "increase",
          summary: `New storage account '${n.name}' allows shared-key access.`,
          details: [`storage account: ${n.id}`, `allowSharedKeyAccess: ${JSON.stringify(n.allowSharedKeyAccess ?? null)} (absent or null means allowed)`],
        });
      }
      continue;
    }
    if (allowed(o.allowSharedKeyAccess) === now) continue;
    out.push({
      kind: now ? "shared-key-enabled" : "shared-key-disabled",
      risk: now ? "increase" : "decrease",
      summary: `Storage account '${n.name}' ${now ? "now allows" : "no longer allows"} shared-key access.`,
      details: [
        `storage account: ${n.id}`,
        `allowSharedKeyAccess: ${JSON.stringify(o.allowSharedKeyAccess ?? null)} → ${JSON.stringify(n.allowSharedKeyAccess ?? null)} (absent or null means allowed)`,
      ],
    });
  }
  return out;
}

// --- pipelines -------------------------------------------------------------------------------

function forksOn(settings: ProviderSettings | undefined): boolean {
  return settings?.buildPullRequests === true && settings.buildPullRequestForks === true;
}

function pipelineChanges(a: Side, b: Side): DiffChange[] {
  const out: DiffChange[] = [];
  const olds = new Map((a.inventory.buildkite?.pipelines ?? []).map((p) => [p.uuid.toLowerCase(), p]));
  for (const n of b.inventory.buildkite?.pipelines ?? []) {
    const o = olds.get(n.uuid.toLowerCase());
    const trusted = (b.graph.edgesByPipeline.get(n.uuid.toLowerCase()) ?? [])
      .map((e) => `credential '${e.credential.name}' of ${describeIdentity(e.identity)} trusts this pipeline`)
      .sort();
    const wasForks = o ? forksOn(o.repository?.settings) : false;
    const isForks = forksOn(n.repository?.settings);
    if (wasForks !== isForks && (o || isForks)) {
      out.push({
        kind: isForks ? "fork-builds-enabled" : "fork-builds-disabled",
        risk: isForks ? "increase" : "decrease",
        summary: `${o ? "Pipeline" : "New pipeline"} '${n.slug}' ${isForks ? "builds" : "no longer builds"} pull requests from forks.`,
        details: [
          `repository: ${n.repository?.url ?? "(none)"}`,
          `buildPullRequests: ${String(o?.repository?.settings?.buildPullRequests ?? "unset")} → ${String(n.repository?.settings?.buildPullRequests ?? "unset")}`,
          `buildPullRequestForks: ${String(o?.repository?.settings?.buildPullRequestForks ?? "unset")} → ${String(n.repository?.settings?.buildPullRequestForks ?? "unset")}`,
          ...trusted,
        ],
      });
    }
    if (n.visibility === "PUBLIC" && o?.visibility !== "PUBLIC") {
      out.push({
        kind: "pipeline-made-public",
        risk: "increase",
        summary: `${o ? "Pipeline" : "New pipeline"} '${n.slug}' is public.`,
        details: [`visibility: ${o?.visibility ?? "(new pipeline)"} → PUBLIC`, ...trusted],
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rendering

export function renderDiffJson(diff: InventoryDiff): string {
  const body = {
    schemaVersion: 1,
    old: diff.old,
    new: diff.new,
    changes: diff.changes,
    summary: diff.summary,
  };
  return `${jsonText(body, 2)}\n`;
}

function headline(diff: InventoryDiff): string {
  const n = diff.changes.length;
  if (n === 0) return "No trust changes.";
  return `${n} trust change(s): ${diff.summary.increases} increase risk, ${diff.summary.decreases} decrease risk.`;
}

function span(diff: InventoryDiff): string {
  return `${diff.old.collectedAt ?? "(old snapshot, collection time unknown)"} → ${diff.new.collectedAt ?? "(new snapshot, collection time unknown)"}`;
}

export function renderDiffTable(diff: InventoryDiff, opts: { color?: boolean } = {}): string {
  const paint = (code: string, s: string) => (opts.color ? `${code}${s}\x1b[0m` : s);
  // Data is escaped before it is coloured: control characters visible, each on its line.
  const out: string[] = [`trustscope diff: ${t(span(diff))}`, ""];
  const width = Math.max(8, ...diff.changes.map((c) => c.risk.length));
  const pad = " ".repeat(width + 2);
  for (const c of diff.changes) {
    const risk = paint(c.risk === "increase" ? "\x1b[31m" : "\x1b[32m", c.risk.toUpperCase().padEnd(width));
    out.push(`${risk}  ${paint("\x1b[1m", c.kind)}`, `${pad}${t(c.summary)}`);
    for (const d of c.details) out.push(`${pad}${paint("\x1b[2m", "-")} ${t(d)}`);
    out.push("");
  }
  out.push(headline(diff));
  for (const n of diff.notes) out.push(`note: ${t(n)}`);
  return `${out.join("\n")}\n`;
}

export function renderDiffMarkdown(diff: InventoryDiff): string {
  const out: string[] = ["## trustscope diff", "", `Snapshots: ${mdText(span(diff))}`, "", headline(diff), ""];
  for (const n of diff.notes) out.push(`> [!NOTE]`, `> ${mdText(capitalise(n))}.`, "");
  for (const [risk, title] of [
    ["increase", "🟥 Risk increases"],
    ["decrease", "🟩 Risk decreases"],
  ] as const) {
    const group = diff.changes.filter((c) => c.risk === risk);
    if (group.length === 0) continue;
    out.push(`### ${title} (${group.length})`, "");
    for (const c of group) {
      out.push(`- **${mdCode(c.kind)}** ${mdText(c.summary)}`);
      for (const d of c.details) out.push(`  - ${mdText(d)}`);
    }
    out.push("");
  }
  return out.join("\n");
}
