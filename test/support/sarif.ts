/**
 * Two independent SARIF validators: the OASIS 2.1.0 schema (draft-04, via ajv-draft-04) and the
 * SARIF Multitool with GitHub's rules (`--rule-kind "Sarif;Ghas"`).
 */
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import Ajv04Module from "ajv-draft-04";
import addFormatsModule from "ajv-formats";
import { SHARED } from "./paths.ts";

// Both packages are CommonJS with a default export; under NodeNext that default is `.default`.
type Ajv04 = InstanceType<typeof Ajv04Module.default>;
const Ajv04Class = (Ajv04Module as unknown as { default: typeof Ajv04Module.default }).default;
const addFormats = addFormatsModule as unknown as (ajv: Ajv04) => Ajv04;
const ajv = new Ajv04Class({ allErrors: true });
addFormats(ajv);
const schemaPath = join(SHARED, "schemas/sarif-schema-2.1.0.json");
if (!existsSync(schemaPath)) {
  throw new Error(`SARIF schema not found at ${schemaPath}: the tests expect shared/ beside the repository (or set TRUSTSCOPE_SHARED_DIR)`);
}
const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as object;
const validate = ajv.compile(schema);

export function schemaErrors(sarif: unknown): string[] {
  return validate(sarif) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Path to the Multitool executable; made executable if the install script did not run. */
export function multitoolPath(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("@microsoft/sarif-multitool-linux/package.json", { paths: [dirname(require.resolve("@microsoft/sarif-multitool/package.json"))] });
  const exe = join(dirname(pkg), "Sarif.Multitool");
  try {
    accessSync(exe, constants.X_OK);
  } catch {
    chmodSync(exe, 0o755);
  }
  return exe;
}

export interface MultitoolFinding {
  ruleId: string;
  level: string;
  message: string;
}

/** Errors and warnings the Multitool reports (it exits 0 even when it finds some). */
export function multitoolProblems(sarifText: string): MultitoolFinding[] {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-sarif-"));
  const input = join(dir, "report.sarif");
  const output = join(dir, "validation.sarif");
  writeFileSync(input, sarifText);
  const r = spawnSync(multitoolPath(), ["validate", input, "--rule-kind", "Sarif;Ghas", "-o", output, "--log", "ForceOverwrite"], {
    encoding: "utf8",
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1" },
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`SARIF Multitool failed (${r.status}): ${r.stderr || r.stdout}`);
  const log = JSON.parse(readFileSync(output, "utf8")) as {
    runs: { results?: { ruleId: string; level?: string; message: { text?: string; arguments?: string[] } }[]; invocations?: { executionSuccessful?: boolean; toolExecutionNotifications?: { message: { text: string } }[] }[] }[];
  };
  const run = log.runs[0]!;
  const crashes = run.invocations?.[0]?.toolExecutionNotifications ?? [];
  if (crashes.length > 0) throw new Error(`SARIF Multitool: ${crashes.map((n) => n.message.text).join("; ")}`);
  return (run.results ?? [])
    .map((x) => ({ ruleId: x.ruleId, level: x.level ?? "warning", message: x.message.text ?? (x.message.arguments ?? []).join(" ") }))
    .filter((x) => x.level === "error" || x.level === "warning");
}
