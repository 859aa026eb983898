/**
 * The trust map as a Mermaid flowchart (`trustscope graph --format mermaid`). Node IDs are
 * generated (`n1`, `n2`, …) because map IDs contain characters Mermaid gives meaning to; labels
 * are quoted with every character Mermaid or its HTML rendering could interpret written as an
 * entity code, so a hostile name stays text.
 */
import { SEVERITIES } from "../model/finding.ts";
import type { TrustMap, TrustMapNode, TrustMapNodeKind } from "../graph/trust-map.ts";
import { groupNodes, NO_FINDING_COLORS, PRODUCTION_COLOR, SEVERITY_COLORS } from "./graph-dot.ts";
import { INVISIBLE } from "./escape.ts";

/** Opening and closing brackets per kind: box, stadium, rounded box, cylinder. */
const SHAPES: Record<TrustMapNodeKind, [string, string]> = { pipeline: ["[", "]"], workload: ["[/", "/]"], credential: ["([", "])"], identity: ["(", ")"], scope: ["[(", ")]"] };

const INVISIBLE_RUNS = new RegExp(`(?:${INVISIBLE.source})+`, "g");

/**
 * A quoted Mermaid label. Mermaid decodes `#code;` entities in labels and renders labels as
 * HTML, so `"`, `#`, `&`, `<`, `>`, `` ` `` and the bracket characters become numeric codes.
 */
export function mermaidString(text: string): string {
  const body = text
    // Control and invisible format characters and line breaks become spaces.
    .replace(INVISIBLE_RUNS, " ")
    .replace(/["#&<>`[\](){}|\\;]/g, (ch) => `#${ch.charCodeAt(0)};`);
  // Mermaid rejects an empty quoted string.
  return `"${body || " "}"`;
}

const classOf = (n: { severity?: string }) => (n.severity ? `sev_${n.severity}` : undefined);

export function renderMermaid(map: TrustMap): string {
  const ids = new Map<string, string>();
  map.nodes.forEach((n, i) => ids.set(n.id, `n${i + 1}`));
  const out = ["flowchart LR"];
  const node = (n: TrustMapNode, indent: string) => {
    const [open, close] = SHAPES[n.kind];
    out.push(`${indent}${ids.get(n.id)}${open}${mermaidString(n.label)}${close}`);
  };
  let g = 0;
  for (const { group, nodes } of groupNodes(map.nodes)) {
    if (group === undefined) {
      for (const n of nodes) node(n, "  ");
      continue;
    }
    out.push(`  subgraph g${++g}[${mermaidString(group)}]`);
    for (const n of nodes) node(n, "    ");
    out.push("  end");
  }
  // Edges whose ends are not in the map are dropped rather than drawn to an undeclared node.
  const edges = map.edges.filter((e) => ids.has(e.from) && ids.has(e.to));
  for (const e of edges) {
    const arrow = e.readOnly ? "-.->" : e.production ? "==>" : "-->";
    out.push(`  ${ids.get(e.from)} ${arrow}${e.label ? `|${mermaidString(e.label)}|` : ""} ${ids.get(e.to)}`);
  }

  for (const s of SEVERITIES) out.push(`  classDef sev_${s} fill:${SEVERITY_COLORS[s].fill},stroke:${SEVERITY_COLORS[s].stroke}`);
  out.push(`  classDef production stroke:${PRODUCTION_COLOR},stroke-width:3px`);
  const members = new Map<string, string[]>();
  const member = (cls: string | undefined, id: string) => {
    if (cls) members.set(cls, members.get(cls) ?? []).get(cls)!.push(id);
  };
  for (const n of map.nodes) {
    member(classOf(n), ids.get(n.id)!);
    if (n.production) member("production", ids.get(n.id)!);
  }
  for (const [cls, list] of members) out.push(`  class ${list.join(",")} ${cls}`);
  // Edge colours by severity; plain edges keep a neutral grey.
  const byColor = new Map<string, number[]>();
  edges.forEach((e, i) => {
    const color = e.severity ? SEVERITY_COLORS[e.severity].stroke : NO_FINDING_COLORS.stroke;
    byColor.set(color, byColor.get(color) ?? []).get(color)!.push(i);
  });
  for (const [color, list] of byColor) out.push(`  linkStyle ${list.join(",")} stroke:${color}`);
  return `${out.join("\n")}\n`;
}
