/**
 * Small pieces shared by the ARM JSON and Bicep readers: offsets to lines, a work budget that
 * guarantees termination, and a capped diagnostic sink.
 */
import type { Diagnostic, TemplateFacts } from "../../model/repo.ts";

import { LineIndex } from "../../util/line-index.ts";

export { LineIndex };

/** Thrown when a reader spends more steps than its budget allows (it then reports and stops). */
export class BudgetExceeded extends Error {
  constructor() {
    super("work budget exceeded");
  }
}

/**
 * Counts units of work (tokens consumed, loop turns, evaluations). Every loop in the readers
 * ticks, so a bug that stops making progress ends in a diagnostic rather than a hang.
 */
export class Budget {
  steps = 0;

  constructor(readonly limit: number) {}

  /** A budget linear in the input size. */
  static forText(text: string): Budget {
    return new Budget(STEPS_PER_CHAR * (text.length + 256));
  }

  tick(n = 1): void {
    this.steps += n;
    if (this.steps > this.limit) throw new BudgetExceeded();
  }
}

/** The budget per input character (tests assert the actual work stays well below it). */
export const STEPS_PER_CHAR = 400;

/** How many diagnostics a file reports before it summarises the rest. */
export const MAX_DIAGNOSTICS = 100;

/** Collects diagnostics for one file with lines clamped to the file, capped at MAX_DIAGNOSTICS. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  /** Gaps and notes are capped apart: a file of many deploy-time notes is still complete, and a gap after them keeps its line. */
  private listed = { gap: 0, note: 0 };
  private suppressed = { gap: 0, note: 0 };
  private readonly seen = new Set<string>();

  constructor(
    readonly file: string,
    readonly lines: LineIndex,
  ) {}

  /** Report at a 1-based line (clamped into 1..line count). */
  /** `kind` names what sort of note it is (`deploy-time-value`, `loop`, …), for the summary. */
  atLine(line: number, message: string, note = false, kind?: string): void {
    const clamped = Number.isFinite(line) ? Math.max(1, Math.min(Math.trunc(line), this.lines.count)) : 1;
    // The same words at the same line (a loop read item by item, a module called in a loop) once.
    const key = `${clamped}\u0000${note ? 1 : 0}\u0000${kind ?? ""}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const which = note ? "note" : "gap";
    if (this.listed[which] >= MAX_DIAGNOSTICS) {
      this.suppressed[which]++;
      return;
    }
    this.listed[which]++;
    this.list.push({ file: this.file, line: clamped, message, ...(note ? { note: true } : {}), ...(note && kind ? { kind } : {}) });
  }

  /** Report at the line of an offset. */
  atOffset(offset: number, message: string): void {
    this.atLine(this.lines.lineAt(offset), message);
  }

  /** The diagnostics in line order, with a closing summary of each kind that was cut (a gap only for gaps). */
  finish(): Diagnostic[] {
    this.list.sort((a, b) => a.line - b.line);
    const last = this.list[this.list.length - 1]?.line ?? 1;
    if (this.suppressed.gap > 0) this.list.push({ file: this.file, line: last, message: `${this.suppressed.gap} further problem(s) in this file are not listed` });
    if (this.suppressed.note > 0) this.list.push({ file: this.file, line: last, message: `${this.suppressed.note} further note(s) in this file are not listed`, note: true, kind: "other" });
    this.suppressed = { gap: 0, note: 0 };
    return this.list;
  }
}

export function emptyFacts(): TemplateFacts {
  return { roleAssignments: [], federatedCredentials: [], storageAccounts: [] };
}

/** Each fact list without repeated equal facts (a loop's items, or a module's calls, that read the same), first kept. */
export function dedupeFacts(facts: TemplateFacts): TemplateFacts {
  const once = <T>(list: T[]): T[] => {
    const seen = new Set<string>();
    return list.filter((f) => {
      const key = JSON.stringify(f);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  return { roleAssignments: once(facts.roleAssignments), federatedCredentials: once(facts.federatedCredentials), storageAccounts: once(facts.storageAccounts) };
}

/** Sorts each fact list by line (stable), so output follows the document. */
export function sortFacts(facts: TemplateFacts): TemplateFacts {
  return {
    roleAssignments: [...facts.roleAssignments].sort((a, b) => a.line - b.line),
    federatedCredentials: [...facts.federatedCredentials].sort((a, b) => a.line - b.line),
    storageAccounts: [...facts.storageAccounts].sort((a, b) => a.line - b.line),
  };
}

/** Shortens text for a message (one line, at most `max` characters). */
export function clip(text: string, max = 80): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs a template reader inside the shared guarantees: a work budget, a capped diagnostic sink,
 * no exception escaping, facts in line order. `noun` names the input in the two failure messages.
 */
export function runTemplateReader(
  text: string,
  file: string,
  noun: "template" | "file",
  read: (src: string, lines: LineIndex, diags: DiagnosticSink, budget: Budget) => TemplateFacts,
): { facts: TemplateFacts; diagnostics: Diagnostic[]; steps: number } {
  const src = typeof text === "string" ? text : "";
  const lines = new LineIndex(src);
  const diags = new DiagnosticSink(file, lines);
  const budget = Budget.forText(src);
  let facts = emptyFacts();
  try {
    facts = read(src, lines, diags, budget);
  } catch (e) {
    if (e instanceof BudgetExceeded) diags.atLine(1, `the ${noun} is too complex to read within the work limit; its facts are not reported`);
    else diags.atLine(1, `internal error while reading the ${noun}: ${errorText(e)}`);
  }
  return { facts: sortFacts(facts), diagnostics: diags.finish(), steps: budget.steps };
}
