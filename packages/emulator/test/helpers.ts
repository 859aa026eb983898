/** Shared test plumbing: the demo scenario, paths, and a fetch that trusts the emulator's certificate. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, fetch, type Headers } from "undici";
import { parseInventory, type Inventory } from "@trustscope/core";
import { afterEach } from "vitest";
import { startEmulator, type Emulator, type EmulatorOptions } from "../src/index.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** `shared/` sits beside the repository (override: TRUSTSCOPE_SHARED_DIR). */
export const SHARED = resolve(process.env.TRUSTSCOPE_SHARED_DIR ?? resolve(REPO_ROOT, "../shared"));
export const FULL_SCHEMA_PATH = resolve(SHARED, "schemas/buildkite-graphql-schema.graphql");
export const HAS_SHARED = existsSync(FULL_SCHEMA_PATH);
export const fullSchemaSdl = (): string => readFileSync(FULL_SCHEMA_PATH, "utf8");

export const demo: Inventory = parseInventory(readFileSync(resolve(REPO_ROOT, "packages/cli/demo/organisation.json"), "utf8"), "organisation.json");

export type Json = Record<string, unknown>;

export interface Reply {
  status: number;
  headers: Headers;
  body: Json;
}

/** A client for one emulator: plain HTTPS requests that trust its certificate. */
export function clientFor(emulator: Emulator) {
  const dispatcher = new Agent({ connect: { ca: emulator.caPem } });
  async function request(method: string, url: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const res = await fetch(url, {
      method,
      dispatcher,
      headers: { ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === "" ? {} : (JSON.parse(text) as Json) };
  }
  return {
    dispatcher,
    get: (url: string, token?: string, headers?: Record<string, string>) => request("GET", url, token, undefined, headers),
    post: (url: string, body: unknown, token?: string, headers?: Record<string, string>) => request("POST", url, token, body, headers),
    close: () => dispatcher.close(),
  };
}

export type EmulatorClient = ReturnType<typeof clientFor>;

/**
 * Registers an `afterEach` that closes what the returned `start` opened: an emulator and its
 * client per test, so a failing test never leaks a server into the next.
 */
export function emulatorPerTest(): (options: EmulatorOptions) => Promise<{ emu: Emulator; http: EmulatorClient }> {
  let running: { emu: Emulator; http: EmulatorClient } | undefined;
  afterEach(async () => {
    await running?.http.close();
    await running?.emu.close();
    running = undefined;
  });
  return async (options) => {
    const emu = await startEmulator(options);
    running = { emu, http: clientFor(emu) };
    return running;
  };
}

/** Follows next links (absolute URLs) until the end; returns every item and the pages fetched. */
export async function pageAll(get: (url: string) => Promise<Reply>, firstUrl: string, linkField: "nextLink" | "@odata.nextLink"): Promise<{ items: Json[]; pages: number }> {
  const items: Json[] = [];
  let url: string | undefined = firstUrl;
  let pages = 0;
  while (url) {
    const r = await get(url);
    if (r.status !== 200) throw new Error(`${url} → ${r.status} ${JSON.stringify(r.body)}`);
    items.push(...(r.body.value as Json[]));
    url = r.body[linkField] as string | undefined;
    pages++;
    if (pages > 1000) throw new Error("paging does not end");
  }
  return { items, pages };
}
