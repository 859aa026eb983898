/**
 * `pnpm bench`: collects a generated enterprise-size tenant from the emulator (in its own process,
 * with a fixed per-request latency) through the real collectors, judges it, and prints requests
 * per API family against their lower bound (lower-bound.ts), the Activity Log listings of the
 * privileged federated identities against theirs, the GitHub organisation's repositories (and
 * those credentials name) against theirs, wall time against its lower bound,
 * rule-evaluation time and memory at 1×, 2×, 4× and 8×, the straightforward collector's figures,
 * the reading of a big tree of templates and Terraform (repo-read-child.ts), the installed CLI's
 * start-up (startup.ts), and whether every planted finding was found. Exit 1 when a planted
 * finding is missed; targets that are missed are printed as FAIL (timings vary by machine,
 * correctness does not).
 *
 *   pnpm bench [--latency MS] [--concurrency N] [--buildkite-page N] [--graph-page N]
 *              [--scale N] [--factors 1,2,4,8] [--runs N] [--no-naive] [--seed N]
 *              [--startup-runs N] [--no-startup] [--activity-events N]
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { COLLECT_DEFAULTS, evaluate, type CollectOptions } from "@trustscope/core";
import { collectInventory, GITHUB_MAX_CONCURRENCY, staticTokenCredential } from "@trustscope/core/collect";
import { generateCertificate } from "@trustscope/emulator";
import { builtinRules } from "@trustscope/rules";
import { missed } from "./check.ts";
import { ACTIVITY_DAYS, BENCH_NOW, generateTenant, GITHUB_ORG, REFERENCE_SIZE, scaled, type ActivityOptions } from "./generate.ts";
import { addCounts, ask, forkTs, NO_REQUESTS, type ChildReply, type RequestCounts } from "./ipc.ts";
import { ACTIVITY_PAGE, lowerBound, MAX_PAGE, type Family } from "./lower-bound.ts";
import { collectNaively } from "./naive.ts";
import { scanSyntheticRepo } from "./repo.ts";
import { measureStartup, type StartupCase, type StartupResult } from "./startup.ts";
import { SHARED_MODULES } from "./terraform-tree.ts";

const TARGET = { requests: 1.2, wall: 1.5, evalMs: 2000, evalMb: 1024, repoFilesPerSecond: 1000 };
/** Files in the synthetic template tree (the size of a registry checkout's templates). */
const TEMPLATE_FILES = 3000;
/** Root modules in the synthetic Terraform estate beside it (each with a `-var-file` variant). */
const TERRAFORM_ROOTS = 200;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (name === "latency" ? 0 : 1)) {
    process.stderr.write(`bench: --${name} must be a ${name === "latency" ? "non-negative" : "positive"} integer, got '${value}'\n`);
    process.exit(2);
  }
  return n;
}

const OPTIONS = {
  latency: { type: "string" },
  concurrency: { type: "string" },
  "buildkite-page": { type: "string" },
  "graph-page": { type: "string" },
  scale: { type: "string" },
  factors: { type: "string" },
  runs: { type: "string" },
  "no-naive": { type: "boolean" },
  seed: { type: "string" },
  "startup-runs": { type: "string" },
  "no-startup": { type: "boolean" },
  "activity-events": { type: "string" },
} as const;

function parseOptions() {
  try {
    return parseArgs({ options: OPTIONS, strict: true });
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}\n`);
    process.exit(2);
  }
}

const { values } = parseOptions();
const latencyMs = positive("latency", values.latency, 20);
const concurrency = positive("concurrency", values.concurrency, COLLECT_DEFAULTS.concurrency);
const seed = positive("seed", values.seed, 1);
const size = scaled(REFERENCE_SIZE, positive("scale", values.scale, 1));
const runs = positive("runs", values.runs, 5);
const startupRuns = positive("startup-runs", values["startup-runs"], 7);
// Every identity's Activity Log events multiplied by this (requests grow with it, memory must not).
const activity: ActivityOptions = { eventsFactor: positive("activity-events", values["activity-events"], 1) };
const factors = (values.factors ?? "1,2,4,8").split(",").map((f) => positive("factors", f.trim(), 1));
const pageSize = {
  buildkite: positive("buildkite-page", values["buildkite-page"], COLLECT_DEFAULTS.pageSize.buildkite),
  graph: positive("graph-page", values["graph-page"], COLLECT_DEFAULTS.pageSize.graph),
};

const out = (line = "") => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`${line}\n`);
const ms = (n: number) => `${Math.round(n)} ms`;
const ratio = (a: number, b: number) => (b === 0 ? "-" : `${(a / b).toFixed(2)}×`);
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  for (const r of rows) out(`  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`);
};

const failures: string[] = [];
const planting: { rules: string[]; notPlanted: { ruleId: string; reason: string }[] } = { rules: [], notPlanted: [] };
const missedFindings: string[] = [];

// 0. Start-up of the installed CLI, measured before anything else runs: this process is still
// small and no emulator competes for the cores. Printed with the other sections below.
let startup: StartupResult | string | undefined;
if (!values["no-startup"]) {
  try {
    startup = await measureStartup({ runs: startupRuns, progress });
  } catch (e) {
    startup = e instanceof Error ? e.message : String(e);
  }
}

// 1. The emulator generates the same tenant from the same seed, in three processes: one serves
// Buildkite (and GitHub, which is read after the others), one Graph and one ARM, so that one API's work (GraphQL execution of 500 pipelines,
// say) never delays another's answers, as it would not with the real services. NODE_ENV=production
// turns off graphql-js's development checks.
progress(`bench: starting the emulator (${size.applications} applications, ${size.pipelines} pipelines, ${size.subscriptions} × ${size.roleAssignmentsPerSubscription} role assignments, latency ${latencyMs} ms)…`);
const children = [0, 1, 2].map(() => forkTs("./emulator-child.ts", { NODE_ENV: "production" }));
const askCounts = () => Promise.all(children.map((c) => ask(c, { kind: "counts" }, "counts")));
const countRequests = async () => (await askCounts()).reduce((sum, r) => addCounts(sum, r.counts), NO_REQUESTS);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  // The three serve one certificate, so the collector trusts one CA as it would trust the real APIs'.
  const tls = await generateCertificate();
  const [bkEmu, graphEmu, armEmu] = await Promise.all(children.map((c) => ask(c, { kind: "start", size, seed, activity, latencyMs, tls }, "started")));
  const emu = { buildkiteGraphqlUrl: bkEmu!.buildkiteGraphqlUrl, graphUrl: graphEmu!.graphUrl, armUrl: armEmu!.armUrl, githubApiUrl: bkEmu!.githubApiUrl, caPem: tls.cert, tokens: bkEmu!.tokens };
  const options: CollectOptions = {
    cloud: "AzureCloud",
    buildkite: { organization: "bench-org", graphqlUrl: emu.buildkiteGraphqlUrl, token: emu.tokens.buildkite },
    azure: {
      tenantId: "00000000-0000-4000-8000-0000000b3a4c",
      graphUrl: emu.graphUrl,
      armUrl: emu.armUrl,
      graphCredential: staticTokenCredential(emu.tokens.graph),
      armCredential: staticTokenCredential(emu.tokens.arm),
      graphCredentialName: "bench token",
      armCredentialName: "bench token",
    },
    github: { apiUrl: emu.githubApiUrl, token: emu.tokens.github, organizations: [GITHUB_ORG], repositories: [] },
    caPem: emu.caPem,
    concurrency,
    pageSize,
    activity: { days: ACTIVITY_DAYS },
  };

  // 2. Collect through the real collectors: one cold run (it also pays for loading and compiling
  // the SDKs, and the emulator computes every answer for the first time), then `runs` warm ones
  // whose median is reported. This process has done nothing else yet, so its peak memory is the
  // collector's.
  const walls: number[] = [];
  // Per warm run: the collector's CPU time (all its threads), how long its main thread was busy,
  // and the emulator processes' CPU time. They share the machine's cores with the collector.
  const cpu: { collector: number; mainBusy: number; emulator: number }[] = [];
  let collected: Awaited<ReturnType<typeof collectInventory>> | undefined;
  let counts: RequestCounts | undefined;
  for (let run = 0; run <= runs; run++) {
    progress(run === 0 ? "bench: collecting (cold run)…" : `bench: collecting (warm run ${run} of ${runs})…`);
    collected = undefined; // a scan holds one collection at a time: the last one is garbage
    const before = await askCounts();
    const cpuBefore = process.cpuUsage();
    const busyBefore = performance.eventLoopUtilization();
    const started = performance.now();
    // The log's window ends at the generated tenant's time, as a scan at that time would read it.
    collected = await collectInventory(options, BENCH_NOW);
    walls.push(performance.now() - started);
    const busy = performance.eventLoopUtilization(busyBefore).active;
    const used = process.cpuUsage(cpuBefore);
    const after = await askCounts();
    if (run > 0) cpu.push({ collector: (used.user + used.system) / 1000, mainBusy: busy, emulator: after.reduce((n, r, i) => n + r.cpuMs - before[i]!.cpuMs, 0) });
    const made = after.reduce((sum, r) => addCounts(sum, r.counts), NO_REQUESTS);
    counts ??= made; // every run makes the same requests; the first is reported
  }
  const [coldMs, ...warm] = walls as [number, ...number[]];
  const wallMs = warm.length > 0 ? median(warm) : coldMs;
  const collectRssMb = (process.resourceUsage().maxRSS * 1024) / 1024 / 1024;
  if (!collected || !counts) throw new Error("no collection run");

  // 3. Judge what was collected, with the synthetic repository one of its pipelines builds (as
  // `scan --repo` would): every planted finding must be there.
  const { inventory: generated, planted, repo, notApplicable } = generateTenant(size, seed, activity);
  const repoAnalysis = scanSyntheticRepo(repo);
  if (repoAnalysis.repo.diagnostics.some((d) => !d.note)) failures.push("the synthetic repository was not read fully");
  const evalStarted = performance.now();
  const evaluation = evaluate({ inventory: collected, rules: builtinRules, now: BENCH_NOW, repo: repoAnalysis });
  const evalMs = performance.now() - evalStarted;
  planting.rules = planted.map((p) => p.ruleId);
  planting.notPlanted = notApplicable;
  const lost = missed(planted, evaluation.findings);
  missedFindings.push(...lost.map((m) => `collected tenant: ${m}`));

  // 4. The straightforward collector on the same emulator.
  let naive: { counts: RequestCounts; wallMs: number } | undefined;
  if (!values["no-naive"]) {
    progress("bench: collecting the straightforward way (per application, per principal)…");
    const naiveStarted = performance.now();
    await collectNaively(emu, concurrency, "bench-org");
    naive = { wallMs: performance.now() - naiveStarted, counts: await countRequests() };
  }

  // 5. Report collection.
  const bound = lowerBound(generated);
  const wallBound = bound.wallMs(concurrency, latencyMs);
  out(`trustscope bench — ${size.applications} applications (${size.buildkiteApplications} with Buildkite credentials), ${size.pipelines} pipelines in ${size.clusters} clusters,`);
  out(`  ${size.subscriptions} subscriptions × ${size.roleAssignmentsPerSubscription} role assignments, ${size.storageAccounts} storage accounts, ${generated.azure!.managedIdentities.length} managed identities`);
  const gh = generated.github!;
  out(`  GitHub: organisation ${GITHUB_ORG} with ${gh.repositories.length} repositories, ${gh.repositories.filter((r) => r.environments).length} of them (and ${gh.missingRepositories?.length ?? 0} missing) named by credentials`);
  out(`  latency ${latencyMs} ms per request, concurrency ${concurrency} per API family (GitHub ${Math.min(concurrency, GITHUB_MAX_CONCURRENCY)}), pages: Buildkite ${pageSize.buildkite}, Graph ${pageSize.graph} (100 with $expand), ARM server-chosen (emulator ${MAX_PAGE.arm}), GitHub ${MAX_PAGE.github}`);
  out();
  const reads = generated.azure!.activity!.reads;
  const events = reads.reduce((n, r) => n + r.operations.reduce((m, o) => m + o.count, 0), 0);
  const perListing = reads.map((r) => r.operations.reduce((m, o) => m + o.count, 0)).sort((a, b) => a - b);
  out(`  Activity Log: ${new Set(reads.map((r) => r.principalId)).size} privileged federated identities, ${reads.length} (identity, subscription) listings, ${events} events in ${ACTIVITY_DAYS} days (median ${perListing[Math.floor(perListing.length / 2)] ?? 0}, largest ${perListing[perListing.length - 1] ?? 0} per listing; events ×${activity.eventsFactor}), page size ${ACTIVITY_PAGE}`);
  out();
  out("Requests (HTTP requests; Graph $batch counts once, its inner requests in brackets; the Activity Log's ARM requests apart)");
  const families: Family[] = ["buildkite", "graph", "arm", "activity", "github"];
  const rows = [["API", "made", "lower bound", "ratio", "straightforward", "vs. ours"]];
  let made = 0;
  let lower = 0;
  for (const f of families) {
    const n = counts[f];
    made += n;
    lower += bound.requests[f];
    const inner = f === "graph" ? ` [${counts.graphInner}]` : "";
    // The straightforward collector reads no Activity Log and no GitHub.
    const naiveN = naive && f !== "activity" && f !== "github" ? naive.counts[f] : undefined;
    rows.push([f, `${n}${inner}`, String(bound.requests[f]), ratio(n, bound.requests[f]), naiveN === undefined ? "-" : `${naiveN}${f === "graph" ? ` [${naive!.counts.graphInner}]` : ""}`, naiveN === undefined ? "-" : ratio(naiveN, n)]);
  }
  rows.push(["total", String(made), String(lower), ratio(made, lower), naive ? String(naive.counts.buildkite + naive.counts.graph + naive.counts.arm) : "-", naive ? ratio(naive.counts.buildkite + naive.counts.graph + naive.counts.arm, made - counts.activity - counts.github) : "-"]);
  table(rows);
  if (counts.failed > 0 || counts.foreign > 0) failures.push(`${counts.failed} requests failed during collection`);
  out();
  out("Wall time");
  table([
    ["", "measured", "lower bound", "ratio"],
    [`collection (median of ${warm.length} warm runs: ${warm.map(ms).join(", ")})`, ms(wallMs), ms(wallBound), ratio(wallMs, wallBound)],
    ["collection, cold run", ms(coldMs), ms(wallBound), ratio(coldMs, wallBound)],
    ...(naive ? [["straightforward", ms(naive.wallMs), "", `${ratio(naive.wallMs, wallMs)} ours`]] : []),
  ]);
  out(`  lower bound = ${latencyMs} ms × max(longest chain ${bound.chain}, ${["buildkite", "graph"].map((f) => `⌈${bound.requests[f as Family]}/${concurrency}⌉`).join(", ")}, ⌈(${bound.requests.arm} + ${bound.requests.activity} Activity Log)/${concurrency}⌉, GitHub ⌈${bound.requests.github}/${Math.min(concurrency, GITHUB_MAX_CONCURRENCY)}⌉)`);
  if (cpu.length > 0) {
    out(`  CPU per warm run (median): collector ${ms(median(cpu.map((c) => c.collector)))} (main thread busy ${ms(median(cpu.map((c) => c.mainBusy)))}), emulator processes ${ms(median(cpu.map((c) => c.emulator)))}; ${os.availableParallelism()} cores`);
  }
  out(`  coverage: ${collected.coverage.complete ? "complete" : `INCOMPLETE (${collected.coverage.gaps.length} gaps: ${collected.coverage.gaps[0]?.error})`}; collector peak RSS ${Math.round(collectRssMb)} MB`);
  if (!collected.coverage.complete) failures.push("the collection was incomplete");
  out(`  rule evaluation of the collected tenant and the synthetic repository: ${ms(evalMs)}, ${evaluation.findings.length} findings`);

  const activityOk = counts.activity <= TARGET.requests * bound.requests.activity;
  const requestsOk = made <= TARGET.requests * lower;
  const wallOk = wallMs <= TARGET.wall * wallBound;
  out();
  out("Targets");
  out(`  ${verdict(requestsOk)}  requests ≤ ${TARGET.requests} × lower bound (${ratio(made, lower)})`);
  out(`  ${verdict(activityOk)}  Activity Log requests ≤ ${TARGET.requests} × lower bound (${counts.activity} against ${bound.requests.activity}: ${ratio(counts.activity, bound.requests.activity)}); collector peak RSS ${Math.round(collectRssMb)} MB with events ×${activity.eventsFactor} (compare a run with --activity-events 10)`);
  if (!activityOk) failures.push("Activity Log requests above target");
  out(`  ${verdict(wallOk)}  wall time ≤ ${TARGET.wall} × lower bound (${ratio(wallMs, wallBound)})`);
  if (!requestsOk) failures.push("requests above target");
  if (!wallOk) failures.push("wall time above target");
} finally {
  await Promise.all(children.map((c) => ask(c, { kind: "close" }, "counts").catch(() => undefined)));
}

// 6. Rule evaluation alone, at growing sizes, each in a fresh process.
out();
out("Rule evaluation (trust graph + every built-in rule, with the synthetic repository), each size in a fresh process");
const evalRows = [["size", "role assignments", "evaluation", "per 1k assignments", "heap after", "peak RSS", "findings"]];
const evaluated: Extract<ChildReply, { kind: "evaluated" }>[] = [];
for (const factor of factors) {
  progress(`bench: evaluating at ${factor}×…`);
  const worker = forkTs("./evaluate-child.ts");
  const r = await ask(worker, { kind: "evaluate", size, seed, activity, factor }, "evaluated");
  evaluated.push(r);
  missedFindings.push(...r.missed.map((m) => `${factor}× tenant: ${m}`));
  evalRows.push([`${factor}×`, String(r.roleAssignments), ms(r.evaluationMs), `${(r.evaluationMs / (r.roleAssignments / 1000)).toFixed(2)} ms`, `${r.heapAfterMb} MB`, `${r.peakRssMb} MB`, String(r.findings)]);
}
table(evalRows);
const largest = evaluated.find((r) => r.factor === 8);
if (largest) {
  const fast = largest.evaluationMs < TARGET.evalMs;
  const small = largest.peakRssMb < TARGET.evalMb;
  out(`  ${verdict(fast)}  8× evaluation under ${TARGET.evalMs} ms (${ms(largest.evaluationMs)})`);
  out(`  ${verdict(small)}  8× peak memory under 1 GiB (${largest.peakRssMb} MB RSS, inventory generation included)`);
  if (!fast) failures.push("8× evaluation too slow");
  if (!small) failures.push("8× evaluation used too much memory");
}
const first = evaluated[0];
const last = evaluated[evaluated.length - 1];
if (first && last && last !== first) {
  // Linear: time per assignment stays flat (within 2×, to allow for warm-up and GC).
  const perFirst = first.evaluationMs / first.roleAssignments;
  const perLast = last.evaluationMs / last.roleAssignments;
  const linear = perLast <= 2 * perFirst;
  out(`  ${verdict(linear)}  linear growth: time per assignment at ${last.factor}× is ${ratio(perLast, perFirst)} that at ${first.factor}×`);
  if (!linear) failures.push("evaluation time grows faster than linearly");
}

// 7. Reading a big repository of templates and Terraform (scan --repo on a registry-sized tree), in a fresh process.
out();
out(`Repository reading: ${TEMPLATE_FILES} template files (Bicep modules and callers, .bicepparam, ARM with parameter files) and ${TERRAFORM_ROOTS} Terraform root modules (prod.tfvars variants, ${SHARED_MODULES} shared local modules, a registry module each), median of 3 runs`);
{
  progress("bench: reading the template tree…");
  const r = await ask(forkTs("./repo-read-child.ts"), { kind: "read-repo", files: TEMPLATE_FILES, terraformRoots: TERRAFORM_ROOTS, runs: 3 }, "read-repo");
  const rate = r.files / (r.medianMs / 1000);
  const tf = r.terraform;
  out(`  ${r.files} files in ${ms(r.medianMs)}: ${Math.round(rate)} files/s; ${r.facts} facts, ${r.notes} notes, ${r.gaps} gaps; peak RSS ${r.peakRssMb} MB; HCL parser loaded in ${ms(r.hclLoadMs)}`);
  out(`  Terraform alone: ${tf.files} files in ${ms(tf.medianMs)}: ${Math.round(tf.files / (tf.medianMs / 1000))} files/s; ${tf.roots} root modules, ${tf.configurations} configurations, ${tf.declared} declared objects, ${tf.facts} facts, ${tf.notes} notes, ${tf.gaps} gaps`);
  const fastEnough = rate >= TARGET.repoFilesPerSecond;
  out(`  ${verdict(fastEnough)}  ≥ ${TARGET.repoFilesPerSecond} files/s`);
  if (!fastEnough) failures.push("repository reading too slow");
  if (r.gaps > 0) failures.push("the template tree was not read fully");
  if (tf.configurations !== 2 * TERRAFORM_ROOTS) failures.push(`the Terraform tree read as ${tf.configurations} configurations, not ${2 * TERRAFORM_ROOTS}`);
}

// 8. Start-up of the installed CLI (measured first, in section 0).
if (typeof startup === "string") {
  out();
  out("Start-up from the installed package: not measured");
  for (const line of startup.split("\n").slice(0, 12)) out(`  ${line}`);
  failures.push("start-up not measured (packing or installing failed)");
} else if (startup) {
  out();
  out(`Start-up from the installed package (npm i -g of the packed tarballs), whole process, median of ${startup.runs} runs; the children run without NODE_EXTRA_CA_CERTS`);
  const rss = (c: StartupCase) => (c.peakRssMb === undefined ? "-" : `${Math.round(c.peakRssMb)} MB`);
  const spread = (c: StartupCase) => `${Math.round(Math.min(...c.runsMs))}–${Math.round(Math.max(...c.runsMs))} ms`;
  table([
    ["", "median", "range", "peak RSS", "target"],
    ...[...startup.baseline, ...startup.commands].map((c) => [c.label, ms(c.medianMs), spread(c), rss(c), c.targetMs === undefined ? "" : `≤ ${c.targetMs} ms`]),
  ]);
  out(`  peak RSS: ${startup.rssMethod ?? "not measured (needs GNU time at /usr/bin/time)"}; packed in ${(startup.packMs / 1000).toFixed(1)} s, installed in ${(startup.installMs / 1000).toFixed(1)} s`);
  for (const c of startup.commands) {
    const ok = c.targetMs !== undefined && c.medianMs <= c.targetMs && !c.problem;
    out(`  ${verdict(ok)}  ${c.label} ≤ ${c.targetMs} ms (${ms(c.medianMs)})${c.problem ? `; a run failed: ${c.problem}` : ""}`);
    if (!ok) failures.push(c.problem ? `${c.label} failed` : `${c.label} start-up above target`);
  }
  for (const c of startup.baseline) if (c.problem) failures.push(`${c.label} failed`);
}

// 9. Correctness: every planted finding, at every size.
out();
out(`Planted findings: ${planting.rules.length} rules planted (${planting.rules.join(", ")})`);
for (const n of planting.notPlanted) out(`  not planted: ${n.ruleId} (${n.reason})`);
if (missedFindings.length === 0) out("  PASS  every planted finding was found, in the collected tenant and at every evaluated size");
else for (const m of missedFindings) out(`  MISSED  ${m}`);
if (failures.length > 0) out(`\nTargets missed: ${failures.join("; ")}`);
process.exit(missedFindings.length > 0 ? 1 : 0);
