// Blocking an account: a blocked user cannot log in (password or GitHub), their API tokens and
// sessions stop working, their servers stop, and the proxy refuses them at once. Unblocking lets
// them log in again; nothing else is restored (sessions stay ended, servers stay stopped).
import type { Db } from "@/app/_lib/db/types";
import { HttpError } from "@/app/_lib/http/errors";
import { revokeUserSessions } from "@/app/_lib/auth/sessions";
import type { RoutePusher } from "@/app/_lib/servers/proxy-client";
import { serverPath } from "@/app/_lib/servers/models";
import { requestStop } from "@/app/_lib/servers/commands";
import { getUserOrThrow } from "./queries";

/** The message a blocked user's stopped servers carry, and what refusals say. */
export const BLOCKED_STOP_MESSAGE = "Stopped: the account was blocked by an admin.";

export interface BlockOptions {
  db: Db;
  /** the proxies: the routes of the user's servers are deleted before this returns */
  proxy: RoutePusher;
  now: Date;
}

/**
 * Blocks `name` (not the acting admin). Idempotent: blocking a blocked user changes nothing but
 * makes sure their sessions and servers are gone. Returns how many servers were asked to stop.
 */
export async function blockUser(opts: BlockOptions, name: string, actor: string): Promise<{ stopping: number }> {
  const { db, proxy, now } = opts;
  if (name === actor) throw new HttpError(400, "You cannot block your own account.");
  const user = await getUserOrThrow(db, name);
  if (!user.blockedAt) await db.user.update({ where: { id: user.id }, data: { blockedAt: now } });
  await revokeUserSessions(db, proxy, { userId: user.id, now });
  const active = await db.server.findMany({ where: { userId: user.id, state: { in: ["pending", "starting", "running", "stopping"] } } });
  // The proxies drop the routes now, not when the spawn worker gets to the stop: from here on a
  // request for the user's servers reaches the hub, which refuses it.
  await Promise.all(active.map((s) => proxy.deleteRoute(serverPath(user.name, s.name))));
  for (const s of active) await requestStop(db, user.id, s.name, { reason: BLOCKED_STOP_MESSAGE });
  return { stopping: active.length };
}

/** Lets `name` log in again. */
export async function unblockUser(db: Db, name: string): Promise<void> {
  const user = await getUserOrThrow(db, name);
  await db.user.update({ where: { id: user.id }, data: { blockedAt: null } });
}
