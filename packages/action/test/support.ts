/**
 * Test support: run the bundled action the way a runner does (`node dist/index.js` with INPUT_*
 * and GITHUB_* variables) against a loopback stand-in for the Checks API that records every request.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";

export const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
export const BUNDLE = join(PACKAGE_DIR, "dist", "index.js");

interface ActionManifest {
  inputs: Record<string, { default?: unknown }>;
  runs: { using: string; main: string };
}

/**
 * action.yml as the runner reads it: strict YAML (a manifest the runner's parser rejects never
 * runs), the entry point from `runs.main`, and every input's default.
 */
export function loadActionManifest(): ActionManifest {
  const doc = parseDocument(readFileSync(join(PACKAGE_DIR, "action.yml"), "utf8"), { strict: true, prettyErrors: false });
  if (doc.errors.length > 0 || doc.warnings.length > 0) throw new Error(`action.yml does not load: ${[...doc.errors, ...doc.warnings].map((e) => e.message).join("; ")}`);
  return doc.toJS() as ActionManifest;
}
/** Looks like a real GITHUB_TOKEN; the tests check it is never printed. */
export const TOKEN = "ghs_TestTokenValue0123456789abcdefABCDEF";
export const PR_HEAD_SHA = "1111111111111111111111111111111111111111";
export const MERGE_SHA = "2222222222222222222222222222222222222222";

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface FakeGitHub {
  apiUrl: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/**
 * Answers like the Checks API under `/api/v3` (a GHES-style prefix, so the action must honour
 * GITHUB_API_URL): 201 with an id for a create, 200 for an update; `createStatus` makes the
 * create fail the way a read-only token does.
 */
export async function startFakeGitHub(opts: { createStatus?: number } = {}): Promise<FakeGitHub> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const path = req.url ?? "";
      requests.push({ method: req.method ?? "", path, authorization: req.headers.authorization, body });
      const send = (status: number, data: unknown) => {
        res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(data));
      };
      if (req.method === "POST" && /^\/api\/v3\/repos\/[^/]+\/[^/]+\/check-runs$/.test(path)) {
        if (opts.createStatus && opts.createStatus !== 201) {
          send(opts.createStatus, { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest/checks/runs#create-a-check-run", status: String(opts.createStatus) });
          return;
        }
        send(201, { id: 4242, status: (body as { status?: string }).status ?? "queued" });
        return;
      }
      const m = /^\/api\/v3\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/.exec(path);
      if (req.method === "PATCH" && m) {
        send(200, { id: Number(m[1]) });
        return;
      }
      send(404, { message: "Not Found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/v3`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A repository whose pipeline logs in with a client secret in each of `steps` steps. */
export function makeRepo(steps: number): string {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-action-repo-"));
  const lines = ["steps:"];
  for (let i = 1; i <= steps; i++) {
    lines.push(`  - label: "deploy ${i}"`, `    command: az login --service-principal -u x -p "$$AZURE_CLIENT_SECRET" -t t`);
  }
  mkdirSync(join(dir, ".buildkite"));
  writeFileSync(join(dir, ".buildkite", "pipeline.yml"), `${lines.join("\n")}\n`);
  return dir;
}

export interface RunnerFiles {
  dir: string;
  output: string;
  summary: string;
  event: string;
  cleanup(): void;
}

/** The runner's side files: GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and the event payload. */
export function runnerFiles(event: Record<string, unknown>): RunnerFiles {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-action-runner-"));
  const files = { dir, output: join(dir, "output"), summary: join(dir, "summary.md"), event: join(dir, "event.json") };
  writeFileSync(files.output, "");
  writeFileSync(files.summary, "");
  writeFileSync(files.event, JSON.stringify(event));
  return { ...files, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function pullRequestEvent(): Record<string, unknown> {
  return {
    action: "synchronize",
    number: 7,
    pull_request: { number: 7, head: { sha: PR_HEAD_SHA, ref: "feature" }, base: { sha: "3333333333333333333333333333333333333333", ref: "main" } },
  };
}

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the action as the runner does: action.yml loaded strictly, `runs.main` under node, working
 * directory = workspace, inputs (action.yml's defaults, then the test's) in INPUT_<NAME> (hyphens
 * kept), nothing inherited from this process but PATH and HOME.
 */
export function runAction(opts: { bundle?: string; workspace: string; files: RunnerFiles; apiUrl: string; eventName: string; inputs?: Record<string, string>; env?: Record<string, string> }): Promise<ActionRun> {
  const manifest = loadActionManifest();
  // The runner sets every input that has a default, evaluating expressions (here only github.token).
  const defaults = Object.fromEntries(Object.entries(manifest.inputs).map(([name, input]) => [name, String(input.default ?? "").replace(/^\$\{\{\s*github\.token\s*\}\}$/, TOKEN)]));
  const inputs: Record<string, string> = { ...defaults, ...opts.inputs };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? opts.workspace,
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_OUTPUT: opts.files.output,
    GITHUB_STEP_SUMMARY: opts.files.summary,
    GITHUB_EVENT_PATH: opts.files.event,
    GITHUB_EVENT_NAME: opts.eventName,
    GITHUB_SHA: MERGE_SHA,
    GITHUB_REPOSITORY: "octo-org/octo-repo",
    GITHUB_API_URL: opts.apiUrl,
    GITHUB_SERVER_URL: "https://github.example",
    GITHUB_RUN_ID: "99",
    GITHUB_TOKEN: TOKEN,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...opts.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.bundle ?? join(PACKAGE_DIR, manifest.runs.main)], { cwd: opts.workspace, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `name=value` lines (and heredoc entries) of a GITHUB_OUTPUT file. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) value.push(lines[i]!);
      out[heredoc[1]!] = value.join("\n");
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8")) as unknown;
}
