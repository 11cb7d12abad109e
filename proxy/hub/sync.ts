// The proxy's loops towards the hub: the full route table (at start and every fullSyncSeconds, a
// safety net beside the hub's pushes), the auth snapshot (admins, revoked sessions, every
// authSyncSeconds; session revocations the hub pushes apply at once and are kept until a snapshot
// taken after them arrives) and the activity report (every activityFlushSeconds). When the hub
// cannot be reached the last table and snapshot stay in force and the loops keep trying.
import type { Logger } from "pino";
import type { AuthSnapshotView } from "@/proxy/auth/identity";
import { parseRoleAccessMap, parseServiceAccessMap, parseShareMap, type RoleGrant, type ShareEntry } from "@/proxy/auth/access";
import { toRouteSpec } from "@/proxy/routing/route-path";
import type { RouteEntry, RouteTable } from "@/proxy/routing/route-table";
import type { HubConnection } from "./connection";

export interface HubSyncOptions {
  hub: HubConnection;
  table: RouteTable;
  log: Logger;
  fullSyncSeconds: number;
  authSyncSeconds: number;
  activityFlushSeconds: number;
  /** called after the share map or the role access map changed (a push or a snapshot), so open connections can be checked again */
  onGrantsChanged?: () => void;
  /** a full sync keeps routes pushed this long before it began, though the hub's table lacks them (default PUSH_GRACE_MS) */
  pushGraceMs?: number;
}

/**
 * The hub pushes a ready server's route before it marks the server `running` (the route is there
 * before anyone is told to use it), and its table lists only running servers: a full sync that read
 * the table between the two would drop the route. So a full sync keeps routes pushed less than this
 * before it began; a server that failed meanwhile had its route deleted by a push of its own, and a
 * route kept by mistake goes at the next sync.
 */
export const PUSH_GRACE_MS = 10_000;

export class HubSync implements AuthSnapshotView {
  adminIds: ReadonlySet<number> = new Set();
  private revoked: ReadonlySet<string> = new Set();
  /** session id → when the hub pushed its revocation (ms); dropped once a later snapshot is in */
  private readonly pushedRevocations = new Map<string, number>();
  private authLoaded = false;
  /** "<owner>/<server>" → who it is shared with */
  private shares: ReadonlyMap<string, ShareEntry> = new Map();
  /** when the hub last pushed the share map (ms): a snapshot asked for before then is older and does not replace it */
  private sharesPushedAt = -Infinity;
  /** holder's account id → what their configured roles open */
  private roleAccess: ReadonlyMap<number, RoleGrant> = new Map();
  /** when the hub last pushed the role access map (ms), as sharesPushedAt */
  private roleAccessPushedAt = -Infinity;
  /** service name → what its token reaches (pushed along with the role access map) */
  private serviceAccess: ReadonlyMap<string, RoleGrant> = new Map();
  /** the one pending timer of each loop */
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** the on-demand sync in flight (catchUp), and when the last one started */
  private catchingUp: Promise<boolean> | null = null;
  private lastCatchUpAt = -Infinity;

  constructor(private readonly opts: HubSyncOptions) {}

  /**
   * Loads the route table (a few quick retries, so a proxy restarted next to a running hub is
   * complete before it accepts traffic) and the auth snapshot. True when the table was loaded.
   */
  async load(): Promise<boolean> {
    let synced = false;
    for (let attempt = 0; attempt < 3 && !synced; attempt++) {
      synced = await this.syncRoutes();
      if (!synced) await sleep(300);
    }
    await this.syncAuth();
    return synced;
  }

  /** Starts the loops; `synced`: whether load() got the table (if not, retry every second). */
  startLoops(synced: boolean): void {
    this.scheduleRouteSync(synced ? this.opts.fullSyncSeconds * 1000 : 1000);
    this.every(this.opts.authSyncSeconds * 1000, () => this.syncAuth());
    this.every(this.opts.activityFlushSeconds * 1000, () => this.flushActivity());
  }

  /** Stops the loops and reports pending activity. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.flushActivity().catch(() => undefined);
  }

  /** One full sync; true on success. Routes pushed while it ran, or shortly before (PUSH_GRACE_MS), are kept. */
  async syncRoutes(): Promise<boolean> {
    const startedAt = Date.now();
    try {
      const routes = await this.opts.hub.fetchRoutes();
      const r = this.opts.table.replaceAll(routes, Date.now(), startedAt - (this.opts.pushGraceMs ?? PUSH_GRACE_MS));
      if (r.added || r.removed) this.opts.log.info({ ...r, total: this.opts.table.size }, "route table synced from hub");
      return true;
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, "cannot fetch the route table from the hub");
      return false;
    }
  }

  /**
   * A full sync on demand: a request came for a user's route this proxy does not know, and the hub
   * may have pushed it to another replica only. Concurrent callers share one sync, and at most one
   * starts per `minGapMs`: requests for servers that really are not running cannot make every
   * proxy fetch the table over and over. Resolves false when none ran (too soon, or it failed).
   */
  catchUp(minGapMs: number): Promise<boolean> {
    if (this.catchingUp) return this.catchingUp;
    if (Date.now() - this.lastCatchUpAt < minGapMs) return Promise.resolve(false);
    this.lastCatchUpAt = Date.now();
    this.catchingUp = this.syncRoutes().finally(() => (this.catchingUp = null));
    return this.catchingUp;
  }

  isRevoked(sid: string): boolean {
    return this.revoked.has(sid) || this.pushedRevocations.has(sid);
  }

  /** Session revocations pushed by the hub (logout, revoked sessions, a changed password): in force at once. */
  revokeSessions(sids: readonly string[]): void {
    const now = Date.now();
    for (const sid of sids) this.pushedRevocations.set(sid, now);
  }

  /** The share of `owner`'s server `server` ("" default), if it is shared with anyone. */
  shareOf(owner: string, server: string): ShareEntry | undefined {
    return this.shares.get(`${owner}/${server}`);
  }

  /**
   * The share map pushed by the hub (PUT /api/shares): in force at once, so a revoked share stops
   * working before the hub's answer to the revocation. False when its shape is wrong (nothing changes).
   */
  setShares(raw: unknown): boolean {
    const parsed = parseShareMap(raw);
    if (!parsed) return false;
    this.shares = parsed;
    this.sharesPushedAt = Date.now();
    this.opts.onGrantsChanged?.();
    return true;
  }

  /** What the configured roles of the account `userId` let it reach, if anything. */
  roleGrantOf(userId: number): RoleGrant | undefined {
    return this.roleAccess.get(userId);
  }

  /** What the token of the service `name` reaches, if anything. */
  serviceGrantOf(name: string): RoleGrant | undefined {
    return this.serviceAccess.get(name);
  }

  /**
   * The role access map pushed by the hub (PUT /api/role-access, after a group membership change),
   * with the service access map (`rawServices`; absent: the last one stays): in force at once.
   * False when a shape is wrong (nothing changes).
   */
  setRoleAccess(raw: unknown, rawServices?: unknown): boolean {
    const parsed = parseRoleAccessMap(raw);
    const services = rawServices === undefined ? this.serviceAccess : parseServiceAccessMap(rawServices);
    if (!parsed || !services) return false;
    this.roleAccess = parsed;
    this.serviceAccess = services;
    this.roleAccessPushedAt = Date.now();
    this.opts.onGrantsChanged?.();
    return true;
  }

  /** Fetches admins and revoked sessions; on failure the last snapshot stays in force. */
  async syncAuth(): Promise<boolean> {
    const startedAt = Date.now();
    try {
      const snap = await this.opts.hub.fetchAuth();
      this.adminIds = new Set(snap.admin_ids);
      this.revoked = new Set(snap.revoked_sessions);
      // A snapshot asked for after a push lists that session (or it has expired, and so have its
      // cookies): the pushed entry is no longer needed. Earlier pushes stay, since the snapshot may
      // predate them.
      for (const [sid, at] of this.pushedRevocations) if (at < startedAt) this.pushedRevocations.delete(sid);
      // Shares: the snapshot replaces the map unless the hub pushed one after it was asked for.
      const shares = snap.shares === undefined ? new Map<string, ShareEntry>() : parseShareMap(snap.shares);
      let changed = false;
      if (shares && startedAt > this.sharesPushedAt) {
        this.shares = shares;
        changed = true;
      } else if (!shares) this.opts.log.warn("the auth snapshot's share map is malformed; the last one stays in force");
      // Role access: the same rule (a hub without roles sends none: nobody has any).
      const roles = snap.role_access === undefined ? new Map<number, RoleGrant>() : parseRoleAccessMap(snap.role_access);
      const services = snap.service_access === undefined ? new Map<string, RoleGrant>() : parseServiceAccessMap(snap.service_access);
      if (roles && services && startedAt > this.roleAccessPushedAt) {
        this.roleAccess = roles;
        this.serviceAccess = services;
        changed = true;
      } else if (!roles || !services) this.opts.log.warn("the auth snapshot's role or service access map is malformed; the last ones stay in force");
      if (changed) this.opts.onGrantsChanged?.();
      this.authLoaded = true;
      return true;
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message, loaded: this.authLoaded }, "cannot fetch the auth snapshot from the hub");
      return false;
    }
  }

  /** Sends routes active since the last report to the hub, keyed by routespec ("/user/alice/"). */
  async flushActivity(): Promise<void> {
    const batch: Record<string, string> = {};
    const sent: Array<[RouteEntry, number]> = [];
    for (const e of this.opts.table.entries()) {
      if (e.lastActivity > e.reportedActivity) {
        batch[toRouteSpec(e.path)] = new Date(e.lastActivity).toISOString();
        sent.push([e, e.lastActivity]);
      }
    }
    if (!sent.length) return;
    try {
      await this.opts.hub.postActivity(batch);
      for (const [e, at] of sent) e.reportedActivity = at;
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message, routes: sent.length }, "cannot report activity to the hub");
    }
  }

  private scheduleRouteSync(ms: number): void {
    this.after(ms, async () => {
      const ok = await this.syncRoutes();
      if (!this.stopped) this.scheduleRouteSync(ok ? this.opts.fullSyncSeconds * 1000 : 1000);
    });
  }

  private every(ms: number, fn: () => Promise<unknown>): void {
    const loop = () =>
      this.after(ms, async () => {
        await fn().catch(() => undefined);
        if (!this.stopped) loop();
      });
    loop();
  }

  /** Runs `fn` once after `ms` unless stopped first; the timer does not keep the process alive. */
  private after(ms: number, fn: () => Promise<void>): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      void fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
