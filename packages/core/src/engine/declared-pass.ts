/**
 * The second look a Terraform configuration gets: the rules that are sound on declared objects
 * (`meta.declared`) run over the inventory as it will be once the configuration is applied (see
 * declared-overlay.ts), and what they find about declared objects is reported at the file and line
 * that declares them — the pipeline, credential, role assignment or storage account the finding is
 * about, with the others as related locations.
 */
import { normalizeScope } from "../azure/scope.ts";
import { buildTrustGraph, type TrustGraph } from "../graph/trust-graph.ts";
import type { Finding, RelatedLocation } from "../model/finding.ts";
import type { Coverage, CoverageNote, Inventory } from "../model/inventory.ts";
import { EnvironmentClassifier } from "../policy/environments.ts";
import type { Policy } from "../policy/policy.ts";
import type { RepoAnalysis } from "../repo/analyze.ts";
import type { TerraformModel } from "../repo/terraform/join.ts";
import { errorMessage } from "../util/errors.ts";
import { listSome } from "../graph/queries.ts";
import { overlayDeclared, type DeclaredOverlay, type LocatedOrigin } from "./declared-overlay.ts";
import type { Rule } from "./rule.ts";
import { fingerprintOf, toFinding } from "./to-finding.ts";
import { resultProblem } from "./validate-rule.ts";

const WHAT: Record<LocatedOrigin["kind"], string> = {
  pipeline: "the pipeline",
  credential: "the federated credential",
  application: "the application",
  managedIdentity: "the managed identity",
  roleAssignment: "the role assignment",
  storageAccount: "the storage account",
};

export interface DeclaredJudgement {
  findings: Finding[];
  gaps: Coverage["gaps"];
  notes: CoverageNote[];
}

/** Runs the declared rules over each Terraform configuration of the repository. */
export function judgeDeclared(input: { inventory: Inventory; rules: Rule[]; policy: Policy; now: Date; repo: RepoAnalysis }): DeclaredJudgement {
  const out: DeclaredJudgement = { findings: [], gaps: [], notes: [] };
  const rules = input.rules.filter((r) => r.meta.declared && input.policy.ruleSettings[r.meta.id]?.enabled !== false);
  const models = input.repo.repo.terraform ?? [];
  if (rules.length === 0 || models.length === 0) return out;
  /**
   * By fingerprint, the findings kept. Values known only after apply are Terraform text, so the same
   * address in two roots or two -var-file variants gives the same key: the same verdict is one
   * finding, a different one (another severity, scope or message: a dev and a prod deployment) is
   * its own, its fingerprint made distinct by the configuration it comes from.
   */
  const kept = new Map<string, Finding[]>();
  // Without Azure and Entra read, what the configuration does not declare is not seen.
  const alone = !input.inventory.azure && !input.inventory.entra;
  // One note for all configurations: a large repository names the same few unknown roles many times.
  const unknownRoles = new Map<string, Set<string>>();
  const unresolved = new Map<string, string>();
  for (const model of models) {
    const overlay = overlayDeclared(input.inventory, model);
    for (const u of overlay.unknownRoles) unknownRoles.set(u.role, (unknownRoles.get(u.role) ?? new Set<string>()).add(u.address));
    for (const u of overlay.unresolved) unresolved.set(u.address, u.what);
    if (overlay.otherOrganization) {
      out.notes.push({ source: "terraform", message: `${variantOf(model)} manages Buildkite organisation '${overlay.otherOrganization}', not '${input.inventory.buildkite?.organization.slug}' that was read: its pipelines and what trusts them are not joined to the inventory` });
    }
    if (overlay.byPointer.size === 0) continue;
    const graph = buildTrustGraph(overlay.inventory);
    const environments = new EnvironmentClassifier(overlay.inventory, input.policy, graph.pipelineUse);
    const ctx = { graph, environments, policy: input.policy, now: input.now, repo: input.repo };
    for (const rule of rules) {
      try {
        for (const r of rule.check(ctx)) {
          const problem = resultProblem(r);
          if (problem) {
            out.gaps.push({ source: "rule", scope: rule.meta.id, error: `rule '${rule.meta.id}' returned an invalid result: ${problem}` });
            continue;
          }
          const f = toFinding(rule, r, input.policy.ruleSettings[rule.meta.id]?.severity);
          // An object known only by its Terraform text is the object of this root module: its
          // fingerprint says which root, so another root's same address never takes it over.
          const own = placeholderIn(f) ? fingerprintOf(rule.meta.id, [f.fingerprint, model.root]) : f.fingerprint;
          const same = kept.get(own) ?? [];
          if (same.some((x) => x.severity === f.severity && x.scope === f.scope && x.message === f.message)) continue;
          const placed = place(f, graph, overlay, model, alone);
          if (!placed) continue;
          // Another verdict for it in a -var-file variant: that variant's own (the default variant comes first).
          placed.fingerprint = same.length > 0 ? fingerprintOf(rule.meta.id, [own, model.root, model.varFile ?? ""]) : own;
          kept.set(own, [...same, f]);
          out.findings.push(placed);
        }
      } catch (e) {
        out.gaps.push({ source: "rule", scope: rule.meta.id, error: `rule '${rule.meta.id}' failed on ${variantOf(model)}: ${errorMessage(e).split("\n")[0]}` });
      }
    }
  }
  if (unresolved.size > 0) {
    const list = [...unresolved].sort(([a], [b]) => (a < b ? -1 : 1));
    const why = [...new Set(list.map(([, w]) => w))].join("; ");
    out.notes.push({
      source: "terraform",
      message: `${list.length} data source${list.length === 1 ? "" : "s"} in Terraform look${list.length === 1 ? "s" : ""} up what trustscope cannot find (${why}), so what refers to ${list.length === 1 ? "it" : "them"} is not judged: ${listSome(list.map(([a]) => a), 6)}`,
    });
  }
  if (unknownRoles.size > 0) {
    const count = [...unknownRoles.values()].reduce((n, a) => n + a.size, 0);
    const roles = [...unknownRoles].sort(([a], [b]) => (a < b ? -1 : 1)).map(([role, at]) => `'${role}' (${listSome([...at].sort(), 2)})`);
    out.notes.push({
      source: "terraform",
      message: `${count} role assignment${count === 1 ? "" : "s"} in Terraform name${count === 1 ? "s" : ""} a role that is neither a built-in role trustscope knows nor in the inventory, so ${count === 1 ? "its grant is" : "their grants are"} not judged: ${listSome(roles, 6)}`,
    });
  }
  return out;
}

/** Whether a finding names an object by its Terraform text (`${…}`): one the configuration creates. */
function placeholderIn(f: Finding): boolean {
  return [f.identity?.appId, f.identity?.objectId, f.pipeline?.uuid, f.scope, f.credential?.subject].some((x) => x?.includes("${"));
}

function variantOf(model: TerraformModel): string {
  if (model.source === "plan") return `Terraform plan ${model.root}`;
  const dir = model.root === "" ? "." : model.root;
  return `Terraform configuration ${dir}${model.varFile !== undefined ? ` with -var-file ${model.varFile}` : ""}`;
}

/**
 * The declared objects a finding is about, most specific first: the pipeline, the credential it
 * anchors, the identity's role assignment at its scope, the storage account at its scope, the
 * identity. Undefined when it is about no declared object (the first pass reports those).
 */
function originsOf(f: Finding, graph: TrustGraph, overlay: DeclaredOverlay): LocatedOrigin[] {
  const found: LocatedOrigin[] = [];
  const add = (o: LocatedOrigin | undefined) => {
    if (o && !found.some((x) => x.address === o.address && x.kind === o.kind)) found.push(o);
  };
  if (f.pipeline) add(overlay.pipelines.get(f.pipeline.uuid.toLowerCase()));
  const anchored = f.anchor !== undefined ? overlay.byPointer.get(f.anchor) : undefined;
  if (anchored?.kind === "credential") add(anchored);
  const identity = f.identity ? identitiesOf(graph).get(f.identity.appId.toLowerCase()) : undefined;
  if (f.scope && identity) {
    const scope = normalizeScope(f.scope);
    for (const g of identity.grants) if (normalizeScope(g.assignment.scope) === scope) add(overlay.assignments.get(g.assignment.id.toLowerCase()));
  }
  if (f.scope) add(overlay.storageAccounts.get(normalizeScope(f.scope)));
  // A declared grant above the scope (Contributor on the group that holds the account) is part of it too.
  if (f.scope && identity) {
    for (const g of identity.grants) if (graph.rbac.scopes.overlaps(g.assignment.scope, f.scope)) add(overlay.assignments.get(g.assignment.id.toLowerCase()));
  }
  if (anchored && anchored.kind !== "credential") add(anchored);
  if (identity) add(overlay.byPointer.get(identity.anchor));
  return found;
}

const identityIndex = new WeakMap<TrustGraph, Map<string, TrustGraph["identities"][number]>>();

/** The graph's identities by lower-case client ID, built once per graph (findings are many). */
function identitiesOf(graph: TrustGraph): Map<string, TrustGraph["identities"][number]> {
  let m = identityIndex.get(graph);
  if (!m) {
    m = new Map();
    for (const i of graph.identities) if (!m.has(i.appId.toLowerCase())) m.set(i.appId.toLowerCase(), i);
    identityIndex.set(graph, m);
  }
  return m;
}

function place(f: Finding, graph: TrustGraph, overlay: DeclaredOverlay, model: TerraformModel, alone: boolean): Finding | undefined {
  const origins = originsOf(f, graph, overlay);
  const first = origins[0];
  if (!first) return undefined;
  const where = (o: LocatedOrigin) => `${o.location.file}:${o.location.line}`;
  // A module's resources: their own block (the primary's location is the module call).
  const candidates: RelatedLocation[] = [
    ...(first.definedAt ? [{ ...first.definedAt, message: `${first.address} is defined here` }] : []),
    ...origins.slice(1).map((o) => ({ ...(o.definedAt ?? o.location), message: `${WHAT[o.kind]} ${o.address} is declared here` })),
  ];
  const related = candidates.filter((r, i) => candidates.findIndex((x) => x.file === r.file && x.line === r.line) === i && !(r.file === first.location.file && r.line === first.location.line));
  const { anchor: _anchor, ...rest } = f;
  void _anchor;
  return {
    ...rest,
    location: f.location ?? { file: first.location.file, line: first.location.line },
    ...(related.length > 0 || f.relatedLocations ? { relatedLocations: [...(f.relatedLocations ?? []), ...related] } : {}),
    evidence: [
      ...f.evidence,
      `${variantOf(model)} declares ${WHAT[first.kind]} ${first.address} at ${where(first)}${origins.length > 1 ? `, and ${origins.slice(1).map((o) => `${WHAT[o.kind]} ${o.address} at ${where(o)}`).join(", ")}` : ""}; judged as it will be once applied`,
      ...(alone ? ["judged from the repository alone: roles, credentials and settings made outside this configuration are not seen (scan with --snapshot or live sources to include them)"] : []),
    ],
  };
}
