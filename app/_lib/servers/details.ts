// What users and admins see of a server beyond its state (a batch job's id, queue reason, node,
// time left): the server's spawner kind describes its stored state (SpawnerKind.describeState).
// Pure: the catalog comes from the hub's runtime.
import type { SpawnerCatalog } from "@/spawners/kind";
import { decodeSpawnerState } from "@/spawners/state";
import type { ServerDetails } from "@/spawners/types";

/** The columns of a Server row it reads. */
export interface DescribableServer {
  state: string;
  spawnerKind: string;
  spawnerState: string;
}

export type DescribeServer = (row: DescribableServer) => ServerDetails | null;

/** A describer over `catalog`; null for kinds that describe nothing, for stopped servers and unreadable state. */
export function serverDescriber(catalog: SpawnerCatalog): DescribeServer {
  return (row) => {
    if (row.state === "stopped" || row.state === "failed") return null;
    const kind = Object.hasOwn(catalog, row.spawnerKind) ? catalog[row.spawnerKind] : undefined;
    if (!kind?.describeState) return null;
    try {
      return kind.describeState(decodeSpawnerState(kind.state, row.spawnerState), row.state);
    } catch {
      return null;
    }
  };
}
