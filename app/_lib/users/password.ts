// A user changing their own password: the current one is required (checked with the same rate
// limit as logins, so this form is no way around it), the new one follows auth.local's rules, and
// every other session of the account ends; the one making the change stays signed in.
import type { Db } from "@/app/_lib/db/types";
import { HttpError } from "@/app/_lib/http/errors";
import { hashPassword, verifyPassword } from "@/app/_lib/auth/passwords";
import { isLoginBlocked, recordLoginFailure } from "@/app/_lib/auth/rate-limit";
import { revokeUserSessions } from "@/app/_lib/auth/sessions";
import { checkPassword } from "./admin";

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
export async function changeOwnPassword(db: Db, c: PasswordChange): Promise<number> {
  const user = await db.user.findUnique({ where: { id: c.userId } });
  if (!user) throw new HttpError(404, "No such user.");
  if (!user.passwordHash) throw new HttpError(400, "This account signs in without a password (e.g. with GitHub), so it has none to change.");
  const key = `user:${user.name}`;
  if (await isLoginBlocked(db, [key], c.attempts.perWindow, c.attempts.windowSeconds, c.now)) {
    throw new HttpError(429, "Too many wrong passwords; wait a few minutes and try again.");
  }
  if (!(await verifyPassword(c.current, user.passwordHash))) {
    await recordLoginFailure(db, [key], c.now);
    throw new HttpError(403, "The current password is not right.");
  }
  checkPassword(c.next);
  if (c.next === c.current) throw new HttpError(400, "The new password is the same as the current one.");
  await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(c.next) } });
  return revokeUserSessions(db, user.id, c.now, c.sessionId);
}
