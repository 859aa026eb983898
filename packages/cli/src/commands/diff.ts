/** `trustscope diff OLD NEW`: the trust changes between two snapshots. */
import { relative, resolve } from "node:path";
import { UsageError, diffInventories, parseInventory, renderDiffJson, renderDiffMarkdown, renderDiffTable, terminalText, type Inventory, type Redactor } from "@trustscope/core";
import { oneOf, parse } from "../args.ts";
import { readText, useColor, writeText, type Io } from "../io.ts";

export const DIFF_HELP = `Usage: trustscope diff OLD NEW [options]

Compares two snapshots written by 'trustscope collect' (or 'scan --snapshot' inputs) and lists
the trust changes a reviewer cares about:
  - federated credentials added, removed or changed (issuer or audience) on app registrations
    and user-assigned managed identities
  - subjects widened or narrowed along pipeline → queue → cluster → organisation
  - privileged role assignments added or removed (roles that can write role assignments or do
    everything on the control plane, and any assignment held by a federated identity)
  - storage accounts that gained or lost shared-key access
  - pipelines that started or stopped building fork pull requests, and pipelines made public

Options:
  --format FORMAT          table | json | markdown (default: table)
  -o, --output FILE        write the report to FILE instead of stdout
  -h, --help               show this help

Exit codes: 0 no change increases risk, 1 at least one change increases risk,
2 usage error or unreadable/invalid snapshot, 4 internal error.
`;

const FORMATS = ["table", "json", "markdown"] as const;

const OPTIONS = {
  format: { type: "string" },
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

function load(file: string, io: Io): Inventory {
  const path = resolve(io.cwd, file);
  return parseInventory(readText(path, "the snapshot"), relative(io.cwd, path) || path);
}

export function diffCommand(args: string[], io: Io, redactor: Redactor): number {
  const { values, positionals } = parse("diff", args, OPTIONS);
  if (values.help) {
    io.stdout(DIFF_HELP);
    return 0;
  }
  const format = oneOf("--format", values.format, FORMATS, "table");
  if (positionals.length !== 2) {
    throw new UsageError(
      positionals.length < 2 ? "diff: give two snapshot files, OLD and NEW (see 'trustscope diff --help')" : `diff: unexpected argument '${positionals[2]}'`,
    );
  }
  const [oldFile, newFile] = positionals as [string, string];
  // Snapshots are redacted as data before anything is rendered or escaped.
  const diff = diffInventories(redactor.redactDeep(load(oldFile, io)), redactor.redactDeep(load(newFile, io)));
  const out =
    format === "json" ? renderDiffJson(diff) : format === "markdown" ? renderDiffMarkdown(diff) : renderDiffTable(diff, { color: !values.output && useColor(io, io.stdoutIsTTY) });
  if (values.output) writeText(resolve(io.cwd, values.output), redactor.redact(out));
  else io.stdout(out);
  if (format !== "table" || values.output) for (const n of diff.notes) io.stderr(`trustscope: note: ${terminalText(n)}\n`);
  return diff.summary.increases > 0 ? 1 : 0;
}
