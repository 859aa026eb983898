/** One line saying why YAML could not be read. */

/**
 * The reason in a YAML parse error's message: its first line, or, for input nested past the
 * parser's stack (it recurses per level and reports the overflow as a parse error), a plain word.
 */
export function yamlErrorReason(message: string): string {
  return /call stack/i.test(message) ? "nested too deeply to read" : message.split("\n")[0]!;
}
