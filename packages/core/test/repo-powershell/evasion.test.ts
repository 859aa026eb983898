/**
 * Ways to hide a client-secret login from the PowerShell reader (an adversarial review): each must
 * give the fact, or a gap at its line.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadRepo } from "../../src/repo/load-repo.ts";
import { OPS_BASE, OPS_PER_CHAR, readPowerShell, readPowerShellCounted } from "../../src/repo/powershell/read-powershell.ts";

const file = "scripts/deploy.ps1";
const read = (text: string, f = file) => readPowerShell(text, f);
const calls = (text: string, f = file): string[] => read(text, f).facts.scriptCalls.map((c) => c.path);
const gaps = (text: string): number[] => read(text).diagnostics.filter((d) => !d.note).map((d) => d.line);
const LOGIN = "az login --service-principal -u app -p $env:SP_SECRET --tenant t";

describe("$PSScriptRoot: the script's own directory", () => {
  it.each([
    ['& "$PSScriptRoot/sub/l1.ps1"', "scripts/sub/l1.ps1"],
    [". $PSScriptRoot\\sub\\l2.ps1", "scripts/sub/l2.ps1"],
    ['. "${PSScriptRoot}\\sub\\l2.ps1"', "scripts/sub/l2.ps1"],
    ["& $PSScriptRoot/../tools/x.ps1", "scripts/../tools/x.ps1"],
    ['$here = Split-Path -Parent $MyInvocation.MyCommand.Path\n. "$here\\lib.ps1"', "scripts/lib.ps1"],
    ['. (Join-Path $PSScriptRoot "lib.ps1")', "scripts/lib.ps1"],
    ["& ($PSScriptRoot + '/lib.ps1')", "scripts/lib.ps1"],
    ['& "$(Split-Path $PSCommandPath)/lib.ps1"', "scripts/lib.ps1"],
    ['bash "$PSScriptRoot/x.sh"', "scripts/x.sh"],
    ['pwsh -File "$PSScriptRoot/x.ps1"', "scripts/x.ps1"],
  ])("%s", (text, path) => {
    expect(calls(text)).toEqual([path]);
  });

  it("is the repository root for a script at the root", () => {
    expect(calls('& "$PSScriptRoot/sub/l1.ps1"', "deploy.ps1")).toEqual(["./sub/l1.ps1"]);
  });

  it("is not the pipeline's directory in a step's command", () => {
    const r = readPowerShell('& "$PSScriptRoot/sub/l1.ps1"', ".buildkite/pipeline.yml", { firstLine: 5 });
    expect(r.facts.scriptCalls.map((c) => c.path)).toEqual(["$PSScriptRoot/sub/l1.ps1"]);
    // `pwsh -Command` starts a new PowerShell, where it is not set either
    expect(calls("pwsh -Command '& \"$PSScriptRoot/x.ps1\"'")).toEqual(["$PSScriptRoot/x.ps1"]);
  });

  describe("followed by the loader", () => {
    const dir = mkdtempSync(join(tmpdir(), "ts-psroot-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const put = (rel: string, text: string) => {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    };
    put(".buildkite/pipeline.yml", "steps:\n  - command: pwsh -File scripts/main.ps1\n");
    put("scripts/main.ps1", '& "$PSScriptRoot/sub/l1.ps1"\n. $PSScriptRoot\\sub\\l2.ps1\n');
    put("scripts/sub/l1.ps1", `${LOGIN}\n`);
    put("scripts/sub/l2.ps1", "Connect-AzAccount -ServicePrincipal -Credential $cred -Tenant t\n");

    it("reads the scripts it calls, with no gap", () => {
      const { repo } = loadRepo(dir);
      expect(repo.diagnostics.filter((d) => !d.note)).toEqual([]);
      const logins = repo.scripts.flatMap((s) => s.azLogins.map((l) => [l.file, l.method]));
      expect(logins).toEqual(
        expect.arrayContaining([
          ["scripts/sub/l1.ps1", "password"],
          ["scripts/sub/l2.ps1", "password"],
        ]),
      );
    });
  });
});

describe("scripts called through values the script sets", () => {
  it.each([
    ["$p='./scripts/l3.ps1'; & $p", ["./scripts/l3.ps1"]],
    ["$p = \"./scripts/$name.ps1\"\n& $p", ["./scripts/$name.ps1"]],
    ["if ($x) { $p = './a.ps1' } else { $p = './b.ps1' }\n& $p", ["./a.ps1", "./b.ps1"]],
    ["& (Join-Path 'scripts' 'sub/l4.ps1')", ["scripts/sub/l4.ps1"]],
    ["$s = Join-Path -Path scripts -ChildPath l5.ps1\n. $s", ["scripts/l5.ps1"]],
    ["& ([IO.Path]::Combine('scripts', 'l6.ps1'))", ["scripts/l6.ps1"]],
    ["Invoke-Command -FilePath ./x.ps1", ["./x.ps1"]],
    ["Invoke-Command -ComputerName . -FilePath $PSScriptRoot\\x.ps1", ["scripts/x.ps1"]],
    ["Start-Process pwsh -ArgumentList '-File','x.ps1'", ["x.ps1"]],
    ["Start-Process -FilePath powershell.exe -ArgumentList \"-NoProfile -File scripts\\y.ps1\" -Wait", ["scripts/y.ps1"]],
    ["Start-Process bash -ArgumentList './z.sh'", ["./z.sh"]],
    ["Start-Process ./tools/run.cmd -Wait", ["./tools/run.cmd"]],
  ])("%s", (text, paths) => {
    expect(calls(text)).toEqual(paths);
  });

  it("reads a command string Start-Process gives PowerShell", () => {
    expect(read(`Start-Process pwsh -ArgumentList '-Command', '${LOGIN}'`).facts.azLogins.map((l) => l.method)).toEqual(["password"]);
  });

  it("leaves unknown values alone, like the bash reader's $CMD", () => {
    const r = read("& $tool --version\n& $env:SCRIPT\n& (Get-Command foo).Source\nStart-Process notepad.exe\nStart-Process $exe");
    expect(r.facts.scriptCalls).toEqual([]);
    expect(r.diagnostics).toEqual([]);
  });
});

describe("bounded work", () => {
  it("variables that refer to each other, many times over", () => {
    const lines = ["$v0 = './a.ps1'"];
    for (let i = 1; i < 40; i++) for (let j = 0; j < 30; j++) lines.push(`$v${i} = "$v${i - 1}$v${i - 1}/x${j}"`);
    lines.push("& $v39", "$c0 = 'Write-Host'");
    for (let i = 1; i < 40; i++) lines.push(`$c${i} = 'iex $c${i - 1}; iex $c${i - 1}; iex $c${i - 1}; iex $c${i - 1}'`);
    lines.push("iex $c39");
    const text = lines.join("\n");
    const started = Date.now();
    const r = readPowerShellCounted(text, file);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.operations).toBeLessThan(OPS_PER_CHAR * text.length + OPS_BASE + 10_000);
  });
});

describe("dashes PowerShell reads as `-`", () => {
  it.each(["\u2013", "\u2014", "\u2015"])("%s", (dash) => {
    const r = read(`Connect-AzAccount ${dash}ServicePrincipal ${dash}Credential $cred ${dash}Tenant t`);
    expect(r.facts.azLogins.map((l) => [l.method, l.tenant?.literal])).toEqual([["password", "t"]]);
    expect(r.facts.clientSecretUses.map((u) => u.kind)).toEqual(["password-flag"]);
    expect(read(`az login ${dash}${dash}service-principal -u app ${dash}p $env:SP_SECRET --tenant t`).facts.azLogins.map((l) => l.method)).toEqual(["password"]);
    expect(read(`if (${dash}not $env:AZURE_CLIENT_SECRET) { exit 1 }`).facts.clientSecretUses).toEqual([]);
  });
});

describe("splatting", () => {
  it("reads an array splatted to a native command", () => {
    const r = read("$a=@('login','--service-principal','-u','app','-p',$env:SP_SECRET,'--tenant','t'); az @a");
    expect(r.facts.azLogins).toEqual([{ file, line: 1, method: "password", username: { raw: "'app'", literal: "app" }, password: { raw: "$env:SP_SECRET", variable: "SP_SECRET" }, tenant: { raw: "'t'", literal: "t" } }]);
    expect(r.facts.clientSecretUses.map((u) => [u.kind, u.name])).toEqual([["password-flag", "SP_SECRET"]]);
  });

  it("reads an array built over several lines and with +=", () => {
    const r = read("$a = @(\n  'login'\n  '--service-principal'\n)\n$a += '-u', 'app'\n$a += \"--password=$env:SP_SECRET\"\naz @a --tenant t");
    expect(r.facts.azLogins.map((l) => [l.line, l.method, l.password?.variable])).toEqual([[7, "password", "SP_SECRET"]]);
  });

  it("never records a literal secret from a splatted array", () => {
    const r = read("$a = 'login', '--service-principal', '-u', 'app', '-p', 'Sup3rS3cr3t', '-t', 't'\naz @a");
    expect(r.facts.azLogins.map((l) => l.method)).toEqual(["password"]);
    expect(JSON.stringify(r)).not.toContain("Sup3rS3cr3t");
  });

  it("is a gap when az's arguments are an array the script does not show", () => {
    expect(gaps("az @args")).toEqual([1]);
    expect(gaps("function f { az @args }")).toEqual([1]);
  });

  it("reads a hashtable built step by step", () => {
    const r = read("$p=@{}; $p.ServicePrincipal=$true; $p['Credential']=$cred; Connect-AzAccount @p");
    expect(r.facts.azLogins.map((l) => [l.method, l.password?.raw])).toEqual([["password", "$cred"]]);
    const r2 = read("$p = [ordered]@{ Tenant = 't' }\n$p.Add('ServicePrincipal', $true)\n$p.Credential = $c\nConnect-AzAccount @p");
    expect(r2.facts.azLogins.map((l) => [l.line, l.method, l.tenant?.literal])).toEqual([[4, "password", "t"]]);
    const r3 = read("$p = @{ Tenant = 't' }\n$p += @{ Credential = $c; ServicePrincipal = $true }\nConnect-AzAccount @p");
    expect(r3.facts.azLogins.map((l) => l.method)).toEqual(["password"]);
  });

  it("reads a credential built where the key is set, and never records its literal secret", () => {
    const r = read("$p = @{ ServicePrincipal = $true; Tenant = 't' }\n$p.Credential = New-Object PSCredential('app', (ConvertTo-SecureString 'Sup3rS3cr3t' -AsPlainText -Force))\nConnect-AzAccount @p");
    expect(r.facts.azLogins.map((l) => [l.line, l.method, l.username?.literal, l.password?.raw])).toEqual([[3, "password", "app", "***"]]);
    expect(JSON.stringify(r)).not.toContain("Sup3rS3cr3t");
  });

  it("is a gap when a key is set by a name it cannot read", () => {
    expect(gaps("$p = @{}\n$p[$k] = $cred\nConnect-AzAccount @p")).toEqual([3]);
    expect(gaps("$p = @{}\n$p.$k = $cred\nConnect-AzAccount @p")).toEqual([3]);
    // keys read, not set, are no gap
    expect(gaps("$p = @{ Identity = $true }\nWrite-Host $p.Count\nConnect-AzAccount @p")).toEqual([]);
  });
});

describe("Invoke-Expression of a variable the script assigns", () => {
  it("reads the value as PowerShell", () => {
    const r = read(`$cmd="${LOGIN}"; Invoke-Expression $cmd`);
    expect(r.facts.azLogins.map((l) => [l.line, l.method, l.password?.variable])).toEqual([[1, "password", "SP_SECRET"]]);
    expect(r.diagnostics).toEqual([]);
    expect(read(`$c = '${LOGIN}'\niex "$c"`).facts.azLogins.map((l) => l.line)).toEqual([2]);
    expect(read(`$c = @"\n${LOGIN}\n"@\nInvoke-Expression -Command $c`).facts.azLogins.map((l) => l.method)).toEqual(["password"]);
  });

  it("never records a literal secret held in the variable", () => {
    const r = read("$cmd = \"az login --service-principal -u app -p 'Sup3rS3cr3t' -t t\"\nInvoke-Expression $cmd");
    expect(r.facts.azLogins.map((l) => [l.line, l.method, l.password?.raw])).toEqual([[2, "password", "***"]]);
    expect(JSON.stringify(r)).not.toContain("Sup3rS3cr3t");
  });

  it("keeps $PSScriptRoot (the text runs in the script's scope)", () => {
    expect(calls('$c = ". $PSScriptRoot/lib.ps1"\nInvoke-Expression $c')).toEqual(["scripts/lib.ps1"]);
  });

  it("stays silent for a value made at run time, and ends on a value that runs itself", () => {
    expect(read("$cmd = Get-Content cmd.txt\nInvoke-Expression $cmd").diagnostics).toEqual([]);
    const r = read("$c = 'Invoke-Expression $c'\nInvoke-Expression $c");
    expect(r.diagnostics).toEqual([]);
  });
});
