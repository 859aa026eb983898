/** The `trustscope` command: dispatch, help, and the mapping of errors to exit codes. */
import { UsageError, errorMessage } from "@trustscope/core";
import { explainCommand } from "./commands/explain.ts";
import { rulesCommand } from "./commands/rules.ts";
import { scanCommand } from "./commands/scan.ts";
import { processIo, type Io } from "./io.ts";
import { VERSION } from "./version.ts";

export const HELP = `trustscope ${VERSION}: audit Buildkite OIDC federated trust into Azure

Usage: trustscope <command> [options]

Commands:
  scan       collect or load an inventory, evaluate every rule, report
  collect    collect live data and write a snapshot (not available in this version yet)
  rules      list the rules
  explain    print a rule's documentation

Run 'trustscope <command> --help' for a command's options.
`;

export const EXIT_INTERNAL = 4;

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "scan":
        return scanCommand(rest, io);
      case "rules":
        return rulesCommand(rest, io);
      case "explain":
        return explainCommand(rest, io);
      case "collect":
        throw new UsageError("collect: live collection is not available in this version of trustscope yet");
      case "--version":
      case "-V":
        io.stdout(`${VERSION}\n`);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.stdout(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}' (commands: scan, collect, rules, explain)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`trustscope: ${e.message}\n`);
      return 2;
    }
    // A bug, not the user's fault: one line, and the stack only when asked for.
    io.stderr(`trustscope: internal error: ${errorMessage(e)}\n`);
    if (io.env.TRUSTSCOPE_DEBUG) io.stderr(`${e instanceof Error ? e.stack : ""}\n`);
    return EXIT_INTERNAL;
  }
}
