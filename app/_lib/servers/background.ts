// The hub's background services: this process's replica identity and leases, the spawner kinds of
// its catalog (with the services the hub hands them, the batch poll shared through the replica),
// the spawn worker, the idle culler, the usage rollup and the bulk-action runner. app/server.ts prepares them before the hub
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
import { HubReplica } from "../replicas/replica";
import { DbBatchPollShare } from "../replicas/batch-poll-share";
import { ServiceSupervisor } from "../services/supervisor";
import { defaultHubUrl } from "@/config/derived";

export interface BackgroundServices {
  readonly spawners: SpawnerHost;
  readonly worker: SpawnWorker;
  /** this process among the hub replicas on the database */
  readonly replica: HubReplica;
  /** Adopts the servers the database knows, then runs the spawn worker and the culler. */
  start(): Promise<void>;
  /**
   * Stops the worker and the culler and closes the spawner kinds; user servers keep running, and
   * another replica (or this hub's next start) takes them over at once.
   */
  close(): Promise<void>;
}

/**
 * The background services of `rt` (its catalog, config, database and bus), with the configured
 * spawner kind already started (its I/O module loaded), not yet running.
 */
export async function prepareBackgroundServices(rt: HubRuntime, opts: { probe?: ReadinessProbe; replicaId?: string } = {}): Promise<BackgroundServices> {
  // first: the spawner kinds share work with the other replicas through it (batch polls)
  const replica = new HubReplica({
    db: rt.db,
    log: rt.log,
    leaseSeconds: rt.config.hub.replicaLeaseSeconds,
    heartbeatSeconds: rt.config.hub.replicaHeartbeatSeconds,
    id: opts.replicaId,
  });
  const services: HubServices = {
    // Jobs report host:port to POST /hub/api/batch/callback; secrets are stored hashed in the
    // database, so a restarted hub (or another replica) still accepts the call.
    batchCallbacks: new DbBatchCallbackChannel(rt.db, rt.bus, batchCallbackUrl(rt.config.hub)),
    // one scheduler query per cluster for all replicas, by the holder of the cluster's poll lease
    batchPolls: new DbBatchPollShare(rt.db, replica, rt.config.hub.replicaHeartbeatSeconds),
    dataDir: rt.config.hub.dataDir,
    log: rt.log,
    hub: { bindHost: rt.config.hub.bindHost, port: rt.config.hub.port },
    warnAdmins: (message) => addAdminWarning(message, new Date()),
  };
  const spawners = new SpawnerHost({ catalog: rt.catalog, config: rt.config.spawner, services });
  await spawners.prepare(rt.config.spawner.kind);
  const worker = new SpawnWorker({ rt, spawners, routes: rt.proxy, probe: opts.probe, launches: rt.launch, replica });
  // managed services (config `services:` with a command): one replica runs them
  const supervisor = new ServiceSupervisor({
    services: rt.config.services,
    roles: rt.config.roles,
    hubApiUrl: `${defaultHubUrl(rt.config.hub)}/hub/api`,
    publicUrl: rt.config.hub.publicUrl,
    log: rt.log,
    mayRun: () => replica.holds("services"),
  });
  let stops: (() => Promise<void>)[] = [];
  return {
    spawners,
    worker,
    replica,
    async start() {
      // the heartbeat first: servers this replica claims from now on are seen as owned by a live one
      await replica.start();
      await worker.start();
      stops = [startCuller(rt, replica), startUsageRollup(rt, replica), startBulkJobRunner(rt)];
      supervisor.start();
    },
    async close() {
      worker.close();
      // a tick under way writes to the database: let it end before the leases and the pool go
      await worker.idle();
      // the culler, rollup and bulk runner write too: each stop waits for its run under way
      await Promise.all(stops.map((stop) => stop()));
      await supervisor.close();
      await spawners.close();
      await replica.close();
    },
  };
}

/** Prepares and starts the background services (tests; app/server.ts listens in between). */
export async function startBackgroundServices(rt: HubRuntime, opts: { probe?: ReadinessProbe; replicaId?: string } = {}): Promise<BackgroundServices> {
  const background = await prepareBackgroundServices(rt, opts);
  await background.start();
  return background;
}
