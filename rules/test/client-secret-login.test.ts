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

  it("is quiet on an OIDC login", () => {
    expect(
      runRepo(clientSecretLogin, {
        ".buildkite/pipeline.yml": 'steps:\n  - command: az login --service-principal -u "$$AZURE_CLIENT_ID" -t "$$AZURE_TENANT_ID" --federated-token "$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange)"\n',
      }),
    ).toEqual([]);
  });
});
