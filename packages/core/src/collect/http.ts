/**
 * Shared plumbing for collectors: a concurrency limiter, retries that honour Retry-After, the
 * same-origin rule for next links, no redirects, capped response bodies, paging that cannot loop,
 * TLS trust for test servers, and error descriptions that never carry a token.
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

/**
 * An answer the collectors refuse to use (a redirect, an oversized body, a paging loop, a next link
 * elsewhere). The listing it belongs to becomes a coverage gap whose error is this message alone.
 */
export class RefusedResponseError extends Error {
  override name = "RefusedResponseError";
}

/** The refusal behind an error, also when an SDK wrapped it (as `cause`). */
export function refusalOf(e: unknown): RefusedResponseError | undefined {
  for (let x = e, depth = 0; x && typeof x === "object" && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    if (x instanceof RefusedResponseError) return x;
  }
  return undefined;
}

/** A next link on another origin is never requested: the bearer token would go with it. */
export class ForeignOriginError extends RefusedResponseError {
  override name = "ForeignOriginError";
  constructor(readonly link: string, readonly expectedOrigin: string) {
    super(`next link ${redactUrl(link)} points outside ${expectedOrigin}; not followed, so the listing is incomplete`);
  }
}

/**
 * No client follows a redirect, not even to its own origin: the next hop could be another origin,
 * and a 307/308 would carry the request body (a GraphQL query) along; the answer would then come
 * from someone else. Only where it pointed is named (its origin), never its query.
 */
export class RedirectRefusedError extends RefusedResponseError {
  override name = "RedirectRefusedError";
  /** Where it pointed, resolved against the request (undefined without a readable Location). */
  readonly target: URL | undefined;
  constructor(readonly status: number, url: string, location: string | null) {
    super(`${status} redirect from ${redactUrl(url)} to ${locationOrigin(location, url)} not followed (trustscope follows no redirects), so the listing is incomplete`);
    try {
      this.target = location ? new URL(location, url) : undefined;
    } catch {
      this.target = undefined;
    }
  }
}

function locationOrigin(location: string | null, base: string): string {
  if (!location) return "nowhere (no Location header)";
  try {
    return new URL(location, base).origin;
  } catch {
    return "an unreadable Location";
  }
}

/** Redirects are every 3xx but 304 (which only answers conditional requests, never sent here). */
export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

/** A body over the collectors' limit is not read at all: holding it could exhaust memory. */
export class OversizeResponseError extends RefusedResponseError {
  override name = "OversizeResponseError";
  constructor(url: string, readonly maxBytes: number) {
    super(`response from ${redactUrl(url)} is larger than ${maxBytes} bytes; not read, so the listing is incomplete`);
  }
}

/**
 * How much of one API's answers a collection reads: each body at most `perResponse` bytes, and
 * all of them together at most `total`. The second bounds what a hostile server can make the scan
 * hold by paging without end in pages under the first (the page cap alone allows 10,000 of them).
 */
export class ResponseLimits {
  private used = 0;
  constructor(
    readonly perResponse: number,
    readonly total: number,
  ) {}

  /** Counts bytes read from `url`; throws once all answers together pass `total`. */
  charge(bytes: number, url: string): void {
    this.used += bytes;
    if (this.used > this.total) {
      throw new RefusedResponseError(`answers from this API passed ${this.total} bytes in all; ${redactUrl(url)} and what follows are not read, so the listing is incomplete`);
    }
  }
}

/** The limits of a collection's options (their defaults from DEFAULTS). */
export function responseLimits(opts: { maxResponseBytes?: number; maxTotalResponseBytes?: number }, defaults: { maxResponseBytes: number; maxTotalResponseBytes: number }): ResponseLimits {
  return new ResponseLimits(opts.maxResponseBytes ?? defaults.maxResponseBytes, opts.maxTotalResponseBytes ?? defaults.maxTotalResponseBytes);
}

/**
 * Yields a body's chunks until more than `limits.perResponse` have arrived (or the collection's
 * total is passed), then throws. Leaving the `for await` early cancels (web stream) or destroys
 * (Node stream) the source, so the rest is never downloaded. A declared Content-Length over the
 * limit is refused before reading.
 */
export async function* cappedBody(body: AsyncIterable<Uint8Array | string>, url: string, limits: ResponseLimits, contentLength?: string | null): AsyncGenerator<Buffer> {
  const maxBytes = limits.perResponse;
  if (contentLength && Number(contentLength) > maxBytes) {
    release(body);
    throw new OversizeResponseError(url, maxBytes);
  }
  let read = 0;
  for await (const chunk of body) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    read += bytes.byteLength;
    if (read > maxBytes) throw new OversizeResponseError(url, maxBytes);
    limits.charge(bytes.byteLength, url);
    yield bytes;
  }
}

/** Frees a body that is not read (a Node stream is destroyed, a web stream cancelled). */
function release(body: AsyncIterable<unknown>): void {
  const b = body as { destroy?: () => void; cancel?: () => Promise<void> };
  if (typeof b.destroy === "function") b.destroy();
  else if (typeof b.cancel === "function") b.cancel().catch(() => undefined);
}

/** A whole body, within `limits` (see cappedBody). */
export async function readCapped(body: AsyncIterable<Uint8Array | string> | null | undefined, url: string, limits: ResponseLimits, contentLength?: string | null): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (body) for await (const chunk of cappedBody(body, url, limits, contentLength)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * A fetch answer checked and held in memory: a redirect is refused (never followed: requests
 * are sent with `redirect: "manual"`), the body read within `limits`. What the SDK parses
 * afterwards is this copy.
 */
export async function bufferedResponse(res: Response, url: string, limits: ResponseLimits): Promise<Response> {
  if (isRedirect(res.status)) {
    await res.body?.cancel().catch(() => undefined);
    throw new RedirectRefusedError(res.status, url, res.headers.get("location"));
  }
  const body = await readCapped(res.body as AsyncIterable<Uint8Array> | null, url, limits, res.headers.get("content-length"));
  // These statuses may not carry a body, not even an empty one.
  const bodiless = res.status === 204 || res.status === 205 || res.status === 304;
  return new Response(bodiless ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/**
 * Guards one listing's paging: a next link (or cursor) already followed would repeat pages
 * forever, and a listing longer than `maxPages` is cut short; either ends the listing as a gap.
 */
export class PageGuard {
  private readonly seen = new Set<string>();
  private pages = 0;
  constructor(
    private readonly maxPages: number,
    /** How a message names the link ("next link https://…", "the end cursor"). */
    private readonly name: (link: string) => string = (link) => `next link ${redactUrl(link)}`,
  ) {}

  /** Called before each page is requested, with the link or cursor that asks for it. */
  next(link: string): void {
    if (this.seen.has(link)) throw new RefusedResponseError(`${this.name(link)} repeats a page already read; not followed, so the listing is incomplete`);
    this.seen.add(link);
    if (++this.pages > this.maxPages) throw new RefusedResponseError(`more than ${this.maxPages} pages; the rest is not read, so the listing is incomplete`);
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

/** A URL without its query string's tokens (skip tokens are opaque, not secret, but long); a bare origin stays bare. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname === "/" ? u.origin : `${u.origin}${u.pathname}`;
  } catch {
    return url.split("?")[0] ?? url;
  }
}
