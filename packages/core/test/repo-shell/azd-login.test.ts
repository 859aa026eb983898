import { describe, expect, it } from "vitest";
import { read } from "./helpers.ts";

const file = "f.sh";
/** [line, method, command] of each login. */
const logins = (text: string): [number, string, string | undefined][] => read(text).facts.azLogins.map((l) => [l.line, l.method, l.command]);

describe("azd auth login (Azure Developer CLI)", () => {
  it("reads a GitHub federated login with its provider, client and tenant", () => {
    const r = read('azd auth login --client-id "$AZURE_CLIENT_ID" --federated-credential-provider "github" --tenant-id "$AZURE_TENANT_ID"');
    expect(r.diagnostics).toEqual([]);
    expect(r.facts.azLogins).toEqual([
      {
        file,
        line: 1,
        method: "federated-token",
        command: "azd auth login",
        username: { raw: '"$AZURE_CLIENT_ID"', variable: "AZURE_CLIENT_ID" },
        tenant: { raw: '"$AZURE_TENANT_ID"', variable: "AZURE_TENANT_ID" },
        provider: { raw: '"github"', literal: "github" },
      },
    ]);
    expect(r.facts.clientSecretUses).toEqual([]);
  });

  it("reads each way of logging in", () => {
    expect(
      logins(
        [
          "azd auth login --client-id X --client-secret \"$SP_SECRET\" --tenant-id T", // 1
          "azd auth login --client-id X --client-certificate path.pem --tenant-id T", // 2
          "azd auth login --managed-identity", // 3
          "azd auth login --managed-identity --client-id X", // 4
          "azd auth login", // 5
          "azd auth login --use-device-code", // 6
          "azd auth login --use-device-code=false --tenant-id T", // 7
          "azd auth login --client-id X --federated-credential-provider azure-pipelines --tenant-id T", // 8
          "azd auth login --client-id X --federated-credential-provider=oidc --tenant-id T", // 9
          "azd login --client-id X --client-secret s --tenant-id T", // 10: before azd 1.23
          "azd login --client-id X --federated-credential \"$TOKEN\" --tenant-id T", // 11: before azd 0.8
          "azd.exe auth login --managed-identity", // 12
          "/usr/local/bin/azd auth login --managed-identity", // 13
          "sudo -E azd auth login --managed-identity", // 14
        ].join("\n"),
      ),
    ).toEqual([
      [1, "password", "azd auth login"],
      [2, "certificate", "azd auth login"],
      [3, "identity", "azd auth login"],
      [4, "identity", "azd auth login"],
      [5, "interactive", "azd auth login"],
      [6, "interactive", "azd auth login"],
      [7, "interactive", "azd auth login"],
      [8, "federated-token", "azd auth login"],
      [9, "federated-token", "azd auth login"],
      [10, "password", "azd login"],
      [11, "federated-token", "azd login"],
      [12, "identity", "azd auth login"],
      [13, "identity", "azd auth login"],
      [14, "identity", "azd auth login"],
    ]);
  });

  it("keeps the user-assigned identity's client ID and the provider only for a federated login", () => {
    const [mi, fed] = read("azd auth login --managed-identity --client-id 11111111-2222-3333-4444-555555555555\nazd auth login --client-id X --tenant-id T --federated-credential-provider=oidc").facts.azLogins;
    expect(mi).toEqual({ file, line: 1, method: "identity", command: "azd auth login", username: { raw: "11111111-2222-3333-4444-555555555555", literal: "11111111-2222-3333-4444-555555555555" } });
    expect(fed?.provider).toEqual({ raw: "oidc", literal: "oidc" });
  });

  it("a managed identity wins, as in azd; a switch set to false is off", () => {
    expect(logins("azd auth login --managed-identity --client-id X --client-secret s --tenant-id T")).toEqual([[1, "identity", "azd auth login"]]);
    expect(logins("azd auth login --managed-identity=false --client-id X --client-secret s --tenant-id T")).toEqual([[1, "password", "azd auth login"]]);
    expect(logins("azd auth login --check-status=false --managed-identity")).toEqual([[1, "identity", "azd auth login"]]);
  });

  it("keeps the client secret as written, never as a literal, and names its variable", () => {
    const r = read('azd auth login --client-id "$AZURE_CLIENT_ID" --client-secret "${AZURE_CLIENT_SECRET}" --tenant-id "$AZURE_TENANT_ID"');
    expect(r.facts.azLogins[0]?.password).toEqual({ raw: '"${AZURE_CLIENT_SECRET}"' });
    expect(r.facts.clientSecretUses).toEqual(
      expect.arrayContaining([
        { file, line: 1, kind: "env-reference", name: "AZURE_CLIENT_SECRET" },
        { file, line: 1, kind: "password-flag", name: "AZURE_CLIENT_SECRET" },
      ]),
    );
    const lit = read("azd auth login --client-id app --client-secret=Sup3rS3cr3tValue --tenant-id t");
    expect(lit.facts.azLogins[0]).toEqual({ file, line: 1, method: "password", command: "azd auth login", username: { raw: "app", literal: "app" }, password: { raw: "Sup3rS3cr3tValue" }, tenant: { raw: "t", literal: "t" } });
    expect(JSON.stringify(lit.facts.clientSecretUses)).not.toContain("Sup3rS3cr3tValue");
    expect(lit.facts.clientSecretUses).toEqual([{ file, line: 1, kind: "password-flag", name: "--client-secret" }]);
  });

  it("names the Buildkite secret a login's client secret comes from", () => {
    const r = read(['S="$(buildkite-agent secret get azure-sp)"', 'azd auth login --client-id X --client-secret "$S" --tenant-id T'].join("\n"));
    expect(r.facts.azLogins.map((l) => l.method)).toEqual(["password"]);
    expect(r.facts.clientSecretUses).toEqual(
      expect.arrayContaining([
        { file, line: 2, kind: "password-flag", name: "S" },
        { file, line: 1, kind: "secret-get", name: "azure-sp" },
      ]),
    );
  });

  it("reads values a GitHub workflow masked (`${{ … }}` replaced before reading)", () => {
    const r = read('azd auth login --client-id "__GHEXPR0__" --client-secret "__GHEXPR1__" --tenant-id __GHEXPR2__');
    expect(r.diagnostics).toEqual([]);
    expect(r.facts.azLogins).toEqual([
      { file, line: 1, method: "password", command: "azd auth login", username: { raw: '"__GHEXPR0__"', literal: "__GHEXPR0__" }, password: { raw: '"__GHEXPR1__"' }, tenant: { raw: "__GHEXPR2__", literal: "__GHEXPR2__" } },
    ]);
    expect(read('azd auth login --client-id "__GHEXPR0__" --federated-credential-provider "github" --tenant-id "__GHEXPR1__"').facts.azLogins[0]?.method).toBe("federated-token");
  });

  it("reads a command continued over lines at its first line", () => {
    const text = ["echo start", "azd auth login \\", '  --client-id "$AZURE_CLIENT_ID" \\', '  --federated-credential-provider "github" \\', '  --tenant-id "$AZURE_TENANT_ID"', "azd up --no-prompt"].join("\n");
    const r = read(text);
    expect(r.facts.azLogins.map((l) => [l.line, l.method, l.username?.variable, l.tenant?.variable, l.provider?.literal])).toEqual([[2, "federated-token", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "github"]]);
  });

  it("skips global flags before the subcommand, with their values", () => {
    expect(
      logins(
        [
          "azd -C infra --debug auth login --managed-identity", // 1
          "azd --cwd=infra auth login --managed-identity", // 2
          'azd -e "$AZD_ENV" auth login --client-id X --client-secret "$S" --tenant-id T', // 3
          "azd --no-prompt login --managed-identity", // 4
          "azd -e auth login", // 5: `auth` is the environment's name, `login` the command
        ].join("\n"),
      ),
    ).toEqual([
      [1, "identity", "azd auth login"],
      [2, "identity", "azd auth login"],
      [3, "password", "azd auth login"],
      [4, "identity", "azd login"],
      [5, "interactive", "azd login"],
    ]);
  });

  it("does not take a switch's next word as its value", () => {
    const [l] = read("azd auth login --use-device-code --tenant-id T --managed-identity --client-id X").facts.azLogins;
    expect(l).toEqual({ file, line: 1, method: "identity", command: "azd auth login", username: { raw: "X", literal: "X" }, tenant: { raw: "T", literal: "T" } });
  });

  it("reads flags from a variable whose value is known", () => {
    const r = read(['AUTH="--client-secret $SP_SECRET"', "azd auth login --client-id X $AUTH --tenant-id T"].join("\n"));
    expect(r.facts.azLogins.map((l) => [l.line, l.method])).toEqual([[2, "password"]]);
  });

  it("is quiet on azd commands that do not log in", () => {
    const text = [
      "azd auth login --check-status", // 1
      "azd auth login --check-status --output json", // 2
      "azd auth login --check-status=true", // 3
      "azd auth login --help", // 4
      "azd auth logout", // 5
      "azd auth token --output json", // 6
      "azd up --no-prompt", // 7
      "azd env set AZURE_CLIENT_ID X", // 8
      "azd config set auth.useAzCliAuth true", // 9
      'echo "azd auth login --client-secret x"', // 10
      "# azd auth login --client-secret x", // 11
      "azd-helper auth login --client-secret x", // 12
      "azd auth", // 13
    ].join("\n");
    const r = read(text);
    expect(r.facts.azLogins).toEqual([]);
    expect(r.facts.clientSecretUses).toEqual([]);
    expect(r.diagnostics).toEqual([]);
  });

  it("says when the subcommand or the command is only known at run time", () => {
    expect(read('azd "$@"').diagnostics.map((d) => d.message)).toEqual(["azd: the subcommand in `\"$@\"` is only known at run time; what it runs is not read"]);
    expect(read("azd auth $SUB --client-secret x").diagnostics.map((d) => d.message)).toEqual(["azd: the subcommand in `$SUB` is only known at run time; what it runs is not read"]);
  });

  it("reads a login run from a variable whose value is known", () => {
    const held = read(['CMD="azd auth login --client-id X --client-secret $S --tenant-id T"', "$CMD"].join("\n"));
    expect(held.facts.azLogins.map((l) => [l.line, l.method, l.command])).toEqual([[2, "password", "azd auth login"]]);
    const unknown = read(["login=(azd auth login --client-id X --client-secret \"$S\" --tenant-id T)", "read -r -a login", '"${login[@]}"'].join("\n"));
    expect(unknown.diagnostics.map((d) => [d.line, d.message])).toEqual([[3, "the command run by `\"${login[@]}\"` is built in a variable (it holds `azd auth login`); its flags are not read"]]);
  });
});
