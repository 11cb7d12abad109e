// The hub's background services, started once the hub listens: the spawner kinds of its catalog
// (with the services the hub hands them), the spawn worker and the idle culler. app/server.ts
// starts them; tests start them the same way against a catalog of their own.
import { SpawnerHost } from "@/spawners/host";
import type { HubServices } from "@/spawners/kind";
import type { HubRuntime } from "../runtime";
import { DbBatchCallbackChannel, batchCallbackUrl } from "./batch-callback";
import { startCuller } from "./culler";
import { SpawnWorker, type ReadinessProbe } from "./worker";

export interface BackgroundServices {
  readonly spawners: SpawnerHost;
  readonly worker: SpawnWorker;
  /** Stops the worker and the culler and closes the spawner kinds; user servers keep running. */
  close(): Promise<void>;
}

/** Starts the background services of `rt` (its catalog, config, database and bus). */
export async function startBackgroundServices(rt: HubRuntime, opts: { probe?: ReadinessProbe } = {}): Promise<BackgroundServices> {
  const services: HubServices = {
    // Jobs report host:port to POST /hub/api/batch/callback; secrets are stored hashed in the
    // database, so a restarted hub (or another replica) still accepts the call.
    batchCallbacks: new DbBatchCallbackChannel(rt.db, rt.bus, batchCallbackUrl(rt.config.hub)),
    dataDir: rt.config.hub.dataDir,
    log: rt.log,
  };
  const spawners = new SpawnerHost({ catalog: rt.catalog, config: rt.config.spawner, services });
  const worker = new SpawnWorker({ rt, spawners, routes: rt.proxy, probe: opts.probe });
  await worker.start();
  const stopCuller = startCuller(rt);
  return {
    spawners,
    worker,
    async close() {
      worker.close();
      stopCuller();
      await spawners.close();
    },
  };
}
