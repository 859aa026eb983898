/**
 * Shared plumbing for collectors: a concurrency limiter, retries that honour Retry-After, the
 * same-origin rule for next links, TLS trust for test servers, and error descriptions that
 * never carry a token.
 */
import { Agent } from "undici";

/** Runs at most `limit` tasks at once. */
export class Limiter {
  private active = 0;
  /** Waiting tasks, highest priority first, in arrival order within a priority. */
  private readonly queue: { priority: number; start: () => void }[] = [];
  constructor(private readonly limit: number) {}

  /**
   * Runs `task` when a slot is free. Higher `priority` goes first: callers give the next page of
   * a listing, and requests others wait on, precedence over independent first pages, so chains
   * of dependent requests are not stuck behind work that could fill the gaps later.
   */
  async run<T>(task: () => Promise<T>, priority = 0): Promise<T> {
    if (this.active >= this.limit) {
      // The slot is handed over by the task that frees it (below), so a caller arriving before
      // this one resumes cannot take it as well.
      await new Promise<void>((start) => {
        let i = this.queue.length;
        while (i > 0 && this.queue[i - 1]!.priority < priority) i--;
        this.queue.splice(i, 0, { priority, start });
      });
    } else {
      this.active++;
    }
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next.start();
      else this.active--;
    }
  }
}

/** An undici dispatcher that trusts the given CA (for fetch-based clients), or undefined. */
export function dispatcherFor(caPem: string | undefined): Agent | undefined {
  return caPem ? new Agent({ connect: { ca: caPem } }) : undefined;
}

/** Seconds from a Retry-After header (seconds, possibly fractional, or an HTTP date). */
export function retryAfterMs(value: string | null | undefined, fallbackMs: number): number {
  if (!value) return fallbackMs;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? fallbackMs : Math.max(0, date - Date.now());
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with jitter, capped. */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
}

/** A next link on another origin is never requested: the bearer token would go with it. */
export class ForeignOriginError extends Error {
  constructor(readonly link: string, readonly expectedOrigin: string) {
    super(`next link ${redactUrl(link)} points outside ${expectedOrigin}; not followed, so the listing is incomplete`);
    this.name = "ForeignOriginError";
  }
}

export function assertSameOrigin(link: string, base: string): void {
  let origin: string;
  try {
    origin = new URL(link).origin;
  } catch {
    throw new ForeignOriginError(link, new URL(base).origin);
  }
  if (origin !== new URL(base).origin) throw new ForeignOriginError(link, new URL(base).origin);
}

/** A URL without its query string's tokens (skip tokens are opaque, not secret, but long). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url.split("?")[0] ?? url;
  }
}
