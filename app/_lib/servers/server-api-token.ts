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
import { writesOf } from "../db/sql-writes";
import type { SqlQuery } from "../users/users-view";
import { buildInsertServerToken, buildRevokeToken, buildTokenHashQuery } from "./worker-sql";

/** The server's hub API token: 256 bits, base64url, like the tokens users create. */
export function deriveServerApiToken(secret: string, spawnId: string): string {
  return createHmac("sha256", tokenKey(secret)).update(spawnId).digest("base64url");
}

/** The purpose key of the last secret: derived once, not per start and stop (the hub has one secret). */
let lastKey: { secret: string; key: Buffer } | null = null;
function tokenKey(secret: string): Buffer {
  if (lastKey?.secret !== secret) lastKey = { secret, key: deriveKey(secret, "server-api-token") };
  return lastKey.key;
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
 * statement on the driver in the usual case: the prefix is unique, so a second store of the same
 * token (a resumed spawn) inserts nothing and is recognised by its hash.
 */
export async function issueServerApiToken(db: Db, o: { userId: number; user: string; server: string; token: string }, now = new Date()): Promise<void> {
  const writes = writesOf(db);
  const prefix = o.token.slice(0, 8);
  const hash = hashToken(o.token);
  const label = o.server ? `${o.user}/${o.server}` : o.user;
  const note = `Server ${label} (JUPYTERHUB_API_TOKEN)`;
  const scopes = serverApiTokenScopes(o.user, o.server).join(" ");
  const r = await writes.run(buildInsertServerToken(writes.dialect, { userId: o.userId, prefix, hash, note, scopes, now }));
  if (r.changes === 1) return;
  const existing = await writes.run(buildTokenHashQuery(writes.dialect, prefix));
  if (existing.rows[0]?.hash === hash) return;
  // another token with the same first 8 characters (one chance in 2^48): the next spawn id differs
  throw new Error("the server's API token collides with another token; start the server again");
}

/** The statement that revokes a spawn's token; when it changed a row, tell the proxies (revokedTokenHash). */
export function revokeServerApiTokenStatement(db: Db, token: string, now: Date): SqlQuery {
  return buildRevokeToken(writesOf(db).dialect, { prefix: token.slice(0, 8), hash: hashToken(token), now });
}

/** The hash the proxies are told about once a revocation changed a row. */
export function revokedTokenHash(token: string): string {
  return hashToken(token);
}

/** Revokes a spawn's token (the server stopped or its start failed) and tells the proxies. */
export async function revokeServerApiToken(db: Db, proxy: Pick<RoutePusher, "revoke">, token: string, now: Date): Promise<void> {
  const r = await writesOf(db).run(revokeServerApiTokenStatement(db, token, now));
  if (r.changes) await proxy.revoke({ tokenHashes: [hashToken(token)] });
}
