import type { RepoAnalysis, TemplateFederatedCredential } from "@trustscope/core";

/** Federated credentials declared in the repository's templates, with the template's file. */
export function templateCredentials(repo: RepoAnalysis | undefined): TemplateFederatedCredential[] {
  return (repo?.repo.templates ?? []).flatMap((t) => t.federatedCredentials);
}

/** The literal value of a template field, or undefined when it is an expression. */
export function literal(v: { literal?: string; fallback?: string } | undefined): string | undefined {
  return v?.literal ?? v?.fallback;
}
