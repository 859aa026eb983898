/**
 * Readers for infrastructure templates: ARM JSON (deploymentTemplate schema) and Bicep. They
 * extract role assignments, federated identity credentials and storage accounts, each with its
 * line, and report what they cannot evaluate as diagnostics instead of guessing. Pure: no I/O,
 * they never throw, and their work is bounded by the size of the input.
 */
import type { Diagnostic, TemplateFacts } from "../../model/repo.ts";

/**
 * What a template reader may ask of the repository it sits in: other files a template refers to
 * (local Bicep modules, `*.bicepparam` and `*.parameters.json` beside it). Paths are
 * repository-relative and `/`-separated; the host never leaves the repository root (it answers
 * `undefined` for a path outside it or not in it). The readers stay pure: all I/O is the host's.
 */
export interface TemplateHost {
  /** The file's text; `undefined` when the repository has no such file; `{ problem }` when it cannot be read (too big, a link out). */
  read(path: string): { text: string } | { problem: string } | undefined;
  /**
   * The names (not paths) of the files directly in the repository directory `dir` (`""` for the
   * root; no trailing `/`), for finding the `*.bicepparam` beside a template. Optional: without it
   * no parameter file is read.
   */
  list?(dir: string): string[];
}
import { readArmTemplateWithStats } from "./arm.ts";
import { readBicepWithStats } from "./bicep.ts";

/**
 * Reads an ARM JSON template as Azure accepts it (comments, trailing commas, line breaks inside
 * strings), including nested resources and inline deployment templates. With a host, parameter
 * values come from the `<name>.parameters.json` beside it when there is one.
 */
export function readArmTemplate(text: string, file: string, host?: TemplateHost): { facts: TemplateFacts; diagnostics: Diagnostic[] } {
  const { facts, diagnostics } = readArmTemplateWithStats(text, file, host);
  return { facts, diagnostics };
}

/**
 * Reads a Bicep file (or a `.bicepparam` file, which declares no resources: it only needs to read
 * without gaps). With a host it follows local modules (their facts appear at the `module` line,
 * with `definedAt` where they are declared), resolves `import`s from local files, and binds the
 * values of the one `*.bicepparam` beside the file whose `using` names it.
 */
export function readBicep(text: string, file: string, host?: TemplateHost): { facts: TemplateFacts; diagnostics: Diagnostic[] } {
  const { facts, diagnostics } = readBicepWithStats(text, file, host);
  return { facts, diagnostics };
}

/** Whether parsed JSON looks like an ARM template: a `$schema` naming a deploymentTemplate, or `resources` with `contentVersion`. */
export function isArmTemplate(json: unknown): boolean {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return false;
  const o = json as Record<string, unknown>;
  const schema = o["$schema"];
  if (typeof schema === "string" && /deploymenttemplate/i.test(schema)) return true;
  return Object.hasOwn(o, "resources") && Object.hasOwn(o, "contentVersion");
}
