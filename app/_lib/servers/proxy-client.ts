// Pushes route changes and revocations to the proxies' configurable-http-proxy-compatible API.
// Failures are logged, not fatal: each proxy also pulls the full table and the revoked sessions
// from the hub at start and periodically (a revoked API token it missed stays usable there until
// its cache entry expires, proxy.tokenCache…: at most 10 s).
import { lookup } from "node:dns/promises";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Logger } from "../log";

export interface RouteData {
  target: string;
  user: string;
  /** the owner's User.id: the proxy lets in only sessions and tokens of this account */
  user_id: number;
  server_name: string;
  spawn_id: string;
  /** "direct" when the proxy may connect to dashboard ports itself (a pod); absent: through the server */
  dashboards?: "direct";
  /**
   * "hub" when the server logs its users in itself through the hub's OAuth provider
   * (jupyterhub-singleuser): the proxy injects no server token; absent: it does
   */
  server_auth?: "hub";
}

/** The route of a configured service (/services/<name>): `service` names it; no owner, no token injected. */
export interface ServiceRouteData {
  target: string;
  service: string;
}

/** The route of one running server, the same wherever it is pushed or listed from. */
export function buildRouteData(o: {
  target: string;
  user: string;
  userId: number;
  serverName: string;
  spawnId: string;
  dashboards: "server" | "direct" | undefined;
  serverAuth?: "proxy" | "hub";
}): RouteData {
  const data: RouteData = { target: o.target, user: o.user, user_id: o.userId, server_name: o.serverName, spawn_id: o.spawnId };
  if (o.dashboards === "direct") data.dashboards = "direct";
  if (o.serverAuth === "hub") data.server_auth = "hub";
  return data;
}

/** A route another client added through a proxy's route API (app/_lib/extra-routes.ts): any data with a target. */
export type ExtraRouteData = { target: string } & Record<string, unknown>;

/**
 * Pushes go through node:http(s) with a keep-alive agent of their own, not fetch: Next.js replaces
 * the global fetch with one that wraps every call in a trace span and its data cache, and Node's
 * own (undici's) still builds a web Request, Response and streams per call: 8–10% of the hub's
 * CPU in a stop storm went to the pushes' fetch machinery (bench/README.md, phase 3k).
 */
const agents = { "http:": new HttpAgent({ keepAlive: true }), "https:": new HttpsAgent({ keepAlive: true }) };

/** What was revoked: session ids, and API tokens by their stored sha256 (hex). */
export interface Revocations {
  sessions?: string[];
  tokenHashes?: string[];
}

/** What a role holder or a service reaches at the proxy (app/_lib/auth/role-access.ts). */
type AccessEntry = { all?: true; user_ids: number[]; servers: string[] };

/** Where the hub pushes route changes: every proxy replica (ProxyClient), or a test's recorder. */
export interface RoutePusher {
  /**
   * Resolves true once every proxy took the route, false when one could not be reached or refused
   * it (logged; never rejects): the caller may push it again once the hub's table lists it.
   */
  addRoute(path: string, data: RouteData | ExtraRouteData): Promise<boolean>;
  deleteRoute(path: string): Promise<void>;
  /** Tells every proxy at once; resolves when each has answered or failed (never rejects). */
  revoke(r: Revocations): Promise<void>;
  /**
   * Replaces every proxy's share map ("<owner>/<server>" → owner id and the ids of the users who may use it):
   * a revoked share stops working at once. Optional: a pusher without it leaves it to the snapshot.
   */
  shares?(map: Record<string, { owner_id: number; user_ids: number[] }>): Promise<void>;
  /**
   * Replaces every proxy's role access map (app/_lib/auth/role-access.ts: what each user's configured
   * roles let them reach) and service access map (what each service's token reaches) after a group
   * membership change, so a member who left is refused at once. Optional: a pusher without it
   * leaves it to the snapshot.
   */
  roleAccess?(map: Record<string, AccessEntry>, services?: Record<string, AccessEntry>): Promise<void>;
  /**
   * Replaces every proxy's whole route table with `routes` (POST /hub/api/proxy, JupyterHub's
   * re-sync): routes a proxy lost or was given out of band are put right at once rather than at its
   * next full sync. Optional: a pusher without it leaves it to the proxies' own syncs.
   */
  replaceRoutes?(routes: Record<string, RouteData | ServiceRouteData | ExtraRouteData>): Promise<void>;
}

/** Every address a name resolves to (a Kubernetes headless Service: one per ready pod). */
export type AddressLookup = (host: string) => Promise<string[]>;

const lookupEvery: AddressLookup = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/**
 * The route API URL of every address `apiUrl`'s host has at the time of each call
 * (proxy.pushToEveryAddress): proxy pods come and go, so it is resolved per route change.
 */
export function everyAddressOf(apiUrl: string, lookupAll: AddressLookup = lookupEvery): () => Promise<string[]> {
  const u = new URL(apiUrl);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  return async () => (await lookupAll(host)).map((a) => `${u.protocol}//${a.includes(":") ? `[${a}]` : a}:${u.port || 80}`);
}

/** Whether a proxy took a route change: a 2xx, or a 404 to a DELETE (it had no such route); null: not reached. */
function tookIt(status: number | null, method: string): boolean {
  return status !== null && ((status >= 200 && status <= 299) || (method === "DELETE" && status === 404));
}

/** The answer statuses that say a proxy cannot take a bulk route change (an older proxy, a refused route): change by change instead. */
const NO_BULK = new Set([400, 404, 405]);

/**
 * Least time between the starts of two pushes of one kind. Stops that end one by one each asked
 * for a push of their own once the previous one was answered (100 stops: ~50 route pushes and
 * ~50 revocation pushes, each a request to every proxy): a change asked within this of the last
 * push's start waits for the rest of it and goes with whatever else came meanwhile. A change after
 * a quiet spell goes at once, as before.
 */
export const PUSH_GAP_MS = 20;

/**
 * One push at a time of changes that add up: those asked for in the same turn of the event loop,
 * or while a push is under way, or within `gapMs` of the last push's start, go together in the
 * next push. Each caller's promise resolves once the push carrying its change has been answered
 * (or failed: `push` logs, never rejects), to whether every proxy took it; changes are pushed in
 * the order asked.
 */
class CoalescedPush<P> {
  private pending: P | null = null;
  private waiting: Array<(tookIt: boolean) => void> = [];
  private pushing: Promise<void> | null = null;
  /** when the last push began (performance.now()) */
  private lastPush = -Infinity;

  constructor(
    private readonly empty: () => P,
    private readonly push: (changes: P) => Promise<boolean>,
    private readonly gapMs: number,
  ) {}

  add(change: (pending: P) => void): Promise<boolean> {
    change((this.pending ??= this.empty()));
    const pushed = new Promise<boolean>((resolve) => this.waiting.push(resolve));
    this.pushing ??= this.pushAll();
    return pushed;
  }

  private async pushAll(): Promise<void> {
    // the changes asked for in this turn of the event loop join the first push, and those asked
    // until the gap since the last push has passed
    await this.untilGapPassed();
    while (this.pending) {
      const changes = this.pending;
      const waiting = this.waiting;
      this.pending = null;
      this.waiting = [];
      this.lastPush = performance.now();
      let tookIt = false;
      try {
        tookIt = await this.push(changes);
      } finally {
        for (const resolve of waiting) resolve(tookIt);
      }
      if (this.pending) await this.untilGapPassed();
    }
    this.pushing = null;
  }

  private untilGapPassed(): Promise<void> {
    const wait = this.lastPush + this.gapMs - performance.now();
    return new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
  }
}

/** Route changes waiting for a push: the last change per path, data to add or null to remove. */
type RouteChanges = Map<string, RouteData | ExtraRouteData | null>;

export class ProxyClient implements RoutePusher {
  /**
   * Route changes and revocations are coalesced (CoalescedPush), each kind on its own: a storm of
   * starts or stops is a few pushes of each, not one route push and one revocation push per server.
   */
  private readonly routeChanges: CoalescedPush<RouteChanges>;
  private readonly revocations: CoalescedPush<{ sessions: Set<string>; tokenHashes: Set<string> }>;

  constructor(
    /** the replicas' route API URLs, or how to find them at each change (everyAddressOf) */
    private readonly apiUrls: string[] | (() => Promise<string[]>),
    private readonly token: string,
    private readonly log: Logger,
    /** `gapMs`: least time between two pushes of a kind (default PUSH_GAP_MS) */
    opts: { gapMs?: number } = {},
  ) {
    const gapMs = opts.gapMs ?? PUSH_GAP_MS;
    this.routeChanges = new CoalescedPush<RouteChanges>(
      () => new Map(),
      (changes) => this.pushRouteChanges(changes),
      gapMs,
    );
    this.revocations = new CoalescedPush(
      () => ({ sessions: new Set(), tokenHashes: new Set() }),
      (r) => this.each("POST", "/api/revocations", { sessions: [...r.sessions], token_hashes: [...r.tokenHashes] }),
      gapMs,
    );
  }

  /**
   * Route changes go together in one push (PATCH /api/routes) when asked for in the same turn,
   * while a push is under way, or within the push gap (PUSH_GAP_MS) of the last push's start.
   * Resolves once the push with this change has been answered (or failed: logged, as before), to
   * whether every proxy took it.
   */
  addRoute(path: string, data: RouteData | ExtraRouteData): Promise<boolean> {
    return this.changeRoute(path, data);
  }

  async deleteRoute(path: string): Promise<void> {
    await this.changeRoute(path, null);
  }

  private changeRoute(path: string, data: RouteData | ExtraRouteData | null): Promise<boolean> {
    return this.routeChanges.add((pending) => {
      // the last change of a path wins, in the order asked (a delete then an add is an add)
      pending.delete(path);
      pending.set(path, data);
    });
  }

  /** Revocations asked for together go in one POST /api/revocations with every session and token hash. */
  async revoke(r: Revocations): Promise<void> {
    if (!r.sessions?.length && !r.tokenHashes?.length) return;
    await this.revocations.add((pending) => {
      for (const s of r.sessions ?? []) pending.sessions.add(s);
      for (const h of r.tokenHashes ?? []) pending.tokenHashes.add(h);
    });
  }

  /**
   * One change: the CHP request of its own; several: one PATCH, or each on its own where a proxy
   * refuses the PATCH. True when every proxy took every change.
   */
  private async pushRouteChanges(changes: RouteChanges): Promise<boolean> {
    const one = async (base: string, path: string, data: RouteData | ExtraRouteData | null) =>
      data
        ? tookIt(await this.send(base, "POST", "/api/routes" + path, data), "POST")
        : tookIt(await this.send(base, "DELETE", "/api/routes" + path), "DELETE");
    const single = async (base: string) => (await Promise.all([...changes].map(([path, data]) => one(base, path, data)))).every(Boolean);
    const bases = await this.urls("/api/routes");
    if (bases === null) return false;
    if (changes.size === 1) return (await Promise.all(bases.map(single))).every(Boolean);
    const add: Record<string, RouteData | ExtraRouteData> = {};
    const remove: string[] = [];
    for (const [path, data] of changes) {
      if (data) add[path] = data;
      else remove.push(path);
    }
    const took = await Promise.all(
      bases.map(async (base) => {
        const status = await this.send(base, "PATCH", "/api/routes", { add, remove }, { quiet: NO_BULK });
        if (status !== null && NO_BULK.has(status)) return single(base);
        return tookIt(status, "PATCH");
      }),
    );
    return took.every(Boolean);
  }

  async shares(map: Record<string, { owner_id: number; user_ids: number[] }>): Promise<void> {
    await this.each("PUT", "/api/shares", { shares: map });
  }

  async roleAccess(map: Record<string, AccessEntry>, services?: Record<string, AccessEntry>): Promise<void> {
    await this.each("PUT", "/api/role-access", { role_access: map, ...(services ? { service_access: services } : {}) });
  }

  async replaceRoutes(routes: Record<string, RouteData | ServiceRouteData | ExtraRouteData>): Promise<void> {
    await this.each("PUT", "/api/routes", routes);
  }

  /** One request to every proxy; true when each took it. */
  private async each(method: string, path: string, body?: unknown): Promise<boolean> {
    const bases = await this.urls(path);
    if (bases === null) return false;
    return (await Promise.all(bases.map(async (base) => tookIt(await this.send(base, method, path, body), method)))).every(Boolean);
  }

  /** The proxies' route API URLs; null when they could not be resolved (logged). */
  private async urls(path: string): Promise<string[] | null> {
    if (typeof this.apiUrls !== "function") return this.apiUrls;
    return this.apiUrls().catch((err: Error) => {
      this.log.warn({ path, err: err.message }, "cannot resolve the proxies' addresses; they will catch up at their next full sync");
      return null;
    });
  }

  /** One request to one proxy: its status, null when it could not be reached (logged). `quiet`: statuses the caller handles. */
  private send(base: string, method: string, path: string, body?: unknown, opts: { quiet?: ReadonlySet<number> } = {}): Promise<number | null> {
    return new Promise((resolve) => {
      const unreachable = (err: Error) => {
        this.log.warn({ proxy: base, path, err: err.message }, "proxy unreachable; it will load routes from the hub when it starts");
        resolve(null);
      };
      let url: URL;
      try {
        url = new URL(base + path);
      } catch (err) {
        unreachable(err as Error);
        return;
      }
      const https = url.protocol === "https:";
      const payload = body ? JSON.stringify(body) : undefined;
      const req = (https ? httpsRequest : httpRequest)(
        url,
        {
          method,
          agent: https ? agents["https:"] : agents["http:"],
          // marks the route as the hub's: the proxy's full sync manages it (proxy/api/route-api.ts)
          headers: {
            authorization: `token ${this.token}`,
            "content-type": "application/json",
            "x-gyre-route-owner": "hub",
            ...(payload === undefined ? {} : { "content-length": Buffer.byteLength(payload) }),
          },
          timeout: 5000,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          // read to the end, so the connection goes back to the pool at once
          res.resume();
          res.once("error", unreachable);
          res.once("end", () => {
            if (!tookIt(status, method) && !opts.quiet?.has(status)) {
              this.log.warn({ proxy: base, path, status }, "proxy refused a route change; it will catch up at its next full sync");
            }
            resolve(status);
          });
        },
      );
      req.once("timeout", () => req.destroy(new Error("no answer within 5 s")));
      req.once("error", unreachable);
      req.end(payload);
    });
  }
}
