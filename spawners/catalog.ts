// The spawner kinds by the name `spawner.kind` uses. Adding a spawner: one folder with a kind.ts
// (spawners/kind.ts says what it holds) + one line here; the `spawner:` section of the config and
// its `kind` choices are derived from this object (config/spawner-section.ts).
import type { SpawnerCatalog } from "./kind";
import { batchSpawnerKind } from "./batch/kind";
import { kubernetesSpawnerKind } from "./kubernetes/kind";
import { localSpawnerKind } from "./local/kind";

export const SPAWNER_KINDS = {
  local: localSpawnerKind,
  batch: batchSpawnerKind,
  kubernetes: kubernetesSpawnerKind,
} as const satisfies SpawnerCatalog;

export type BuiltInSpawnerCatalog = typeof SPAWNER_KINDS;
