// The hub's session cookie, shared by the hub (which issues it) and the proxy (which checks it
// on every request to a user server without calling the hub). Pure: no clock, no env.
//
// Format: base64url(JSON claims) + "." + base64url(HMAC-SHA256(cookieKey, payload)).
// The cookie only says *who*; whether the session was revoked and whether the user is an
// admin come from the hub's auth snapshot (proxy/hub/sync.ts), so both take effect
// within seconds without re-issuing cookies.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "gyre-session";
/**
 * The session cookie's name behind https. The __Host- prefix makes browsers refuse it unless it is
 * Secure, host-only and Path=/, so no other host — a user's origin under the hub's domain
 * included — can set or shadow it ("cookie tossing").
 */
export const SECURE_SESSION_COOKIE = "__Host-gyre-session";

/** The session cookie's name for a hub whose public URL is https (secure) or http. */
export function sessionCookieName(secure: boolean): string {
  return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

export interface SessionClaims {
  /** session id (row in the hub's Session table) */
  sid: string;
  /** normalised user name */
  user: string;
  /**
   * the user's id (User.id): binds the session to the account, not the name, so a cookie of a
   * deleted user never opens the servers of a new account of the same name
   */
  uid: number;
  /** expiry, unix seconds */
  exp: number;
}

/** Derives a purpose-bound key from the deployment secret, so one secret serves several uses. */
export function deriveKey(
  secret: string,
  purpose: "session-cookie" | "server-token" | "server-api-token" | "csrf" | "origin-code" | "origin-session" | "proxy-hop" | "login-device",
): Buffer {
  return createHmac("sha256", secret).update(`gyre:${purpose}:v1`).digest();
}

export function signSessionCookie(claims: SessionClaims, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const mac = createHmac("sha256", key).update(payload).digest("base64url");
  return `${payload}.${mac}`;
}

/** Returns the claims if the signature is valid and the cookie has not expired, else null. */
export function verifySessionCookie(value: string, key: Buffer, nowSeconds: number): SessionClaims | null {
  const dot = value.indexOf(".");
  if (dot <= 0 || dot !== value.lastIndexOf(".")) return null;
  const payload = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), "base64url");
  const expected = createHmac("sha256", key).update(payload).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (!isClaims(claims) || claims.exp <= nowSeconds) return null;
  return claims;
}

/** Cookies signed before claims carried the user id (no `uid`) are refused: they name an account only by its name. */
function isClaims(c: unknown): c is SessionClaims {
  const o = c as SessionClaims;
  return !!o && typeof o.sid === "string" && typeof o.user === "string" && Number.isSafeInteger(o.uid) && typeof o.exp === "number";
}

/**
 * The token a user server accepts, derived from the spawn id so it is never stored: the hub and
 * every proxy replica can recompute it, a restart loses nothing, and a new spawn gets a new token.
 */
export function deriveServerToken(secret: string, spawnId: string): string {
  return createHmac("sha256", deriveKey(secret, "server-token")).update(spawnId).digest("hex");
}

/** deriveServerToken with the purpose key computed once: one HMAC per token instead of two. */
export function serverTokenDeriver(secret: string): (spawnId: string) => string {
  const key = deriveKey(secret, "server-token");
  return (spawnId) => createHmac("sha256", key).update(spawnId).digest("hex");
}

/**
 * Reads one cookie (the first of that name) from a Cookie header without allocating a map of all
 * of them. A value with a malformed %-escape is returned as sent rather than throwing: a cookie
 * anyone can plant must not make every request of that browser fail.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  return readCookies(header, name, 1)[0];
}

/** Every value of cookie `name` in a Cookie header, in order (at most `max`); %-escapes decoded where valid. */
export function readCookies(header: string | undefined, name: string, max = 16): string[] {
  const out: string[] = [];
  if (!header) return out;
  const needle = name + "=";
  let i = 0;
  while (i < header.length && out.length < max) {
    while (header[i] === " ") i++;
    const end = header.indexOf(";", i);
    const stop = end === -1 ? header.length : end;
    if (header.startsWith(needle, i)) out.push(safeDecode(header.slice(i + needle.length, stop)));
    i = stop + 1;
  }
  return out;
}

/**
 * The one session among a request's cookies of one name, given a verifier. A browser sends
 * several cookies of a name when someone else set one for a parent domain or a longer path —
 * user content planting ("tossing") a session of its own. Invalid values are skipped; two valid
 * values of *different* sessions are ambiguous, and the answer is none rather than a guess that
 * could sign the victim in as the attacker.
 */
export function pickOneSession<C extends { sid: string }>(values: readonly string[], verify: (value: string) => C | null): C | null {
  let found: C | null = null;
  for (const v of values) {
    const c = verify(v);
    if (!c) continue;
    if (found && found.sid !== c.sid) return null;
    found ??= c;
  }
  return found;
}

/** Removes cookies from a Cookie header (Gyre's own must never reach a user server). */
export function stripCookies(header: string | undefined, names: readonly string[]): string | undefined {
  if (!header) return header;
  const kept = header.split(/;\s*/).filter((c) => {
    if (!c) return false;
    const eq = c.indexOf("=");
    return !names.includes(eq === -1 ? c : c.slice(0, eq));
  });
  return kept.length ? kept.join("; ") : undefined;
}

/** Removes one cookie from a Cookie header. */
export function stripCookie(header: string | undefined, name: string): string | undefined {
  return stripCookies(header, [name]);
}

function safeDecode(v: string): string {
  if (!v.includes("%")) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
