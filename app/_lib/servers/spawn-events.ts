// Following one spawn's stored events as they are written: the spawn page's progress stream and
// BinderHub's event-stream API both read them this way. Events live in the database, so a stream
// opened on any hub replica (or after a reload) replays the spawn from its start.
import type { EventEmitter } from "node:events";
import type { Db } from "../db/types";

export interface StoredEvent {
  id: number;
  progress: number;
  message: string;
  /** "progress" | "ready" | "failed" | "stopped" */
  kind: string;
  phase: string | null;
  cached: boolean | null;
}

export interface FollowOptions {
  db: Db;
  /** the hub's bus: "server:<id>" is emitted when this process writes an event */
  bus: EventEmitter;
  serverId: number;
  spawnId: string;
  /** ends the iteration (the client went away) */
  signal: AbortSignal;
  /** how often to look when no notification came (events written by another replica) */
  pollMs?: number;
}

/** The spawn's events from the first, in order; ends after the final one (ready, failed, stopped) or on abort. */
export async function* followSpawnEvents(opts: FollowOptions): AsyncGenerator<StoredEvent> {
  const { db, bus, serverId, spawnId, signal } = opts;
  const topic = `server:${serverId}`;
  let wake: () => void = () => {};
  const onBus = () => wake();
  const onAbort = () => wake();
  bus.on(topic, onBus);
  signal.addEventListener("abort", onAbort);
  let lastId = 0;
  try {
    while (!signal.aborted) {
      const events = await db.spawnEvent.findMany({
        where: { serverId, spawnId, id: { gt: lastId } },
        orderBy: { id: "asc" },
        select: { id: true, progress: true, message: true, kind: true, phase: true, cached: true },
      });
      for (const ev of events) {
        lastId = ev.id;
        yield ev;
        if (ev.kind !== "progress") return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.pollMs ?? 1000);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
        if (signal.aborted) wake();
      });
    }
  } finally {
    bus.off(topic, onBus);
    signal.removeEventListener("abort", onAbort);
  }
}
