// GET /hub/oauth_login and GET /hub/oauth_callback: GitHub's OAuth web flow through passport and
// passport-github2, on the Express side of the hub (passport is Express-shaped). No passport
// session: the `state` is bound to the browser by a signed cookie (state-cookie.ts) and the hub
// issues its own session once the person is admitted. Every failure ends on the login page with
// a code the page explains (app/login/page.tsx).
import express, { type Request, type RequestHandler, type Response, type NextFunction } from "express";
import { readFileSync } from "node:fs";
import passport from "passport";
import { Strategy as GitHubStrategy, type Profile, type StrategyOptions as GitHubStrategyOptions } from "passport-github2";
import type { ResolvedConfig } from "@/config/load";
import type { Db } from "@/app/_lib/db/types";
import type { Logger } from "@/app/_lib/log";
import { readCookie } from "@/proxy/auth/session-cookie";
import { isBlocked, recordAttempt } from "../rate-limit";
import { addressKey } from "../login-limits";
import { clientAddress } from "@/app/_lib/http/client-address";
import { resolveGitHubSettings, type GitHubSettings } from "./settings";
import { checkState, deriveStateKey, issueState, stateCookieHeader, STATE_COOKIE } from "./state-cookie";
import { fetchUserOrgs, fetchUserTeams } from "./api";
import { completeGitHubLogin } from "./login";

/** What the router needs from the hub, passed in so this file does not import the entry. */
export interface GitHubRouterDeps {
  config: ResolvedConfig;
  db: () => Db;
  log: () => Logger;
  /** issues the hub session cookie and redirects to `next` */
  startSession: (req: Request, res: Response, userId: number, userName: string, next: string) => Promise<void>;
  /** only same-site relative paths */
  safeNext: (raw: unknown) => string;
}

/** Reads auth.github.clientSecretFile, naming the option when it cannot. */
function readSecretFile(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`Invalid configuration: auth.github.clientSecretFile: cannot read ${path} (${(e as Error).message}).`, { cause: e });
  }
}

/** The settings for an enabled GitHub login; throws a message naming the option that is missing. */
export function loadGitHubSettings(config: ResolvedConfig): GitHubSettings {
  return resolveGitHubSettings(config.auth.github, config.hub.publicUrl, readSecretFile(config.auth.github.clientSecretFile));
}

interface Verified {
  accessToken: string;
  profile: Profile;
}

/** The router for the two OAuth routes; throws at start when the configuration is incomplete. */
export function githubRouter(deps: GitHubRouterDeps): express.Router {
  const settings = loadGitHubSettings(deps.config);
  const stateKey = deriveStateKey(deps.config.hub.secretKey);
  const secure = deps.config.hub.publicUrl.startsWith("https:");
  const gh = deps.config.auth.github;

  const strategy = new GitHubStrategy(
    {
      clientID: settings.clientId,
      clientSecret: settings.clientSecret,
      callbackURL: settings.callbackUrl,
      authorizationURL: settings.authorizationUrl,
      tokenURL: settings.tokenUrl,
      userProfileURL: settings.userProfileUrl,
      scope: settings.scopes,
      userAgent: "gyre-hub",
      // The state lives in our signed cookie, not in a passport session (there is none).
      store: {
        store(req: Request, _meta: unknown, cb: (err: Error | null, state?: string) => void) {
          const { state, cookie } = issueState(stateKey, (req as Request & { gyreNext?: string }).gyreNext ?? "/hub/home", Math.floor(Date.now() / 1000));
          req.res!.append("Set-Cookie", stateCookieHeader(cookie, secure));
          cb(null, state);
        },
        verify(req: Request, state: string, _meta: unknown, cb: (err: Error | null, ok: boolean, info?: unknown) => void) {
          const ok = checkState(stateKey, readCookie(req.headers.cookie, STATE_COOKIE), state, Math.floor(Date.now() / 1000));
          (req as Request & { gyreNext?: string }).gyreNext = ok?.next;
          cb(null, !!ok, ok ? undefined : { message: "state-mismatch" });
        },
      },
      passReqToCallback: false,
    } as GitHubStrategyOptions,
    // Only hand the token and profile on; the hub decides in the route callback (async/await).
    (accessToken: string, _refreshToken: string, profile: Profile, done: (err: Error | null, user?: Verified) => void) => done(null, { accessToken, profile }),
  );
  const pp = new passport.Passport();
  pp.use("github", strategy);

  const fail = (res: Response, error: string, extra: Record<string, string> = {}) => {
    res.append("Set-Cookie", stateCookieHeader("", secure));
    res.redirect(303, `/hub/login?${new URLSearchParams({ error, ...extra })}`);
  };

  const r = express.Router();

  r.get("/hub/oauth_login", async (req, res, nextFn) => {
    try {
      const now = new Date();
      // Each redirect to GitHub costs nothing here but could be used to flood GitHub in our name.
      if (
        await isBlocked(
          deps.db(),
          `oauth-ip:${addressKey(clientAddress(req))}`,
          deps.config.auth.loginAttemptsPerAddress,
          deps.config.auth.loginWindowSeconds,
          now,
        )
      )
        return fail(res, "rate-limited");
      (req as Request & { gyreNext?: string }).gyreNext = deps.safeNext(req.query.next);
      // passport's types return `any`; authenticate() gives Express middleware.
      (pp.authenticate("github", { session: false }) as RequestHandler)(req, res, nextFn);
    } catch (err) {
      nextFn(err);
    }
  });

  r.get("/hub/oauth_callback", async (req: Request, res: Response, nextFn: NextFunction) => {
    const log = deps.log();
    const db = deps.db();
    try {
      const now = new Date();
      const ipKey = `oauth-ip:${addressKey(clientAddress(req))}`;
      if (await isBlocked(db, ipKey, deps.config.auth.loginAttemptsPerAddress, deps.config.auth.loginWindowSeconds, now)) return fail(res, "rate-limited");
      const denied = (reason: string) => recordAttempt(db, ipKey, new Date()).then(() => fail(res, reason));
      // GitHub's documented error redirect: ?error=access_denied when the person clicks Deny.
      const oauthError = typeof req.query.error === "string" ? req.query.error : "";
      if (oauthError === "access_denied") return fail(res, "github-consent-denied");
      if (oauthError) {
        log.warn({ oauthError }, "GitHub returned an error to the OAuth callback");
        return fail(res, "github-error");
      }
      if (typeof req.query.code !== "string" || !req.query.code) return denied("github-state");
      const authenticate = pp.authenticate(
        "github",
        { session: false },
        async (err: Error | null, user: Verified | false, info: { message?: string } | undefined) => {
          try {
            if (err) {
              // passport-oauth2 reports a failed token exchange as an error; its message and code are safe to log, never the code/token.
              log.warn(
                { err: { name: err.name, message: err.message, code: (err as { code?: string }).code } },
                "GitHub token exchange or profile fetch failed",
              );
              return fail(res, "github-token");
            }
            if (!user) {
              log.warn({ reason: info?.message }, "GitHub OAuth callback refused (state)");
              return denied("github-state");
            }
            const login = user.profile.username ?? "";
            const needOrgs = settings.scopes.includes("read:org");
            let orgs: string[] = [];
            let teams: string[] = [];
            if (needOrgs)
              [orgs, teams] = await Promise.all([fetchUserOrgs(settings.apiBase, user.accessToken), fetchUserTeams(settings.apiBase, user.accessToken)]);
            const result = await completeGitHubLogin({
              db,
              github: gh,
              osAccounts: deps.config.hub,
              githubId: String(user.profile.id),
              identity: { login, orgs, teams },
            });
            if (!result.ok) {
              log.info({ githubLogin: login, reason: result.reason }, "GitHub login refused");
              return fail(res, `github-${result.reason}`, { login: result.name.slice(0, 39) });
            }
            log.info({ user: result.user.name, githubLogin: login, via: result.via, created: result.created, admin: result.user.admin }, "GitHub login");
            res.append("Set-Cookie", stateCookieHeader("", secure));
            await deps.startSession(req, res, result.user.id, result.user.name, deps.safeNext((req as Request & { gyreNext?: string }).gyreNext));
          } catch (e) {
            log.warn({ err: { name: (e as Error).name, message: (e as Error).message } }, "GitHub login failed after the token exchange");
            if (!res.headersSent) fail(res, "github-error");
          }
        },
      ) as RequestHandler;
      authenticate(req, res, nextFn);
    } catch (err) {
      nextFn(err);
    }
  });
  return r;
}
