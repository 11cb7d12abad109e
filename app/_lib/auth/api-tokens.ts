// API tokens: 256-bit random strings shown once; stored as sha256 (a fast hash is enough for
// high-entropy secrets) and looked up by their first 8 characters.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/types";
import { readsOf } from "../db/sql-reads";
import type { SqlDialect, SqlQuery } from "../users/users-view";
import type { RoutePusher } from "../servers/proxy-client";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createApiToken(
  db: Db,
  userId: number,
  opts: { note?: string; scopes?: string[]; expiresAt?: Date | null; oauthClient?: string; sessionId?: string | null },
) {
  for (;;) {
    const token = randomBytes(32).toString("base64url");
    const prefix = token.slice(0, 8);
    if (await db.apiToken.findUnique({ where: { prefix } })) continue;
    const row = await db.apiToken.create({
      data: {
        userId,
        prefix,
        hash: hashToken(token),
        note: opts.note ?? "",
        scopes: (opts.scopes ?? []).join(" "),
        expiresAt: opts.expiresAt ?? null,
        oauthClient: opts.oauthClient ?? null,
        sessionId: opts.sessionId ?? null,
      },
    });
    return { token, row };
  }
}

/** A date column as raw SQL returns it: a Date, or what SQLite stored (ISO text, epoch milliseconds). */
function asDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value as string | number);
}

/**
 * A date column's instant in epoch milliseconds, as asDate(value)?.getTime() but without a Date for
 * SQLite's text (Next wraps the global Date: its constructor showed in the hot paths' profiles).
 */
function epochMs(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  return typeof value === "number" ? value : Date.parse(value as string);
}

type TokenOwnerRow = {
  id: number | bigint;
  hash: string;
  scopes: string;
  revokedAt: unknown;
  expiresAt: unknown;
  lastUsed: unknown;
  sessionId: string | null;
  userId: number | bigint;
  name: string;
  admin: boolean | number | bigint;
  blockedAt: unknown;
};

const TOKEN_OWNER_SQL =
  `SELECT t."id" AS "id", t."hash" AS "hash", t."scopes" AS "scopes", t."revokedAt" AS "revokedAt", t."expiresAt" AS "expiresAt", ` +
  `t."lastUsed" AS "lastUsed", t."sessionId" AS "sessionId", u."id" AS "userId", u."name" AS "name", u."admin" AS "admin", u."blockedAt" AS "blockedAt" ` +
  `FROM "ApiToken" t JOIN "User" u ON u."id" = t."userId" WHERE t."prefix" = `;

/** The token (by its prefix) and its owner, in one statement. */
function tokenOwnerQuery(dialect: SqlDialect, prefix: string): SqlQuery {
  return { sql: TOKEN_OWNER_SQL + (dialect === "postgres" ? "$1" : "?"), params: [prefix] };
}

/**
 * The token's owner if the token is valid (known, not revoked, not expired); records last use.
 * Every API request with a token asks this, so it is one SQL statement (the token and its user),
 * on the database driver.
 */
export async function findTokenOwner(db: Db, token: string, now: Date) {
  if (token.length < 16) return null;
  const prefix = token.slice(0, 8);
  const reads = readsOf(db);
  const [row] = await reads.all<TokenOwnerRow>(tokenOwnerQuery(reads.dialect, prefix));
  const expiresAt = asDate(row?.expiresAt);
  // A blocked account's tokens stop working (and work again when it is unblocked).
  if (!row || asDate(row.revokedAt) || (expiresAt && expiresAt <= now) || asDate(row.blockedAt)) return null;
  const a = Buffer.from(row.hash, "hex");
  // hashToken's digest as bytes (not hex text decoded again)
  const b = createHash("sha256").update(token).digest();
  if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
  const tokenId = Number(row.id);
  // Throttle last-used writes to once a minute per token.
  const lastUsed = epochMs(row.lastUsed);
  if (lastUsed === null || now.getTime() - lastUsed > 60_000) {
    await db.apiToken.update({ where: { id: tokenId }, data: { lastUsed: now } });
  }
  const user = { id: Number(row.userId), name: row.name, admin: row.admin === true || Number(row.admin) === 1 };
  return { user, scopes: row.scopes ? row.scopes.split(" ") : [], tokenId, expiresAt, sessionId: row.sessionId ?? null };
}

/** Reads "Authorization: token X" or "Bearer X". */
export function readAuthorizationToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const m = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/** JupyterHub's token model (GET /hub/api/users/{name}/tokens), never the token itself. */
export interface TokenModel {
  /** JupyterHub-style API id, "a<n>" */
  id: string;
  kind: "api_token";
  user: string;
  note: string;
  scopes: string[];
  /** always empty: roles asked for when the token was made became its scopes (as JupyterHub 3+) */
  roles: string[];
  /** first characters of the token, to recognise it */
  prefix: string;
  created: string;
  expires_at: string | null;
  last_activity: string | null;
  /** the OAuth client the token was issued to (the hub's OAuth provider), null for an API token */
  oauth_client: string | null;
  /**
   * JupyterHub's login session that authorized an OAuth token (a derived id, sessions.ts
   * oauthSessionId; logging out of it revokes the token); null for API tokens
   */
  session_id: string | null;
}

type TokenRow = {
  id: number;
  prefix: string;
  note: string;
  scopes: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsed: Date | null;
  oauthClient?: string | null;
  sessionId?: string | null;
};

/** The REST model of a stored token (an empty scope list shows as ["inherit"]). */
export function toTokenModel(row: TokenRow, user: string): TokenModel {
  return {
    id: `a${row.id}`,
    kind: "api_token",
    user,
    note: row.note,
    scopes: row.scopes ? row.scopes.split(" ") : ["inherit"],
    // JupyterHub 3+ evaluates a new token's roles to scopes at once and lists none
    roles: [],
    prefix: row.prefix,
    created: row.createdAt.toISOString(),
    expires_at: row.expiresAt?.toISOString() ?? null,
    last_activity: row.lastUsed?.toISOString() ?? null,
    oauth_client: row.oauthClient ?? null,
    session_id: row.sessionId ?? null,
  };
}

/** "a12" or "12" → 12; anything else → null (a 404 for the caller). */
export function parseTokenApiId(raw: string): number | null {
  const m = /^a?(\d{1,12})$/.exec(raw);
  return m ? Number(m[1]) : null;
}

/** A user's usable tokens (not revoked, not expired), newest first. */
export async function listApiTokens(db: Db, userId: number, now: Date) {
  return db.apiToken.findMany({
    where: { userId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    orderBy: { id: "desc" },
  });
}

/** One usable token of a user, or null. */
export async function getApiToken(db: Db, userId: number, id: number, now: Date) {
  const row = await db.apiToken.findFirst({ where: { id, userId, revokedAt: null } });
  return row && (!row.expiresAt || row.expiresAt > now) ? row : null;
}

/**
 * Revokes one token of a user and tells the proxies (which otherwise trust a cached owner for up
 * to 10 s); false when there was none to revoke.
 */
export async function revokeApiToken(db: Db, proxy: Pick<RoutePusher, "revoke">, opts: { userId: number; id: number; now: Date }): Promise<boolean> {
  const row = await db.apiToken.findFirst({ where: { id: opts.id, userId: opts.userId, revokedAt: null }, select: { hash: true } });
  if (!row) return false;
  const r = await db.apiToken.updateMany({ where: { id: opts.id, userId: opts.userId, revokedAt: null }, data: { revokedAt: opts.now } });
  if (r.count) await proxy.revoke({ tokenHashes: [row.hash] });
  return r.count > 0;
}
