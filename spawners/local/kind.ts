// The local process spawner's catalog entry (spawners/catalog.ts). Its I/O half, index.ts, is
// loaded when the hub starts the kind: at hub start when it is the configured one, else on first use.
import { existsSync } from "node:fs";
import type { SpawnerKind } from "../kind";
import { localSpawnerConfigSchema, type LocalSpawnerConfig } from "./config";

export const localSpawnerKind: SpawnerKind<LocalSpawnerConfig> = {
  summary: "processes on the hub host",
  configSchema: localSpawnerConfigSchema,
  describeState: (state) => ({
    host: typeof state.host === "string" ? state.host : undefined,
    pid: typeof state.pid === "number" ? state.pid : undefined,
  }),
  // jupyterhub-singleuser servers log their users in themselves (LocalSpawnerState.serverAuth)
  serverAuth: (state) => (state.serverAuth === "hub" ? "hub" : "proxy"),
  checkConfig({ pythonEnvironment: prefix }) {
    if (!prefix || existsSync(`${prefix}/bin/python`)) return null;
    return `spawner.local.pythonEnvironment: ${prefix}/bin/python does not exist; point it at a conda environment or virtualenv prefix (the folder that holds bin/python and bin/jupyter).`;
  },
  async start({ config, services }) {
    const { startLocalSpawners } = await import("./index");
    return startLocalSpawners(config, services);
  },
};
