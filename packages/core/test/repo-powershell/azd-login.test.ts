import { describe, expect, it } from "vitest";
import { readPowerShell } from "../../src/repo/powershell/read-powershell.ts";

const file = "deploy.ps1";
const read = (text: string) => readPowerShell(text, file);
/** [line, method, command] of each login. */
const logins = (text: string): [number, string, string | undefined][] => read(text).facts.azLogins.map((l) => [l.line, l.method, l.command]);
const SECRET = "Sup3rS3cr3tValue";

describe("azd auth login in PowerShell", () => {
  it("reads the Azure Developer CLI templates' login, continued with backticks", () => {
    const text = ["Write-Host 'logging in'", "azd auth login `", '  --client-id "$Env:AZURE_CLIENT_ID" `', '  --federated-credential-provider "github" `', '  --tenant-id "$Env:AZURE_TENANT_ID"', "azd up --no-prompt"].join("\n");
    const r = read(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.facts.azLogins).toEqual([
      {
        file,
        line: 2,
        method: "federated-token",
        command: "azd auth login",
        username: { raw: '"$Env:AZURE_CLIENT_ID"', variable: "AZURE_CLIENT_ID" },
        tenant: { raw: '"$Env:AZURE_TENANT_ID"', variable: "AZURE_TENANT_ID" },
        provider: { raw: '"github"', literal: "github" },
      },
    ]);
  });

  it("reads a login with a client secret from a subexpression, without keeping its text", () => {
    const r = read('$info = Get-Content sp.json | ConvertFrom-Json\nazd auth login --client-id "$($info.clientId)" --client-secret "$($info.clientSecret)" --tenant-id "$($info.tenantId)"');
    expect(r.facts.azLogins).toEqual([
      { file, line: 2, method: "password", command: "azd auth login", username: { raw: '"$($info.clientId)"' }, tenant: { raw: '"$($info.tenantId)"' }, password: { raw: "***" } },
    ]);
    expect(r.facts.clientSecretUses).toEqual([{ file, line: 2, kind: "password-flag", name: "--client-secret" }]);
  });

  it("reads each way of logging in", () => {
    expect(
      logins(
        [
          "azd auth login --client-id $env:AZURE_CLIENT_ID --client-secret $env:SP_SECRET --tenant-id $env:AZURE_TENANT_ID", // 1
          "azd auth login --client-id X --client-certificate .\\sp.pem --tenant-id T", // 2
          "azd auth login --managed-identity", // 3
          "azd auth login --use-device-code", // 4
          "azd auth login", // 5
          "azd auth login --client-id $env:AZURESUBSCRIPTION_CLIENT_ID --federated-credential-provider azure-pipelines --tenant-id $env:AZURESUBSCRIPTION_TENANT_ID", // 6
          "azd.exe auth login --managed-identity", // 7
          "& azd.exe auth login --managed-identity", // 8
          "& 'C:\\Program Files\\Azure Dev CLI\\azd.exe' auth login --managed-identity", // 9
          "AZD auth login --managed-identity", // 10: command names are not case-sensitive on Windows
          "azd login --client-id X --client-secret $s --tenant-id T", // 11: before azd 1.23
          "azd -C infra auth login --client-id X --client-secret=$s --tenant-id T", // 12
        ].join("\n"),
      ),
    ).toEqual([
      [1, "password", "azd auth login"],
      [2, "certificate", "azd auth login"],
      [3, "identity", "azd auth login"],
      [4, "interactive", "azd auth login"],
      [5, "interactive", "azd auth login"],
      [6, "federated-token", "azd auth login"],
      [7, "identity", "azd auth login"],
      [8, "identity", "azd auth login"],
      [9, "identity", "azd auth login"],
      [10, "identity", "azd auth login"],
      [11, "password", "azd login"],
      [12, "password", "azd auth login"],
    ]);
  });

  it("never records a literal client secret, nor a variable's value that carries one", () => {
    for (const text of [
      `azd auth login --client-id app --client-secret '${SECRET}' --tenant-id t`,
      `azd auth login --client-id app --client-secret=${SECRET} --tenant-id t`,
      `$sp = '${SECRET}'\nazd auth login --client-id app --client-secret $sp --tenant-id t`,
      `$cmd = "azd auth login --client-id app --client-secret ${SECRET} --tenant-id t"\nInvoke-Expression $cmd`,
    ]) {
      const r = read(text);
      expect(r.facts.azLogins.map((l) => l.method)).toEqual(["password"]);
      expect(JSON.stringify(r.facts)).not.toContain(SECRET);
    }
    const r = read(`$sp = '${SECRET}'\nazd auth login --client-id app --client-secret $sp --tenant-id t`);
    expect(r.facts.azLogins[0]?.password).toEqual({ raw: "$sp", variable: "sp" });
    expect(r.facts.clientSecretUses).toEqual([{ file, line: 2, kind: "password-flag", name: "sp" }]);
  });

  it("reads values a GitHub workflow masked (`${{ … }}` replaced before reading)", () => {
    const r = read('azd auth login `\n  --client-id "__GHEXPR0__" `\n  --client-secret "__GHEXPR1__" `\n  --tenant-id "__GHEXPR2__"');
    expect(r.diagnostics).toEqual([]);
    expect(r.facts.azLogins).toEqual([
      { file, line: 1, method: "password", command: "azd auth login", username: { raw: '"__GHEXPR0__"', literal: "__GHEXPR0__" }, tenant: { raw: '"__GHEXPR2__"', literal: "__GHEXPR2__" }, password: { raw: "***" } },
    ]);
  });

  it("a managed identity wins, as in azd; a switch set to false is off", () => {
    expect(logins("azd auth login --managed-identity --client-id X --client-secret $s --tenant-id T")).toEqual([[1, "identity", "azd auth login"]]);
    expect(logins("azd auth login --managed-identity=false --client-id X --client-secret $s --tenant-id T")).toEqual([[1, "password", "azd auth login"]]);
  });

  it("is quiet on azd commands that do not log in", () => {
    const r = read(
      [
        "azd auth login --check-status", // 1
        "azd auth login --check-status --output json | ConvertFrom-Json", // 2
        "azd auth login --help", // 3
        "azd auth logout", // 4
        "azd auth token --output json", // 5
        "azd up --no-prompt", // 6
        "azd config set auth.useAzCliAuth true", // 7
        "Write-Host 'azd auth login --client-secret x'", // 8
        "# azd auth login --client-secret x", // 9
      ].join("\n"),
    );
    expect(r.facts.azLogins).toEqual([]);
    expect(r.facts.clientSecretUses).toEqual([]);
    expect(r.diagnostics).toEqual([]);
  });

  it("says when its arguments are only known at run time", () => {
    expect(read("azd @azdArgs").diagnostics.map((d) => d.message)).toEqual(["azd: the arguments in `@azdArgs` are only known at run time; the command they make is not read"]);
    expect(read("azd auth login --client-id X @more").diagnostics.map((d) => d.message)).toEqual(["azd auth login: the arguments in `@more` are only known at run time; flags they add are not read"]);
  });
});
