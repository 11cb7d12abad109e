// The hub's part of the user-origin handshake (proxy/origins/handshake.ts): who may be signed in
// on a user's origin, and the code that tells the proxy so.
import type { Db } from "../db/types";
import { CALLBACK_PATH, CODE_TTL_SECONDS, isNextOnOrigin, signOriginCode } from "@/proxy/origins/handshake";
import { userHostname, userOrigin, type OriginPlan } from "@/proxy/origins/origin-plan";
import { userLabel } from "@/proxy/origins/user-label";
import type { RoleConfig } from "@/config/roles-section";
import { loadRoleAccessMap } from "./role-access";

/**
 * "owner": straight through. "shared": one of the owner's servers is shared with the viewer
 * (directly or through a group): straight through too — the proxy lets them reach only the servers
 * shared with them there. The same when the viewer's configured roles' access:servers reach one
 * of the owner's servers (app/_lib/auth/role-access.ts), e.g. a TA's access:servers!group=class on
 * a class member's origin: the proxy decides per server there too. "admin": another user's servers, after a confirmation — that origin's
 * pages are the owner's to write and will run as the admin there. "forbidden": anyone else, and
 * users that do not exist (the same answer, so it tells nobody who exists).
 */
export type OriginAccess = "owner" | "shared" | "admin" | "forbidden";

export async function decideOriginAccess(
  db: Db,
  viewer: { id: number; name: string; admin: boolean },
  owner: string,
  roles: readonly RoleConfig[] = [],
): Promise<OriginAccess> {
  if (viewer.name === owner) return "owner";
  if (!viewer.admin) {
    const shared = await db.share.count({
      where: { server: { user: { name: owner } }, OR: [{ userId: viewer.id }, { group: { members: { some: { userId: viewer.id } } } }] },
    });
    if (shared) return "shared";
    const grant = (await loadRoleAccessMap(db, roles))[String(viewer.id)];
    if (!grant) return "forbidden";
    const ownerId = (await db.user.findUnique({ where: { name: owner }, select: { id: true } }))?.id;
    const reaches = ownerId !== undefined && (grant.all || grant.user_ids.includes(ownerId) || grant.servers.some((s) => s.startsWith(`${ownerId}/`)));
    return reaches ? "shared" : "forbidden";
  }
  return (await db.user.findUnique({ where: { name: owner }, select: { id: true } })) ? "admin" : "forbidden";
}

export interface OriginCallbackOptions {
  plan: OriginPlan;
  /** deriveKey(hub.secretKey, "origin-code") */
  key: Buffer;
  /** whose origin */
  owner: string;
  /** who is signing in there */
  viewer: { id: number; name: string };
  session: { id: string; expiresAt: Date };
  /** sha256 of the proxy's state cookie, as the proxy sent it */
  stateHash: string;
  /** where to land; anything but a path under the owner's /user/<name>/ becomes that prefix */
  next: string;
  now: Date;
}

/** The URL on the owner's origin that finishes the sign-in there: /_gyre/callback?code=… */
export function buildOriginCallbackUrl(o: OriginCallbackOptions): string {
  const next = isNextOnOrigin(o.next, userLabel(o.owner), userLabel) ? o.next : `/user/${encodeURIComponent(o.owner)}/`;
  const code = signOriginCode(
    {
      host: userHostname(o.plan, o.owner),
      state: o.stateHash,
      next,
      sid: o.session.id,
      user: o.viewer.name,
      uid: o.viewer.id,
      sexp: Math.floor(o.session.expiresAt.getTime() / 1000),
      exp: Math.floor(o.now.getTime() / 1000) + CODE_TTL_SECONDS,
    },
    o.key,
  );
  return `${userOrigin(o.plan, o.owner)}${CALLBACK_PATH}?code=${encodeURIComponent(code)}`;
}
