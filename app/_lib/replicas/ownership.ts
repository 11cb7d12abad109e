// Pure: which servers a hub replica may take over. A server belongs to the replica that claimed
// it (Server.ownerReplica) while that replica's heartbeat is fresh; a server of a replica whose
// heartbeat is older than the lease time (or gone: it shut down) has no owner and is taken over.

/** Is a replica whose last heartbeat was at `heartbeatAt` alive at `now`? */
export function isAlive(heartbeatAt: Date, now: Date, leaseMs: number): boolean {
  return now.getTime() - heartbeatAt.getTime() < leaseMs;
}

export interface OwnedServer {
  id: number;
  state: string;
  ownerReplica: string | null;
}

/** States whose server a replica must watch (poll, follow a start, carry out a stop). */
export const OWNED_STATES = ["running", "starting", "stopping"] as const;

/**
 * The servers of `servers` that replica `me` takes over: in an owned state, owned by no one, or by
 * a replica not in `alive` (which includes `me`).
 */
export function serversToTakeOver<S extends OwnedServer>(servers: readonly S[], alive: ReadonlySet<string>, me: string): S[] {
  return servers.filter(
    (s) => (OWNED_STATES as readonly string[]).includes(s.state) && s.ownerReplica !== me && !(s.ownerReplica && alive.has(s.ownerReplica)),
  );
}

/**
 * Who carries out a stop request of a server: "mine" (this replica owns it, or may take it over),
 * "owner" (another live replica owns it and stops it at its next look at the database).
 */
export function stopHandler(s: OwnedServer, alive: ReadonlySet<string>, me: string): "mine" | "owner" {
  if (s.ownerReplica === me || !s.ownerReplica || !alive.has(s.ownerReplica)) return "mine";
  return "owner";
}
