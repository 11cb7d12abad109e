// The batch spawner's public face: the factory the registry lists, and what the hub must wire
// (a BatchCallbackChannel backed by POST /hub/api/batch/callback).
import type { SpawnerFactory } from "../types";
import type { BatchCallbackChannel } from "./callback";
import type { BatchSpawnerConfig } from "./config";
import { BatchSpawner, type BatchSpawnerDeps } from "./spawner";
import { batchSpawnOptions } from "./options-form";

export { batchSpawnerConfigSchema, buildOptionsSchema, listProfilesFor, type BatchSpawnerConfig } from "./config";
export { HttpCallbackReceiver, parseCallbackBody, checkAuthorization, hashSecret, type BatchCallbackChannel } from "./callback";
export { BatchSpawner } from "./spawner";
export { describeBatchOptions, validateBatchOptions, batchSpawnOptions } from "./options-form";
export { BatchPoller, getSharedPoller } from "./poller";
export { DIALECTS, SCHEDULER_KINDS } from "./dialects/index";

/** A factory bound to explicit dependencies (tests, or a hub that prefers no module state). */
export function makeBatchSpawnerFactory(deps: BatchSpawnerDeps | (() => BatchSpawnerDeps)): SpawnerFactory<BatchSpawnerConfig> {
  return {
    kind: "batch",
    ...batchSpawnOptions,
    create: (ctx, config) => new BatchSpawner(ctx, config, typeof deps === "function" ? deps() : deps),
  };
}

let channel: BatchCallbackChannel | null = null;

/** Called once by the hub at start with its DB-backed callback endpoint. */
export function setBatchCallbackChannel(c: BatchCallbackChannel): void {
  channel = c;
}

/** The factory for spawners/registry.ts: `batch: batchSpawnerFactory`. */
export const batchSpawnerFactory: SpawnerFactory<BatchSpawnerConfig> = makeBatchSpawnerFactory(() => {
  if (!channel) throw new Error("batch spawner: the hub has not set a callback channel (setBatchCallbackChannel)");
  return { channel };
});
