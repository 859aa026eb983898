import { resolve } from "node:path";
import { UsageError, jsonText, type Redactor } from "@trustscope/core";
import { parse } from "../args.ts";
import { writeText, type Io } from "../io.ts";
import { LIVE_HELP, LIVE_OPTIONS, liveOptions, progressReporter } from "../live.ts";
import { collectLive, incompleteNote } from "../sources.ts";

export const COLLECT_HELP = `Usage: trustscope collect -o FILE [live options]

Read the live APIs and write a snapshot that 'trustscope scan --snapshot FILE' evaluates.
The snapshot holds collected facts only: no token, no secret value.

${LIVE_HELP}
  -o, --output FILE        where to write the snapshot (required)
  -q, --quiet              no progress on stderr

Exit codes: 0 complete, 2 usage error, 3 some source could not be read fully (the snapshot is
still written and lists the gaps).
`;

export async function collectCommand(args: string[], io: Io, redactor: Redactor): Promise<number> {
  const { values, positionals } = parse("collect", args, {
    output: { type: "string", short: "o" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
    ...LIVE_OPTIONS,
  });
  if (values.help) {
    io.stdout(COLLECT_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`collect: unexpected argument '${positionals[0]}'`);
  if (!values.output) throw new UsageError("collect needs -o FILE, the snapshot to write");
  const opts = await liveOptions(values, io, redactor);
  if (!opts) throw new UsageError("nothing to collect: give --buildkite-org and/or Azure options (see 'trustscope collect --help')");
  const onProgress = progressReporter(io, Boolean(values.quiet));
  // Redacted as data first (an echoed token in a gap's error), then as text.
  const inventory = redactor.redactDeep((await collectLive({ ...opts, ...(onProgress ? { onProgress } : {}) })).inventory);
  // jsonText: C1 and bidi characters from API data as \u escapes, like every other JSON trustscope writes.
  writeText(resolve(io.cwd, values.output), redactor.redact(`${jsonText(inventory, 2)}\n`));
  if (!inventory.coverage.complete && !values.quiet) incompleteNote(io, inventory.coverage, "collection");
  return inventory.coverage.complete ? 0 : 3;
}
