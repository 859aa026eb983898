/** Whether each planted problem was reported: by rule and the identity, pipeline, scope and location it names. */
import { normalizeScope, type Finding } from "@trustscope/core";
import type { PlantedFinding } from "./generate.ts";

export function isFound(p: PlantedFinding, findings: readonly Finding[]): boolean {
  return findings.some(
    (f) =>
      f.ruleId === p.ruleId &&
      (p.appId === undefined || f.identity?.appId.toLowerCase() === p.appId.toLowerCase()) &&
      (p.pipelineUuid === undefined || f.pipeline?.uuid.toLowerCase() === p.pipelineUuid.toLowerCase()) &&
      (p.scope === undefined || (f.scope !== undefined && normalizeScope(f.scope) === normalizeScope(p.scope))) &&
      (p.location === undefined || (f.location?.file === p.location.file && f.location.line === p.location.line)),
  );
}

/** The planted problems no finding reports, described for the output. */
export function missed(planted: readonly PlantedFinding[], findings: readonly Finding[]): string[] {
  return planted.filter((p) => !isFound(p, findings)).map((p) => `${p.ruleId}: ${p.what}`);
}
