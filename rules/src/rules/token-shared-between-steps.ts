import { at, type Rule } from "@trustscope/core";

// A glob of `artifact_paths` as a regex: `*` and `?` within a segment, a double star across directories.
export function globRe(glob: string): RegExp {
  let body = "";
  const g = glob.replace(/^\.\//, "");
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === "*" && g[i + 1] === "*") {
      const slash = g[i + 2] === "/";
      body += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") body += "[^/]*";
    else if (c === "?") body += "[^/]";
    else body += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${body}$`);
}

export const tokenSharedBetweenSteps: Rule = {
  meta: {
    id: "token-shared-between-steps",
    title: "An OIDC token is written where another step can read it",
    defaultSeverity: "high",
    description:
      "A Buildkite OIDC token is a bearer credential for as long as it lives. Uploaded as an artifact or stored in build meta-data it can be read by every later step of the build, by anyone who can view the build's artifacts, and by steps from other pipelines that can read them; Buildkite's own guidance is that each step requests its own token.",
    tags: ["security", "tokens", "repository"],
  },
  *check({ repo }) {
    if (!repo) return;
    const byStep = new Map<string, string[]>();
    for (const p of repo.repo.pipelines) for (const s of p.steps) byStep.set(`${p.file}:${s.line}`, s.artifactPaths.map((a) => a.path));
    // A script's token file is shared when a step that runs the script uploads it.
    const facts = [
      ...repo.repo.scripts.map((s) => ({ artifacts: (repo.callers.get(s.file) ?? []).flatMap((step) => step.artifactPaths.map((a) => a.path)), facts: s })),
      ...[...repo.inline.entries()].map(([key, f]) => ({ artifacts: byStep.get(key) ?? [], facts: f })),
    ];
    for (const { artifacts, facts: f } of facts) {
      for (const sink of f.tokenSinks) {
        let shared = sink.kind === "artifact" || sink.kind === "meta-data";
        let how = sink.kind === "artifact" ? `uploaded as artifact ${sink.target}` : sink.kind === "meta-data" ? `stored in build meta-data '${sink.target}'` : "";
        if (sink.kind === "file") {
          const match = artifacts.find((a) => globRe(a).test(sink.target.replace(/^\.\//, "")));
          if (match) {
            shared = true;
            how = `written to ${sink.target}, which the step's artifact_paths '${match}' uploads`;
          }
        }
        if (!shared) continue;
        // `via` is a variable name or the command itself.
        const source = /^[A-Za-z_][A-Za-z0-9_]*$/.test(sink.via) ? `$${sink.via}` : /request-token/.test(sink.via) ? "buildkite-agent oidc request-token" : sink.via;
        yield {
          message: `An OIDC token (${source}) is ${how} at ${at(sink)}, where other steps can read it.`,
          location: { file: sink.file, line: sink.line },
          evidence: [`token source: ${source}`, how],
          remediation:
            "Request the token in the step that uses it (`buildkite-agent oidc request-token --audience api://AzureADTokenExchange`) and keep it in a variable of that step; never write it to artifacts or meta-data.",
          key: [sink.file, sink.kind, sink.target],
        };
      }
    }
  },
};
