import { UsageError } from "@trustscope/core";
import type { Io } from "../io.ts";
import { parse } from "../args.ts";
import { loadRuleSet } from "../rule-set.ts";

export const EXPLAIN_HELP = `Usage: trustscope explain RULE_ID [--config FILE]

Print a rule's documentation: what it finds, a failing and a passing example, how to fix it.
Rules from the policy file's custom rule packs are explained too.
`;

export async function explainCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse("explain", args, { config: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.stdout(EXPLAIN_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("explain takes exactly one rule id (see 'trustscope rules')");
  const { metas } = await loadRuleSet(values.config, io, false);
  const meta = metas.find((m) => m.id === positionals[0]);
  if (!meta) throw new UsageError(`unknown rule '${positionals[0]}' (see 'trustscope rules')`);
  io.stdout(meta.docs ?? `# ${meta.id}\n\n${meta.description}\n`);
  return 0;
}
