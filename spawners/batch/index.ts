// The batch spawner's I/O half as the hub starts it (spawners/batch/kind.ts): jobs call back
// through the hub's DB-backed channel (HubServices.batchCallbacks).
import type { HubServices, SpawnerKindRuntime } from "../kind";
import type { BatchSpawnerConfig } from "./config";
import { BatchSpawner } from "./spawner";

export function startBatchSpawners(config: BatchSpawnerConfig, services: HubServices): SpawnerKindRuntime {
  return { create: (ctx) => new BatchSpawner(ctx, config, { channel: services.batchCallbacks }) };
}
