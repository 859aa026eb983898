/**
 * How `pwsh` / `powershell` is told what to run: its command-line flags, read the way PowerShell
 * reads them (case-insensitive, any unambiguous prefix, `-c` for `-Command`, `-f` for `-File`).
 */

export type PwshTarget =
  /** The words from `index` on are the command text. */
  | { kind: "command"; index: number }
  /** The word at `index` is the script file. */
  | { kind: "file"; index: number }
  /** `-EncodedCommand`: base64 text this reader does not decode. */
  | { kind: "encoded" }
  /** Commands come from standard input (`-Command -`, or no command at all). */
  | { kind: "stdin" };

const PWSH_NAMES = new Set(["pwsh", "pwsh.exe", "powershell", "powershell.exe"]);

/** Flags that take a value (full names; any prefix of at least `min` characters is accepted). */
const VALUE_FLAGS: [string, number][] = [
  ["executionpolicy", 2],
  ["ep", 2],
  ["inputformat", 2],
  ["outputformat", 1],
  ["of", 2],
  ["windowstyle", 1],
  ["workingdirectory", 2],
  ["wd", 2],
  ["configurationname", 4],
  ["configurationfile", 7],
  ["version", 1],
  ["custompipename", 2],
  ["settingsfile", 2],
  ["psconsolefile", 2],
  ["encodedarguments", 8],
  ["ea", 2],
];

/** True when `name` (lower case, no dashes) is `full` or a prefix of it of at least `min` characters. */
function isFlag(name: string, full: string, min: number): boolean {
  return name.length >= min && full.startsWith(name);
}

/** Base name of a command word, lower case, `/` and `\` both separators. */
export function commandBase(text: string): string {
  const t = text.replace(/\\/g, "/");
  return t.slice(t.lastIndexOf("/") + 1).toLowerCase();
}

export function isPwshName(text: string): boolean {
  return PWSH_NAMES.has(commandBase(text));
}

/**
 * What a `pwsh`/`powershell` command line runs, from the words after the program name (their text
 * when fixed, else undefined). `pwsh` with a bare argument runs it as a file; Windows PowerShell
 * runs it as a command.
 */
export function pwshTarget(words: readonly (string | undefined)[], start: number, windowsPowerShell: boolean): PwshTarget {
  for (let i = start; i < words.length; i++) {
    const w = words[i];
    if (w === undefined) return windowsPowerShell ? { kind: "command", index: i } : { kind: "file", index: i };
    if (!w.startsWith("-") || w === "-") {
      if (w === "-") return { kind: "stdin" };
      return windowsPowerShell ? { kind: "command", index: i } : { kind: "file", index: i };
    }
    const name = w.replace(/^--?/, "").replace(/:.*$/, "").toLowerCase();
    if (name === "c" || isFlag(name, "command", 1)) {
      if (words[i + 1] === "-") return { kind: "stdin" };
      return { kind: "command", index: i + 1 };
    }
    if (name === "f" || isFlag(name, "file", 1)) return { kind: "file", index: i + 1 };
    if (VALUE_FLAGS.some(([full, min]) => isFlag(name, full, min))) {
      if (!w.includes(":")) i++;
      continue;
    }
    if (name === "e" || name === "ec" || isFlag(name, "encodedcommand", 2)) return { kind: "encoded" };
    // switches: -NoProfile, -NonInteractive, -NoLogo, -NoExit, -Mta, -Sta, -Login, -Interactive, …
  }
  return { kind: "stdin" };
}

interface CmdWord {
  /** The word with one level of quoting removed. */
  text: string;
  start: number;
  end: number;
}

/** Splits a command line into words the way a POSIX shell or cmd.exe would, for the few flags read here. */
function splitWords(command: string, max: number): CmdWord[] {
  const words: CmdWord[] = [];
  let i = 0;
  const n = command.length;
  while (i < n && words.length < max) {
    while (i < n && /\s/.test(command[i] as string)) i++;
    if (i >= n) break;
    const start = i;
    let text = "";
    while (i < n && !/\s/.test(command[i] as string)) {
      const c = command[i] as string;
      if (c === "'") {
        const e = command.indexOf("'", i + 1);
        const stop = e === -1 ? n : e;
        text += command.slice(i + 1, stop);
        i = stop + 1;
      } else if (c === '"') {
        i++;
        while (i < n && command[i] !== '"') {
          if (command[i] === "\\" && /["\\$`]/.test(command[i + 1] ?? "")) i++;
          text += command[i] ?? "";
          i++;
        }
        i++;
      } else {
        text += c;
        i++;
      }
    }
    words.push({ text, start, end: Math.min(i, n) });
  }
  return words;
}

/** Removes one level of quoting from the whole of `text` when it is one quoted string. */
function unquoteWhole(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && t.startsWith("'") && t.endsWith("'") && !t.slice(1, -1).includes("'")) return t.slice(1, -1);
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    const inner = t.slice(1, -1);
    // a single string: every inner `"` escaped
    if (!/(^|[^\\])"/.test(inner)) return inner.replace(/\\(["\\$`])/g, "$1");
  }
  return t;
}

/** Command lines longer than this are not looked at. */
const MAX_COMMAND = 1_000_000;

/**
 * True when a step command runs PowerShell inline: `pwsh -Command …`, `powershell -c …`,
 * `pwsh -File x.ps1`; returns the script text (one level of quoting removed) or the file to read
 * (`\` turned into `/`).
 *
 * Returns undefined for anything else, and also for `-EncodedCommand` (base64 text this reader
 * does not decode) and for commands read from standard input: the caller notes that it cannot read them.
 */
export function powerShellInvocation(command: string): { script: string } | { file: string } | undefined {
  if (typeof command !== "string" || command.length > MAX_COMMAND) return undefined;
  const words = splitWords(command, 256);
  const first = words[0];
  if (!first || !isPwshName(first.text)) return undefined;
  const windowsPowerShell = commandBase(first.text).startsWith("powershell");
  const target = pwshTarget(
    words.map((w) => w.text),
    1,
    windowsPowerShell,
  );
  if (target.kind === "command") {
    const w = words[target.index];
    if (!w) return undefined;
    return { script: unquoteWhole(command.slice(w.start)) };
  }
  if (target.kind === "file") {
    const w = words[target.index];
    if (!w || w.text === "") return undefined;
    return { file: w.text.replace(/\\/g, "/") };
  }
  return undefined;
}
