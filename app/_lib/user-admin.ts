// Creating, changing and deleting users (admin actions).
import type { Db } from "./db/types";
import { HttpError } from "./http/errors";
import { validateUsername, getUserOrThrow } from "./users";
import { hashPassword } from "./auth/passwords";
import { getUserModel } from "./users-query";
import { requestStop } from "./servers/commands";
import { getRuntime } from "./runtime";
import type { UserModel } from "./models";

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
    data: { ...(patch.admin !== undefined ? { admin: patch.admin } : {}), ...(patch.password !== undefined ? { passwordHash: await hashPassword(patch.password) } : {}) },
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
