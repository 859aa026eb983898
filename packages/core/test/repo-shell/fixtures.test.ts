import { describe, expect, it } from "vitest";
import { readShell } from "../../src/repo/shell/read-shell.ts";
import { fixture, read } from "./helpers.ts";

const file = "f.sh";

describe("readShell on realistic scripts", () => {
  it("reads the migrated az-login-oidc.sh pattern", () => {
    const { facts, diagnostics } = read(fixture("az-login-oidc.sh"));
    expect(diagnostics).toEqual([]);
    expect(facts.tokenRequests).toEqual([
      {
        file,
        line: 4,
        audience: { raw: "api://AzureADTokenExchange", literal: "api://AzureADTokenExchange" },
        subjectClaim: { raw: '"$SUBJECT_CLAIM"', variable: "SUBJECT_CLAIM" },
        assignedTo: "token",
      },
    ]);
    expect(facts.azLogins).toEqual([
      {
        file,
        line: 5,
        method: "federated-token",
        username: { raw: '"$AZURE_CLIENT_ID"', variable: "AZURE_CLIENT_ID" },
        tenant: { raw: '"$AZURE_TENANT_ID"', variable: "AZURE_TENANT_ID" },
      },
    ]);
    expect(facts.assignments).toEqual([
      {
        file,
        line: 3,
        name: "SUBJECT_CLAIM",
        value: { raw: '"${BUILDKITE_OIDC_SUBJECT_CLAIM:-pipeline_id}"', variable: "BUILDKITE_OIDC_SUBJECT_CLAIM", fallback: "pipeline_id" },
      },
      {
        file,
        line: 4,
        name: "token",
        value: { raw: '"$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange --subject-claim "$SUBJECT_CLAIM")"' },
      },
    ]);
    expect(facts.clientSecretUses).toEqual([]);
    expect(facts.tokenSinks).toEqual([]);
    expect(facts.roleAssignments).toEqual([]);
    expect(facts.scriptCalls).toEqual([]);
    expect(facts.pipelineUploads).toEqual([]);
  });

  it("reads a legacy client-secret login", () => {
    const { facts, diagnostics } = read(fixture("legacy-client-secret.sh"));
    expect(diagnostics).toEqual([]);
    // the comment on line 3 and the echoed string on line 7 are not commands
    expect(facts.azLogins).toEqual([
      {
        file,
        line: 8,
        method: "password",
        username: { raw: '"$ARM_CLIENT_ID"', variable: "ARM_CLIENT_ID" },
        password: { raw: '"$ARM_CLIENT_SECRET"' },
        tenant: { raw: '"$ARM_TENANT_ID"', variable: "ARM_TENANT_ID" },
      },
    ]);
    expect(facts.clientSecretUses).toEqual([
      { file, line: 6, kind: "env-assignment", name: "AZURE_CLIENT_SECRET" },
      { file, line: 6, kind: "secret-get", name: "azure-client-secret" },
      { file, line: 8, kind: "env-reference", name: "ARM_CLIENT_SECRET" },
      { file, line: 8, kind: "password-flag", name: "ARM_CLIENT_SECRET" },
    ]);
    expect(facts.assignments).toEqual([{ file, line: 6, name: "AZURE_CLIENT_SECRET", value: { raw: "$(buildkite-agent secret get azure-client-secret)" } }]);
    expect(facts.tokenRequests).toEqual([]);
    expect(JSON.stringify(facts)).not.toContain("hunter2");
  });

  it("reads a token shared through a file, artifacts, meta-data and the env file", () => {
    const { facts, diagnostics } = read(fixture("share-token.sh"));
    expect(diagnostics).toEqual([]);
    expect(facts.tokenRequests).toEqual([
      {
        file,
        line: 4,
        audience: { raw: "api://AzureADTokenExchange", literal: "api://AzureADTokenExchange" },
        lifetime: { raw: "900", literal: "900" },
        writtenTo: "tmp/oidc-token.jwt",
      },
      { file, line: 9, audience: { raw: "api://AzureADTokenExchange", literal: "api://AzureADTokenExchange" }, assignedTo: "TOKEN" },
    ]);
    expect(facts.tokenSinks).toEqual([
      { file, line: 4, kind: "file", target: "tmp/oidc-token.jwt", via: "oidc request-token" },
      { file, line: 7, kind: "artifact", target: "tmp/*.jwt", via: "oidc request-token" },
      { file, line: 10, kind: "meta-data", target: "azure-oidc-token", via: "TOKEN" },
      { file, line: 11, kind: "file", target: "shared/token.txt", via: "TOKEN" },
      { file, line: 12, kind: "artifact", target: "shared/token.txt", via: "TOKEN" },
      { file, line: 13, kind: "environment-file", target: "$BUILDKITE_ENV_FILE", via: "TOKEN" },
    ]);
  });

  it("reads role assignments, on one line and continued over several", () => {
    const { facts, diagnostics } = read(fixture("grant-owner.sh"));
    expect(diagnostics).toEqual([]);
    expect(facts.roleAssignments).toEqual([
      {
        file,
        line: 4,
        role: { raw: "Owner", literal: "Owner" },
        scope: { raw: "/subscriptions/00000000-0000-0000-0000-000000000000", literal: "/subscriptions/00000000-0000-0000-0000-000000000000" },
        assignee: { raw: '"$PRINCIPAL_ID"', variable: "PRINCIPAL_ID" },
      },
      {
        file,
        line: 5,
        role: { raw: '"Storage Blob Data Contributor"', literal: "Storage Blob Data Contributor" },
        scope: { raw: '"/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-app"' },
        assignee: { raw: '"$APP_ID"', variable: "APP_ID" },
      },
    ]);
  });

  it("does not take comments, strings or here-document text for commands", () => {
    const { facts, diagnostics } = read(fixture("noise.sh"));
    expect(diagnostics).toEqual([]);
    // the only command: `az login \ --identity \ …` starting on line 13
    expect(facts.azLogins).toEqual([{ file, line: 13, method: "identity" }]);
    expect(facts.tokenRequests).toEqual([]);
    expect(facts.tokenSinks).toEqual([]);
    // an unquoted here-document expands its variables: `cat <<-EOF` on line 9 prints the secret
    expect(facts.clientSecretUses).toEqual([{ file, line: 9, kind: "env-reference", name: "ARM_CLIENT_SECRET" }]);
  });

  it("reads Terraform's ARM_OIDC_TOKEN from a pipeline step with $$ escapes", () => {
    const step = [
      'export ARM_OIDC_TOKEN="$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange)"',
      "export ARM_USE_OIDC=true",
      "terraform -chdir=infra init && terraform -chdir=infra apply -auto-approve",
    ].join("\n");
    const { facts, diagnostics } = readShell(step, ".buildkite/pipeline.yml", { pipelineEscapes: true, firstLine: 21 });
    expect(diagnostics).toEqual([]);
    expect(facts.tokenRequests).toEqual([
      {
        file: ".buildkite/pipeline.yml",
        line: 21,
        audience: { raw: "api://AzureADTokenExchange", literal: "api://AzureADTokenExchange" },
        assignedTo: "ARM_OIDC_TOKEN",
      },
    ]);
    expect(facts.assignments).toEqual([
      {
        file: ".buildkite/pipeline.yml",
        line: 21,
        name: "ARM_OIDC_TOKEN",
        value: { raw: '"$$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange)"' },
      },
      { file: ".buildkite/pipeline.yml", line: 22, name: "ARM_USE_OIDC", value: { raw: "true", literal: "true" } },
    ]);
    // read as a plain script, `$$` is the shell's PID and there is no command substitution
    expect(readShell(step, "x.sh").facts.tokenRequests).toEqual([]);
  });

  it("records a pipeline step reading its own variable with `$X` (interpolated at upload) as a fact, not a gap", () => {
    const step = [
      "TOKEN=$$(buildkite-agent oidc request-token)",
      'az login --service-principal -u "$$CLIENT_ID" -t "$$TENANT" --federated-token "$TOKEN"',
      'echo "${TOKEN}" "\\$TOKEN" "$$TOKEN" "$CLIENT_ID"',
    ].join("\n");
    const { facts, diagnostics } = readShell(step, "p.yml", { pipelineEscapes: true, firstLine: 5 });
    expect(facts.azLogins.map((l) => [l.line, l.method])).toEqual([[6, "federated-token"]]);
    expect(diagnostics).toEqual([]);
    // only variables the commands set; `$$X` and `\$X` reach the shell
    expect(facts.uploadInterpolations).toEqual([
      { file: "p.yml", line: 6, name: "TOKEN", raw: "$TOKEN" },
      { file: "p.yml", line: 7, name: "TOKEN", raw: "${TOKEN}" },
    ]);
    // a script file has no upload-time interpolation
    expect(readShell(step.replace(/\$\$/g, "$"), "x.sh").facts.uploadInterpolations).toEqual([]);
  });

  it("reads a deploy script with functions, wrappers, script calls and uploads", () => {
    const text = [
      "#!/usr/bin/env bash", // 1
      "set -euo pipefail", // 2
      'source "$(dirname "$0")/lib/common.sh"', // 3
      "login() {", // 4
      '  local assertion', // 5
      '  assertion=$(buildkite-agent oidc request-token --audience "${AUDIENCE:-api://AzureADTokenExchange}" --subject-claim=cluster_id)', // 6
      '  az login --service-principal --username "$1" --tenant "$2" --federated-token "$assertion" >/dev/null', // 7
      "}", // 8
      'case "${BUILDKITE_BRANCH}" in', // 9
      '  main) login "$PROD_CLIENT_ID" "$TENANT" ;;', // 10
      '  *) login "$DEV_CLIENT_ID" "$TENANT" ;;', // 11
      "esac", // 12
      "if ! ./scripts/smoke-test.sh; then exit 1; fi", // 13
      "bash .buildkite/steps/deploy.sh \\", // 14
      "  --env prod", // 15
      ".buildkite/pipeline.sh | buildkite-agent pipeline upload", // 16
      "buildkite-agent pipeline upload .buildkite/deploy.yml --replace", // 17
    ].join("\n");
    const { facts, diagnostics } = read(text);
    expect(diagnostics).toEqual([]);
    expect(facts.tokenRequests).toEqual([
      {
        file,
        line: 6,
        audience: { raw: '"${AUDIENCE:-api://AzureADTokenExchange}"', variable: "AUDIENCE", fallback: "api://AzureADTokenExchange" },
        subjectClaim: { raw: "cluster_id", literal: "cluster_id" },
        assignedTo: "assertion",
      },
    ]);
    expect(facts.azLogins).toEqual([
      { file, line: 7, method: "federated-token", username: { raw: '"$1"' }, tenant: { raw: '"$2"' } },
    ]);
    expect(facts.scriptCalls).toEqual([
      { file, line: 3, path: '$(dirname "$0")/lib/common.sh' },
      { file, line: 13, path: "./scripts/smoke-test.sh" },
      { file, line: 14, path: ".buildkite/steps/deploy.sh" },
      { file, line: 16, path: ".buildkite/pipeline.sh" },
    ]);
    expect(facts.pipelineUploads).toEqual([
      { file, line: 16, path: "-" },
      { file, line: 17, path: ".buildkite/deploy.yml" },
    ]);
  });
});
