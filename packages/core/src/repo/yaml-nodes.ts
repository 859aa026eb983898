/**
 * Reading parsed YAML nodes with their lines, for the readers of pipeline and workflow files:
 * the same questions (a scalar's text, a mapping's pairs, a key's value, a node's line) answered once.
 */
import { isMap, isScalar, type LineCounter, type Node, type Pair, type YAMLError, type YAMLMap } from "yaml";
import type { Diagnostic } from "../model/repo.ts";

/** What a reader carries while it reads one file. */
export interface YamlReadContext {
  file: string;
  lines: LineCounter;
  diagnostics: Diagnostic[];
}

/** The 1-based line a node starts on (1 when it has no position). */
export function lineOf(ctx: YamlReadContext, node: unknown): number {
  const range = (node as Node | null)?.range;
  return range ? ctx.lines.linePos(range[0]).line : 1;
}

/** A diagnostic at the node's line. */
export function diag(ctx: YamlReadContext, node: unknown, message: string): void {
  ctx.diagnostics.push({ file: ctx.file, line: lineOf(ctx, node), message });
}

/** A scalar's value as text; undefined for a null scalar or anything that is not a scalar. */
export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return v === null || v === undefined ? undefined : String(v);
}

/** A mapping's pairs (none for anything else). */
export function pairs(node: unknown): Pair[] {
  return isMap(node) ? (node as YAMLMap).items : [];
}

/** A pair's key as text ("" for a key that is not a scalar). */
export function key(p: Pair): string {
  return isScalar(p.key) ? String(p.key.value) : "";
}

/** The value of the first pair with this key. */
export function get(node: unknown, name: string): Node | undefined {
  const p = pairs(node).find((x) => key(x) === name);
  return (p?.value as Node | undefined) ?? undefined;
}

/**
 * The 1-based line of a parse error. Without `prettyErrors` the parser leaves `linePos` unset, so
 * the line comes from the error's offset (else every malformed file would say line 1).
 */
export function errorLine(e: YAMLError, lines: LineCounter): number {
  const offset = e.pos?.[0];
  return e.linePos?.[0]?.line ?? (Number.isInteger(offset) ? lines.linePos(offset!).line : 1);
}
