// Spawn forms for the hub's pages and its start API, from the catalog entry of the configured
// kind (SpawnerKind.options). Pure, and it takes the catalog as an argument: the Next bundle gets
// it from the hub's runtime and never imports spawners/catalog.ts, whose entries can load a
// kind's I/O half.
import type { SpawnerCatalog } from "./kind";
import { SpawnOptionsError, type JsonObject, type SpawnFormUser, type SpawnOptionsForm, type SpawnProfileAccess } from "./types";

/** Which kind, the catalog it comes from, and the resolved `spawner:` section. */
export interface SpawnOptionsSource {
  catalog: SpawnerCatalog;
  kind: string;
  /** the `spawner:` section; the kind's provider gets `config[kind]` */
  config: Readonly<Record<string, unknown>>;
}

/** The spawn form of the configured kind for `user`, or null when it offers no choices. */
export function describeSpawnOptions(source: SpawnOptionsSource, user: SpawnFormUser): SpawnOptionsForm | null {
  return source.catalog[source.kind]?.options?.describeOptions?.(source.config[source.kind], user) ?? null;
}

/** Every profile of the configured kind with the groups it is limited to ([] for kinds without profiles). */
export function listSpawnProfiles(source: SpawnOptionsSource): SpawnProfileAccess[] {
  return source.catalog[source.kind]?.options?.listProfiles?.(source.config[source.kind]) ?? [];
}

/** The profiles members of `group` may use because of it (profiles limited to groups that include it). */
export function profilesUnlockedBy(source: SpawnOptionsSource, group: string): SpawnProfileAccess[] {
  return listSpawnProfiles(source).filter((p) => p.groups.includes(group));
}

/** Stored spawn options are at most this long as JSON: they are stored, and listed by GET /hub/api/users. */
export const MAX_SPAWN_OPTIONS_BYTES = 16 * 1024;
/** …and nest at most this deep (an object holding an object holding a list is 3). */
export const MAX_SPAWN_OPTIONS_DEPTH = 8;

/**
 * Options of a start request as the spawner will see them. Kinds without a validator get `raw`
 * back (it must be a JSON object). Throws SpawnOptionsError naming the field or the limit
 * (MAX_SPAWN_OPTIONS_BYTES, MAX_SPAWN_OPTIONS_DEPTH), whatever the kind accepts.
 */
export function validateSpawnOptions(source: SpawnOptionsSource, user: SpawnFormUser, raw: unknown): JsonObject {
  if (nestsDeeperThan(raw, MAX_SPAWN_OPTIONS_DEPTH)) throw new SpawnOptionsError(`Server options may nest at most ${MAX_SPAWN_OPTIONS_DEPTH} levels deep.`);
  const size = Buffer.byteLength(JSON.stringify(raw) ?? "");
  if (size > MAX_SPAWN_OPTIONS_BYTES)
    throw new SpawnOptionsError(`Server options may be at most ${MAX_SPAWN_OPTIONS_BYTES} bytes of JSON (these are ${size}).`);
  const options = source.catalog[source.kind]?.options;
  if (options?.validateOptions) return options.validateOptions(source.config[source.kind], user, raw);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new SpawnOptionsError("The body must be a JSON object of server options.");
  return raw as JsonObject;
}

/** Every profile name of the configured kind (none for a kind without profiles). */
export function listSpawnProfileNames(source: SpawnOptionsSource): string[] {
  return source.catalog[source.kind]?.options?.profileNames?.(source.config[source.kind]) ?? [];
}

/** Whether a parsed JSON value nests arrays/objects deeper than `max` (iterative: no recursion limit to hit). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
