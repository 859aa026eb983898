/** Offsets to lines, shared by every reader that reports file and line. */

/** Maps offsets to 1-based lines (lines end at `\n`; `\r\n` counts once). */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  /** Number of lines (an empty text has one). */
  get count(): number {
    return this.starts.length;
  }

  /** 1-based line of an offset (clamped into the text). */
  lineAt(offset: number): number {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** 0-based column of an offset. */
  columnAt(offset: number): number {
    const o = Math.max(0, Math.min(offset, this.text.length));
    return o - this.starts[this.lineAt(o) - 1]!;
  }
}
