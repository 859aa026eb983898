/** Argument parsing on node:util's parseArgs, with errors turned into one-line usage errors. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "@trustscope/core";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<T extends Options>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    throw new UsageError(`${command}: ${msg.replace(/^Unknown option/, "unknown option")} (see 'trustscope ${command} --help')`);
  }
}

export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got '${value}'`);
  return value as T;
}
