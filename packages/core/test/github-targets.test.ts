import { describe, expect, it } from "vitest";
import { githubTargets } from "../src/collect/github-targets.ts";
import { InventoryBuilder } from "../src/testing/index.ts";

const GITHUB = "https://token.actions.githubusercontent.com";

describe("githubTargets: which repositories a GitHub read asks for", () => {
  function inventory() {
    const b = new InventoryBuilder();
    b.app("deployer", {
      credentials: [
        { name: "a", issuer: GITHUB, subject: "repo:Acme/App:environment:production" },
        { name: "b", issuer: GITHUB, subject: "repo:acme/app:pull_request" },
        { name: "c", issuer: GITHUB, subject: "repo:globex/site:ref:refs/heads/main" },
        { name: "d", issuer: "https://github.example.com/_services/token", subject: "repo:acme/internal:ref:refs/heads/main" },
        { name: "e", issuer: GITHUB, subject: "", claimsMatchingExpression: { value: "claims['sub'] matches 'repo:acme/*'", languageVersion: 1 } },
        { name: "f", subject: "3f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f" },
      ],
    });
    return b.build();
  }

  it("reads the named repositories of the organisations asked for, once whatever their case, and names the others", () => {
    const t = githubTargets({ apiUrl: "https://api.github.com", organizations: ["acme"], repositories: [] }, inventory());
    expect(t).toEqual({ organizations: ["acme"], repositories: ["Acme/App"], outside: ["globex/site"] });
  });

  it("reads a repository asked for by name, and its owner's template", () => {
    const t = githubTargets({ apiUrl: "https://api.github.com", organizations: [], repositories: ["globex/site", "octo/tool"] }, inventory());
    expect(t).toEqual({ organizations: ["globex", "octo"], repositories: ["globex/site", "octo/tool"], outside: ["Acme/App"] });
  });

  it("asks a GitHub Enterprise Server only for its own credentials' repositories", () => {
    const t = githubTargets({ apiUrl: "https://github.example.com/api/v3", organizations: ["acme"], repositories: [] }, inventory());
    expect(t).toEqual({ organizations: ["acme"], repositories: ["acme/internal"], outside: [] });
  });
});
