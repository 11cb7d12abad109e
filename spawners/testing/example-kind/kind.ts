// The example kind's catalog entry: what a new spawner kind writes (besides its config, form and
// I/O files) to be one line in a catalog. The hub loads spawner.ts only when it uses the kind.
import { SpawnOptionsError, type JsonObject } from "@/spawners/types";
import type { SpawnerKind } from "@/spawners/kind";
import { exampleSpawnerConfigSchema, type ExampleSpawnerConfig } from "./config";

export const exampleSpawnerKind: SpawnerKind<ExampleSpawnerConfig> = {
  summary: "an in-process HTTP server per user, for tests",
  configSchema: exampleSpawnerConfigSchema,
  options: {
    describeOptions: (config) => ({
      profiles: config.sizes.map((s) => ({ name: s, display: s, description: "" })),
      defaultProfile: config.sizes[0],
      fields: [],
    }),
    validateOptions(config, _user, raw): JsonObject {
      const size = (raw as { size?: unknown } | null)?.size ?? config.sizes[0];
      if (typeof size !== "string" || !config.sizes.includes(size))
        throw new SpawnOptionsError(`Invalid spawn option "size": one of ${config.sizes.join(", ")}`, "size");
      return { size };
    },
  },
  async start({ config, services }) {
    const { startExampleSpawners } = await import("./spawner");
    return startExampleSpawners(config, services);
  },
};
