import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readKubernetesSubject } from "../../src/issuers/kubernetes.ts";

describe("Kubernetes", () => {
  it("reads system:serviceaccount:NS:SA", () => {
    expect(readKubernetesSubject("system:serviceaccount:payments:deployer.v2")).toEqual({ subject: { namespace: "payments", serviceAccount: "deployer.v2" } });
  });
  it.each([
    ["system:serviceaccount:ns:*", /contains '\*'/],
    ["System:ServiceAccount:ns:sa", /spelt 'system:serviceaccount:'/],
    ["system:serviceaccount:ns", /no namespace or no service account/],
    ["system:serviceaccount::sa", /no namespace or no service account/],
    ["system:serviceaccount:Payments:sa", /namespace 'Payments' is not a Kubernetes name/],
    ["system:serviceaccount:ns:sa:extra", /service account 'sa:extra' is not a Kubernetes name/],
    ["serviceaccount:ns:sa", /not system:serviceaccount/],
  ])("reports %s", (subject, problem) => {
    expect(readKubernetesSubject(subject).problem).toMatch(problem);
  });
});

describe("hostile input", () => {
  it("reads a 10 kB subject and one of many colons", () => {
    expect(typeof readKubernetesSubject("x".repeat(10_000))).toBe("object");
    expect(typeof readKubernetesSubject(":".repeat(10_000))).toBe("object");
    expect(typeof readKubernetesSubject(`${"system:serviceaccount"}:${"a/b:".repeat(2_500)}`)).toBe("object");
  });
  it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom("", "project_path:g/p:", "organization:o:project:p:", "sc://o/", "system:serviceaccount:"), (s, prefix) => {
        expect(typeof readKubernetesSubject(prefix + s)).toBe("object");
      }),
      { numRuns: 300 },
    );
  });
});
