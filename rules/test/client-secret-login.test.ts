import { describe, expect, it } from "vitest";
import { clientSecretLogin } from "../src/rules/client-secret-login.ts";
import { runRepo } from "./support.ts";

const where = (f: { location?: { file: string; line: number } }) => `${f.location?.file}:${f.location?.line}`;

describe("client-secret-login", () => {
  it("a secret defined in the pipeline for a login in the script its step runs is one finding, at the login", () => {
    const findings = runRepo(clientSecretLogin, {
      ".buildkite/pipeline.yml": ["env:", "  ARM_CLIENT_SECRET: from-pipeline-env", "steps:", "  - command: .buildkite/login.sh", "    secrets:", "      AZURE_CLIENT_SECRET: sp-secret", ""].join("\n"),
      ".buildkite/login.sh": ["#!/bin/bash", 'az login --service-principal -u "$AZURE_CLIENT_ID" -p "$AZURE_CLIENT_SECRET" --tenant t', ""].join("\n"),
    });
    // The login, with the step's secrets: entry related; ARM_CLIENT_SECRET is another problem (Terraform reads it).
    expect(findings.map(where).sort()).toEqual([".buildkite/login.sh:2", ".buildkite/pipeline.yml:2"]);
    const login = findings.find((f) => where(f) === ".buildkite/login.sh:2")!;
    expect(login.relatedLocations).toEqual([{ file: ".buildkite/pipeline.yml", line: 6, message: "secrets: AZURE_CLIENT_SECRET ← sp-secret" }]);
    expect(login.evidence).toContain("secrets: AZURE_CLIENT_SECRET ← sp-secret at .buildkite/pipeline.yml:6");
  });

  it("a secret variable set in one place and used in others is one finding at its definition", () => {
    const findings = runRepo(clientSecretLogin, {
      ".buildkite/pipeline.yml": ["steps:", "  - command: .buildkite/tf.sh", "    env:", "      ARM_CLIENT_SECRET: x", ""].join("\n"),
      ".buildkite/tf.sh": ["#!/bin/bash", 'terraform apply -var "client_secret=$ARM_CLIENT_SECRET"', ""].join("\n"),
    });
    expect(findings.map(where)).toEqual([".buildkite/pipeline.yml:4"]);
    expect(findings[0]!.relatedLocations?.map((l) => `${l.file}:${l.line}`)).toEqual([".buildkite/tf.sh:2"]);
  });

  it("two pipelines that each set a secret are two problems", () => {
    const step = ["steps:", "  - command: make", "    env:", "      AZURE_CLIENT_SECRET: x", ""].join("\n");
    expect(runRepo(clientSecretLogin, { ".buildkite/pipeline.yml": step, ".buildkite/pipeline.deploy.yml": step }).map(where).sort()).toEqual([
      ".buildkite/pipeline.deploy.yml:4",
      ".buildkite/pipeline.yml:4",
    ]);
  });

  it("reads Windows steps: a PowerShell script a pwsh step runs, and an inline powershell -Command", () => {
    const findings = runRepo(clientSecretLogin, {
      ".buildkite/pipeline.yml": [
        "steps:",
        "  - command: pwsh -NoProfile -File scripts/deploy.ps1",
        "    secrets: { AZURE_CLIENT_SECRET: sp-secret }",
        '  - command: powershell -Command "az login --service-principal -u $$env:AZURE_CLIENT_ID -p $$env:ARM_CLIENT_SECRET -t t"',
        "",
      ].join("\n"),
      "scripts/deploy.ps1": [
        "if (-not $env:AZURE_CLIENT_SECRET) { throw 'AZURE_CLIENT_SECRET is not set' }",
        "$secure = ConvertTo-SecureString $env:AZURE_CLIENT_SECRET -AsPlainText -Force",
        "$cred = New-Object System.Management.Automation.PSCredential($env:AZURE_CLIENT_ID, $secure)",
        "Connect-AzAccount -ServicePrincipal -Credential $cred -Tenant $env:AZURE_TENANT_ID",
        "",
      ].join("\n"),
    });
    expect(findings.map((f) => [where(f), f.message])).toEqual(
      expect.arrayContaining([
        ["scripts/deploy.ps1:4", "`Connect-AzAccount` logs in with a client secret at scripts/deploy.ps1:4."],
        [".buildkite/pipeline.yml:4", "`az login` uses a client secret (--password) at .buildkite/pipeline.yml:4."],
      ]),
    );
    expect(findings).toHaveLength(2);
    // The test of the variable at line 1 is not a use; turning it into a SecureString at line 2 is.
    expect(findings.find((f) => where(f) === "scripts/deploy.ps1:4")!.relatedLocations).toEqual([
      { file: ".buildkite/pipeline.yml", line: 3, message: "secrets: AZURE_CLIENT_SECRET ← sp-secret" },
      { file: "scripts/deploy.ps1", line: 2, message: "AZURE_CLIENT_SECRET is used" },
    ]);
  });

  it("a login written once in an anchor is reported where each step uses it", () => {
    const text = [
      "x-login: &login |",
      "  echo logging in",
      '  az login --service-principal -u "$$ID" -p "$$AZURE_CLIENT_SECRET" --tenant t',
      "steps:",
      "  - command: *login",
      "  - label: again",
      "    command: *login",
      "",
    ].join("\n");
    expect(runRepo(clientSecretLogin, { ".buildkite/pipeline.yml": text }).map(where).sort()).toEqual([".buildkite/pipeline.yml:5", ".buildkite/pipeline.yml:7"]);
  });

  it("is quiet on a script that only tests the variable (a migration guard)", () => {
    const script = [
      "#!/bin/bash",
      'if [ -n "${AZURE_CLIENT_SECRET:-}" ]; then',
      '  echo "AZURE_CLIENT_SECRET is set (${#AZURE_CLIENT_SECRET} characters): remove it, this pipeline logs in with OIDC" >&2',
      "  exit 1",
      "fi",
      'test -z "$ARM_CLIENT_SECRET"',
      "",
    ].join("\n");
    expect(runRepo(clientSecretLogin, { ".buildkite/pipeline.yml": "steps:\n  - command: .buildkite/guard.sh\n", ".buildkite/guard.sh": script })).toEqual([]);
  });

  it("reports `azd auth login --client-secret` by the command used, with azd's own remedy", () => {
    const findings = runRepo(clientSecretLogin, {
      ".buildkite/pipeline.yml": ["steps:", "  - command: .buildkite/azd-login.sh && azd up --no-prompt", "    secrets:", "      AZURE_CLIENT_SECRET: sp-secret", ""].join("\n"),
      ".buildkite/azd-login.sh": ["#!/bin/bash", "azd auth login \\", '  --client-id "$AZURE_CLIENT_ID" \\', '  --client-secret "$AZURE_CLIENT_SECRET" \\', '  --tenant-id "$AZURE_TENANT_ID"', ""].join("\n"),
    });
    expect(findings.map((f) => [where(f), f.message])).toEqual([[".buildkite/azd-login.sh:2", "`azd auth login` uses a client secret (--client-secret) at .buildkite/azd-login.sh:2."]]);
    const [f] = findings;
    expect(f!.evidence).toEqual(["azd auth login with --client-secret $AZURE_CLIENT_SECRET", "as $AZURE_CLIENT_ID", "secrets: AZURE_CLIENT_SECRET ← sp-secret at .buildkite/pipeline.yml:4"]);
    expect(f!.remediation).toContain("--federated-credential-provider oidc");
    expect(f!.remediation).toContain("AZURE_OIDC_TOKEN");
  });

  it("never shows a client secret azd is given as text or as an expression", () => {
    const findings = runRepo(clientSecretLogin, {
      ".buildkite/pipeline.yml": [
        "steps:",
        "  - command: azd auth login --client-id app --client-secret=Sup3rS3cr3tValue --tenant-id t",
        "  - command: pwsh -NoProfile -File scripts/login.ps1",
        '  - command: azd auth login --client-id app --client-secret "$$(cat sp.txt)" --tenant-id t',
        "",
      ].join("\n"),
      "scripts/login.ps1": ["$info = Get-Content sp.json | ConvertFrom-Json", 'azd auth login --client-id "$($info.clientId)" --client-secret "$($info.clientSecret)" --tenant-id "$($info.tenantId)"', ""].join("\n"),
    });
    expect(findings.map((f) => [where(f), f.evidence[0]]).sort()).toEqual([
      [".buildkite/pipeline.yml:2", "azd auth login with --client-secret (a literal value, not shown)"],
      [".buildkite/pipeline.yml:4", "azd auth login with --client-secret (an expression, not shown)"],
      ["scripts/login.ps1:2", "azd auth login with --client-secret (a value not shown)"],
    ]);
    expect(JSON.stringify(findings)).not.toContain("Sup3rS3cr3tValue");
    expect(JSON.stringify(findings)).not.toContain("clientSecret");
  });

  it("reads GitHub workflow run: steps as it reads scripts, with GitHub's remedy (the Azure Developer CLI templates' shape)", () => {
    // The login steps every `azd pipeline config` template carries: OIDC when a client ID is set, else a secret.
    const workflow = [
      "on:",
      "  push:",
      "    branches: [main]",
      "permissions:",
      "  id-token: write",
      "  contents: read",
      "jobs:",
      "  build:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - name: Log in with Azure (Federated Credentials)",
      "        if: ${{ env.AZURE_CLIENT_ID != '' }}",
      "        run: |",
      "          azd auth login `",
      '            --client-id "$Env:AZURE_CLIENT_ID" `',
      '            --federated-credential-provider "github" `',
      '            --tenant-id "$Env:AZURE_TENANT_ID"',
      "        shell: pwsh",
      "      - name: Log in with Azure (Client Credentials)",
      "        if: ${{ env.AZURE_CREDENTIALS != '' }}",
      "        run: |",
      "          $info = $Env:AZURE_CREDENTIALS | ConvertFrom-Json -AsHashtable;",
      '          azd auth login `',
      '            --client-id "$($info.clientId)" `',
      '            --client-secret "$($info.clientSecret)" `',
      '            --tenant-id "$($info.tenantId)"',
      "        shell: pwsh",
      "        env:",
      "          AZURE_CREDENTIALS: ${{ secrets.AZURE_CREDENTIALS }}",
      "      - run: az login --service-principal -u ${{ vars.CLIENT_ID }} -p ${{ secrets.SP_PASSWORD }} --tenant ${{ vars.TENANT }}",
      "",
    ].join("\n");
    const findings = runRepo(clientSecretLogin, { ".github/workflows/azure-dev.yml": workflow });
    expect(findings.map(where).sort()).toEqual([".github/workflows/azure-dev.yml:23", ".github/workflows/azure-dev.yml:30"]);
    for (const f of findings) {
      expect(f.remediation).toContain("https://token.actions.githubusercontent.com");
      expect(f.remediation).not.toMatch(/buildkite/i);
    }
    expect(findings.find((f) => f.location?.line === 23)!.remediation).toContain("--federated-credential-provider github");
    expect(JSON.stringify(findings)).not.toContain("SP_PASSWORD");
    // The federated step alone: quiet.
    const oidcOnly = workflow.split("\n").slice(0, 18).join("\n");
    expect(runRepo(clientSecretLogin, { ".github/workflows/azure-dev.yml": oidcOnly })).toEqual([]);
  });

  it("reports azure/login with creds (a service principal's secret in JSON), as most published Azure workflow samples log in", () => {
    const workflow = ["on: [push]", "jobs:", "  deploy:", "    runs-on: ubuntu-latest", "    steps:", "      - uses: azure/login@v2", "        with:", "          creds: ${{ secrets.AZURE_CREDENTIALS }}", "      - uses: azure/login@v2", "        with:", "          client-id: ${{ vars.AZURE_CLIENT_ID }}", "          tenant-id: ${{ vars.AZURE_TENANT_ID }}", ""].join("\n");
    const findings = runRepo(clientSecretLogin, { ".github/workflows/deploy.yml": workflow });
    expect(findings.map((f) => [where(f), f.message])).toEqual([[".github/workflows/deploy.yml:6", "`azure/login` uses a client secret (creds) at .github/workflows/deploy.yml:6."]]);
    expect(findings[0]!.remediation).toContain("no `creds`");
  });

  it("is quiet on azd logins without a secret", () => {
    const commands = [
      'azd auth login --client-id "$$AZURE_CLIENT_ID" --federated-credential-provider oidc --tenant-id "$$AZURE_TENANT_ID"',
      "azd auth login --managed-identity --client-id app",
      "azd auth login --client-id app --client-certificate sp.pem --tenant-id t",
      "azd auth login --check-status",
    ];
    expect(runRepo(clientSecretLogin, { ".buildkite/pipeline.yml": `steps:\n${commands.map((c) => `  - command: ${c}\n`).join("")}` })).toEqual([]);
  });

  it("is quiet on an OIDC login", () => {
    expect(
      runRepo(clientSecretLogin, {
        ".buildkite/pipeline.yml": 'steps:\n  - command: az login --service-principal -u "$$AZURE_CLIENT_ID" -t "$$AZURE_TENANT_ID" --federated-token "$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange)"\n',
      }),
    ).toEqual([]);
  });
});
