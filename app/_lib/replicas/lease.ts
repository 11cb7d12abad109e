// Leases in the database: one holder per name at a time, for the hub's singleton jobs (the
// culler, clean-up after dead servers, usage settling). Taken or renewed with one conditional
// UPDATE (all of a beat's leases at once), created with one INSERT on its primary key, so of two
// replicas racing for a lease at most one wins on SQLite and PostgreSQL alike. Times are the hubs'
// clocks: replicas need them in step (NTP) to well under the lease time.
import type { Db } from "../db/types";
import { writesOf } from "../db/sql-writes";
import { buildCreateLease, buildTakeLeases } from "./replica-sql";

export interface LeaseClaim {
  /** the singleton's name, e.g. "culler" */
  name: string;
  /** the replica that asks (HubReplica.id) */
  holder: string;
  /** how long the lease lasts unless renewed */
  ttlMs: number;
  now: Date;
}

/**
 * Takes the leases `names` for `holder`, or renews those `holder` has: the names it holds until
 * `now + ttlMs` afterwards (the others are another holder's, not expired). On the driver: one
 * statement renews every lease held and takes every expired one; one more per lease that has no
 * row yet or is someone else's.
 */
export async function takeLeases(db: Db, c: Omit<LeaseClaim, "name"> & { names: readonly string[] }): Promise<Set<string>> {
  if (!c.names.length) return new Set();
  const writes = writesOf(db);
  const expiresAt = new Date(c.now.getTime() + c.ttlMs);
  // The condition is checked by the database under each row's lock: a holder that renews in time
  // keeps it, an expired one is taken by exactly one asker.
  const taken = await writes.run(buildTakeLeases(writes.dialect, { names: c.names, holder: c.holder, now: c.now, expiresAt }));
  const held = new Set(taken.rows.map((r) => String(r.name)));
  for (const name of c.names) {
    if (held.has(name)) continue;
    // no row yet (or someone else's, whose insert changes nothing): of two askers creating it one wins
    if ((await writes.run(buildCreateLease(writes.dialect, { name, holder: c.holder, expiresAt }))).changes === 1) held.add(name);
  }
  return held;
}

/** Gives the lease up (a hub shutting down), so another replica takes it at its next beat. */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.lease.deleteMany({ where: { name, holder } });
}
