// Leases in the database: one holder per name at a time, for the hub's singleton jobs (the
// culler, clean-up after dead servers, usage settling). Taken or renewed with one conditional
// UPDATE, created with one INSERT on its primary key, so of two replicas racing for a lease at most
// one wins on SQLite and PostgreSQL alike. Times are the hubs' clocks: replicas need them in step
// (NTP) to well under the lease time.
import type { Db } from "../db/types";

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
 * Takes the lease `name` for `holder`, or renews it if `holder` has it. true: `holder` holds it
 * until `now + ttlMs`; false: another holder's lease has not expired.
 */
export async function takeLease(db: Db, c: LeaseClaim): Promise<boolean> {
  const expiresAt = new Date(c.now.getTime() + c.ttlMs);
  // The condition is checked by the database under the row's lock: a holder that renews in time
  // keeps it, an expired one is taken by exactly one asker.
  const taken = await db.lease.updateMany({
    where: { name: c.name, OR: [{ holder: c.holder }, { expiresAt: { lte: c.now } }] },
    data: { holder: c.holder, expiresAt },
  });
  if (taken.count === 1) return true;
  try {
    await db.lease.create({ data: { name: c.name, holder: c.holder, expiresAt } });
    return true;
  } catch (err) {
    // the lease exists and is someone else's (or another asker created it first)
    if ((err as { code?: string }).code === "P2002") return false;
    throw err;
  }
}

/** Gives the lease up (a hub shutting down), so another replica takes it at its next beat. */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.lease.deleteMany({ where: { name, holder } });
}
