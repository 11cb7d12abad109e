// The hub bus's link between replicas on PostgreSQL (hub-bus.ts): one dedicated connection per hub
// process that LISTENs on a channel and sends the process's own NOTIFYs, so neither waits for a
// connection of Prisma's pool. A connection that fails (the server restarted, a
// pg_terminate_backend, a network cut) is replaced with a growing delay; once listening again the
// process's spawn worker and bulk runner are woken, as notifications sent meanwhile are lost.
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Logger } from "../log";
import type { BusLink, HubBus } from "./hub-bus";
import { decodeBusMessage, encodeBusMessages } from "./bus-messages";

/** The channel every hub replica listens on. */
export const BUS_CHANNEL = "gyre_bus";
/** application_name of the link's connections (pg_stat_activity shows which connection is the bus) */
export const BUS_APPLICATION_NAME = "gyre-bus";

export interface PgBusLinkOptions {
  url: string;
  bus: HubBus;
  log: Logger;
  /** default BUS_CHANNEL (tests use their own) */
  channel?: string;
  /** first delay before reconnecting; doubled after each failure up to maxRetryMs */
  retryMs?: number;
  maxRetryMs?: number;
}

export class PgBusLink implements BusLink {
  /** this process's id in its messages: PostgreSQL also delivers a session's own NOTIFYs to it */
  readonly origin = randomBytes(8).toString("hex");
  /** how often the connection was replaced after a failure */
  reconnects = 0;
  private readonly channel: string;
  private client: pg.Client | null = null;
  private readonly pending = new Set<string>();
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private closed = false;

  constructor(private readonly opts: PgBusLinkOptions) {
    this.channel = opts.channel ?? BUS_CHANNEL;
    if (!/^[a-z_][a-z0-9_]*$/.test(this.channel)) throw new Error(`bad bus channel name: ${this.channel}`);
    this.retryMs = opts.retryMs ?? 100;
  }

  /** Listening now? (false while a lost connection is being replaced) */
  get listening(): boolean {
    return this.client !== null;
  }

  /**
   * Connects and listens. A first connection that fails is logged and retried in the background:
   * the hub works without the link, only slower across replicas.
   */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (err) {
      this.opts.log.warn({ err }, "the replica bus could not listen on PostgreSQL; retrying");
      this.scheduleReconnect();
    }
  }

  publish(topic: string): void {
    if (this.closed) return;
    this.pending.add(topic);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // one NOTIFY for what this turn of the event loop emitted (a stop emits "wake" and "server:<id>")
    setImmediate(() => this.flush());
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private flush(): void {
    this.flushScheduled = false;
    const topics = [...this.pending];
    this.pending.clear();
    const client = this.client;
    // Not listening: the message is lost; the other replicas' ticks and polls find the change.
    if (!client) return;
    for (const payload of encodeBusMessages(this.origin, topics)) {
      client.query("SELECT pg_notify($1, $2)", [this.channel, payload]).catch((err: unknown) => this.opts.log.debug({ err }, "replica bus: a notify was lost"));
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.opts.url,
      application_name: BUS_APPLICATION_NAME,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // an error before connect() settles rejects connect() too; later ones mean the connection is gone
    let up = false;
    client.on("error", (err) => up && this.lost(client, err));
    client.on("end", () => up && this.lost(client));
    client.on("notification", (msg) => msg.channel === this.channel && msg.payload !== undefined && this.receive(msg.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    up = true;
    this.client = client;
  }

  private receive(payload: string): void {
    const msg = decodeBusMessage(payload);
    if (!msg || msg.origin === this.origin) return;
    for (const topic of msg.topics) this.opts.bus.deliver(topic);
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.opts.log.warn({ err }, "the replica bus lost its PostgreSQL connection; reconnecting");
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect().then(
        () => {
          if (this.closed) return;
          this.reconnects++;
          this.retryMs = this.opts.retryMs ?? 100;
          this.opts.log.info({ reconnects: this.reconnects }, "the replica bus listens again");
          // what other replicas announced meanwhile is lost: look now rather than at the next timer
          this.opts.bus.deliver("wake");
          this.opts.bus.deliver("bulk");
        },
        (err: unknown) => {
          this.retryMs = Math.min(this.retryMs * 2, this.opts.maxRetryMs ?? 5000);
          this.opts.log.debug({ err, retryMs: this.retryMs }, "the replica bus could not reconnect yet");
          this.scheduleReconnect();
        },
      );
    }, this.retryMs);
    this.retryTimer.unref();
  }
}
