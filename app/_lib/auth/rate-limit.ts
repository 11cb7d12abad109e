// Failed-login rate limit, kept in the database so it survives restarts and holds across replicas.
import type { Db } from "../db/types";

export async function isLoginBlocked(db: Db, keys: string[], limit: number, windowSeconds: number, now: Date): Promise<boolean> {
  const since = new Date(now.getTime() - windowSeconds * 1000);
  for (const key of keys) {
    if ((await db.loginAttempt.count({ where: { key, at: { gt: since } } })) >= limit) return true;
  }
  return false;
}

export async function recordLoginFailure(db: Db, keys: string[], now: Date): Promise<void> {
  await db.loginAttempt.createMany({ data: keys.map((key) => ({ key, at: now })) });
  // Keep the table small: drop attempts older than a day.
  await db.loginAttempt.deleteMany({ where: { at: { lt: new Date(now.getTime() - 86400_000) } } });
}

export async function clearLoginFailures(db: Db, key: string): Promise<void> {
  await db.loginAttempt.deleteMany({ where: { key } });
}

/**
 * A fixed-window rate limit for actions that succeed (e.g. token creation): true and recorded when
 * another action fits in the window, false when `limit` were already taken within it.
 */
export async function takeRateLimitSlot(db: Db, key: string, limit: number, windowSeconds: number, now: Date): Promise<boolean> {
  if (await isLoginBlocked(db, [key], limit, windowSeconds, now)) return false;
  await recordLoginFailure(db, [key], now);
  return true;
}
