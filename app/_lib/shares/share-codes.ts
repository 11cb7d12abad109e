// Share codes: the owner hands out a link (/hub/accept-share?code=…); another logged-in user who
// accepts it gets a share of the server. Codes are 256-bit random, shown once, stored as sha256
// (as API tokens), and end at their expiry or after the number of acceptances the owner allowed.
import { randomBytes } from "node:crypto";
import { hashToken } from "@/app/_lib/auth/api-tokens";
import { HttpError } from "@/app/_lib/http/errors";
import type { OriginPlan } from "@/proxy/origins/origin-plan";
import {
  CODE_REFUSAL_MESSAGES,
  SHARE_CODE_DEFAULT_SECONDS,
  assertMayManage,
  checkCodeExchange,
  grantedScopes,
  parseShareCodeApiId,
  shareCodeApiId,
  toSharedServer,
  type Actor,
  type CodeRefusal,
  type ShareCodeModel,
} from "./share-rules";
import { findSharedServer, pushShares, type Page, type ShareContext } from "./shares";

type CodeRow = {
  id: number;
  scopes: string;
  createdAt: Date;
  expiresAt: Date;
  maxExchanges: number | null;
  exchangeCount: number;
  lastExchangedAt: Date | null;
  server: { name: string; state: string; user: { name: string } };
};

const withServer = { server: { include: { user: { select: { name: true } } } } } as const;

function toCodeModel(row: CodeRow, plan: OriginPlan | undefined): ShareCodeModel {
  return {
    kind: "share-code",
    id: shareCodeApiId(row.id),
    server: toSharedServer(row.server.user.name, row.server, plan),
    scopes: row.scopes.split(" ").filter(Boolean),
    created_at: row.createdAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
    last_exchanged_at: row.lastExchangedAt?.toISOString() ?? null,
    exchange_count: row.exchangeCount,
    max_exchanges: row.maxExchanges,
  };
}

/** The accept page's path for a code. */
export function acceptPath(code: string): string {
  return `/hub/accept-share?code=${encodeURIComponent(code)}`;
}

/** POST /share-codes/{owner}/{server}: a new code, shown in this answer only. */
export async function issueShareCode(
  ctx: ShareContext,
  actor: Actor,
  owner: string,
  server: string,
  body: { scopes?: string[]; expires_in: number; max_exchanges?: number | null },
  now: Date,
): Promise<ShareCodeModel> {
  assertMayManage(actor, owner);
  const scopes = grantedScopes(body.scopes, owner, server);
  const { server: row } = await findSharedServer(ctx.db, owner, server, true);
  const code = randomBytes(32).toString("base64url");
  const created = await ctx.db.shareCode.create({
    data: {
      serverId: row.id,
      hash: hashToken(code),
      scopes: scopes.join(" "),
      expiresAt: new Date(now.getTime() + (body.expires_in || SHARE_CODE_DEFAULT_SECONDS) * 1000),
      maxExchanges: body.max_exchanges ?? null,
    },
    include: withServer,
  });
  const path = acceptPath(code);
  return { ...toCodeModel(created, ctx.plan), code, accept_url: path, full_accept_url: ctx.plan ? ctx.plan.hubOrigin + path : null };
}

/** GET /share-codes/{owner}[/{server}]: codes not yet expired. */
export async function listShareCodes(ctx: ShareContext, actor: Actor, owner: string, server: string | null, page: Page, now: Date) {
  assertMayManage(actor, owner);
  const scope = server === null ? { server: { user: { name: owner } } } : { serverId: (await findSharedServer(ctx.db, owner, server)).server.id };
  const where = { ...scope, expiresAt: { gt: now } };
  const [rows, total] = await Promise.all([
    ctx.db.shareCode.findMany({ where, include: withServer, orderBy: { id: "asc" }, skip: page.offset, take: page.limit }),
    ctx.db.shareCode.count({ where }),
  ]);
  return { items: rows.map((r) => toCodeModel(r, ctx.plan)), offset: page.offset, limit: page.limit, total };
}

/**
 * DELETE /share-codes/{owner}/{server}?id=…|code=…: revokes one code, or every code of the server
 * when neither is given (JupyterHub's behaviour). Shares already made from a code stay.
 */
export async function revokeShareCodes(
  ctx: ShareContext,
  actor: Actor,
  owner: string,
  server: string,
  which: { id?: string | null; code?: string | null },
): Promise<void> {
  assertMayManage(actor, owner);
  const { server: row } = await findSharedServer(ctx.db, owner, server);
  if (which.id && which.code) throw new HttpError(400, 'Specify at most one of "id" and "code".');
  if (which.id) {
    const id = parseShareCodeApiId(which.id);
    if (id === null) throw new HttpError(400, `Not a share code id: ${which.id.slice(0, 40)}`);
    await ctx.db.shareCode.deleteMany({ where: { id, serverId: row.id } });
  } else if (which.code) await ctx.db.shareCode.deleteMany({ where: { hash: hashToken(which.code), serverId: row.id } });
  else await ctx.db.shareCode.deleteMany({ where: { serverId: row.id } });
}

/** What the accept page shows for a code before it is accepted. */
export async function describeShareCode(ctx: ShareContext, code: string, acceptorId: number, now: Date) {
  const row = code ? await ctx.db.shareCode.findUnique({ where: { hash: hashToken(code) }, include: withServer }) : null;
  const verdict = checkCodeExchange(row && { ...row, ownerId: row.server.userId }, acceptorId, now.getTime());
  return { verdict, code: row && toCodeModel(row, ctx.plan) };
}

export class ShareCodeRefused extends HttpError {
  constructor(readonly reason: CodeRefusal) {
    super(reason === "unknown" ? 404 : 400, CODE_REFUSAL_MESSAGES[reason]);
  }
}

/**
 * Accepts a code for `acceptor`: one conditional update counts the acceptance (so two acceptances
 * racing for the last use cannot both win), then the share is made and pushed to the proxies.
 * Returns the server's path. Accepting a server one already has is fine (the share is kept).
 */
export async function acceptShareCode(
  ctx: ShareContext,
  acceptor: { id: number; name: string; blocked?: boolean },
  code: string,
  now: Date,
): Promise<{ owner: string; server: string; url: string }> {
  const row = code.length >= 16 && code.length <= 128 ? await ctx.db.shareCode.findUnique({ where: { hash: hashToken(code) }, include: withServer }) : null;
  const verdict = checkCodeExchange(row && { ...row, ownerId: row.server.userId }, acceptor.id, now.getTime());
  if (verdict !== "ok") throw new ShareCodeRefused(verdict);
  if (acceptor.blocked) throw new HttpError(403, "A blocked account cannot accept a share.");
  const counted = await ctx.db.shareCode.updateMany({
    where: {
      id: row!.id,
      expiresAt: { gt: now },
      ...(row!.maxExchanges === null ? {} : { exchangeCount: { lt: row!.maxExchanges } }),
    },
    data: { exchangeCount: { increment: 1 }, lastExchangedAt: now },
  });
  if (counted.count === 0) throw new ShareCodeRefused("used-up");
  await ctx.db.share.upsert({
    where: { serverId_userId: { serverId: row!.serverId, userId: acceptor.id } },
    create: { serverId: row!.serverId, userId: acceptor.id, scopes: row!.scopes },
    update: {},
  });
  await pushShares(ctx);
  const shared = toSharedServer(row!.server.user.name, row!.server, ctx.plan);
  return { owner: shared.user.name, server: shared.name, url: shared.url };
}
