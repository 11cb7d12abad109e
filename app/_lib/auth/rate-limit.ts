// Attempt limits kept in the database, so they survive restarts and hold across hub replicas.
//
// An attempt is reserved before the work it limits (checking a password) is done: counting the
// attempts in the window and recording this one happen in one transaction that no other
// reservation of the same keys can interleave with. On PostgreSQL the transaction first takes a
// transaction-level advisory lock per key (in a fixed order, so two reservations never deadlock),
// so concurrent reservations of one key queue instead of failing; SQLite runs one write
// transaction at a time (the driver adapter queues them). Not SERIALIZABLE isolation: its
// serialization failures surface at COMMIT, where the pg driver adapter (Prisma 6.19) does not
// give the connection back to its pool, so a burst of logins would exhaust the pool.
// Either way at most `limit` attempts are reserved per window, however many arrive at once. A
// refused attempt writes nothing, so hammering a full counter does not keep it full.
import type { Db } from "../db/types";
import type { LimitKey } from "./login-limits";

/** The rows one reserved attempt holds. */
export interface Reservation {
  ids: number[];
}

/** Reserves one attempt under every key; null (and nothing written) when any key is at its limit within the window. */
export async function reserveAttempt(db: Db, opts: { keys: readonly LimitKey[]; windowSeconds: number; now: Date }): Promise<Reservation | null> {
  const since = new Date(opts.now.getTime() - opts.windowSeconds * 1000);
  const postgres = isPostgres(db);
  return db.$transaction(
    async (tx) => {
      if (postgres) {
        for (const key of [...new Set(opts.keys.map((k) => k.key))].sort()) await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))::text`;
      }
      for (const k of opts.keys) if ((await tx.loginAttempt.count({ where: { key: k.key, at: { gt: since } } })) >= k.limit) return null;
      const rows = await tx.loginAttempt.createManyAndReturn({ data: opts.keys.map((k) => ({ key: k.key, at: opts.now })), select: { id: true } });
      return { ids: rows.map((r) => r.id) };
    },
    { maxWait: 10_000, timeout: 10_000 },
  );
}

/** Whether `db` is the PostgreSQL client (the generated clients name their provider). */
function isPostgres(db: Db): boolean {
  return (db as unknown as { _activeProvider?: string })._activeProvider === "postgresql";
}

/** Gives a reservation back (the attempt succeeded, or should not count). */
export async function releaseAttempt(db: Db, r: Reservation): Promise<void> {
  await db.loginAttempt.deleteMany({ where: { id: { in: r.ids } } });
}

/** Drops every attempt counted under `key` (a success clears its own counter). */
export async function clearAttempts(db: Db, key: string): Promise<void> {
  await db.loginAttempt.deleteMany({ where: { key } });
}

/**
 * Whether `key` has `limit` attempts within the window, without reserving one. For failures that
 * are recorded after the fact (recordAttempt), where nothing is gained by a burst: GitHub checks
 * the password of an OAuth login, not the hub.
 */
export async function isBlocked(db: Db, key: string, limit: number, windowSeconds: number, now: Date): Promise<boolean> {
  return (await db.loginAttempt.count({ where: { key, at: { gt: new Date(now.getTime() - windowSeconds * 1000) } } })) >= limit;
}

/** Records one failure under `key` (see isBlocked). */
export async function recordAttempt(db: Db, key: string, now: Date): Promise<void> {
  await db.loginAttempt.create({ data: { key, at: now } });
  await pruneAttempts(db, now);
}

/** Keeps the table small: attempts older than a day count for nothing. */
export async function pruneAttempts(db: Db, now: Date): Promise<void> {
  await db.loginAttempt.deleteMany({ where: { at: { lt: new Date(now.getTime() - 86400_000) } } });
}

/**
 * A sliding-window rate limit for actions that succeed (e.g. token creation): true and recorded when
 * another action fits in the window, false when `limit` were already taken within it.
 */
export async function takeRateLimitSlot(db: Db, key: string, limit: number, windowSeconds: number, now: Date): Promise<boolean> {
  return (await reserveAttempt(db, { keys: [{ key, limit }], windowSeconds, now })) !== null;
}
