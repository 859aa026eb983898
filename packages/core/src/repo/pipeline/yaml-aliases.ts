/**
 * Anchors, aliases and merge keys as people write them in pipelines (`&defaults`, `*defaults`,
 * `<<: *defaults`), resolved in the parsed document before it is read, so a step written through
 * an alias is judged like one written out. Left unresolved, a merged `command` would be invisible
 * to every rule: a pull request could hide a client-secret login behind `<<: *login`.
 */
import { isAlias, isMap, isNode, isScalar, isSeq, visit as visitYaml, type Alias, type Document, type Node, type Pair } from "yaml";

/**
 * The most nodes a document may stand for once its aliases are expanded. Aliases are shared, not
 * copied, but the readers walk what they stand for: an alias bomb (each level naming the one
 * before twice) would take exponential time.
 */
export const MAX_EXPANDED_NODES = 100_000;

export interface AliasProblem {
  /** Where to point (the alias or merge key, or the collection that grew too large). */
  node: unknown;
  message: string;
}

class Refused extends Error {
  constructor(readonly problem: AliasProblem) {
    super(problem.message);
  }
}

const keyText = (p: Pair): string => (isScalar(p.key) ? String(p.key.value) : String(p.key));

/**
 * Replaces every alias in `doc` with the node it names and applies merge keys (explicit keys win;
 * among merged mappings the first to give a key wins, as the YAML merge spec says), in place.
 * Returns a problem for an alias cycle, a merge of something that is not a mapping, or a document
 * that expands past MAX_EXPANDED_NODES; the document is then not to be read.
 */
export function resolveAliases(doc: Document, max: number = MAX_EXPANDED_NODES): AliasProblem | undefined {
  const size = new Map<unknown, number>();
  const resolving = new Set<unknown>();
  // Each alias names the nearest anchor of its name before it. Found in one pass: the parser's own
  // `Alias.resolve` walks the whole document for every alias (quadratic in a pull request's file).
  const anchors = new Map<string, Node>();
  const named = new Map<Alias, Node | undefined>();
  visitYaml(doc, (_, node) => {
    if (isAlias(node)) named.set(node, anchors.get(node.source));
    else if (isNode(node) && node.anchor) anchors.set(node.anchor, node);
  });
  const target = (n: unknown): unknown => (isAlias(n) ? named.get(n) : n);

  /** Resolves what is inside `raw` and returns how many nodes it stands for. */
  const visit = (raw: unknown): number => {
    const node = target(raw);
    if (!isMap(node) && !isSeq(node)) return 1;
    const known = size.get(node);
    if (known !== undefined) return known;
    if (resolving.has(node)) throw new Refused({ node: raw, message: "an alias names a collection that holds it (a cycle); not read" });
    resolving.add(node);
    let total = 1;
    if (isSeq(node)) {
      node.items = node.items.map(target);
      for (const item of node.items) total += visit(item);
    } else {
      const own: Pair[] = [];
      const merged: Pair[] = [];
      for (const pair of node.items as Pair[]) {
        if (isScalar(pair.key) && pair.key.value === "<<") {
          const value = target(pair.value);
          for (const source of isSeq(value) ? value.items.map(target) : [value]) {
            if (!isMap(source)) throw new Refused({ node: pair.key, message: "a merge key ('<<') must name a mapping or a list of mappings; not read" });
            visit(source);
            merged.push(...(source.items as Pair[]));
          }
        } else {
          pair.value = target(pair.value) as Node | null;
          own.push(pair);
        }
      }
      const seen = new Set(own.map(keyText));
      const fromMerges = merged.filter((p) => !seen.has(keyText(p)) && (seen.add(keyText(p)), true));
      node.items = [...fromMerges, ...own];
      for (const pair of node.items as Pair[]) total += visit(pair.value);
    }
    resolving.delete(node);
    if (total > max) throw new Refused({ node: raw, message: `aliases make it stand for more than ${max} YAML nodes; not read` });
    size.set(node, total);
    return total;
  };

  try {
    visit(doc.contents);
    return undefined;
  } catch (e) {
    if (e instanceof Refused) return e.problem;
    throw e;
  }
}
