// The example kind's I/O half: each "server" is an HTTP server in this process that answers
// Jupyter's readiness check (GET <baseUrl>api/status with the server's token). Servers outlive
// the spawner objects, as processes outlive a hub, so a restarted hub (new background services in
// the same test process) finds them through the stored state.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { HubServices, SpawnerKindRuntime } from "@/spawners/kind";
import { ProgressLog } from "@/spawners/progress-log";
import type { JsonObject, ProgressEvent, SpawnContext, SpawnExit, SpawnStarted, Spawner } from "@/spawners/types";
import type { ExampleSpawnerConfig } from "./config";

/** Servers of this kind in this process, by spawn id. */
const servers = new Map<string, Server>();

/** Spawn ids of the servers running now (tests). */
export function listExampleServers(): string[] {
  return [...servers.keys()].sort();
}

class ExampleSpawner implements Spawner {
  private port: number | null = null;
  private readonly feed = new ProgressLog();

  constructor(
    private readonly ctx: SpawnContext,
    private readonly config: ExampleSpawnerConfig,
  ) {}

  async start(): Promise<SpawnStarted> {
    const { baseUrl, token, spawnId, options } = this.ctx;
    try {
      this.feed.push(30, "Starting the example server");
      const server = createServer((req, res) => {
        const ok = req.url === `${baseUrl}api/status` && req.headers.authorization === `token ${token}`;
        res
          .writeHead(ok ? 200 : 403, { "content-type": "application/json" })
          .end(JSON.stringify(ok ? { greeting: this.config.greeting, size: options.size } : { message: "Forbidden" }));
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      servers.set(spawnId, server);
      this.port = (server.address() as AddressInfo).port;
      return { url: `http://127.0.0.1:${this.port}` };
    } finally {
      this.feed.close();
    }
  }

  async poll(): Promise<SpawnExit | null> {
    return servers.has(this.ctx.spawnId) ? null : { exitCode: null, reason: "The example server is gone." };
  }

  async stop(): Promise<void> {
    await stopServer(this.ctx.spawnId);
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
    return "";
  }
}

async function stopServer(spawnId: string): Promise<void> {
  const server = servers.get(spawnId);
  servers.delete(spawnId);
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

export function startExampleSpawners(config: ExampleSpawnerConfig, services: HubServices): SpawnerKindRuntime {
  return {
    create: (ctx) => new ExampleSpawner(ctx, config),
    // A server whose spawn the hub no longer knows as alive is a leftover: stop it.
    async reconcile({ aliveSpawnIds }) {
      for (const spawnId of servers.keys()) {
        if (aliveSpawnIds.has(spawnId)) continue;
        services.log.info({ spawnId }, "stopping a leftover example server");
        await stopServer(spawnId);
      }
    },
  };
}
