// An in-memory spawner kind whose servers a test scripts step by step, for the spawn worker's
// state-machine tests (app/_lib/servers/worker.test.ts). Nothing listens: the worker's readiness
// probe is ScriptedServers.probe, which answers from the same memory. A "server" outlives the
// spawner object that started it (as a process or a job outlives a hub), so a second worker over
// the same database adopts it through getState()/loadState(), like after a hub restart.
import { z } from "zod";
import type { SpawnerKind } from "../kind";
import { ProgressLog } from "../progress-log";
import {
  SpawnError,
  type JsonObject,
  type ProgressEvent,
  type SpawnContext,
  type SpawnExit,
  type SpawnStarted,
  type Spawner,
  type UsageSample,
} from "../types";

/** How the next start() behaves. */
export type StartScript =
  /** resolves at once; the server answers the readiness probe */
  | { kind: "ok" }
  /** resolves; the server never answers the probe (the hub's readiness timeout applies) */
  | { kind: "never-ready" }
  /** resolves; the server has exited by the first poll() */
  | { kind: "exits"; reason: string }
  /** rejects with SpawnError(reason, logTail) */
  | { kind: "fails"; reason: string; logTail?: string }
  /** rejects with a plain Error (a bug, an unreachable API) */
  | { kind: "throws"; message: string }
  /** waits until release(spawnId) or stop(); `then` says what release() does */
  | { kind: "hangs"; then?: "ok" | "fails"; events?: [progress: number, message: string][] };

/** One server as the kind "runs" it. */
export interface ScriptedServer {
  spawnId: string;
  user: string;
  url: string;
  state: "starting" | "running" | "exited" | "stopped";
  ready: boolean;
  exit: SpawnExit | null;
  stopCalls: number;
  /** of those, the calls that said the server had ended on its own (stop({ ended: true })) */
  endedStops: number;
  /** the hub's record of the server (Server.state) when stop() was last called, if the test reads it */
  stateAtStop?: string;
  /** the environment and hub API token the hub gave the start (SpawnContext.env, .apiToken) */
  env: Record<string, string>;
  apiToken: string;
  /** a start under way that a new spawner can follow (Spawner.resume); absent: nothing to follow */
  resumable?: boolean;
}

/** The servers of one scripted kind, and its catalog entry. */
export class ScriptedServers {
  readonly servers = new Map<string, ScriptedServer>();
  /** what the next start() does (each start takes the front; the default is "ok") */
  readonly starts: StartScript[] = [];
  /** spawner.stop() rejects with this while set */
  stopFailure: string | null = null;
  /** read by stop() into ScriptedServer.stateAtStop: what the hub's record says while the kind stops the server */
  recordState: ((spawnId: string) => Promise<string | undefined>) | null = null;
  /** spawner.stop() takes this long (a slow scheduler or pod deletion) */
  stopDelayMs = 0;
  /** startTimeoutSeconds() of new spawners; undefined: the hub's */
  ownTimeout: number | null | undefined = undefined;
  /**
   * Set: new spawners sample as they stop (Spawner.usageAtStop), this many CPU seconds per stop()
   * made; their usage() counts its calls (usageCalls). Null: no usage at all (the default).
   */
  cpuAtStop: number | null = null;
  /** calls of usage() of spawners made while cpuAtStop was set */
  usageCalls = 0;
  /** how many times resume() followed a start, by spawn id */
  readonly resumeCounts = new Map<string, number>();
  /** how many times start() ran, by spawn id */
  readonly startCounts = new Map<string, number>();
  /** spawn ids reconcile() was given, per hub start */
  readonly reconciled: string[][] = [];
  closed = 0;
  private readonly releases = new Map<string, () => void>();

  /** The catalog entry ({ ...SPAWNER_KINDS, scripted: servers.kind() }). */
  kind(): SpawnerKind<Record<string, never>> {
    return {
      summary: "test double: servers scripted in memory",
      configSchema: z.object({}).strict(),
      start: async () => ({
        create: (ctx) => new ScriptedSpawner(ctx, this),
        reconcile: async ({ aliveSpawnIds }) => {
          this.reconciled.push([...aliveSpawnIds].sort());
        },
        close: () => {
          this.closed++;
        },
      }),
    };
  }

  /** The worker's readiness probe: does the server behind `url` answer with its token? */
  readonly probe = async (url: string): Promise<boolean> => {
    const s = [...this.servers.values()].find((x) => x.url === url);
    return !!s && s.state === "running" && s.ready;
  };

  /** Lets a "hangs" start go on. */
  release(spawnId: string): void {
    this.releases.get(spawnId)?.();
  }

  /** Whether a start of `spawnId` is waiting in "hangs". */
  isHanging(spawnId: string): boolean {
    return this.releases.has(spawnId);
  }

  /** The server dies on its own (poll() reports `reason`). */
  crash(spawnId: string, reason = "The server exited with status 1."): void {
    const s = this.servers.get(spawnId);
    if (s) Object.assign(s, { state: "exited", ready: false, exit: { exitCode: 1, reason } });
  }

  /** For ScriptedSpawner: resolves when the test releases the start or the spawner is stopped. */
  async waitForRelease(spawnId: string, stopped: Promise<void>): Promise<"released" | "stopped"> {
    try {
      return await new Promise<"released" | "stopped">((resolve) => {
        this.releases.set(spawnId, () => resolve("released"));
        void stopped.then(() => resolve("stopped"));
      });
    } finally {
      this.releases.delete(spawnId);
    }
  }
}

class ScriptedSpawner implements Spawner {
  private spawnId: string | null = null;
  private readonly feed = new ProgressLog();
  private markStopped: () => void = () => {};
  private readonly stopped = new Promise<void>((r) => (this.markStopped = r));
  /** present only when the test set ScriptedServers.ownTimeout (absent: the hub's timeout) */
  readonly startTimeoutSeconds?: () => number | null;
  /** present only when the test set ScriptedServers.cpuAtStop */
  readonly usage?: () => Promise<UsageSample | null>;
  readonly usageAtStop?: () => UsageSample | null;
  private stopSample: UsageSample | null = null;

  constructor(
    private readonly ctx: SpawnContext,
    private readonly all: ScriptedServers,
  ) {
    const own = all.ownTimeout;
    if (own !== undefined) this.startTimeoutSeconds = () => own;
    const cpu = all.cpuAtStop;
    if (cpu !== null) {
      this.usage = async () => {
        all.usageCalls++;
        return null;
      };
      this.usageAtStop = () => this.stopSample;
      this.sampleAtStop = (running) => {
        this.stopSample = running ? { cpuSeconds: cpu, peakMemoryBytes: 1024, source: "proc", final: false } : null;
      };
    }
  }

  private sampleAtStop: (running: boolean) => void = () => {};

  async start(): Promise<SpawnStarted> {
    const script = this.all.starts.shift() ?? { kind: "ok" };
    const { spawnId } = this.ctx;
    this.spawnId = spawnId;
    this.all.startCounts.set(spawnId, (this.all.startCounts.get(spawnId) ?? 0) + 1);
    const server: ScriptedServer = {
      spawnId,
      user: this.ctx.user.name,
      url: `http://scripted.invalid/${spawnId}`,
      state: "starting",
      ready: false,
      exit: null,
      stopCalls: 0,
      endedStops: 0,
      env: { ...this.ctx.env },
      apiToken: this.ctx.apiToken,
    };
    this.all.servers.set(spawnId, server);
    try {
      this.feed.push(20, "Starting the scripted server");
      // more events in the same turn, as a local start's first two
      if (script.kind === "hangs") for (const [progress, message] of script.events ?? []) this.feed.push(progress, message);
      let outcome: "ok" | "fails" = "ok";
      if (script.kind === "hangs") {
        const how = await this.all.waitForRelease(spawnId, this.stopped);
        if (how === "stopped") throw new SpawnError("The server was stopped before it finished starting.");
        outcome = script.then ?? "ok";
      }
      if (script.kind === "fails" || outcome === "fails")
        throw new SpawnError(script.kind === "fails" ? script.reason : "released to fail", script.kind === "fails" ? script.logTail : undefined);
      if (script.kind === "throws") throw new Error(script.message);
      server.state = "running";
      server.ready = script.kind !== "never-ready";
      if (script.kind === "exits") Object.assign(server, { state: "exited", ready: false, exit: { exitCode: 1, reason: script.reason } });
      this.feed.push(60, "The scripted server is up");
      return { url: server.url };
    } catch (err) {
      if (server.state === "starting") server.state = "exited";
      throw err;
    } finally {
      this.feed.close();
    }
  }

  /** Follows a "starting" server an earlier spawner began: it comes up when the test releases it. */
  resume(): Promise<SpawnStarted> | null {
    const s = this.spawnId ? this.all.servers.get(this.spawnId) : undefined;
    if (!s || s.state !== "starting" || !s.resumable) return null;
    this.all.resumeCounts.set(s.spawnId, (this.all.resumeCounts.get(s.spawnId) ?? 0) + 1);
    return (async () => {
      try {
        this.feed.push(40, "Following the scripted server again");
        const how = await this.all.waitForRelease(s.spawnId, this.stopped);
        if (how === "stopped") throw new SpawnError("The server was stopped before it finished starting.");
        Object.assign(s, { state: "running", ready: true });
        this.feed.push(60, "The scripted server is up");
        return { url: s.url };
      } finally {
        this.feed.close();
      }
    })();
  }

  async poll(): Promise<SpawnExit | null> {
    const s = this.spawnId ? this.all.servers.get(this.spawnId) : undefined;
    if (!s) return { exitCode: null, reason: "The server has not been started." };
    if (s.state === "starting" || s.state === "running") return null;
    return s.exit ?? { exitCode: 0, reason: "The server was stopped." };
  }

  async stop(opts: { ended?: boolean } = {}): Promise<void> {
    this.markStopped();
    const s = this.spawnId ? this.all.servers.get(this.spawnId) : undefined;
    if (s) {
      s.stopCalls++;
      if (opts.ended) s.endedStops++;
      if (this.all.recordState) s.stateAtStop = await this.all.recordState(s.spawnId);
    }
    this.sampleAtStop(s?.state === "running");
    if (this.all.stopDelayMs) await new Promise((r) => setTimeout(r, this.all.stopDelayMs));
    if (this.all.stopFailure) throw new Error(this.all.stopFailure);
    if (s && s.state !== "exited") Object.assign(s, { state: "stopped", ready: false, exit: { exitCode: 0, reason: "The server was stopped." } });
  }

  getState(): JsonObject {
    return this.spawnId ? { spawnId: this.spawnId } : {};
  }

  loadState(state: JsonObject): void {
    this.spawnId = typeof state.spawnId === "string" ? state.spawnId : null;
  }

  progress(): AsyncIterable<ProgressEvent> {
    return this.feed.iterate();
  }

  async logTail(): Promise<string> {
    return this.spawnId ? `log of ${this.spawnId}` : "";
  }
}
