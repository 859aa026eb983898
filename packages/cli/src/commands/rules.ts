import type { Io } from "../io.ts";
import { parse, oneOf } from "../args.ts";
import { allRuleMetas } from "../rule-set.ts";

export const RULES_HELP = `Usage: trustscope rules [--format table|json]

List every rule: id, default severity and title.
`;

export function rulesCommand(args: string[], io: Io): number {
  const { values } = parse("rules", args, { format: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.stdout(RULES_HELP);
    return 0;
  }
  const format = oneOf("--format", values.format, ["table", "json"] as const, "table");
  const metas = allRuleMetas();
  if (format === "json") {
    io.stdout(`${JSON.stringify(metas.map((m) => ({ id: m.id, severity: m.defaultSeverity, title: m.title, tags: m.tags, description: m.description })), null, 2)}\n`);
  } else {
    const w = Math.max(...metas.map((m) => m.id.length));
    io.stdout(metas.map((m) => `${m.id.padEnd(w)}  ${m.defaultSeverity.padEnd(8)}  ${m.title}`).join("\n") + "\n");
  }
  return 0;
}
