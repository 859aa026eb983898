/**
 * Debian's Chromium for the browser tests: found at /usr/bin/chromium, or installed with apt-get
 * when missing (CI runs as root on Debian). Launched headless with everything that would phone
 * home switched off: this machine's network is closed, and a report must not need it anyway.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.on("error", (e) => resolvePromise({ code: -1, output: `${output}${e.message}` }));
    child.on("close", (code) => resolvePromise({ code: code ?? -1, output }));
  });
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter(Boolean).pop() ?? "no output";
}

/** Undefined when Chromium is there (installing it if needed); otherwise why it cannot be. */
export async function ensureChromium(): Promise<string | undefined> {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.platform !== "linux" || !existsSync("/usr/bin/apt-get")) {
    return `${CHROMIUM} is missing and can only be installed automatically with apt-get (Debian/Ubuntu)`;
  }
  if (process.getuid?.() !== 0) return `${CHROMIUM} is missing; install it as root with 'apt-get install -y chromium'`;
  let r = await run("apt-get", ["install", "-y", "chromium"]);
  // A fresh machine's package lists may be empty or stale.
  if (!existsSync(CHROMIUM)) {
    await run("apt-get", ["update"]);
    r = await run("apt-get", ["install", "-y", "chromium"]);
  }
  return existsSync(CHROMIUM) ? undefined : `'apt-get install -y chromium' failed (exit ${r.code}): ${lastLine(r.output)}`;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile, removed again on close. */
export async function launchChromium(viewport = { width: 1600, height: 1000 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "trustscope-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, viewport, headless: true });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
