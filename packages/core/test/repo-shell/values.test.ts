import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { TokenRequest } from "../../src/model/repo.ts";
import { readPipeline } from "../../src/repo/pipeline/read-pipeline.ts";
import { readShell } from "../../src/repo/shell/read-shell.ts";
import { fixture, read } from "./helpers.ts";

const SHARED = resolve(process.env.TRUSTSCOPE_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../../shared"));
const file = "f.sh";
const AUDIENCE = { raw: '"api://AzureADTokenExchange"', literal: "api://AzureADTokenExchange" };

/** The subject claim of each request, as written (undefined: no --subject-claim). */
const claims = (text: string): (string | undefined)[] => read(text).facts.tokenRequests.map((r) => r.subjectClaim?.raw);
const messages = (text: string): [number, string][] => read(text).diagnostics.map((d) => [d.line, d.message]);

describe("values of variables after conditionals, word splitting and arrays", () => {
  it("reads the az-login-oidc.sh request once per form its subject-claim flag may take", () => {
    const { facts, diagnostics } = read(fixture("az-login-oidc-subject-flag.sh"));
    expect(diagnostics).toEqual([]);
    const expected: TokenRequest[] = [
      { file, line: 8, audience: AUDIENCE, assignedTo: "BUILDKITE_OIDC_TOKEN" },
      {
        file,
        line: 8,
        audience: AUDIENCE,
        subjectClaim: { raw: "${BUILDKITE_OIDC_SUBJECT_CLAIM}", variable: "BUILDKITE_OIDC_SUBJECT_CLAIM" },
        assignedTo: "BUILDKITE_OIDC_TOKEN",
      },
    ];
    expect(facts.tokenRequests).toEqual(expected);
    expect(facts.azLogins).toEqual([
      {
        file,
        line: 9,
        method: "federated-token",
        username: { raw: '"${AZURE_CLIENT_ID}"', variable: "AZURE_CLIENT_ID" },
        tenant: { raw: '"${AZURE_TENANT_ID}"', variable: "AZURE_TENANT_ID" },
      },
    ]);
  });

  it("joins the values of every branch of if/elif/else, and the value before when a branch may not run", () => {
    const ifElse = ['F="--subject-claim pipeline_id"', 'if [ "$X" = a ]; then', '  F="--subject-claim organization_id"', "else", "  F=--subject-claim=cluster_id", "fi", "buildkite-agent oidc request-token $F"];
    // the else covers every case: the value before the if is gone
    expect(claims(ifElse.join("\n"))).toEqual(["organization_id", "cluster_id"]);
    const elif = ["F=", "if a; then F='--subject-claim a'", "elif b; then F='--subject-claim b'", "fi", "buildkite-agent oidc request-token $F"];
    expect(claims(elif.join("\n"))).toEqual([undefined, "a", "b"]);
    // nested: the inner if may not run
    const nested = ["F=", "if a; then", "  F='--lifetime 60'", "  if b; then F='--subject-claim x'; fi", "fi", "buildkite-agent oidc request-token $F"];
    expect(read(nested.join("\n")).facts.tokenRequests.map((r) => [r.subjectClaim?.raw, r.lifetime?.raw])).toEqual([
      [undefined, undefined],
      [undefined, "60"],
      ["x", undefined],
    ]);
  });

  it("joins the values of case branches, with the value before unless a `*)` branch is there", () => {
    const withDefault = ['case "$BUILDKITE_BRANCH" in', "  main) CLAIM_ARGS='--subject-claim pipeline_id' ;;", "  release/*|hotfix) CLAIM_ARGS='--subject-claim organization_id';;", "  *) CLAIM_ARGS= ;;", "esac", "buildkite-agent oidc request-token $CLAIM_ARGS"];
    expect(claims(withDefault.join("\n"))).toEqual(["pipeline_id", "organization_id", undefined]);
    const without = ["A='--subject-claim before'", 'case "$1" in', "  x) A='--subject-claim x' ;;", "esac", "buildkite-agent oidc request-token $A"];
    expect(claims(without.join("\n"))).toEqual(["before", "x"]);
  });

  it("reads && and || assignments as ones that may not run", () => {
    const text = ["F=''", '[ -n "${CLAIM:-}" ] && F="--subject-claim=$CLAIM"', "buildkite-agent oidc request-token $F"].join("\n");
    expect(read(text).facts.tokenRequests.map((r) => r.subjectClaim)).toEqual([undefined, { raw: "$CLAIM", variable: "CLAIM" }]);
    expect(claims("F='--subject-claim a'\ntrue || F='--subject-claim b'\nbuildkite-agent oidc request-token $F")).toEqual(["a", "b"]);
    expect(claims("F=''\nfalse && { F='--subject-claim g'; }\nbuildkite-agent oidc request-token $F")).toEqual([undefined, "g"]);
    // `X=1 && …`: the first command of a list always runs
    expect(claims("F='--subject-claim a' && true\nbuildkite-agent oidc request-token $F")).toEqual(["a"]);
  });

  it("reads arrays: (…), +=(…), \"${A[@]}\", ${A[*]} and $A", () => {
    const text = [
      'ARGS=(--audience "api://AzureADTokenExchange")', // 1
      'ARGS+=(--subject-claim "$CLAIM")', // 2
      'buildkite-agent oidc request-token "${ARGS[@]}"', // 3
      "buildkite-agent oidc request-token ${ARGS[*]}", // 4
      "S=(--subject-claim=x --lifetime=9)", // 5
      "buildkite-agent oidc request-token $S", // 6: the first element only
    ].join("\n");
    const r = read(text);
    expect(r.diagnostics).toEqual([]);
    const full = { audience: { raw: "api://AzureADTokenExchange", literal: "api://AzureADTokenExchange" }, subjectClaim: { raw: "$CLAIM", variable: "CLAIM" } };
    expect(r.facts.tokenRequests).toEqual([
      { file, line: 3, ...full },
      { file, line: 4, ...full },
      { file, line: 6, subjectClaim: { raw: "x", literal: "x" } },
    ]);
    // `$ARGS` alone is `--audience`, without its value
    expect(messages(`${text}\nbuildkite-agent oidc request-token $ARGS`)).toEqual([[7, "buildkite-agent oidc request-token: --audience has no value"]]);
    // an element with a blank stays one word when quoted; an empty array gives no word
    const quoted = ["A=('--lifetime' \"6 0\")", 'E=()', 'buildkite-agent oidc request-token "${A[@]}" "${E[@]}"'].join("\n");
    expect(read(quoted).facts.tokenRequests.map((q) => q.lifetime)).toEqual([{ raw: "6 0", literal: "6 0" }]);
  });

  it("reads an array built up in a conditional", () => {
    const text = [
      "args=(--audience api://AzureADTokenExchange)",
      'if [[ -n "${BUILDKITE_OIDC_SUBJECT_CLAIM:-}" ]]; then',
      '  args+=(--subject-claim "${BUILDKITE_OIDC_SUBJECT_CLAIM}")',
      "fi",
      'TOKEN=$(buildkite-agent oidc request-token "${args[@]}")',
      'az login --service-principal -u "$AZURE_CLIENT_ID" -t "$AZURE_TENANT_ID" --federated-token "$TOKEN"',
    ].join("\n");
    const r = read(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.facts.tokenRequests.map((q) => [q.line, q.audience?.literal, q.subjectClaim, q.assignedTo])).toEqual([
      [5, "api://AzureADTokenExchange", undefined, "TOKEN"],
      [5, "api://AzureADTokenExchange", { raw: "${BUILDKITE_OIDC_SUBJECT_CLAIM}", variable: "BUILDKITE_OIDC_SUBJECT_CLAIM" }, "TOKEN"],
    ]);
  });

  it("reads ${X:+…} of a variable the script does not set as present or absent", () => {
    expect(claims('buildkite-agent oidc request-token ${CLAIM:+--subject-claim "$CLAIM"}')).toEqual([undefined, "$CLAIM"]);
    expect(read('buildkite-agent oidc request-token ${CLAIM:+--subject-claim "$CLAIM"}').diagnostics).toEqual([]);
  });

  it("still reports an expansion whose values are not known", () => {
    const gap = (x: string): [number, string] => [2, `buildkite-agent oidc request-token: the arguments in \`${x}\` are only known at run time; flags they add are not read`];
    // from a command
    expect(messages('FLAGS="$(cat flags.txt)"\nbuildkite-agent oidc request-token $FLAGS')).toEqual([gap("$FLAGS")]);
    // from the environment (possibly), in one branch
    expect(messages("if a; then F='--lifetime 60'; fi\nbuildkite-agent oidc request-token $F")).toEqual([gap("$F")]);
    // built on itself in a loop
    expect(messages("F=''\nfor c in a b; do F=\"$F --claim $c\"; done; buildkite-agent oidc request-token $F")).toEqual([gap("$F")]);
    // read from input
    expect(messages("F=''; read -r F\nbuildkite-agent oidc request-token $F")).toEqual([gap("$F")]);
    // a quoted expansion is one word whatever it holds: nothing to report
    expect(messages('F="$(cat f)"\nbuildkite-agent oidc request-token --audience x "$F"')).toEqual([]);
  });

  it("says so when the arguments take more than 16 forms", () => {
    const lines = ["A=; B=; C=; D=; E="];
    for (const v of ["A", "B", "C", "D", "E"]) lines.push(`if x; then ${v}='--claim ${v.toLowerCase()}'; fi`);
    lines.push("buildkite-agent oidc request-token $A $B $C $D $E");
    const r = read(lines.join("\n"));
    expect(r.diagnostics.map((d) => [d.line, d.message])).toEqual([[7, "buildkite-agent oidc request-token: its arguments may take more than 16 forms (at `$E`); flags they add are not read"]]);
    expect(r.facts.tokenRequests).toHaveLength(1);
    // 16 forms are read
    expect(read(lines.join("\n").replace(" $E", "")).facts.tokenRequests.map((q) => q.line)).toEqual([7]);
    expect(read(lines.join("\n").replace(" $E", "")).diagnostics).toEqual([]);
  });

  it("keeps assignments in subshells and pipelines out, and joins function bodies with the value before", () => {
    expect(claims("F='--subject-claim a'\n( F='--subject-claim b' )\nbuildkite-agent oidc request-token $F")).toEqual(["a"]);
    expect(claims("F='--subject-claim a'\necho | F='--subject-claim b'\nbuildkite-agent oidc request-token $F")).toEqual(["a"]);
    expect(claims("F='--subject-claim a'\nF='--subject-claim b' true\nbuildkite-agent oidc request-token $F")).toEqual(["a"]);
    const fn = ["F='--subject-claim a'", "set_claim() {", "  F='--subject-claim b'", "}", "set_claim", "buildkite-agent oidc request-token $F"];
    expect(claims(fn.join("\n"))).toEqual(["a", "b"]);
    expect(claims("F=x\nunset F\nbuildkite-agent oidc request-token $F")).toEqual([undefined]);
    // keys of an associative array are not read
    expect(messages("declare -A M=([a]=--lifetime [b]=60)\nbuildkite-agent oidc request-token ${M[@]}")).toEqual([
      [2, "buildkite-agent oidc request-token: the arguments in `${M[@]}` are only known at run time; flags they add are not read"],
    ]);
  });

  it("reads values in pipeline commands ($$ escapes) and follows values into az login", () => {
    const step = ['CLAIM_FLAG="--subject-claim=organization_id"', "export TOKEN=$$(buildkite-agent oidc request-token $$CLAIM_FLAG)"].join("\n");
    const r = readShell(step, "p.yml", { pipelineEscapes: true, firstLine: 10 });
    expect(r.diagnostics).toEqual([]);
    expect(r.facts.tokenRequests.map((q) => [q.line, q.subjectClaim, q.assignedTo])).toEqual([[11, { raw: "organization_id", literal: "organization_id" }, "TOKEN"]]);
    const login = ['CRED=(--federated-token "$TOKEN")', 'az login --service-principal -u "$ID" -t t "${CRED[@]}"'].join("\n");
    expect(read(login).facts.azLogins.map((l) => [l.line, l.method])).toEqual([[2, "federated-token"]]);
    expect(read(login).diagnostics).toEqual([]);
  });
});

describe("client-secret variables that are only tested", () => {
  it("records no use for tests, lengths, checks, messages and unset", () => {
    const text = [
      'if [ -z "$AZURE_CLIENT_SECRET" ]; then', // 1
      '  echo "AZURE_CLIENT_SECRET is not set" >&2', // 2
      "  exit 1", // 3
      "fi", // 4
      '[[ -n "${ARM_CLIENT_SECRET:-}" ]] && echo "using a client secret"', // 5
      'test -n "$AZURE_CLIENT_SECRET" || exit 1', // 6
      'echo "secret length: ${#AZURE_CLIENT_SECRET}"', // 7
      ': "${ARM_CLIENT_SECRET:?ARM_CLIENT_SECRET must be set}"', // 8
      'echo "${AZURE_CLIENT_SECRET:+a secret is set}"', // 9
      "unset AZURE_CLIENT_SECRET ARM_CLIENT_SECRET", // 10
      "printf 'set AZURE_CLIENT_SECRET first\\n'", // 11
    ].join("\n");
    expect(read(text).facts.clientSecretUses).toEqual([]);
  });

  it("still records assignments, arguments, echoes of the value and secrets fetched", () => {
    const text = [
      'export AZURE_CLIENT_SECRET="$(buildkite-agent secret get azure-client-secret)"', // 1
      'az login --service-principal -u "$ID" -p "$AZURE_CLIENT_SECRET" -t t', // 2
      "terraform apply -var client_secret=$ARM_CLIENT_SECRET", // 3
      'echo "AZURE_CLIENT_SECRET is $AZURE_CLIENT_SECRET"', // 4: leaked to the log
      '[ -n "$(echo $ARM_CLIENT_SECRET)" ]', // 5: the echo inside uses it
    ].join("\n");
    expect(read(text).facts.clientSecretUses).toEqual([
      { file, line: 1, kind: "env-assignment", name: "AZURE_CLIENT_SECRET" },
      { file, line: 1, kind: "secret-get", name: "azure-client-secret" },
      { file, line: 2, kind: "env-reference", name: "AZURE_CLIENT_SECRET" },
      { file, line: 2, kind: "password-flag", name: "AZURE_CLIENT_SECRET" },
      { file, line: 3, kind: "env-reference", name: "ARM_CLIENT_SECRET" },
      { file, line: 4, kind: "env-reference", name: "AZURE_CLIENT_SECRET" },
      { file, line: 5, kind: "env-reference", name: "ARM_CLIENT_SECRET" },
    ]);
  });
});

describe("Windows paths in script calls", () => {
  it("reads `a\\b\\c.sh` with / separators, and nothing else that way", () => {
    const text = ["bash .buildkite\\steps\\tests.sh", ".buildkite\\steps\\build.sh --arg", 'bash "a\\b.sh"', "bash a\\ b.sh", "bash C:\\x\\y.sh", "bash .buildkite/steps/x.sh"].join("\n");
    expect(read(text).facts.scriptCalls).toEqual([
      { file, line: 1, path: ".buildkite/steps/tests.sh" },
      { file, line: 2, path: ".buildkite/steps/build.sh" },
      { file, line: 3, path: "a\\b.sh" },
      { file, line: 4, path: "a b.sh" },
      { file, line: 5, path: "C:xy.sh" },
      { file, line: 6, path: ".buildkite/steps/x.sh" },
    ]);
  });

  it("reads the Windows step of buildkite/agent's pipeline", () => {
    const path = resolve(SHARED, "corpus/realworld/buildkite+agent/.buildkite/pipeline.yml");
    const pipeline = readPipeline(readFileSync(path, "utf8"), ".buildkite/pipeline.yml");
    const steps = pipeline.pipeline?.steps ?? [];
    expect(steps.length).toBeGreaterThan(0);
    const calls = steps.flatMap((s) => s.commands.flatMap((c) => readShell(c.text, ".buildkite/pipeline.yml", { pipelineEscapes: true, firstLine: c.line }).facts.scriptCalls));
    const paths = calls.map((c) => c.path);
    expect(paths).toContain(".buildkite/steps/tests.sh");
    expect(paths.filter((p) => p.includes("\\") || p.includes("stepstests"))).toEqual([]);
  });
});

describe("commands whose words come from variables with known values", () => {
  const login = (r: ReturnType<typeof read>): [number, string, string | undefined, string | undefined][] =>
    r.facts.azLogins.map((l) => [l.line, l.method, l.password?.raw, l.tenant?.literal]);

  it("reads the subcommand and flags from an array expanded after the command name", () => {
    for (const use of ['az "${args[@]}"', "az ${args[*]}", "az ${args[@]}"]) {
      const r = read(`args=(login --service-principal -u app -p "$SP_SECRET" --tenant t)\n${use}`);
      expect(r.diagnostics, use).toEqual([]);
      expect(login(r), use).toEqual([[2, "password", "$SP_SECRET", "t"]]);
      expect(r.facts.clientSecretUses.map((u) => [u.line, u.kind, u.name]), use).toEqual([[2, "password-flag", "SP_SECRET"]]);
    }
    const role = read("R=(role assignment create --role Owner --scope /subscriptions/s --assignee x)\naz ${R[@]}");
    expect(role.facts.roleAssignments.map((x) => [x.line, x.role?.literal, x.scope?.literal])).toEqual([[2, "Owner", "/subscriptions/s"]]);
  });

  it("reads a command named by a variable, with one fact per value", () => {
    expect(login(read('AZ=az\n$AZ login --service-principal -u app -p "$S" --tenant t'))).toEqual([[2, "password", '"$S"', "t"]]);
    expect(login(read('AZ=/usr/bin/az\n"$AZ" login --identity'))).toEqual([[2, "identity", undefined, undefined]]);
    expect(login(read('cmd=(az login -p "$S")\n"${cmd[@]}"'))).toEqual([[2, "password", "$S", undefined]]);
    expect(login(read('cmd=(sudo az login -p "$S")\n"${cmd[@]}"'))).toEqual([[2, "password", "$S", undefined]]);
    const two = read("if x; then L='az login --identity'; else L='az login -p p'; fi\n$L");
    expect(login(two)).toEqual([
      [2, "identity", undefined, undefined],
      [2, "password", "p", undefined],
    ]);
    expect(two.diagnostics).toEqual([]);
    const req = read("T=(buildkite-agent oidc request-token --audience a)\nTOKEN=$(\"${T[@]}\")");
    expect(req.facts.tokenRequests.map((q) => [q.line, q.audience?.literal, q.assignedTo])).toEqual([[2, "a", "TOKEN"]]);
  });

  it("still reports a command word or arguments whose values are not known", () => {
    expect(messages('AZ="$(command -v az)"\n"$AZ" login -p x')).toEqual([]);
    expect(messages("args=(login -p x)\nread -r -a args\naz ${args[@]}")).toEqual([[3, "az: the subcommand in `${args[@]}` is only known at run time; what it runs is not read"]]);
    expect(messages('buildkite-agent oidc "$@"')).toEqual([[1, 'buildkite-agent: the subcommand in `"$@"` is only known at run time; what it runs is not read']]);
    expect(messages("az group create $ARGS")).toEqual([]);
  });
});

describe("eval of a variable with known values", () => {
  it("reads the value as shell text at the eval's line", () => {
    const r = read('CMD="az login --service-principal -u app -p $SP_SECRET --tenant t"\necho hi\neval "$CMD"');
    expect(r.diagnostics).toEqual([]);
    expect(r.facts.azLogins.map((l) => [l.line, l.method, l.password?.raw, l.tenant?.literal])).toEqual([[3, "password", "$SP_SECRET", "t"]]);
    expect(r.facts.clientSecretUses.map((u) => [u.line, u.kind, u.name])).toEqual([[3, "password-flag", "SP_SECRET"]]);
    // quotes inside the value are read again; several words are joined
    const q = read("C='buildkite-agent oidc request-token --audience \"a b\"'\nT=$(eval $C)");
    expect(q.facts.tokenRequests.map((x) => [x.line, x.audience?.literal, x.assignedTo])).toEqual([[2, "a b", "T"]]);
    // one read per value
    expect(read("if x; then C='az login --identity'; else C='az login -p p'; fi\neval \"$C\"").facts.azLogins.map((l) => l.method)).toEqual(["identity", "password"]);
  });

  it("stays silent on values that are not known", () => {
    const r = read('CMD="$(cat cmd.txt)"\neval "$CMD"\neval "$FROM_ENV"');
    expect(r.diagnostics).toEqual([]);
    expect(r.facts.azLogins).toEqual([]);
  });
});

describe("for-loop variables", () => {
  const values = (text: string): [number, string, string | undefined][] => read(text).facts.assignments.map((a) => [a.line, a.name, a.value.literal]);

  it("take the listed words", () => {
    expect(values("for y in a 'b c'; do\n  ./.buildkite/$y.sh\ndone")).toEqual([
      [1, "y", "a"],
      [1, "y", "b c"],
    ]);
    expect(values('arr=(x "y z")\nfor v in "${arr[@]}"; do echo "$v"; done').filter((a) => a[1] === "v")).toEqual([
      [2, "v", "x"],
      [2, "v", "y z"],
    ]);
    // and are read as values where they are used
    expect(read("for f in --identity; do az login $f; done").facts.azLogins.map((l) => l.method)).toEqual(["identity"]);
  });

  it("stay unknown for globs, brace expansions, positional parameters and unknown lists", () => {
    expect(values("for f in *.sh; do ./$f; done")).toEqual([]);
    expect(values("for f in {a,b}; do ./$f; done")).toEqual([]);
    expect(values("for f; do ./$f; done")).toEqual([]);
    expect(values("for f in $(ls); do ./$f; done")).toEqual([]);
    expect(messages("for f in $(cat flags); do az login $f; done")).toEqual([[1, "az login: the arguments in `$f` are only known at run time; flags they add are not read"]]);
  });

  it("stop at 16 values", () => {
    const words = Array.from({ length: 17 }, (_, i) => `w${i}`).join(" ");
    expect(values(`for f in ${words}; do ./$f.sh; done`)).toEqual([]);
    expect(values(`for f in ${words.replace(" w16", "")}; do ./$f.sh; done`)).toHaveLength(16);
  });
});
