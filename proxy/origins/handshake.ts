// How a browser gets credentials on a user's origin, stateless so that any hub and any proxy
// replica can take part. Pure: keys, the time and random values come in as arguments.
//
//  1. A browser request on <label>.<userDomain> without a valid user-origin cookie: the proxy sets
//     a short-lived, host-only state cookie (random S) and redirects to the hub,
//     /hub/origin-login?user=<name>&state=<sha256(S)>&next=<path>.
//  2. The hub checks its own session (login first if needed) and that the signed-in user may use
//     that user's servers (the owner; an admin after a confirmation page), then redirects to
//     <user origin>/_gyre/callback?code=<code>: the code is signed with a key derived from
//     hub.secretKey for this purpose only and binds the host, sha256(S), the hub session (id, user,
//     user id, expiry), `next`, and an expiry CODE_TTL_SECONDS away.
//  3. The proxy verifies the code locally (no call to the hub), checks sha256(its state cookie)
//     against it — so a code is useless without the browser that asked for it, and S itself never
//     appears in a URL — and sets the user-origin cookie: host-only, HttpOnly, SameSite=Lax,
//     Secure (and the __Host- prefix) behind https, carrying the hub session's id, so logging out
//     or revoking that session at the hub ends it here through the proxy's revocation list.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from "@/proxy/auth/session-cookie";
import { isUserLabel } from "./user-label";

/** How long a code from the hub may take to reach the user's origin. */
export const CODE_TTL_SECONDS = 60;
/** How long the state cookie lives: long enough for a login form at the hub in between. */
export const STATE_TTL_SECONDS = 600;
/** The path prefix the proxy keeps for itself on user origins; user servers never see it. */
export const RESERVED_PREFIX = "/_gyre/";
export const CALLBACK_PATH = "/_gyre/callback";

/** Names of the proxy's cookies on user origins; the __Host- prefix needs a secure origin. */
export function originCookieNames(secure: boolean): { session: string; state: string } {
  return secure ? { session: "__Host-gyre-user-origin", state: "__Host-gyre-origin-state" } : { session: "gyre-user-origin", state: "gyre-origin-state" };
}

/** Every cookie Gyre itself sets, under either scheme; none of them ever reaches a user server or dashboard. */
export const GYRE_COOKIES: readonly string[] = [
  SESSION_COOKIE,
  SECURE_SESSION_COOKIE,
  ...Object.values(originCookieNames(false)),
  ...Object.values(originCookieNames(true)),
];

/** What the hub's code says; the proxy turns it into the user-origin cookie. */
export interface OriginCode {
  /** the user origin's host name the code is for ("alice.localhost") */
  host: string;
  /** sha256 of the state cookie's value, base64url */
  state: string;
  /** where to go on that origin: a path under the owner's /user/<name>/ */
  next: string;
  /** the hub session's id: revoking it ends the user-origin session too */
  sid: string;
  /** the signed-in user (the viewer, not necessarily the owner) */
  user: string;
  /** the signed-in user's id */
  uid: number;
  /** the hub session's expiry (unix seconds): the user-origin cookie ends no later */
  sexp: number;
  /** the code's own expiry (unix seconds) */
  exp: number;
}

/** The user-origin cookie's claims. */
export interface OriginSessionClaims {
  host: string;
  sid: string;
  user: string;
  uid: number;
  exp: number;
}

/** Why a code or a callback was refused (for the log and the tests; the browser gets one message). */
export type CodeRefusal = "malformed" | "bad-signature" | "expired" | "wrong-host" | "wrong-state" | "no-state";

/** sha256 of a state value, base64url: what travels in URLs instead of the state itself. */
export function hashState(state: string): string {
  return createHash("sha256").update(state).digest("base64url");
}

/** A state hash as the hub accepts it (43 base64url characters). */
export function isStateHash(s: unknown): s is string {
  return typeof s === "string" && /^[A-Za-z0-9_-]{43}$/.test(s);
}

export function signOriginCode(code: OriginCode, key: Buffer): string {
  return signClaims({ t: "code", ...code }, key);
}

/**
 * The code's claims if it is signed with `key`, unexpired, for `host`, and matches one of the state
 * cookie values the browser sent (a cookie planted for a parent domain may sit beside ours).
 */
export function verifyOriginCode(
  value: string,
  key: Buffer,
  o: { host: string; stateCookies: readonly string[]; nowSeconds: number },
): OriginCode | CodeRefusal {
  const raw = verifyClaims(value, key);
  if (typeof raw === "string") return raw;
  if (!isCode(raw)) return "malformed";
  if (raw.exp <= o.nowSeconds) return "expired";
  if (raw.host !== o.host) return "wrong-host";
  if (!o.stateCookies.length) return "no-state";
  if (!o.stateCookies.some((s) => sameString(hashState(s), raw.state))) return "wrong-state";
  const { t: _t, ...code } = raw;
  return code;
}

export function signOriginSession(claims: OriginSessionClaims, key: Buffer): string {
  return signClaims({ t: "origin", ...claims }, key);
}

/** The cookie's claims if it is signed with `key`, unexpired and for `host`; else null. */
export function verifyOriginSession(value: string, key: Buffer, host: string, nowSeconds: number): OriginSessionClaims | null {
  const raw = verifyClaims(value, key);
  if (typeof raw === "string" || !isSession(raw) || raw.exp <= nowSeconds || raw.host !== host) return null;
  const { t: _t, ...claims } = raw;
  return claims;
}

/**
 * Whether `next` may follow a login on the origin of `label`: a path (not a URL, not
 * protocol-relative) under /user/<name>/ for a name whose label is `label`. `labelOf` is
 * userLabel(); passed in so callers with the name at hand need no second parse.
 */
export function isNextOnOrigin(next: string, label: string, labelOf: (name: string) => string): boolean {
  if (!next.startsWith("/user/") || /[\r\n\\]/.test(next)) return false;
  const end = next.indexOf("/", 6);
  if (end === -1) return false;
  let name: string;
  try {
    name = decodeURIComponent(next.slice(6, end));
  } catch {
    return false;
  }
  return isUserLabel(label) && labelOf(name) === label;
}

/** Set-Cookie value for one of the proxy's cookies on a user origin. maxAgeSeconds 0 deletes it. */
export function buildOriginCookie(name: string, value: string, o: { maxAgeSeconds: number; secure: boolean }): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}${o.secure ? "; Secure" : ""}`;
}

// Signed claims: base64url(JSON) "." base64url(HMAC-SHA256(key, payload)), as the hub's session
// cookie (proxy/auth/session-cookie.ts); a type tag ("t") keeps a code from passing as a cookie.

function signClaims(claims: object, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${payload}.${createHmac("sha256", key).update(payload).digest("base64url")}`;
}

function verifyClaims(value: string, key: Buffer): Record<string, unknown> | "malformed" | "bad-signature" {
  const dot = value.indexOf(".");
  if (dot <= 0 || dot !== value.lastIndexOf(".") || value.length > 4096) return "malformed";
  const payload = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), "base64url");
  const expected = createHmac("sha256", key).update(payload).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "bad-signature";
  try {
    const v: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : "malformed";
  } catch {
    return "malformed";
  }
}

function isCode(v: unknown): v is OriginCode & { t: "code" } {
  const c = v as Record<string, unknown>;
  return (
    c.t === "code" &&
    typeof c.host === "string" &&
    typeof c.state === "string" &&
    typeof c.next === "string" &&
    typeof c.sid === "string" &&
    typeof c.user === "string" &&
    Number.isSafeInteger(c.uid) &&
    typeof c.sexp === "number" &&
    typeof c.exp === "number"
  );
}

function isSession(v: unknown): v is OriginSessionClaims & { t: "origin" } {
  const c = v as Record<string, unknown>;
  return (
    c.t === "origin" &&
    typeof c.host === "string" &&
    typeof c.sid === "string" &&
    typeof c.user === "string" &&
    Number.isSafeInteger(c.uid) &&
    typeof c.exp === "number"
  );
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
