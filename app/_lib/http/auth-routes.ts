// Form posts handled on the Express side of the hub: local login, logout and first-run setup, plus
// GitHub's OAuth routes (auth/github/routes.ts). Pages live in Next; these only redirect.
//
// CSRF: every POST here first passes the Origin check (security.ts; browsers send Origin on every
// cross-site form post). On top of it, logout by POST needs the session's CSRF token (`_csrf`),
// setup needs the one-time setup token (a secret no other site knows), and the login form only
// starts a session for whoever types a password. GET /hub/logout is honoured only for same-site
// navigations (Sec-Fetch-Site), so an <img> on another site cannot log anyone out.
import express, { type Request, type Response, type NextFunction } from "express";
import { timingSafeEqual } from "node:crypto";
import { readCookies, sessionCookieName, verifySessionCookie } from "@/proxy/auth/session-cookie";
import { getRuntime } from "../runtime";
import { hashPassword } from "../auth/passwords";
import { buildLoginDeviceCookie, checkPasswordLogin } from "../auth/password-login";
import { clientAddress } from "./client-address";
import { urlencodedForm } from "./form-body";
import {
  buildSessionCookie,
  clearSessionCookie,
  createSession,
  readLiveSessions,
  readRequestSession,
  revokeSession,
  sessionCookieDeletions,
} from "../auth/sessions";
import { hashToken } from "../auth/api-tokens";
import { normalizeUsername, USERNAME_PATTERN } from "@/app/_lib/users/names";
import { setPasswordHash, upsertAdmin } from "@/app/_lib/users/admin";
import { getUserOrThrow } from "@/app/_lib/users/queries";
import { ConfigError } from "@/config/load";
import { githubRouter } from "../auth/github/routes";
import { sendRefusal } from "./security";
import { forgetSetupLink } from "../auth/bootstrap";
import { judgeSetupLink } from "../auth/setup-links";

/** Only same-site relative paths may be redirect targets (no open redirects). */
export function safeNext(raw: unknown, fallback = "/hub/home"): string {
  if (typeof raw !== "string" || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\") || /[\r\n]/.test(raw)) return fallback;
  return raw;
}

function secure(): boolean {
  return getRuntime().origins.scheme === "https:";
}

function loginRedirect(res: Response, error: string, next: string, username = ""): void {
  const q = new URLSearchParams({ error, next });
  if (username) q.set("username", username);
  res.redirect(303, `/hub/login?${q}`);
}

/** Creates a server-side session, sets its signed cookie and redirects to `next`. */
export async function startSession(req: Request, res: Response, userId: number, userName: string, next: string): Promise<void> {
  const { db, config, keys } = getRuntime();
  const s = await createSession(db, userId, config.auth.sessionMaxAgeSeconds, req.get("user-agent"), new Date());
  res.append("Set-Cookie", buildSessionCookie({ sid: s.id, user: userName, userId, expiresAt: s.expiresAt, key: keys.sessionCookie, secure: secure() }));
  res.redirect(303, next);
}

/**
 * Is this GET a navigation the hub itself started (or from a client that does not send
 * Sec-Fetch-Site)? With per-user origins, users' origins are the same *site* as the hub when the
 * hub has a real domain, so "same-site" would let any user's page log its viewer out: only
 * "same-origin" counts then.
 */
export function isSameSiteNavigation(secFetchSite: string | undefined, perUserOrigins = false): boolean {
  return secFetchSite === undefined || secFetchSite === "same-origin" || secFetchSite === "none" || (!perUserOrigins && secFetchSite === "same-site");
}

/** A field of the urlencoded form body; "" when it is absent or sent more than once. */
function formField(req: Request, name: string): string {
  const value: unknown = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" ? value : "";
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function authRouter(): express.Router {
  const r = express.Router();
  const form = urlencodedForm({ limitBytes: 16 * 1024 });
  const { config } = getRuntime();
  if (config.auth.github.enabled) {
    try {
      r.use(githubRouter({ config, db: () => getRuntime().db, log: () => getRuntime().log, startSession, safeNext: (raw) => safeNext(raw) }));
    } catch (err) {
      // A configuration problem, not a crash: show only the message (it names the option).
      const e = new ConfigError((err as Error).message);
      e.stack = e.message;
      throw e;
    }
  }

  r.post("/hub/login", form, async (req, res, nextFn) => {
    try {
      const { db, config, keys } = getRuntime();
      const next = safeNext(formField(req, "next"));
      if (!config.auth.local.enabled) return loginRedirect(res, "local-disabled", next);
      const name = normalizeUsername(formField(req, "username"));
      if (!USERNAME_PATTERN.test(name)) return loginRedirect(res, "bad-name", next, name.slice(0, 32));
      const now = new Date();
      const outcome = await checkPasswordLogin(db, {
        name,
        password: formField(req, "password"),
        address: clientAddress(req),
        cookieHeader: req.headers.cookie,
        deviceKey: keys.loginDevice,
        limits: config.auth,
        now,
      });
      if (outcome.kind !== "ok") return loginRedirect(res, outcome.kind, next, name);
      // Said only after the right password, so the refusal tells a guesser nothing.
      const blocked = await db.user.findUnique({ where: { id: outcome.user.id }, select: { blockedAt: true } });
      if (blocked?.blockedAt) return loginRedirect(res, "blocked", next, name);
      res.append("Set-Cookie", buildLoginDeviceCookie({ user: outcome.user, key: keys.loginDevice, secure: secure(), now }));
      await startSession(req, res, outcome.user.id, outcome.user.name, next);
    } catch (err) {
      nextFn(err);
    }
  });

  const logout = async (req: Request, res: Response, nextFn: NextFunction) => {
    try {
      const { db, keys } = getRuntime();
      const s = await readRequestSession(db, req.headers.cookie, keys.sessionCookie, new Date(), secure());
      // A logout link followed from elsewhere (a user's server's Log out button, another site): the
      // home page asks for the hub's own Log out button instead.
      if (s && req.method === "GET" && !isSameSiteNavigation(req.get("sec-fetch-site"), getRuntime().origins.mode === "per-user")) {
        return res.redirect(303, "/hub/home?logout=confirm");
      }
      if (s && req.method === "POST" && !sameSecret(formField(req, "_csrf"), s.csrf)) {
        sendRefusal(req, res, 403, "Logout refused: the form's CSRF token is missing or stale. Reload the page and log out again.");
        return;
      }
      if (s) await revokeSession(db, getRuntime().proxy, s.sessionId, new Date());
      res.setHeader("Set-Cookie", clearSessionCookie(secure()));
      res.redirect(303, "/hub/login?info=logged-out");
    } catch (err) {
      nextFn(err);
    }
  };
  r.get("/hub/logout", logout);
  r.post("/hub/logout", form, logout);

  // First-run setup of the admin account, or a new password from a reset link (both one-time).
  r.post("/hub/setup", form, async (req, res, nextFn) => {
    try {
      const { db, config } = getRuntime();
      const token = formField(req, "token");
      const typed = formField(req, "username").slice(0, 64);
      const back = (error: string) => res.redirect(303, `/hub/setup?${new URLSearchParams({ token, error, ...(typed ? { username: typed } : {}) })}`);
      const row = await db.setupToken.findUnique({ where: { hash: hashToken(token) } });
      const adminExists = (await db.user.count({ where: { admin: true } })) > 0;
      const { verdict, resetFor } = judgeSetupLink({ row, adminExists, now: new Date() });
      if (!row || verdict !== "usable") return back(verdict === "done" ? "done" : "expired");
      const name = resetFor ?? normalizeUsername(typed);
      const password = formField(req, "password");
      if (!USERNAME_PATTERN.test(name)) return back("bad-name");
      if (password.length < config.auth.local.minPasswordLength) return back("short-password");
      if (password !== formField(req, "password2")) return back("mismatch");
      const passwordHash = await hashPassword(password);
      // One use only, even when two requests race: only the request that marks it used proceeds.
      const claimed = await db.setupToken.updateMany({ where: { hash: row.hash, usedAt: null }, data: { usedAt: new Date() } });
      if (claimed.count !== 1) return back("expired");
      let user;
      if (resetFor) {
        user = await getUserOrThrow(db, name);
        // A new password ends every other session of the account.
        await setPasswordHash(db, getRuntime().proxy, { userId: user.id, passwordHash, now: new Date() });
      } else {
        user = await upsertAdmin(db, getRuntime().proxy, name, passwordHash);
        forgetSetupLink(config.hub.dataDir);
      }
      await startSession(req, res, user.id, user.name, resetFor ? "/hub/home" : "/hub/admin");
    } catch (err) {
      nextFn(err);
    }
  });
  return r;
}

/**
 * Sliding sessions: past half its life, a session is extended and its cookie re-issued. Only the
 * request's one session (readRequestSession): re-issuing a planted session as the hub's own cookie
 * would sign the victim in as its owner. When the request carries two live sessions, every
 * session cookie it could have carried is deleted instead (sessionCookieDeletions): the person
 * logs in again, rather than staying stuck between two sessions until the planted one expires.
 */
export async function refreshSession(req: Request, res: Response, next: NextFunction): Promise<void> {
  try {
    const { db, config, keys } = getRuntime();
    const name = sessionCookieName(secure());
    const values = readCookies(req.headers.cookie, name);
    if (values.length > 1 && (await readLiveSessions(db, req.headers.cookie, keys.sessionCookie, new Date(), secure())).length > 1) {
      res.append("Set-Cookie", sessionCookieDeletions(name, req.hostname, req.originalUrl, secure()));
      return next();
    }
    const nowS = Math.floor(Date.now() / 1000);
    const nearExpiry = values.some((v) => {
      const claims = verifySessionCookie(v, keys.sessionCookie, nowS);
      return claims && claims.exp - nowS < config.auth.sessionMaxAgeSeconds / 2;
    });
    if (nearExpiry) {
      const s = await readRequestSession(db, req.headers.cookie, keys.sessionCookie, new Date(), secure());
      if (s && s.expiresAt.getTime() / 1000 - nowS < config.auth.sessionMaxAgeSeconds / 2) {
        const expiresAt = new Date(Date.now() + config.auth.sessionMaxAgeSeconds * 1000);
        await db.session.update({ where: { id: s.sessionId }, data: { expiresAt, lastSeen: new Date() } });
        res.append(
          "Set-Cookie",
          buildSessionCookie({ sid: s.sessionId, user: s.user.name, userId: s.user.id, expiresAt, key: keys.sessionCookie, secure: secure() }),
        );
      }
    }
    next();
  } catch (err) {
    next(err);
  }
}
