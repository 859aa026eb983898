import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readTerraformCloudSubject } from "../../src/issuers/terraform-cloud.ts";

describe("Terraform Cloud", () => {
  it("reads workspace runs, with the Default Project, and Stack deployments", () => {
    expect(readTerraformCloudSubject("organization:acme:project:Default Project:workspace:infra-prod:run_phase:apply")).toEqual({
      subject: { organization: "acme", project: "Default Project", workspace: "infra-prod", runPhase: "apply" },
    });
    expect(readTerraformCloudSubject("organization:acme:project:p:stack:net:deployment:prod:operation:plan")).toEqual({
      subject: { organization: "acme", project: "p", stack: "net", deployment: "prod", runPhase: "plan" },
    });
    expect(readTerraformCloudSubject("organization:acme:workspace:w:run_phase:plan")).toMatchObject({ subject: { workspace: "w" }, legacy: true });
  });
  it.each([
    ["organization:o:project:p:workspace:w:run_phase:*", /contains '\*'/],
    ["organization:o:project:p:workspace:w:run_phase:destroy", /run_phase 'destroy' is not one/],
    ["organization:o:project:p:workspace:w:run_phase:Apply", /spelt 'apply'/],
    ["Organization:o:project:p:workspace:w:run_phase:plan", /spelt 'organization'/],
    ["organization:o:project::workspace:w:run_phase:plan", /empty part/],
    ["organization:o:project:p:workspace:w", /is not organization:O:project/],
    ["organization:o:project:p:workspace:w:run_phase:plan:extra", /is not organization:O:project/],
    ["workspace:w", /does not start with organization/],
  ])("reports %s", (subject, problem) => {
    expect(readTerraformCloudSubject(subject).problem).toMatch(problem);
  });
});

describe("hostile input", () => {
  it("reads a 10 kB subject and one of many colons", () => {
    expect(typeof readTerraformCloudSubject("x".repeat(10_000))).toBe("object");
    expect(typeof readTerraformCloudSubject(":".repeat(10_000))).toBe("object");
    expect(typeof readTerraformCloudSubject(`${"organization"}:${"a/b:".repeat(2_500)}`)).toBe("object");
  });
  it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom("", "project_path:g/p:", "organization:o:project:p:", "sc://o/", "system:serviceaccount:"), (s, prefix) => {
        expect(typeof readTerraformCloudSubject(prefix + s)).toBe("object");
      }),
      { numRuns: 300 },
    );
  });
});
