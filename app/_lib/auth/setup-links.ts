// What a one-time /hub/setup link can still do, decided from its SetupToken row. Pure: the page
// and the form's route read the row and the admin count, then ask this.
import { resetTarget } from "./reset-links";

/** The SetupToken purpose of the first-run link that creates the first admin. */
export const INITIAL_ADMIN_PURPOSE = "initial-admin";

/** The SetupToken columns the verdict reads. */
export interface SetupLinkRow {
  purpose: string;
  usedAt: Date | null;
  expiresAt: Date;
}

/**
 * `usable`: the form may be shown and posted. `done`: a first-run link after an admin exists
 * (setup is complete, the link has no further use). `expired`: anything else, including a token
 * the database has never held (mistyped, cut short, or from another hub).
 */
export type SetupLinkVerdict = "usable" | "done" | "expired";

export interface SetupLinkState {
  verdict: SetupLinkVerdict;
  /** the account a reset link is for; null for a first-run or an unknown link */
  resetFor: string | null;
  /**
   * Whether to explain the link as a password link: a reset link, or an unknown one once an admin
   * exists (then only reset links are handed out, and restarting the hub prints no new setup link).
   */
  explainAsReset: boolean;
}

/** The verdict on a link, given its row (null: no such token), whether an admin exists, and the time. */
export function judgeSetupLink(o: { row: SetupLinkRow | null; adminExists: boolean; now: Date }): SetupLinkState {
  const { row, adminExists, now } = o;
  const resetFor = row ? resetTarget(row.purpose) : null;
  const explainAsReset = resetFor !== null || (!row && adminExists);
  if (!row) return { verdict: "expired", resetFor, explainAsReset };
  const firstRun = row.purpose === INITIAL_ADMIN_PURPOSE;
  if (firstRun && adminExists) return { verdict: "done", resetFor, explainAsReset };
  const live = !row.usedAt && row.expiresAt > now && (resetFor !== null || firstRun);
  return { verdict: live ? "usable" : "expired", resetFor, explainAsReset };
}
