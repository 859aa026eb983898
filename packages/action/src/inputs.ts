/** The action's inputs, read the way the runner passes them: env `INPUT_<NAME>`. */
import { UsageError } from "@trustscope/core";

export interface ActionInputs {
  /** Extra `trustscope scan` arguments, already split. */
  args: string[];
  repo: string;
  config: string | undefined;
  failOn: string;
  sarifFile: string;
  token: string | undefined;
  checkName: string;
}

/**
 * The runner's name for an input's variable: upper case, spaces become `_`; hyphens stay
 * (`fail-on` → `INPUT_FAIL-ON`).
 */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

/** An input's value, trimmed; empty counts as not given. */
export function getInput(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[inputVariable(name)]?.trim();
  return value ? value : undefined;
}

export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  return {
    args: splitArgs(getInput(env, "args") ?? ""),
    repo: getInput(env, "repo") ?? ".",
    config: getInput(env, "config"),
    failOn: getInput(env, "fail-on") ?? "high",
    sarifFile: getInput(env, "sarif-file") ?? "trustscope.sarif",
    token: getInput(env, "github-token"),
    checkName: getInput(env, "check-name") ?? "trustscope",
  };
}

/**
 * Splits a command line the way a shell would for plain words: on whitespace (newlines too, so a
 * YAML block scalar works), with 'single quotes' taken literally, "double quotes" in which a
 * backslash escapes `"` and `\`, and a backslash outside quotes escaping the next character.
 * No variable expansion, globbing or command substitution: the workflow expression `${{ }}` is the
 * place for that. An unterminated quote is an error.
 */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`args: unterminated ${quote === "'" ? "single" : "double"} quote`);
  if (inWord) out.push(word);
  return out;
}

