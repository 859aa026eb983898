/**
 * loadRepo on hostile repositories built at test time: symbolic links out of the repository (to a
 * secret-looking file, /proc/self/pagemap, /dev/zero), FIFOs, link cycles, links inside the
 * repository, script paths that depend on variables, names with control characters, and a hostile
 * .git/config. Nothing outside the repository is read, nothing blocks, and what is not read is said.
 *
 * The FIFO cases rely on the fix: an unfixed loader blocks on them.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadRepo } from "../src/repo/load-repo.ts";
import { readPipeline } from "../src/repo/pipeline/read-pipeline.ts";
import { interpreterOf, quoted, resolveScriptPath } from "../src/repo/shell/script-path.ts";
import type { Diagnostic } from "../src/model/repo.ts";

const MARKER = "OUTSIDE-SECRET-7f3a9c";

/** A repository in a fresh temp dir, and a sibling directory outside it holding a secret-looking file. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function fixture(files: Record<string, string> = {}): { dir: string; outside: string; write: (path: string, text: string) => void; link: (path: string, target: string) => void; fifo: (path: string) => void } {
  const base = mkdtempSync(join(tmpdir(), "trustscope-hostile-"));
  made.push(base);
  const dir = join(base, "repo");
  const outside = join(base, "outside");
  mkdirSync(dir);
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.sh"), `#!/bin/bash\naz login --service-principal -u app -p ${MARKER} --tenant t\n`);
  writeFileSync(join(outside, "main.bicep"), `// ${MARKER}\n`);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const link = (path: string, target: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    symlinkSync(target, join(dir, path));
  };
  const fifo = (path: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    execFileSync("mkfifo", [join(dir, path)]);
  };
  for (const [p, t] of Object.entries(files)) write(p, t);
  return { dir, outside, write, link, fifo };
}

const lines = (ds: Diagnostic[]) => ds.map((d) => `${d.note ? "note " : ""}${d.file}:${d.line}: ${d.message}`);
const gaps = (ds: Diagnostic[]) => lines(ds.filter((d) => !d.note));
const notes = (ds: Diagnostic[]) => lines(ds.filter((d) => d.note));
const hasProc = existsSync("/proc/self/pagemap");

describe("item 3: links out of the repository are not followed", () => {
  it("a called script linked to a file outside is a gap naming the link; the file is never read", () => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: ./build.sh\n" });
    r.link("build.sh", join(r.outside, "secret.sh"));
    const { repo } = loadRepo(r.dir);
    expect(gaps(repo.diagnostics)).toEqual(["build.sh:1: symbolic link to a path outside the repository; not read"]);
    expect(repo.scripts).toEqual([]);
    const everything = JSON.stringify(repo);
    expect(everything).not.toContain(MARKER);
    expect(everything).not.toContain(r.outside);
  });

  it("relative links that climb out of the repository are caught too (the check is on real paths)", () => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: bash scripts/build.sh\n" });
    r.link("scripts/build.sh", "../../outside/secret.sh");
    r.link(".buildkite/login.sh", "../../outside/secret.sh");
    r.link(".buildkite/pipeline.deploy.yml", "../../outside/secret.sh");
    r.link("infra/main.bicep", "../../outside/main.bicep");
    const { repo } = loadRepo(r.dir);
    expect(gaps(repo.diagnostics).sort()).toEqual([
      ".buildkite/login.sh:1: symbolic link to a path outside the repository; not read",
      ".buildkite/pipeline.deploy.yml:1: symbolic link to a path outside the repository; not read",
      "infra/main.bicep:1: symbolic link to a path outside the repository; not read",
      "scripts/build.sh:1: symbolic link to a path outside the repository; not read",
    ]);
    expect(JSON.stringify(repo)).not.toContain(MARKER);
  });

  it.skipIf(!hasProc)("build.sh -> /proc/self/pagemap (size 0 in stat) is a gap, read not at all, and the scan ends", () => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: ./build.sh\n" });
    r.link("build.sh", "/proc/self/pagemap");
    r.link(".buildkite/zero.sh", "/dev/zero");
    const started = Date.now();
    const { repo } = loadRepo(r.dir);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(gaps(repo.diagnostics).sort()).toEqual([
      ".buildkite/zero.sh:1: symbolic link to a path outside the repository; not read",
      "build.sh:1: symbolic link to a path outside the repository; not read",
    ]);
    expect(JSON.stringify(repo)).not.toContain("/proc/");
  });

  it("a directory linked outside is a gap; nothing under it is read", () => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: echo hi\n" });
    r.link("infra", r.outside);
    const { repo } = loadRepo(r.dir);
    expect(gaps(repo.diagnostics)).toEqual(["infra:1: symbolic link to a path outside the repository; not read"]);
    expect(repo.templates).toEqual([]);
    expect(JSON.stringify(repo)).not.toContain(MARKER);
  });

  it("FIFOs are not opened: a pipeline file, a called script and a link to one are gaps saying so", () => {
    const r = fixture({ ".buildkite/pipeline.deploy.yml": "steps:\n  - command: ./run.sh\n  - command: ./scripts/fifo.sh\n" });
    r.fifo(".buildkite/pipeline.yml");
    r.fifo("scripts/fifo.sh");
    r.link("run.sh", "scripts/fifo.sh");
    const { repo } = loadRepo(r.dir);
    expect(gaps(repo.diagnostics).sort()).toEqual([
      ".buildkite/pipeline.yml:1: not a regular file (FIFO); not read",
      "run.sh:1: not a regular file (FIFO); not read",
      "scripts/fifo.sh:1: not a regular file (FIFO); not read",
    ]);
  });

  it("what is read is capped by bytes read: a file over 5 MiB is a gap", () => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: ./big.sh\n", "big.sh": `echo ${"x".repeat(5 * 1024 * 1024)}\n` });
    expect(gaps(loadRepo(r.dir).repo.diagnostics)).toEqual(["big.sh:1: larger than 5242880 bytes; not read"]);
  });

  it("a repository under a linked directory is read, with paths relative to it", () => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: ./scripts/deploy.sh\n", "scripts/deploy.sh": "echo deploy\n" });
    const via = join(dirname(r.dir), "via-link");
    symlinkSync(r.dir, via);
    const { repo } = loadRepo(via, { pathPrefix: "sub" });
    expect(repo.diagnostics).toEqual([]);
    expect(repo.pipelines.map((p) => p.file)).toEqual(["sub/.buildkite/pipeline.yml"]);
    expect(repo.scripts.map((s) => s.file)).toEqual(["sub/scripts/deploy.sh"]);
  });

  it("a broken link is a note, not a gap", () => {
    const r = fixture();
    r.link(".buildkite/pipeline.yml", "missing.yml");
    expect(lines(loadRepo(r.dir).repo.diagnostics)).toEqual(["note .buildkite/pipeline.yml:1: broken symbolic link; not read"]);
  });
});

describe("item 4: links inside the repository are followed", () => {
  it("a linked .buildkite/pipeline.yml is read", () => {
    const r = fixture({ "ci/pipeline.yml": "steps:\n  - command: ./scripts/deploy.sh\n", "scripts/deploy.sh": "echo deploy\n" });
    r.link(".buildkite/pipeline.yml", "../ci/pipeline.yml");
    const { repo } = loadRepo(r.dir);
    expect(repo.diagnostics).toEqual([]);
    expect(repo.pipelines.map((p) => [p.file, p.steps.length])).toEqual([[".buildkite/pipeline.yml", 1]]);
    expect(repo.scripts.map((s) => s.file)).toEqual(["scripts/deploy.sh"]);
  });

  it("a linked .buildkite/ directory is read under its own name, each file once", () => {
    const r = fixture({ "ci/buildkite/pipeline.yml": "steps:\n  - command: .buildkite/login.sh\n", "ci/buildkite/login.sh": "buildkite-agent oidc request-token --audience api://AzureADTokenExchange\n" });
    r.link(".buildkite", "ci/buildkite");
    const { repo } = loadRepo(r.dir);
    expect(repo.diagnostics).toEqual([]);
    expect(repo.pipelines.map((p) => p.file)).toEqual([".buildkite/pipeline.yml"]);
    expect(repo.scripts.map((s) => [s.file, s.tokenRequests.length])).toEqual([[".buildkite/login.sh", 1]]);
  });

  it("one file under two names is read once, under the name without links, the other noted", () => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: echo hi\n" });
    r.link(".buildkite/pipeline.copy.yml", "pipeline.yml");
    const { repo } = loadRepo(r.dir);
    expect(repo.pipelines.map((p) => p.file)).toEqual([".buildkite/pipeline.yml"]);
    expect(lines(repo.diagnostics)).toEqual(["note .buildkite/pipeline.copy.yml:1: the same file as .buildkite/pipeline.yml (through a symbolic link); read once, under that name"]);
  });

  it("link cycles end the walk, with a note", () => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: echo hi\n" });
    r.link(".buildkite/up", "..");
    r.link("a/b/c", "../../a");
    r.link("self", ".");
    r.link("loop1", "loop2");
    r.link("loop2", "loop1");
    const { repo } = loadRepo(r.dir);
    expect(gaps(repo.diagnostics)).toEqual([]);
    expect(notes(repo.diagnostics).sort()).toEqual([
      "note .buildkite/up:1: symbolic link to a directory that holds it (a cycle); not followed",
      "note a/b/c:1: symbolic link to a directory that holds it (a cycle); not followed",
      "note self:1: symbolic link to a directory that holds it (a cycle); not followed",
    ]);
    expect(repo.pipelines).toHaveLength(1);
  });
  it("a diamond of directory links is walked once per directory, not once per path through it", () => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: echo hi\n", "d/l0/x.sh": "echo\n" });
    for (let i = 1; i <= 30; i++) {
      r.link(`d/l${i}/a`, `../l${i - 1}`);
      r.link(`d/l${i}/b`, `../l${i - 1}`);
    }
    const started = Date.now();
    const { repo } = loadRepo(r.dir);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(gaps(repo.diagnostics)).toEqual([]);
    expect(notes(repo.diagnostics)).toContain("note d/l30/b:1: the same directory as d/l30/a (through a symbolic link); not walked again");
    expect(repo.pipelines).toHaveLength(1);
  });
});

describe("item 11: scripts whose path is built from variables", () => {
  const deploy = { "scripts/deploy-prod.sh": "buildkite-agent oidc request-token --audience api://AzureADTokenExchange\n", "scripts/deploy-dev.sh": "echo dev\n" };

  it("pipeline env, step env, ${X}, $$X and the build matrix are substituted", () => {
    const r = fixture({
      ...deploy,
      "scripts/test-linux.sh": "echo linux\n",
      "scripts/test-windows.sh": "echo windows\n",
      ".buildkite/pipeline.yml": [
        "env:",
        "  TARGET: prod",
        "steps:",
        "  - command: ./scripts/deploy-$TARGET.sh",
        "  - command: ./scripts/deploy-$${STAGE}.sh",
        "    env:",
        "      STAGE: dev",
        "  - command: ./scripts/test-{{matrix.os}}.sh",
        "    matrix:",
        "      setup:",
        "        os: [linux, windows]",
        "",
      ].join("\n"),
    });
    const { repo } = loadRepo(r.dir);
    expect(repo.diagnostics).toEqual([]);
    expect(repo.scripts.map((s) => s.file)).toEqual(["scripts/deploy-dev.sh", "scripts/deploy-prod.sh", "scripts/test-linux.sh", "scripts/test-windows.sh"]);
  });

  it("a variable the pipeline does not set is a gap at the step's line", () => {
    const r = fixture({ ...deploy, ".buildkite/pipeline.yml": "steps:\n  - label: deploy\n    command: ./scripts/deploy-$TARGET.sh\n" });
    const { repo } = loadRepo(r.dir);
    expect(gaps(repo.diagnostics)).toEqual([".buildkite/pipeline.yml:3: runs ./scripts/deploy-$TARGET.sh, whose path depends on $TARGET, not set in the pipeline: not read"]);
  });

  it("scripts find their own directory ($(dirname \"$0\"), BASH_SOURCE, cd … && pwd) and get the step's env", () => {
    const r = fixture({
      ...deploy,
      ".buildkite/pipeline.yml": "steps:\n  - command: .buildkite/deploy.sh\n    env:\n      TARGET: prod\n",
      ".buildkite/deploy.sh": [
        'DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
        'source "$DIR/lib/common.sh"',
        '. "$(dirname "$0")/lib/more.sh"',
        '"${BASH_SOURCE%/*}/../scripts/deploy-${TARGET}.sh"',
        "",
      ].join("\n"),
      ".buildkite/lib/common.sh": "echo common\n",
      ".buildkite/lib/more.sh": "echo more\n",
    });
    const { repo } = loadRepo(r.dir);
    expect(repo.diagnostics).toEqual([]);
    expect(repo.scripts.map((s) => s.file)).toEqual([".buildkite/deploy.sh", ".buildkite/lib/common.sh", ".buildkite/lib/more.sh", "scripts/deploy-prod.sh"]);
  });

  it("in a script, an unknown path is a gap when a file of the repository could be it, else a note", () => {
    const r = fixture({
      ...deploy,
      ".buildkite/pipeline.yml": "steps:\n  - command: .buildkite/run.sh\n",
      ".buildkite/run.sh": './scripts/deploy-$1.sh\n"pkg/agent-$(uname -m)"\n',
    });
    const { repo } = loadRepo(r.dir);
    expect(lines(repo.diagnostics)).toEqual([
      ".buildkite/run.sh:1: runs ./scripts/deploy-$1.sh, whose path depends on $1: not read",
      "note .buildkite/run.sh:2: runs pkg/agent-$(uname -m), whose path depends on $(uname -m); no file in the repository matches it: not read",
    ]);
  });

  it("a script that is not in the repository is a note (generated, or from a plugin), not a gap", () => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: ./scripts/generated.sh\n" });
    expect(lines(loadRepo(r.dir).repo.diagnostics)).toEqual(["note .buildkite/pipeline.yml:2: runs ./scripts/generated.sh, which is not in the repository: not read"]);
  });

  it("a script name with a newline or ESC is a gap that shows them escaped", () => {
    // YAML escapes; the shell's quotes keep the newline in the name
    const r = fixture({ ".buildkite/pipeline.yml": 'steps:\n  - command: "\\"./scripts/de\\nploy.sh\\""\n  - command: "./scripts/\\e[31mred.sh"\n', "scripts/de\nploy.sh": "echo\n" });
    const { repo } = loadRepo(r.dir);
    expect(gaps(repo.diagnostics)).toEqual([
      '.buildkite/pipeline.yml:2: runs "./scripts/de\\nploy.sh", a name with control characters: not read',
      '.buildkite/pipeline.yml:3: runs "./scripts/\\u001b[31mred.sh", a name with control characters: not read',
    ]);
    expect(repo.scripts).toEqual([]);
    expect(JSON.stringify(repo)).not.toContain("\u001b");
  });

  it("a pipeline file whose name holds control characters is a gap naming it escaped", () => {
    const r = fixture({ ".buildkite/pipeline.\u001b[2J.yml": "steps:\n  - command: echo hi\n" });
    const { repo } = loadRepo(r.dir);
    expect(gaps(repo.diagnostics)).toEqual(['".buildkite/pipeline.\\u001b[2J.yml":1: its name holds control characters; not read']);
    expect(repo.pipelines).toEqual([]);
  });

  it("any YAML or script under .buildkite/ whose name holds a line break is a gap, not skipped", () => {
    const r = fixture({ ".buildkite/deploy\rX.yml": "steps:\n  - command: echo hi\n", ".buildkite/a\nb.sh": "#!/bin/bash\necho hi\n" });
    const { repo } = loadRepo(r.dir);
    expect(gaps(repo.diagnostics).sort()).toEqual(['".buildkite/a\\nb.sh":1: its name holds control characters; not read', '".buildkite/deploy\\rX.yml":1: its name holds control characters; not read']);
  });

  it("pipeline YAML is read up to a total size: a pull request of many big YAML files cannot hold the check", () => {
    const big = `steps:\n  - command: echo hi\n# ${"x".repeat(3 * 1024 * 1024)}\n`;
    const r = fixture({ ".buildkite/a.yml": big, ".buildkite/b.yml": big, ".buildkite/c.yml": big });
    const { repo } = loadRepo(r.dir);
    expect(repo.pipelines.map((p) => p.file)).toEqual([".buildkite/a.yml", ".buildkite/b.yml"]);
    expect(gaps(repo.diagnostics)).toEqual([".buildkite/c.yml:1: the repository's pipeline YAML is more than 8 MiB in all; this file is not read"]);
  });

  it("a script in another language is noted, not read as shell", () => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: .buildkite/check.py\n", ".buildkite/check.py": '#!/usr/bin/env python3\n"""doc\nstring"""\nprint(f"{x}")\n' });
    expect(lines(loadRepo(r.dir).repo.diagnostics)).toEqual(["note .buildkite/check.py:1: not a shell or PowerShell script (python3); its commands are not read"]);
  });
});

describe("item 12: a hostile .git/config", () => {
  const repoWith = (make: (r: ReturnType<typeof fixture>) => void) => {
    const r = fixture({ ".buildkite/pipeline.yml": "steps:\n  - command: echo hi\n" });
    mkdirSync(join(r.dir, ".git"));
    make(r);
    return loadRepo(r.dir);
  };

  it("a regular file gives the remote URL", () => {
    const got = repoWith((r) => r.write(".git/config", '[remote "origin"]\n\turl = git@github.com:acme/x.git\n'));
    expect(got.remoteUrl).toBe("git@github.com:acme/x.git");
    expect(got.repo.diagnostics).toEqual([]);
  });

  it.each([
    ["a FIFO", (r: ReturnType<typeof fixture>) => r.fifo(".git/config"), "not a regular file (FIFO); not read"],
    ["a link to /dev/zero", (r: ReturnType<typeof fixture>) => r.link(".git/config", "/dev/zero"), "symbolic link to a path outside the repository; not read"],
    ["a directory", (r: ReturnType<typeof fixture>) => mkdirSync(join(r.dir, ".git/config")), "not a regular file (directory); not read"],
    ["over 1 MiB", (r: ReturnType<typeof fixture>) => r.write(".git/config", `[remote "origin"]\n\turl = x\n${"#".repeat(1024 * 1024)}`), "larger than 1048576 bytes; not read"],
    ["a link to a file outside", (r: ReturnType<typeof fixture>) => r.link(".git/config", join(r.outside, "secret.sh")), "symbolic link to a path outside the repository; not read"],
  ])("%s: no remote URL, and a note", (_name, make, why) => {
    const got = repoWith(make);
    expect(got.remoteUrl).toBeUndefined();
    expect(lines(got.repo.diagnostics)).toEqual([`note .git/config:1: ${why}, so the repository's remote URL is unknown`]);
  });
});

describe("resolveScriptPath and friends (pure)", () => {
  const vars = (o: Record<string, string[]>) => new Map(Object.entries(o));

  it("resolves what it can and says what it cannot", () => {
    expect(resolveScriptPath("./a/$X.sh", { vars: vars({ X: ["b", "c"] }) })).toEqual({ kind: "paths", paths: ["a/b.sh", "a/c.sh"] });
    expect(resolveScriptPath("${X:-d}/run.sh", { vars: vars({}) })).toEqual({ kind: "paths", paths: ["d/run.sh"] });
    expect(resolveScriptPath("$(git rev-parse --show-toplevel)/ci/x.sh", { vars: vars({}) })).toEqual({ kind: "paths", paths: ["ci/x.sh"] });
    expect(resolveScriptPath("$HOME/bin/x.sh", { vars: vars({}) })).toEqual({ kind: "outside" });
    expect(resolveScriptPath("../other/x.sh", { vars: vars({}) })).toEqual({ kind: "outside" });
    expect(resolveScriptPath("./x-$A-$(id -u).sh", { vars: vars({}) })).toEqual({ kind: "unresolved", needs: ["$A", "$(id -u)"], onlyVariables: false, patterns: ["x-**-**.sh"], paths: [] });
    // a variable that refers to itself does not loop
    expect(resolveScriptPath("./$A.sh", { vars: vars({ A: ["$A"] }) }).kind).toBe("unresolved");
    expect(resolveScriptPath("./$A.sh", { vars: vars({ A: ["x\ny"] }) })).toEqual({ kind: "control", text: "./x\ny.sh" });
  });

  it("in pipeline YAML, $X is replaced at upload and $$X when the step runs", () => {
    const scope = { pipeline: true, vars: vars({ X: ["run"] }), uploadVars: vars({ X: ["upload"] }) };
    expect(resolveScriptPath("./$X.sh", scope)).toEqual({ kind: "paths", paths: ["upload.sh"] });
    expect(resolveScriptPath("./$$X.sh", scope)).toEqual({ kind: "paths", paths: ["run.sh"] });
    expect(resolveScriptPath("./\\$X.sh", scope)).toEqual({ kind: "paths", paths: ["run.sh"] });
  });

  it("readPipeline gives each step's matrix values per dimension, skipped adjustments left out", () => {
    const text = [
      "steps:",
      "  - command: a",
      "    matrix: [one, two]",
      "  - command: b",
      "    matrix:",
      "      setup:",
      "        color: [green, blue]",
      "        shape: [triangle]",
      "      adjustments:",
      "        - with: { color: purple, shape: octagon }",
      "        - with: { color: red, shape: square }",
      "          skip: true",
      "  - command: c",
      "",
    ].join("\n");
    expect(readPipeline(text, "p.yml").pipeline?.steps.map((s) => s.matrix)).toEqual([{ "": ["one", "two"] }, { color: ["green", "blue", "purple"], shape: ["triangle", "octagon"] }, undefined]);
  });

  it("interpreterOf and quoted", () => {
    expect(interpreterOf("a.sh", "#!/usr/bin/env -S bash -e\n")).toBeUndefined();
    expect(interpreterOf("a", "#!/usr/bin/ruby\n")).toBe("ruby");
    expect(interpreterOf("a.py", "print(1)\n")).toBe("python");
    expect(interpreterOf("a", "echo\n")).toBeUndefined();
    expect(quoted("a\u202eb\u001b")).toBe('"a\\u202eb\\u001b"');
  });
});

