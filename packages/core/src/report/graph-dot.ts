/**
 * The trust map as Graphviz DOT (`trustscope graph --format dot`): left to right, pipelines in
 * one box per Buildkite cluster and scopes in one box per subscription, nodes and edges coloured
 * by the highest severity naming them, production outlined in bold red. Every ID and label is a
 * quoted, escaped string, so names from the inventory cannot break out of the syntax.
 */
import type { Severity } from "../model/finding.ts";
import type { TrustMap, TrustMapEdge, TrustMapNode, TrustMapNodeKind } from "../graph/trust-map.ts";
import { INVISIBLE } from "./escape.ts";

/** Strong colours (edges, outlines) and light fills per severity; shared by the DOT and Mermaid views. */
export const SEVERITY_COLORS: Record<Severity, { stroke: string; fill: string }> = {
  critical: { stroke: "#b00020", fill: "#f8d7da" },
  high: { stroke: "#e4572e", fill: "#fde2d4" },
  medium: { stroke: "#c98a00", fill: "#fff3cd" },
  low: { stroke: "#4f86c6", fill: "#dbe9f6" },
  info: { stroke: "#777777", fill: "#eeeeee" },
};
export const NO_FINDING_COLORS = { stroke: "#9e9e9e", fill: "#ffffff" };
export const PRODUCTION_COLOR = "#c00000";

const SHAPES: Record<TrustMapNodeKind, string> = { pipeline: "box", workload: "component", credential: "note", identity: "ellipse", scope: "folder" };

/** A DOT double-quoted string: `"` and `\` escaped, line breaks as `\n`, other control and invisible format characters dropped. */
export function dotString(text: string): string {
  const body = text
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\r\n|\r|\n|\u2028|\u2029/g, "\\n")
    .replace(INVISIBLE, "");
  return `"${body}"`;
}

function attrs(pairs: Record<string, string | number | undefined>): string {
  const set = Object.entries(pairs).filter((e): e is [string, string | number] => e[1] !== undefined);
  return `[${set.map(([k, v]) => `${k}=${typeof v === "number" ? v : dotString(v)}`).join(", ")}]`;
}

function nodeLine(n: TrustMapNode): string {
  const colors = n.severity ? SEVERITY_COLORS[n.severity] : NO_FINDING_COLORS;
  return `${dotString(n.id)} ${attrs({
    label: n.label,
    shape: SHAPES[n.kind],
    style: n.production ? "filled,bold" : "filled",
    fillcolor: colors.fill,
    color: n.production ? PRODUCTION_COLOR : colors.stroke,
    penwidth: n.production ? 3 : 1,
    tooltip: [n.label, ...n.detail, ...(n.severity ? [`highest finding: ${n.severity}`] : [])].join("\n"),
  })};`;
}

function edgeLine(e: TrustMapEdge): string {
  const colors = e.severity ? SEVERITY_COLORS[e.severity] : NO_FINDING_COLORS;
  return `${dotString(e.from)} -> ${dotString(e.to)} ${attrs({
    label: e.label,
    color: colors.stroke,
    penwidth: e.production ? 2.5 : 1,
    style: e.readOnly ? "dashed" : undefined,
    tooltip: [e.kind, e.label, e.severity && `highest finding: ${e.severity}`, e.production && `production: ${e.production}`].filter(Boolean).join("\n"),
  })};`;
}

/** Nodes of one kind by group, groups in first-seen order (the map is already sorted). */
export function groupNodes(nodes: TrustMapNode[]): { group: string | undefined; nodes: TrustMapNode[] }[] {
  const groups = new Map<string, { group: string | undefined; nodes: TrustMapNode[] }>();
  for (const n of nodes) {
    const key = n.group === undefined ? `${n.kind}\u0000` : `${n.kind}\u0000${n.group}\u0001`;
    const g = groups.get(key) ?? { group: n.group, nodes: [] };
    g.nodes.push(n);
    groups.set(key, g);
  }
  return [...groups.values()];
}

export function renderDot(map: TrustMap): string {
  const out = [
    "digraph trustscope {",
    `  graph ${attrs({ rankdir: "LR", fontname: "Helvetica", label: "trustscope trust map: pipelines → credentials → identities → Azure scopes", labelloc: "t" })};`,
    `  node ${attrs({ fontname: "Helvetica", fontsize: 10 })};`,
    `  edge ${attrs({ fontname: "Helvetica", fontsize: 9 })};`,
  ];
  let cluster = 0;
  for (const { group, nodes } of groupNodes(map.nodes)) {
    if (group === undefined) {
      for (const n of nodes) out.push(`  ${nodeLine(n)}`);
      continue;
    }
    out.push(`  subgraph ${dotString(`cluster_${++cluster}`)} {`, `    graph ${attrs({ label: group, style: "rounded", color: "#bbbbbb" })};`);
    for (const n of nodes) out.push(`    ${nodeLine(n)}`);
    out.push("  }");
  }
  for (const e of map.edges) out.push(`  ${edgeLine(e)}`);
  out.push("}");
  return `${out.join("\n")}\n`;
}
