// Creating, changing and deleting users: the admin actions of the REST API and control panel, and
// the first admin (from the config at start, or through the one-time setup form). Blocking and
// renaming have their own files (block.ts, rename.ts); editUser() applies the control panel's edit.
import { z } from "zod";
import type { Db } from "@/app/_lib/db/types";
import { HttpError } from "@/app/_lib/http/errors";
import { hashPassword } from "@/app/_lib/auth/passwords";
import { requestStop } from "@/app/_lib/servers/commands";
import { getRuntime, type HubRuntime } from "@/app/_lib/runtime";
import type { UserModel } from "@/app/_lib/models";
import { validateUsername } from "./names";
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

export async function updateUser(db: Db, name: string, patch: { admin?: boolean; password?: string }, actor: string): Promise<UserModel> {
  const user = await getUserOrThrow(db, name);
  if (patch.admin === false && name === actor) throw new HttpError(400, "You cannot remove your own admin rights.");
  if (patch.password !== undefined) checkPassword(patch.password);
  await db.user.update({
    where: { id: user.id },
    data: {
      ...(patch.admin !== undefined ? { admin: patch.admin } : {}),
      ...(patch.password !== undefined ? { passwordHash: await hashPassword(patch.password) } : {}),
    },
  });
  return getUserModel(db, name);
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
  return "deleted";
}

/** Makes `name` an admin with this password hash, creating the account if needed (first-run admin). */
export async function upsertAdmin(db: Db, name: string, passwordHash: string): Promise<{ id: number; name: string }> {
  return db.user.upsert({ where: { name }, create: { name, admin: true, passwordHash }, update: { admin: true, passwordHash } });
}

/** What the control panel's user page may change (PATCH /hub/api/admin/users/{name}). */
export const userEditSchema = z
  .object({
    name: z.string().min(1).max(64).optional(),
    admin: z.boolean().optional(),
    blocked: z.boolean().optional(),
    /** named servers this user may have; null: hub.namedServerLimitPerUser */
    namedServerLimit: z.number().int().min(0).max(1000).nullable().optional(),
  })
  .strict();

export type UserEdit = z.infer<typeof userEditSchema>;

/**
 * Applies an admin's edit of one user: flags and limit first, the rename last (it changes the
 * name the others are looked up by). Returns the user's name afterwards.
 */
export async function editUser(rt: Pick<HubRuntime, "db" | "proxy" | "config">, name: string, edit: UserEdit, actor: string, now: Date): Promise<string> {
  const { db } = rt;
  const user = await getUserOrThrow(db, name);
  if (edit.admin === false && name === actor) throw new HttpError(400, "You cannot remove your own admin rights.");
  if (edit.blocked && name === actor) throw new HttpError(400, "You cannot block your own account.");
  if (edit.name !== undefined && edit.name !== name && name === actor) throw new HttpError(400, "You cannot rename your own account while signed in with it.");
  if (edit.admin !== undefined || edit.namedServerLimit !== undefined) {
    await db.user.update({
      where: { id: user.id },
      data: {
        ...(edit.admin !== undefined ? { admin: edit.admin } : {}),
        ...(edit.namedServerLimit !== undefined ? { namedServerLimit: edit.namedServerLimit } : {}),
      },
    });
  }
  if (edit.blocked === true) await blockUser({ db, proxy: rt.proxy, now }, name, actor);
  if (edit.blocked === false) await unblockUser(db, name);
  if (edit.name !== undefined) return (await renameUser({ db, mapping: loadOsAccountMapping(rt.config.hub), now }, name, edit.name)).name;
  return name;
}
