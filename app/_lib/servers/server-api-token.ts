// The hub API token each server gets as JUPYTERHUB_API_TOKEN, as JupyterHub gives one to every
// server: code in the server (jupyter_server's hub integration, dask-gateway's JupyterHub auth,
// Gyre's extension reporting activity) calls the hub with it. Derived from the spawn id like the
// server's own token (so any hub process can rebuild the spawn context), stored hashed as an API
// token limited to its server and its user's activity, and revoked when the server stops.
import { createHmac } from "node:crypto";
import { deriveKey } from "@/proxy/auth/session-cookie";
import type { Db } from "../db/types";
import { hashToken } from "../auth/api-tokens";
import { serverAccessScope, userScope } from "../auth/scopes";
import type { RoutePusher } from "./proxy-client";

/** The server's hub API token: 256 bits, base64url, like the tokens users create. */
export function deriveServerApiToken(secret: string, spawnId: string): string {
  return createHmac("sha256", deriveKey(secret, "server-api-token")).update(spawnId).digest("base64url");
}

/**
 * What the token may do: reach its own server through the proxy and report its user's activity.
 * Who-am-I (GET /hub/api/user) needs no scope.
 */
export function serverApiTokenScopes(user: string, server: string): string[] {
  return [serverAccessScope(user, server), userScope("users:activity", user)];
}

/**
 * Stores the token (hashed) for a spawn; nothing to do when this spawn's token exists already. One
 * write in the usual case: the prefix is unique, so a second store of the same token (a resumed
 * spawn) fails on it and is recognised by its hash.
 */
export async function issueServerApiToken(db: Db, o: { userId: number; user: string; server: string; token: string }): Promise<void> {
  const prefix = o.token.slice(0, 8);
  const hash = hashToken(o.token);
  const label = o.server ? `${o.user}/${o.server}` : o.user;
  try {
    await db.apiToken.create({
      data: { userId: o.userId, prefix, hash, note: `Server ${label} (JUPYTERHUB_API_TOKEN)`, scopes: serverApiTokenScopes(o.user, o.server).join(" ") },
    });
  } catch (err) {
    if ((err as { code?: string }).code !== "P2002") throw err;
    const existing = await db.apiToken.findUnique({ where: { prefix } });
    if (existing?.hash === hash) return;
    // another token with the same first 8 characters (one chance in 2^48): the next spawn id differs
    throw new Error("the server's API token collides with another token; start the server again", { cause: err });
  }
}

/** Revokes a spawn's token (the server stopped or its start failed) and tells the proxies. */
export async function revokeServerApiToken(db: Db, proxy: Pick<RoutePusher, "revoke">, token: string, now: Date): Promise<void> {
  const hash = hashToken(token);
  const r = await db.apiToken.updateMany({ where: { prefix: token.slice(0, 8), hash, revokedAt: null }, data: { revokedAt: now } });
  if (r.count) await proxy.revoke({ tokenHashes: [hash] });
}
