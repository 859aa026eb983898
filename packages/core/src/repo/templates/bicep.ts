/**
 * Reads Bicep files: parameters (with defaults, or values bound by a module call or a
 * `.bicepparam` file), variables (also imported ones) and resources, including nested child
 * resources, `existing` resources, conditions and loops, and the resources of local modules.
 * Facts come from the shared extraction.
 */
import type { TemplateFacts } from "../../model/repo.ts";
import type { ReadResult } from "./arm.ts";
import { parseBicep, type BicepFile, type ResourceDecl } from "./bicep-parser.ts";
import { BicepReading, type ExtractContext } from "./bicep-modules.ts";
import { Evaluator, loopSource, Scope, type ResourceNode } from "./evaluate.ts";
import { propOf, type Expr } from "./expr.ts";

const TRUE: Expr = { k: "bool", value: true, raw: "true", line: 1 };
import { FactCollector, qualify } from "./facts.ts";
import type { TemplateHost } from "./index.ts";
import { clip, runTemplateReader } from "./support.ts";

/** `readBicep` plus the work it did (for tests that bound it; module work has its own budget). */
export function readBicepWithStats(text: string, file: string, host?: TemplateHost): ReadResult & { steps: number } {
  return runTemplateReader(text, file, "file", (src, lines, diags, budget) => {
    const parsed = parseBicep(src, lines, diags, budget);
    const reading = new BicepReading(host, extract);
    const ctx: ExtractContext = { file, diags, budget, reading, stack: [file], conditions: [] };
    if (!file.endsWith(".bicepparam")) {
      const bind = reading.paramFile(file, diags);
      if (bind) ctx.bind = bind;
    }
    return extract(parsed, ctx).facts;
  });
}

function extract(parsed: BicepFile, ctx: ExtractContext): { facts: TemplateFacts; root: Scope; ev: Evaluator } {
  const { budget } = ctx;
  const root = new Scope(false);
  for (const p of parsed.params) {
    const bound = ctx.bind?.(p.name);
    if (bound) root.defineParam(p.name, bound.expr, bound.scope);
    else root.defineParam(p.name, p.default, root);
  }
  for (const v of parsed.vars) root.defineVar(v.name, v.expr, root);
  ctx.reading.imports(parsed.imports, root, ctx);
  const nodes: ResourceNode[] = [];
  /** Adds the node for a declaration and its nested children; returns the declaration's index in `nodes`. */
  /** Resource conditions, evaluated once every symbol is defined. */
  const guarded: { node: ResourceNode; condition: Expr; scope: Scope; parent?: ResourceNode }[] = [];
  const build = (decl: ResourceDecl, parentType: string | undefined, scope: Scope, conditions: string[], parent?: ResourceNode): number => {
    budget.tick();
    const conds = [...conditions];
    let inner = scope;
    if (decl.loop) {
      inner = new Scope(false, scope);
      inner.hide(decl.loop.vars, loopSource(decl.loop.over, scope));
      conds.push(`is declared in a loop (\`${clip(decl.loop.header)}\`); its facts are read once from the loop body, and values that depend on the loop are kept raw`);
    }
    if (decl.condition && !(decl.condition.k === "bool" && decl.condition.value)) {
      conds.push(`is deployed only if \`${clip(decl.condition.raw)}\`; its facts are read as if it is deployed`);
    }
    const type = qualify(decl.typeText, parentType);
    const node: ResourceNode = { type, line: decl.line, symbol: decl.symbol, body: decl.body, existing: decl.existing, conditions: conds, scope: inner };
    const name = propOf(decl.body, "name")?.value;
    if (name) node.name = name;
    if (ctx.off !== undefined) node.off = ctx.off;
    if (decl.condition || parent) guarded.push({ node, condition: decl.condition ?? TRUE, scope: inner, ...(parent ? { parent } : {}) });
    const index = nodes.push(node) - 1;
    for (const child of decl.nested) build(child, type, inner, conds, node);
    return index;
  };
  const topLevel = new Set<ResourceNode>();
  for (const r of parsed.resources) {
    topLevel.add(nodes[build(r, undefined, root, ctx.conditions)]!);
  }
  // Top-level symbols first, so a nested child never hides a top-level resource of the same name.
  for (const n of nodes) if (topLevel.has(n)) root.defineResource(n.symbol!, n);
  for (const n of nodes) if (!topLevel.has(n)) root.defineResource(n.symbol!, n);
  const ev = new Evaluator(budget);
  // In declaration order, so a child sees its parent's verdict.
  for (const g of guarded) {
    if (g.node.off !== undefined) continue;
    if (g.parent?.off !== undefined) g.node.off = g.parent.off;
    else {
      const c = ev.eval(g.condition, g.scope);
      if (c.t === "bool" && !c.b) g.node.off = `it is not deployed with the values read: \`${clip(g.condition.raw)}\` is false`;
    }
  }
  const collector = new FactCollector(ev, ctx.diags, ctx.file);
  for (const n of nodes) collector.resource(n);
  ctx.reading.modules(parsed.modules, parsed.imports, root, ev, ctx, collector.facts);
  return { facts: collector.facts, root, ev };
}
