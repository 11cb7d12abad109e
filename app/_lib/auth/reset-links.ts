// Password reset links: one-time SetupToken rows whose purpose names the account they are for.
import type { Db } from "@/app/_lib/db/types";

const RESET_PREFIX = "reset-password:";

/** The SetupToken purpose of a reset link for the account `name`. */
export function resetPurpose(name: string): string {
  return RESET_PREFIX + name;
}

/** The account a reset link is for, or null for another purpose. */
export function resetTarget(purpose: string): string | null {
  return purpose.startsWith(RESET_PREFIX) ? purpose.slice(RESET_PREFIX.length) : null;
}

/**
 * Ends every reset link made for `name`. A link names its account, so one left over from before
 * a rename or a deletion would set the password of whoever gets the name next. The links are
 * marked used rather than deleted: opened, they say so ("already used or expired").
 */
export async function forgetResetLinks(db: Db, name: string, now: Date): Promise<void> {
  await db.setupToken.updateMany({ where: { purpose: resetPurpose(name), usedAt: null }, data: { usedAt: now } });
}
