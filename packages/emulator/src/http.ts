/**
 * What the API families share: HTTPS servers, token checks, injected faults, latency, the request
 * log and JSON responses. Each family supplies its routes and its own error bodies.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TlsMaterial } from "./tls.ts";

export type ApiFamily = "buildkite" | "graph" | "arm" | "github";

export type Fault =
  /**
   * The first `times` matching requests get 429 (or 503) with `Retry-After`; for Graph also inside
   * `$batch`. GitHub answers 403 or 429 (`status`, default 403): `githubLimit` "secondary" (the
   * default) sends `retry-after`; "primary" sends `x-ratelimit-remaining: 0` and an
   * `x-ratelimit-reset` `retryAfterSeconds` from now (0 or less: already past) and no `retry-after`.
   */
  | { kind: "throttle"; api: ApiFamily; match: RegExp; times: number; retryAfterSeconds: number; status?: 403 | 429 | 503; githubLimit?: "primary" | "secondary" }
  /** 403 with the API's real error body. */
  | { kind: "forbidden"; api: ApiFamily; match: RegExp }
  /**
   * Always fails (default 500) with the API's real error body, or with `body` as `contentType`
   * (default text/html: a gateway's page, say).
   */
  | { kind: "fail"; api: ApiFamily; match: RegExp; status?: number; body?: string; contentType?: string }
  /**
   * The real answer with fields left out of each listed item (`value[]`, inside `$batch` too), as
   * published examples leave them out: dotted paths such as `properties.principalType` or
   * `passwordCredentials.0.keyId`. `items`
   * picks the items by their JSON text (default: every item).
   */
  | { kind: "omitFields"; api: "graph" | "arm"; match: RegExp; fields: string[]; items?: RegExp }
  /** On a matching list response, the next-page link points at the foreign server instead. */
  | { kind: "foreignNextLink"; api: "graph" | "arm" | "github"; match: RegExp }
  /**
   * Answers with a redirect (no body) to the same path and query on the foreign server, or on the
   * API's own origin (`same`: followed, it would redirect again).
   */
  | { kind: "redirect"; api: ApiFamily; match: RegExp; status: 300 | 301 | 302 | 303 | 307 | 308; to: "foreign" | "same" }
  /**
   * The real answer with `bytes` of padding in front (a JSON object's first member), written as
   * the client reads it; without Content-Length (chunked) unless `declareLength`.
   */
  | { kind: "oversize"; api: ApiFamily; match: RegExp; bytes: number; declareLength?: boolean }
  /**
   * A list that never ends: every page after the first has a next link (Graph, ARM; GitHub's
   * `Link` rel="next") to itself, and a Buildkite connection's end cursor repeats the cursor it was
   * asked for (with hasNextPage true).
   */
  | { kind: "loopNextLink"; api: ApiFamily; match: RegExp }
  /** The real status and headers, the body's first bytes, then nothing until the client goes away. */
  | { kind: "stallBody"; api: ApiFamily; match: RegExp }
  /** The API's error (default 400) whose message echoes the request's Authorization header and token; for Buildkite in GraphQL `errors`. */
  | { kind: "echoAuthorization"; api: ApiFamily; match: RegExp; status?: number };

/** Faults that shape what a handler answered, rather than answering in its place. */
const SHAPING_FAULTS: ReadonlySet<Fault["kind"]> = new Set(["foreignNextLink", "oversize", "loopNextLink", "stallBody", "omitFields"]);

export interface RecordedRequest {
  api: ApiFamily | "foreign";
  method: string;
  /** Path and query as received (for a `$batch` inner request: `/v1.0` + its relative URL). */
  path: string;
  /** For Buildkite: the GraphQL operation name, when the request named one. */
  operationName?: string;
  hasAuthorization: boolean;
  authorizationValid: boolean;
  /** The response status (0 while the request is still being answered). */
  status: number;
  batchInner?: boolean;
}

export interface ApiRequest {
  method: string;
  /** Path and query exactly as received. */
  rawPath: string;
  /** The same, parsed (origin is the emulator's own). */
  url: URL;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: string;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON; `undefined` sends no body. */
  body?: unknown;
  /** The body already serialised (a cached page); wins over `body`. */
  rawBody?: string | Buffer;
  /** Padding written in front of the body's first member (an oversize fault). */
  padding?: { bytes: number; declareLength: boolean; stall?: boolean };
}

/** The error responses an API family gives, in its own real shapes. */
export interface FamilyErrors {
  unauthorized(req: ApiRequest, missing: boolean): ApiResponse;
  /** `githubLimit` only for GitHub (which limit was hit; see the throttle fault). */
  throttled(req: ApiRequest, status: 403 | 429 | 503, retryAfterSeconds: number, githubLimit?: "primary" | "secondary"): ApiResponse;
  forbidden(req: ApiRequest): ApiResponse;
  failed(req: ApiRequest, status: number): ApiResponse;
  /** The same error with its message replaced (faults that put text in the message). */
  failedWith(req: ApiRequest, status: number, message: string): ApiResponse;
}

export interface FamilyHandler {
  api: ApiFamily;
  errors: FamilyErrors;
  contentType: string;
  /** Extra headers on every response (request ids and the like). */
  commonHeaders?(req: ApiRequest): Record<string, string>;
  /** What fault regexes are matched against; defaults to the path and query. */
  faultSubject?(req: ApiRequest): string;
  operationName?(req: ApiRequest): string | undefined;
  /** The token an Authorization header carries; default: a `Bearer` token (see bearerToken). */
  tokenOf?(authorization: string | undefined): string | undefined;
  handle(req: ApiRequest): Promise<ApiResponse> | ApiResponse;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** Shared mutable state of one emulator instance. */
export class EmulatorState {
  readonly requests: RecordedRequest[] = [];
  private readonly throttleHits = new Map<Fault, number>();
  /** Set once the servers listen. */
  urls = { buildkite: "", graph: "", arm: "", github: "", foreign: "" };

  constructor(
    readonly tokens: Readonly<Record<ApiFamily, string>>,
    readonly faults: readonly Fault[],
    readonly latencyMs: number,
  ) {}

  /**
   * The fault response for a request, if a fault applies. Throttle faults count the requests
   * they answer, so the request after the last throttled one goes through.
   */
  faultResponse(api: ApiFamily, errors: FamilyErrors, req: ApiRequest, subject: string): ApiResponse | undefined {
    for (const fault of this.faults) {
      if (fault.api !== api || SHAPING_FAULTS.has(fault.kind) || !matches(fault.match, subject)) continue;
      switch (fault.kind) {
        case "throttle": {
          const hits = this.throttleHits.get(fault) ?? 0;
          if (hits >= fault.times) continue;
          this.throttleHits.set(fault, hits + 1);
          return errors.throttled(req, fault.status ?? (api === "github" ? 403 : 429), fault.retryAfterSeconds, fault.githubLimit);
        }
        case "forbidden":
          return errors.forbidden(req);
        case "fail":
          if (fault.body !== undefined) return { status: fault.status ?? 500, rawBody: fault.body, headers: { "Content-Type": fault.contentType ?? "text/html; charset=utf-8" } };
          return errors.failed(req, fault.status ?? 500);
        case "redirect":
          return { status: fault.status, headers: { Location: `${fault.to === "foreign" ? this.urls.foreign : this.urls[api]}${req.rawPath}` } };
        case "echoAuthorization": {
          const authorization = req.headers.authorization ?? "";
          return errors.failedWith(req, fault.status ?? 400, `The request with Authorization '${authorization}' was rejected: token ${bearerToken(authorization) ?? githubToken(authorization) ?? ""} is not accepted here.`);
        }
      }
    }
    return undefined;
  }

  /** The first fault of a kind that applies to a request of `api` with this subject. */
  fault<K extends Fault["kind"]>(kind: K, api: ApiFamily, subject: string): Extract<Fault, { kind: K }> | undefined {
    return this.faults.find((f): f is Extract<Fault, { kind: K }> => f.kind === kind && f.api === api && matches(f.match, subject));
  }

  /**
   * The next-page link after a page of `size` items from `offset` of `total`, or none after the
   * last. Faults point it at the foreign server, or make the listing endless: the first page links
   * on (even past the end), every later page links to itself.
   */
  nextPageLink(api: "graph" | "arm", rawPath: string, offset: number, size: number, total: number): string | undefined {
    const origin = this.fault("foreignNextLink", api, rawPath) ? this.urls.foreign : this.urls[api];
    if (this.fault("loopNextLink", api, rawPath)) return /[?&](\$|%24)skiptoken=/i.test(rawPath) ? `${origin}${rawPath}` : nextLink(origin, rawPath, offset + size);
    return offset + size < total ? nextLink(origin, rawPath, offset + size) : undefined;
  }

  /** A listing's answer with the fields an `omitFields` fault leaves out of its items removed. */
  withoutFields(api: ApiFamily, subject: string, response: ApiResponse): ApiResponse {
    const fault = this.fault("omitFields", api, subject);
    if (!fault || response.status !== 200) return response;
    const body = (response.rawBody !== undefined ? JSON.parse(response.rawBody.toString()) : response.body) as { value?: unknown };
    if (!Array.isArray(body?.value)) return response;
    const value = body.value.map((item: unknown) => (fault.items && !matches(fault.items, JSON.stringify(item)) ? item : omit(item, fault.fields)));
    const { rawBody: _raw, ...rest } = response;
    return { ...rest, body: { ...body, value } };
  }

  /** An answer from a handler with the faults that shape it applied (omitFields, oversize). */
  shaped(api: ApiFamily, subject: string, answer: ApiResponse): ApiResponse {
    const response = this.withoutFields(api, subject, answer);
    const oversize = this.fault("oversize", api, subject);
    if (oversize) return { ...response, padding: { bytes: oversize.bytes, declareLength: oversize.declareLength ?? false } };
    return this.fault("stallBody", api, subject) ? { ...response, padding: { bytes: 0, declareLength: false, stall: true } } : response;
  }

  /** Whether an Authorization header carries one of the emulator's tokens (for the foreign server's log), in any scheme a family accepts. */
  isKnownToken(authorization: string | undefined): boolean {
    const token = bearerToken(authorization) ?? githubToken(authorization);
    return token !== undefined && Object.values(this.tokens).includes(token);
  }
}

/** A copy of a JSON object without the fields at the dotted paths. */
function omit(item: unknown, paths: readonly string[]): unknown {
  const copy = structuredClone(item) as Record<string, unknown>;
  for (const path of paths) {
    const keys = path.split(".");
    let parent: unknown = copy;
    for (const key of keys.slice(0, -1)) parent = parent && typeof parent === "object" ? (parent as Record<string, unknown>)[key] : undefined;
    if (parent && typeof parent === "object") delete (parent as Record<string, unknown>)[keys[keys.length - 1]!];
  }
  return copy;
}

/** `RegExp.test` without the `lastIndex` surprises of global/sticky regexes. */
function matches(re: RegExp, subject: string): boolean {
  re.lastIndex = 0;
  const result = re.test(subject);
  re.lastIndex = 0;
  return result;
}

export function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return m?.[1];
}

/** GitHub takes `Bearer X` and its older `token X` alike. */
export function githubToken(authorization: string | undefined): string | undefined {
  const m = /^(?:Bearer|token)\s+(\S+)\s*$/i.exec(authorization ?? "");
  return m?.[1];
}

export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

export function json(status: number, body: unknown, headers?: Record<string, string>): ApiResponse {
  return headers ? { status, body, headers } : { status, body };
}

export function newRequestId(): string {
  return randomUUID();
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function toApiRequest(req: IncomingMessage, body: string): ApiRequest {
  const rawPath = req.url ?? "/";
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  return { method: (req.method ?? "GET").toUpperCase(), rawPath, url: parseRequestUrl(rawPath), headers, body };
}

/** Parses a request target; "//subscriptions/…" must stay a path, not become a host. */
export function parseRequestUrl(rawPath: string): URL {
  return new URL(`https://emulator.invalid${rawPath.startsWith("/") ? rawPath : `/${rawPath}`}`);
}

async function send(res: ServerResponse, response: ApiResponse, contentType: string): Promise<void> {
  const headers: Record<string, string> = { ...response.headers };
  let payload: string | Buffer | undefined;
  if (response.rawBody !== undefined || response.body !== undefined) {
    payload = response.rawBody ?? JSON.stringify(response.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["Content-Type"] = contentType;
  }
  if (response.padding && payload !== undefined) return sendPadded(res, response.status, headers, Buffer.from(payload), response.padding);
  res.writeHead(response.status, headers);
  res.end(payload);
}

const PADDING_CHUNK = Buffer.alloc(64 * 1024, "x");

/**
 * `{"padding":"xxx…", …the rest of the object}`, the padding written as the client takes it (so
 * gigabytes cost nothing up front) and abandoned when the client goes away.
 */
async function sendPadded(res: ServerResponse, status: number, headers: Record<string, string>, payload: Buffer, padding: NonNullable<ApiResponse["padding"]>): Promise<void> {
  const rest = payload.subarray(1); // the object without its opening brace
  const head = Buffer.from('{"padding":"');
  const tail = Buffer.concat([Buffer.from(rest[0] === 0x7d ? '"' : '",'), rest]);
  if (padding.declareLength) headers["Content-Length"] = String(head.length + padding.bytes + tail.length);
  res.writeHead(status, headers);
  res.write(head);
  if (padding.stall) {
    // A body that never finishes: only the client's own deadline ends it.
    if (!res.destroyed) await new Promise((resolve) => res.once("close", resolve));
    return;
  }
  for (let left = padding.bytes; left > 0 && !res.destroyed; ) {
    const n = Math.min(left, PADDING_CHUNK.length);
    left -= n;
    if (!res.write(n === PADDING_CHUNK.length ? PADDING_CHUNK : PADDING_CHUNK.subarray(0, n))) await drained(res);
  }
  if (!res.destroyed) res.end(tail);
}

/** Resolves when the response can take more, or has closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Runs one request through auth, faults and the family's routes, and records it. */
async function serveFamily(state: EmulatorState, family: FamilyHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const apiReq = toApiRequest(req, body ?? "");
  const authorization = apiReq.headers.authorization;
  const hasAuthorization = authorization !== undefined && authorization !== "";
  const authorizationValid = (family.tokenOf ?? bearerToken)(authorization) === state.tokens[family.api];
  const operationName = family.operationName?.(apiReq);

  // Logged on arrival so that the log keeps arrival order ($batch inner requests follow their batch).
  const record: RecordedRequest = {
    api: family.api,
    method: apiReq.method,
    path: apiReq.rawPath,
    ...(operationName !== undefined ? { operationName } : {}),
    hasAuthorization,
    authorizationValid,
    status: 0,
  };
  state.requests.push(record);
  // The latency is the whole time to answer, as a real service's is: the answer is worked out
  // while it runs, not after it.
  const latency = delay(state.latencyMs);

  let response: ApiResponse;
  if (body === undefined) response = family.errors.failed(apiReq, 413);
  else if (!authorizationValid) response = family.errors.unauthorized(apiReq, !hasAuthorization);
  else {
    const subject = family.faultSubject?.(apiReq) ?? apiReq.rawPath;
    try {
      response = state.faultResponse(family.api, family.errors, apiReq, subject) ?? state.shaped(family.api, subject, await family.handle(apiReq));
    } catch (e) {
      record.status = 500; // an emulator bug: logged as a 500, reported to the client by listen()
      throw e;
    }
  }
  response = { ...response, headers: { ...family.commonHeaders?.(apiReq), ...response.headers } };
  await latency;
  record.status = response.status;
  await send(res, response, family.contentType);
}

/** The foreign origin: records what reaches it (never the token itself) and answers an empty page. */
async function serveForeign(state: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await readBody(req);
  const authorization = req.headers.authorization;
  const path = req.url ?? "/";
  const graphLike = path.startsWith("/v1.0/") || path.startsWith("/beta/");
  const body = graphLike ? { "@odata.context": `${state.urls.foreign}/v1.0/$metadata#directoryObjects`, value: [] } : { value: [] };
  state.requests.push({
    api: "foreign",
    method: (req.method ?? "GET").toUpperCase(),
    path,
    hasAuthorization: authorization !== undefined && authorization !== "",
    authorizationValid: state.isKnownToken(authorization),
    status: 200,
  });
  await send(res, { status: 200, body }, "application/json; charset=utf-8");
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

async function listen(tls: TlsMaterial, onRequest: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<RunningServer> {
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      // A bug in the emulator must surface in the test that hit it, not hang the client.
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`emulator error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets of SDK clients would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

export function listenFamily(state: EmulatorState, tls: TlsMaterial, family: FamilyHandler): Promise<RunningServer> {
  return listen(tls, (req, res) => serveFamily(state, family, req, res));
}

export function listenForeign(state: EmulatorState, tls: TlsMaterial): Promise<RunningServer> {
  return listen(tls, (req, res) => serveForeign(state, req, res));
}

// ---------------------------------------------------------------------------------------------
// Paging helpers shared by Graph and ARM: opaque offset tokens and next links that keep the
// request's other query parameters, as the real services do.

export function encodeSkipToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), "utf8").toString("base64url");
}

export function decodeSkipToken(token: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (typeof parsed === "object" && parsed !== null && "o" in parsed && Number.isInteger(parsed.o) && (parsed.o as number) >= 0) return parsed.o as number;
  } catch {
    // fall through: not one of ours
  }
  return undefined;
}

/**
 * The listing a request pages through: its path and query without the skip token. A generated
 * tenant has tens of thousands of items, so each listing is computed once and sliced per page
 * (the scenario never changes while the emulator runs).
 */
export function listingKey(rawPath: string): string {
  return rawPath.replace(/([?&])(\$|%24)skiptoken=[^&]*/gi, "$1").replace(/[?&]+$/, "");
}

/**
 * Serialised successful responses by request (path and query, plus the body for POSTs): the
 * scenario never changes, so a repeated request (a benchmark's second run) costs no work. Faults
 * are answered before a handler runs, so they never reach the cache.
 */
export class ResponseCache {
  private readonly entries = new Map<string, ApiResponse>();
  async get(key: string, compute: () => ApiResponse | Promise<ApiResponse>): Promise<ApiResponse> {
    const hit = this.entries.get(key);
    if (hit) return hit;
    const response = await compute();
    if (response.status !== 200 || response.body === undefined) return response;
    // Kept as bytes: a large page is then written as it is, not encoded again for every request.
    const cached: ApiResponse = { status: 200, rawBody: Buffer.from(JSON.stringify(response.body)), ...(response.headers ? { headers: response.headers } : {}) };
    this.entries.set(key, cached);
    return cached;
  }
}

/** Memoises listings by `listingKey`. */
export class ListingCache<T> {
  private readonly entries = new Map<string, T>();
  get(rawPath: string, compute: () => T): T {
    const key = listingKey(rawPath);
    let value = this.entries.get(key);
    if (value === undefined) {
      value = compute();
      this.entries.set(key, value);
    }
    return value;
  }
}

/** Query parameter lookup that is case-insensitive in the name (ARM and Graph are). */
export function queryParam(url: URL, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of url.searchParams) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/**
 * The absolute next-page link: same path, the request's other query parameters kept verbatim, and
 * a fresh `$skiptoken`.
 */
export function nextLink(origin: string, rawPath: string, offset: number): string {
  const q = rawPath.indexOf("?");
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  const kept = (q === -1 ? "" : rawPath.slice(q + 1))
    .split("&")
    .filter((part) => part !== "" && !/^(\$|%24)skiptoken=/i.test(part) && !/^(\$|%24)skiptoken$/i.test(part));
  kept.push(`$skiptoken=${encodeSkipToken(offset)}`);
  return `${origin}${path}?${kept.join("&")}`;
}

/** Path segments with `//` collapsed and percent-escapes decoded (ARM and GitHub route by them). */
export function segmentsOf(pathname: string): string[] {
  return pathname
    .split("/")
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}
