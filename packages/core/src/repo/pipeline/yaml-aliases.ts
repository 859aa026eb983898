/**
 * Anchors, aliases and merge keys as people write them in pipelines (`&defaults`, `*defaults`,
 * `<<: *defaults`), resolved in the parsed document before it is read, so a step written through
 * an alias is judged like one written out. Left unresolved, a merged `command` would be invisible
 * to every rule: a pull request could hide a client-secret login behind `<<: *login`.
 */
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, Pair, Scalar, visit as visitYaml, YAMLMap, YAMLSeq, type Alias, type Document, type Node } from "yaml";

/**
 * The most nodes a document may stand for once its aliases are expanded. Every use of an anchor
 * is a copy (so that what it holds is read at the line where it is used): an alias bomb (each
 * level naming the one before twice) would otherwise take exponential time and memory.
 */
export const MAX_EXPANDED_NODES = 100_000;

export interface AliasProblem {
  /** Where to point (the alias or merge key, or the collection that grew too large). */
  node: unknown;
  message: string;
}

export interface Resolved {
  /** For each node copied from an anchor: where the original starts (a source offset), for evidence. */
  origins: WeakMap<object, number>;
}

class Refused extends Error {
  constructor(readonly problem: AliasProblem) {
    super(problem.message);
  }
}

const keyText = (p: Pair): string => (isScalar(p.key) ? String(p.key.value) : String(p.key));
type Range = [number, number, number];

/**
 * Replaces every alias in `doc` with a copy of the node it names, placed at the alias (or the
 * merge key) so readers report the line of the use, and applies merge keys (explicit keys win;
 * among merged mappings the first to give a key wins, as the YAML merge spec says), in place.
 * Returns where each copy came from, or a problem for an alias cycle, a merge of something that is
 * not a mapping, or a document that expands past `max` nodes; the document is then not to be read.
 */
export function resolveAliases(doc: Document, max: number = MAX_EXPANDED_NODES): Resolved | AliasProblem {
  const origins = new WeakMap<object, number>();
  // Each alias names the nearest anchor of its name before it. Found in one pass: the parser's own
  // `Alias.resolve` walks the whole document for every alias (quadratic in a pull request's file).
  const anchors = new Map<string, Node>();
  const named = new Map<Alias, Node | undefined>();
  visitYaml(doc, (_, node) => {
    if (isAlias(node)) named.set(node, anchors.get(node.source));
    else if (isNode(node) && node.anchor) anchors.set(node.anchor, node);
  });
  let nodes = 0;
  const count = (at: unknown) => {
    if (++nodes > max) throw new Refused({ node: at, message: `aliases make it stand for more than ${max} YAML nodes; not read` });
  };
  /** Anchored collections being expanded: one met again inside itself is a cycle. */
  const expanding = new Set<Node>();

  /** A copy of `node` (aliases inside it kept, to be resolved in the copy) placed at `at`. */
  const copy = (node: unknown, at: Range, use: unknown): unknown => {
    if (isAlias(node) || !isNode(node)) return node;
    count(use);
    let out: Node;
    if (isMap(node)) {
      const m = new YAMLMap();
      m.items = (node.items as Pair[]).map((p) => new Pair(copy(p.key, at, use), copy(p.value, at, use)));
      out = m;
    } else if (isSeq(node)) {
      const q = new YAMLSeq();
      q.items = node.items.map((i) => copy(i, at, use));
      out = q;
    } else {
      const sc = new Scalar((node as Scalar).value);
      sc.type = (node as Scalar).type;
      out = sc;
    }
    out.range = [...at];
    origins.set(out, origins.get(node) ?? node.range?.[0] ?? at[0]);
    return out;
  };

  /** What `raw` stands for at its place: a resolved copy of an alias's target, or itself resolved. */
  const resolved = (raw: unknown, at?: Range): unknown => {
    if (!isAlias(raw)) {
      resolve(raw);
      return raw;
    }
    const target = named.get(raw);
    if (target === undefined) return null;
    if (expanding.has(target)) throw new Refused({ node: raw, message: "an alias names a collection that holds it (a cycle); not read" });
    const placed = copy(target, at ?? (raw.range as Range | undefined) ?? [0, 0, 0], raw);
    expanding.add(target);
    resolve(placed);
    expanding.delete(target);
    return placed;
  };

  /** Resolves, in place, the aliases and merge keys inside a node that is its own (not shared). */
  const resolve = (node: unknown): void => {
    if (isNode(node) && node.anchor) {
      // An anchored collection's own place: aliases to it inside it are a cycle.
      if (expanding.has(node)) return;
      expanding.add(node);
      try {
        resolveInside(node);
      } finally {
        expanding.delete(node);
      }
    } else resolveInside(node);
  };

  // Only copies are counted: the document itself is bounded by the file's size.
  const resolveInside = (node: unknown): void => {
    if (isSeq(node)) {
      node.items = node.items.map((i) => resolved(i));
    } else if (isMap(node)) {
      const own: Pair[] = [];
      const merged: Pair[] = [];
      for (const pair of node.items as Pair[]) {
        if (isScalar(pair.key) && pair.key.value === "<<") {
          // Merged keys are placed at the merge key: that is where the step says it uses them.
          const at = (pair.key.range as Range | undefined) ?? [0, 0, 0];
          const value = resolved(pair.value, at);
          for (const source of isSeq(value) ? value.items : [value]) {
            if (!isMap(source)) throw new Refused({ node: pair.key, message: "a merge key ('<<') must name a mapping or a list of mappings; not read" });
            merged.push(...(source.items as Pair[]));
          }
        } else {
          // An alias as a key (`*name : value`) stands for the scalar it names.
          if (isAlias(pair.key)) pair.key = resolved(pair.key) as Node | null;
          pair.value = resolved(pair.value) as Node | null;
          own.push(pair);
        }
      }
      const seen = new Set(own.map(keyText));
      const fromMerges = merged.filter((p) => !seen.has(keyText(p)) && (seen.add(keyText(p)), true));
      node.items = [...fromMerges, ...own];
    } else if (isPair(node)) {
      node.value = resolved(node.value);
    }
  };

  try {
    resolve(doc.contents);
    return { origins };
  } catch (e) {
    if (e instanceof Refused) return e.problem;
    throw e;
  }
}
