// The Kubernetes spawner's catalog entry (spawners/catalog.ts): its config, its spawn form
// (profiles) and, loaded when the hub starts the kind, its I/O half with the shared watches.
import type { SpawnerKind } from "../kind";
import { kubernetesSpawnerConfigSchema, type KubernetesSpawnerConfig } from "./config";
import { kubernetesSpawnOptions } from "./options-form";

export const kubernetesSpawnerKind: SpawnerKind<KubernetesSpawnerConfig> = {
  summary: "pods",
  // A pod has a network of its own: every socket in it is the user's, so the proxy may connect itself.
  dashboards: "direct",
  configSchema: kubernetesSpawnerConfigSchema,
  options: kubernetesSpawnOptions,
  describeState: (state) => ({
    pod: typeof state.podName === "string" ? state.podName : undefined,
    namespace: typeof state.namespace === "string" ? state.namespace : undefined,
  }),
  // jupyterhub-singleuser servers log their users in themselves (KubernetesSpawnerState.serverAuth)
  serverAuth: (state) => (state.serverAuth === "hub" ? "hub" : "proxy"),
  async start({ config, services }) {
    const { startKubernetesSpawners } = await import("./index");
    return startKubernetesSpawners(config, services);
  },
};
