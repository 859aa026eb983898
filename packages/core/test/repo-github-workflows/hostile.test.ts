/**
 * The workflow reader against a hostile pull request's YAML: nesting, alias bombs, keys of the
 * wrong kind or written twice, odd `on:` shapes, expressions spanning lines, megabyte `run:`
 * blocks. Nothing throws; what is not read is a one-line diagnostic at its line.
 */
import { describe, expect, it } from "vitest";
import { readWorkflow } from "../../src/repo/github-workflows/read-workflow.ts";
import { githubJobSubjects } from "../../src/repo/github-workflows/subjects.ts";

const FILE = ".github/workflows/w.yml";
const read = (text: string) => readWorkflow(text, FILE);
const messages = (text: string) => read(text).diagnostics.map((d) => `${d.line}: ${d.message}`);

describe("readWorkflow against hostile YAML", () => {
  it("refuses block and flow nesting past the guard, and an alias bomb, each in one line", () => {
    const block = "on: push\njobs:\n" + Array.from({ length: 600 }, (_, i) => `${" ".repeat(i + 2)}k${i}:`).join("\n") + "\n";
    expect(messages(block)).toEqual([expect.stringMatching(/^\d+: not valid YAML: nested deeper than 400 levels; not read$/)]);
    expect(messages(`on: push\njobs: ${"[".repeat(5000)}${"]".repeat(5000)}\n`)).toEqual(["2: not valid YAML: nested deeper than 400 levels; not read"]);
    const levels = ["a: &a [x,x,x,x,x,x,x,x,x,x]", ..."bcdefgh".split("").map((c, i) => `${c}: &${c} [${Array(10).fill(`*${"abcdefg"[i]}`).join(",")}]`)];
    const bomb = read(`on: push\n${levels.join("\n")}\njobs:\n  x:\n    steps: *h\n`);
    expect(bomb.workflow).toBeUndefined();
    expect(bomb.diagnostics).toEqual([expect.objectContaining({ message: expect.stringMatching(/^aliases make it stand for more than \d+ YAML nodes; not read$/) })]);
  });

  it("says so when a key is written twice (GitHub rejects it), rather than silently reading the first", () => {
    const r = read("on: push\non: pull_request_target\njobs:\n  d:\n    runs-on: x\n    permissions: {}\n    permissions: write-all\n");
    expect(r.diagnostics.map((d) => `${d.line}: ${d.message}`)).toEqual([
      "2: 'on' is defined twice in the workflow, which GitHub Actions rejects; only the first is read",
      "7: 'permissions' is defined twice in job 'd', which GitHub Actions rejects; only the first is read",
    ]);
    expect(r.workflow!.triggers.map((t) => t.event)).toEqual(["push"]);
  });

  it("says so for keys that are not names in 'on:' and 'jobs:', instead of events and jobs named ''", () => {
    const r = read("on:\n  ? [push]\n  : {}\n  pull_request:\njobs:\n  ? {a: 1}\n  : {runs-on: x}\n  build: {runs-on: x}\n");
    expect(r.diagnostics.map((d) => `${d.line}: ${d.message}`)).toEqual(["2: a key in 'on:' must be a name; not read", "6: a key in 'jobs:' must be a name; not read"]);
    expect(r.workflow!.triggers.map((t) => t.event)).toEqual(["pull_request"]);
    expect(r.workflow!.jobs.map((j) => j.id)).toEqual(["build"]);
  });

  it("reads a filter written as a mapping as no filter, and says so", () => {
    const r = read("on:\n  push:\n    branches: {main: 1}\njobs: {}\n");
    expect(r.diagnostics.map((d) => `${d.line}: ${d.message}`)).toEqual(["3: 'branches' of 'push' must be a name or a list of names; read as no filter"]);
  });

  it("reads an expression that spans lines as one argument of the login command, keeping later lines", () => {
    const text = `on: push
permissions:
  id-token: write
jobs:
  d:
    runs-on: ubuntu-latest
    steps:
      - run: |
          az login --service-principal -u \${{
            secrets.CLIENT_ID }} --tenant t --federated-token "$T"
          az login --service-principal -u fixed --tenant t --federated-token "$T"
`;
    const r = read(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.workflow!.jobs[0]!.logins.map((l) => [l.kind, l.line, l.clientId?.raw])).toEqual([
      ["az-cli", 9, "${{\n  secrets.CLIENT_ID }}"],
      ["az-cli", 11, "fixed"],
    ]);
  });

  it("does the same in PowerShell, where a backtick continues a line", () => {
    const text = `on: push
permissions:
  id-token: write
jobs:
  d:
    runs-on: windows-latest
    steps:
      - run: |
          Connect-AzAccount -ServicePrincipal -ApplicationId \${{
            vars.CLIENT_ID }} -Tenant t -FederatedToken $t
`;
    const r = read(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.workflow!.jobs[0]!.logins.map((l) => [l.kind, l.line])).toEqual([["az-powershell", 9]]);
  });

  it("reads a run: block of megabytes without throwing", () => {
    const line = `          az login --service-principal -u $ID --tenant t --federated-token "$T" && echo ${"x".repeat(200)}\n`;
    const r = read(`on: push\npermissions:\n  id-token: write\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n${line.repeat(20_000)}`);
    expect(r.diagnostics).toEqual([]);
    expect(r.workflow!.jobs[0]!.logins).toHaveLength(20_000);
    expect(r.workflow!.jobs[0]!.logins.at(-1)!.line).toBe(8 + 20_000);
  });

  it("takes on: of every odd shape without throwing", () => {
    for (const on of ["on: 1", "on: ~", "on: []", "on: {}", "on: [push, {pull_request: {}}]", "on: !!binary aGk=", "on: &x push", "'on': push"]) {
      expect(() => read(`${on}\njobs: {}\n`), on).not.toThrow();
    }
    expect(messages("on: [push, {pull_request: {}}]\njobs: {}\n")).toEqual(["1: an event in 'on:' must be a name"]);
  });
});

describe("githubJobSubjects: GitHub's filter patterns", () => {
  it("reads `?` as an optional character, so `releases?` also covers the branch `release`", () => {
    const r = read("on:\n  push:\n    branches: ['releases?', 'v1.?0']\njobs:\n  d:\n    runs-on: x\n");
    const subjects = githubJobSubjects(r.workflow!, r.workflow!.jobs[0]!, { repository: "acme/app" }).subjects;
    expect(subjects.map((s) => [s.subject, s.pattern])).toEqual([
      ["repo:acme/app:ref:refs/heads/release*", true],
      ["repo:acme/app:ref:refs/heads/v1*0", true],
    ]);
  });
});

describe("a run: line built to be slow", () => {
  it("reads a 400 KB line of repeated 'git fetch ' in linear work, and still finds a pull request fetch after it", () => {
    const long = "git fetch ".repeat(40_000);
    const text = (tail: string) => `on: pull_request_target\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ${long}${tail}\n`;
    const quiet = read(text("origin main")).workflow!.jobs[0]!;
    expect(quiet.checkouts).toEqual([]);
    const fetches = read(text("origin pull/1/head")).workflow!.jobs[0]!;
    expect(fetches.checkouts.map((c) => c.pullRequestHead)).toEqual([true]);
  });
});

describe("keys given twice that the reader does not read", () => {
  it("a second top-level name: (in a published Azure sample) is a note, not a gap", () => {
    const r = read("name: a\non: [push]\nname: b\njobs:\n  d:\n    runs-on: ubuntu-latest\n    name: x\n    name: y\n    steps:\n      - run: echo\n");
    expect(r.diagnostics.map((d) => [d.line, d.note === true, d.kind])).toEqual([
      [3, true, "duplicate-key"],
      [8, true, "duplicate-key"],
    ]);
  });
});
