import { describe, expect, it } from "vitest";
import { parseValueRef, readShell } from "../../src/repo/shell/read-shell.ts";
import { read } from "./helpers.ts";

const file = "f.sh";
const logins = (text: string): [number, string][] => read(text).facts.azLogins.map((l) => [l.line, l.method]);
const requests = (text: string, pipelineEscapes = false): [number, string | undefined][] =>
  read(text, { pipelineEscapes }).facts.tokenRequests.map((r) => [r.line, r.assignedTo]);
const messages = (text: string): [number, string][] => read(text).diagnostics.map((d) => [d.line, d.message]);

describe("parseValueRef", () => {
  it.each([
    ["api://AzureADTokenExchange", { raw: "api://AzureADTokenExchange", literal: "api://AzureADTokenExchange" }],
    ["'api://AzureADTokenExchange'", { raw: "'api://AzureADTokenExchange'", literal: "api://AzureADTokenExchange" }],
    ['"pipeline_id"', { raw: '"pipeline_id"', literal: "pipeline_id" }],
    ["a\\ b", { raw: "a\\ b", literal: "a b" }],
    ["", { raw: "", literal: "" }],
    ['""', { raw: '""', literal: "" }],
    ["$X", { raw: "$X", variable: "X" }],
    ["${X}", { raw: "${X}", variable: "X" }],
    ['"${X}"', { raw: '"${X}"', variable: "X" }],
    ['"$BUILDKITE_OIDC_SUBJECT_CLAIM"', { raw: '"$BUILDKITE_OIDC_SUBJECT_CLAIM"', variable: "BUILDKITE_OIDC_SUBJECT_CLAIM" }],
    ["${X:-pipeline_id}", { raw: "${X:-pipeline_id}", variable: "X", fallback: "pipeline_id" }],
    ['"${X:-pipeline_id}"', { raw: '"${X:-pipeline_id}"', variable: "X", fallback: "pipeline_id" }],
    ["${X-d}", { raw: "${X-d}", variable: "X", fallback: "d" }],
    ['${X:="a b"}', { raw: '${X:="a b"}', variable: "X", fallback: "a b" }],
    ["${X:-$Y}", { raw: "${X:-$Y}", variable: "X", fallback: "$Y" }],
    ["${X:-}", { raw: "${X:-}", variable: "X", fallback: "" }],
    ["${X:?required}", { raw: "${X:?required}", variable: "X" }],
    ["${X:+set}", { raw: "${X:+set}" }],
    ["${#X}", { raw: "${#X}" }],
    ["$1", { raw: "$1" }],
    ["a$X", { raw: "a$X" }],
    ["$X$Y", { raw: "$X$Y" }],
    ["$(cat f)", { raw: "$(cat f)" }],
    ["a b", { raw: "a b" }],
    ["'unclosed", { raw: "'unclosed" }],
  ])("%s", (raw, expected) => {
    expect(parseValueRef(raw)).toEqual(expected);
  });

  it("reads $$ as $ with pipeline escapes", () => {
    expect(parseValueRef("$$X", { pipelineEscapes: true })).toEqual({ raw: "$$X", variable: "X" });
    expect(parseValueRef("$${X:-d}", { pipelineEscapes: true })).toEqual({ raw: "$${X:-d}", variable: "X", fallback: "d" });
    expect(parseValueRef("$$X")).toEqual({ raw: "$$X" });
  });
});

describe("tokenizer", () => {
  it("ends a comment at the line end, and only where a word starts", () => {
    expect(logins("echo a # az login --identity\naz login --identity")).toEqual([[2, "identity"]]);
    expect(logins("echo a#b; az login --identity")).toEqual([[1, "identity"]]);
    // `$#` and `${#X}` are expansions, not comments
    expect(logins('echo $# ${#ARR[@]}; az login --identity')).toEqual([[1, "identity"]]);
    expect(logins("#!/bin/bash\n  # az login -p x\naz login --identity # -p y")).toEqual([[3, "identity"]]);
  });

  it("does not split commands inside quotes or after a backslash", () => {
    expect(logins('echo "a; az login -p x"')).toEqual([]);
    expect(logins("echo 'a && az login -p x'")).toEqual([]);
    expect(logins("echo a\\;az login -p x")).toEqual([]);
    expect(logins('echo "multi\nline; az login -p x\n"; az login --identity')).toEqual([[3, "identity"]]);
  });

  it("splits commands at ; && || | & and newlines", () => {
    expect(logins('true;az login --identity&&az login -p "$P"||az login --use-device-code|cat & az login -u me\naz login --identity')).toEqual([
      [1, "identity"],
      [1, "password"],
      [1, "interactive"],
      [1, "interactive"],
      [2, "identity"],
    ]);
    // identical facts on one line are reported once
    expect(logins("az login --identity; az login --identity")).toEqual([[1, "identity"]]);
  });

  it("keeps the line where a continued command starts", () => {
    const text = ["echo start", "az login \\", "  --service-principal \\", "  -u id \\", '  --federated-token "$T" \\', "  -t tenant", "echo end"].join("\n");
    expect(read(text).facts.azLogins).toEqual([
      { file, line: 2, method: "federated-token", username: { raw: "id", literal: "id" }, tenant: { raw: "tenant", literal: "tenant" } },
    ]);
    // CRLF line ends
    expect(logins("echo a\r\naz login \\\r\n  --identity\r\n")).toEqual([[2, "identity"]]);
  });

  it("continues a pipeline after a trailing |", () => {
    const r = read('T=$(buildkite-agent oidc request-token)\necho "$T" |\n  tee token.txt');
    // the sink is the `echo` on line 2, whose output goes to `tee` on line 3
    expect(r.facts.tokenSinks).toEqual([{ file, line: 2, kind: "file", target: "token.txt", via: "T" }]);
  });

  it("reads command substitutions, nested, and backticks", () => {
    expect(requests("X=$(echo $(buildkite-agent oidc request-token))")).toEqual([[1, "X"]]);
    expect(requests("X=`buildkite-agent oidc request-token`")).toEqual([[1, "X"]]);
    expect(requests("X=`echo \\`buildkite-agent oidc request-token\\``")).toEqual([[1, "X"]]);
    expect(requests('X="$(echo "$(buildkite-agent oidc request-token | tr -d \'\\n\')")"')).toEqual([[1, "X"]]);
    // output that is not the token is not "assigned"
    expect(requests('X=$(buildkite-agent oidc request-token | curl -d @- "$URL")')).toEqual([[1, undefined]]);
    expect(requests("X=$(buildkite-agent oidc request-token > t.jwt)")).toEqual([[1, undefined]]);
    // multi-line substitution: the command keeps its own line
    expect(requests("X=$(\n  buildkite-agent oidc request-token \\\n   --audience a\n)")).toEqual([[2, "X"]]);
  });

  it("skips here-document bodies and finds the commands after them", () => {
    const text = ["cat <<EOF > a.txt", "az login -p x", "EOF", "cat <<-'END'", "\taz login -p y", "\tEND", "cat <<\"Q\" <<R", "az login -p z", "Q", "az login -p w", "R", "az login --identity"].join("\n");
    expect(logins(text)).toEqual([[12, "identity"]]);
    expect(read(text).diagnostics).toEqual([]);
  });

  it("reads here-documents inside command substitutions", () => {
    expect(requests("X=$(cat <<EOF\nbuildkite-agent oidc request-token\nEOF\n)\nY=$(buildkite-agent oidc request-token)")).toEqual([[5, "Y"]]);
  });

  it("reads [[ ]], (( )), case, for, functions and subshells", () => {
    const text = [
      '[[ "$A" == a* && $B < 3 ]] && az login --identity', // 1
      "(( i++ )) || az login --identity", // 2
      'case "$ENV" in', // 3
      "  prod|production) az login --identity ;;", // 4
      '  *) az login -p "$P" ;;', // 5
      "esac", // 6
      "for i in $(seq 3); do az login --identity; done", // 7
      "function f { az login --identity; }", // 8
      "g() ( az login --identity )", // 9
      "(cd infra && az login --identity)", // 10
      "{ az login --identity; } > /dev/null", // 11
      "arr=(a b $(az login --identity))", // 12
      "while read -r l; do echo \"$l\"; done < <(az login --identity)", // 13
    ].join("\n");
    expect(logins(text)).toEqual([
      [1, "identity"],
      [2, "identity"],
      [4, "identity"],
      [5, "password"],
      [7, "identity"],
      [8, "identity"],
      [9, "identity"],
      [10, "identity"],
      [11, "identity"],
      [12, "identity"],
      [13, "identity"],
    ]);
    expect(read(text).diagnostics).toEqual([]);
  });

  it("sees through command wrappers", () => {
    expect(logins("sudo -E az login --identity\nenv -i PATH=/bin az login --identity\ncommand az login --identity\ntime az login --identity\nexec az login --identity")).toEqual([
      [1, "identity"],
      [2, "identity"],
      [3, "identity"],
      [4, "identity"],
      [5, "identity"],
    ]);
    expect(logins("command -v az login")).toEqual([]);
    expect(read("/usr/bin/env bash scripts/x.sh").facts.scriptCalls).toEqual([{ file, line: 1, path: "scripts/x.sh" }]);
  });

  it("reads the commands of bash -c, eval and bash <<EOF", () => {
    const text = ["bash -c 'az login --identity'", 'sh -ec "', '  az login -p \\"$P\\"', '"', "eval 'az login --identity'", "bash <<'EOF'", "az login --identity", "EOF"].join("\n");
    expect(logins(text)).toEqual([
      [1, "identity"],
      [3, "password"],
      [5, "identity"],
      [7, "identity"],
    ]);
    expect(messages('bash -c "$CMD"')).toEqual([[1, 'bash -c: the command string `"$CMD"` is built at run time; its commands are not read']]);
  });

  it("treats $$ as $ only with pipeline escapes", () => {
    expect(requests("T=$$(buildkite-agent oidc request-token)", true)).toEqual([[1, "T"]]);
    expect(requests("T=\\$(buildkite-agent oidc request-token)", true)).toEqual([[1, "T"]]);
    expect(requests("T=$$(buildkite-agent oidc request-token)", false)).toEqual([]);
    expect(messages("T=$$(buildkite-agent oidc request-token)")).toEqual([[1, "syntax error: unexpected `(` after a word; the text in the parentheses is not read"]]);
    // `$$$$` in pipeline YAML is the shell's `$$`
    expect(read("echo $$$$ > pid; az login --identity", { pipelineEscapes: true }).facts.azLogins).toHaveLength(1);
    expect(read("echo '$$HOME'", { pipelineEscapes: true }).diagnostics).toEqual([]);
  });

  it("offsets lines by firstLine", () => {
    const r = readShell("echo a\naz login --identity\necho 'x", "p.yml", { firstLine: 40 });
    expect(r.facts.azLogins).toEqual([{ file: "p.yml", line: 41, method: "identity" }]);
    expect(r.diagnostics).toEqual([{ file: "p.yml", line: 42, message: "single quote is not closed" }]);
  });
});

describe("diagnostics", () => {
  it("reports unterminated quotes, substitutions and here-documents at the line they start", () => {
    expect(messages("echo a\necho 'b\nc")).toEqual([[2, "single quote is not closed"]]);
    expect(messages('echo a\necho "b\nc')).toEqual([[2, "double quote is not closed"]]);
    expect(messages("echo\nX=$(buildkite-agent oidc request-token")).toEqual([[2, "command substitution `$(` is not closed"]]);
    expect(messages("echo `date")).toEqual([[1, "backtick command substitution is not closed"]]);
    expect(messages("echo ${X:-a")).toEqual([[1, "parameter expansion `${` is not closed"]]);
    expect(messages("echo\ncat <<EOF\nbody")).toEqual([[2, "here-document is not terminated (no line `EOF`)"]]);
    expect(messages("echo hi >")).toEqual([[1, "redirection `>` has no target"]]);
  });

  it("still reads the commands before an unterminated quote", () => {
    const r = read("az login --identity\necho 'oops\naz login -p x");
    expect(r.facts.azLogins).toEqual([{ file, line: 1, method: "identity" }]);
    expect(r.diagnostics.map((d) => d.line)).toEqual([2]);
  });

  it("reports flags it cannot see and flags without values", () => {
    expect(messages("buildkite-agent oidc request-token $OIDC_ARGS")).toEqual([
      [1, "buildkite-agent oidc request-token: the arguments in `$OIDC_ARGS` are only known at run time; flags they add are not read"],
    ]);
    expect(messages('az login "${args[@]}"')).toEqual([[1, 'az login: the arguments in `"${args[@]}"` are only known at run time; flags they add are not read']]);
    expect(messages("buildkite-agent oidc request-token --audience")).toEqual([[1, "buildkite-agent oidc request-token: --audience has no value"]]);
    expect(messages("az login --service-principal -u app -t tenant")).toEqual([
      [1, "az login --service-principal without --password, --certificate or --federated-token: the credential it uses is not visible"],
    ]);
  });

  it("reads a command built in a variable whose values are known, and reports one whose values are not", () => {
    const text = [
      "request_token_cmd=(buildkite-agent oidc request-token --audience sts.amazonaws.com)",
      'request_token_cmd+=(--lifetime "$LIFETIME")',
      'token=$("${request_token_cmd[@]}")',
      'retry() { "$@"; }',
      'AWS=(aws sts get-caller-identity); "${AWS[@]}"',
    ].join("\n");
    const r = read(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.facts.tokenRequests.map((q) => [q.line, q.audience?.literal, q.lifetime?.variable, q.assignedTo])).toEqual([[3, "sts.amazonaws.com", "LIFETIME", "token"]]);
    const unknown = ["request_token_cmd=(buildkite-agent oidc request-token --audience sts.amazonaws.com)", "read -r -a request_token_cmd", 'token=$("${request_token_cmd[@]}")'].join("\n");
    expect(read(unknown).diagnostics.map((d) => [d.line, d.message])).toEqual([
      [3, "the command run by `\"${request_token_cmd[@]}\"` is built in a variable (it holds `buildkite-agent oidc`); its flags are not read"],
    ]);
    // an append is not recorded as the variable's value
    expect(r.facts.assignments.map((a) => [a.line, a.name])).toEqual([
      [1, "request_token_cmd"],
      [3, "token"],
      [5, "AWS"],
    ]);
  });

  it("reports nesting it will not follow", () => {
    const deep = "X=" + "$(".repeat(40) + ")".repeat(40);
    expect(read(deep).diagnostics.map((d) => d.message)).toContain("command substitution is nested too deeply to read");
  });
});

describe("facts", () => {
  it("reads request-token flags in every spelling", () => {
    const r = read(
      [
        "buildkite-agent oidc request-token --audience=api://AzureADTokenExchangeUSGov --subject-claim=organization_id --lifetime=60",
        "buildkite-agent oidc request-token -audience 'aud' -subject-claim \"${CLAIM:-pipeline_id}\" --claim organization_id --skip-redaction",
        "BUILDKITE_OIDC_TOKEN_SUBJECT_CLAIM=queue_id buildkite-agent oidc request-token",
      ].join("\n"),
    );
    expect(r.facts.tokenRequests).toEqual([
      {
        file,
        line: 1,
        audience: { raw: "api://AzureADTokenExchangeUSGov", literal: "api://AzureADTokenExchangeUSGov" },
        subjectClaim: { raw: "organization_id", literal: "organization_id" },
        lifetime: { raw: "60", literal: "60" },
      },
      { file, line: 2, audience: { raw: "'aud'", literal: "aud" }, subjectClaim: { raw: '"${CLAIM:-pipeline_id}"', variable: "CLAIM", fallback: "pipeline_id" } },
      { file, line: 3, subjectClaim: { raw: "queue_id", literal: "queue_id" } },
    ]);
  });

  it("classifies az login variants", () => {
    const text = [
      "az login", // 1
      "az login --identity --client-id $MI", // 2
      'az login --service-principal -u "$ID" --certificate ./sp.pem -t t', // 3
      'az login --service-principal -u "$ID" -p ./sp.pem -t t', // 4
      'az login --service-principal --username "$ID" --password="$SECRET" --tenant t', // 5
      'az login --service-principal -u "$ID" --secret "$S" -t t', // 6
      "az login --use-device-code", // 7
      "az account show", // 8
      'az login --service-principal -u"$ID" -p"$PW" -tT', // 9
    ].join("\n");
    const r = read(text);
    expect(r.facts.azLogins.map((l) => [l.line, l.method, l.password?.raw])).toEqual([
      [1, "interactive", undefined],
      [2, "identity", undefined],
      [3, "certificate", undefined],
      [4, "password", "./sp.pem"],
      [5, "password", '"$SECRET"'],
      [6, "password", '"$S"'],
      [7, "interactive", undefined],
      [9, "password", '"$PW"'],
    ]);
    expect(r.facts.azLogins[7]?.username).toEqual({ raw: '"$ID"', variable: "ID" });
    expect(r.facts.azLogins[7]?.tenant).toEqual({ raw: "T", literal: "T" });
    expect(r.facts.clientSecretUses).toEqual([
      { file, line: 4, kind: "password-flag", name: "-p" },
      { file, line: 5, kind: "password-flag", name: "SECRET" },
      { file, line: 6, kind: "password-flag", name: "S" },
      { file, line: 9, kind: "password-flag", name: "PW" },
    ]);
  });

  it("records client-secret variables, and secrets fetched for a login", () => {
    const text = [
      "AZURE_CLIENT_SECRET=x terraform apply", // 1: prefix assignment
      "export ARM_CLIENT_SECRET", // 2
      'echo "${AZURE_CLIENT_SECRET:?missing}" | wc -c', // 3
      "S=$(buildkite-agent secret get deploy-credential)", // 4: flows into ARM_CLIENT_SECRET
      'export ARM_CLIENT_SECRET="$S"', // 5
      "NPM_TOKEN=$(buildkite-agent secret get npm-token)", // 6: unrelated
      "SP_PASSWORD=$(buildkite-agent secret get --job $J sp-cred)", // 7: variable named like one
      'az login --service-principal -u a -p "$(buildkite-agent secret get login-cred)" -t t', // 8: feeds a login
      "K=$(buildkite-agent secret get prod-client-secret)", // 9: secret named like one
      "echo '$AZURE_CLIENT_SECRET'", // 10: single quotes: no expansion
    ].join("\n");
    expect(read(text).facts.clientSecretUses).toEqual([
      { file, line: 1, kind: "env-assignment", name: "AZURE_CLIENT_SECRET" },
      { file, line: 2, kind: "env-assignment", name: "ARM_CLIENT_SECRET" },
      { file, line: 3, kind: "env-reference", name: "AZURE_CLIENT_SECRET" },
      { file, line: 4, kind: "secret-get", name: "deploy-credential" },
      { file, line: 5, kind: "env-assignment", name: "ARM_CLIENT_SECRET" },
      { file, line: 7, kind: "secret-get", name: "sp-cred" },
      { file, line: 8, kind: "password-flag", name: "login-cred" },
      { file, line: 8, kind: "secret-get", name: "login-cred" },
      { file, line: 9, kind: "secret-get", name: "prod-client-secret" },
    ]);
  });

  it("finds where a token is written", () => {
    const text = [
      "T=$(buildkite-agent oidc request-token)", // 1
      "COPY=$T", // 2
      'printf "%s" "$COPY" > copy.jwt', // 3
      "buildkite-agent oidc request-token | tee -a both.jwt | base64 > b64.txt", // 4
      'echo "$(buildkite-agent oidc request-token)" > direct.jwt', // 5
      "buildkite-agent meta-data set k2 <<< \"$T\"", // 6
      "echo \"$T\" | buildkite-agent meta-data set --job \"$JOB\" k3", // 7
      'echo "$T" >&2', // 8: the log, not a file
      'echo "$T" > /dev/null', // 9
      'curl -H "Authorization: Bearer $T" -o out.json https://example', // 10: not the token
      'echo "ARM_OIDC_TOKEN=$T" >> "$GITHUB_ENV"', // 11
      "DIR=out", // 12
      'echo "$T" > "$DIR/t.jwt"', // 13
      "buildkite-agent artifact upload 'out/**/*;b64.txt' s3://bucket", // 14
      "buildkite-agent artifact upload logs/*.log", // 15
    ].join("\n");
    const r = read(text);
    expect(r.facts.tokenSinks).toEqual([
      { file, line: 3, kind: "file", target: "copy.jwt", via: "COPY" },
      { file, line: 4, kind: "file", target: "both.jwt", via: "oidc request-token" },
      { file, line: 4, kind: "file", target: "b64.txt", via: "oidc request-token" },
      { file, line: 5, kind: "file", target: "direct.jwt", via: "oidc request-token" },
      { file, line: 6, kind: "meta-data", target: "k2", via: "T" },
      { file, line: 7, kind: "meta-data", target: "k3", via: "T" },
      { file, line: 11, kind: "environment-file", target: "$GITHUB_ENV", via: "T" },
      { file, line: 13, kind: "file", target: "$DIR/t.jwt", via: "T" },
      { file, line: 14, kind: "artifact", target: "out/**/*", via: "T" },
      { file, line: 14, kind: "artifact", target: "b64.txt", via: "oidc request-token" },
    ]);
    expect(r.facts.tokenRequests.map((q) => [q.line, q.writtenTo])).toEqual([
      [1, undefined],
      [4, "both.jwt"],
      [5, "direct.jwt"],
    ]);
  });

  it("records assignments, exports, locals and declarations", () => {
    const text = ["A=1 B='two'", "export C=\"${C:-3}\"", "A=changed", "export A", "local -r D=$E", "declare -x F=f G", "readonly H=(x y)", "X=1 cmd"].join("\n");
    expect(read(text).facts.assignments).toEqual([
      { file, line: 1, name: "A", value: { raw: "1", literal: "1" } },
      { file, line: 1, name: "B", value: { raw: "'two'", literal: "two" } },
      { file, line: 2, name: "C", value: { raw: '"${C:-3}"', variable: "C", fallback: "3" } },
      { file, line: 3, name: "A", value: { raw: "changed", literal: "changed" } },
      { file, line: 4, name: "A", value: { raw: "changed", literal: "changed" } },
      { file, line: 5, name: "D", value: { raw: "$E", variable: "E" } },
      { file, line: 6, name: "F", value: { raw: "f", literal: "f" } },
      { file, line: 7, name: "H", value: { raw: "(x y)" } },
    ]);
  });

  it("records script calls as written", () => {
    const text = ["./a.sh", "bash -x scripts/b.sh arg", "sh -o pipefail c.sh", ". ./lib/d.sh", 'source "${BASH_SOURCE%/*}/e.sh"', "bash", "make deploy", "/usr/local/bin/tool", "exec ./f.sh"].join("\n");
    expect(read(text).facts.scriptCalls).toEqual([
      { file, line: 1, path: "./a.sh" },
      { file, line: 2, path: "scripts/b.sh" },
      { file, line: 3, path: "c.sh" },
      { file, line: 4, path: "./lib/d.sh" },
      { file, line: 5, path: "${BASH_SOURCE%/*}/e.sh" },
      { file, line: 9, path: "./f.sh" },
    ]);
  });

  it("records pipeline uploads", () => {
    const text = [
      "buildkite-agent pipeline upload",
      "buildkite-agent pipeline upload .buildkite/release.yml --replace",
      "buildkite-agent pipeline upload --job $J --format yaml < generated.yml",
      "buildkite-agent pipeline upload <<'YAML'",
      "steps: []",
      "YAML",
      "buildkite-agent pipeline upload --dry-run=true ci/p.json",
    ].join("\n");
    expect(read(text).facts.pipelineUploads).toEqual([
      { file, line: 1, path: "" },
      { file, line: 2, path: ".buildkite/release.yml" },
      { file, line: 3, path: "generated.yml" },
      { file, line: 4, path: "-" },
      { file, line: 7, path: "ci/p.json" },
    ]);
  });
});
