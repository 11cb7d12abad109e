// A local password login: the attempt is reserved under its limits (login-limits.ts) before the
// password is checked (rate-limit.ts), so a burst of guesses cannot all be checked, and a right
// password inside the burst gets no further than a wrong one. A success hands out a login-device
// cookie that spares this browser the per-name limit next time.
import { randomBytes } from "node:crypto";
import { signSessionCookie, verifySessionCookie, readCookies } from "@/proxy/auth/session-cookie";
import type { Db } from "../db/types";
import { verifyPassword } from "./passwords";
import { loginLimitKeys, loginSuccessKey, type LoginLimits } from "./login-limits";
import { clearAttempts, pruneAttempts, releaseAttempt, reserveAttempt } from "./rate-limit";

/** The login-device cookie: proof that this browser logged in to an account before. */
export const LOGIN_DEVICE_COOKIE = "gyre-login-device";
/** How long a login-device cookie lasts. */
const DEVICE_LIFETIME_SECONDS = 180 * 24 * 3600;

export type PasswordLoginOutcome = { kind: "ok"; user: { id: number; name: string } } | { kind: "invalid" } | { kind: "rate-limited" };

export interface PasswordLoginOptions {
  name: string;
  password: string;
  /** the client address (clientAddress() in http/client-address.ts) */
  address: string;
  /** the request's Cookie header (for a login-device cookie) */
  cookieHeader: string | undefined;
  /** key that signs login-device cookies (deriveKey(secret, "login-device")) */
  deviceKey: Buffer;
  limits: LoginLimits & { loginWindowSeconds: number };
  now: Date;
}

/** Checks a name and password under the login limits. */
export async function checkPasswordLogin(db: Db, o: PasswordLoginOptions): Promise<PasswordLoginOutcome> {
  const user = await db.user.findUnique({ where: { name: o.name } });
  const deviceId = user ? readLoginDevice(o.cookieHeader, o.deviceKey, user, o.now) : null;
  const keys = loginLimitKeys({ name: o.name, address: o.address, deviceId, limits: o.limits });
  const reservation = await reserveAttempt(db, { keys, windowSeconds: o.limits.loginWindowSeconds, now: o.now });
  if (!reservation) return { kind: "rate-limited" };
  // verifyPassword spends the same time for a missing user or one without a password.
  if (!(await verifyPassword(o.password, user?.passwordHash)) || !user) {
    await pruneAttempts(db, o.now);
    return { kind: "invalid" };
  }
  await releaseAttempt(db, reservation);
  await clearAttempts(db, loginSuccessKey(o.name, o.address));
  return { kind: "ok", user: { id: user.id, name: user.name } };
}

/** A Set-Cookie value for a new login-device cookie of this account (Path=/hub/login only). */
export function buildLoginDeviceCookie(opts: { user: { id: number; name: string }; key: Buffer; secure: boolean; now: Date }): string {
  const exp = Math.floor(opts.now.getTime() / 1000) + DEVICE_LIFETIME_SECONDS;
  const value = signSessionCookie({ sid: randomBytes(12).toString("base64url"), user: opts.user.name, uid: opts.user.id, exp }, opts.key);
  return `${LOGIN_DEVICE_COOKIE}=${value}; Path=/hub/login; HttpOnly; SameSite=Strict; Max-Age=${DEVICE_LIFETIME_SECONDS}${opts.secure ? "; Secure" : ""}`;
}

/**
 * The id of a valid login-device cookie of this very account (its id, not only its name), or null.
 * A browser holds one: logging in to another account replaces it.
 */
function readLoginDevice(header: string | undefined, key: Buffer, user: { id: number; name: string }, now: Date): string | null {
  for (const value of readCookies(header, LOGIN_DEVICE_COOKIE, 8)) {
    const claims = verifySessionCookie(value, key, Math.floor(now.getTime() / 1000));
    if (claims && claims.uid === user.id && claims.user === user.name) return claims.sid;
  }
  return null;
}
