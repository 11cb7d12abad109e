// What users and admins see of a server beyond its state (where it runs; a batch job's id, queue
// reason, node, time left): the server's spawner kind describes its stored state
// (SpawnerKind.describeState).
// Pure: the catalog comes from the hub's runtime.
import type { SpawnerCatalog } from "@/spawners/kind";
import { describeStoredState, placementOf } from "@/spawners/state";
import type { ServerDetails } from "@/spawners/types";

/** The columns of a Server row it reads. */
export interface DescribableServer {
  state: string;
  spawnerKind: string;
  spawnerState: string;
}

export type DescribeServer = (row: DescribableServer) => ServerDetails | null;

/**
 * A describer over `catalog`: where the server runs and its job (SpawnerKind.describeState). null
 * for stopped servers and when the kind says nothing (unknown kinds, unreadable state); a failed
 * server keeps where it ran (its job id) but not the job's scheduler state, which is over.
 */
export function serverDescriber(catalog: SpawnerCatalog): DescribeServer {
  return (row) => {
    if (row.state === "stopped") return null;
    const details = describeStoredState(catalog, row.spawnerKind, row.spawnerState, row.state);
    const shown = row.state === "failed" ? placementOf(details) : details;
    return Object.keys(shown).length ? shown : null;
  };
}
