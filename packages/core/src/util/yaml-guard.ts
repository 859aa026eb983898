/**
 * YAML that would hurt before the parser sees it, and one-line reasons for what it rejects. The
 * YAML parser recurses per nesting level: near a thousand levels it overflows the stack, and a
 * second overflow in the same process can abort V8 outright (seen: "RegExpCompiler Allocation
 * failed"), so pathological nesting is refused by a linear scan first.
 */

/**
 * The deepest nesting read, as columns: every block level costs at least one column of
 * indentation or a `- ` / `? ` / `: ` marker, and every flow level one `[` or `{`. Real pipelines
 * and policies stay within a few dozen.
 */
export const MAX_YAML_NESTING = 400;

/**
 * The 1-based line where `text` nests deeper than MAX_YAML_NESTING, or undefined. Block nesting is
 * bounded by the column where a line's content starts (after indentation and compact `- `, `? `
 * and `: ` markers); flow nesting is counted outside quotes and comments. Over-counting only
 * happens on input no real file has.
 */
export function yamlTooDeepAt(text: string, max: number = MAX_YAML_NESTING): number | undefined {
  let flow = 0;
  let line = 1;
  let i = 0;
  while (i < text.length) {
    // Start of a line: indentation and compact block markers.
    let col = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === " " || c === "\t") {
        col++;
        i++;
      } else if ((c === "-" || c === "?" || c === ":") && (text[i + 1] === " " || text[i + 1] === "\t")) {
        col += 2;
        i += 2;
      } else break;
    }
    if (col + flow > max) return line;
    // The rest of the line: flow brackets outside quotes and comments.
    let quote: string | undefined;
    for (; i < text.length && text[i] !== "\n"; i++) {
      const c = text[i]!;
      if (quote) {
        if (c === "\\" && quote === '"') i++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
        while (i < text.length && text[i] !== "\n") i++;
        break;
      } else if (c === "[" || c === "{") {
        if (++flow + col > max) return line;
      } else if (c === "]" || c === "}") flow = Math.max(0, flow - 1);
    }
    // Quotes do not span lines in what this counts (a multi-line quoted scalar only under-counts).
    i++;
    line++;
  }
  return undefined;
}

/** The reason in a YAML parse error's message: its first line, or, for a stack overflow, a plain word. */
export function yamlErrorReason(message: string): string {
  return /call stack/i.test(message) ? "nested too deeply to read" : message.split("\n")[0]!;
}
