// Spawn forms by spawner kind, for the hub's pages and its start API. Only the pure form modules
// are imported here (not the spawners, whose clients — execa, @kubernetes/client-node — must stay
// out of the Next bundle). A spawner with a form adds one line to FORMS (and spreads the same
// provider into its factory, so plugins registered with registerSpawner() work the same way).
import type { GyreSpawnerConfig } from "./registry";
import { SpawnOptionsError, type JsonObject, type SpawnFormUser, type SpawnOptionsForm, type SpawnOptionsProvider } from "./types";
import { batchSpawnOptions } from "./batch/options-form";
import { kubernetesSpawnOptions } from "./kubernetes/options-form";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each provider has its own config type
const FORMS: Record<string, SpawnOptionsProvider<any>> = {
  batch: batchSpawnOptions,
  kubernetes: kubernetesSpawnOptions,
};

function sectionOf(kind: string, config: GyreSpawnerConfig): unknown {
  return (config as unknown as Record<string, unknown>)[kind];
}

/** The spawn form of `kind` for `user`, or null when that spawner offers no choices. */
export function describeSpawnOptions(kind: string, config: GyreSpawnerConfig, user: SpawnFormUser): SpawnOptionsForm | null {
  return FORMS[kind]?.describeOptions?.(sectionOf(kind, config), user) ?? null;
}

/**
 * Options of a start request as the spawner will see them. Kinds without a validator get `raw`
 * back (it must be a JSON object). Throws SpawnOptionsError naming the field.
 */
export function validateSpawnOptions(kind: string, config: GyreSpawnerConfig, user: SpawnFormUser, raw: unknown): JsonObject {
  const v = FORMS[kind]?.validateOptions;
  if (v) return v(sectionOf(kind, config), user, raw);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new SpawnOptionsError("The body must be a JSON object of server options.");
  return raw as JsonObject;
}
