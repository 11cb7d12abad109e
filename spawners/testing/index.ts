// Test doubles that implement the spawner contract, for hub tests: add them to a catalog
// ({ ...SPAWNER_KINDS, slow: slowSpawnerKind() }) and spawn with that kind.
//   SlowSpawner         a tiny real HTTP server that answers like Jupyter after a delay
//   NeverStartsSpawner  start() hangs until stop() (like a job stuck in the queue)
//   FailingSpawner      start() fails with a reason and a log tail
// The scripted in-memory spawner for the spawn worker's state-machine tests is scripted.ts.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import type { SpawnerKind } from "../kind";
import { SpawnError, type JsonObject, type ProgressEvent, type SpawnContext, type SpawnExit, type SpawnStarted, type Spawner } from "../types";
import { ProgressLog } from "../progress-log";

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------

/** Options of SlowSpawner. */
export interface SlowSpawnerOptions {
  /** how long start() takes before it resolves (default 200 ms) */
  startDelayMs?: number;
  /** after start() resolved, how long `<baseUrl>api` and `api/status` answer 503 (default 300 ms) */
  readyDelayMs?: number;
}

/** Running fake servers by port, so a new SlowSpawner instance (a "restarted hub") can find one. */
const fakeServers = new Map<number, { server: Server; exit: SpawnExit | null }>();

/**
 * A spawner whose "server" is a small in-process HTTP server: `GET <baseUrl>api` → 200
 * {"version"}, `GET <baseUrl>api/status` → 200 with `Authorization: token <ctx.token>` else 403,
 * both 503 until readyDelayMs has passed; any other path → 200 "fake server for <user>".
 * State {port} survives in the same process; `crash()` simulates the server dying on its own.
 */
export class SlowSpawner implements Spawner {
  private port: number | null = null;
  private feed = new ProgressLog();
  private stopped = false;

  constructor(
    private readonly ctx: SpawnContext,
    private readonly options: SlowSpawnerOptions = {},
  ) {}

  async start(): Promise<SpawnStarted> {
    try {
      this.feed.push(10, "Starting fake server");
      await sleep(this.options.startDelayMs ?? 200);
      if (this.stopped) throw new SpawnError("The server was stopped before it finished starting.");
      const readyAt = Date.now() + (this.options.readyDelayMs ?? 300);
      const { baseUrl, token, user } = this.ctx;
      const server = createServer((req, res) => {
        const path = (req.url ?? "").split("?")[0];
        const json = (code: number, body: unknown) => res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
        if (path === `${baseUrl}api` || path === `${baseUrl}api/status`) {
          if (Date.now() < readyAt) return json(503, { message: "starting" });
          if (path === `${baseUrl}api`) return json(200, { version: "1.23.3" });
          if (req.headers.authorization !== `token ${token}`) return json(403, { message: "Forbidden" });
          return json(200, { connections: 0, kernels: 0, last_activity: new Date().toISOString(), started: new Date().toISOString() });
        }
        res.writeHead(200, { "content-type": "text/plain" }).end(`fake server for ${user.name} at ${path}`);
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      this.port = (server.address() as AddressInfo).port;
      fakeServers.set(this.port, { server, exit: null });
      this.feed.push(50, `Fake server listening on port ${this.port}`);
      return { url: `http://127.0.0.1:${this.port}` };
    } finally {
      this.feed.close();
    }
  }

  async poll(): Promise<SpawnExit | null> {
    if (this.port === null) return this.stopped ? { exitCode: 0, reason: "The server was stopped." } : null;
    const s = fakeServers.get(this.port);
    if (!s) return { exitCode: null, reason: "The server process is no longer running." };
    return s.exit;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.port === null) return;
    const s = fakeServers.get(this.port);
    fakeServers.delete(this.port);
    if (s) await new Promise<void>((r) => s.server.close(() => r()));
  }

  /** Test hook: the server dies on its own with `exitCode` (poll() then reports it). */
  async crash(exitCode = 1, reason = `The server exited with status ${exitCode}.`): Promise<void> {
    const s = this.port === null ? undefined : fakeServers.get(this.port);
    if (!s) return;
    s.exit = { exitCode, reason };
    await new Promise<void>((r) => s.server.close(() => r()));
  }

  getState(): JsonObject {
    return this.port === null ? {} : { port: this.port };
  }

  loadState(state: JsonObject): void {
    this.port = typeof state.port === "number" ? state.port : null;
  }

  progress(): AsyncIterable<ProgressEvent> {
    return this.feed.iterate();
  }

  async logTail(): Promise<string> {
    return this.port === null ? "" : `fake server on port ${this.port}`;
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * A spawner whose start() never resolves on its own (a job stuck in the queue): it emits
 * "Waiting in the queue" and rejects with SpawnError once stop() is called. For start timeouts.
 */
export class NeverStartsSpawner implements Spawner {
  private feed = new ProgressLog();
  private stopped = false;
  private release: (() => void) | null = null;

  constructor(private readonly ctx: SpawnContext) {}

  async start(): Promise<SpawnStarted> {
    try {
      this.feed.push(10, "Waiting in the queue");
      if (!this.stopped) await new Promise<void>((r) => (this.release = r));
      throw new SpawnError("The server was stopped before it finished starting.", "queued; never started");
    } finally {
      this.feed.close();
    }
  }

  async poll(): Promise<SpawnExit | null> {
    return this.stopped ? { exitCode: null, reason: "The server was stopped before it started." } : null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.release?.();
  }

  getState(): JsonObject {
    return { never: this.ctx.spawnId };
  }

  loadState(): void {}

  progress(): AsyncIterable<ProgressEvent> {
    return this.feed.iterate();
  }

  async logTail(): Promise<string> {
    return "queued; never started";
  }
}

// ---------------------------------------------------------------------------------------------

/** Options of FailingSpawner. */
export interface FailingSpawnerOptions {
  /** default "The server exited with status 1 while starting." */
  reason?: string;
  /** default three lines ending in "ModuleNotFoundError: No module named 'nbclassic'" */
  logTail?: string;
  /** how long start() takes before failing (default 100 ms) */
  delayMs?: number;
}

/** A spawner whose start() fails with a SpawnError carrying `reason` and `logTail`. */
export class FailingSpawner implements Spawner {
  private feed = new ProgressLog();
  private failed = false;
  readonly reason: string;
  readonly tail: string;

  constructor(
    private readonly ctx: SpawnContext,
    private readonly options: FailingSpawnerOptions = {},
  ) {
    this.reason = options.reason ?? "The server exited with status 1 while starting.";
    this.tail =
      options.logTail ?? "Traceback (most recent call last):\n  File \"/usr/bin/jupyter-server\", line 33\nModuleNotFoundError: No module named 'nbclassic'";
  }

  async start(): Promise<SpawnStarted> {
    try {
      this.feed.push(10, "Starting server process");
      await sleep(this.options.delayMs ?? 100);
      this.failed = true;
      throw new SpawnError(this.reason, this.tail);
    } finally {
      this.feed.close();
    }
  }

  async poll(): Promise<SpawnExit | null> {
    return this.failed ? { exitCode: 1, reason: this.reason } : null;
  }

  async stop(): Promise<void> {}

  getState(): JsonObject {
    return { spawnId: this.ctx.spawnId };
  }

  loadState(): void {}

  progress(): AsyncIterable<ProgressEvent> {
    return this.feed.iterate();
  }

  async logTail(): Promise<string> {
    return this.failed ? this.tail : "";
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * A catalog entry for a test double: no options of its own (an empty `spawner.<kind>` section),
 * nothing to load, `create` as given.
 */
export function testSpawnerKind(summary: string, create: (ctx: SpawnContext) => Spawner): SpawnerKind<Record<string, never>> {
  return {
    summary,
    configSchema: z.object({}).strict(),
    start: async () => ({ create }),
  };
}

/** Catalog entry for SlowSpawner (the tests use the key "slow"). */
export function slowSpawnerKind(options: SlowSpawnerOptions = {}): SpawnerKind<Record<string, never>> {
  return testSpawnerKind("test double: a fake server after a delay", (ctx) => new SlowSpawner(ctx, options));
}

/** Catalog entry for NeverStartsSpawner (key "never-starts"). */
export function neverStartsSpawnerKind(): SpawnerKind<Record<string, never>> {
  return testSpawnerKind("test double: never starts", (ctx) => new NeverStartsSpawner(ctx));
}

/** Catalog entry for FailingSpawner (key "failing"). */
export function failingSpawnerKind(options: FailingSpawnerOptions = {}): SpawnerKind<Record<string, never>> {
  return testSpawnerKind("test double: fails to start", (ctx) => new FailingSpawner(ctx, options));
}

/** A SpawnContext with test defaults; override what matters. Logs nowhere. */
export function makeTestSpawnContext(over: Partial<SpawnContext> & { userName?: string } = {}): SpawnContext {
  const name = over.userName ?? "alice";
  const serverName = over.serverName ?? "";
  const { userName: _ignored, ...rest } = over;
  const noop = () => {};
  return {
    user: { name, osUser: name, admin: false, groups: [] },
    serverName,
    baseUrl: serverName ? `/user/${name}/${serverName}/` : `/user/${name}/`,
    spawnId: `test-${Math.random().toString(36).slice(2, 10)}`,
    token: `tok-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`,
    apiToken: `api-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`,
    hubUrl: "http://127.0.0.1:8081",
    options: {},
    env: {},
    log: { info: noop, warn: noop, error: noop, debug: noop },
    ...rest,
  };
}
