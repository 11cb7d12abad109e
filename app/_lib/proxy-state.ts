// What the proxies need from the hub: the route table, the auth snapshot, token owners, and
// where their activity reports go. Servers' routes are derived from Server rows, never stored
// apart; routes other clients add are stored (extra-routes.ts).
import type { Db } from "./db/types";
import type { SpawnerCatalog } from "@/spawners/kind";
import { serverAuthOf } from "@/spawners/state";
import { buildRouteData, type ExtraRouteData, type RouteData, type RoutePusher, type ServiceRouteData } from "./servers/proxy-client";
import { serverPath } from "./servers/models";
import { findTokenOwner } from "./auth/api-tokens";
import { expandScopes, parseScope, userScope } from "./auth/scopes";
import { loadShareMap } from "./shares/shares";
import { readRows, readsOf } from "./db/sql-reads";
import { buildAdminsQuery, buildRevokedSessionsQuery } from "./auth/snapshot-sql";
import { listExtraRoutes } from "./extra-routes";
import { loadAccessMaps } from "./auth/role-access";
import { serviceScopes, servicesOf, type Service, type ServiceRegistry } from "./services/registry";
import { getRuntime } from "./runtime";
import { requireProxy } from "./auth/request-auth";
import type { ApiRequest } from "./http/api-request";
import type { JsonAnswer } from "./http/list-query";
import type { RoleConfig } from "@/config/roles-section";

/** Where a kind's dashboards are answered (see SpawnerKind.dashboards). */
export function dashboardsOf(catalog: SpawnerCatalog, kind: string): "server" | "direct" | undefined {
  return Object.hasOwn(catalog, kind) ? catalog[kind].dashboards : undefined;
}

/**
 * Every route: the routes other clients added through a proxy (extra-routes.ts), each configured
 * service's with a url (/services/<name>, data.service naming it: the proxy forwards it without
 * Gyre's cookies; configuration wins over an extra route of the same path), and each running
 * server's.
 */
export async function buildRouteTable(
  db: Db,
  catalog: SpawnerCatalog,
  services: readonly { name: string; url?: string }[] = [],
): Promise<Record<string, RouteData | ServiceRouteData | ExtraRouteData>> {
  const rows = await db.server.findMany({ where: { state: "running", url: { not: null } }, include: { user: true } });
  // never under /user/: a server's route cannot be overwritten by one of these
  const table: Record<string, RouteData | ServiceRouteData | ExtraRouteData> = await listExtraRoutes(db);
  for (const s of services) if (s.url) table[`/services/${s.name}`] = { target: s.url, service: s.name };
  for (const s of rows) {
    table[serverPath(s.user.name, s.name)] = buildRouteData({
      target: s.url!,
      user: s.user.name,
      userId: s.user.id,
      serverName: s.name,
      spawnId: s.spawnId!,
      dashboards: dashboardsOf(catalog, s.spawnerKind),
      serverAuth: serverAuthOf(catalog, s.spawnerKind, s.spawnerState),
    });
  }
  return table;
}

/** JupyterHub's route model (GET /hub/api/proxy): its routespec, target and the rest of its data. */
export interface JupyterHubRoute {
  routespec: string;
  target: string;
  data: Record<string, unknown>;
}

/**
 * One page of the route table in JupyterHub's shape, by routespec (JupyterHub sorts the keys for
 * a page), with the total. Pure.
 */
export function pageOfRoutes(
  table: Record<string, { target: string }>,
  page: { offset: number; limit: number },
): { items: Record<string, JupyterHubRoute>; total: number } {
  const keys = Object.keys(table).sort();
  const items: Record<string, JupyterHubRoute> = {};
  for (const k of keys.slice(page.offset, page.offset + page.limit)) {
    const { target, ...data } = table[k];
    items[k] = { routespec: k, target, data };
  }
  return { items, total: keys.length };
}

/**
 * Admins (by id: rights follow the account), the revoked sessions that have not expired yet, the
 * shares ("<owner id>/<server>" → ids of the users who may use it; group shares by members), and
 * what configured roles let users reach (role_access, app/_lib/auth/role-access.ts; {} when no
 * role grants access:servers) and what services' tokens reach (service_access, by service name).
 */
export async function buildAuthSnapshot(db: Db, now: Date, roles: readonly RoleConfig[] = [], services: readonly Service[] = []) {
  // on the driver (auth/snapshot-sql.ts): every proxy asks every few seconds, also of an idle hub
  const dialect = readsOf(db).dialect;
  const [admins, revoked, shares, access] = await Promise.all([
    readRows<{ id: number | bigint; name: string }>(db, buildAdminsQuery(dialect)),
    readRows<{ id: string }>(db, buildRevokedSessionsQuery(dialect, now)),
    loadShareMap(db),
    loadAccessMaps(db, roles, services),
  ]);
  return {
    admins: admins.map((a) => a.name),
    admin_ids: admins.map((a) => Number(a.id)),
    revoked_sessions: revoked.map((r) => r.id),
    shares,
    role_access: access.roleAccess,
    service_access: access.serviceAccess,
  };
}

/**
 * GET /hub/api/proxy/auth's answer, for the proxy only: the snapshot with the configured roles and
 * services. Every proxy asks every proxy.authSyncSeconds, so it is answered on the Express fast
 * path (rest-fast-path.ts) as well as by its route file, from this one function.
 */
export async function authSnapshotAnswer(req: Pick<ApiRequest, "headers">): Promise<JsonAnswer> {
  requireProxy(req);
  const { db, config } = getRuntime();
  return { body: await buildAuthSnapshot(db, new Date(), config.roles, servicesOf(config).list) };
}

/**
 * Who owns an API token, for the proxy. `scopes` are expanded (an empty stored list is
 * ["inherit"]), so the proxy only has to look for "inherit" or "access:servers".
 */
export async function lookupTokenOwner(db: Db, token: string, now: Date, services?: ServiceRegistry) {
  const service = services?.byToken(token);
  // A service's token (config `services:`): no account, its scopes; an old proxy, which needs
  // `user`, takes the answer as malformed and lets nobody in.
  if (service)
    return {
      kind: "service" as const,
      service: service.name,
      admin: false,
      scopes: await withGroupAccessResolved(db, serviceScopes(service)),
      expires_at: null,
    };
  const owner = await findTokenOwner(db, token, now);
  return owner
    ? {
        user: owner.user.name,
        user_id: owner.user.id,
        admin: owner.user.admin,
        scopes: await withGroupAccessResolved(db, expandScopes(owner.scopes)),
        // the proxy caches the owner no longer than this
        expires_at: owner.expiresAt?.toISOString() ?? null,
      }
    : null;
}

/**
 * The scopes as the proxy reads them: each access:servers!group=<group> is answered as
 * access:servers!user=<member> of each current member (the proxy knows no groups; it keeps an
 * answer for seconds, so a membership change applies within its token cache time). The
 * !group= scope itself stays in the list, for the record.
 */
async function withGroupAccessResolved(db: Db, scopes: ReadonlySet<string>): Promise<string[]> {
  const groups = [...scopes].flatMap((s) => {
    const p = parseScope(s);
    return p?.scope === "access:servers" && p.filter?.kind === "group" ? [p.filter.value] : [];
  });
  if (!groups.length) return [...scopes];
  const members = await db.groupMember.findMany({ where: { group: { name: { in: groups } } }, select: { user: { select: { name: true } } } });
  return [...new Set([...scopes, ...members.map((m) => userScope("access:servers", m.user.name))])];
}

/** Records activity reported by a proxy: {"/user/alice/": iso-date}. Only moves timestamps forward. */
export async function recordActivity(db: Db, report: Record<string, string>): Promise<number> {
  let updated = 0;
  for (const [path, iso] of Object.entries(report)) {
    const m = /^\/user\/([^/]+)\/(?:([^/]+)\/)?$/.exec(path);
    const at = new Date(iso);
    if (!m || Number.isNaN(at.getTime())) continue;
    const user = await db.user.findUnique({ where: { name: m[1] } });
    if (!user) continue;
    const r = await db.server.updateMany({
      where: { userId: user.id, name: m[2] ?? "", OR: [{ lastActivity: null }, { lastActivity: { lt: at } }] },
      data: { lastActivity: at },
    });
    updated += r.count;
    await db.user.updateMany({ where: { id: user.id, OR: [{ lastActivity: null }, { lastActivity: { lt: at } }] }, data: { lastActivity: at } });
  }
  return updated;
}

/**
 * Re-pushes the route of a running server. The spawn page calls it when the proxy sent someone
 * there although the hub thinks the server runs (a proxy that missed a push and has not synced
 * yet), so the redirect back cannot loop.
 */
export async function ensureRoute(db: Db, catalog: SpawnerCatalog, proxy: Pick<RoutePusher, "addRoute">, user: string, server: string): Promise<void> {
  const u = await db.user.findUnique({ where: { name: user } });
  const s = u && (await db.server.findUnique({ where: { userId_name: { userId: u.id, name: server } } }));
  if (u && s?.state === "running" && s.url && s.spawnId)
    await proxy.addRoute(
      serverPath(user, server),
      buildRouteData({
        target: s.url,
        user,
        userId: u.id,
        serverName: server,
        spawnId: s.spawnId,
        dashboards: dashboardsOf(catalog, s.spawnerKind),
        serverAuth: serverAuthOf(catalog, s.spawnerKind, s.spawnerState),
      }),
    );
}
