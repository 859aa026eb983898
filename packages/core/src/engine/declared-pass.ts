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
import { overlayDeclared, type DeclaredOverlay, type LocatedOrigin } from "./declared-overlay.ts";
import type { Rule } from "./rule.ts";
import { toFinding } from "./to-finding.ts";
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
  const seen = new Set<string>();
  // Without Azure and Entra read, what the configuration does not declare is not seen.
  const alone = !input.inventory.azure && !input.inventory.entra;
  for (const model of models) {
    const overlay = overlayDeclared(input.inventory, model);
    for (const message of overlay.notes) out.notes.push({ source: "terraform", message: `${variantOf(model)}: ${message}` });
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
          if (seen.has(f.fingerprint)) continue;
          const placed = place(f, graph, overlay, model, alone);
          if (!placed) continue;
          seen.add(f.fingerprint);
          out.findings.push(placed);
        }
      } catch (e) {
        out.gaps.push({ source: "rule", scope: rule.meta.id, error: `rule '${rule.meta.id}' failed on ${variantOf(model)}: ${errorMessage(e).split("\n")[0]}` });
      }
    }
  }
  return out;
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
  const related: RelatedLocation[] = [
    ...(first.definedAt ? [{ ...first.definedAt, message: `${first.address} is defined here` }] : []),
    ...origins.slice(1).map((o) => ({ file: o.location.file, line: o.location.line, message: `${WHAT[o.kind]} ${o.address} is declared here` })),
  ];
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
