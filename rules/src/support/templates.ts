import type { RepoAnalysis, TemplateFederatedCredential } from "@trustscope/core";

/** Federated credentials declared in the repository's templates and Terraform, each with what declares it ("template", "Terraform configuration"). */
export function templateCredentials(repo: RepoAnalysis | undefined): (TemplateFederatedCredential & { declaredBy: string })[] {
  return (repo?.repo.templates ?? []).flatMap((t) => t.federatedCredentials.map((c) => ({ ...c, declaredBy: t.kind === "terraform" ? "Terraform configuration" : "template" })));
}

/** The literal value of a template field, or undefined when it is an expression. */
export function literal(v: { literal?: string; fallback?: string } | undefined): string | undefined {
  return v?.literal ?? v?.fallback;
}
