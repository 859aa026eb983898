import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { powerShellInvocation, readPowerShell, readPowerShellCounted } from "../../src/repo/powershell/read-powershell.ts";

const file = "deploy.ps1";
const read = (text: string, firstLine?: number) => readPowerShell(text, file, firstLine === undefined ? {} : { firstLine });
const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const shared = resolve(process.env.TRUSTSCOPE_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../../shared"));

describe("a Windows deploy script", () => {
  const { facts, diagnostics } = read(fixture("deploy-windows.ps1"));

  it("reads every fact at its line", () => {
    expect(diagnostics).toEqual([]);
    expect(facts.tokenRequests).toEqual([
      { file, line: 11, audience: { raw: "$audience", variable: "audience" }, lifetime: { raw: "300", literal: "300" }, assignedTo: "token" },
    ]);
    expect(facts.azLogins).toEqual([
      { file, line: 14, command: "Connect-AzAccount", method: "federated-token", username: { raw: "$env:AZURE_CLIENT_ID", variable: "AZURE_CLIENT_ID" }, tenant: { raw: "$env:AZURE_TENANT_ID", variable: "AZURE_TENANT_ID" } },
    ]);
    expect(facts.tokenSinks).toEqual([
      { file, line: 15, kind: "file", target: "token.jwt", via: "token" },
      { file, line: 16, kind: "artifact", target: "token.jwt", via: "token" },
      { file, line: 17, kind: "meta-data", target: "azure-token", via: "token" },
      { file, line: 18, kind: "environment-file", target: "$env:BUILDKITE_ENV_FILE", via: "token" },
    ]);
    expect(facts.roleAssignments).toEqual([
      { file, line: 19, role: { raw: "Contributor", literal: "Contributor" }, scope: { raw: '"/subscriptions/$env:SUB"' }, assignee: { raw: "$env:AZURE_CLIENT_ID", variable: "AZURE_CLIENT_ID" } },
    ]);
    expect(facts.scriptCalls).toEqual([
      { file, line: 20, path: "./scripts/deploy.ps1" },
      { file, line: 21, path: "./lib/common.ps1" },
      { file, line: 22, path: "./scripts/smoke.sh" },
    ]);
    expect(facts.pipelineUploads).toEqual([{ file, line: 23, path: ".buildkite/release.yml" }]);
    expect(facts.clientSecretUses).toEqual([]);
    expect(facts.assignments.map((a) => [a.line, a.name, a.value.literal ?? a.value.variable ?? a.value.raw])).toEqual([
      [6, "Environment", "staging"],
      [8, "ErrorActionPreference", "Stop"],
      [9, "AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000001"],
      [10, "audience", "api://AzureADTokenExchange"],
      [11, "token", "buildkite-agent oidc request-token `\n    --audience $audience `\n    --lifetime 300".replace(/\s+/g, " ").replace(/ ` /g, " ` ")],
      [24, "h", "@{ Name = 'web'; Region = \"westeurope\" }"],
    ].map((x) => (x[0] === 11 ? [11, "token", facts.assignments.find((a) => a.line === 11)?.value.raw] : x)));
  });

  it("starts lines at firstLine for inline text", () => {
    const r = read("$t = buildkite-agent oidc request-token --audience x\naz login --identity", 40);
    expect(r.facts.tokenRequests[0]?.line).toBe(40);
    expect(r.facts.azLogins[0]).toEqual({ file, line: 41, method: "identity" });
  });
});

describe("client secrets", () => {
  const SECRET = "Sup3rS3cr3tValue";
  const script = [
    "if (-not $env:AZURE_CLIENT_SECRET) { throw 'AZURE_CLIENT_SECRET is not set' }", // 1
    "if ([string]::IsNullOrEmpty($env:AZURE_CLIENT_SECRET)) { Write-Error 'set AZURE_CLIENT_SECRET' }", // 2
    "if (Test-Path env:AZURE_CLIENT_SECRET) { Write-Host 'found' }", // 3
    "$secure = ConvertTo-SecureString $env:AZURE_CLIENT_SECRET -AsPlainText -Force", // 4
    "$cred = New-Object System.Management.Automation.PSCredential($env:AZURE_CLIENT_ID, $secure)", // 5
    "Connect-AzAccount -ServicePrincipal -Credential $cred -Tenant $env:AZURE_TENANT_ID", // 6
    "Remove-Item env:AZURE_CLIENT_SECRET", // 7
  ].join("\n");

  it("reads a secret login as one password login, and not the tests of the variable", () => {
    const { facts, diagnostics } = read(script);
    expect(diagnostics).toEqual([]);
    expect(facts.azLogins).toEqual([
      {
        file,
        line: 6,
        command: "Connect-AzAccount",
        method: "password",
        tenant: { raw: "$env:AZURE_TENANT_ID", variable: "AZURE_TENANT_ID" },
        username: { raw: "$env:AZURE_CLIENT_ID", variable: "AZURE_CLIENT_ID" },
        password: { raw: "$env:AZURE_CLIENT_SECRET", variable: "AZURE_CLIENT_SECRET" },
      },
    ]);
    expect(facts.clientSecretUses).toEqual([
      { file, line: 4, kind: "env-reference", name: "AZURE_CLIENT_SECRET" },
      { file, line: 6, kind: "password-flag", name: "AZURE_CLIENT_SECRET" },
    ]);
  });

  it("reads [pscredential]::new and a piped ConvertTo-SecureString", () => {
    const r = read(["$s = $env:ARM_CLIENT_SECRET | ConvertTo-SecureString -AsPlainText -Force", "$c = [pscredential]::new('app-id', $s)", "Connect-AzAccount -ServicePrincipal -Credential $c -TenantId t"].join("\n"));
    expect(r.facts.azLogins).toEqual([{ file, line: 3, command: "Connect-AzAccount", method: "password", tenant: { raw: "t", literal: "t" }, username: { raw: "'app-id'", literal: "app-id" }, password: { raw: "$env:ARM_CLIENT_SECRET", variable: "ARM_CLIENT_SECRET" } }]);
    expect(r.facts.clientSecretUses.map((u) => [u.line, u.kind, u.name])).toEqual([
      [1, "env-reference", "ARM_CLIENT_SECRET"],
      [3, "password-flag", "ARM_CLIENT_SECRET"],
    ]);
  });

  it("records the assignment of the variable", () => {
    const r = read(`$env:AZURE_CLIENT_SECRET = '${SECRET}'\naz login --service-principal -u app --password $env:AZURE_CLIENT_SECRET -t t`);
    expect(r.facts.clientSecretUses.map((u) => [u.line, u.kind, u.name])).toEqual([
      [1, "env-assignment", "AZURE_CLIENT_SECRET"],
      [2, "env-reference", "AZURE_CLIENT_SECRET"],
      [2, "password-flag", "AZURE_CLIENT_SECRET"],
    ]);
    expect(r.facts.azLogins[0]?.method).toBe("password");
  });

  it.each([
    `az login --service-principal -u app -p '${SECRET}' -t t`,
    `az login --service-principal -u app --password="${SECRET}" -t t`,
    `$env:AZURE_CLIENT_SECRET = "${SECRET}"`,
    `$pw = '${SECRET}'\naz login --service-principal -u app -p $pw -t t`,
    `$plain = '${SECRET}'\n$sec = ConvertTo-SecureString $plain -AsPlainText -Force\n$c = New-Object PSCredential -ArgumentList 'app', $sec\nConnect-AzAccount -ServicePrincipal -Credential $c -Tenant t`,
    `$sec = ConvertTo-SecureString -String '${SECRET}' -AsPlainText -Force\nConnect-AzAccount -ServicePrincipal -Credential ([pscredential]::new('app', $sec)) -Tenant t`,
    `$p = @{ ServicePrincipal = $true; Credential = (New-Object PSCredential('app', (ConvertTo-SecureString '${SECRET}' -AsPlainText -Force))); Tenant = 't' }\nConnect-AzAccount @p`,
  ])("never records a literal secret: %s", (text) => {
    const r = read(text);
    expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(r.diagnostics).toEqual([]);
  });

  it("reads logins through splatted parameters", () => {
    const r = read(`$p = @{ ServicePrincipal = $true; Credential = (New-Object PSCredential('app', (ConvertTo-SecureString '${SECRET}' -AsPlainText -Force))); Tenant = 't' }\nConnect-AzAccount @p`);
    expect(r.facts.azLogins).toEqual([{ file, line: 2, command: "Connect-AzAccount", method: "password", tenant: { raw: "'t'", literal: "t" }, username: { raw: "'app'", literal: "app" }, password: { raw: "***" } }]);
    expect(read("Connect-AzAccount @args").diagnostics.map((d) => d.line)).toEqual([1]);
  });
});

describe("logins", () => {
  it("reads the federated-token shape", () => {
    const r = read("$token = buildkite-agent oidc request-token --audience api://AzureADTokenExchange; Connect-AzAccount -ServicePrincipal -ApplicationId $env:AZURE_CLIENT_ID -Tenant $env:AZURE_TENANT_ID -FederatedToken $token");
    expect(r.facts.tokenRequests).toEqual([{ file, line: 1, audience: { raw: "api://AzureADTokenExchange", literal: "api://AzureADTokenExchange" }, assignedTo: "token" }]);
    expect(r.facts.azLogins.map((l) => l.method)).toEqual(["federated-token"]);
    expect(r.diagnostics).toEqual([]);
  });

  it.each([
    ["Connect-AzAccount -Identity", "identity"],
    ["Connect-AzAccount -identity -AccountId $id", "identity"],
    ["Connect-AzAccount -ServicePrincipal -CertificateThumbprint $t -ApplicationId a -Tenant t", "certificate"],
    ["connect-azaccount -servicePrincipal -federatedToken:$t -applicationId a -tenant t", "federated-token"],
    ["Connect-AzAccount", "interactive"],
    ["az login --identity", "identity"],
    ["az.cmd login --service-principal -u a --federated-token $t -t t", "federated-token"],
    ["az login --service-principal -u a --certificate ./c.pem -t t", "certificate"],
  ])("%s", (text, method) => {
    expect(read(text).facts.azLogins.map((l) => l.method)).toEqual([method]);
  });

  it("says when a service principal's credential is not visible", () => {
    expect(read("Connect-AzAccount -ServicePrincipal -Tenant t").diagnostics.map((d) => d.line)).toEqual([1]);
  });
});

describe("tokens", () => {
  it.each([
    ["$env:TOKEN = (buildkite-agent oidc request-token --audience x)", "TOKEN"],
    ["$t = (buildkite-agent oidc request-token --audience x | Out-String).Trim()", "t"],
    ["$t = $(buildkite-agent oidc request-token --audience x)", "t"],
    ["$T =\n  buildkite-agent oidc request-token --audience x", "T"],
    ["buildkite-agent oidc request-token --audience x", undefined],
  ])("assignedTo: %s", (text, name) => {
    expect(read(text).facts.tokenRequests[0]?.assignedTo).toBe(name);
  });

  it("reads variables as ValueRefs without `env:`", () => {
    const r = read("C:\\buildkite-agent\\bin\\buildkite-agent.exe oidc request-token --audience $env:AUD --subject-claim=$claim --lifetime '60'");
    expect(r.facts.tokenRequests).toEqual([
      { file, line: 1, audience: { raw: "$env:AUD", variable: "AUD" }, subjectClaim: { raw: "$claim", variable: "claim" }, lifetime: { raw: "'60'", literal: "60" } },
    ]);
  });

  it("finds where a token is written", () => {
    const r = read(
      [
        "buildkite-agent oidc request-token --audience x > token.jwt", // 1
        "$t = buildkite-agent oidc request-token --audience x", // 2
        "Set-Content token2.jwt $t", // 3
        "\"X=$t\" | Out-File -Append $env:BUILDKITE_ENV_FILE", // 4
        "[IO.File]::WriteAllText('t3.jwt', $t)", // 5
        "$t | buildkite-agent meta-data set tok", // 6
        "buildkite-agent artifact upload '*.jwt'", // 7
      ].join("\n"),
    );
    expect(r.facts.tokenRequests[0]?.writtenTo).toBe("token.jwt");
    expect(r.facts.tokenSinks.map((s) => [s.line, s.kind, s.target, s.via])).toEqual([
      [1, "file", "token.jwt", "oidc request-token"],
      [3, "file", "token2.jwt", "t"],
      [4, "environment-file", "$env:BUILDKITE_ENV_FILE", "t"],
      [5, "file", "t3.jwt", "t"],
      [6, "meta-data", "tok", "t"],
      [7, "artifact", "*.jwt", "oidc request-token"],
      [7, "artifact", "*.jwt", "t"],
    ]);
  });

  it("does not call an unrelated value a token", () => {
    const r = read("$v = 'x'\n$v | Out-File v.txt\nbuildkite-agent meta-data set k $v");
    expect(r.facts.tokenSinks).toEqual([]);
  });
});

describe("tokenizer", () => {
  const logins = (text: string): number[] => read(text).facts.azLogins.map((l) => l.line);

  it("skips comments and strings", () => {
    expect(logins("# az login --identity\n<# az login --identity\n#>\naz login --identity # -p x")).toEqual([4]);
    expect(logins("Write-Host 'az login --identity; az login -p x'\nWrite-Host \"a; az login --identity\"")).toEqual([]);
    expect(logins("$x = @'\naz login --identity\n'@\n$y = @\"\n$(Get-Date) az login\n\"@\naz login --identity")).toEqual([7]);
    expect(logins("Write-Host 'it''s'; az login --identity")).toEqual([1]);
    expect(logins("Write-Host \"say `\"hi`\"\"; az login --identity")).toEqual([1]);
  });

  it("reads commands in blocks, subexpressions and strings", () => {
    expect(logins("if ($x) {\n  az login --identity\n} else { foreach ($i in 1..2) { Connect-AzAccount -Identity } }")).toEqual([2, 3]);
    expect(logins('Write-Host "$(az login --identity)"')).toEqual([1]);
    expect(logins("function Login {\n  param($a)\n  az login --identity\n}")).toEqual([3]);
  });

  it("reads inline command strings", () => {
    expect(logins("pwsh -NoProfile -Command 'az login --identity'")).toEqual([1]);
    expect(logins("Invoke-Expression 'Connect-AzAccount -Identity'")).toEqual([1]);
    expect(read("bash -c 'az login --identity'").facts.azLogins).toEqual([{ file, line: 1, method: "identity" }]);
  });

  it("reports what it cannot evaluate", () => {
    // Like bash's `eval "$x"`, text made at run time is not read and not a gap (it is usually a script path).
    expect(read("Invoke-Expression $cmd").diagnostics).toEqual([]);
    expect(read("pwsh -Command $cmd").diagnostics.map((d) => d.line)).toEqual([1]);
    expect(read("$exe = \"buildkite-agent oidc request-token\"\n& $exe --audience x").diagnostics.map((d) => d.line)).toEqual([2]);
    expect(read("pwsh -EncodedCommand ZQBjAGgAbwA=").diagnostics.map((d) => d.line)).toEqual([1]);
    // ordinary code the reader does not care about is fine
    expect(read("& $tool --version\nGet-ChildItem | ForEach-Object { $_.Name }\n$x = [math]::Max(1, 2)").diagnostics).toEqual([]);
  });

  it("resolves a command held in a literal variable", () => {
    expect(read("$agent = 'C:\\bk\\buildkite-agent.exe'\n& $agent oidc request-token --audience x").facts.tokenRequests.map((r) => r.line)).toEqual([2]);
  });
});

describe("hostile input", () => {
  it.each([
    ["an unterminated string", "az login --identity\nWrite-Host 'never closed\naz login -p x"],
    ["an unterminated double string", 'Write-Host "never $(closed'],
    ["an unterminated here-string", "$x = @\"\n$(az login --identity)\nno end"],
    ["an unterminated comment", "<# never closed"],
    ["stray closers", ")) }} ]] az login --identity"],
  ])("%s: diagnostics, no throw", (_name, text) => {
    const r = readPowerShellCounted(text, file);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) expect(d.message).not.toContain("\n");
  });

  it("100,000 nested parentheses", () => {
    const text = "(".repeat(100_000) + "az login --identity" + ")".repeat(100_000);
    const r = readPowerShellCounted(text, file);
    expect(r.diagnostics.some((d) => /nested/.test(d.message))).toBe(true);
    expect(r.operations).toBeLessThan(200 * text.length + 20_000);
  });

  it("5 MB of text in bounded work", () => {
    // a token written to a file every tenth line, ordinary code between
    const facts = "$t = buildkite-agent oidc request-token --audience x; \"$t\" | Out-File f.jwt; if (-not $env:X) { Write-Host @{ a = 'b' } }\n";
    const ordinary = "Get-ChildItem -Path $dir -Filter '*.log' | ForEach-Object { Write-Host \"file: $($_.Name)\" } # list\n".repeat(9);
    const block = facts + ordinary;
    const text = block.repeat(Math.ceil(5_000_000 / block.length));
    const r = readPowerShellCounted(text, file);
    expect(r.operations).toBeLessThan(200 * text.length + 20_000);
    expect(r.facts.tokenRequests.length).toBeGreaterThan(0);
  });

  it("tolerates values that are not what the types say", () => {
    for (const v of [undefined, null, 42, {}] as unknown as string[]) {
      expect(() => readPowerShell(v, v, v as never)).not.toThrow();
    }
  });
});

describe("real-world files", () => {
  it("reads the corpus PowerShell without gaps", () => {
    const path = resolve(shared, "corpus/realworld/elastic+logstash/.buildkite/scripts/jdk-matrix-tests/launch-command.ps1");
    const r = readPowerShell(readFileSync(path, "utf8"), "launch-command.ps1");
    expect(r.diagnostics).toEqual([]);
    expect(r.facts.assignments.map((a) => a.name)).toEqual(["JAVA_CUSTOM_DIR", "BUILD_JAVA_HOME", "RUNTIME_JAVA_HOME", "LS_JAVA_HOME"]);
    for (const f of ["avm/ptn/lz/sub-vending/scripts/Register-SubscriptionResourceProviderList.ps1", "avm/ptn/dev-ops/cicd-agents-and-runners/scripts/startAzureDevOpsContainerJob.ps1", "utilities/e2e-template-assets/scripts/Get-PairedRegion.ps1"]) {
      expect(readPowerShell(readFileSync(resolve(shared, "corpus/realworld/Azure+bicep-registry-modules", f), "utf8"), f).diagnostics).toEqual([]);
    }
  });
});

describe("powerShellInvocation", () => {
  it.each([
    ["pwsh -Command 'az login --identity'", { script: "az login --identity" }],
    ['powershell -c "Write-Host \\"hi\\""', { script: 'Write-Host "hi"' }],
    ["pwsh.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -C ./x.ps1; Write-Host done", { script: "./x.ps1; Write-Host done" }],
    ["PowerShell.exe -NoLogo -command Get-Date", { script: "Get-Date" }],
    ["pwsh -File x.ps1 -Env prod", { file: "x.ps1" }],
    ["powershell.exe -ExecutionPolicy:Bypass -f .\\scripts\\x.ps1", { file: "./scripts/x.ps1" }],
    ['"C:\\Program Files\\PowerShell\\7\\pwsh.exe" -file "scripts\\deploy.ps1"', { file: "scripts/deploy.ps1" }],
    ["pwsh ./deploy.ps1", { file: "./deploy.ps1" }],
    ["powershell Get-Date", { script: "Get-Date" }],
    ["pwsh -EncodedCommand ZQBjAGgAbwA=", undefined],
    ["pwsh -ec ZQBjAGgAbwA=", undefined],
    ["pwsh -Command -", undefined],
    ["pwsh", undefined],
    ["bash -c 'pwsh -c x'", undefined],
    ["echo pwsh -c x", undefined],
  ])("%s", (command, expected) => {
    expect(powerShellInvocation(command)).toEqual(expected);
  });
});
