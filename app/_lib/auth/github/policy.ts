// Who may log in with GitHub, as what, and in which groups. Pure: the caller fetches the person's
// organisations and teams and passes them in; nothing here does I/O.
import { asciiLower, USERNAME_PATTERN } from "@/app/_lib/users/names";

/** The rules from auth.github (allowedUsers, allowedOrganizations, allowedTeams, adminUsers, adminTeams). */
export interface GitHubRules {
  allowedUsers: readonly string[];
  allowedOrganizations: readonly string[];
  /** "org:team-slug" */
  allowedTeams: readonly string[];
  adminUsers: readonly string[];
  /** "org:team-slug" */
  adminTeams: readonly string[];
}

/** What GitHub says about the person logging in. */
export interface GitHubIdentity {
  login: string;
  /** organisation logins; empty when not fetched (no org/team rules) */
  orgs: readonly string[];
  /** "org:team-slug" for every team the person is in; empty when not fetched */
  teams: readonly string[];
}

/** Why a person was let in (for the log) or kept out (for the refusal page). */
export type GitHubDecision =
  { allowed: true; admin: boolean; groups: string[]; via: "user" | "organization" | "team" | "admin" } | { allowed: false; reason: "no-rules" | "not-listed" };

/**
 * Team groups are "org:team-slug" in ASCII. GitHub's own names are, but a name from the API that is
 * not (a GitHub Enterprise quirk, a stand-in) becomes no group rather than a case-folded other one.
 */
const TEAM_GROUP_PATTERN = /^[a-z0-9-]+:[a-z0-9_.-]+$/;

/** ASCII-only lower-casing (asciiLower): String#toLowerCase folds e.g. the Kelvin sign into "k". */
const lower = (xs: readonly string[]) => new Set(xs.map(asciiLower));

/** Do the rules need the person's organisations and teams (and so the read:org scope)? */
export function needsOrgData(rules: GitHubRules): boolean {
  return rules.allowedOrganizations.length > 0 || rules.allowedTeams.length > 0 || rules.adminTeams.length > 0;
}

/**
 * Applies the rules. GitHub names are case-insensitive, so all comparisons are. Admin users and
 * admin teams may log in even when no allow rule names them (as in JupyterHub). With no rule at
 * all nobody is admitted: an empty configuration must not open the hub to all of GitHub.
 */
export function decideGitHubLogin(identity: GitHubIdentity, rules: GitHubRules): GitHubDecision {
  const login = asciiLower(identity.login);
  const orgs = lower(identity.orgs);
  const teams = new Set([...lower(identity.teams)].filter((t) => TEAM_GROUP_PATTERN.test(t)));
  const groups = [...teams].sort();
  const admin = lower(rules.adminUsers).has(login) || [...lower(rules.adminTeams)].some((t) => teams.has(t));
  const anyRule = [rules.allowedUsers, rules.allowedOrganizations, rules.allowedTeams, rules.adminUsers, rules.adminTeams].some((r) => r.length > 0);
  if (!anyRule) return { allowed: false, reason: "no-rules" };
  if (lower(rules.allowedUsers).has(login)) return { allowed: true, admin, groups, via: "user" };
  if ([...lower(rules.allowedTeams)].some((t) => teams.has(t))) return { allowed: true, admin, groups, via: "team" };
  if ([...lower(rules.allowedOrganizations)].some((o) => orgs.has(o))) return { allowed: true, admin, groups, via: "organization" };
  if (admin) return { allowed: true, admin, groups, via: "admin" };
  return { allowed: false, reason: "not-listed" };
}

/** The hub user name for a GitHub login (lower-cased), or null when it is not a valid hub name. */
export function mapGitHubUsername(login: string): string | null {
  const name = asciiLower(login);
  return USERNAME_PATTERN.test(name) ? name : null;
}

/**
 * Which existing hub account a GitHub login may use. `byName` is the account with the mapped
 * name, `byGithubId` the one already linked to this GitHub id (a renamed GitHub account).
 */
export function resolveAccount(opts: {
  githubId: string;
  byName: { githubId: string | null; passwordHash: string | null } | null;
  byGithubId: { name: string } | null;
  linkLocalAccounts: boolean;
}): { action: "create" } | { action: "use-name" } | { action: "use-linked"; name: string } | { action: "refuse"; reason: "local-exists" | "taken" } {
  if (opts.byGithubId) return { action: "use-linked", name: opts.byGithubId.name };
  const u = opts.byName;
  if (!u) return { action: "create" };
  if (u.githubId && u.githubId !== opts.githubId) return { action: "refuse", reason: "taken" };
  if (u.githubId === opts.githubId) return { action: "use-name" };
  // An account without a password was made by an admin for someone who signs in another way.
  if (u.passwordHash && !opts.linkLocalAccounts) return { action: "refuse", reason: "local-exists" };
  return { action: "use-name" };
}
