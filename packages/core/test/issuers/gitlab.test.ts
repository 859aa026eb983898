import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readGitLabSubject } from "../../src/issuers/gitlab.ts";

describe("GitLab", () => {
  it.each([
    ["project_path:g/sub/p:ref_type:branch:ref:main", { projectPath: "g/sub/p", refType: "branch", ref: "main" }],
    ["project_path:g/p:ref:v1:ref_type:tag", { projectPath: "g/p", refType: "tag", ref: "v1" }],
    ["project_path:g/p:ref:main", { projectPath: "g/p", ref: "main" }],
    ["project_path:g/p:ref_type:branch", { projectPath: "g/p", refType: "branch" }],
  ])("reads %s", (subject, expected) => {
    expect(readGitLabSubject(subject)).toEqual({ subject: expected });
  });
  it.each([
    ["Project_Path:g/p:ref_type:branch:ref:main", /'Project_Path' is spelt 'project_path'/],
    ["project_path:g/p:REF_TYPE:branch:ref:main", /spelt 'ref_type'/],
    ["project_path:g/p:ref_type:Branch:ref:main", /spelt 'branch'/],
    ["project_path:g/p:ref_type:merge_request:ref:main", /not one GitLab issues/],
    ["project_path:g/*:ref_type:branch:ref:main", /contains '\*'/],
    ["project_path:g/p:ref_type:branch:ref:*", /contains '\*'/],
    ["project_path:p:ref_type:branch:ref:main", /not GROUP\/PROJECT/],
    ["project_path:g/p:ref_type:branch:ref:", /no value/],
    ["project_path:g/p:branch:main", /not a claim GitLab/],
    ["project_path:g/p:ref:a:ref:b", /twice/],
  ])("reports %s", (subject, problem) => {
    expect(readGitLabSubject(subject).problem).toMatch(problem);
  });
});

describe("hostile input", () => {
  it("reads a 10 kB subject and one of many colons", () => {
    expect(typeof readGitLabSubject("x".repeat(10_000))).toBe("object");
    expect(typeof readGitLabSubject(":".repeat(10_000))).toBe("object");
    expect(typeof readGitLabSubject(`${"project_path"}:${"a/b:".repeat(2_500)}`)).toBe("object");
  });
  it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom("", "project_path:g/p:", "organization:o:project:p:", "sc://o/", "system:serviceaccount:"), (s, prefix) => {
        expect(typeof readGitLabSubject(prefix + s)).toBe("object");
      }),
      { numRuns: 300 },
    );
  });
});
