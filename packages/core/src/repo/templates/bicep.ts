/**
 * Reads Bicep files: parameters (with defaults), variables and resources, including nested child
 * resources, `existing` resources, conditions and loops. Facts come from the shared extraction.
 */
import type { TemplateFacts } from "../../model/repo.ts";
import type { ReadResult } from "./arm.ts";
import { parseBicep, type BicepFile, type ResourceDecl } from "./bicep-parser.ts";
import { Evaluator, Scope, type ResourceNode } from "./evaluate.ts";
import { propOf } from "./expr.ts";
import { FactCollector, qualify } from "./facts.ts";
import type { Budget, DiagnosticSink } from "./support.ts";
import { clip, runTemplateReader } from "./support.ts";

/** `readBicep` plus the work it did (for tests that bound it). */
export function readBicepWithStats(text: string, file: string): ReadResult & { steps: number } {
  return runTemplateReader(text, file, "file", (src, lines, diags, budget) => extract(parseBicep(src, lines, diags, budget), file, diags, budget));
}

function extract(parsed: BicepFile, file: string, diags: DiagnosticSink, budget: Budget): TemplateFacts {
  const root = new Scope(false);
  for (const p of parsed.params) root.defineParam(p.name, p.default, root);
  for (const v of parsed.vars) root.defineVar(v.name, v.expr, root);
  const nodes: ResourceNode[] = [];
  /** Adds the node for a declaration and its nested children; returns the declaration's index in `nodes`. */
  const build = (decl: ResourceDecl, parentType: string | undefined, scope: Scope, conditions: string[]): number => {
    budget.tick();
    const conds = [...conditions];
    let inner = scope;
    if (decl.loop) {
      inner = new Scope(false, scope);
      inner.hide(decl.loop.vars);
      conds.push(`is declared in a loop (\`${clip(decl.loop.header)}\`); its facts are read once from the loop body, and values that depend on the loop are kept raw`);
    }
    if (decl.condition && !(decl.condition.k === "bool" && decl.condition.value)) {
      conds.push(`is deployed only if \`${clip(decl.condition.raw)}\`; its facts are read as if it is deployed`);
    }
    const type = qualify(decl.typeText, parentType);
    const node: ResourceNode = { type, line: decl.line, symbol: decl.symbol, body: decl.body, existing: decl.existing, conditions: conds, scope: inner };
    const name = propOf(decl.body, "name")?.value;
    if (name) node.name = name;
    const index = nodes.push(node) - 1;
    for (const child of decl.nested) build(child, type, inner, conds);
    return index;
  };
  const topLevel = new Set<ResourceNode>();
  for (const r of parsed.resources) {
    topLevel.add(nodes[build(r, undefined, root, [])]!);
  }
  // Top-level symbols first, so a nested child never hides a top-level resource of the same name.
  for (const n of nodes) if (topLevel.has(n)) root.defineResource(n.symbol!, n);
  for (const n of nodes) if (!topLevel.has(n)) root.defineResource(n.symbol!, n);
  const collector = new FactCollector(new Evaluator(budget), diags, file);
  for (const n of nodes) collector.resource(n);
  return collector.facts;
}
