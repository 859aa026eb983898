/**
 * Sources and policy for commands that look at a scan from another side (`graph`,
 * `explain-access`): the same flags as `scan`, evaluated by `runScanWith` itself so every command
 * judges alike.
 */
import type { Redactor } from "@trustscope/core";
import type { Io } from "./io.ts";
import { LIVE_HELP, LIVE_OPTIONS } from "./live.ts";
import { incompleteNote } from "./sources.ts";
import { NothingToScanError, runScanWith, scanOptionsFrom, SCAN_OPTIONS, type ScanResult, type ScanValues } from "./commands/scan.ts";

/** The flags of `scan` that choose what to read and which policy applies. */
export const SOURCE_OPTIONS = {
  snapshot: SCAN_OPTIONS.snapshot,
  demo: SCAN_OPTIONS.demo,
  repo: SCAN_OPTIONS.repo,
  config: SCAN_OPTIONS.config,
  quiet: SCAN_OPTIONS.quiet,
  ...LIVE_OPTIONS,
} as const;

/** Source flags plus --format, -o and --help: the whole option set of `graph` and `explain-access`. */
export const VIEW_OPTIONS = {
  ...SOURCE_OPTIONS,
  format: { type: "string" },
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

export const SOURCE_HELP = `Sources (as for 'trustscope scan'):
  --repo DIR               a repository's pipeline files, cross-checked against any source below
  --snapshot FILE          a snapshot written by 'trustscope collect'
  --demo                   the bundled demo organisation (no credentials, no network)
  (live)                   read the APIs directly, see below

${LIVE_HELP}
Policy:
  --config FILE            policy file (default: trustscope.yaml in the working directory, if
                           present): production environments, suppressions, rule settings
  -q, --quiet              no progress or warnings on stderr
`;

/** The parsed flags of SOURCE_OPTIONS (no failure, baseline or verbosity flags: those are scan's). */
type SourceValues = Omit<ScanValues, "fail-on" | "baseline" | "fail-on-new" | "verbose">;

/**
 * Runs the scan of the source flags in `values` (already parsed and checked by `command`'s own
 * option set); with no source, says so in `command`'s words.
 */
export async function evaluateSources(command: string, values: SourceValues, io: Io, redactor: Redactor): Promise<ScanResult> {
  try {
    return await runScanWith(scanOptionsFrom(values), io, redactor);
  } catch (e) {
    // scan's own wording would send the user to 'scan --help'.
    if (e instanceof NothingToScanError) throw new NothingToScanError(`${command}: nothing to read`, command);
    throw e;
  }
}

/** Says on stderr that the scan was incomplete, unless quiet; returns the exit code (3 or 0). */
export function coverageExit(result: ScanResult, io: Io, quiet: boolean | undefined, what: string): 0 | 3 {
  const { coverage } = result.report;
  if (coverage.complete) return 0;
  if (!quiet) incompleteNote(io, coverage, "scan", `, so ${what} may be missing access`);
  return 3;
}
