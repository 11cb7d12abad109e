// The spawn worker: hub background work that carries out start/stop requests recorded in the
// database, polls running servers, and re-adopts servers after a hub restart. It holds no state
// that the database does not also hold (live Spawner instances are a cache rebuilt from
// Server.spawnerState), so a restarted hub loses nothing. It knows no spawner kind: spawners come
// from the SpawnerHost by the kind stored on each server.
// With several hub replicas each server has one owner (Server.ownerReplica, set when a replica
// claims its start): only the owner follows its start, polls it and stops it. A replica takes a
// server over only when its owner's heartbeat is stale (app/_lib/replicas/ownership.ts).
import { defaultHubUrl } from "@/config/derived";
import { deriveServerToken } from "@/proxy/auth/session-cookie";
import type { SpawnerHost } from "@/spawners/host";
import { SpawnError, type Spawner, type SpawnContext, type SpawnStarted, type JsonObject, type UsageSample } from "@/spawners/types";
import { loadSpawnUser } from "@/app/_lib/users/spawn-user";
import { OsAccountError } from "@/app/_lib/users/os-account";
import type { HubRuntime } from "../runtime";
import { buildRouteData, type RouteData, type RoutePusher } from "./proxy-client";
import { serverPath } from "./models";
import { probeServer } from "./readiness";
import { buildServerOAuthEnv } from "../oauth/server-clients";
import { revokeServerClientTokens } from "../oauth/provider";
import { serverAuthOf } from "@/spawners/state";
import { userOrigin } from "@/proxy/origins/origin-plan";
import { sweepBatchCallbacks } from "./batch-callback";
import { decideAdoption } from "./adoption";
import { buildSpawnLaunch } from "../launch/launches";
import { isLaunchError } from "../launch/launch-error";
import type { LaunchServices } from "../launch/launch-services";
import { UsageSampler } from "./usage-sampler";
import type { HubReplica } from "../replicas/replica";
import { serversToTakeOver, stopHandler, OWNED_STATES } from "../replicas/ownership";
import { deriveServerApiToken, issueServerApiToken, revokeServerApiToken, revokeServerApiTokenStatement, revokedTokenHash } from "./server-api-token";
import { writesOf, type SqlResult, type SqlStep } from "../db/sql-writes";
import { readRows } from "../db/sql-reads";
import {
  buildClaimStart,
  buildClaimStop,
  buildInsertEvent,
  buildMarkEnded,
  buildMarkReady,
  buildMarkStopped,
  buildOthersServerQuery,
  buildRemoveIfStopped,
  buildRunningOwnedQuery,
  buildSaveSpawnState,
  buildServerWithWorkQuery,
  buildWorkWaitingQuery,
  serverFromRow,
} from "./worker-sql";
import { SERVER_CHECK_EVENT, type ServerCheckRequest } from "./server-check";
import { describeStoredState } from "@/spawners/state";

/**
 * Least time between the starts of two ticks. Every start and stop request wakes the worker: in a
 * storm of requests that arrive one by one, a tick per request read the waiting servers once per
 * request (100 stops: 100 ticks). A wake within this of the last tick waits for the next one, which
 * takes every request that came meanwhile.
 */
const TICK_GAP_MS = 10;

/** A callback row this old with no live server behind it is a leftover (see sweepBatchCallbacks). */
const STALE_CALLBACK_MS = 10 * 60_000;

type ServerRow = NonNullable<Awaited<ReturnType<HubRuntime["db"]["server"]["findUnique"]>>>;

/** Does the server at `url` answer its API with its token? (readiness.ts; tests pass their own) */
export type ReadinessProbe = (url: string, baseUrl: string, token: string) => Promise<boolean>;

export interface SpawnWorkerOptions {
  /** `origins`: where servers' public URLs are (JUPYTERHUB_PUBLIC_URL); absent, on hub.publicUrl */
  rt: Pick<HubRuntime, "config" | "db" | "log" | "bus" | "catalog" | "metrics"> & Partial<Pick<HubRuntime, "origins">>;
  /** the started spawner kinds of this hub */
  spawners: SpawnerHost;
  /** where routes of ready servers go (the proxies) */
  routes: RoutePusher;
  /** default: GET <url><baseUrl>api/status with the server's token */
  probe?: ReadinessProbe;
  /** launch links' settings (app/_lib/launch/launch-services.ts): what a launch's server prepares first */
  launches?: LaunchServices;
  /** this hub process among the replicas on the database: its id, who else is alive, its leases */
  replica: HubReplica;
}

class StopRequested extends Error {}

/** A start an earlier hub process began, which this one follows (Spawner.resume). */
interface Resumed {
  spawner: Spawner;
  ctx: SpawnContext;
  started: Promise<SpawnStarted>;
}

export class SpawnWorker {
  /** servers this process is starting right now (abort = a stop was requested meanwhile) */
  private readonly spawning = new Map<number, AbortController>();
  /** servers this process is stopping right now */
  private readonly stopping = new Set<number>();
  /**
   * live spawners of running servers and their base URLs (a cache; rebuilt from stored state when
   * missing). A user is not renamed while a server of theirs is active, so the URL stays right.
   */
  private readonly live = new Map<number, { spawner: Spawner; baseUrl: string }>();
  /** servers that ended on their own being cleared and marked stopped (markGone), by id */
  private readonly ending = new Map<number, Promise<void>>();
  /** checks asked for now (checkNow), by server id */
  private readonly checks = new Map<number, Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private ticking = false;
  /** the tick under way, for a shutdown that waits for it (idle()) */
  private tickDone: Promise<void> | null = null;
  private again = false;
  /** when the last tick began (performance.now()), and the timer of a wake that waits for TICK_GAP_MS */
  private lastTick = -Infinity;
  private kickTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private readonly rt: SpawnWorkerOptions["rt"];
  private readonly spawners: SpawnerHost;
  private readonly proxy: RoutePusher;
  private readonly probe: ReadinessProbe;
  private readonly launches: LaunchServices | undefined;
  private readonly usage: UsageSampler;
  private readonly replica: HubReplica;
  private takingOver: Promise<void> | null = null;

  constructor(opts: SpawnWorkerOptions) {
    this.rt = opts.rt;
    this.replica = opts.replica;
    this.launches = opts.launches;
    this.spawners = opts.spawners;
    this.proxy = opts.routes;
    this.probe = opts.probe ?? probeServer;
    this.usage = new UsageSampler({
      rt: opts.rt,
      catalog: opts.rt.catalog,
      spawnerForEndedRun: async (run) =>
        (
          await this.spawnerFor({
            id: -1,
            userId: run.userId,
            name: run.serverName,
            spawnId: run.spawnId,
            spawnerKind: run.spawnerKind,
            spawnerState: run.spawnerState,
            options: "{}",
          } as ServerRow)
        ).spawner,
    });
  }

  async start(): Promise<void> {
    await this.takeOver(true);
    this.rt.bus.on("wake", this.kick);
    this.rt.bus.on(SERVER_CHECK_EVENT, this.onCheckRequest);
    // Requests received by another hub replica wake this one through the bus too (on PostgreSQL:
    // app/_lib/replicas/hub-bus.ts); the timer is the safety net for a notification that was lost.
    this.timers.push(setInterval(this.kick, 1000));
    this.timers.push(
      setInterval(
        () => void this.pollRunning().catch((err: unknown) => this.rt.log.error({ err }, "polling the running servers failed")),
        this.rt.config.hub.pollIntervalSeconds * 1000,
      ),
    );
    this.timers.push(setInterval(() => void this.takeOver(false), this.rt.config.hub.replicaHeartbeatSeconds * 1000));
    this.kick();
  }

  /**
   * Takes over the servers no live replica owns (all of them at the first start of a single hub;
   * a dead replica's later) and carries on with each as a restarted hub does. `first`: also the
   * clean-up after servers that are gone, if this replica holds that lease.
   */
  takeOver(first: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.takingOver ??= this.takeOverOnce(first)
      .catch((err) => this.rt.log.error({ err }, "taking over servers failed"))
      .finally(() => (this.takingOver = null));
    return this.takingOver;
  }

  private async takeOverOnce(first: boolean): Promise<void> {
    const { db, log } = this.rt;
    const me = this.replica.id;
    // Every beat asks; nearly always no server is another's or no one's (a single hub owns all of
    // its own): one statement on the driver says so, before the replicas and servers are read.
    const others = await readRows(db, buildOthersServerQuery(writesOf(db).dialect, { replica: me, states: OWNED_STATES }));
    if (!others.length && !first) return;
    const alive = await this.replica.aliveIds();
    alive.add(me);
    const unowned = serversToTakeOver(
      await db.server.findMany({ where: { state: { in: [...OWNED_STATES] }, OR: [{ ownerReplica: null }, { ownerReplica: { notIn: [...alive] } }] } }),
      alive,
      me,
    );
    let taken = 0;
    for (const s of unowned) {
      // The owner may have beaten since `alive` was read (a slow pass): look again right before.
      if (s.ownerReplica && (await this.replica.isAlive(s.ownerReplica))) continue;
      // conditional on the owner we saw: of two replicas taking over, one wins each server
      const claimed = await db.server.updateMany({ where: { id: s.id, state: s.state, ownerReplica: s.ownerReplica }, data: { ownerReplica: me } });
      if (claimed.count === 0) continue;
      taken++;
      if (s.ownerReplica) log.info({ server: s.id, from: s.ownerReplica, replica: me }, "took over a server of a replica that is gone");
      // a stop under way is carried out by the tick, now that the server is this replica's
      if (s.state !== "stopping") await this.adopt({ ...s, ownerReplica: me });
    }
    if (taken) this.kick();
    if ((first || taken) && this.replica.holds("cleanup")) await this.cleanUp();
  }

  /**
   * Hub shutdown: stop background work, leave user servers running (they are adopted at next
   * start). The spawner kinds are closed by whoever started them (background.ts).
   */
  close(): void {
    this.closed = true;
    this.rt.bus.off("wake", this.kick);
    this.rt.bus.off(SERVER_CHECK_EVENT, this.onCheckRequest);
    for (const t of this.timers) clearInterval(t);
    if (this.kickTimer) clearTimeout(this.kickTimer);
    this.kickTimer = null;
  }

  /** Resolves when the tick under way (if any) has ended; after close(), none starts again. */
  idle(): Promise<void> {
    return this.tickDone ?? Promise.resolve();
  }

  private readonly kick = (): void => {
    if (this.closed) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.kickTimer) return;
    const wait = this.lastTick + TICK_GAP_MS - performance.now();
    if (wait > 0) {
      this.kickTimer = setTimeout(() => {
        this.kickTimer = null;
        this.kick();
      }, wait);
      return;
    }
    this.lastTick = performance.now();
    this.ticking = true;
    this.tickDone = this.tick()
      .catch((err) => this.rt.log.error({ err }, "spawn worker tick failed"))
      .finally(() => {
        this.ticking = false;
        this.tickDone = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  };

  // The tick's statements run on the driver (app/_lib/db/sql-writes.ts), with the same conditions
  // as before: a claim changes a row only if it is still the request read. First the ids and states
  // of the servers with work, then whole rows only of those this process is not already starting
  // or stopping: a storm of stops wakes the tick once per request while the earlier stops are
  // still under way, and reading every stopping server whole each time grew as the storm's square.
  private async tick(): Promise<void> {
    const { db } = this.rt;
    const writes = writesOf(db);
    const me = this.replica.id;
    const waiting = await readRows<{ id: number | bigint; state: string }>(db, buildWorkWaitingQuery());
    const withWork = async (id: number, state: string) => {
      const [row] = await readRows<Record<string, unknown>>(db, buildServerWithWorkQuery(writes.dialect, id));
      const s = row ? serverFromRow(row) : null;
      return s?.state === state ? s : null;
    };
    for (const w of waiting) {
      if (w.state !== "pending") continue;
      const s = await withWork(Number(w.id), "pending");
      if (!s) continue;
      const claimed = await writes.run(buildClaimStart(writes.dialect, { id: s.id, spawnId: s.spawnId, replica: me, now: new Date() }));
      if (claimed.changes === 1) this.detach("spawn", s.id, this.spawn({ ...s, state: "starting", ownerReplica: me }));
    }
    let alive: Set<string> | undefined;
    for (const w of waiting) {
      if (w.state !== "stopping") continue;
      const id = Number(w.id);
      const spawn = this.spawning.get(id);
      if (spawn) {
        spawn.abort(new StopRequested());
        continue;
      }
      if (this.stopping.has(id)) continue;
      const s = await withWork(id, "stopping");
      if (!s) continue;
      if (s.ownerReplica !== me) {
        alive ??= await this.replica.aliveIds();
        alive.add(me);
        // another live replica owns it (maybe mid-start): the bus woke it too, else its next tick sees it
        if (stopHandler(s, alive, me) === "owner") continue;
        const claimed = await writes.run(buildClaimStop(writes.dialect, { id: s.id, from: s.ownerReplica, replica: me, now: new Date() }));
        if (claimed.changes === 0) continue;
      }
      this.detach("stop", s.id, this.stopServer({ ...s, ownerReplica: me }));
    }
  }

  /** `forStart`: also what a launch's server prepares first (checked against today's allow-list). */
  private async context(s: ServerRow, forStart = false): Promise<SpawnContext> {
    const { db, config, log } = this.rt;
    let user;
    try {
      user = await loadSpawnUser(db, s.userId, config.hub);
    } catch (err) {
      if (err instanceof OsAccountError) throw new SpawnError(err.message);
      throw err;
    }
    const launch = forStart ? await this.launchOf(s) : undefined;
    const baseUrl = serverPath(user.name, s.name);
    const hubUrl = defaultHubUrl(config.hub);
    const apiUrl = `${hubUrl}/hub/api`;
    return {
      user,
      serverName: s.name,
      baseUrl,
      spawnId: s.spawnId!,
      token: deriveServerToken(config.hub.secretKey, s.spawnId!),
      apiToken: deriveServerApiToken(config.hub.secretKey, s.spawnId!),
      hubUrl,
      options: JSON.parse(s.options) as JsonObject,
      env: {
        DASK_DISTRIBUTED__DASHBOARD__LINK: `${baseUrl}proxy/{port}/status`,
        GYRE_USER: user.name,
        GYRE_SERVER_NAME: s.name,
        GYRE_SERVER_URL: baseUrl,
        // what Gyre's extension in the server relays under <base>proxy/<port>/ (its own account's sockets only)
        GYRE_DASHBOARD_PORTS: config.proxy.dashboardPorts.join(","),
        // JupyterHub's environment of a server (its Spawner.get_env), so code written for
        // JupyterHub finds its hub; the token comes by each spawner's secret path (ctx.apiToken).
        // Batch jobs get the API URL of their cluster's callback address instead.
        JUPYTERHUB_API_URL: apiUrl,
        JUPYTERHUB_ACTIVITY_URL: `${apiUrl}/users/${user.name}/activity`,
        JUPYTERHUB_BASE_URL: "/",
        JUPYTERHUB_HOST: "",
        JUPYTERHUB_USER: user.name,
        JUPYTERHUB_SERVER_NAME: s.name,
        JUPYTERHUB_SERVICE_PREFIX: baseUrl,
        // the server's OAuth client (jupyterhub-singleuser logs its users in through the hub with it)
        ...buildServerOAuthEnv({ user: user.name, server: s.name, baseUrl }),
        ...(config.hub.publicUrl
          ? {
              JUPYTERHUB_PUBLIC_HUB_URL: `${config.hub.publicUrl.replace(/\/+$/, "")}/hub/`,
              // the server's own public address, as its model's full_url
              JUPYTERHUB_PUBLIC_URL:
                (this.rt.origins?.mode === "per-user" ? userOrigin(this.rt.origins, user.name) : config.hub.publicUrl.replace(/\/+$/, "")) + baseUrl,
            }
          : {}),
      },
      log: log.child({ user: user.name, server: s.name }),
      ...(launch ? { launch } : {}),
    };
  }

  /** What a launch's server prepares first, checked against today's launch settings (allow-list). */
  private async launchOf(s: ServerRow): Promise<SpawnContext["launch"]> {
    if (s.launchId === null) return undefined;
    const row = await this.rt.db.launch.findUnique({ where: { id: s.launchId } });
    if (!row) return undefined;
    if (!this.launches) throw new SpawnError("This server serves a launch link, and this hub has no launch settings.");
    try {
      return buildSpawnLaunch(row, this.launches);
    } catch (err) {
      if (isLaunchError(err)) throw new SpawnError(`This launch cannot start: ${err.message}`);
      throw err;
    }
  }

  /** A running server's spawner and base URL, rebuilt from its stored state. */
  private async liveFor(s: ServerRow): Promise<{ spawner: Spawner; baseUrl: string }> {
    const { spawner, ctx } = await this.spawnerFor(s);
    return { spawner, baseUrl: ctx.baseUrl };
  }

  private async spawnerFor(s: ServerRow, forStart = false): Promise<{ spawner: Spawner; ctx: SpawnContext }> {
    const ctx = await this.context(s, forStart);
    const spawner = await this.spawners.create(s.spawnerKind, ctx, s.spawnerState);
    return { spawner, ctx };
  }

  private async event(
    serverId: number,
    spawnId: string,
    progress: number,
    message: string,
    kind = "progress",
    step: { phase?: string; cached?: boolean } = {},
  ): Promise<void> {
    const writes = writesOf(this.rt.db);
    await writes.run(buildInsertEvent(writes.dialect, eventRow(serverId, spawnId, progress, message, kind, step), new Date()));
    this.rt.bus.emit(`server:${serverId}`);
  }

  /**
   * Runs a spawn or a stop on its own. What it could not write (the database unreachable, or gone
   * as the hub shuts down) is logged here, with the server: never an unhandled rejection, which
   * Next's process handler logs without saying what it was about, and which ends a process with
   * no such handler (a test's).
   */
  private detach(what: "spawn" | "stop", serverId: number, work: Promise<void>): void {
    work.catch((err: unknown) => this.rt.log.error({ err, server: serverId }, `the ${what} ended with an error it could not record`));
  }

  /** Starts the server, or with `resumed` follows a start an earlier hub process began. */
  private async spawn(s: ServerRow, resumed?: Resumed): Promise<void> {
    const { db, config, log } = this.rt;
    const abort = new AbortController();
    this.spawning.set(s.id, abort);
    const spawnId = s.spawnId!;
    // JupyterHub's spawn duration runs from the request (what the user waits), else from now
    const requested = s.requestedAt?.getTime() ?? Date.now();
    let spawner: Spawner | undefined;
    let ctx: SpawnContext | undefined;
    // The spawner's state is saved whenever it changed (a hub restarted mid-spawn follows the same
    // process or job from it), and not again when it did not: one write fewer per progress step.
    let savedState = s.spawnerState;
    const writes = writesOf(db);
    const stateSave = (also: { url?: string } = {}): SqlStep | null => {
      const spawnerState = this.spawners.encodeState(s.spawnerKind, spawner!);
      const changed = spawnerState !== savedState;
      if (!changed && !also.url) return null;
      savedState = spawnerState;
      return { q: buildSaveSpawnState(writes.dialect, { id: s.id, ...(changed ? { spawnerState } : {}), ...also, now: new Date() }), orFail: GONE };
    };
    // set once the progress pump runs: the failure path below writes what it has queued, and
    // stops it writing more, before the final state and event (never a progress event after them)
    let settleProgress: (() => Promise<void>) | null = null;
    try {
      ({ spawner, ctx } = resumed ?? (await this.spawnerFor(s, true)));
      if (!resumed) await issueServerApiToken(db, { userId: s.userId, user: ctx.user.name, server: s.name, token: ctx.apiToken });
      // Events that come once start() has resolved (the last of the start, "Server is answering")
      // are left for the transaction that stores the server's URL (below), with their times.
      let startEnded = false;
      const rest: SqlStep[] = [];
      // Each event is written as it comes, with the spawner's state; events that come in the same
      // turn of the event loop (a local start's 5% and 10%) or while a write is under way go in one
      // transaction. None waits for a later one: progress still streams step by step.
      const queued: SqlStep[] = [];
      // (typed by `as`: the closures below assign them, which the checker's narrowing does not see)
      let writing = null as Promise<void> | null;
      let writeFailed = null as Error | null;
      const writeQueued = async () => {
        await new Promise((r) => setImmediate(r));
        // once start() has resolved, what is queued goes into the transaction with the URL (below)
        while (queued.length && !startEnded) {
          const events = queued.splice(0);
          const save = stateSave();
          await writes.transaction([...events, ...(save ? [save] : [])]);
          this.rt.bus.emit(`server:${s.id}`);
        }
      };
      const startWriter = () => {
        if (writing || !queued.length || writeFailed || startEnded) return;
        writing = writeQueued()
          .catch((err: unknown) => void (writeFailed = err instanceof Error ? err : new Error(String(err))))
          .finally(() => {
            writing = null;
            startWriter();
          });
      };
      settleProgress = async () => {
        startEnded = true;
        while (writing) await writing;
        const left = queued.splice(0);
        if (left.length) await writes.transaction(left).catch((err) => log.warn({ err }, "could not store a failed spawn's last progress"));
      };
      const pump = (async () => {
        for await (const ev of spawner.progress()) {
          if (writeFailed) throw writeFailed;
          const event = buildInsertEvent(writes.dialect, eventRow(s.id, spawnId, Math.min(ev.progress, 90), ev.message, "progress", ev), new Date());
          if (startEnded) {
            rest.push({ q: event });
            continue;
          }
          queued.push({ q: event });
          startWriter();
        }
        while (writing) await writing;
        if (writeFailed) throw writeFailed;
      })().catch((err) => log.warn({ err }, "progress stream failed"));
      // --- start timeout: the spawner may own it (Spawner.startTimeoutSeconds; batch jobs wait in
      // queues for hours, https://github.com/jupyterhub/batchspawner/issues/88); the readiness check after start() stays the hub's.
      // A launch first fetches and builds, within the agent's own limits.
      const owned = spawner.startTimeoutSeconds ? spawner.startTimeoutSeconds() : undefined;
      const startLimit = owned === undefined ? config.hub.startTimeoutSeconds + (ctx.launch?.prepareTimeoutSeconds ?? 0) : owned;
      const deadline = startLimit === null ? Infinity : Date.now() + startLimit * 1000;
      const started = await raceAbort(
        resumed ? resumed.started : spawner.start(),
        abort.signal,
        deadline,
        `The server did not start within ${startLimit} s${owned === undefined ? " (hub.startTimeoutSeconds)" : ""}.`,
      );
      startEnded = true;
      const readyDeadline = startLimit === null ? Date.now() + config.hub.startTimeoutSeconds * 1000 : deadline;
      // The pump ends with start(): the events it has not written yet (queued, then after start()), the server's URL with the
      // spawner's state, and the readiness check's event: one transaction.
      await pump;
      await writes.transaction([
        ...queued.splice(0),
        ...rest,
        stateSave({ url: started.url })!,
        { q: buildInsertEvent(writes.dialect, eventRow(s.id, spawnId, 92, "Checking the server with its token"), new Date()) },
      ]);
      this.rt.bus.emit(`server:${s.id}`);
      const auth = this.serverAuth(s, spawner);
      // the spawner may have made this very check as its last step (SpawnStarted.ready)
      if (!started.ready) await this.waitReady(spawner, started.url, ctx, abort.signal, readyDeadline, auth);
      const route = this.routeData(s, started.url, ctx.user.name, auth);
      const pushed = await this.proxy.addRoute(ctx.baseUrl, route);
      const now = new Date();
      // The start log, for the server's page (a failed spawn stores its own below).
      const startLog = await spawner.logTail(40).catch(() => null);
      // Running (only if this replica still owns this start), its ready event and its usage
      // record: one transaction, the event and the record only when the server did change.
      const ran = (done: readonly unknown[]) => (done[0] as { changes: number }).changes === 1;
      const openUsage = this.usage.openStatement({ ...s, startedAt: now }, this.spawners.encodeState(s.spawnerKind, spawner), now);
      const [done] = await writes.transaction([
        { q: buildMarkReady(writes.dialect, { id: s.id, spawnId, replica: this.replica.id, url: started.url, logTail: startLog || null, now }) },
        { q: buildInsertEvent(writes.dialect, eventRow(s.id, spawnId, 100, `Server ready at ${ctx.baseUrl}`, "ready"), new Date()), when: ran },
        ...(openUsage ? [{ q: openUsage, when: ran }] : []),
      ]);
      if (done!.changes === 0) throw new StopRequested();
      // A proxy that missed the push (down, restarting) and read the hub's table before this
      // commit would lack the route until its next full sync: now that the table lists it, once more.
      if (!pushed) await this.proxy.addRoute(ctx.baseUrl, route);
      this.live.set(s.id, { spawner, baseUrl: ctx.baseUrl });
      if (openUsage) this.usage.sampled(s, now);
      this.rt.bus.emit(`server:${s.id}`);
      this.observeStarted(s, spawner, requested, now);
      log.info({ user: ctx.user.name, server: s.name, url: started.url }, "server ready");
    } catch (err) {
      // This hub is shutting down (its database calls fail as it disconnects): the replica that
      // takes the spawn over follows the same process; stopping it here would lose the spawn.
      // Asked before the database is, which may be gone already.
      if (this.closed && !(err instanceof StopRequested)) {
        log.warn({ server: s.id, err }, "spawn interrupted by the hub's shutdown; left to the next owner");
        return;
      }
      // Taken over meanwhile (this process was paused past its lease): the new owner follows the
      // same process or job; stopping it here would kill what it follows.
      if (!(await this.owns(s.id))) {
        log.warn({ server: s.id }, "a replica took this spawn over meanwhile; leaving it to that replica");
        return;
      }
      const stopRequested = err instanceof StopRequested || abort.signal.reason instanceof StopRequested;
      const reason = stopRequested ? "Stopped before it was ready." : err instanceof SpawnError ? err.message : `Spawn failed: ${(err as Error).message}`;
      let logTail = err instanceof SpawnError ? err.logTail : undefined;
      if (!logTail && spawner) logTail = await spawner.logTail(30).catch(() => undefined);
      if (!stopRequested) {
        log.warn({ server: s.id, reason }, "spawn failed");
        this.rt.metrics.observeSpawn("failure", (Date.now() - requested) / 1000);
      }
      await settleProgress?.();
      // Leave nothing half-started: route, process/job, state.
      if (ctx) await this.proxy.deleteRoute(ctx.baseUrl);
      if (spawner) await spawner.stop().catch((e) => log.error({ err: e }, "could not stop a failed spawn"));
      await this.revokeApiToken(spawnId);
      await db.server.update({
        where: { id: s.id },
        data: {
          state: stopRequested ? "stopped" : "failed",
          url: null,
          message: stopRequested ? null : reason,
          logTail: logTail ?? null,
          stoppedAt: new Date(),
          spawnerState: spawner ? this.spawners.encodeState(s.spawnerKind, spawner) : "{}",
        },
      });
      await this.event(s.id, spawnId, 100, reason, stopRequested ? "stopped" : "failed");
    } finally {
      this.spawning.delete(s.id);
    }
  }

  /** A start succeeded: its duration, and a batch job's wait in its queue. */
  private observeStarted(s: ServerRow, spawner: Spawner, requested: number, now: Date): void {
    const { metrics, catalog } = this.rt;
    metrics.observeSpawn("success", (now.getTime() - requested) / 1000);
    const details = describeStoredState(catalog, s.spawnerKind, this.spawners.encodeState(s.spawnerKind, spawner), "running");
    if (details.job?.queueWaitSeconds !== undefined) metrics.observeQueueWait(details.job.cluster, details.queue ?? "", details.job.queueWaitSeconds);
  }

  /** Is this replica still the server's owner? */
  private async owns(serverId: number): Promise<boolean> {
    return (await this.rt.db.server.count({ where: { id: serverId, ownerReplica: this.replica.id } })) === 1;
  }

  private async waitReady(spawner: Spawner, url: string, ctx: SpawnContext, signal: AbortSignal, deadline: number, auth: "proxy" | "hub"): Promise<void> {
    let lastPoll = 0;
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (await this.probe(url, ctx.baseUrl, probeToken(ctx, auth))) return;
      if (Date.now() - lastPoll > 1000) {
        lastPoll = Date.now();
        const exit = await spawner.poll();
        if (exit) throw new SpawnError(`The server exited before it was ready: ${exit.reason}`, await spawner.logTail(30).catch(() => undefined));
      }
      if (Date.now() > deadline)
        throw new SpawnError(`The server did not answer within ${this.rt.config.hub.startTimeoutSeconds} s (hub.startTimeoutSeconds).`);
      await new Promise((r) => setTimeout(r, this.rt.config.hub.httpProbeIntervalMs));
    }
  }

  private async stopServer(s: ServerRow): Promise<void> {
    const { db, config, log } = this.rt;
    if (this.stopping.has(s.id) || this.spawning.has(s.id)) return;
    this.stopping.add(s.id);
    const abort = new AbortController();
    const began = Date.now();
    try {
      const { spawner, baseUrl } = this.live.get(s.id) ?? (await this.liveFor(s));
      await this.proxy.deleteRoute(baseUrl);
      // The last sample while the process tree (or job) is still there (or taken by the stop itself: atStop below).
      const beforeStop = await this.usage.beforeStop(s, spawner);
      await raceAbort(
        spawner.stop(),
        abort.signal,
        Date.now() + config.hub.stopTimeoutSeconds * 1000,
        `The server did not stop within ${config.hub.stopTimeoutSeconds} s.`,
      );
      this.live.delete(s.id);
      const lastUsage = this.usage.atStop(s, spawner, beforeStop);
      // Keep `message`: a stop by the culler or an admin carries its reason to the user.
      await this.closeRecord(s, spawner, lastUsage, s.message ?? "Server stopped", (spawnerState, now) => ({
        q: buildMarkStopped(writesOf(db).dialect, { id: s.id, spawnerState, now }),
        orFail: GONE,
      }));
      this.rt.metrics.observeStop("success", (Date.now() - began) / 1000);
    } catch (err) {
      log.error({ err, server: s.id }, "stop failed");
      this.rt.metrics.observeStop("failure", (Date.now() - began) / 1000);
      await db.server.update({ where: { id: s.id }, data: { state: "failed", message: `Stopping failed: ${(err as Error).message}` } });
      await this.event(s.id, s.spawnId ?? "", 100, `Stopping failed: ${(err as Error).message}`, "failed");
    } finally {
      this.stopping.delete(s.id);
    }
  }

  /** A removed server's OAuth client goes with it: its tokens are revoked (logged, not raised). */
  private async removedClient(s: ServerRow, now: Date): Promise<void> {
    const { db, log } = this.rt;
    const owner = await db.user.findUnique({ where: { id: s.userId }, select: { name: true } });
    if (!owner) return;
    await revokeServerClientTokens(db, this.proxy, { owner: owner.name, server: s.name, now }).catch((err) =>
      log.error({ err }, "could not revoke the OAuth tokens of a removed server"),
    );
  }

  /** Marks servers that ended on their own (crash, walltime, killed) as stopped, with the reason. */
  async pollRunning(): Promise<void> {
    const { db, log } = this.rt;
    if (this.closed) return;
    // on the driver: every hub.pollIntervalSeconds, also on an idle hub
    const rows = await readRows<Record<string, unknown>>(db, buildRunningOwnedQuery(writesOf(db).dialect, this.replica.id));
    const running = rows.map(serverFromRow);
    const now = new Date();
    await Promise.all(running.map((s) => this.pollOne(s, now)));
    if (this.replica.holds("usage-settle")) await this.usage.settle(now).catch((err) => log.error({ err }, "settling usage records failed"));
  }

  /**
   * Polls one running server now, before the next round of pollRunning: a proxy found it not
   * answering and a user waits for the reason. Asks for the same server at once share one poll.
   */
  checkNow(serverId: number): Promise<void> {
    let check = this.checks.get(serverId);
    if (!check) {
      check = (async () => {
        const s = await this.rt.db.server.findUnique({ where: { id: serverId } });
        if (s && s.state === "running" && !this.closed) await this.pollOne(s, new Date(), { fresh: true });
      })().finally(() => this.checks.delete(serverId));
      this.checks.set(serverId, check);
    }
    return check;
  }

  private readonly onCheckRequest = (req: ServerCheckRequest): void => {
    this.checkNow(req.serverId)
      .catch((err) => this.rt.log.error({ err, server: req.serverId }, "check of a server failed"))
      .finally(req.done);
  };

  private async pollOne(s: ServerRow, now: Date, opts: { fresh?: boolean } = {}): Promise<void> {
    // found ended already: a check waits for its record to say so
    const ending = this.ending.get(s.id);
    if (ending) return ending;
    if (this.spawning.has(s.id) || this.stopping.has(s.id)) return;
    try {
      let cached = this.live.get(s.id);
      if (!cached) {
        cached = await this.liveFor(s);
        this.live.set(s.id, cached);
      }
      const began = Date.now();
      const spawner = cached.spawner;
      const exit = await spawner.poll(opts);
      this.rt.metrics.observePoll(exit ? "stopped" : "running", (Date.now() - began) / 1000);
      if (exit) await this.markGone(s, `The server stopped: ${exit.reason}`, spawner);
      else await this.usage.poll(s, spawner, now);
    } catch (err) {
      this.rt.log.error({ err, server: s.id }, "poll failed");
    }
  }

  /**
   * A server that ended on its own (poll() said how). Its spawner clears what it left behind
   * (stop({ ended: true }): kernels that outlived it, its runtime dir, its pod and Secret; its log
   * stays), then the record says stopped, with the reason. In that order: once it says stopped, a
   * new start may be claimed, by any replica, and a clean-up after it would remove the new spawn's
   * things (a Kubernetes server's Secret has the same name at every spawn). A stop asked for
   * meanwhile finds it stopped with that reason (and a removal asked for, done). Calls for the
   * same server share one.
   */
  private markGone(s: ServerRow, reason: string, spawner: Spawner): Promise<void> {
    let ending = this.ending.get(s.id);
    if (!ending) {
      ending = this.endGone(s, reason, spawner).finally(() => this.ending.delete(s.id));
      this.ending.set(s.id, ending);
    }
    return ending;
  }

  private async endGone(s: ServerRow, reason: string, spawner: Spawner): Promise<void> {
    const { db, config, log } = this.rt;
    // a stop that began while the poll ran ends it as stops do
    if (this.stopping.has(s.id)) return;
    // a stop asked for from now on waits (the tick skips servers being stopped) until the record
    // says stopped, with why it ended: that stop has nothing left to do
    this.stopping.add(s.id);
    try {
      const user = await db.user.findUniqueOrThrow({ where: { id: s.userId } });
      await this.proxy.deleteRoute(serverPath(user.name, s.name));
      this.live.delete(s.id);
      const logTail = await spawner.logTail(30).catch(() => "");
      // what the kind can still tell (a batch job's accounting, a pod's requests), before the clean-up
      const lastUsage = await this.usage.last(s, spawner);
      try {
        await raceAbort(
          spawner.stop({ ended: true }),
          new AbortController().signal,
          Date.now() + config.hub.stopTimeoutSeconds * 1000,
          `not done within ${config.hub.stopTimeoutSeconds} s (hub.stopTimeoutSeconds)`,
        );
      } catch (err) {
        // what it left stays (the next stop of this spawn, or the kind's reconcile at a hub start, may take it)
        log.warn({ err, server: s.id }, "could not clear what a server that ended on its own left behind");
      }
      // Gone on its own: whatever the kind could still tell, else what was sampled.
      await this.closeRecord(s, spawner, lastUsage, reason, (spawnerState, now) => ({
        q: buildMarkEnded(writesOf(db).dialect, { id: s.id, spawnerState, message: reason, logTail, now }),
      }));
    } finally {
      this.stopping.delete(s.id);
    }
  }

  /**
   * A stopped server's record, in one transaction: `mark` (the server stopped: changes its row or
   * not), then, only when it did, its API token revoked, its usage record closed with `lastUsage`,
   * its last event (`message`), and its record gone when a DELETE with {"remove": true} asked
   * (it goes once the server is really gone): whoever sees the server stopped also sees the rest.
   * Then the proxies learn of the revoked token and a removed server's OAuth client goes.
   */
  private async closeRecord(
    s: ServerRow,
    spawner: Spawner,
    lastUsage: UsageSample | null,
    message: string,
    mark: (spawnerState: string, now: Date) => SqlStep,
  ): Promise<void> {
    const { db, config, log } = this.rt;
    const stoppedAt = new Date();
    const writes = writesOf(db);
    const spawnerState = this.spawners.encodeState(s.spawnerKind, spawner);
    const apiToken = s.spawnId ? deriveServerApiToken(config.hub.secretKey, s.spawnId) : null;
    const usage = await this.usage.endStatements(s, lastUsage, spawnerState, stoppedAt);
    const marked = (done: readonly (SqlResult | null)[]) => done[0]!.changes === 1;
    const done = await writes.transaction([
      mark(spawnerState, stoppedAt),
      ...(apiToken ? [{ q: revokeServerApiTokenStatement(db, apiToken, stoppedAt), when: marked }] : []),
      ...usage.map((q) => ({ q, when: marked })),
      { q: buildInsertEvent(writes.dialect, eventRow(s.id, s.spawnId ?? "", 100, message, "stopped"), stoppedAt), when: marked },
      { q: buildRemoveIfStopped(writes.dialect, s.id), when: marked },
    ]);
    if (!marked(done)) return;
    this.rt.bus.emit(`server:${s.id}`);
    if (apiToken && done[1]!.changes)
      await this.proxy
        .revoke({ tokenHashes: [revokedTokenHash(apiToken)] })
        .catch((err) => log.error({ err }, "could not tell the proxies a server's API token is revoked"));
    if (done[done.length - 1]!.changes) await this.removedClient(s, stoppedAt);
  }

  /** Revokes a spawn's hub API token (JUPYTERHUB_API_TOKEN); a failure is logged, not raised. */
  private async revokeApiToken(spawnId: string): Promise<void> {
    const token = deriveServerApiToken(this.rt.config.hub.secretKey, spawnId);
    await revokeServerApiToken(this.rt.db, this.proxy, token, new Date()).catch((err) => this.rt.log.error({ err }, "could not revoke a server's API token"));
  }

  /** The route of a server that is up at `target`. */
  private routeData(s: ServerRow, target: string, user: string, serverAuth: "proxy" | "hub"): RouteData {
    return buildRouteData({
      target,
      user,
      userId: s.userId,
      serverName: s.name,
      spawnId: s.spawnId!,
      dashboards: this.spawners.kind(s.spawnerKind).dashboards,
      serverAuth,
    });
  }

  /** Who checks the server's users (SpawnerKind.serverAuth), from the spawner's current state. */
  private serverAuth(s: ServerRow, spawner: Spawner): "proxy" | "hub" {
    return serverAuthOf(this.rt.catalog, s.spawnerKind, this.spawners.encodeState(s.spawnerKind, spawner));
  }

  /**
   * Follows a start an earlier hub process began (Spawner.resume): same process or job, same spawn
   * id, so its progress page goes on. false when the spawner has nothing under way to follow.
   */
  private async resume(s: ServerRow, spawner: Spawner, ctx: SpawnContext): Promise<boolean> {
    const started = spawner.resume?.() ?? null;
    if (!started) return false;
    // spawn() takes the outcome over; until then a fast failure must not count as unhandled
    started.catch(() => undefined);
    const last = await this.rt.db.spawnEvent.findFirst({ where: { serverId: s.id, spawnId: s.spawnId! }, orderBy: { id: "desc" } });
    await this.event(s.id, s.spawnId!, last?.progress ?? 5, "The hub restarted during the spawn; following it again");
    this.rt.log.info({ user: ctx.user.name, server: s.name }, "resumed an interrupted spawn");
    this.detach("spawn", s.id, this.spawn(s, { spawner, ctx, started }));
    return true;
  }

  /** A server taken over (hub start, or a dead replica's): adopt it if alive, mark it stopped if dead, resume its spawn. */
  private async adopt(s: ServerRow): Promise<void> {
    const { db, log } = this.rt;
    try {
      // a start may be continued: its spawner needs what start() had (a launch's spec)
      const { spawner, ctx } = await this.spawnerFor(s, s.state === "starting");
      const exit = await spawner.poll();
      const auth = this.serverAuth(s, spawner);
      const answers = s.state === "starting" && !exit && !!s.url && (await this.probe(s.url, ctx.baseUrl, probeToken(ctx, auth)));
      const action = decideAdoption({ state: s.state as "running" | "starting", exited: !!exit, answers, resumable: typeof spawner.resume === "function" });
      if (action === "gone") {
        await this.markGone(s, `The server stopped while the hub was down: ${exit!.reason}`, spawner);
      } else if (action === "adopt") {
        this.live.set(s.id, { spawner, baseUrl: ctx.baseUrl });
        await this.proxy.addRoute(ctx.baseUrl, this.routeData(s, s.url!, ctx.user.name, auth));
        log.info({ user: ctx.user.name, server: s.name }, "adopted running server");
      } else if (action === "ready") {
        const route = this.routeData(s, s.url!, ctx.user.name, auth);
        const pushed = await this.proxy.addRoute(ctx.baseUrl, route);
        await db.server.update({ where: { id: s.id }, data: { state: "running", startedAt: new Date(), lastActivity: new Date() } });
        // as at the end of spawn(): a proxy that missed the push gets it once the table lists it
        if (!pushed) await this.proxy.addRoute(ctx.baseUrl, route);
        this.live.set(s.id, { spawner, baseUrl: ctx.baseUrl });
        await this.event(s.id, s.spawnId!, 100, `Server ready at ${ctx.baseUrl}`, "ready");
      } else if (!(action === "resume" && (await this.resume(s, spawner, ctx)))) {
        await spawner.stop().catch(() => undefined);
        await db.server.update({ where: { id: s.id }, data: { state: "pending", spawnerState: "{}", url: null, ownerReplica: null } });
        await this.event(s.id, s.spawnId!, 5, "The hub restarted during the spawn; starting again");
      }
    } catch (err) {
      log.error({ err, server: s.id }, "could not adopt server");
      await db.server.update({
        where: { id: s.id },
        data: { state: "failed", message: `The hub could not re-adopt this server after a restart: ${(err as Error).message}` },
      });
    }
  }

  /** What servers that are gone left behind (one replica does it: the "cleanup" lease). */
  private async cleanUp(): Promise<void> {
    const { db, log } = this.rt;
    const alive = await db.server.findMany({
      where: { state: { in: ["running", "starting", "pending", "stopping"] }, spawnId: { not: null } },
      select: { spawnId: true, spawnerKind: true },
    });
    const keepSpawnIds = alive.map((s) => s.spawnId!);
    // Batch callback secrets of spawns that died with a previous hub (release() never ran).
    const swept = await sweepBatchCallbacks(db, keepSpawnIds, new Date(Date.now() - STALE_CALLBACK_MS)).catch((err) => {
      log.error({ err }, "could not sweep stale batch callback rows");
      return 0;
    });
    if (swept) log.info({ swept }, "removed batch callback rows of spawns that are gone");

    // What servers that are gone left behind (pods of servers stopped while the hub was down):
    // each kind in use cleans up its own. Alive servers were adopted above.
    const kinds = [this.rt.config.spawner.kind, ...alive.map((s) => s.spawnerKind)];
    await this.spawners.reconcile(kinds, new Set(keepSpawnIds));
  }
}

/** A server update by id that changed no row (Prisma's `update` throws then, and so do these). */
const GONE = "the server's record is gone";

/** A SpawnEvent row (progress clamped to 0–100). */
function eventRow(serverId: number, spawnId: string, progress: number, message: string, kind = "progress", step: { phase?: string; cached?: boolean } = {}) {
  return {
    serverId,
    spawnId,
    progress: Math.max(0, Math.min(100, Math.round(progress))),
    message,
    kind,
    phase: step.phase ?? null,
    cached: step.cached ?? null,
  };
}

/** Settles with `p`, or rejects on abort or at the deadline (with a user-facing SpawnError). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal, deadline: number, timeoutMessage: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // deadline Infinity = no limit (setTimeout would fire at once for delays above 2^31-1 ms)
    const timer = Number.isFinite(deadline) ? setTimeout(() => reject(new SpawnError(timeoutMessage)), Math.max(0, deadline - Date.now())) : undefined;
    // The worker aborts only with errors (StopRequested).
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    });
  });
}

/**
 * The token the readiness probe sends: the server's own (JUPYTER_TOKEN), or, for a server that
 * logs its users in through the hub (jupyterhub-singleuser), its hub API token, which it checks
 * with the hub like any user's and which may use it (access:servers!server=<user>/<server>).
 */
function probeToken(ctx: SpawnContext, auth: "proxy" | "hub"): string {
  return auth === "hub" ? ctx.apiToken : ctx.token;
}
