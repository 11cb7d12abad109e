// auth.github → the URLs, scopes and credentials passport-github2 needs. Pure: the caller reads
// the secret file and passes its text.
import { ConfigError } from "@/config/errors";
import type { GyreConfig } from "@/config/schema";
import { needsOrgData } from "./policy";

/** Everything the GitHub strategy and the API client need, derived once at start. */
export interface GitHubSettings {
  clientId: string;
  clientSecret: string;
  callbackUrl: string;
  authorizationUrl: string;
  tokenUrl: string;
  /** REST API base without a trailing slash: https://api.github.com or <enterprise>/api/v3 */
  apiBase: string;
  userProfileUrl: string;
  /** the scopes asked for: [] or ["read:org"] */
  scopes: string[];
}

/**
 * Derives the settings, or throws an Error whose message names the missing option. github.com uses
 * api.github.com; GitHub Enterprise Server serves the web flow at <url>/login/oauth/* and the REST
 * API at <url>/api/v3 (GitHub's documented layout).
 */
export function resolveGitHubSettings(gh: GyreConfig["auth"]["github"], publicUrl: string, secretFromFile: string | undefined): GitHubSettings {
  const problems: string[] = [];
  if (!gh.clientId) problems.push("auth.github.clientId is required when auth.github.enabled is true (the OAuth app's client id)");
  const clientSecret = gh.clientSecret ?? secretFromFile?.trim();
  if (!clientSecret)
    problems.push(
      "auth.github.clientSecret is required when auth.github.enabled is true: set GYRE_AUTH__GITHUB__CLIENT_SECRET or auth.github.clientSecretFile",
    );
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  const web = (gh.enterpriseUrl ?? "https://github.com").replace(/\/+$/, "");
  const apiBase = gh.enterpriseUrl ? `${web}/api/v3` : "https://api.github.com";
  return {
    clientId: gh.clientId!,
    clientSecret: clientSecret!,
    callbackUrl: gh.callbackUrl ?? `${publicUrl.replace(/\/+$/, "")}/hub/oauth_callback`,
    authorizationUrl: `${web}/login/oauth/authorize`,
    tokenUrl: `${web}/login/oauth/access_token`,
    apiBase,
    userProfileUrl: `${apiBase}/user`,
    // Only org/team rules need more than the public profile; read:org is the least that lists
    // private memberships and teams (GitHub's scope docs).
    scopes: needsOrgData(gh) ? ["read:org"] : [],
  };
}
