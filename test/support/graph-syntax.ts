/**
 * Real syntax checks for the graph exports, offline: Mermaid's own parser (it needs a DOM for
 * its sanitiser, so it runs in a happy-dom window) and Graphviz compiled to WebAssembly.
 */
import { Window } from "happy-dom";

interface MermaidApi {
  parse(text: string): Promise<{ diagramType: string } | false>;
}

let mermaid: Promise<MermaidApi> | undefined;

function loadMermaid(): Promise<MermaidApi> {
  mermaid ??= (async () => {
    const w = new Window();
    // Mermaid's sanitiser (DOMPurify) looks for the browser globals when it is first loaded.
    Object.assign(globalThis, { window: w, document: w.document });
    const m = (await import("mermaid")).default as unknown as MermaidApi & { initialize(c: object): void };
    m.initialize({ startOnLoad: false });
    return m;
  })();
  return mermaid;
}

/** The diagram type Mermaid's parser reads from `text`; throws Mermaid's parse error when it is not valid. */
export async function parseMermaid(text: string): Promise<string> {
  const result = await (await loadMermaid()).parse(text);
  if (!result) throw new Error("mermaid.parse rejected the diagram");
  return result.diagramType;
}

/** Lays the DOT source out with Graphviz (WASM) and returns the SVG; throws Graphviz's error when it is not valid. */
export async function renderDotSvg(text: string): Promise<string> {
  const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
  const graphviz = await Graphviz.load();
  return graphviz.layout(text, "svg", "dot");
}
