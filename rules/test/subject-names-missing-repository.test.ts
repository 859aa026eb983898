import { describe, expect, it } from "vitest";
import { subjectNamesMissingRepository } from "../src/rules/subject-names-missing-repository.ts";
import { deployer, repository, withGitHub } from "./github-support.ts";
import { run } from "./support.ts";

const SUBJECT = "repo:acme/old-app:ref:refs/heads/main";

function scan(credential: { subject: string } | { expression: string }, missingRepositories: string[] = ["acme/old-app"], role: string | null = "Contributor", subscription = "Contoso-Prod") {
  const b = withGitHub(deployer([credential], role, subscription), { repositories: [repository("acme/app")], missingRepositories });
  return run(subjectNamesMissingRepository, b.build());
}

describe("subject-names-missing-repository", () => {
  it("is high when the identity can change production, with what GitHub answered", () => {
    const [f, ...rest] = scan({ subject: SUBJECT });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "high", credential: { subject: SUBJECT }, anchor: "/entra/applications/0/federatedIdentityCredentials/0" });
    expect(f!.scope).toMatch(/^\/subscriptions\//);
    const evidence = f!.evidence.join("\n");
    expect(evidence).toMatch(/404 for acme\/old-app/);
    expect(evidence).toMatch(/production because subscription 'Contoso-Prod'/);
    expect(f!.remediation).toMatch(/repository_id|REPO_ID/);
  });

  it("is medium without production change, low when the identity holds nothing that matters", () => {
    expect(scan({ subject: SUBJECT }, undefined, "Contributor", "Contoso-Dev")[0]?.severity).toBe("medium");
    expect(scan({ subject: SUBJECT }, undefined, "Reader")[0]?.severity).toBe("medium");
    expect(scan({ subject: SUBJECT }, undefined, "Reader", "Contoso-Dev")[0]?.severity).toBe("low");
    expect(scan({ subject: SUBJECT }, undefined, null)[0]?.severity).toBe("low");
  });

  it("a repository GitHub redirects (renamed or transferred) is claimable under its old name too, and said so", () => {
    const b = withGitHub(deployer([{ subject: SUBJECT }]), { repositories: [repository("acme/app")], movedRepositories: ["acme/old-app"] });
    const [f, ...rest] = run(subjectNamesMissingRepository, b.build());
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "high" });
    expect(f!.message).toMatch(/redirects elsewhere \(renamed or transferred\): tokens carry the new name/);
    expect(f!.message).not.toMatch(/404/);
    expect(f!.evidence.join("\n")).toMatch(/answered acme\/old-app with a redirect/);
  });

  it("compares repository names case-insensitively, as GitHub does", () => {
    expect(scan({ subject: SUBJECT }, ["Acme/Old-App"])[0]?.severity).toBe("high");
    expect(scan({ subject: "repo:ACME/old-app:environment:production" })[0]?.severity).toBe("high");
  });

  it("is quiet when the repository exists or GitHub was not read", () => {
    expect(scan({ subject: "repo:acme/app:ref:refs/heads/main" })).toEqual([]);
    expect(scan({ subject: SUBJECT }, [])).toEqual([]);
    expect(run(subjectNamesMissingRepository, deployer([{ subject: SUBJECT }]).build())).toEqual([]);
  });

  it("is low for a subject that pins the repository's ID, which a recreated repository cannot match", () => {
    const [f] = scan({ subject: "repo:acme@42/old-app@77:ref:refs/heads/main" });
    expect(f?.severity).toBe("low");
    expect(f?.evidence.join("\n")).toMatch(/repository_id 77/);
  });

  it("reads expressions pinned with eq, and is quiet for subjects that can never match", () => {
    expect(scan({ expression: `claims['sub'] eq '${SUBJECT}'` })[0]?.severity).toBe("high");
    expect(scan({ subject: "Repo:acme/old-app:ref:refs/heads/main" })).toEqual([]);
  });
});

describe("subject-names-missing-repository and another GitHub", () => {
  it("does not judge a GitHub Enterprise Server credential by github.com's 404", () => {
    const ghes = withGitHub(deployer([{ subject: SUBJECT, issuer: "https://github.example.com/_services/token" }]), { repositories: [], missingRepositories: ["acme/old-app"] });
    expect(run(subjectNamesMissingRepository, ghes.build())).toEqual([]);
    // Read from that server's API, the same 404 counts.
    const read = withGitHub(deployer([{ subject: SUBJECT, issuer: "https://github.example.com/_services/token" }]), { apiUrl: "https://github.example.com/api/v3", repositories: [], missingRepositories: ["acme/old-app"] });
    expect(run(subjectNamesMissingRepository, read.build()).map((f) => f.severity)).toEqual(["high"]);
  });
});
