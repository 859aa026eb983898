import { UsageError } from "@trustscope/core";
import type { Io } from "../io.ts";
import { parse } from "../args.ts";
import { allRuleMetas } from "../rule-set.ts";

export const EXPLAIN_HELP = `Usage: trustscope explain RULE_ID

Print a rule's documentation: what it finds, a failing and a passing example, how to fix it.
`;

export function explainCommand(args: string[], io: Io): number {
  const { values, positionals } = parse("explain", args, { help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.stdout(EXPLAIN_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("explain takes exactly one rule id (see 'trustscope rules')");
  const meta = allRuleMetas().find((m) => m.id === positionals[0]);
  if (!meta) throw new UsageError(`unknown rule '${positionals[0]}' (see 'trustscope rules')`);
  io.stdout(meta.docs ?? `# ${meta.id}\n\n${meta.description}\n`);
  return 0;
}
