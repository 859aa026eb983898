/** `trustscope graph`: the trust map as Graphviz DOT, Mermaid or JSON, to draw it your own way. */
import { resolve } from "node:path";
import { UsageError, buildTrustMap, renderDot, renderMermaid, renderTrustMapJson, type Redactor } from "@trustscope/core";
import { oneOf, parse } from "../args.ts";
import { writeText, type Io } from "../io.ts";
import { coverageExit, evaluateSources, SOURCE_HELP, VIEW_OPTIONS } from "../evaluated-source.ts";

export const GRAPH_HELP = `Usage: trustscope graph [source] [options]

Writes the trust map: pipelines → federated credentials → identities → Azure scopes. Nodes and
edges carry the highest severity of the unsuppressed findings that name them, and production
pipelines and scopes (and the paths into them) are marked with the reason.
  dot       Graphviz: pipelines boxed by cluster, scopes by subscription; render with
            'dot -Tsvg map.dot -o map.svg'
  mermaid   a Mermaid flowchart; big organisations may exceed Mermaid's default maxEdges and
            maxTextSize (raise them, or use dot)
  json      the map as data (schemaVersion 1: nodes[] and edges[]), byte-stable for diffs

${SOURCE_HELP}
Output:
  --format FORMAT          dot | mermaid | json (default: dot)
  -o, --output FILE        write to FILE instead of stdout
  -h, --help               show this help

Exit codes: 0 written, 2 usage or configuration error, 3 incomplete scan (the map is written
but may miss access), 4 internal error.
`;

const FORMATS = ["dot", "mermaid", "json"] as const;

export async function graphCommand(args: string[], io: Io, redactor: Redactor): Promise<number> {
  const { values, positionals } = parse("graph", args, VIEW_OPTIONS);
  if (values.help) {
    io.stdout(GRAPH_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`graph: unexpected argument '${positionals[0]}' (see 'trustscope graph --help')`);
  const format = oneOf("--format", values.format, FORMATS, "dot");
  const result = await evaluateSources("graph", values, io, redactor);
  const { evaluation } = result;
  const map = buildTrustMap(evaluation.graph, evaluation.environments, result.report.findings);
  const out = format === "json" ? renderTrustMapJson(map) : format === "mermaid" ? renderMermaid(map) : renderDot(map);
  if (values.output) writeText(resolve(io.cwd, values.output), redactor.redact(out));
  else io.stdout(out);
  return coverageExit(result, io, values.quiet, "the map");
}
