// After GitHub said who someone is: apply the rules, then create or update the hub account, its
// admin flag and team groups. Nothing is written for a person who is refused.
import type { Db } from "@/app/_lib/db/types";
import type { GyreConfig } from "@/config/schema";
import { resolveOsAccount } from "@/app/_lib/users/os-account";
import { loadOsAccountMapping, type OsAccountOptions } from "@/app/_lib/users/spawn-user";
import { syncTeamGroups } from "@/app/_lib/groups/groups";
import { decideGitHubLogin, mapGitHubUsername, resolveAccount, type GitHubIdentity } from "./policy";

/** Why a GitHub login was refused; the login page explains each. */
export type GitHubRefusal = "no-rules" | "not-listed" | "bad-name" | "local-exists" | "taken" | "os-user" | "blocked";

export type GitHubLoginResult =
  { ok: true; user: { id: number; name: string; admin: boolean }; created: boolean; via: string } | { ok: false; reason: GitHubRefusal; name: string };

/**
 * Logs a GitHub identity into the hub. Team memberships become groups named "org:team-slug" with
 * source "github"; GitHub groups the person has left are left, groups made by admins are kept.
 * Admin rights are granted by adminUsers/adminTeams, never taken away here (an admin made in
 * the admin page stays one).
 */
export interface GitHubLoginOptions {
  db: Db;
  github: GyreConfig["auth"]["github"];
  /** the hub's OS account mapping: a login it maps to no valid account is refused */
  osAccounts: OsAccountOptions;
  githubId: string;
  identity: GitHubIdentity;
}

export async function completeGitHubLogin(opts: GitHubLoginOptions): Promise<GitHubLoginResult> {
  const { db, github: gh, githubId, identity } = opts;
  const decision = decideGitHubLogin(identity, gh);
  const mapped = mapGitHubUsername(identity.login);
  if (!decision.allowed) return { ok: false, reason: decision.reason, name: identity.login };
  if (!mapped) return { ok: false, reason: "bad-name", name: identity.login };
  const [byName, byGithubId] = await Promise.all([db.user.findUnique({ where: { name: mapped } }), db.user.findUnique({ where: { githubId } })]);
  const account = resolveAccount({ githubId, byName, byGithubId, linkLocalAccounts: gh.linkLocalAccounts });
  if (account.action === "refuse") return { ok: false, reason: account.reason, name: mapped };
  const name = account.action === "use-linked" ? account.name : mapped;
  // An admin blocked the account: GitHub's word does not unblock it.
  if ((account.action === "use-linked" ? byGithubId : byName)?.blockedAt) return { ok: false, reason: "blocked", name };
  // The account is resolved again at every spawn (app/_lib/users/spawn-user.ts); checking it here
  // turns a person away at the door instead of at their first spawn.
  try {
    resolveOsAccount({
      userName: name,
      stored: account.action === "create" ? null : (byGithubId ?? byName)?.osUser,
      mapping: loadOsAccountMapping(opts.osAccounts),
    });
  } catch {
    return { ok: false, reason: "os-user", name: identity.login };
  }
  const data = { githubId, ...(decision.admin ? { admin: true } : {}) };
  const created = account.action === "create";
  const user = created ? await db.user.create({ data: { name, authSource: "github", ...data } }) : await db.user.update({ where: { name }, data });
  await syncTeamGroups(db, user.id, decision.groups);
  return { ok: true, user: { id: user.id, name: user.name, admin: user.admin }, created, via: decision.via };
}
