/** The `trustscope` command: dispatch, help, and the mapping of errors to exit codes. */
import { Redactor, UsageError, errorMessage, terminalLines, terminalText } from "@trustscope/core";
import { collectCommand } from "./commands/collect.ts";
import { diffCommand } from "./commands/diff.ts";
import { explainCommand } from "./commands/explain.ts";
import { explainAccessCommand } from "./commands/explain-access.ts";
import { graphCommand } from "./commands/graph.ts";
import { rulesCommand } from "./commands/rules.ts";
import { scanCommand } from "./commands/scan.ts";
import { processIo, type Io } from "./io.ts";
import { VERSION } from "./version.ts";

export const HELP = `trustscope ${VERSION}: audit Buildkite OIDC federated trust into Azure

Usage: trustscope <command> [options]

Commands:
  scan       collect or load an inventory, evaluate every rule, report
  collect    collect live data and write a snapshot
  diff       compare two snapshots and list the trust changes (exit 1 if risk increased)
  graph      write the trust map as Graphviz DOT, Mermaid or JSON
  explain-access TARGET
             the blast radius of a pipeline, identity or Azure scope, in words
  rules      list the rules
  explain    print a rule's documentation

Run 'trustscope <command> --help' for a command's options.
`;

export const EXIT_INTERNAL = 4;

export async function main(argv: string[], rawIo: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  // Everything printed passes through the redactor: secrets registered by the commands never
  // reach stdout or stderr, whatever a library put in a message. Commands also redact their data
  // before rendering it (escaping could otherwise hide a secret from this last pass). Stderr
  // carries no colour of ours, so any control character left in it is made visible too.
  const redactor = new Redactor();
  for (const name of ["BUILDKITE_API_TOKEN", "TRUSTSCOPE_GRAPH_TOKEN", "TRUSTSCOPE_ARM_TOKEN", "AZURE_CLIENT_SECRET", "BUILDKITE_AGENT_ACCESS_TOKEN"]) {
    redactor.add(rawIo.env[name]);
  }
  const io: Io = { ...rawIo, stdout: (t) => rawIo.stdout(redactor.redact(t)), stderr: (t) => rawIo.stderr(terminalLines(redactor.redact(t))) };
  try {
    switch (command) {
      case "scan":
        return await scanCommand(rest, io, redactor);
      case "rules":
        return await rulesCommand(rest, io);
      case "explain":
        return await explainCommand(rest, io);
      case "collect":
        return await collectCommand(rest, io, redactor);
      case "graph":
        return await graphCommand(rest, io, redactor);
      case "explain-access":
        return await explainAccessCommand(rest, io, redactor);
      case "diff":
        return diffCommand(rest, io, redactor);
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
        throw new UsageError(`unknown command '${command}' (commands: scan, collect, diff, graph, explain-access, rules, explain)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`trustscope: ${terminalText(e.message)}\n`);
      return 2;
    }
    // A bug, not the user's fault: one line, and the stack only when asked for.
    io.stderr(`trustscope: internal error: ${terminalText(errorMessage(e))}\n`);
    if (io.env.TRUSTSCOPE_DEBUG) io.stderr(`${e instanceof Error ? e.stack : ""}\n`);
    return EXIT_INTERNAL;
  }
}
