// The hub's background services: the spawner kinds of its catalog (with the services the hub
// hands them), the spawn worker, the idle culler, the usage rollup and the bulk-action runner. app/server.ts prepares them before the hub
// listens (the configured kind is started then) and starts them once it listens; tests do the
// same against a catalog of their own.
import { SpawnerHost } from "@/spawners/host";
import type { HubServices } from "@/spawners/kind";
import type { HubRuntime } from "../runtime";
import { addAdminWarning } from "../admin-warnings";
import { DbBatchCallbackChannel, batchCallbackUrl } from "./batch-callback";
import { startCuller } from "./culler";
import { startUsageRollup } from "../usage/rollup";
import { startBulkJobRunner } from "../bulk/runner";
import { SpawnWorker, type ReadinessProbe } from "./worker";

export interface BackgroundServices {
  readonly spawners: SpawnerHost;
  readonly worker: SpawnWorker;
  /** Adopts the servers the database knows, then runs the spawn worker and the culler. */
  start(): Promise<void>;
  /** Stops the worker and the culler and closes the spawner kinds; user servers keep running. */
  close(): Promise<void>;
}

/**
 * The background services of `rt` (its catalog, config, database and bus), with the configured
 * spawner kind already started (its I/O module loaded), not yet running.
 */
export async function prepareBackgroundServices(rt: HubRuntime, opts: { probe?: ReadinessProbe } = {}): Promise<BackgroundServices> {
  const services: HubServices = {
    // Jobs report host:port to POST /hub/api/batch/callback; secrets are stored hashed in the
    // database, so a restarted hub (or another replica) still accepts the call.
    batchCallbacks: new DbBatchCallbackChannel(rt.db, rt.bus, batchCallbackUrl(rt.config.hub)),
    dataDir: rt.config.hub.dataDir,
    log: rt.log,
    hub: { bindHost: rt.config.hub.bindHost, port: rt.config.hub.port },
    warnAdmins: (message) => addAdminWarning(message, new Date()),
  };
  const spawners = new SpawnerHost({ catalog: rt.catalog, config: rt.config.spawner, services });
  await spawners.prepare(rt.config.spawner.kind);
  const worker = new SpawnWorker({ rt, spawners, routes: rt.proxy, probe: opts.probe, launches: rt.launch });
  let stops: (() => void)[] = [];
  return {
    spawners,
    worker,
    async start() {
      await worker.start();
      stops = [startCuller(rt), startUsageRollup(rt), startBulkJobRunner(rt)];
    },
    async close() {
      worker.close();
      for (const stop of stops) stop();
      await spawners.close();
    },
  };
}

/** Prepares and starts the background services (tests; app/server.ts listens in between). */
export async function startBackgroundServices(rt: HubRuntime, opts: { probe?: ReadinessProbe } = {}): Promise<BackgroundServices> {
  const background = await prepareBackgroundServices(rt, opts);
  await background.start();
  return background;
}
