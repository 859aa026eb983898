/**
 * Start-up of the CLI as users get it: the packages packed and installed with `npm i -g` into a
 * temporary prefix (scripts/pack-install.ts), then each command run as a whole process, as a shell
 * runs it (the bin's `#!/usr/bin/env node`), several times: median wall time from spawn to exit,
 * and peak RSS from GNU time (`/usr/bin/time -f %M`, the kernel's high-water mark of the process;
 * none where that is missing, e.g. macOS's BSD time). A bare `node` on an empty script is the
 * floor every command stands on.
 *
 * The children run without NODE_EXTRA_CA_CERTS (a machine-wide setting that makes every Node
 * start parse a certificate bundle, whatever it runs; the floor is measured with it too), and
 * without the NODE_PATH, NODE_OPTIONS and npm_* variables that `pnpm bench` puts in the
 * environment, as from a user's shell.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { packAndInstall, userEnv } from "../../scripts/pack-install.ts";

export interface StartupCase {
  label: string;
  targetMs?: number;
  /** Wall times of the measured runs, in the order they ran. */
  runsMs: number[];
  medianMs: number;
  /** The highest peak RSS of any run; undefined without GNU time. */
  peakRssMb: number | undefined;
  /** Why a run did not do its job (an exit code of 2 or more, a signal), if one did not. */
  problem?: string;
}

export interface StartupResult {
  runs: number;
  /** `node` on an empty script, without and (when this process has it) with NODE_EXTRA_CA_CERTS. */
  baseline: StartupCase[];
  commands: StartupCase[];
  rssMethod: string | undefined;
  packMs: number;
  installMs: number;
}

/** Targets from the issue, median wall time of the installed command. */
export const STARTUP_TARGETS = { version: 150, rules: 250, snapshot: 500, repo: 400 } as const;

const TIME = "/usr/bin/time";

/** Whether GNU time is there (BSD time has no -f): peak RSS is then measured, else left out. */
function gnuTime(): boolean {
  if (!existsSync(TIME)) return false;
  const r = spawnSync(TIME, ["-f", "%M", process.execPath, "-e", ""], { encoding: "utf8" });
  return r.status === 0 && /^\d+\s*$/.test(r.stderr.trim().split("\n").pop() ?? "");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Command {
  label: string;
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  targetMs?: number;
}

export async function measureStartup(opts: { runs: number; progress: (line: string) => void }): Promise<StartupResult> {
  opts.progress("bench: packing the packages and installing them with npm (start-up)…");
  const installed = await packAndInstall();
  opts.progress(`bench: packed in ${(installed.timings.packMs / 1000).toFixed(1)} s, installed with npm in ${(installed.timings.installMs / 1000).toFixed(1)} s (${installed.dir})`);
  try {
    const work = join(installed.dir, "work");
    const emptyRepo = join(work, "empty-repo");
    mkdirSync(emptyRepo, { recursive: true });
    const emptyScript = join(work, "empty.mjs");
    writeFileSync(emptyScript, "");
    const rssFile = join(work, "rss.txt");
    const withRss = gnuTime();

    // This Node first on PATH, so that the bin's `env node` is the one measured beside it.
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(userEnv()).filter(([k]) => !/^pnpm_/i.test(k) && !["NODE_EXTRA_CA_CERTS", "NODE_PATH", "NODE_OPTIONS"].includes(k)),
    );
    env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`;
    env.NO_COLOR = "1";
    const bin = installed.global.bin;
    const snapshot = join(installed.global.packageDir, "demo", "organisation.json");
    const baselineCommands: Command[] = [{ label: "node (empty script)", cmd: process.execPath, args: [emptyScript], env }];
    if (process.env.NODE_EXTRA_CA_CERTS) {
      baselineCommands.push({ label: "node (empty script), NODE_EXTRA_CA_CERTS set", cmd: process.execPath, args: [emptyScript], env: { ...env, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } });
    }
    const commands: Command[] = [
      { label: "trustscope --version", cmd: bin, args: ["--version"], env, targetMs: STARTUP_TARGETS.version },
      { label: "trustscope rules", cmd: bin, args: ["rules"], env, targetMs: STARTUP_TARGETS.rules },
      { label: "trustscope scan --snapshot <demo>", cmd: bin, args: ["scan", "--snapshot", snapshot], env, targetMs: STARTUP_TARGETS.snapshot },
      { label: "trustscope scan --repo <empty dir>", cmd: bin, args: ["scan", "--repo", emptyRepo], env, targetMs: STARTUP_TARGETS.repo },
    ];
    const all = [...baselineCommands, ...commands];

    const once = (c: Command): { wallMs: number; rssMb: number | undefined; problem?: string } => {
      const [cmd, args] = withRss ? [TIME, ["-f", "%M", "-o", rssFile, c.cmd, ...c.args]] : [c.cmd, c.args];
      const started = performance.now();
      const r = spawnSync(cmd, args, { cwd: work, env: c.env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
      const wallMs = performance.now() - started;
      const rssMb = withRss ? peakRss(rssFile) : undefined;
      // 0 clean, 1 findings: both ran the command through; 2 and above are usage, coverage or internal errors.
      const problem = r.error ? r.error.message : r.status === null ? `killed by ${r.signal}` : r.status >= 2 ? `exit ${r.status}: ${r.stderr.trim().split("\n")[0] ?? ""}` : undefined;
      return { wallMs, rssMb, ...(problem ? { problem } : {}) };
    };

    // One unmeasured round first (the files into the page cache), then rounds of every command in
    // turn, so that a slow moment of the machine spreads over all of them instead of one.
    for (const c of all) once(c);
    const samples = new Map(all.map((c) => [c, [] as ReturnType<typeof once>[]]));
    for (let run = 1; run <= opts.runs; run++) {
      opts.progress(`bench: start-up run ${run} of ${opts.runs}…`);
      for (const c of all) samples.get(c)!.push(once(c));
    }
    const summarise = (c: Command): StartupCase => {
      const s = samples.get(c)!;
      const runsMs = s.map((x) => x.wallMs);
      const rss = s.map((x) => x.rssMb).filter((x): x is number => x !== undefined);
      const problem = s.find((x) => x.problem)?.problem;
      return {
        label: c.label,
        ...(c.targetMs !== undefined ? { targetMs: c.targetMs } : {}),
        runsMs,
        medianMs: median(runsMs),
        peakRssMb: rss.length > 0 ? Math.max(...rss) : undefined,
        ...(problem ? { problem } : {}),
      };
    };
    return {
      runs: opts.runs,
      baseline: baselineCommands.map(summarise),
      commands: commands.map(summarise),
      rssMethod: withRss ? "GNU time -f %M" : undefined,
      packMs: installed.timings.packMs,
      installMs: installed.timings.installMs,
    };
  } finally {
    installed.cleanup();
  }
}

/** MB from GNU time's `-o` file, whose last line is %M in KiB (a non-zero exit adds a line before it). */
function peakRss(file: string): number | undefined {
  try {
    const kib = Number(readFileSync(file, "utf8").trim().split("\n").pop());
    return Number.isFinite(kib) && kib > 0 ? kib / 1024 : undefined;
  } catch {
    return undefined;
  }
}
