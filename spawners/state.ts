// How the hub stores a spawner's state (Server.spawnerState): the blob from Spawner.getState(),
// tagged with the format version of its kind, {"stateVersion": 2, "state": {...}}, so a newer hub
// reads what an older one wrote (KubeSpawner keeps a version in its state for the same reason).
// State stored before versions were written is a bare object and counts as version 1. Pure.
import type { SpawnerCatalog, SpawnerStateFormat } from "./kind";
import type { JsonObject, JsonValue, ServerDetails } from "./types";

/** The format of kinds that declare none: version 1, nothing to migrate. */
const FIRST_FORMAT: SpawnerStateFormat = { version: 1 };

/** A stored state this hub cannot read (malformed, or written by a newer hub). */
export class SpawnerStateError extends Error {
  name = "SpawnerStateError";
}

/** The text to store for `state`, tagged with the kind's current format version. */
export function encodeSpawnerState(format: SpawnerStateFormat | undefined, state: JsonObject): string {
  return JSON.stringify({ stateVersion: (format ?? FIRST_FORMAT).version, state });
}

/**
 * The state to hand to Spawner.loadState(): migrated to the current format when it was written
 * in an older one. "{}" (nothing stored yet) gives {}. Throws SpawnerStateError for text that is
 * not a JSON object, for a version newer than the kind's (a hub downgraded after an upgrade), and
 * for an older version the kind cannot migrate.
 */
export function decodeSpawnerState(format: SpawnerStateFormat | undefined, stored: string): JsonObject {
  const f = format ?? FIRST_FORMAT;
  const version = f.version;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    throw new SpawnerStateError("The stored spawner state is not valid JSON.");
  }
  if (!isObject(parsed)) throw new SpawnerStateError("The stored spawner state is not a JSON object.");
  const tagged = typeof parsed.stateVersion === "number" && isObject(parsed.state);
  const from = tagged ? (parsed.stateVersion as number) : 1;
  const state = tagged ? (parsed.state as JsonObject) : parsed;
  if (from === version) return state;
  if (from > version)
    throw new SpawnerStateError(`The stored spawner state has format version ${from}, newer than this hub reads (${version}): was the hub downgraded?`);
  if (!f.migrate) throw new SpawnerStateError(`The stored spawner state has format version ${from} and this hub reads only version ${version}.`);
  return f.migrate(state, from);
}

/**
 * The JSON object a spawner's getState() returns for its typed state: fields that are undefined
 * are left out (JSON has no undefined).
 */
export function toStateObject(fields: object): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(fields) as Array<[string, JsonValue | undefined]>) if (v !== undefined) out[k] = v;
  return out;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * What the kind of a server says about it (where it runs, its job), from its stored state; {} when
 * the kind does not say or the state cannot be read (a page listing servers must not fail on one
 * odd row). Fields the kind left undefined are dropped.
 */
export function describeStoredState(catalog: SpawnerCatalog, kind: string, stored: string, serverState: string): ServerDetails {
  const entry = Object.hasOwn(catalog, kind) ? catalog[kind] : undefined;
  if (!entry?.describeState) return {};
  try {
    const d = entry.describeState(decodeSpawnerState(entry.state, stored), serverState);
    return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
  } catch {
    return {};
  }
}

/** Who checks a server's users (SpawnerKind.serverAuth) by its stored state; "proxy" when unknown or unreadable. */
export function serverAuthOf(catalog: SpawnerCatalog, kind: string, stored: string): "proxy" | "hub" {
  const entry = Object.hasOwn(catalog, kind) ? catalog[kind] : undefined;
  if (!entry?.serverAuth) return "proxy";
  try {
    return entry.serverAuth(decodeSpawnerState(entry.state, stored));
  } catch {
    return "proxy";
  }
}

/** Where a server runs: its details without the job's scheduler state (what a usage record keeps). */
export function placementOf(details: ServerDetails): Omit<ServerDetails, "job"> {
  const { job: _job, ...where } = details;
  return where;
}
