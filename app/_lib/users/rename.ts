// Renaming a user. Refused while any of their servers is active: a server's URL, proxy route and
// job name carry the user name, and changing them under a running notebook would cut it off. The
// OS account stays the same: when it came from hub.osUserTemplate or hub.osUserMapFile (which
// would map the new name elsewhere) it is stored on the user first, so files and running jobs
// remain theirs. Every session ends (the session cookie carries the name), and so does every
// password reset link made for the old name.
import type { Db } from "@/app/_lib/db/types";
import { HttpError } from "@/app/_lib/http/errors";
import { revokeUserSessions, type RevocationPusher } from "@/app/_lib/auth/sessions";
import { forgetResetLinks } from "@/app/_lib/auth/reset-links";
import { validateUsername } from "./names";
import { OsAccountError, resolveOsAccount, type OsAccountMapping } from "./os-account";
import { getUserOrThrow } from "./queries";

export interface RenameOptions {
  db: Db;
  /** the proxies: the ended sessions are refused there at once */
  proxy: RevocationPusher;
  /** the hub's OS account mapping, read now (loadOsAccountMapping) */
  mapping: OsAccountMapping;
  now: Date;
}

export interface RenameResult {
  name: string;
  /** the OS account now stored on the user because the mapping would have changed it */
  pinnedOsUser: string | null;
}

export async function renameUser(opts: RenameOptions, name: string, rawNewName: unknown): Promise<RenameResult> {
  const { db, proxy, mapping, now } = opts;
  const newName = validateUsername(rawNewName);
  const user = await getUserOrThrow(db, name);
  if (newName === user.name) return { name: newName, pinnedOsUser: null };
  if (await db.user.findUnique({ where: { name: newName }, select: { id: true } })) throw new HttpError(409, `The name ${newName} is taken.`);
  const active = await db.server.count({ where: { userId: user.id, state: { in: ["pending", "starting", "running", "stopping"] } } });
  if (active) {
    throw new HttpError(
      409,
      `${user.name} has ${active} active server${active === 1 ? "" : "s"}: stop ${active === 1 ? "it" : "them"} before renaming (a running server's address contains the user name).`,
    );
  }
  let pinnedOsUser: string | null = null;
  if (!user.osUser) {
    try {
      const before = resolveOsAccount({ userName: user.name, mapping });
      const after = (() => {
        try {
          return resolveOsAccount({ userName: newName, mapping });
        } catch (err) {
          if (err instanceof OsAccountError) return null;
          throw err;
        }
      })();
      if (after !== before) pinnedOsUser = before;
    } catch (err) {
      // The old name maps to no valid account: nothing to keep.
      if (!(err instanceof OsAccountError)) throw err;
    }
  }
  await db.user.update({ where: { id: user.id }, data: { name: newName, ...(pinnedOsUser ? { osUser: pinnedOsUser } : {}) } });
  await forgetResetLinks(db, user.name, now);
  await revokeUserSessions(db, proxy, { userId: user.id, now });
  return { name: newName, pinnedOsUser };
}
