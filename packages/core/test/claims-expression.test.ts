import { describe, expect, it } from "vitest";
import { compareBreadth, globMatches, parseClaimsExpression, readClaimsExpression } from "../src/graph/claims-expression.ts";
import type { FederatedCredential } from "../src/model/inventory.ts";

const GITHUB = "https://token.actions.githubusercontent.com";
const byExpression = (value: string, issuer = GITHUB): FederatedCredential => ({ name: "c", issuer, subject: "", claimsMatchingExpression: { value, languageVersion: 1 }, audiences: ["api://AzureADTokenExchange"] });
const bySubject = (subject: string, issuer = GITHUB): FederatedCredential => ({ name: "c", issuer, subject, audiences: ["api://AzureADTokenExchange"] });

describe("claims expressions", () => {
  it("parses the documented forms: eq, matches, and, quoted and bare comparands", () => {
    expect(parseClaimsExpression("claims['sub'] matches 'repo:contoso/*'")).toEqual([{ claim: "sub", operator: "matches", value: "repo:contoso/*" }]);
    expect(parseClaimsExpression("claims['sub'] eq 'a and b' and claims['job_workflow_ref'] matches 'x/*'")).toEqual([
      { claim: "sub", operator: "eq", value: "a and b" },
      { claim: "job_workflow_ref", operator: "matches", value: "x/*" },
    ]);
    // ARM's own example leaves the comparand unquoted.
    expect(parseClaimsExpression("claims['sub'] matches system:serviceaccount:ns:*")).toEqual([{ claim: "sub", operator: "matches", value: "system:serviceaccount:ns:*" }]);
    expect(parseClaimsExpression("claims['sub'] eq 'it''s'")).toEqual([{ claim: "sub", operator: "eq", value: "it's" }]);
    for (const bad of ["", "claims['sub'] startswith 'x'", "claims['sub'] eq 'x' and", "claims['sub'] eq 'unclosed", "sub eq 'x'"]) {
      expect(parseClaimsExpression(bad), bad).toBeUndefined();
    }
  });

  it("is wide unless a clause pins the subject exactly", () => {
    expect(readClaimsExpression({ value: "claims['sub'] eq 'repo:a/b:ref:refs/heads/main'", languageVersion: 1 })).toMatchObject({ wide: false, exactSubject: "repo:a/b:ref:refs/heads/main" });
    expect(readClaimsExpression({ value: "claims['sub'] matches 'repo:a/b:ref:refs/heads/main'", languageVersion: 1 }).wide).toBe(false);
    expect(readClaimsExpression({ value: "claims['sub'] matches 'repo:a/b:ref:refs/heads/????'", languageVersion: 1 }).wide).toBe(true);
    expect(readClaimsExpression({ value: "claims['job_workflow_ref'] eq 'a/b/.github/workflows/d.yml@refs/heads/main'", languageVersion: 1 }).wide).toBe(true);
    expect(readClaimsExpression({ value: "nonsense", languageVersion: 1 })).toMatchObject({ wide: true, matches: [expect.stringMatching(/not in the documented/)] });
  });

  it("matches globs as Entra documents them (* any run, ? one character)", () => {
    expect(globMatches("repo:contoso/*", "repo:contoso/app:ref:refs/heads/main")).toBe(true);
    expect(globMatches("repo:contoso/*", "repo:fabrikam/app")).toBe(false);
    expect(globMatches("refs/heads/????", "refs/heads/main")).toBe(true);
    expect(globMatches("refs/heads/????", "refs/heads/mainline")).toBe(false);
    expect(globMatches("a*b*c", "abc")).toBe(true);
  });

  it("compares what two credentials accept", () => {
    expect(compareBreadth(byExpression("claims['sub'] matches 'repo:contoso/app:*'"), byExpression("claims['sub'] matches 'repo:contoso/*'"))).toBe("wider");
    expect(compareBreadth(byExpression("claims['sub'] matches 'repo:contoso/*'"), byExpression("claims['sub'] matches 'repo:contoso/app:*'"))).toBe("narrower");
    expect(compareBreadth(bySubject("repo:contoso/app:ref:refs/heads/main"), byExpression("claims['sub'] matches 'repo:contoso/app:*'"))).toBe("wider");
    expect(compareBreadth(byExpression("claims['sub'] eq 'x'"), bySubject("x"))).toBe("same");
    // Dropping an `and` clause widens; adding one narrows.
    const pinned = "claims['sub'] matches 'repo:contoso/*' and claims['job_workflow_ref'] eq 'contoso/shared/.github/workflows/d.yml@refs/heads/main'";
    expect(compareBreadth(byExpression(pinned), byExpression("claims['sub'] matches 'repo:contoso/*'"))).toBe("wider");
    expect(compareBreadth(byExpression("claims['sub'] matches 'repo:contoso/*'"), byExpression(pinned))).toBe("narrower");
    expect(compareBreadth(byExpression("claims['sub'] matches 'repo:contoso/*'"), byExpression("claims['sub'] matches 'repo:fabrikam/*'"))).toBe("different");
    expect(compareBreadth(byExpression("claims['sub'] matches 'repo:contoso/*'"), byExpression("unreadable"))).toBe("different");
    expect(compareBreadth(byExpression("claims['sub'] matches '*'", "https://gitlab.com"), byExpression("claims['sub'] matches '*'"))).toBe("different");
  });
});
