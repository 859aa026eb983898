import type { Io } from "../io.ts";
import { parse, oneOf } from "../args.ts";
import { loadRuleSet } from "../rule-set.ts";

export const RULES_HELP = `Usage: trustscope rules [--format table|json] [--config FILE]

List every rule: id, default severity and title. With a policy file (--config, or trustscope.yaml
in the working directory) its custom rule packs are listed too, and rules it switches off or
re-rates say so.
`;

export async function rulesCommand(args: string[], io: Io): Promise<number> {
  const { values } = parse("rules", args, { format: { type: "string" }, config: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.stdout(RULES_HELP);
    return 0;
  }
  const format = oneOf("--format", values.format, ["table", "json"] as const, "table");
  const { metas, policy } = await loadRuleSet(values.config, io, false);
  const setting = (id: string) => policy?.ruleSettings[id];
  if (format === "json") {
    const rows = metas.map((m) => {
      const s = setting(m.id);
      return {
        id: m.id,
        severity: m.defaultSeverity,
        title: m.title,
        tags: m.tags,
        description: m.description,
        ...(s?.enabled === false ? { enabled: false } : {}),
        ...(s?.severity ? { configuredSeverity: s.severity } : {}),
      };
    });
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    const w = Math.max(...metas.map((m) => m.id.length));
    const note = (id: string) => {
      const s = setting(id);
      return s?.enabled === false ? "  (off in the policy)" : s?.severity ? `  (${s.severity} in the policy)` : "";
    };
    io.stdout(metas.map((m) => `${m.id.padEnd(w)}  ${m.defaultSeverity.padEnd(8)}  ${m.title}${note(m.id)}`).join("\n") + "\n");
  }
  return 0;
}
