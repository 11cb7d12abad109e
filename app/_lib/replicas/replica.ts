// This hub process as one replica among several on one database: its id, its heartbeat row
// (HubReplica) and the singleton leases it holds (lease.ts). Every hub.replicaHeartbeatSeconds it
// refreshes its heartbeat and takes or renews the leases it wants; servers it owns
// (Server.ownerReplica) are taken over by another replica once its heartbeat is older than
// hub.replicaLeaseSeconds (ownership.ts), or at once when it shuts down cleanly (close()).
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Db } from "../db/types";
import type { Logger } from "../log";
import { releaseLease, takeLeases } from "./lease";
import { writesOf } from "../db/sql-writes";
import { readRows } from "../db/sql-reads";
import { buildAliveReplicasQuery, buildHeartbeat } from "./replica-sql";

/** The hub's singleton jobs, each run by the one replica that holds its lease. */
export type SingletonName = "culler" | "cleanup" | "usage-rollup" | "usage-settle" | "services";
export const SINGLETONS: readonly SingletonName[] = ["culler", "cleanup", "usage-rollup", "usage-settle", "services"];
/** A lease asked for while the hub runs (want()): a cluster's scheduler poll (batch-poll-share.ts). */
export type WantedLeaseName = `batch-poll:${string}`;
export type LeaseName = SingletonName | WantedLeaseName;

export interface ReplicaOptions {
  db: Db;
  log: Logger;
  /** a replica whose heartbeat is older than this is dead; also each lease's time */
  leaseSeconds: number;
  /** how often the heartbeat and the leases are renewed (well under leaseSeconds) */
  heartbeatSeconds: number;
  /** default: hostname, pid and a random part */
  id?: string;
}

export class HubReplica {
  readonly id: string;
  readonly leaseMs: number;
  /** lease name → when it expires by this process's clock (measured from before the write) */
  private readonly held = new Map<LeaseName, number>();
  /** leases asked for besides the SINGLETONS, taken and renewed by the same beats */
  private readonly wanted = new Set<WantedLeaseName>();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly opts: ReplicaOptions) {
    // a beat or two may be slow or lost without the others taking this replica's work over
    if (opts.heartbeatSeconds * 2 > opts.leaseSeconds)
      throw new Error(
        `hub.replicaHeartbeatSeconds (${opts.heartbeatSeconds}) must be at most half of hub.replicaLeaseSeconds (${opts.leaseSeconds}): a replica would lose its work to the others after one late heartbeat.`,
      );
    this.id = opts.id ?? `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
    this.leaseMs = opts.leaseSeconds * 1000;
  }

  /** Writes the first heartbeat and takes the free leases, then renews them on a timer. */
  async start(): Promise<void> {
    await this.forgetDeadOnThisHost();
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.opts.heartbeatSeconds * 1000);
    this.timer.unref();
  }

  /**
   * Replicas that ran on this host under a pid that no longer runs (a hub killed and started
   * again) are dead now, not once their heartbeat is older than the lease time: their rows and
   * leases go, so a restarted single hub takes its servers and singletons back at once. A pid
   * that runs again (reused) keeps its replica alive until the lease time, as on other hosts.
   */
  private async forgetDeadOnThisHost(): Promise<void> {
    const { db } = this.opts;
    const prefix = `${hostname()}-`;
    const rows = await db.hubReplica.findMany({ where: { id: { startsWith: prefix } }, select: { id: true } });
    for (const { id } of rows) {
      const pid = Number(id.slice(prefix.length).split("-")[0]);
      if (id === this.id || !Number.isInteger(pid) || pid <= 0 || pidRuns(pid)) continue;
      await db.lease.updateMany({ where: { holder: id }, data: { expiresAt: new Date(0) } });
      await db.hubReplica.deleteMany({ where: { id } });
      this.opts.log.info({ replica: id }, "a hub replica of this host is gone (its process no longer runs): its work is taken over now");
    }
  }

  /**
   * Asks for the lease `name` from now on: tried at once (unless a beat runs) and with every beat,
   * given up by close(). holds(name) says when it is this replica's.
   */
  want(name: WantedLeaseName): void {
    if (this.wanted.has(name)) return;
    this.wanted.add(name);
    if (this.timer) void this.beat();
  }

  /** Does this replica hold the lease `name` now? (false once it expired unrenewed: a paused process) */
  holds(name: LeaseName): boolean {
    return (this.held.get(name) ?? 0) > Date.now();
  }

  /** The ids of replicas whose heartbeat is fresh (this one included while it beats). */
  async aliveIds(now = new Date()): Promise<Set<string>> {
    const { db } = this.opts;
    const rows = await readRows<{ id: string }>(db, buildAliveReplicasQuery(writesOf(db).dialect, { since: new Date(now.getTime() - this.leaseMs) }));
    return new Set(rows.map((r) => r.id));
  }

  /** Is the replica `id`'s heartbeat fresh now? */
  async isAlive(id: string): Promise<boolean> {
    const { db } = this.opts;
    return (await readRows(db, buildAliveReplicasQuery(writesOf(db).dialect, { since: new Date(Date.now() - this.leaseMs), id }))).length === 1;
  }

  /** One heartbeat: the row, then every singleton lease (taken when free, renewed when held). */
  beat(): Promise<void> {
    if (this.closed) return Promise.resolve();
    // one beat at a time: a slow database must not stack writes
    this.beating ??= this.beatOnce()
      .catch((err) => this.opts.log.error({ err }, "hub replica heartbeat failed"))
      .finally(() => (this.beating = null));
    return this.beating;
  }

  // On the driver (replica-sql.ts): a beat that holds its leases is two statements.
  private async beatOnce(): Promise<void> {
    const { db } = this.opts;
    const writes = writesOf(db);
    await writes.run(buildHeartbeat(writes.dialect, { id: this.id, now: new Date() }));
    if (this.closed) return;
    const names = [...SINGLETONS, ...this.wanted];
    const at = new Date();
    const taken = await takeLeases(db, { names, holder: this.id, ttlMs: this.leaseMs, now: at });
    // recorded also when close() came meanwhile: it waits for this beat, then gives up what is held
    for (const name of names) {
      if (taken.has(name)) {
        if (!this.held.has(name)) this.opts.log.info({ lease: name, replica: this.id }, "took a singleton lease");
        this.held.set(name, at.getTime() + this.leaseMs);
      } else this.held.delete(name);
    }
  }

  /**
   * A clean shutdown: stops beating, gives up the leases and removes the heartbeat row, so the
   * other replicas take this one's servers and singletons over at their next beat.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.beating;
    const { db } = this.opts;
    for (const name of this.held.keys()) await releaseLease(db, name, this.id).catch(() => undefined);
    this.held.clear();
    await db.hubReplica.deleteMany({ where: { id: this.id } }).catch(() => undefined);
  }

  /** Stops beating without a word, as a process killed with SIGKILL (tests). */
  abandon(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.held.clear();
  }
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
