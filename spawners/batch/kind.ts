// The batch spawner's catalog entry (spawners/catalog.ts): its config, its spawn form (profiles
// and bounded job options) and, loaded when the hub starts the kind, its I/O half.
import type { SpawnerKind } from "../kind";
import { batchSpawnerConfigSchema, type BatchSpawnerConfig } from "./config";
import { batchSpawnOptions } from "./options-form";

export const batchSpawnerKind: SpawnerKind<BatchSpawnerConfig> = {
  summary: "HPC jobs via qsub/sbatch/bsub",
  configSchema: batchSpawnerConfigSchema,
  options: batchSpawnOptions,
  async start({ config, services }) {
    const { startBatchSpawners } = await import("./index");
    return startBatchSpawners(config, services);
  },
};
