/**
 * A stand-in `buildkite-agent` for tests: an executable in a temp directory (prepend `dir` to PATH)
 * that records each call's argv and stdin, prints a fake JWT for `oidc request-token`, and exits
 * with the code it was made with.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** A syntactically valid JWT (header.payload.signature) that no one would accept. */
export const FAKE_JWT =
  "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.eyJpc3MiOiJodHRwczovL2FnZW50LmJ1aWxka2l0ZS5jb20iLCJzdWIiOiJzdGFuZC1pbiJ9.c3RhbmQtaW4tc2lnbmF0dXJlLTdmM2E5YzJlNWQ";

export interface AgentCall {
  argv: string[];
  stdin: string;
}

export interface StandInAgent {
  /** The directory holding `buildkite-agent`. */
  dir: string;
  /** PATH with `dir` first. */
  path: string;
  /** Every call so far, in order. */
  calls(): AgentCall[];
}

export function standInAgent(opts: { exitCode?: number; token?: string; stderr?: string } = {}): StandInAgent {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-bk-agent-"));
  const log = join(dir, "calls.jsonl");
  const script = `#!${process.execPath}
const fs = require("node:fs");
const argv = process.argv.slice(2);
// Only annotate reads stdin (oidc request-token's stdin is left open by its caller).
const stdin = argv[0] === "annotate" ? fs.readFileSync(0, "utf8") : "";
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv, stdin }) + "\\n");
const exitCode = ${opts.exitCode ?? 0};
if (exitCode !== 0) {
  process.stderr.write(${JSON.stringify(opts.stderr ?? "fatal: failed to contact the Buildkite API")} + "\\n");
  process.exit(exitCode);
}
if (argv[0] === "oidc" && argv[1] === "request-token") process.stdout.write(${JSON.stringify(opts.token ?? FAKE_JWT)} + "\\n");
`;
  const file = join(dir, "buildkite-agent");
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  return {
    dir,
    path: `${dir}${delimiter}${process.env.PATH ?? ""}`,
    calls: () =>
      existsSync(log)
        ? readFileSync(log, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as AgentCall)
        : [],
  };
}
