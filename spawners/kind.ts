// What one spawner kind gives the hub: one SpawnerKind per kind, listed by one line in
// spawners/catalog.ts. The entry itself is pure (config schema, spawn form, state format), so the
// Next bundle and the proxy's config loader can read it; the kind's I/O half (execa,
// @kubernetes/client-node, child processes) is loaded by start(), which only the hub's background
// services call (spawners/host.ts), once per hub process.
import type { z } from "zod";
import type { BatchCallbackChannel } from "./batch/callback";
import type { BatchPollShare } from "./batch/poll-share";
import type { AgentCommandRunner, JsonObject, ServerDetails, SpawnContext, Spawner, SpawnLogger, SpawnOptionsProvider } from "./types";

/**
 * What the hub hands every spawner kind when it starts it. Deliberately small, and never the
 * database client: a kind that needs more from the hub gets a typed service here.
 */
export interface HubServices {
  /**
   * Where a server started elsewhere (a batch job on a compute node) reports its host and port:
   * the hub's POST /hub/api/batch/callback, backed by the database so that any hub replica and a
   * restarted hub accept the call.
   */
  batchCallbacks: BatchCallbackChannel;
  /**
   * One scheduler query per cluster for every hub replica: the replica holding the cluster's poll
   * lease queries the jobs all replicas watch and shares the answer through the database. Absent
   * (tests, hub-less use): each process queries for its own jobs.
   */
  batchPolls?: BatchPollShare;
  /** The hub's data directory (absolute), for files the hub keeps (server logs). */
  dataDir: string;
  /** The hub's logger, for process-wide work (watches, clean-up at hub start). */
  log: SpawnLogger;
  /** Where the hub listens (hub.bindHost, hub.port): start-up checks of who can reach it. */
  hub: { bindHost: string; port: number };
  /** A start-up finding the admin must act on: logged by the caller, and shown on the admin pages. */
  warnAdmins(message: string): void;
}

/** A spawner kind started for one hub process. */
export interface SpawnerKindRuntime {
  /** A new spawner for one (user, server). The hub calls loadState() on it before anything else. */
  create(ctx: SpawnContext): Spawner;
  /** The agent's commands outside a server start (git-pull links), when this kind can run them. */
  agentCommands?: AgentCommandRunner;
  /**
   * Hub start, after every server the database knows was adopted or marked gone: clean up what
   * servers that are gone left behind (pods of servers stopped while the hub was down).
   * `aliveSpawnIds` are the spawn ids of every server still pending, starting, running or
   * stopping. Errors are logged by the hub, not fatal.
   */
  reconcile?(opts: { aliveSpawnIds: ReadonlySet<string> }): Promise<void>;
  /** Hub shutdown: release process-wide resources (watches, pollers). User servers keep running. */
  close?(): Promise<void> | void;
}

/**
 * The format of the state a kind's spawners store (Spawner.getState). The hub stores it tagged
 * with `version` (spawners/state.ts), so a newer hub can read what an older one wrote.
 */
export interface SpawnerStateFormat {
  /** Current format version; raise it when getState() changes shape. */
  version: number;
  /**
   * State written in an older format → the current one. `fromVersion` is below `version`; state
   * written before versions were stored counts as version 1.
   */
  migrate?(state: JsonObject, fromVersion: number): JsonObject;
}

/** One entry of the catalog: everything the hub knows about a spawner kind. */
export interface SpawnerKind<Config = unknown> {
  /** What the kind runs, for the docs of `spawner.kind`: "processes on the hub host". */
  summary: string;
  /** Schema of the kind's section `spawner.<kind>`; every option has a default, so {} is valid. */
  configSchema: z.ZodType<Config>;
  /** The spawn form (profiles, bounded choices) and the check of a start request. Pure. */
  options?: SpawnOptionsProvider<Config>;
  /**
   * Checks, when this is the configured kind, what the schema cannot: something on this host the
   * kind's servers need (a Python environment prefix). Returns a message naming the option, or
   * null. Called while the config is loaded, so the hub refuses to start; it may look at the local
   * file system, nothing slower.
   */
  checkConfig?(config: Config): string | null;
  /**
   * Where `/user/<name>/proxy/<port>/` (Dask dashboards) is answered. "server" (the default): by
   * the user's own server, whose Gyre extension relays only to sockets of the server's account —
   * needed wherever several accounts share a host (the hub host, HPC nodes), because anyone may
   * listen on an allowed port there. "direct": the proxy connects to the port on the server's host
   * itself — only for servers with a network of their own (a pod).
   */
  dashboards?: "server" | "direct";
  /**
   * What users and admins see of a server beyond its state: where it runs (host, pid, job id and
   * queue, pod) and a batch job's scheduler state, reason, node and time left. From its stored
   * state (the current format) and the server's state. Pure: the hub's pages call it for every
   * server they list, through the catalog.
   */
  describeState?(state: JsonObject, serverState: string): ServerDetails;
  /**
   * Who checks a server's users, from its stored state. "proxy" (the default): the proxy does,
   * and passes requests on with the server's token (JUPYTER_TOKEN). "hub": the server itself
   * logs its users in through the hub's OAuth provider (jupyterhub-singleuser, as under
   * JupyterHub): the proxy still lets only those who may use the server through, but injects no
   * token, and the hub's readiness check identifies itself with the server's API token. Pure.
   */
  serverAuth?(state: JsonObject): "proxy" | "hub";
  /** Stored-state format; absent = version 1 with no migrations. */
  state?: SpawnerStateFormat;
  /**
   * Loads the kind's I/O module (a dynamic import, so that importing the catalog never loads
   * execa or a cluster client) and starts it with the kind's resolved section and the hub's
   * services. Called once per hub process: before the hub listens for the configured kind, on
   * first use for another (a server started under an earlier configuration).
   */
  start(opts: { config: Config; services: HubServices }): Promise<SpawnerKindRuntime>;
}

/** Spawner kinds by the name `spawner.kind` uses. */
export type SpawnerCatalog = Readonly<Record<string, SpawnerKind>>;

/** The config type of a kind. */
export type SpawnerConfigOf<K> = K extends SpawnerKind<infer C> ? C : never;

/** The `spawner:` section for a catalog: the chosen kind and one section per kind. */
export type SpawnerSection<C extends SpawnerCatalog> = { kind: keyof C & string } & { [K in keyof C]: SpawnerConfigOf<C[K]> };
