// Shares: another user or a group may use one of a user's servers (JupyterHub 5's sharing). Every
// change is pushed to the proxies at once (the whole share map, it is small), so a revoked share
// stops working before the request that revoked it returns; the auth snapshot carries the same map.
import type { Db } from "@/app/_lib/db/types";
import { readRows } from "@/app/_lib/db/sql-reads";
import { buildShareRowsQuery, shareMapRows, type ShareQueryRow } from "@/app/_lib/auth/snapshot-sql";
import { HttpError } from "@/app/_lib/http/errors";
import type { RoutePusher } from "@/app/_lib/servers/proxy-client";
import { getUserOrThrow } from "@/app/_lib/users/queries";
import type { OriginPlan } from "@/proxy/origins/origin-plan";
import { assertMayManage, buildShareMap, grantedScopes, toSharedServer, type Actor, type ShareMap, type ShareModel } from "./share-rules";

export interface ShareContext {
  db: Db;
  /** the proxies: every change is pushed (RoutePusher.shares) */
  proxy: RoutePusher;
  /** for full_url */
  plan?: OriginPlan;
}

/** Who a share goes to: exactly one of a user and a group (JupyterHub's request body). */
export interface ShareTarget {
  user?: string;
  group?: string;
}

const withParties = { server: { include: { user: { select: { name: true } } } }, user: { select: { name: true } }, group: { select: { name: true } } } as const;

type ShareRow = {
  scopes: string;
  createdAt: Date;
  server: { name: string; state: string; user: { name: string } };
  user: { name: string } | null;
  group: { name: string } | null;
};

export function toShareModel(row: ShareRow, plan: OriginPlan | undefined): ShareModel {
  return {
    kind: "share",
    server: toSharedServer(row.server.user.name, row.server, plan),
    scopes: row.scopes.split(" ").filter(Boolean),
    user: row.user ? { name: row.user.name } : null,
    group: row.group ? { name: row.group.name } : null,
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * The server row of `owner`/`server`. A default server that was never started has no row yet: it
 * is made (stopped) when `create` is set, so it can be shared before its first start. A named
 * server must exist (404).
 */
export async function findSharedServer(db: Db, owner: string, server: string, create = false) {
  const user = await getUserOrThrow(db, owner);
  const key = { userId_name: { userId: user.id, name: server } };
  let row = await db.server.findUnique({ where: key });
  if (!row && server === "" && create) row = await db.server.upsert({ where: key, create: { userId: user.id, name: "" }, update: {} });
  if (!row) throw new HttpError(404, `${owner} has no server named "${server}".`);
  return { owner: user, server: row };
}

async function resolveTarget(db: Db, target: ShareTarget): Promise<{ userId: number; groupId?: undefined } | { groupId: number; userId?: undefined }> {
  if ((target.user === undefined) === (target.group === undefined)) throw new HttpError(400, 'Specify exactly one of "user" and "group".');
  if (target.user !== undefined) {
    const u = await db.user.findUnique({ where: { name: target.user } });
    if (!u) throw new HttpError(400, `No such user: ${target.user}`);
    return { userId: u.id };
  }
  const g = await db.group.findUnique({ where: { name: target.group! } });
  if (!g) throw new HttpError(400, `No such group: ${target.group}`);
  return { groupId: g.id };
}

/** POST /shares/{owner}/{server}: grants (or keeps) access; returns the share. */
export async function grantShare(
  ctx: ShareContext,
  actor: Actor,
  owner: string,
  server: string,
  body: ShareTarget & { scopes?: string[] },
): Promise<ShareModel> {
  assertMayManage(actor, owner);
  const scopes = grantedScopes(body.scopes, owner, server);
  const { owner: ownerRow, server: row } = await findSharedServer(ctx.db, owner, server, true);
  const target = await resolveTarget(ctx.db, body);
  if (target.userId !== undefined) {
    if (target.userId === ownerRow.id) throw new HttpError(400, `${owner} owns this server: it cannot be shared with them.`);
    const grantee = await ctx.db.user.findUnique({ where: { id: target.userId } });
    if (grantee?.blockedAt) throw new HttpError(400, `${body.user} is blocked: a blocked account cannot be given access.`);
  }
  const where =
    target.userId !== undefined
      ? { serverId_userId: { serverId: row.id, userId: target.userId } }
      : { serverId_groupId: { serverId: row.id, groupId: target.groupId } };
  const share = await ctx.db.share.upsert({
    where,
    create: { serverId: row.id, ...target, scopes: scopes.join(" ") },
    update: { scopes: scopes.join(" ") },
    include: withParties,
  });
  await pushShares(ctx);
  return toShareModel(share, ctx.plan);
}

/**
 * PATCH /shares/{owner}/{server}: revokes some or all of a user's or group's scopes. A share has
 * one scope, so revoking it (or all) deletes the share: the answer is then {} (JupyterHub's "no
 * permissions remain"). Revoking what is not held is not an error.
 */
export async function revokeShare(
  ctx: ShareContext,
  actor: Actor,
  owner: string,
  server: string,
  body: ShareTarget & { scopes?: string[] },
): Promise<ShareModel | Record<string, never>> {
  assertMayManage(actor, owner);
  const { server: row } = await findSharedServer(ctx.db, owner, server);
  const target = await resolveTarget(ctx.db, body);
  const share = await ctx.db.share.findFirst({ where: { serverId: row.id, ...target }, include: withParties });
  if (!share) return {};
  const revoke = body.scopes?.length ? grantedScopes(body.scopes, owner, server) : null;
  const kept = share.scopes.split(" ").filter((s) => s && revoke !== null && !revoke.includes(s));
  if (kept.length) return toShareModel(share, ctx.plan);
  await ctx.db.share.delete({ where: { id: share.id } });
  await pushShares(ctx);
  return {};
}

/** DELETE /shares/{owner}/{server}: every share of the server ends (share codes stay; they have their own DELETE). */
export async function revokeAllShares(ctx: ShareContext, actor: Actor, owner: string, server: string): Promise<void> {
  assertMayManage(actor, owner);
  const { server: row } = await findSharedServer(ctx.db, owner, server);
  await ctx.db.share.deleteMany({ where: { serverId: row.id } });
  await pushShares(ctx);
}

export interface Page {
  offset: number;
  limit: number;
}

/** GET /shares/{owner}[/{server}]: the shares of one server, or of all the owner's servers. */
export async function listServerShares(ctx: ShareContext, actor: Actor, owner: string, server: string | null, page: Page) {
  assertMayManage(actor, owner);
  const where =
    server === null
      ? { server: { userId: (await getUserOrThrow(ctx.db, owner)).id } }
      : { serverId: (await findSharedServer(ctx.db, owner, server)).server.id };
  return listPage(ctx, where, page);
}

async function listPage(ctx: ShareContext, where: object, page: Page) {
  const [rows, total] = await Promise.all([
    ctx.db.share.findMany({ where, include: withParties, orderBy: { id: "asc" }, skip: page.offset, take: page.limit }),
    ctx.db.share.count({ where }),
  ]);
  return { items: rows.map((r) => toShareModel(r, ctx.plan)), offset: page.offset, limit: page.limit, total };
}

/** The user themselves or an admin reads and leaves a user's shares. */
function assertSelfOrAdmin(actor: Actor, name: string): void {
  if (actor.name !== name && !actor.admin) throw new HttpError(403, `You may not see or change ${name}'s shares.`);
}

/** GET /users/{name}/shared: servers shared with the user directly (group shares: /groups/{name}/shared). */
export async function listUserShared(ctx: ShareContext, actor: Actor, name: string, page: Page) {
  assertSelfOrAdmin(actor, name);
  const user = await getUserOrThrow(ctx.db, name);
  return listPage(ctx, { userId: user.id }, page);
}

async function findPartyShare(ctx: ShareContext, party: { userId: number } | { groupId: number }, owner: string, server: string) {
  const { server: row } = await findSharedServer(ctx.db, owner, server);
  const share = await ctx.db.share.findFirst({ where: { serverId: row.id, ...party }, include: withParties });
  if (!share) throw new HttpError(404, `No share of ${owner}/${server} for this ${"userId" in party ? "user" : "group"}.`);
  return share;
}

/** GET /users/{name}/shared/{owner}/{server}. */
export async function getUserShared(ctx: ShareContext, actor: Actor, name: string, owner: string, server: string): Promise<ShareModel> {
  assertSelfOrAdmin(actor, name);
  const user = await getUserOrThrow(ctx.db, name);
  return toShareModel(await findPartyShare(ctx, { userId: user.id }, owner, server), ctx.plan);
}

/** DELETE /users/{name}/shared/{owner}/{server}: the grantee leaves the share. */
export async function leaveUserShare(ctx: ShareContext, actor: Actor, name: string, owner: string, server: string): Promise<void> {
  assertSelfOrAdmin(actor, name);
  const user = await getUserOrThrow(ctx.db, name);
  const share = await findPartyShare(ctx, { userId: user.id }, owner, server);
  await ctx.db.share.delete({ where: { id: share.id } });
  await pushShares(ctx);
}

/** Members read their group's shares; admins read and end them. */
async function groupFor(ctx: ShareContext, actor: Actor, name: string, change: boolean) {
  const g = await ctx.db.group.findUnique({ where: { name }, include: { members: { include: { user: { select: { name: true } } } } } });
  if (!g) throw new HttpError(404, `No such group: ${name}`);
  if (!actor.admin && (change || !g.members.some((m) => m.user.name === actor.name)))
    throw new HttpError(403, change ? "Only an admin may end a group's share." : `You are not a member of ${name}.`);
  return g;
}

export async function listGroupShared(ctx: ShareContext, actor: Actor, name: string, page: Page) {
  const g = await groupFor(ctx, actor, name, false);
  return listPage(ctx, { groupId: g.id }, page);
}

export async function getGroupShared(ctx: ShareContext, actor: Actor, name: string, owner: string, server: string): Promise<ShareModel> {
  const g = await groupFor(ctx, actor, name, false);
  return toShareModel(await findPartyShare(ctx, { groupId: g.id }, owner, server), ctx.plan);
}

export async function leaveGroupShare(ctx: ShareContext, actor: Actor, name: string, owner: string, server: string): Promise<void> {
  const g = await groupFor(ctx, actor, name, true);
  const share = await findPartyShare(ctx, { groupId: g.id }, owner, server);
  await ctx.db.share.delete({ where: { id: share.id } });
  await pushShares(ctx);
}

/** Every share as the proxy needs it: owner/server → owner id and user ids (group shares by their current members). */
export async function loadShareMap(db: Db): Promise<ShareMap> {
  // one statement on the driver (the proxies' auth snapshot reads it every few seconds)
  return buildShareMap(shareMapRows(await readRows<ShareQueryRow>(db, buildShareRowsQuery())));
}

/**
 * Sends the whole share map to every proxy (a revocation applies at once). Call it after any
 * change of shares or of the membership of a group (a group share follows its members).
 */
export async function pushShares(ctx: { db: Db; proxy: RoutePusher }): Promise<void> {
  if (!ctx.proxy.shares) return;
  await ctx.proxy.shares(await loadShareMap(ctx.db));
}

/** The shares the user has (directly or through a group), for their home page. */
export async function sharedWithUser(db: Db, userId: number) {
  return db.share.findMany({
    where: { OR: [{ userId }, { group: { members: { some: { userId } } } }] },
    include: withParties,
    orderBy: { id: "asc" },
  });
}
