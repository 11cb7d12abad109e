// The OAuth `state` parameter, bound to the browser by a short-lived signed cookie (there is no
// server-side session before login). The cookie holds {state, next, exp} signed with a key
// derived from hub.secretKey; the callback accepts the state only if it matches the cookie.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const STATE_COOKIE = "gyre-oauth-state";
/** How long a person may spend on GitHub's consent page. */
export const STATE_MAX_AGE_SECONDS = 600;

/** The signing key for state cookies, derived from the deployment secret. */
export function deriveStateKey(secretKey: string): Buffer {
  return createHmac("sha256", secretKey).update("gyre:github-oauth-state:v1").digest();
}

/** A fresh random state and the cookie value that binds it (and where to go afterwards). */
export function issueState(key: Buffer, next: string, nowS: number): { state: string; cookie: string } {
  const state = randomBytes(24).toString("base64url");
  const payload = Buffer.from(JSON.stringify({ s: state, n: next, e: nowS + STATE_MAX_AGE_SECONDS })).toString("base64url");
  return { state, cookie: `${payload}.${createHmac("sha256", key).update(payload).digest("base64url")}` };
}

/** The `next` path when `state` matches an unexpired, correctly signed cookie; null otherwise. */
export function checkState(key: Buffer, cookie: string | undefined, state: string | undefined, nowS: number): { next: string } | null {
  if (!cookie || !state) return null;
  const [payload, mac] = cookie.split(".");
  if (!payload || !mac) return null;
  const want = createHmac("sha256", key).update(payload).digest();
  const got = Buffer.from(mac, "base64url");
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  let claims: { s?: unknown; n?: unknown; e?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as typeof claims;
  } catch {
    return null;
  }
  if (typeof claims.s !== "string" || typeof claims.e !== "number" || claims.e < nowS) return null;
  const a = Buffer.from(claims.s);
  const b = Buffer.from(state);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
  return { next: typeof claims.n === "string" ? claims.n : "/hub/home" };
}

/** Set-Cookie for the state cookie (Path limited to the callback; Lax so GitHub's redirect carries it). */
export function stateCookieHeader(value: string, secure: boolean): string {
  return `${STATE_COOKIE}=${value}; Path=/hub/oauth_callback; HttpOnly; SameSite=Lax; Max-Age=${value ? STATE_MAX_AGE_SECONDS : 0}${secure ? "; Secure" : ""}`;
}
