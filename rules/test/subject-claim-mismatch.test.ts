import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { analyzeRepo, evaluate, loadRepo, type FederatedCredential, type Finding, type Inventory } from "@trustscope/core";
import { describe, expect, it } from "vitest";
import { subjectClaimMismatch } from "../src/rules/subject-claim-mismatch.ts";

const APP = "5f0e2c9a-1b7d-4c3e-9a8f-2d6b4e1c7a90";
const GITHUB = "https://token.actions.githubusercontent.com";
const AUD = ["api://AzureADTokenExchange"];

function inventory(credentials: FederatedCredential[], github?: Inventory["github"]): Inventory {
  return {
    schemaVersion: 1,
    cloud: "AzureCloud",
    coverage: { complete: true, gaps: [] },
    entra: {
      applications: [{ objectId: "0d9b3c1e-7f2a-4b5c-8d6e-1a2b3c4d5e6f", appId: APP, displayName: "gh-deploy", passwordCredentials: [], federatedIdentityCredentials: credentials }],
      servicePrincipals: [],
      groups: [],
    },
    ...(github ? { github } : {}),
  };
}

/** The rule's findings for a repository of `files` with origin `remote`. */
function run(files: Record<string, string>, inv: Inventory, opts: { remote?: string; githubRepository?: string } = {}): Finding[] {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-scm-"));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    if (opts.remote) {
      mkdirSync(join(dir, ".git"), { recursive: true });
      writeFileSync(join(dir, ".git/config"), `[remote "origin"]\n\turl = ${opts.remote}\n`);
    }
    const { repo, remoteUrl } = loadRepo(dir);
    const analysis = analyzeRepo(repo, remoteUrl, "", opts.githubRepository ? { githubRepository: opts.githubRepository } : {});
    return evaluate({ inventory: inv, rules: [subjectClaimMismatch], repo: analysis, now: new Date("2026-11-25T12:00:00Z") }).findings.filter((f) => f.ruleId === "subject-claim-mismatch");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const workflow = (on: string, job = "", login = `      - uses: azure/login@v2\n        with:\n          client-id: ${APP}\n          tenant-id: \${{ vars.TENANT }}\n`) =>
  `on:\n${on}\npermissions:\n  id-token: write\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n${job}    steps:\n      - uses: actions/checkout@v4\n${login}`;
const fic = (subject: string, extra: Partial<FederatedCredential> = {}): FederatedCredential => ({ name: subject.replace(/\W+/g, "-"), issuer: GITHUB, subject, audiences: AUD, ...extra });
const REMOTE = "git@github.com:acme/app.git";

describe("subject-claim-mismatch: GitHub Actions", () => {
  it("fires at the login when the job's environment subject matches no credential", () => {
    const files = { ".github/workflows/deploy.yml": workflow("  push:\n    branches: [main]", "    environment: production\n") };
    const findings = run(files, inventory([fic("repo:acme/app:ref:refs/heads/main")]), { remote: REMOTE });
    expect(findings).toHaveLength(1);
    expect(findings[0]!.location).toEqual({ file: ".github/workflows/deploy.yml", line: 12 });
    expect(findings[0]!.message).toContain("'repo:acme/app:environment:production'");
    expect(findings[0]!.message).toContain("AADSTS700213");
  });

  it("is quiet when a credential has the exact subject", () => {
    const files = { ".github/workflows/deploy.yml": workflow("  push:\n    branches: [main]", "    environment: production\n") };
    expect(run(files, inventory([fic("repo:acme/app:environment:production")]), { remote: REMOTE })).toEqual([]);
  });

  it("compares case-sensitively when the repository's spelling is known, and names AADSTS7002138", () => {
    const files = { ".github/workflows/deploy.yml": workflow("  push:\n    branches: [main]", "    environment: Production\n") };
    const findings = run(files, inventory([fic("repo:Acme/App:environment:production")]), { remote: REMOTE, githubRepository: "Acme/App" });
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain("AADSTS7002138");
  });

  it("does not hold the remote URL's case of owner/repo against a credential", () => {
    const files = { ".github/workflows/deploy.yml": workflow("  push:\n    branches: [main]") };
    expect(run(files, inventory([fic("repo:Acme/App:ref:refs/heads/main")]), { remote: REMOTE })).toEqual([]);
  });

  it("accepts a flexible credential whose expression matches, and fires when it does not", () => {
    const files = { ".github/workflows/deploy.yml": workflow("  push:\n    branches: [main]") };
    const flex = (value: string) => fic("", { name: "flex", claimsMatchingExpression: { value, languageVersion: 1 } });
    expect(run(files, inventory([flex("claims['sub'] matches 'repo:acme/app:ref:refs/heads/*'")]), { remote: REMOTE })).toEqual([]);
    expect(run(files, inventory([flex("claims['sub'] matches 'repo:acme/app:environment:*'")]), { remote: REMOTE })).toHaveLength(1);
  });

  it("fires when the subject matches but the audience the login asks for does not", () => {
    const login = `      - uses: azure/login@v2\n        with:\n          client-id: ${APP}\n          audience: api://custom\n`;
    const files = { ".github/workflows/deploy.yml": workflow("  push:\n    branches: [main]", "", login) };
    const findings = run(files, inventory([fic("repo:acme/app:ref:refs/heads/main")]), { remote: REMOTE });
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain("audience api://custom");
    // Entra names the audience, not the subject, in this case.
    expect(findings[0]!.message).toContain("AADSTS700212");
  });

  it("resolves a client ID through env, and uses the default branch GitHub's data gives", () => {
    const login = "      - uses: azure/login@v2\n        with:\n          client-id: ${{ env.CID }}\n";
    const files = { ".github/workflows/nightly.yml": workflow("  schedule:\n    - cron: '0 0 * * *'", `    env:\n      CID: ${APP}\n`, login) };
    const github: Inventory["github"] = { apiUrl: "https://api.github.com", organizations: [], repositories: [{ fullName: "acme/app", id: 1, owner: { login: "acme", id: 2 }, private: false, defaultBranch: "trunk" }] };
    expect(run(files, inventory([fic("repo:acme/app:ref:refs/heads/main")], github), { remote: REMOTE })).toHaveLength(1);
    expect(run(files, inventory([fic("repo:acme/app:ref:refs/heads/trunk")], github), { remote: REMOTE })).toEqual([]);
    // Offline the default branch is unknown: any branch credential may be it.
    expect(run(files, inventory([fic("repo:acme/app:ref:refs/heads/main")]), { remote: REMOTE })).toEqual([]);
  });

  it("stays quiet when it cannot know: client ID from a secret, no id-token permission, a custom subject template", () => {
    const secretLogin = "      - uses: azure/login@v2\n        with:\n          client-id: ${{ secrets.AZURE_CLIENT_ID }}\n";
    const none = inventory([fic("repo:acme/app:pull_request")]);
    expect(run({ ".github/workflows/a.yml": workflow("  push:", "    environment: prod\n", secretLogin) }, none, { remote: REMOTE })).toEqual([]);
    const noPermission = workflow("  push:", "    environment: prod\n").replace("permissions:\n  id-token: write\n", "");
    expect(run({ ".github/workflows/a.yml": noPermission }, none, { remote: REMOTE })).toEqual([]);
    const custom = inventory([fic("repository_owner_id:1:repository_id:2")]);
    expect(run({ ".github/workflows/a.yml": workflow("  push:", "    environment: prod\n") }, custom, { remote: REMOTE })).toEqual([]);
    // The repository follows its organisation's template, which was not read (no Administration permission): not judged.
    const followsOrg: Inventory["github"] = { apiUrl: "https://api.github.com", organizations: [], repositories: [{ fullName: "acme/app", id: 1, owner: { login: "acme", id: 2 }, private: false, oidcSubject: { useDefault: false } }] };
    expect(run({ ".github/workflows/a.yml": workflow("  push:", "    environment: prod\n") }, inventory([fic("repo:acme/app:pull_request")], followsOrg), { remote: REMOTE })).toEqual([]);
    // Read, and the organisation uses GitHub's default: judged.
    const orgDefault: Inventory["github"] = { ...followsOrg, organizations: [{ login: "acme", oidcSubjectClaimKeys: null }] };
    expect(run({ ".github/workflows/a.yml": workflow("  push:", "    environment: prod\n") }, inventory([fic("repo:acme/app:pull_request")], orgDefault), { remote: REMOTE })).toHaveLength(1);
  });
});
