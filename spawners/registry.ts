// Spawners by kind. Adding a spawner is one folder plus one line in BUILT_IN below; tests (and
// plugins) add more kinds with registerSpawner().
import type { GyreConfig } from "@/config/schema";
import type { SpawnContext, Spawner, SpawnerFactory } from "./types";
import { localSpawnerFactory } from "./local";
import { batchSpawnerFactory } from "./batch";
import { kubernetesSpawnerFactory } from "./kubernetes";

/** The `spawner:` section of the resolved config; each factory gets `config[kind]`. */
export type GyreSpawnerConfig = GyreConfig["spawner"];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each factory has its own config type
const BUILT_IN: SpawnerFactory<any>[] = [
  localSpawnerFactory,
  batchSpawnerFactory,
  kubernetesSpawnerFactory,
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const factories = new Map<string, SpawnerFactory<any>>(BUILT_IN.map((f) => [f.kind, f]));

/** Adds (or replaces) a spawner kind, e.g. the test doubles in spawners/testing/. */
export function registerSpawner<C>(factory: SpawnerFactory<C>): void {
  factories.set(factory.kind, factory);
}

/** Kinds that createSpawner accepts. */
export function listSpawnerKinds(): string[] {
  return [...factories.keys()];
}

/**
 * A new spawner of `kind` for one (user, server). `config` is the resolved `spawner:` section;
 * the factory receives its own sub-section (`config.local` for "local", undefined for kinds
 * without one, such as test doubles). Throws for an unknown kind.
 */
export function createSpawner(kind: string, ctx: SpawnContext, config: GyreSpawnerConfig): Spawner {
  const factory = factories.get(kind);
  if (!factory) throw new Error(`Unknown spawner kind "${kind}" (known: ${listSpawnerKinds().join(", ")})`);
  return factory.create(ctx, (config as unknown as Record<string, unknown>)[kind]);
}
