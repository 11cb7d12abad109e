// The runtime bus (HubRuntime.bus): an EventEmitter whose shared topics (bus-messages.ts: start and
// stop requests, a server's progress, batch callbacks, bulk jobs) also reach the other hub
// replicas on the same PostgreSQL, through LISTEN/NOTIFY (pg-bus-link.ts). Emitters and listeners
// stay plain EventEmitter code: a stop request received by a replica that does not own the server
// wakes the owner's spawn worker at once instead of at its next tick. On SQLite (one hub) it is a
// plain local bus. A message that is lost (the link was down) costs what it cost without the bus:
// the worker's tick, the progress stream's poll.
import { EventEmitter } from "node:events";
import type { Logger } from "../log";
import { isSharedTopic } from "./bus-messages";

/** Where shared topics go to and come from (one per hub process). */
export interface BusLink {
  /** announces `topic` to the other replicas (best effort, never throws) */
  publish(topic: string): void;
  close(): Promise<void>;
}

export class HubBus extends EventEmitter {
  private link: BusLink | null = null;

  /** From now on shared topics emitted here are also published through `link`. */
  connect(link: BusLink): void {
    this.link = link;
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const heard = super.emit(event, ...args);
    if (this.link && args.length === 0 && typeof event === "string" && isSharedTopic(event)) this.link.publish(event);
    return heard;
  }

  /** A topic another replica published: told to this process's listeners only, never sent on. */
  deliver(topic: string): void {
    super.emit(topic);
  }

  /** Closes the link (the hub's shutdown); the bus stays usable in this process. */
  async close(): Promise<void> {
    const link = this.link;
    this.link = null;
    await link?.close();
  }
}

/**
 * The hub's bus for its database: on PostgreSQL linked to the other replicas (resolves once it
 * listens, so nothing published after the hub starts is missed); on SQLite local.
 */
export async function openHubBus(opts: { provider: "sqlite" | "postgres"; databaseUrl: string; log: Logger }): Promise<HubBus> {
  const bus = new HubBus();
  if (opts.provider === "postgres") {
    const { PgBusLink } = await import("./pg-bus-link");
    const link = new PgBusLink({ url: opts.databaseUrl, bus, log: opts.log });
    await link.start();
    bus.connect(link);
  }
  return bus;
}
