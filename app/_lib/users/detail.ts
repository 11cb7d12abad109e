// One user as the control panel's user page shows them: account, groups, servers, sessions and
// tokens in use, the OS account their servers run as, and usage of the last 30 days per server.
import type { HubRuntime } from "@/app/_lib/runtime";
import { listUserServers, type ServerView } from "@/app/_lib/servers/views";
import { readUsageRows } from "@/app/_lib/usage/report";
import { totalsBy, type UsageTotals } from "@/app/_lib/usage/aggregate";
import { OsAccountError, resolveOsAccount } from "./os-account";
import { loadOsAccountMapping } from "./spawn-user";

export interface UserDetail {
  name: string;
  admin: boolean;
  blockedAt: Date | null;
  authSource: string;
  hasPassword: boolean;
  createdAt: Date;
  lastActivity: Date | null;
  /** the OS account, how it was found, or why there is none */
  osAccount: { name: string | null; how: "stored" | "mapped"; error?: string };
  namedServerLimit: number | null;
  hubNamedServerLimit: number;
  groups: { name: string; source: string }[];
  servers: ServerView[];
  activeSessions: number;
  activeTokens: number;
  /** usage of the last 30 days per server name */
  usage: UsageTotals[];
}

/** null when there is no such user. */
export async function readUserDetail(rt: Pick<HubRuntime, "db" | "catalog" | "config">, name: string, now: Date): Promise<UserDetail | null> {
  const { db, config } = rt;
  const u = await db.user.findUnique({ where: { name }, include: { groups: { include: { group: true } } } });
  if (!u) return null;
  const period = { from: new Date(now.getTime() - 30 * 86_400_000), to: now };
  const [servers, activeSessions, activeTokens, rows] = await Promise.all([
    listUserServers(rt, u),
    db.session.count({ where: { userId: u.id, revokedAt: null, expiresAt: { gt: now } } }),
    db.apiToken.count({ where: { userId: u.id, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] } }),
    readUsageRows(db, period, { userId: u.id }),
  ]);
  let osAccount: UserDetail["osAccount"];
  try {
    osAccount = {
      name: resolveOsAccount({ userName: u.name, stored: u.osUser, mapping: loadOsAccountMapping(config.hub) }),
      how: u.osUser ? "stored" : "mapped",
    };
  } catch (err) {
    if (!(err instanceof OsAccountError)) throw err;
    osAccount = { name: null, how: u.osUser ? "stored" : "mapped", error: err.message };
  }
  return {
    name: u.name,
    admin: u.admin,
    blockedAt: u.blockedAt,
    authSource: u.authSource,
    hasPassword: !!u.passwordHash,
    createdAt: u.createdAt,
    lastActivity: u.lastActivity,
    osAccount,
    namedServerLimit: u.namedServerLimit,
    hubNamedServerLimit: config.hub.namedServerLimitPerUser,
    groups: u.groups.map((g) => ({ name: g.group.name, source: g.group.source })).sort((a, b) => a.name.localeCompare(b.name)),
    servers,
    activeSessions,
    activeTokens,
    usage: totalsBy(rows, period, now, (r) => r.serverName),
  };
}
