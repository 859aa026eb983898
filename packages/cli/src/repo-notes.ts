/**
 * How the CLI speaks about a repository on stderr: notes summarised by kind (a tree of 3,000
 * templates has thousands), and repository paths made clickable from the working directory.
 */
import { posix } from "node:path";
import { terminalText, type Diagnostic, type RepoAnalysis } from "@trustscope/core";

/** Notes listed one by one before the summary says how many more there are. */
const FIRST_NOTES = 5;

/** The note's kind, as its reader set it; notes from older readers fall in `other`. */
function kindOf(d: Diagnostic): string {
  return d.kind ?? "other";
}

/**
 * stderr lines for the repository's notes: all of them with `verbose`, else the counts by kind
 * and the first few. Paths are printed relative to the working directory.
 */
export function noteLines(diagnostics: readonly Diagnostic[], opts: { verbose: boolean; root: string }): string[] {
  const notes = diagnostics.filter((d) => d.note);
  const line = (d: Diagnostic) => `trustscope: note: ${terminalText(`${inRoot(opts.root, d.file)}:${d.line}: ${d.message}`)}`;
  if (opts.verbose || notes.length <= FIRST_NOTES) return notes.map(line);
  const counts = new Map<string, number>();
  for (const d of notes) counts.set(kindOf(d), (counts.get(kindOf(d)) ?? 0) + 1);
  const byKind = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([k, n]) => `${n} ${k}`);
  return [
    `trustscope: ${notes.length} notes about the repository (${byKind.join(", ")}); the first ${FIRST_NOTES}, --verbose lists all:`,
    ...notes.slice(0, FIRST_NOTES).map(line),
  ];
}

/** A repository-relative path (`.` for the repository itself) as seen from the working directory. */
function inRoot(root: string, file: string): string {
  if (root === "") return file;
  return file === "." ? root : posix.join(root, file);
}

/** The table prints a repository file's location relative to the working directory, to click. */
export function repoFileText(repo: RepoAnalysis & { root: string }): (file: string) => string {
  const files = new Set([...repo.repo.pipelines, ...repo.repo.scripts, ...repo.repo.templates, ...(repo.repo.githubWorkflows ?? []), ...repo.repo.diagnostics].map((f) => f.file));
  // Terraform files that declare only what the engine locates findings at (a pipeline, an identity).
  for (const m of repo.repo.terraform ?? []) for (const o of m.objects.origins.values()) files.add(o.location.file);
  return (file) => (files.has(file) ? inRoot(repo.root, file) : file);
}
