/**
 * Inline suppressions in pipeline YAML, scripts and Bicep:
 *   # trustscope: ignore[rule-id, other-rule] the reason
 *   // trustscope: ignore[rule-id] the reason
 * A trailing comment covers its own line; a comment on a line of its own covers the next line
 * that is not blank or another comment.
 */
import type { InlineSuppression } from "../model/repo.ts";

const PATTERN = /(?:#|\/\/)\s*trustscope:\s*ignore\[([^\]]*)\]\s*(.*)$/;

export function findInlineSuppressions(text: string, file: string): InlineSuppression[] {
  const lines = text.split("\n");
  const out: InlineSuppression[] = [];
  lines.forEach((raw, i) => {
    const m = PATTERN.exec(raw);
    if (!m) return;
    const before = raw.slice(0, m.index).trim();
    let target = i + 1;
    if (before === "") {
      // Own line: the next line with content.
      let j = i + 1;
      while (j < lines.length && (lines[j]!.trim() === "" || /^\s*(#|\/\/)/.test(lines[j]!))) j++;
      target = j + 1;
    }
    out.push({
      file,
      line: i + 1,
      appliesTo: target,
      rules: m[1]!.split(",").map((r) => r.trim()).filter(Boolean),
      reason: m[2]!.trim(),
    });
  });
  return out;
}
