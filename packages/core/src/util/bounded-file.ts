/**
 * Reading a file that may be hostile: only a regular file, opened non-blocking (a FIFO cannot hang
 * the read), at most `max` bytes counted as they are read (procfs files report size 0, /dev/zero
 * never ends). Every problem is one line, never an exception.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

export interface Problem {
  message: string;
  /** Nothing is lost by not reading it (a broken link): shown, but not a coverage gap. */
  note?: true;
}

type Typed = Pick<Stats, "isFIFO" | "isSocket" | "isCharacterDevice" | "isBlockDevice" | "isDirectory">;

export function notRegular(s: Typed | "directory"): Problem {
  const type = s === "directory" ? s : s.isFIFO() ? "FIFO" : s.isSocket() ? "socket" : s.isCharacterDevice() ? "character device" : s.isBlockDevice() ? "block device" : s.isDirectory() ? "directory" : "special file";
  return { message: `not a regular file (${type}); not read` };
}

export const errno = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);
export const cannotRead = (e: unknown): Problem => ({ message: `cannot read: ${errno(e)}` });

// O_NONBLOCK: opening a FIFO (or one swapped in after a type check) must not wait for a writer.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** At most `max` bytes of a regular file, counted as read (procfs files report size 0). */
export function readBounded(real: string, max: number, opts: { followLinks?: boolean } = {}): { text: string } | { problem: Problem } {
  let fd: number;
  try {
    fd = openSync(real, opts.followLinks ? OPEN_FLAGS : OPEN_FLAGS | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    return { problem: cannotRead(e) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: notRegular(st) };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, max + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > max) return { problem: { message: `larger than ${max} bytes; not read` } };
    }
    return { text: Buffer.concat(chunks, total).toString("utf8") };
  } catch (e) {
    return { problem: cannotRead(e) };
  } finally {
    closeSync(fd);
  }
}
