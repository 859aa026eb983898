/**
 * Readers for infrastructure templates: ARM JSON (deploymentTemplate schema) and Bicep. They
 * extract role assignments, federated identity credentials and storage accounts, each with its
 * line, and report what they cannot evaluate as diagnostics instead of guessing. Pure: no I/O,
 * they never throw, and their work is bounded by the size of the input.
 */
import type { Diagnostic, TemplateFacts } from "../../model/repo.ts";
import { readArmTemplateWithStats } from "./arm.ts";
import { readBicepWithStats } from "./bicep.ts";

/** Reads an ARM JSON template (comments and trailing commas allowed), including nested resources and inline deployment templates. */
export function readArmTemplate(text: string, file: string): { facts: TemplateFacts; diagnostics: Diagnostic[] } {
  const { facts, diagnostics } = readArmTemplateWithStats(text, file);
  return { facts, diagnostics };
}

/** Reads a Bicep file. */
export function readBicep(text: string, file: string): { facts: TemplateFacts; diagnostics: Diagnostic[] } {
  const { facts, diagnostics } = readBicepWithStats(text, file);
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
