import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readAzureDevOpsSubject } from "../../src/issuers/azure-devops.ts";

describe("Azure DevOps", () => {
  it("reads both forms", () => {
    expect(readAzureDevOpsSubject("sc://contoso/web/deploy/prod")).toEqual({ subject: { organization: "contoso", project: "web", connection: "deploy/prod" } });
    const org = "0b8e4e7c-3a4b-4c8f-9a1e-2f3d4c5b6a7e";
    const sc = "1b8e4e7c-3a4b-4c8f-9a1e-2f3d4c5b6a7e";
    expect(readAzureDevOpsSubject(`/eid1/c/pub/t/abc_-/a/rISbSSETf0KqFyZ8ppdXmA/sc/${org}/${sc}`).subject).toEqual({
      organization: org,
      project: "",
      connection: sc,
      organizationId: org,
      serviceConnectionId: sc,
    });
  });
  it.each([
    ["SC://contoso/web/conn", /spelt 'sc:\/\/'/],
    ["sc://contoso/web", /a part is empty or missing/],
    ["sc:///web/conn", /a part is empty or missing/],
    ["sc://contoso/web/*", /contains '\*'/],
    ["contoso/web/conn", /neither sc:/],
  ])("reports %s", (subject, problem) => {
    expect(readAzureDevOpsSubject(subject).problem).toMatch(problem);
  });
});

describe("hostile input", () => {
  it("reads a 10 kB subject and one of many colons", () => {
    expect(typeof readAzureDevOpsSubject("x".repeat(10_000))).toBe("object");
    expect(typeof readAzureDevOpsSubject(":".repeat(10_000))).toBe("object");
    expect(typeof readAzureDevOpsSubject(`${"sc"}:${"a/b:".repeat(2_500)}`)).toBe("object");
  });
  it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom("", "project_path:g/p:", "organization:o:project:p:", "sc://o/", "system:serviceaccount:"), (s, prefix) => {
        expect(typeof readAzureDevOpsSubject(prefix + s)).toBe("object");
      }),
      { numRuns: 300 },
    );
  });
});
