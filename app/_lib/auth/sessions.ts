// Server-side sessions. The cookie carries signed {sid, user, exp}; the Session row is the truth
// (revocation, expiry). The proxy trusts the signature plus the hub's revocation list.
import { randomBytes } from "node:crypto";
import { SESSION_COOKIE, signSessionCookie, verifySessionCookie } from "@/proxy/auth/session-cookie";
import type { Db } from "../db/types";

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

export function buildSessionCookie(opts: { sid: string; user: string; expiresAt: Date; key: Buffer; secure: boolean }): string {
  const value = signSessionCookie({ sid: opts.sid, user: opts.user, exp: Math.floor(opts.expiresAt.getTime() / 1000) }, opts.key);
  const maxAge = Math.max(0, Math.floor((opts.expiresAt.getTime() - Date.now()) / 1000));
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${opts.secure ? "; Secure" : ""}`;
}

export function clearSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? "; Secure" : ""}`;
}

/** Looks a session up from the cookie value; null when absent, forged, expired or revoked. */
export async function readSession(db: Db, cookieValue: string | undefined, key: Buffer, now: Date): Promise<SessionInfo | null> {
  if (!cookieValue) return null;
  const claims = verifySessionCookie(cookieValue, key, Math.floor(now.getTime() / 1000));
  if (!claims) return null;
  const s = await db.session.findUnique({ where: { id: claims.sid }, include: { user: true } });
  if (!s || s.revokedAt || s.expiresAt <= now || s.user.name !== claims.user) return null;
  return { sessionId: s.id, csrf: s.csrf, user: { id: s.user.id, name: s.user.name, admin: s.user.admin }, expiresAt: s.expiresAt };
}

export async function revokeSession(db: Db, sessionId: string, now: Date): Promise<void> {
  await db.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: now } });
}

export async function revokeUserSessions(db: Db, userId: number, now: Date): Promise<number> {
  const r = await db.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
  return r.count;
}
