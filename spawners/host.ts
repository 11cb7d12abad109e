// The hub's side of the spawner catalog: starts each kind once, on first use, with its section of
// the config and the hub's services, and runs the kinds' process-wide hooks. The spawn worker
// asks it for spawners by the kind stored on each server, so it knows no kind by name.
import type { HubServices, SpawnerCatalog, SpawnerKind, SpawnerKindRuntime } from "./kind";
import { decodeSpawnerState, encodeSpawnerState } from "./state";
import type { AgentCommandRunner, SpawnContext, Spawner } from "./types";

export interface SpawnerHostOptions {
  catalog: SpawnerCatalog;
  /** the resolved `spawner:` section: `spawner[kind]` is handed to that kind */
  config: Readonly<Record<string, unknown>>;
  services: HubServices;
}

/** Started spawner kinds of one hub process. */
export class SpawnerHost {
  private readonly started = new Map<string, Promise<SpawnerKindRuntime>>();

  constructor(private readonly opts: SpawnerHostOptions) {}

  /** The catalog entry of `kind`; throws for a kind this hub does not have. */
  kind(kind: string): SpawnerKind {
    const entry = Object.hasOwn(this.opts.catalog, kind) ? this.opts.catalog[kind] : undefined;
    if (!entry) throw new Error(`Unknown spawner kind "${kind}" (known: ${Object.keys(this.opts.catalog).join(", ")})`);
    return entry;
  }

  /** A spawner of `kind` for one (user, server), with `stored` state (Server.spawnerState) loaded. */
  async create(kind: string, ctx: SpawnContext, stored = "{}"): Promise<Spawner> {
    const entry = this.kind(kind);
    const state = decodeSpawnerState(entry.state, stored);
    const spawner = (await this.runtime(kind)).create(ctx);
    spawner.loadState(state);
    return spawner;
  }

  /**
   * Starts `kind` now rather than at its first use (the hub does this for its configured kind
   * before it listens, so adoption and the first spawn do not wait for the kind's I/O module).
   */
  async prepare(kind: string): Promise<void> {
    await this.runtime(kind);
  }

  /** The agent command runner of `kind` (git-pull links), or null when the kind has none. */
  async agentCommands(kind: string): Promise<AgentCommandRunner | null> {
    return (await this.runtime(kind)).agentCommands ?? null;
  }

  /** What to store for `spawner`'s state (tagged with its kind's format version). */
  encodeState(kind: string, spawner: Spawner): string {
    return encodeSpawnerState(this.kind(kind).state, spawner.getState());
  }

  /**
   * Hub start: each of `kinds` that has a reconcile hook cleans up after servers that are gone.
   * A failing kind is logged; the others still run.
   */
  async reconcile(kinds: Iterable<string>, aliveSpawnIds: ReadonlySet<string>): Promise<void> {
    for (const kind of new Set(kinds)) {
      if (!Object.hasOwn(this.opts.catalog, kind)) continue;
      try {
        const runtime = await this.runtime(kind);
        await runtime.reconcile?.({ aliveSpawnIds });
      } catch (err) {
        this.opts.services.log.error({ err, kind }, "spawner kind could not clean up at hub start");
      }
    }
  }

  /** Hub shutdown: closes every kind that was started. */
  async close(): Promise<void> {
    const started = [...this.started.values()];
    this.started.clear();
    for (const p of started) {
      const runtime = await p.catch(() => null);
      await runtime?.close?.();
    }
  }

  private runtime(kind: string): Promise<SpawnerKindRuntime> {
    let p = this.started.get(kind);
    if (!p) {
      const entry = this.kind(kind);
      // A kind without a section (a catalog built by a test) gets its defaults.
      const config = this.opts.config[kind] ?? entry.configSchema.parse({});
      p = entry.start({ config, services: this.opts.services });
      // A kind that failed to start (a bad kubeconfig) is tried again on its next use.
      p.catch(() => this.started.delete(kind));
      this.started.set(kind, p);
    }
    return p;
  }
}
