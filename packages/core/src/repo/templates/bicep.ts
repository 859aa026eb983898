/**
 * Reads Bicep files: parameters (with defaults, or values bound by a module call or a
 * `.bicepparam` file), variables (also imported ones) and resources, including nested child
 * resources, `existing` resources, conditions and loops, and the resources of local modules.
 * A loop over a known array (at most MAX_LOOP_ITEMS items) is read once per item; other loops
 * once, the item unknown. Facts come from the shared extraction.
 */
import type { TemplateFacts } from "../../model/repo.ts";
import type { ReadResult } from "./arm.ts";
import { parseBicep, type BicepFile, type ResourceDecl } from "./bicep-parser.ts";
import { BicepReading, type ExtractContext } from "./bicep-modules.ts";
import { Evaluator, loopSource, Scope, type ResourceNode } from "./evaluate.ts";
import { propOf, type Expr, type ForExpr } from "./expr.ts";
import { FactCollector, qualify } from "./facts.ts";
import type { TemplateHost } from "./index.ts";
import { clip, dedupeFacts, runTemplateReader } from "./support.ts";

const TRUE: Expr = { k: "bool", value: true, raw: "true", line: 1 };
/** Resources of one file read item by item (beyond, a loop's body is read once, the item unknown). */
const MAX_LOOP_NODES = 256;

/** A resource loop: what it iterates, the scope outside it, and the index of its note in the node's conditions. */
interface LoopDecl {
  loop: ForExpr;
  outer: Scope;
  loopNote: number;
}

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
  // The top-level file's own parameters are the deployer's to set, whatever their defaults.
  const overridable = ctx.stack.length === 1 && !ctx.bind;
  for (const p of parsed.params) {
    const bound = ctx.bind?.(p.name);
    if (bound) root.defineParam(p.name, bound.expr, bound.scope);
    else if (p.default === undefined && ctx.absentIsNull) root.defineParam(p.name, { k: "null", raw: "null", line: p.line }, root);
    else root.defineParam(p.name, p.default, root, undefined, overridable);
  }
  for (const v of parsed.vars) root.defineVar(v.name, v.expr, root);
  ctx.reading.imports(parsed.imports, root, ctx);
  const nodes: ResourceNode[] = [];
  /** Loops that may be read item by item once every symbol is defined. */
  const loops = new Map<ResourceNode, LoopDecl>();
  /** Resource conditions, evaluated once every symbol is defined. */
  const guarded: { node: ResourceNode; condition: Expr; scope: Scope; parent?: ResourceNode }[] = [];
  /** Adds the node for a declaration and its nested children; returns the declaration's index in `nodes`. */
  const build = (decl: ResourceDecl, parentType: string | undefined, scope: Scope, conditions: string[], parent?: ResourceNode): number => {
    budget.tick();
    const conds = [...conditions];
    let inner = scope;
    let loopNote = -1;
    if (decl.loop) {
      inner = new Scope(false, scope);
      inner.hide(decl.loop.vars, loopSource(decl.loop.over, scope));
      loopNote = conds.push(`is declared in a loop (\`${clip(decl.loop.header)}\`); its facts are read once from the loop body, and values that depend on the loop are kept raw`) - 1;
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
    // A looped resource with children is not valid Bicep (BCP160): it stays one reading.
    if (decl.loop && decl.nested.length === 0) loops.set(node, { loop: decl.loop, outer: scope, loopNote });
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
  const items = expandLoops(loops, ev);
  // In declaration order, so a child sees its parent's verdict.
  for (const g of guarded) {
    for (const node of items.get(g.node) ?? [g.node]) {
      if (node.off !== undefined) continue;
      if (g.parent?.off !== undefined) node.off = g.parent.off;
      else {
        const c = ev.eval(g.condition, node.scope);
        if (c.t === "bool" && !c.b) node.off = `it is not deployed with the values read: \`${clip(g.condition.raw)}\` is false`;
      }
    }
  }
  const collector = new FactCollector(ev, ctx.diags, ctx.file);
  for (const n of nodes) for (const item of items.get(n) ?? [n]) collector.resource(item);
  ctx.reading.modules(parsed.modules, parsed.imports, root, ev, ctx, collector.facts);
  return { facts: dedupeFacts(collector.facts), root, ev };
}

/**
 * Resource loops over a known array, read item by item: one node per item, its loop variables
 * bound (none for an empty array: the node is kept, marked as declaring nothing). Other loops,
 * and those beyond MAX_LOOP_NODES items in all, keep one reading of the body.
 */
function expandLoops(loops: Map<ResourceNode, LoopDecl>, ev: Evaluator): Map<ResourceNode, ResourceNode[]> {
  const out = new Map<ResourceNode, ResourceNode[]>();
  let left = MAX_LOOP_NODES;
  for (const [node, { loop, outer, loopNote }] of loops) {
    const scopes = ev.declarationLoopScopes(loop, outer);
    if (!scopes || scopes.length > left) continue;
    left -= scopes.length;
    if (scopes.length === 0) {
      node.none = `it is declared in a loop over an empty array (\`${clip(loop.header)}\`): it is not deployed with the values read`;
      continue;
    }
    const note = `is declared in a loop (\`${clip(loop.header)}\`); its facts are read for each of its ${scopes.length} item(s)`;
    out.set(
      node,
      scopes.map((scope) => ({ ...node, scope, conditions: node.conditions.map((c, i) => (i === loopNote ? note : c)) })),
    );
  }
  return out;
}
