/**
 * Buildkite annotations: the Markdown report on the build page, through `buildkite-agent annotate`.
 * `annotationFor` is pure (style, body, truncation to Buildkite's 1 MiB limit); `annotateBuild`
 * is the edge that runs the agent. A failed annotation never fails the scan.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { highestSeverity, type Report } from "@trustscope/core";

export type AnnotationStyle = "success" | "info" | "warning" | "error";

/** The annotation's context: a later scan in the same build replaces it. */
export const ANNOTATION_CONTEXT = "trustscope";
/** `buildkite-agent annotate` refuses bodies above this many bytes (`maxBodySize`). */
export const MAX_ANNOTATION_BYTES = 1024 * 1024;
export const AGENT = "buildkite-agent";

export interface Annotation {
  style: AnnotationStyle;
  body: string;
  truncated: boolean;
}

/**
 * critical/high → error, medium → warning, low/info → info, nothing → success; an incomplete
 * scan is at least a warning (it must never look clean).
 */
export function annotationStyle(report: Report): AnnotationStyle {
  const highest = highestSeverity(report);
  const style: AnnotationStyle =
    highest === "critical" || highest === "high" ? "error" : highest === "medium" ? "warning" : highest ? "info" : "success";
  if (!report.coverage.complete && (style === "success" || style === "info")) return "warning";
  return style;
}

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
/**
 * The first line of each finding that counts in renderMarkdown's output (new ones since the
 * baseline are marked 🆕). Data cannot forge one: renderMarkdown keeps each string on its line.
 */
const FINDING_START = /^- (?:🆕 )?\*\*`/;

function incompleteNotice(report: Report): string {
  const n = report.coverage.gaps.length;
  return (
    `> **⚠️ Incomplete scan:** ${n} source${n === 1 ? "" : "s"} could not be read fully, so this report is not the whole picture ` +
    `and no finding there does not mean no problem there. The gaps are listed below; the scan exits 3.\n\n`
  );
}

function truncationNote(shown: number, total: number, limit: number): string {
  const what =
    shown < total
      ? `${shown} of ${total} findings shown`
      : `all ${total} findings shown, the rest of the report left out`;
  return (
    `\n---\n\n**… report truncated:** ${what}, to keep this annotation under Buildkite's ${Math.floor(limit / 1024)} KiB limit. ` +
    "The annotation is all this step publishes unless it also writes the report to a file: for the full report, add " +
    "`--format json -o trustscope.json` (or `--format sarif -o trustscope.sarif`) and upload the file with `artifact_paths`.\n"
  );
}

/**
 * The annotation for a finished scan: its style, and the Markdown report as the body — preceded
 * by a notice when the scan is incomplete, and cut at a line boundary (before a finding, where
 * possible) with a note when it would exceed `limit` bytes of UTF-8.
 */
export function annotationFor(report: Report, markdown: string, limit: number = MAX_ANNOTATION_BYTES): Annotation {
  const style = annotationStyle(report);
  const body = report.coverage.complete ? markdown : incompleteNotice(report) + markdown;
  if (bytes(body) <= limit) return { style, body, truncated: false };

  const total = report.findings.filter((f) => !f.suppression).length;
  // The note for `total` is the longest any note can be (shown ≤ total), so reserve that.
  const budget = limit - bytes(truncationNote(total, total, limit)) - bytes("</details>\n");
  const lines = body.split("\n").map((l) => `${l}\n`);
  let kept = 0;
  let used = 0;
  while (kept < lines.length && used + bytes(lines[kept]!) <= budget) used += bytes(lines[kept++]!);
  // Drop a finding that would be cut in half: back off to its first line.
  if (kept < lines.length && /^ {2}- /.test(lines[kept]!)) {
    let start = kept - 1;
    while (start > 0 && !FINDING_START.test(lines[start]!)) start--;
    if (start > 0 && FINDING_START.test(lines[start]!)) kept = start;
  }
  const head = lines.slice(0, kept);
  const shown = head.filter((l) => FINDING_START.test(l)).length;
  let text = head.join("");
  const open = head.filter((l) => l.startsWith("<details>")).length - head.filter((l) => l.startsWith("</details>")).length;
  if (open > 0) text += "</details>\n";
  text += truncationNote(shown, total, limit);
  return { style, body: text, truncated: true };
}

/** Whether to annotate: `--buildkite-annotate`/`--no-buildkite-annotate` (the last one wins), else automatic. */
export function annotationMode(args: string[], env: NodeJS.ProcessEnv): "explicit" | "auto" | "off" {
  const on = args.lastIndexOf("--buildkite-annotate");
  const off = args.lastIndexOf("--no-buildkite-annotate");
  if (on > off) return "explicit";
  if (off > on) return "off";
  return env.BUILDKITE === "true" && findOnPath(AGENT, env) ? "auto" : "off";
}

/** The full path of an executable on env.PATH, or undefined. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const exts = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const path = join(dir, command + ext);
      try {
        if (!statSync(path).isFile()) continue;
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export type AnnotateResult = { ok: true } | { ok: false; error: string };

/**
 * Runs `buildkite-agent annotate --context trustscope --style STYLE` with the body on stdin (no
 * shell). Resolves with what went wrong instead of throwing: annotating is a courtesy.
 */
export function annotateBuild(annotation: Annotation, opts: { env: NodeJS.ProcessEnv; agent?: string; timeoutMs?: number }): Promise<AnnotateResult> {
  const agent = opts.agent ?? AGENT;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: AnnotateResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let stderr = "";
    const child = spawn(agent, ["annotate", "--context", ANNOTATION_CONTEXT, "--style", annotation.style], {
      env: opts.env,
      stdio: ["pipe", "ignore", "pipe"],
      windowsHide: true,
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      done({ ok: false, error: `${agent} annotate did not finish within ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s` });
    }, opts.timeoutMs ?? 120_000);
    child.on("error", (e: NodeJS.ErrnoException) => {
      done({ ok: false, error: e.code === "ENOENT" ? `${agent} was not found on PATH` : `${agent} could not be run (${e.code ?? e.message})` });
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    // The agent may exit before reading everything (a bad flag, a refused body): not our crash.
    child.stdin.on("error", () => undefined);
    child.stdin.end(annotation.body, "utf8");
    child.on("close", (code, signal) => {
      if (code === 0) return done({ ok: true });
      const last = stderr.trim().split("\n").filter(Boolean).pop();
      done({ ok: false, error: `${agent} annotate ${signal ? `was killed by ${signal}` : `exited with ${code}`}${last ? `: ${last.trim().slice(0, 500)}` : ""}` });
    });
  });
}
