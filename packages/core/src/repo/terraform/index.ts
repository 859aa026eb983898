/**
 * Terraform in the repository scan: every configuration read from HCL (see read-config.ts) or a
 * plan (read-plan.ts), joined (join.ts) into template facts and declared objects.
 */
import type { Diagnostic, TemplateFacts } from "../../model/repo.ts";
import type { TemplateHost } from "../templates/index.ts";
import { dedupeFacts } from "../templates/support.ts";
import type { DeclaredConfiguration } from "./declared.ts";
import { joinTerraform, type TerraformModel } from "./join.ts";
import { readTerraformConfigurations } from "./read-config.ts";
import type { HclParser } from "./read-hcl.ts";
import { readTerraformPlan } from "./read-plan.ts";

/** The files the Terraform reader takes: configuration (`.tf`, `.tf.json`) and variable values (`.tfvars`, `.tfvars.json`). */
export const TERRAFORM_FILE = /\.(?:tf|tfvars)(?:\.json)?$/;

export interface TerraformRead {
  models: TerraformModel[];
  /** Facts per file, merged over the configurations that declare them (a module called from two roots, a root's var-file variants). */
  templates: (TemplateFacts & { file: string; kind: "terraform" })[];
  diagnostics: Diagnostic[];
  /** Resource instances read, over all configurations (a plan with none and a gap could not be read at all). */
  resources: number;
}

/** Reads and joins every Terraform configuration among `files` (repository-relative paths). */
export function readTerraform(files: string[], host: TemplateHost, parser: HclParser): TerraformRead {
  return joinAll(readTerraformConfigurations(files, host, parser));
}

/** Reads and joins a plan (`terraform show -json` output). */
export function readTerraformPlanFile(text: string, file: string): TerraformRead {
  return joinAll([readTerraformPlan(text, file)]);
}

function joinAll(configs: DeclaredConfiguration[]): TerraformRead {
  const models = configs.map(joinTerraform);
  const byFile = new Map<string, TemplateFacts & { file: string; kind: "terraform" }>();
  for (const m of models) {
    for (const t of m.templates) {
      const was = byFile.get(t.file);
      byFile.set(
        t.file,
        was
          ? {
              file: t.file,
              kind: "terraform",
              ...dedupeFacts({
                roleAssignments: [...was.roleAssignments, ...t.roleAssignments],
                federatedCredentials: [...was.federatedCredentials, ...t.federatedCredentials],
                storageAccounts: [...was.storageAccounts, ...t.storageAccounts],
              }),
            }
          : t,
      );
    }
  }
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const d of [...configs.flatMap((c) => c.diagnostics), ...models.flatMap((m) => m.diagnostics)]) {
    const key = JSON.stringify([d.file, d.line, d.message, d.note === true]);
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(d);
  }
  return { models, resources: configs.reduce((n, c) => n + c.resources.length, 0), templates: [...byFile.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)), diagnostics };
}
