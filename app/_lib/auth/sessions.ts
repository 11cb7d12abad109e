// Server-side sessions. The cookie carries signed {sid, user, uid, exp}; the Session row is the
// truth (revocation, expiry). The proxy trusts the signature plus the hub's revocation list, and
// compares the user id with the route's, so a session is bound to an account, not to a name.
import { randomBytes } from "node:crypto";
import { readCookies, sessionCookieName, signSessionCookie, verifySessionCookie } from "@/proxy/auth/session-cookie";
import type { Db } from "../db/types";
import type { RoutePusher } from "../servers/proxy-client";
import { oauthSessionId } from "./oauth-session-id";

export interface SessionInfo {
  sessionId: string;
  csrf: string;
  user: { id: number; name: string; admin: boolean };
  expiresAt: Date;
}

export async function createSession(db: Db, userId: number, maxAgeSeconds: number, userAgent: string | undefined, now: Date) {
  const id = randomBytes(24).toString("base64url");
  return db.session.create({
    data: {
      id,
      userId,
      csrf: randomBytes(24).toString("base64url"),
      expiresAt: new Date(now.getTime() + maxAgeSeconds * 1000),
      userAgent: userAgent?.slice(0, 200),
      createdAt: now,
      lastSeen: now,
    },
    include: { user: true },
  });
}

export function buildSessionCookie(opts: { sid: string; user: string; userId: number; expiresAt: Date; key: Buffer; secure: boolean }): string {
  const value = signSessionCookie({ sid: opts.sid, user: opts.user, uid: opts.userId, exp: Math.floor(opts.expiresAt.getTime() / 1000) }, opts.key);
  const maxAge = Math.max(0, Math.floor((opts.expiresAt.getTime() - Date.now()) / 1000));
  // Host-only (no Domain): the cookie never reaches a user's origin, even one under the hub's host name.
  return `${sessionCookieName(opts.secure)}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${opts.secure ? "; Secure" : ""}`;
}

export function clearSessionCookie(secure: boolean): string {
  return `${sessionCookieName(secure)}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? "; Secure" : ""}`;
}

/** Looks a session up from the cookie value; null when absent, forged, expired or revoked. */
export async function readSession(db: Db, cookieValue: string | undefined, key: Buffer, now: Date): Promise<SessionInfo | null> {
  if (!cookieValue) return null;
  const claims = verifySessionCookie(cookieValue, key, Math.floor(now.getTime() / 1000));
  if (!claims) return null;
  const s = await db.session.findUnique({ where: { id: claims.sid }, include: { user: true } });
  if (!s || s.revokedAt || s.expiresAt <= now || s.user.id !== claims.uid || s.user.name !== claims.user || s.user.blockedAt) return null;
  return { sessionId: s.id, csrf: s.csrf, user: { id: s.user.id, name: s.user.name, admin: s.user.admin }, expiresAt: s.expiresAt };
}

/**
 * The session of a request, from its whole Cookie header. A browser sends several session cookies
 * when someone set one for a parent domain or a longer path — user content under the hub's domain
 * planting ("tossing") a session of its own. Malformed, forged, expired and revoked values are
 * skipped; two different live sessions are ambiguous and count as none, so a planted session can
 * neither hide the victim's nor sign the victim in as its owner.
 */
export async function readRequestSession(
  db: Db,
  cookieHeader: string | null | undefined,
  key: Buffer,
  now: Date,
  secure: boolean,
): Promise<SessionInfo | null> {
  const live = await readLiveSessions(db, cookieHeader, key, now, secure);
  return live.length === 1 ? live[0] : null;
}

/** The different live sessions among a request's session cookies (more than one: someone planted one). */
export async function readLiveSessions(db: Db, cookieHeader: string | null | undefined, key: Buffer, now: Date, secure: boolean): Promise<SessionInfo[]> {
  const nowS = Math.floor(now.getTime() / 1000);
  const live = new Map<string, SessionInfo>();
  for (const value of readCookies(cookieHeader ?? undefined, sessionCookieName(secure), MAX_SESSION_COOKIES)) {
    const claims = verifySessionCookie(value, key, nowS);
    if (!claims || live.has(claims.sid)) continue;
    const s = await readSession(db, value, key, now);
    if (s) live.set(s.sessionId, s);
  }
  return [...live.values()];
}

/**
 * Set-Cookie values that delete a session cookie of `name` wherever one could have been set so
 * that this request carried it: host-only or for any parent domain of `hostname`, on any prefix
 * of `path`. A cookie planted from a user origin for a parent domain cannot be deleted otherwise,
 * because the Cookie header does not say where a cookie came from.
 */
export function sessionCookieDeletions(name: string, hostname: string, path: string, secure: boolean): string[] {
  const labels = hostname.split(".");
  const domains = [null, ...labels.slice(0, -1).map((_, i) => labels.slice(i).join(".")), ...(labels.length === 1 ? [hostname] : [])];
  const segments = path.split("?")[0].split("/").filter(Boolean).slice(0, 6);
  const paths = ["/"];
  for (let i = 1; i <= segments.length; i++) paths.push("/" + segments.slice(0, i).join("/"), "/" + segments.slice(0, i).join("/") + "/");
  const out: string[] = [];
  for (const d of domains) for (const p of paths) out.push(`${name}=; Path=${p}${d ? `; Domain=${d}` : ""}; Max-Age=0${secure ? "; Secure" : ""}`);
  return out;
}

/** How many session cookies of one request are looked at (each may cost a database read). */
const MAX_SESSION_COOKIES = 4;

/** Where revocations are announced: every proxy (ProxyClient.revoke), so they apply at once, not at the next auth sync. */
export type RevocationPusher = Pick<RoutePusher, "revoke">;

/**
 * Revokes the OAuth tokens the sessions authorized (JupyterHub revokes a session's OAuth tokens
 * when it logs out) and tells the proxies; returns how many.
 */
export async function revokeSessionOAuthTokens(db: Db, proxy: RevocationPusher, sessionIds: readonly string[], now: Date): Promise<number> {
  if (!sessionIds.length) return 0;
  const where = { sessionId: { in: sessionIds.map(oauthSessionId) }, revokedAt: null };
  const tokens = await db.apiToken.findMany({ where, select: { id: true, hash: true } });
  if (!tokens.length) return 0;
  await db.apiToken.updateMany({ where: { id: { in: tokens.map((t) => t.id) }, revokedAt: null }, data: { revokedAt: now } });
  await proxy.revoke({ tokenHashes: tokens.map((t) => t.hash) });
  return tokens.length;
}

/** Ends one session (logout), and the OAuth tokens it authorized, and tells the proxies. */
export async function revokeSession(db: Db, proxy: RevocationPusher, sessionId: string, now: Date): Promise<void> {
  const r = await db.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: now } });
  if (r.count) await proxy.revoke({ sessions: [sessionId] });
  await revokeSessionOAuthTokens(db, proxy, [sessionId], now);
}

/**
 * Ends every live session of a user except `keepSessionId` (the one that changed the password, if
 * any), with the OAuth tokens they authorized, and tells the proxies. Returns how many sessions ended.
 */
export async function revokeUserSessions(db: Db, proxy: RevocationPusher, opts: { userId: number; now: Date; keepSessionId?: string }): Promise<number> {
  const where = { userId: opts.userId, revokedAt: null, ...(opts.keepSessionId ? { id: { not: opts.keepSessionId } } : {}) };
  const ids = (await db.session.findMany({ where, select: { id: true } })).map((s) => s.id);
  if (!ids.length) return 0;
  await db.session.updateMany({ where: { id: { in: ids }, revokedAt: null }, data: { revokedAt: opts.now } });
  // A session created between the two queries is newer than the change that ends the others.
  await proxy.revoke({ sessions: ids });
  await revokeSessionOAuthTokens(db, proxy, ids, opts.now);
  return ids.length;
}
