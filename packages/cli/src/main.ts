/**
 * The `trustscope` command: dispatch, help, and the mapping of errors to exit codes.
 *
 * Each command is imported when it runs, so a command loads only what it uses (`--version` loads
 * nothing else; only live scans load the SDKs): the build splits every dynamic import into a
 * chunk of its own.
 */
import type { Redactor } from "@trustscope/core";
import type { Io } from "./io.ts";
import { VERSION, versionLine } from "./version.ts";

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

const COMMANDS = ["scan", "collect", "diff", "graph", "explain-access", "rules", "explain"] as const;
type Command = (typeof COMMANDS)[number];

function isCommand(s: string | undefined): s is Command {
  return (COMMANDS as readonly (string | undefined)[]).includes(s);
}

export async function main(argv: string[], io0?: Io): Promise<number> {
  const [command, ...rest] = argv;
  // Version and help answer without loading the rest of trustscope.
  const write = (t: string): void => void (io0 ? io0.stdout(t) : process.stdout.write(t));
  if (command === "--version" || command === "-V") {
    write(`${versionLine()}\n`);
    return 0;
  }
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    write(HELP);
    return command === undefined ? 2 : 0;
  }
  const [{ Redactor, UsageError, errorMessage, terminalLines, terminalText }, rawIo] = await Promise.all([
    import("@trustscope/core"),
    io0 ?? import("./io.ts").then((m) => m.processIo),
  ]);
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
    if (!isCommand(command)) throw new UsageError(`unknown command '${command}' (commands: ${COMMANDS.join(", ")})`);
    return await run(command, rest, io, redactor);
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

async function run(command: Command, args: string[], io: Io, redactor: Redactor): Promise<number> {
  switch (command) {
    case "scan":
      return (await import("./commands/scan.ts")).scanCommand(args, io, redactor);
    case "rules":
      return (await import("./commands/rules.ts")).rulesCommand(args, io);
    case "explain":
      return (await import("./commands/explain.ts")).explainCommand(args, io);
    case "collect":
      return (await import("./commands/collect.ts")).collectCommand(args, io, redactor);
    case "graph":
      return (await import("./commands/graph.ts")).graphCommand(args, io, redactor);
    case "explain-access":
      return (await import("./commands/explain-access.ts")).explainAccessCommand(args, io, redactor);
    case "diff":
      return (await import("./commands/diff.ts")).diffCommand(args, io, redactor);
  }
}
