/**
 * Which platform signs the tokens a federated credential accepts, from its issuer (and, where
 * the issuer is self-hosted, from the shape of its subject). Entra compares the issuer exactly
 * and case-sensitively, so an issuer that differs from a platform's only by case, scheme or a
 * trailing slash still names that platform here, and `issuerProblem` says it matches no token.
 */
import { BUILDKITE_ISSUER, classifyIssuer } from "../buildkite/oidc.ts";
import type { Platform } from "./types.ts";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
export const GITLAB_ISSUER = "https://gitlab.com";
export const TERRAFORM_CLOUD_ISSUERS: readonly string[] = ["https://app.terraform.io", "https://app.eu.terraform.io"];

/** Enterprise slugs and GHE.com subdomains (`/enterprises/{slug}`): letters, digits, hyphens. */
const SLUG = "[A-Za-z0-9][A-Za-z0-9_-]*";
/** `https://token.actions.githubusercontent.com/<enterprise>` (enterprise-customised issuer). */
const GITHUB_ENTERPRISE_ISSUER = new RegExp(`^https://token\\.actions\\.githubusercontent\\.com/${SLUG}$`);
/** GitHub Enterprise Cloud with data residency: `https://token.actions.<sub>.ghe.com`, optionally `/<sub>`. */
const GHE_COM_ISSUER = new RegExp(`^https://token\\.actions\\.[a-z0-9-]+\\.ghe\\.com(?:/${SLUG})?$`);
/** GitHub Enterprise Server: `https://HOSTNAME/_services/token`. */
const GHES_ISSUER = /^https:\/\/[A-Za-z0-9.-]+(?::\d+)?\/_services\/token$/;

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
/** Azure DevOps: `https://vstoken.dev.azure.com/<org id>`; older `https://app.vstoken.visualstudio.com[/<org id>]`. */
const ADO_ISSUER = new RegExp(`^https://(?:vstoken\\.dev\\.azure\\.com/${GUID}|app\\.vstoken\\.visualstudio\\.com(?:/${GUID})?)$`);
/** The Entra-issued Azure DevOps form: issuer `https://login.microsoftonline.com/<tenant>/v2.0`. */
const ENTRA_ISSUER = new RegExp(`^https://login\\.microsoftonline\\.com/${GUID}/v2\\.0$`);
/** …with a subject `/eid1/c/pub/t/<tenant>/a/<app>/sc/<org id>/<connection id>`. */
export const ADO_ENTRA_SUBJECT = new RegExp(`^/eid1/c/pub/t/([A-Za-z0-9_-]+)/a/([A-Za-z0-9_-]+)/sc/(${GUID})/(${GUID})$`);

/** Managed Kubernetes issuers (AKS, EKS, GKE), for a credential whose subject says nothing. */
const KUBERNETES_ISSUER = /^https:\/\/(?:[a-z0-9-]+\.oic\.prod-aks\.azure\.com\/|oidc\.prod-aks\.azure\.com\/|oidc\.eks\.[a-z0-9-]+\.amazonaws\.com\/id\/|container\.googleapis\.com\/v1\/projects\/)/;

/** What is left of an issuer once case, surrounding space, a scheme and trailing slashes are ignored. */
function loose(issuer: string): string {
  return issuer
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, "")
    .replace(/\/+$/, "");
}

type GitHubIssuer = "exact" | "near-miss" | undefined;

function githubIssuer(issuer: string): GitHubIssuer {
  if (issuer === GITHUB_ISSUER || GITHUB_ENTERPRISE_ISSUER.test(issuer) || GHE_COM_ISSUER.test(issuer) || GHES_ISSUER.test(issuer)) return "exact";
  const l = loose(issuer);
  const host = "token.actions.githubusercontent.com";
  if (l === host || l.startsWith(`${host}/`) || /^token\.actions\.[a-z0-9-]+\.ghe\.com(?:\/|$)/.test(l) || /^[a-z0-9.:-]+\/_services\/token$/.test(l)) return "near-miss";
  return undefined;
}

/** Subject keywords are compared without case here; the parsers report a keyword in the wrong case. */
function platformOfSubject(subject: string): Platform | undefined {
  const s = subject.slice(0, 64).toLowerCase();
  if (s.startsWith("project_path:")) return "gitlab";
  if (/^organization:[^:]*:(?:project|workspace):/.test(s)) return "terraform-cloud";
  if (s.startsWith("sc://")) return "azure-devops";
  if (s.startsWith("system:serviceaccount:")) return "kubernetes";
  return undefined;
}

/** Who signs the tokens a credential with this issuer (and subject) accepts. */
export function platformOf(issuer: string, subject?: string): Platform {
  if (classifyIssuer(issuer) !== "other") return "buildkite";
  if (githubIssuer(issuer)) return "github";
  const l = loose(issuer);
  if (l === "gitlab.com") return "gitlab";
  if (l === "app.terraform.io" || l === "app.eu.terraform.io") return "terraform-cloud";
  if (ADO_ISSUER.test(issuer) || /^(?:vstoken\.dev\.azure\.com|app\.vstoken\.visualstudio\.com)(?:\/|$)/.test(l)) return "azure-devops";
  if (subject !== undefined && ENTRA_ISSUER.test(issuer) && ADO_ENTRA_SUBJECT.test(subject)) return "azure-devops";
  const bySubject = subject === undefined ? undefined : platformOfSubject(subject);
  if (bySubject) return bySubject;
  if (KUBERNETES_ISSUER.test(issuer)) return "kubernetes";
  return "unknown";
}

const NAMES: Record<Exclude<Platform, "unknown">, string> = {
  buildkite: "Buildkite",
  github: "GitHub Actions",
  gitlab: "GitLab",
  "terraform-cloud": "Terraform Cloud",
  "azure-devops": "Azure DevOps",
  kubernetes: "Kubernetes",
};

/** The platform as people name it; for an unknown one, the issuer's host. */
export function platformName(platform: Platform, issuer: string): string {
  if (platform !== "unknown") return NAMES[platform];
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\s]+)/i.exec(issuer.trim());
  return m ? m[1]! : issuer.trim() || "unknown issuer";
}

/**
 * Why an issuer that names a platform matches none of its tokens: it differs from the issuer the
 * platform puts in `iss` only by case, a trailing slash, a scheme or surrounding space.
 */
export function issuerProblem(platform: Platform, issuer: string): string | undefined {
  const nearMiss = (canonical: string) => `issuer differs from ${NAMES[platform as Exclude<Platform, "unknown">]}'s ${canonical} only by case/slash: matches no token`;
  switch (platform) {
    case "buildkite":
      return issuer === BUILDKITE_ISSUER ? undefined : nearMiss(BUILDKITE_ISSUER);
    case "github": {
      if (githubIssuer(issuer) !== "near-miss") return undefined;
      const canonical = `https://${loose(issuer)}`;
      return `issuer differs from GitHub's ${canonical} only by case/slash: matches no token`;
    }
    case "gitlab":
      return loose(issuer) === "gitlab.com" && issuer !== GITLAB_ISSUER ? nearMiss(GITLAB_ISSUER) : undefined;
    case "terraform-cloud": {
      const canonical = TERRAFORM_CLOUD_ISSUERS.find((i) => loose(i) === loose(issuer));
      return canonical && issuer !== canonical ? nearMiss(canonical) : undefined;
    }
    case "azure-devops": {
      if (ADO_ISSUER.test(issuer) || !/vstoken/.test(loose(issuer))) return undefined;
      if (ADO_ISSUER.test(`https://${loose(issuer)}`)) return nearMiss(`https://${loose(issuer)}`);
      // People put the organisation's name where its ID goes (vstoken.dev.azure.com/contoso).
      const path = /^(?:[a-z]+:\/\/)?vstoken\.dev\.azure\.com\/([^/]+)\/*$/i.exec(issuer.trim())?.[1];
      return path !== undefined
        ? `issuer names organisation '${path}', but Azure DevOps issuers end in the organisation's ID (https://vstoken.dev.azure.com/<organization id>): matches no token`
        : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Entra compares a plain credential's subject exactly, so a `*` or `?` in it is a literal
 * character, which no platform's names contain.
 */
export function literalWildcardProblem(subject: string): string | undefined {
  const m = /[*?]/.exec(subject);
  return m ? `the subject contains '${m[0]}', which Entra compares literally (plain credentials have no wildcards): no token carries it` : undefined;
}

/** A keyword spelt in another case than the platform's (`Repo:` for `repo:`): the exact comparison fails. */
export function keywordCaseProblem(found: string, expected: string): string {
  return `'${found}' is spelt '${expected}' in the tokens and Entra compares subjects case-sensitively: matches no token`;
}

/**
 * Whether the GitHub REST API at `apiUrl` holds the repositories whose workflows' tokens `issuer`
 * signs: github.com's API (`https://api.github.com`) those of `token.actions.githubusercontent.com`
 * (and its `/<enterprise>` form), a GHE.com API (`https://api.<sub>.ghe.com`) those of
 * `token.actions.<sub>.ghe.com`, a GHES API (`https://HOST/api/v3`) those of
 * `https://HOST/_services/token`. Any other API URL (a proxy, a test server) stands for github.com.
 * A repository name read from one GitHub says nothing about another's: a rule must not judge a
 * credential by the wrong one.
 */
export function githubApiServes(apiUrl: string, issuer: string): boolean {
  let api: URL;
  try {
    api = new URL(apiUrl);
  } catch {
    return false;
  }
  const ghes = /^\/api\/v3\/?$/.test(api.pathname) && api.hostname !== "api.github.com";
  if (ghes) return issuer === `https://${api.host}/_services/token`;
  const gheCom = /^api\.([a-z0-9-]+)\.ghe\.com$/.exec(api.hostname);
  if (gheCom) return new RegExp(`^https://token\\.actions\\.${gheCom[1]}\\.ghe\\.com(?:/${SLUG})?$`).test(issuer);
  return issuer === GITHUB_ISSUER || GITHUB_ENTERPRISE_ISSUER.test(issuer);
}
