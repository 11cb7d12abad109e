// The hub's session cookie, shared by the hub (which issues it) and the proxy (which checks it
// on every request to a user server without calling the hub). Pure: no clock, no env.
//
// Format: base64url(JSON claims) + "." + base64url(HMAC-SHA256(cookieKey, payload)).
// The cookie only says *who*; whether the session was revoked and whether the user is an
// admin come from the hub's auth snapshot (see proxy/auth/auth-state.ts), so both take effect
// within seconds without re-issuing cookies.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "gyre-session";

export interface SessionClaims {
  /** session id (row in the hub's Session table) */
  sid: string;
  /** normalised user name */
  user: string;
  /** expiry, unix seconds */
  exp: number;
}

/** Derives a purpose-bound key from the deployment secret, so one secret serves several uses. */
export function deriveKey(secret: string, purpose: "session-cookie" | "server-token" | "csrf"): Buffer {
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

function isClaims(c: unknown): c is SessionClaims {
  const o = c as SessionClaims;
  return !!o && typeof o.sid === "string" && typeof o.user === "string" && typeof o.exp === "number";
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

/** Reads one cookie from a Cookie header without allocating a map of all of them. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const needle = name + "=";
  let i = 0;
  while (i < header.length) {
    while (header[i] === " ") i++;
    const end = header.indexOf(";", i);
    const stop = end === -1 ? header.length : end;
    if (header.startsWith(needle, i)) return decodeURIComponent(header.slice(i + needle.length, stop));
    i = stop + 1;
  }
  return undefined;
}

/** Removes one cookie from a Cookie header (the hub's cookie must never reach a user server). */
export function stripCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return header;
  const kept = header.split(/;\s*/).filter((c) => c && !c.startsWith(name + "="));
  return kept.length ? kept.join("; ") : undefined;
}
