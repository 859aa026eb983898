/** Maps JSON pointers to line numbers in the text they came from (for errors and SARIF anchors). */
import { findNodeAtLocation, parseTree, type Node as JsonNode } from "jsonc-parser";

export class JsonLocator {
  private readonly root: JsonNode | undefined;
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    this.root = parseTree(text);
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
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
