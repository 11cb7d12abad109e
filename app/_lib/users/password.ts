// A user changing their own password: the current one is required (each try is reserved under a
// limit before the password is checked, as logins are, so this form is no way around the login
// limits), the new one follows auth.local's rules, and every other session of the account ends,
// at every proxy; the one making the change stays signed in.
import type { Db } from "@/app/_lib/db/types";
import { HttpError } from "@/app/_lib/http/errors";
import { hashPassword, verifyPassword } from "@/app/_lib/auth/passwords";
import { pruneAttempts, releaseAttempt, reserveAttempt } from "@/app/_lib/auth/rate-limit";
import type { RevocationPusher } from "@/app/_lib/auth/sessions";
import { checkPassword, setPasswordHash } from "./admin";

export interface PasswordChange {
  userId: number;
  /** the session making the change: it stays valid */
  sessionId: string;
  current: string;
  next: string;
  now: Date;
  /** auth.loginAttemptsPerWindow / auth.loginWindowSeconds */
  attempts: { perWindow: number; windowSeconds: number };
}

/** Changes the password; returns how many other sessions ended. */
export async function changeOwnPassword(db: Db, proxy: RevocationPusher, c: PasswordChange): Promise<number> {
  const user = await db.user.findUnique({ where: { id: c.userId } });
  if (!user) throw new HttpError(404, "No such user.");
  if (!user.passwordHash) throw new HttpError(400, "This account signs in without a password (e.g. with GitHub), so it has none to change.");
  // Counted per account, not per name from everywhere: whoever holds the session gets as many
  // tries as one address gets at the login form, and strangers' failed logins cannot stop the
  // owner from changing the password.
  const reservation = await reserveAttempt(db, {
    keys: [{ key: `password-change:${user.id}`, limit: c.attempts.perWindow }],
    windowSeconds: c.attempts.windowSeconds,
    now: c.now,
  });
  if (!reservation) throw new HttpError(429, "Too many wrong passwords; wait a few minutes and try again.");
  if (!(await verifyPassword(c.current, user.passwordHash))) {
    await pruneAttempts(db, c.now);
    throw new HttpError(403, "The current password is not right.");
  }
  await releaseAttempt(db, reservation);
  checkPassword(c.next);
  if (c.next === c.current) throw new HttpError(400, "The new password is the same as the current one.");
  return setPasswordHash(db, proxy, { userId: user.id, passwordHash: await hashPassword(c.next), now: c.now, keepSessionId: c.sessionId });
}
