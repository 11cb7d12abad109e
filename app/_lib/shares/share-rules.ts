// Sharing a server (JupyterHub 5's shares and share codes): which scopes a share may grant, who
// may manage a server's shares, and the JSON shapes of JupyterHub's REST API. Pure.
import { HttpError } from "@/app/_lib/http/errors";
import { serverAccessScope, parseServerAccessScope } from "@/app/_lib/auth/scopes";
import { serverPath } from "@/app/_lib/servers/models";
import { userOrigin, type OriginPlan } from "@/proxy/origins/origin-plan";

/**
 * The path segment that stands for the default server ("") in share paths: JupyterHub writes the
 * default server as an empty last segment (/shares/alice/), which the Express entry rewrites to
 * this, since /shares/alice (no slash) is another endpoint. Never a valid server name.
 */
export const DEFAULT_SERVER_SEGMENT = "_default_";

/** The server name a share path's last segment names ("" for the default server). */
export function serverFromSegment(segment: string): string {
  return segment === DEFAULT_SERVER_SEGMENT ? "" : segment;
}

/** Share codes live one day unless the owner asks otherwise (JupyterHub's default), at most a year. */
export const SHARE_CODE_DEFAULT_SECONDS = 86_400;
export const SHARE_CODE_MAX_SECONDS = 365 * 86_400;

/**
 * The scopes a share of `owner`/`server` grants, from what the client asked: none (the default),
 * "access:servers", or "access:servers!server=<owner>/<server>" all mean access to that one server.
 * Anything else is refused: a share never grants more than reaching the server (403, as JupyterHub
 * refuses scopes a share may not carry).
 */
export function grantedScopes(requested: readonly string[] | undefined, owner: string, server: string): string[] {
  const only = serverAccessScope(owner, server);
  for (const s of requested ?? []) {
    const limited = parseServerAccessScope(s);
    if (s === "access:servers" || (limited && limited.user === owner && limited.server === server)) continue;
    throw new HttpError(403, `A share of ${owner}/${server} may grant only "${only}", not "${s.slice(0, 80)}".`);
  }
  return [only];
}

/** Who asks, as far as sharing cares. */
export interface Actor {
  name: string;
  admin: boolean;
}

/**
 * Only the owner and admins manage a server's shares and codes: a grantee cannot share onward,
 * and nobody shares a server that is not theirs (403).
 */
export function assertMayManage(actor: Actor, owner: string): void {
  if (actor.name !== owner && !actor.admin) throw new HttpError(403, `Only ${owner} or an admin may share ${owner}'s servers.`);
}

/** The SharedServer part of JupyterHub's Share and ShareCode models. */
export interface SharedServerModel {
  name: string;
  user: { name: string };
  url: string;
  full_url: string | null;
  ready: boolean;
}

export function toSharedServer(owner: string, server: { name: string; state: string }, plan: OriginPlan | undefined): SharedServerModel {
  const path = serverPath(owner, server.name);
  const base = plan ? (plan.mode === "per-user" ? userOrigin(plan, owner) : plan.hubOrigin) : null;
  return { name: server.name, user: { name: owner }, url: path, full_url: base ? base + path : null, ready: server.state === "running" };
}

/** JupyterHub's Share model. */
export interface ShareModel {
  kind: "share";
  server: SharedServerModel;
  scopes: string[];
  user: { name: string } | null;
  group: { name: string } | null;
  created_at: string;
}

/** JupyterHub's ShareCode model; `code` and the accept URLs only in the answer that created it. */
export interface ShareCodeModel {
  kind: "share-code";
  id: string;
  server: SharedServerModel;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_exchanged_at: string | null;
  exchange_count: number;
  /** Gyre: how many times it may be accepted (null: until it expires) */
  max_exchanges: number | null;
  code?: string;
  accept_url?: string;
  full_accept_url?: string | null;
}

/** A share code's API id, "sc_<n>" as JupyterHub writes it. */
export function shareCodeApiId(id: number): string {
  return `sc_${id}`;
}

export function parseShareCodeApiId(raw: string): number | null {
  const m = /^sc_([1-9][0-9]{0,9})$/.exec(raw);
  return m ? Number(m[1]) : null;
}

/** Why a code cannot be accepted, or "ok". Checked in this order; `now` in ms. */
export type CodeRefusal = "unknown" | "expired" | "used-up" | "own-server";

export function checkCodeExchange(
  code: { expiresAt: Date; maxExchanges: number | null; exchangeCount: number; ownerId: number } | null,
  acceptorId: number,
  nowMs: number,
): CodeRefusal | "ok" {
  if (!code) return "unknown";
  if (code.expiresAt.getTime() <= nowMs) return "expired";
  if (code.maxExchanges !== null && code.exchangeCount >= code.maxExchanges) return "used-up";
  if (code.ownerId === acceptorId) return "own-server";
  return "ok";
}

/** What the accept page and the API say for each refusal. */
export const CODE_REFUSAL_MESSAGES: Record<CodeRefusal, string> = {
  unknown: "This share link is not valid: it may have been revoked, or mistyped.",
  expired: "This share link has expired. Ask the server's owner for a new one.",
  "used-up": "This share link has been used as many times as its owner allowed. Ask them for a new one.",
  "own-server": "This share link is for your own server: you have access already.",
};

/**
 * The proxy's view of all shares: "<owner name>/<server name>" → the owner's id (the proxy lets a
 * share count only for the account it was made on) and the ids of the users who may use that
 * server (users shared with directly, and the members of groups shared with), sorted. Keyed by
 * name, so the proxy can answer a grantee of a stopped server (no route, no owner id) too.
 */
export type ShareMap = Record<string, { owner_id: number; user_ids: number[] }>;

export function buildShareMap(
  rows: ReadonlyArray<{ ownerId: number; ownerName: string; serverName: string; userId: number | null; groupMemberIds: readonly number[] }>,
): ShareMap {
  const sets = new Map<string, { ownerId: number; users: Set<number> }>();
  for (const r of rows) {
    const key = `${r.ownerName}/${r.serverName}`;
    const entry = sets.get(key) ?? { ownerId: r.ownerId, users: new Set<number>() };
    if (r.userId !== null) entry.users.add(r.userId);
    for (const m of r.groupMemberIds) entry.users.add(m);
    // the owner needs no share (a group share may include them)
    entry.users.delete(r.ownerId);
    sets.set(key, entry);
  }
  const out: ShareMap = {};
  for (const [k, e] of sets) if (e.users.size) out[k] = { owner_id: e.ownerId, user_ids: [...e.users].sort((a, b) => a - b) };
  return out;
}
