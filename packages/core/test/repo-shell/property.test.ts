import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OPS_BASE, OPS_PER_CHAR, readShell, readShellCounted } from "../../src/repo/shell/read-shell.ts";
import { allLines, FIXTURES, fixture, lineCount } from "./helpers.ts";

/**
 * The work readShell does is linear in practice: a small constant per character. (Its hard limit,
 * OPS_PER_CHAR per character, is far above this; reaching it would show as a diagnostic.)
 */
const PRACTICAL_OPS_PER_CHAR = 32;
const PRACTICAL_OPS_BASE = 4096;

interface Checked {
  operations: number;
  lines: number[];
}

/** Reads `text` and checks what must hold for every input. */
function check(text: string, pipelineEscapes: boolean, firstLine: number): Checked {
  let result: ReturnType<typeof readShellCounted> | undefined;
  expect(() => {
    result = readShellCounted(text, "x.sh", { pipelineEscapes, firstLine });
  }).not.toThrow();
  if (!result) throw new Error("no result");
  const last = firstLine + lineCount(text) - 1;
  const lines = allLines(result);
  for (const line of lines) {
    expect(Number.isInteger(line)).toBe(true);
    expect(line).toBeGreaterThanOrEqual(firstLine);
    expect(line).toBeLessThanOrEqual(last);
  }
  for (const d of result.diagnostics) {
    expect(d.file).toBe("x.sh");
    expect(d.message).not.toMatch(/^internal error/);
    expect(d.message).not.toMatch(/^reading stopped/);
  }
  expect(result.operations).toBeLessThanOrEqual(PRACTICAL_OPS_PER_CHAR * text.length + PRACTICAL_OPS_BASE);
  expect(result.operations).toBeLessThanOrEqual(2 * (OPS_PER_CHAR * text.length + OPS_BASE));
  return { operations: result.operations, lines };
}

/** Pieces of shell, valid and broken, that exercise every part of the reader. */
const FRAGMENTS = [
  "buildkite-agent oidc request-token",
  " --audience ",
  " --audience=",
  " --subject-claim ",
  "api://AzureADTokenExchange",
  "az login",
  " --service-principal",
  " -p ",
  " --federated-token ",
  " --identity",
  "az role assignment create --role Owner --scope ",
  "buildkite-agent secret get azure-client-secret",
  "buildkite-agent meta-data set k ",
  "buildkite-agent artifact upload ",
  "buildkite-agent pipeline upload",
  "$AZURE_CLIENT_SECRET",
  "${ARM_CLIENT_SECRET}",
  "export ",
  "local ",
  "T=",
  "$T",
  '"$T"',
  "${T:-d}",
  "${",
  "}",
  "$(",
  ")",
  "(",
  "`",
  "\\`",
  "'",
  '"',
  "$'",
  "\\",
  "\\\n",
  "\n",
  "\r\n",
  " ",
  "\t",
  "#",
  "# az login -p x\n",
  ";",
  ";;",
  "&&",
  "||",
  "|",
  "&",
  " > f",
  " >> $BUILDKITE_ENV_FILE",
  " | tee t.jwt",
  " 2>&1",
  "<<EOF\n",
  "<<-'EOF'\n",
  "\tEOF\n",
  "EOF\n",
  "<<<",
  "<(",
  "case x in",
  " a|b) ",
  "esac",
  "((",
  "))",
  "$((",
  "[[",
  "]]",
  "f() {",
  "function g {",
  "if ",
  "then ",
  "fi",
  "for i in ",
  "do ",
  "done",
  "bash -c '",
  "eval ",
  "source ",
  "./x.sh",
  "sudo ",
  "env A=1 ",
  "=",
  "X=(",
  "@(",
  "$$",
  "$#",
  "*.jwt",
  "**/",
];

const shellChars = fc.constantFrom(..."$(){}[]'\"`\\\n\r\t #;|&<>=!@*?-_abzAZ09./:");
const escapes = fc.boolean();
const firstLine = fc.integer({ min: 1, max: 1000 });

describe("readShell on any input", () => {
  it("never throws, stays within its lines and its bound on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), escapes, firstLine, (text, pe, fl) => {
        check(text, pe, fl);
      }),
      { numRuns: 1500 },
    );
  });

  it("… on strings of shell punctuation", () => {
    fc.assert(
      fc.property(fc.string({ unit: shellChars, maxLength: 400 }), escapes, firstLine, (text, pe, fl) => {
        check(text, pe, fl);
      }),
      { numRuns: 3000 },
    );
  });

  it("… on random concatenations of shell fragments", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 80 }), escapes, firstLine, (parts, pe, fl) => {
        check(parts.join(""), pe, fl);
      }),
      { numRuns: 3000 },
    );
  });

  it("… on every truncation of the fixtures", () => {
    for (const name of FIXTURES) {
      const text = fixture(name);
      for (let i = 0; i <= text.length; i++) {
        check(text.slice(0, i), false, 1);
        check(text.slice(i), i % 2 === 0, 7);
      }
    }
  });

  it("… on deeply nested and repeated constructs", () => {
    for (const n of [1, 10, 100, 2000]) {
      for (const piece of ["$(", '"$(', "${a:-", "`", "\\`", "(", "((", "$((", "a=(", "@(", "<<E\n", "$'", "case x in\n", "[[ ", "{ ", "f() { ", "| ", "T=$(buildkite-agent oidc request-token)\n"]) {
        check(piece.repeat(n), false, 1);
        check(piece.repeat(n) + ")".repeat(n), true, 1);
      }
    }
  });

  it("reads a leading comment line as nothing but a line", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }), escapes, (parts, pe) => {
        const text = parts.join("");
        const shifted = readShell(text, "x.sh", { pipelineEscapes: pe, firstLine: 2 });
        const commented = readShell("# az login -p hunter2 --service-principal\n" + text, "x.sh", { pipelineEscapes: pe });
        expect(commented).toEqual(shifted);
      }),
      { numRuns: 1000 },
    );
  });

  it("moves every line by firstLine and nothing else", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }), escapes, firstLine, (parts, pe, fl) => {
        const text = parts.join("");
        const base = readShell(text, "x.sh", { pipelineEscapes: pe });
        const moved = readShell(text, "x.sh", { pipelineEscapes: pe, firstLine: fl });
        const shift = <T extends { line: number }>(xs: T[]): T[] => xs.map((x) => ({ ...x, line: x.line + fl - 1 }));
        expect(moved.diagnostics).toEqual(shift(base.diagnostics));
        expect(moved.facts.tokenRequests).toEqual(shift(base.facts.tokenRequests));
        expect(moved.facts.azLogins).toEqual(shift(base.facts.azLogins));
        expect(moved.facts.clientSecretUses).toEqual(shift(base.facts.clientSecretUses));
        expect(moved.facts.tokenSinks).toEqual(shift(base.facts.tokenSinks));
        expect(moved.facts.assignments).toEqual(shift(base.facts.assignments));
      }),
      { numRuns: 500 },
    );
  });

  it("never records a secret's value", () => {
    fc.assert(
      fc.property(fc.constantFrom("-p", "--password", "--secret"), fc.constantFrom("", "'", '"'), (flag, q) => {
        const r = readShell(`AZURE_CLIENT_SECRET=Sup3rS3cr3tValue az login --service-principal -u app ${flag} ${q}Sup3rS3cr3tValue${q} -t t`, "x.sh");
        expect(r.facts.azLogins[0]?.method).toBe("password");
        expect(JSON.stringify(r.facts.clientSecretUses)).not.toContain("Sup3rS3cr3tValue");
        expect(JSON.stringify(r.facts.assignments)).not.toContain("Sup3rS3cr3tValue");
        // the password is only kept as written, never as a literal value
        expect(r.facts.azLogins[0]?.password).toEqual({ raw: `${q}Sup3rS3cr3tValue${q}` });
      }),
    );
  });

  it("tolerates values that are not what the types say", () => {
    const bad = [undefined, null, 42, {}] as unknown as string[];
    for (const v of bad) {
      expect(() => readShell(v, v)).not.toThrow();
      expect(readShell(v, "x.sh", { firstLine: Number.NaN }).diagnostics).toEqual([]);
    }
    expect(readShell("az login --identity", "x.sh", { firstLine: -3 }).facts.azLogins[0]?.line).toBe(1);
    expect(readShell("az login --identity", "x.sh", { firstLine: 2.5 }).facts.azLogins[0]?.line).toBe(1);
  });
});
