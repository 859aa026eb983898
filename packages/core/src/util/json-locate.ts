/** Maps JSON pointers to line numbers in the text they came from (for errors and SARIF anchors). */
import { findNodeAtLocation, parseTree, type Node as JsonNode } from "jsonc-parser";
import { LineIndex } from "./line-index.ts";

export class JsonLocator {
  private readonly root: JsonNode | undefined;
  private readonly lines: LineIndex;

  constructor(readonly text: string) {
    this.root = parseTree(text);
    this.lines = new LineIndex(text);
  }

  lineAt(offset: number): number {
    return this.lines.lineAt(offset);
  }

  /** Line of the value at a JSON pointer (`/entra/applications/0`), or undefined. */
  lineOf(pointer: string): number | undefined {
    if (!this.root) return undefined;
    const path = pointer
      .split("/")
      .slice(1)
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    // Walk up to the nearest existing node (a missing property is reported at its parent).
    for (let n = path.length; n >= 0; n--) {
      const node = findNodeAtLocation(this.root, path.slice(0, n));
      if (node) return this.lineAt(node.parent?.type === "property" ? node.parent.offset : node.offset);
    }
    return undefined;
  }
}
