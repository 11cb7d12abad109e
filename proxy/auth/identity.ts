// Who is asking: a valid, unrevoked session cookie — the hub's (single-origin mode), or the
// proxy's own on a user's origin, bound to that host (proxy/origins/handshake.ts) — else an API
// token the hub knows. Both answers are cached: the cookie's signature check per raw Cookie header
// (until the session expires), the token's owner for a few seconds (never past the token's expiry).
// Revocations and admin rights come from the hub's auth snapshot (proxy/hub/sync.ts) and are read
// per request, so they apply within authSyncSeconds; the hub also pushes session and token
// revocations to every proxy (api/route-api.ts), which apply at once. While the hub cannot be
// asked, a token's owner it confirmed within the last few minutes is still honoured
// (tokenGraceSeconds), as session cookies are.
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { HubConnection, TokenOwner } from "@/proxy/hub/connection";
import type { HeaderEdit } from "@/proxy/forward/upstream-headers";
import { readRawHeader } from "@/proxy/forward/upstream-headers";
import { GYRE_COOKIES, verifyOriginSession } from "@/proxy/origins/handshake";
import type { Caller, Credentials } from "@/proxy/routing/resolve";
import { readApiToken, type Identity } from "./access";
import { deriveKey, pickOneSession, readCookies, stripCookies, verifySessionCookie } from "./session-cookie";
import { TtlCache } from "./ttl-cache";

/** The hub's current auth snapshot as identity reads it. */
export interface AuthSnapshotView {
  /** ids of the hub's admins */
  readonly adminIds: ReadonlySet<number>;
  /** whether session `sid` was revoked (the snapshot's list, plus revocations the hub pushed since) */
  isRevoked(sid: string): boolean;
}

export interface IdentityOptions {
  /** hub.secretKey: verifies session cookies */
  secretKey: string;
  hub: HubConnection;
  auth: AuthSnapshotView;
  /** a coarse clock (ms), so no Date.now() per request */
  clock: { readonly now: number };
  log: Logger;
  /** the cookie names of this deployment's scheme (the __Host- ones behind https) */
  cookieNames: { hubSession: string; originSession: string };
  /** how long a known API token is trusted before asking the hub again (default 10 s) */
  tokenCachePositiveSeconds?: number;
  /** how long an unknown API token is remembered as unknown (default 2 s) */
  tokenCacheNegativeSeconds?: number;
  /**
   * How long after its last successful lookup a token's owner is still honoured while the hub
   * cannot be asked (down, restarting, timing out) — never past the token's expiry, and never once
   * the hub has said it does not know the token or pushed its revocation (default 300 s, the
   * cache age of JupyterHub's HubAuth). 0 turns it off.
   */
  tokenGraceSeconds?: number;
}

/** A verified session cookie, as far as identity needs it. */
interface CookieClaims {
  sid: string;
  user: string;
  /** the account's id: the proxy compares it with the route's, not the name */
  uid: number;
  exp: number;
}

/** What the cookie cache holds per raw Cookie header (and host, for user-origin cookies). */
interface CookieAuth {
  claims: CookieClaims | null;
  /** the Cookie header to send upstream (Gyre's cookies removed); undefined: none left */
  forward: string | undefined;
}

/** Nobody: no cookie, no token, or the token lookup failed. */
export const NOBODY: Caller = { identity: null, cookieEdit: undefined };

export class IdentityResolver {
  private readonly cookieKey: Buffer;
  private readonly originKey: Buffer;
  /**
   * Raw Cookie header (prefixed by what it is checked for) → its verified session (or null) and
   * the header without Gyre's cookies. Bounded; an entry lives until the cookie expires (a minute
   * for invalid ones), so the HMAC runs once per session and header rather than per request.
   */
  private readonly cookieCache = new TtlCache<CookieAuth>(10_000);
  private readonly tokenCache = new TtlCache<TokenOwner | null>();
  /** Owners last confirmed by the hub, kept for tokenGraceSeconds to answer while it cannot be asked. */
  private readonly lastKnownOwners = new TtlCache<TokenOwner>();
  private readonly tokenLookups = new Map<string, Promise<TokenOwner | null>>();
  /** bumped by forgetTokens(): a lookup that started before a revocation must not cache its answer */
  private tokenEpoch = 0;

  constructor(private readonly opts: IdentityOptions) {
    this.cookieKey = deriveKey(opts.secretKey, "session-cookie");
    this.originKey = deriveKey(opts.secretKey, "origin-session");
  }

  /**
   * Who sent a request with these raw headers; a Promise only when an API token must be looked up.
   * `credentials`: which cookie may identify the caller (the hub's, or on a user's origin that
   * origin's own cookie, for `hostname`; "token": none). `queryToken`: a WebSocket's ?token= (used
   * when there is no Authorization header). `tokenOnly`: a page of another origin: its cookie (sent
   * along by the browser) identifies nobody.
   */
  identify(
    rawHeaders: readonly string[],
    opts: { credentials?: Credentials; hostname?: string; queryToken?: string | null; tokenOnly?: boolean } = {},
  ): Caller | Promise<Caller> {
    const credentials = opts.credentials ?? "hub-cookie";
    const hostname = opts.hostname ?? "";
    const cookieHeader = readRawHeader(rawHeaders, "cookie");
    const cookie = cookieHeader === undefined ? undefined : this.cookieAuth(cookieHeader, credentials, hostname);
    const cookieEdit: HeaderEdit = cookie === undefined ? undefined : (cookie.forward ?? null);
    const claims = opts.tokenOnly ? null : cookie?.claims;
    // The cache drops an entry when the cookie expires; the clock is coarse, so check exp too.
    if (claims && claims.exp * 1000 > this.opts.clock.now && !this.opts.auth.isRevoked(claims.sid)) {
      return { identity: { user: claims.user, userId: claims.uid, admin: this.opts.auth.adminIds.has(claims.uid), via: "cookie" }, cookieEdit };
    }
    const token = readApiToken(readRawHeader(rawHeaders, "authorization")) ?? opts.queryToken ?? null;
    if (!token) return { identity: null, cookieEdit };
    const now = Date.now();
    const cached = this.tokenCache.get(token, now);
    if (cached !== undefined) return { identity: cached ? this.tokenIdentity(cached) : null, cookieEdit };
    return this.lookupToken(token).then((owner) => ({ identity: owner ? this.tokenIdentity(owner) : null, cookieEdit }));
  }

  /** The cached verdict on a raw Cookie header for these credentials (computed once per header value). */
  private cookieAuth(header: string, credentials: Credentials, hostname: string): CookieAuth {
    const now = this.opts.clock.now;
    const key = credentials === "origin-cookie" ? `o ${hostname}\n${header}` : credentials === "hub-cookie" ? `h ${header}` : `t ${header}`;
    let a = this.cookieCache.get(key, now);
    if (a === undefined) {
      const nowS = now / 1000;
      let claims: CookieClaims | null = null;
      if (credentials === "hub-cookie") {
        claims = pickOneSession(readCookies(header, this.opts.cookieNames.hubSession), (v) => verifySessionCookie(v, this.cookieKey, nowS));
      } else if (credentials === "origin-cookie") {
        claims = pickOneSession(readCookies(header, this.opts.cookieNames.originSession), (v) => verifyOriginSession(v, this.originKey, hostname, nowS));
      }
      a = { claims, forward: stripCookies(header, GYRE_COOKIES) };
      this.cookieCache.set(key, a, claims ? claims.exp * 1000 - now : 60_000, now);
    }
    return a;
  }

  private tokenIdentity(owner: TokenOwner): Identity {
    // Admin rights as of the snapshot, as for cookies (a cached owner may be seconds old); a hub
    // that sends no user id is taken at its word.
    const admin = owner.userId !== undefined ? this.opts.auth.adminIds.has(owner.userId) : owner.admin;
    return {
      user: owner.user,
      ...(owner.service === undefined ? {} : { service: owner.service }),
      userId: owner.userId,
      admin,
      via: "token",
      serverAccess: owner.serverAccess,
      ...(owner.servers ? { servers: owner.servers } : {}),
      ...(owner.users ? { users: owner.users } : {}),
    };
  }

  /**
   * Drops cached owners of the tokens with these sha256 hashes (hex, as the hub stores them): the
   * hub pushes them when tokens are revoked, so a revoked token stops working at once rather than
   * when its cache entry expires.
   */
  forgetTokens(hashes: readonly string[]): number {
    const gone = new Set(hashes);
    this.tokenEpoch++;
    let n = 0;
    for (const token of this.tokenCache.keys()) {
      if (gone.has(createHash("sha256").update(token).digest("hex"))) {
        this.tokenCache.delete(token);
        n++;
      }
    }
    for (const token of this.lastKnownOwners.keys()) {
      if (gone.has(createHash("sha256").update(token).digest("hex"))) this.lastKnownOwners.delete(token);
    }
    return n;
  }

  /** Keeps (or, for an unknown token, drops) the owner the hub just gave, for the grace period. */
  private rememberOwner(token: string, owner: TokenOwner | null, now: number): void {
    const graceMs = (this.opts.tokenGraceSeconds ?? 300) * 1000;
    if (!owner || graceMs <= 0) {
      this.lastKnownOwners.delete(token);
      return;
    }
    const ttlMs = owner.expiresAt != null ? Math.min(graceMs, owner.expiresAt - now) : graceMs;
    if (ttlMs > 0) this.lastKnownOwners.set(token, owner, ttlMs, now);
  }

  /** Asks the hub who owns a token; concurrent lookups of one token share a request. */
  private lookupToken(token: string): Promise<TokenOwner | null> {
    let p = this.tokenLookups.get(token);
    if (!p) {
      const epoch = this.tokenEpoch;
      p = this.opts.hub
        .fetchTokenOwner(token)
        .then((owner) => {
          const now = Date.now();
          let ttlMs = (owner ? (this.opts.tokenCachePositiveSeconds ?? 10) : (this.opts.tokenCacheNegativeSeconds ?? 2)) * 1000;
          // Never trusted past its expiry; an owner the hub says has expired is not cached at all.
          if (owner?.expiresAt != null) ttlMs = Math.min(ttlMs, owner.expiresAt - now);
          if (owner?.expiresAt != null && ttlMs <= 0) return null;
          if (epoch === this.tokenEpoch) {
            this.tokenCache.set(token, owner, ttlMs, now);
            this.rememberOwner(token, owner, now);
          }
          return owner;
        })
        .catch((err) => {
          // Not cached: a hub hiccup must not lock a user out for the cache period. An owner the hub
          // confirmed within the grace period (and did not revoke since) is still honoured, so a
          // hub restart does not cut off token users (a jupyterhub-singleuser kernel's WebSocket
          // reconnecting with ?token=), as cookies are not cut off either.
          const now = Date.now();
          const last = epoch === this.tokenEpoch ? this.lastKnownOwners.get(token, now) : undefined;
          this.opts.log.warn({ err: (err as Error).message, answered: last ? "last known owner" : "nobody" }, "token lookup at the hub failed");
          return last ?? null;
        })
        .finally(() => this.tokenLookups.delete(token));
      this.tokenLookups.set(token, p);
    }
    return p;
  }
}
