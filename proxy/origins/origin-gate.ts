// The proxy's side of the user-origin handshake (handshake.ts): sending a browser without a
// session on a user's origin to the hub, and turning the hub's code into the user-origin cookie.
// Nothing is kept in this process: the state lives in a cookie, the code is verified with a key
// derived from hub.secretKey, so any proxy replica can finish what another started.
import http from "node:http";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { AuthSnapshotView } from "@/proxy/auth/identity";
import { deriveKey, readCookies } from "@/proxy/auth/session-cookie";
import type { Answers } from "@/proxy/forward/answers";
import { readRawHeader } from "@/proxy/forward/upstream-headers";
import type { OriginLogin } from "@/proxy/routing/resolve";
import {
  STATE_TTL_SECONDS,
  buildOriginCookie,
  hashState,
  isNextOnOrigin,
  originCookieNames,
  signOriginSession,
  verifyOriginCode,
  type CodeRefusal,
} from "./handshake";
import { classifyHost, hostnameOf, type OriginPlan } from "./origin-plan";
import { userLabel } from "./user-label";

export interface OriginGateOptions {
  plan: OriginPlan;
  /** hub.secretKey: the keys of codes and user-origin cookies are derived from it */
  secretKey: string;
  /** revoked hub sessions: a code for one is not honoured */
  auth: AuthSnapshotView;
  answers: Answers;
  log: Logger;
}

/** Answered to every refused callback; the reason goes to the log only. */
export const CALLBACK_REFUSED =
  "This sign-in link for the server is invalid or has expired: it works once, within a minute, in the browser that asked for it. Open the server's page again to sign in.";

/** A state value as the proxy makes it (32 random bytes, base64url). */
const STATE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export class OriginGate {
  private readonly codeKey: Buffer;
  private readonly sessionKey: Buffer;
  private readonly cookies: { session: string; state: string };
  private readonly secure: boolean;

  constructor(private readonly opts: OriginGateOptions) {
    this.codeKey = deriveKey(opts.secretKey, "origin-code");
    this.sessionKey = deriveKey(opts.secretKey, "origin-session");
    this.secure = opts.plan.scheme === "https:";
    this.cookies = originCookieNames(this.secure);
  }

  /**
   * Step one: a short-lived state cookie on this origin, and the browser to the hub's
   * /hub/origin-login. A state cookie already there is kept (and its life renewed), so several
   * tabs signing in at once all carry the same state and all succeed.
   */
  startLogin(req: http.IncomingMessage, res: http.ServerResponse, r: OriginLogin): void {
    const sent = readCookies(readRawHeader(req.rawHeaders, "cookie"), this.cookies.state).find((v) => STATE_SHAPE.test(v));
    const state = sent ?? randomBytes(32).toString("base64url");
    const q = new URLSearchParams({ user: r.user, state: hashState(state), next: r.next });
    this.opts.answers.redirect(res, 302, `${this.opts.plan.hubOrigin}/hub/origin-login?${q}`, {
      "set-cookie": buildOriginCookie(this.cookies.state, state, { maxAgeSeconds: STATE_TTL_SECONDS, secure: this.secure }),
      "cache-control": "no-store",
    });
  }

  /** Step three: GET /_gyre/callback?code=…: verify, set the user-origin cookie, go to `next`. */
  finishLogin(req: http.IncomingMessage, res: http.ServerResponse): void {
    const host = readRawHeader(req.rawHeaders, "host");
    const hostClass = classifyHost(this.opts.plan, host);
    const hostname = host ? hostnameOf(host) : "";
    const code = new URLSearchParams((req.url ?? "").split("?")[1] ?? "").get("code") ?? "";
    const nowSeconds = Date.now() / 1000;
    const stateCookies = readCookies(readRawHeader(req.rawHeaders, "cookie"), this.cookies.state);
    let r = verifyOriginCode(code, this.codeKey, { host: hostname, stateCookies, nowSeconds });
    if (typeof r !== "string" && this.opts.auth.isRevoked(r.sid)) r = "expired";
    if (typeof r === "string" || hostClass.kind !== "user") {
      this.refused(req, res, typeof r === "string" ? r : "wrong-host");
      return;
    }
    const next = isNextOnOrigin(r.next, hostClass.label, userLabel) ? r.next : "/";
    const value = signOriginSession({ host: hostname, sid: r.sid, user: r.user, uid: r.uid, exp: r.sexp }, this.sessionKey);
    this.opts.answers.redirect(res, 302, next, {
      // The state cookie stays until it expires: another tab's sign-in may still need it.
      "set-cookie": buildOriginCookie(this.cookies.session, value, { maxAgeSeconds: r.sexp - nowSeconds, secure: this.secure }),
      "cache-control": "no-store",
      // The code is in this URL: no page after it may learn it from a Referer.
      "referrer-policy": "no-referrer",
    });
  }

  /** Set-Cookie values that end the user-origin session on this origin (logout). */
  clearCookies(): string[] {
    return [this.cookies.session, this.cookies.state].map((n) => buildOriginCookie(n, "", { maxAgeSeconds: 0, secure: this.secure }));
  }

  private refused(req: http.IncomingMessage, res: http.ServerResponse, reason: CodeRefusal): void {
    this.opts.log.info({ reason, host: req.headers.host }, "user-origin sign-in refused");
    this.opts.answers.refuse(req, res, 400, CALLBACK_REFUSED, {
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    });
  }
}
