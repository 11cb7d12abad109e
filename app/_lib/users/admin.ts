// Creating, changing and deleting users: the admin actions of the REST API and control panel, and
// the first admin (from the config at start, or through the one-time setup form). Blocking and
// renaming have their own files (block.ts, rename.ts); editUser() applies the control panel's edit.
import { z } from "zod";
import type { Db } from "@/app/_lib/db/types";
import { HttpError } from "@/app/_lib/http/errors";
import { hashPassword } from "@/app/_lib/auth/passwords";
import { requestStop } from "@/app/_lib/servers/commands";
import { getRuntime, type HubRuntime } from "@/app/_lib/runtime";
import { revokeUserSessions, type RevocationPusher } from "@/app/_lib/auth/sessions";
import { forgetResetLinks } from "@/app/_lib/auth/reset-links";
import type { UserModel } from "@/app/_lib/models";
import { NAME_MAX_LENGTH, validateUsername } from "./names";
import { getUserModel, getUserOrThrow } from "./queries";
import { blockUser, unblockUser } from "./block";
import { renameUser } from "./rename";
import { loadOsAccountMapping } from "./spawn-user";

export function checkPassword(password: string): void {
  const min = getRuntime().config.auth.local.minPasswordLength;
  if (password.length < min) throw new HttpError(400, `The password is too short: use at least ${min} characters.`);
  if (password.length > 1024) throw new HttpError(400, "The password is too long (at most 1024 characters).");
}

export async function createUsers(db: Db, rawNames: string[], opts: { admin?: boolean; password?: string }): Promise<UserModel[]> {
  const names = rawNames.map(validateUsername);
  if (opts.password !== undefined) checkPassword(opts.password);
  const existing = await db.user.findMany({ where: { name: { in: names } } });
  if (existing.length) throw new HttpError(409, `User(s) already exist: ${existing.map((u) => u.name).join(", ")}`);
  const passwordHash = opts.password !== undefined ? await hashPassword(opts.password) : null;
  for (const name of names) await db.user.create({ data: { name, admin: !!opts.admin, passwordHash } });
  return Promise.all(names.map((n) => getUserModel(db, n)));
}

/** Who asks for a change: their name, and their session when it is a browser (kept when they change their own password). */
export interface Actor {
  name: string;
  sessionId?: string;
}

/**
 * An admin's PATCH of a user (JupyterHub's PATCH /users/{name}): `name` renames first (renameUser:
 * refused while a server is active or the name is taken, and never for the account whose browser
 * session asks), then `admin` and `password` apply to the user under the name they have now.
 * Returns the user's model.
 */
export async function updateUser(db: Db, name: string, patch: { name?: string; admin?: boolean; password?: string }, actor: Actor): Promise<UserModel> {
  const user = await getUserOrThrow(db, name);
  if (patch.admin === false && name === actor.name) throw new HttpError(400, "You cannot remove your own admin rights.");
  if (patch.password !== undefined) checkPassword(patch.password);
  let current = name;
  if (patch.name !== undefined) {
    const newName = validateUsername(patch.name);
    if (newName !== name && name === actor.name && actor.sessionId) throw new HttpError(400, "You cannot rename your own account while signed in with it.");
    const rt = getRuntime();
    current = (await renameUser({ db, proxy: rt.proxy, mapping: loadOsAccountMapping(rt.config.hub), now: new Date() }, name, newName)).name;
  }
  if (patch.admin !== undefined) await db.user.update({ where: { id: user.id }, data: { admin: patch.admin } });
  if (patch.password !== undefined) {
    await setPasswordHash(db, getRuntime().proxy, {
      userId: user.id,
      passwordHash: await hashPassword(patch.password),
      now: new Date(),
      keepSessionId: name === actor.name ? actor.sessionId : undefined,
    });
  }
  return getUserModel(db, current);
}

/**
 * Stores a new password hash for an existing account: the one place a password changes (an admin's
 * PATCH, the account page's own change, a reset link from `npm run reset-password`, the first admin
 * made again). The account's
 * other sessions end, and the proxies are told at once: whoever knew the old password is out.
 * `keepSessionId`: the session that made the change, when it is the account's own. Returns how
 * many sessions ended.
 */
export async function setPasswordHash(
  db: Db,
  proxy: RevocationPusher,
  opts: { userId: number; passwordHash: string; now: Date; keepSessionId?: string },
): Promise<number> {
  await db.user.update({ where: { id: opts.userId }, data: { passwordHash: opts.passwordHash } });
  return revokeUserSessions(db, proxy, { userId: opts.userId, now: opts.now, keepSessionId: opts.keepSessionId });
}

/** Deletes a user after their servers have stopped (stops them first; 400 while any is still stopping). */
export async function deleteUser(db: Db, name: string, actor: string): Promise<"deleted" | "stopping"> {
  const user = await getUserOrThrow(db, name);
  if (name === actor) throw new HttpError(400, "You cannot delete your own account.");
  const active = await db.server.findMany({ where: { userId: user.id, state: { in: ["pending", "starting", "running", "stopping"] } } });
  if (active.length) {
    for (const s of active) await requestStop(db, user.id, s.name);
    return "stopping";
  }
  await db.user.delete({ where: { id: user.id } });
  await forgetResetLinks(db, user.name, new Date());
  return "deleted";
}

/** Makes `name` an admin with this password hash, creating the account if needed (first-run admin). */
export async function upsertAdmin(db: Db, proxy: RevocationPusher, name: string, passwordHash: string): Promise<{ id: number; name: string }> {
  const existing = await db.user.findUnique({ where: { name } });
  if (!existing) return db.user.create({ data: { name, admin: true, passwordHash } });
  await db.user.update({ where: { id: existing.id }, data: { admin: true } });
  await setPasswordHash(db, proxy, { userId: existing.id, passwordHash, now: new Date() });
  return existing;
}

/** What the control panel's user page may change (PATCH /hub/api/admin/users/{name}). */
export const userEditSchema = z
  .object({
    name: z.string().min(1).max(NAME_MAX_LENGTH).optional(),
    admin: z.boolean().optional(),
    blocked: z.boolean().optional(),
    /** named servers this user may have; null: hub.namedServerLimitPerUser */
    namedServerLimit: z.number().int().min(0).max(1000).nullable().optional(),
  })
  .strict();

export type UserEdit = z.infer<typeof userEditSchema>;

/**
 * Applies an admin's edit of one user: the rename first, so that a refused rename (a server still
 * active, the name taken) leaves the flags and the limit as they were too; then flags and limit,
 * by the name the user has now. Returns the user's name afterwards.
 */
export async function editUser(rt: Pick<HubRuntime, "db" | "proxy" | "config">, name: string, edit: UserEdit, actor: string, now: Date): Promise<string> {
  const { db } = rt;
  const user = await getUserOrThrow(db, name);
  if (edit.admin === false && name === actor) throw new HttpError(400, "You cannot remove your own admin rights.");
  if (edit.blocked && name === actor) throw new HttpError(400, "You cannot block your own account.");
  if (edit.name !== undefined && edit.name !== name && name === actor) throw new HttpError(400, "You cannot rename your own account while signed in with it.");
  const current =
    edit.name === undefined ? name : (await renameUser({ db, proxy: rt.proxy, mapping: loadOsAccountMapping(rt.config.hub), now }, name, edit.name)).name;
  if (edit.admin !== undefined || edit.namedServerLimit !== undefined) {
    await db.user.update({
      where: { id: user.id },
      data: {
        ...(edit.admin !== undefined ? { admin: edit.admin } : {}),
        ...(edit.namedServerLimit !== undefined ? { namedServerLimit: edit.namedServerLimit } : {}),
      },
    });
  }
  if (edit.blocked === true) await blockUser({ db, proxy: rt.proxy, now }, current, actor);
  if (edit.blocked === false) await unblockUser(db, current);
  return current;
}
