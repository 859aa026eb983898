import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readWorkflow } from "../../src/repo/github-workflows/read-workflow.ts";
import { loadRepo } from "../../src/repo/load-repo.ts";

const GUID = "5f0e2c9a-1b7d-4c3e-9a8f-2d6b4e1c7a90";
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/** The workflow read from `text` (lines as in the text), failing the test on diagnostics unless allowed. */
function read(text: string, allowDiagnostics = false) {
  const r = readWorkflow(text, ".github/workflows/w.yml");
  if (!allowDiagnostics) expect(r.diagnostics).toEqual([]);
  expect(r.workflow).toBeDefined();
  return r.workflow!;
}

const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("readWorkflow: triggers", () => {
  it("reads `on:` as a string", () => {
    expect(read("on: push\njobs: {}\n").triggers).toEqual([{ file: ".github/workflows/w.yml", line: 1, event: "push" }]);
  });

  it("reads `on:` as a list", () => {
    expect(read("on: [push, pull_request_target]\njobs: {}\n").triggers.map((t) => t.event)).toEqual(["push", "pull_request_target"]);
  });

  it("reads `on:` as a map with filters, keeping unknown events by name", () => {
    const text = `on:
  push:
    branches: [main, 'release/**']
    tags: ['v*']
  pull_request:
    branches-ignore: [wip]
  workflow_run:
    workflows: [CI]
    types: [completed]
  schedule:
    - cron: '0 0 * * *'
  workflow_dispatch:
  workflow_call:
  merge_group:
jobs: {}
`;
    const t = read(text).triggers;
    expect(t.map((x) => x.event)).toEqual(["push", "pull_request", "workflow_run", "schedule", "workflow_dispatch", "workflow_call", "merge_group"]);
    expect(t[0]).toMatchObject({ line: 2, branches: ["main", "release/**"], tags: ["v*"] });
    expect(t[1]).toMatchObject({ line: lineOf(text, "pull_request:"), branchesIgnore: ["wip"] });
    expect(t[2]).toMatchObject({ workflows: ["CI"], types: ["completed"] });
  });
});

describe("readWorkflow: permissions", () => {
  const wf = (top: string, job: string) => `on: push
${top}
jobs:
  deploy:
    runs-on: ubuntu-latest
${job}
    steps: []
`;

  it("a job inherits workflow permissions", () => {
    const j = read(wf("permissions:\n  id-token: write\n  contents: read", "")).jobs[0]!;
    expect(j).toMatchObject({ idToken: "write", idTokenFrom: { line: 2 } });
    expect(j.permissions).toBeUndefined();
  });

  it("job permissions replace the workflow's (no id-token in the job's map: none)", () => {
    const j = read(wf("permissions: write-all", "    permissions:\n      contents: read")).jobs[0]!;
    expect(j.idToken).toBe("none");
    expect(j.permissions).toMatchObject({ kind: "map", scopes: { contents: "read" } });
  });

  it("write-all grants id-token; read-all and {} do not", () => {
    expect(read(wf("", "    permissions: write-all")).jobs[0]!.idToken).toBe("write");
    expect(read(wf("", "    permissions: read-all")).jobs[0]!.idToken).toBe("none");
    expect(read(wf("permissions: {}", "")).jobs[0]!.idToken).toBe("none");
  });

  it("no permissions anywhere: GitHub's default, without id-token", () => {
    const j = read(wf("", "")).jobs[0]!;
    expect(j.idToken).toBe("none");
    expect(j.idTokenFrom).toBeUndefined();
  });

  it("a reusable workflow without permissions gets its caller's", () => {
    const j = read("on: workflow_call\njobs:\n  d:\n    runs-on: x\n    steps: []\n").jobs[0]!;
    expect(j.idToken).toBe("caller");
  });
});

describe("readWorkflow: jobs", () => {
  it("reads environment as a string, a mapping, or an expression", () => {
    const text = `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    environment: production
    steps: []
  b:
    runs-on: [self-hosted, linux]
    environment:
      name: staging
      url: https://staging.example.com
    if: github.ref == 'refs/heads/main'
    steps: []
  c:
    runs-on: ubuntu-latest
    environment: \${{ inputs.env }}
    needs: [a, b]
    steps: []
`;
    const [a, b, c] = read(text).jobs;
    expect(a).toMatchObject({ id: "a", line: 3, environment: { name: "production", expression: false, line: 5 }, runsOn: ["ubuntu-latest"] });
    expect(b).toMatchObject({ environment: { name: "staging", url: "https://staging.example.com" }, if: "github.ref == 'refs/heads/main'", runsOn: ["self-hosted", "linux"] });
    expect(c).toMatchObject({ environment: { name: "${{ inputs.env }}", expression: true }, needs: ["a", "b"] });
  });

  it("notes a reusable-workflow call", () => {
    const j = read("on: push\njobs:\n  call:\n    uses: ./.github/workflows/deploy.yml\n    with:\n      env: prod\n    secrets: inherit\n").jobs[0]!;
    expect(j).toMatchObject({ uses: "./.github/workflows/deploy.yml", with: { env: "prod" }, secrets: "inherit", logins: [] });
  });

  it("reads a file of 200 jobs", () => {
    const jobs = Array.from({ length: 200 }, (_, i) => `  j${i}:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: azure/login@v2\n        with:\n          client-id: ${GUID}\n`).join("");
    const wf = read(`on: push\npermissions:\n  id-token: write\njobs:\n${jobs}`);
    expect(wf.jobs).toHaveLength(200);
    expect(wf.jobs[199]).toMatchObject({ id: "j199", idToken: "write", logins: [{ kind: "azure-login-action", clientId: { literal: GUID } }] });
  });
});

describe("readWorkflow: Azure logins", () => {
  it("reads azure/login inputs, whatever the version and case of the action", () => {
    const text = `on: push
env:
  CLIENT: ${GUID}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - name: Log in
        id: login
        uses: Azure/login@a457da9ea143d694b1b9c7c869ebb04ebe844ef5
        with:
          client-id: \${{ secrets.AZURE_CLIENT_ID }}
          tenant-id: \${{ vars.AZURE_TENANT_ID }}
          subscription-id: \${{ env.CLIENT }}
          audience: api://AzureADTokenExchange
          allow-no-subscriptions: true
      - uses: azure/login@v1
        with:
          creds: \${{ secrets.AZURE_CREDENTIALS }}
      - uses: azure/login@v2
        with:
          auth-type: IDENTITY
          client-id: ${GUID}
`;
    const [login, ...others] = read(text).jobs[0]!.logins;
    expect(others).toEqual([]);
    expect(login).toMatchObject({
      kind: "azure-login-action",
      line: lineOf(text, "- name: Log in"),
      step: 0,
      stepId: "login",
      stepName: "Log in",
      uses: "Azure/login@a457da9ea143d694b1b9c7c869ebb04ebe844ef5",
      clientId: { raw: "${{ secrets.AZURE_CLIENT_ID }}", variable: "secrets.AZURE_CLIENT_ID" },
      tenantId: { variable: "vars.AZURE_TENANT_ID" },
      subscriptionId: { variable: "env.CLIENT", resolved: { literal: GUID, at: { line: 3 } } },
      audience: { literal: "api://AzureADTokenExchange" },
      allowNoSubscriptions: { literal: "true" },
    });
  });

  it("reads az login --federated-token in a run step, expressions and env included", () => {
    const text = `on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      AZURE_CLIENT_ID: ${GUID}
    steps:
      - run: |
          echo start
          az login --service-principal -u "$AZURE_CLIENT_ID" --tenant \${{ vars.TENANT }} \\
            --federated-token "$(cat $AZURE_FEDERATED_TOKEN_FILE)"
          az login --service-principal -u x -p "$SECRET" --tenant t
`;
    const logins = read(text).jobs[0]!.logins;
    expect(logins).toHaveLength(1);
    expect(logins[0]).toMatchObject({
      kind: "az-cli",
      line: lineOf(text, "az login --service-principal -u \"$AZURE"),
      clientId: { variable: "env.AZURE_CLIENT_ID", resolved: { literal: GUID, at: { line: 6 } } },
      tenantId: { raw: "${{ vars.TENANT }}", variable: "vars.TENANT" },
    });
  });

  it("reads Connect-AzAccount -FederatedToken in a pwsh step", () => {
    const text = `on: push
jobs:
  deploy:
    runs-on: windows-latest
    steps:
      - shell: pwsh
        run: |
          Connect-AzAccount -ServicePrincipal -ApplicationId ${GUID} -Tenant ${TENANT} -FederatedToken $env:TOKEN
`;
    expect(read(text).jobs[0]!.logins).toMatchObject([{ kind: "az-powershell", line: 8, clientId: { literal: GUID }, tenantId: { literal: TENANT } }]);
  });

  it("reads ARM_USE_OIDC with ARM_CLIENT_ID in job env, and in step env", () => {
    const text = `on: push
jobs:
  tf:
    runs-on: ubuntu-latest
    env:
      ARM_USE_OIDC: true
      ARM_CLIENT_ID: ${GUID}
    steps:
      - run: terraform apply
  tf2:
    runs-on: ubuntu-latest
    steps:
      - run: terraform apply
        env:
          ARM_USE_OIDC: "true"
          ARM_CLIENT_ID: \${{ vars.ARM_CLIENT_ID }}
`;
    const [tf, tf2] = read(text).jobs;
    expect(tf!.logins).toMatchObject([{ kind: "terraform-oidc", line: 6, clientId: { variable: "env.ARM_CLIENT_ID", resolved: { literal: GUID } } }]);
    expect(tf!.logins[0]!.step).toBeUndefined();
    expect(tf2!.logins).toMatchObject([{ kind: "terraform-oidc", step: 0, line: lineOf(text, 'ARM_USE_OIDC: "true"'), clientId: { resolved: { variable: "vars.ARM_CLIENT_ID" } } }]);
  });
});

describe("readWorkflow: checkouts", () => {
  it("tells a checkout of the pull request's head from one of the base", () => {
    const text = `on: pull_request_target
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/checkout@v4
        with:
          ref: \${{ github.event.pull_request.head.sha }}
      - uses: actions/checkout@v4
        with:
          ref: refs/pull/\${{ github.event.number }}/merge
      - uses: actions/checkout@v4
        with:
          ref: \${{ github.head_ref }}
      - run: gh pr checkout \${{ github.event.pull_request.number }}
`;
    expect(read(text).jobs[0]!.checkouts.map((c) => [c.line, c.pullRequestHead])).toEqual([
      [6, false],
      [7, true],
      [10, true],
      [13, true],
      [lineOf(text, "gh pr checkout"), true],
    ]);
  });
});

describe("readWorkflow: YAML", () => {
  it("malformed YAML is a diagnostic with its line", () => {
    const r = readWorkflow("on: push\njobs:\n  a:\n    runs-on: x\n      steps: []\n", "w.yml");
    expect(r.workflow).toBeUndefined();
    expect(r.diagnostics).toEqual([{ file: "w.yml", line: 4, message: expect.stringMatching(/^not valid YAML: /) }]);
  });

  it("valid YAML without jobs is not a workflow", () => {
    expect(readWorkflow("name: x\nfoo: bar\n", "w.yml")).toEqual({ diagnostics: [], notWorkflow: "a mapping without 'jobs'" });
    expect(readWorkflow("- a\n- b\n", "w.yml").notWorkflow).toBe("not a mapping");
  });

  it("resolves anchors and aliases at the line of use", () => {
    const text = `on: push
permissions:
  id-token: write
jobs:
  a:
    runs-on: ubuntu-latest
    env: &env
      ARM_USE_OIDC: true
      ARM_CLIENT_ID: ${GUID}
    steps:
      - &login
        uses: azure/login@v2
        with:
          client-id: ${GUID}
  b:
    runs-on: ubuntu-latest
    env: *env
    steps:
      - *login
`;
    const [a, b] = read(text).jobs;
    expect(a!.logins.map((l) => l.kind).sort()).toEqual(["azure-login-action", "terraform-oidc"]);
    expect(b!.logins.find((l) => l.kind === "azure-login-action")).toMatchObject({ line: lineOf(text, "- *login"), clientId: { literal: GUID } });
    expect(b!.env.find((e) => e.name === "ARM_CLIENT_ID")).toMatchObject({ line: lineOf(text, "env: *env"), fromAnchor: lineOf(text, "ARM_CLIENT_ID") });
  });

  it("notes a merge key, which GitHub does not support, and reads the workflow merged", () => {
    const text = `on: push
x: &base
  runs-on: ubuntu-latest
jobs:
  a:
    <<: *base
    steps: []
`;
    const r = readWorkflow(text, "w.yml");
    expect(r.diagnostics).toMatchObject([{ line: 6, note: true, kind: "yaml-merge-key" }]);
    expect(r.workflow!.jobs[0]!.runsOn).toEqual(["ubuntu-latest"]);
  });

  it("refuses an alias bomb and deep nesting with a diagnostic", () => {
    const bomb = ["a0: &a0 [x, x]", ...Array.from({ length: 20 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}]`), "jobs: {}"].join("\n");
    expect(readWorkflow(bomb, "w.yml")).toMatchObject({ diagnostics: [{ message: expect.stringContaining("not read") }] });
    expect(readWorkflow(`on: ${"[".repeat(500)}`, "w.yml").diagnostics[0]!.message).toMatch(/nested deeper/);
  });
});

describe("loadRepo: workflows", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const repo = (files: Record<string, string>) => {
    dir = mkdtempSync(join(tmpdir(), "trustscope-gh-"));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };

  it("reads .github/workflows/*.yml and *.yaml only directly in that folder", () => {
    const wf = "on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n";
    const { repo: r } = loadRepo(repo({ ".github/workflows/a.yml": wf, ".github/workflows/b.yaml": wf, ".github/workflows/sub/c.yml": wf, ".github/d.yml": wf, "x/.github/workflows/e.yml": wf }));
    expect(r.githubWorkflows?.map((w) => w.file)).toEqual([".github/workflows/a.yml", ".github/workflows/b.yaml"]);
  });

  it("a malformed workflow is a gap with its line; a YAML without jobs is a note", () => {
    const { repo: r } = loadRepo(repo({ ".github/workflows/bad.yml": "on: push\njobs:\n  a: [\n", ".github/workflows/other.yml": "foo: 1\n" }));
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ file: ".github/workflows/bad.yml", message: expect.stringMatching(/^not valid YAML/) }));
    expect(r.diagnostics.find((d) => d.file === ".github/workflows/bad.yml")?.note).toBeUndefined();
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ file: ".github/workflows/other.yml", note: true, kind: "not-a-workflow" }));
    expect(r.githubWorkflows).toBeUndefined();
  });

  it("refuses a workflow that is a symbolic link out of the repository", () => {
    const outside = mkdtempSync(join(tmpdir(), "trustscope-out-"));
    try {
      writeFileSync(join(outside, "w.yml"), "on: push\njobs: {}\n");
      const root = repo({ "README.md": "x" });
      mkdirSync(join(root, ".github/workflows"), { recursive: true });
      symlinkSync(join(outside, "w.yml"), join(root, ".github/workflows/w.yml"));
      const { repo: r } = loadRepo(root);
      expect(r.githubWorkflows).toBeUndefined();
      expect(r.diagnostics).toContainEqual(expect.objectContaining({ file: ".github/workflows/w.yml", message: expect.stringContaining("outside the repository") }));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
