// The proxy's route table: CHP-style route data plus what the hot path needs, computed once
// per route (parsed target, owner, the server token's Authorization header). Pure: the clock
// comes in as `now` (ms) and the token derivation is injected.
import { RouteTrie } from "./route-trie";
import { userLabel } from "@/proxy/origins/user-label";
import { normalizeRoutePath, parseUserPath } from "./route-path";

/** Route data as the hub (or any CHP client) posts it; echoed back verbatim by the API. */
export type RouteData = { target: string } & Record<string, unknown>;

/** One route and its precomputed forwarding facts. */
export interface RouteEntry {
  /** normalised prefix, "/user/alice" */
  readonly path: string;
  readonly data: RouteData;
  /** "http:" or "https:" (the parsed URL itself is not kept: ~270 bytes a route) */
  readonly targetProtocol: string;
  readonly targetHost: string;
  readonly targetPort: number;
  /** target path without trailing "/" ("" for none), prepended to the request path like CHP */
  readonly targetBasePath: string;
  /**
   * A unix socket to connect to instead of host:port, from a `http+unix://<%-encoded path>/`
   * target (local servers listen on a socket in a 0700 directory, so other accounts on the host
   * cannot reach them at all); null for TCP targets.
   */
  readonly targetSocketPath: string | null;
  /**
   * Where /user/<name>/[<server>/]proxy/<port>/ goes: "server" — to the user's own server, whose
   * Gyre extension reaches only sockets of the server's account (shared hosts: the local spawner's
   * host, HPC nodes); "direct" — to <port> on the target's host (a pod's own network namespace,
   * where every socket is the user's). From data.dashboards; "server" unless it says "direct".
   */
  readonly dashboards: "server" | "direct";
  /** user whose server this is: data.user, else the name in /user/<name>; null: no auth */
  readonly owner: string | null;
  /** the DNS label of the owner's origin (proxy/origins/user-label.ts), computed once; null without an owner */
  readonly ownerLabel: string | null;
  /** data.user_id: the owner's account id (the hub always sends it); null: compare names only (plain CHP clients) */
  readonly ownerId: number | null;
  /** "/user/<raw name>" when the route lies under /user/<name>, else null */
  readonly userPrefix: string | null;
  readonly serverName: string;
  /**
   * Who checks the server's users besides the proxy: "hub" (data.server_auth) when the server logs
   * them in itself through the hub's OAuth provider (jupyterhub-singleuser); else "proxy".
   */
  readonly serverAuth: "proxy" | "hub";
  /**
   * "token <server token>" when data.spawn_id is set and the server does not log its users in
   * itself, else null (no injection). Derived on first use (an HMAC): registering 10,000 routes
   * must not pay for servers nobody visits yet.
   */
  readonly authHeader: string | null;
  addedAt: number;
  /** ms; CHP's last_activity */
  lastActivity: number;
  /** last value reported to the hub */
  reportedActivity: number;
}

/** Thrown for route data the API must answer 400 to. */
export class RouteDataError extends Error {
  name = "RouteDataError";
}

/** In-memory routes keyed by normalised prefix, with a trie for longest-prefix lookups. */
export class RouteTable {
  private byPath = new Map<string, RouteEntry>();
  private trie = new RouteTrie<RouteEntry>();

  constructor(private readonly tokenForSpawn: (spawnId: string) => string) {}

  get size(): number {
    return this.byPath.size;
  }

  /** Adds or replaces a route; a fresh route counts as just active (CHP does the same). */
  add(rawPath: string, data: unknown, now: number): RouteEntry {
    const path = normalizeRoutePath(rawPath);
    const entry = this.buildEntry(path, data, now);
    this.byPath.set(path, entry);
    this.trie.add(path, entry);
    return entry;
  }

  /**
   * Removes `remove`, then adds or replaces `add` — atomically: every added route is checked
   * (RouteDataError) before the table changes. The bulk PATCH of the route API.
   */
  patch(add: Record<string, unknown>, remove: readonly string[], now: number): { added: number; removed: number } {
    const routes = add;
    const built: RouteEntry[] = [];
    for (const raw in routes) {
      try {
        built.push(this.buildEntry(normalizeRoutePath(raw), routes[raw], now));
      } catch (err) {
        if (err instanceof RouteDataError) throw new RouteDataError(`Route ${raw}: ${err.message}`);
        throw err;
      }
    }
    let removed = 0;
    for (const p of remove) if (this.remove(p)) removed++;
    for (const e of built) {
      this.byPath.set(e.path, e);
      this.trie.add(e.path, e);
    }
    return { added: built.length, removed };
  }

  /** Throws RouteDataError when `add` would refuse this route; changes nothing. */
  validate(rawPath: string, data: unknown): void {
    this.buildEntry(normalizeRoutePath(rawPath), data, 0);
  }

  /** Removes a route; false when unknown. */
  remove(rawPath: string): boolean {
    const path = normalizeRoutePath(rawPath);
    if (!this.byPath.delete(path)) return false;
    this.trie.remove(path);
    return true;
  }

  get(rawPath: string): RouteEntry | undefined {
    return this.byPath.get(normalizeRoutePath(rawPath));
  }

  /** Like get() for a path that is already normalised (RouteEntry.path): no string work. */
  getNormalized(path: string): RouteEntry | undefined {
    return this.byPath.get(path);
  }

  /** The most specific route for a request URL. */
  match(url: string): RouteEntry | undefined {
    return this.trie.match(url)?.data;
  }

  entries(): IterableIterator<RouteEntry> {
    return this.byPath.values();
  }

  /**
   * Makes the table equal to `routes` (a full sync from the hub, or a bulk PUT). Routes added
   * at or after `keepAddedSince` survive even if missing from `routes`: the hub may have pushed
   * them after it produced the snapshot. Unchanged routes keep their activity. Routes other
   * clients added through the API are in the hub's table too (app/_lib/extra-routes.ts).
   */
  replaceAll(routes: Record<string, unknown>, now: number, keepAddedSince = Infinity): { added: number; removed: number } {
    const seen = new Set<string>();
    let added = 0;
    for (const [raw, data] of Object.entries(routes)) {
      const path = normalizeRoutePath(raw);
      seen.add(path);
      const old = this.byPath.get(path);
      if (old && sameData(old.data, data)) continue;
      const entry = this.add(path, data, now);
      if (old) {
        entry.lastActivity = old.lastActivity;
        entry.reportedActivity = old.reportedActivity;
      } else added++;
    }
    let removed = 0;
    for (const [path, entry] of this.byPath) {
      if (!seen.has(path) && entry.addedAt < keepAddedSince) {
        this.remove(path);
        removed++;
      }
    }
    return { added, removed };
  }

  /** CHP's GET /api/routes body: data verbatim plus last_activity, optionally only routes idle since before `inactiveSince`. */
  toJSON(inactiveSince?: number): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const e of this.byPath.values()) {
      if (inactiveSince !== undefined && !(e.lastActivity < inactiveSince)) continue;
      out[e.path] = routeToJSON(e);
    }
    return out;
  }

  private buildEntry(path: string, data: unknown, now: number): RouteEntry {
    if (!data || typeof data !== "object" || Array.isArray(data)) throw new RouteDataError("Route data must be a JSON object");
    const d = data as Record<string, unknown>;
    if (typeof d.target !== "string") throw new RouteDataError("Must specify 'target' as string");
    let target: URL;
    try {
      target = new URL(d.target);
    } catch {
      throw new RouteDataError(`Invalid target '${d.target}'`);
    }
    let socketPath: string | null = null;
    if (target.protocol === "http+unix:") {
      try {
        socketPath = decodeURIComponent(target.host);
      } catch {
        socketPath = "";
      }
      if (!socketPath.startsWith("/") || socketPath.includes("\0"))
        throw new RouteDataError(`Invalid unix socket target '${d.target}': http+unix://<%-encoded absolute path>/`);
    } else if (target.protocol !== "http:" && target.protocol !== "https:") throw new RouteDataError(`Unsupported target protocol '${target.protocol}'`);
    // last_activity is ours to keep; a client echoing it back must not overwrite the clock.
    const { last_activity: _ignored, ...verbatim } = d;
    const up = parseUserPath(path + "/");
    const owner = typeof d.user === "string" ? d.user : up ? up.user : null;
    const serverName = typeof d.server_name === "string" ? d.server_name : up && up.segments.length > 1 ? up.segments[0] : "";
    const spawnId = typeof d.spawn_id === "string" && d.spawn_id ? d.spawn_id : null;
    if (d.user_id !== undefined && !Number.isSafeInteger(d.user_id)) throw new RouteDataError("'user_id' must be an integer");
    const ownerId = typeof d.user_id === "number" ? d.user_id : null;
    return new Entry(path, verbatim as RouteData, target, socketPath, owner, ownerId, up ? up.userPrefix : null, serverName, spawnId, this.tokenForSpawn, now);
  }
}

/** RouteEntry with the server token derived lazily. */
class Entry implements RouteEntry {
  readonly targetProtocol: string;
  readonly targetHost: string;
  readonly targetPort: number;
  readonly targetBasePath: string;
  readonly dashboards: "server" | "direct";
  readonly serverAuth: "proxy" | "hub";
  readonly ownerLabel: string | null;
  addedAt: number;
  lastActivity: number;
  reportedActivity: number;
  private auth: string | null | undefined;

  constructor(
    readonly path: string,
    readonly data: RouteData,
    target: URL,
    readonly targetSocketPath: string | null,
    readonly owner: string | null,
    readonly ownerId: number | null,
    readonly userPrefix: string | null,
    readonly serverName: string,
    private readonly spawnId: string | null,
    private readonly tokenForSpawn: (spawnId: string) => string,
    now: number,
  ) {
    this.targetProtocol = targetSocketPath !== null ? "http:" : target.protocol;
    this.targetHost = targetSocketPath !== null ? "localhost" : target.hostname.replace(/^\[|\]$/g, "");
    this.targetPort = Number(target.port) || (target.protocol === "https:" ? 443 : 80);
    this.dashboards = data.dashboards === "direct" ? "direct" : "server";
    this.targetBasePath = target.pathname.replace(/\/+$/, "");
    this.ownerLabel = owner === null ? null : userLabel(owner);
    this.addedAt = now;
    this.lastActivity = now;
    this.reportedActivity = now;
    this.serverAuth = (data as Record<string, unknown>).server_auth === "hub" ? "hub" : "proxy";
    this.auth = spawnId && this.serverAuth === "proxy" ? undefined : null;
  }

  get authHeader(): string | null {
    if (this.auth === undefined) this.auth = "token " + this.tokenForSpawn(this.spawnId!);
    return this.auth;
  }
}

/** One route in CHP's JSON shape. */
export function routeToJSON(e: RouteEntry): Record<string, unknown> {
  return { ...e.data, last_activity: new Date(e.lastActivity).toISOString() };
}

function sameData(a: Record<string, unknown>, b: unknown): boolean {
  if (!b || typeof b !== "object") return false;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(a);
  const bk = Object.keys(bo).filter((k) => k !== "last_activity");
  return ak.length === bk.length && ak.every((k) => JSON.stringify(a[k]) === JSON.stringify(bo[k]));
}
