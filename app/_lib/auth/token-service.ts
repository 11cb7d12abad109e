// What the token and session REST endpoints do, beyond parsing and permission checks: create a
// token (rate-limited, scopes no wider than the creator's), list, read, revoke; revoke a user's
// sessions. Route files stay thin and call these.
import type { Db } from "../db/types";
import { HttpError } from "../http/errors";
import { getUserOrThrow } from "@/app/_lib/users/queries";
import { createApiToken, getApiToken, listApiTokens, parseTokenApiId, revokeApiToken, toTokenModel, type TokenModel } from "./api-tokens";
import { takeRateLimitSlot } from "./rate-limit";
import { revokeUserSessions, type RevocationPusher } from "./sessions";
import { ADMIN_ONLY_SCOPES, baseScope, mayGrant, unknownScopes, TOKEN_SCOPES } from "./scopes";
import { userGroupNames, type Principal } from "./request-auth";
import { roleScopesOfUser, scopesOfTokenRoles } from "./roles";
import type { RoleConfig } from "@/config/roles-section";

/** Token creations allowed per user within TOKEN_RATE_WINDOW_SECONDS. */
export const TOKEN_RATE_LIMIT = 20;
export const TOKEN_RATE_WINDOW_SECONDS = 600;
/** Longest expiry a token may ask for (one year); no expiry is allowed too. */
export const MAX_TOKEN_EXPIRES_IN_SECONDS = 366 * 24 * 3600;

/** Input of POST /hub/api/users/{name}/tokens (JupyterHub's fields). */
export interface CreateTokenInput {
  note?: string;
  /** seconds until it expires; absent/null/0: never */
  expires_in?: number | null;
  scopes?: string[];
  /** role names, evaluated to scopes now (JupyterHub's older way; not together with scopes) */
  roles?: string[];
}

/**
 * Creates a token for `name`: the caller themselves, or any user when the caller is an admin (as
 * JupyterHub's admins may, e.g. a token for a culler's account). Returns the model plus the token,
 * shown once. The token's scopes never exceed the caller's token nor the owner's rights.
 */
export async function createTokenFor(
  db: Db,
  actor: Principal,
  name: string,
  input: CreateTokenInput,
  now: Date,
  roles: readonly RoleConfig[] = [],
): Promise<TokenModel & { token: string }> {
  if (actor.user.name !== name && !actor.user.admin) throw new HttpError(403, "You may only create API tokens for yourself.");
  const user = await getUserOrThrow(db, name);
  if (input.roles?.length && input.scopes?.length) throw new HttpError(400, "Give either roles or scopes for a new token, not both.");
  const holder = { name: user.name, admin: user.admin, groups: roles.length ? await userGroupNames(db, user.name) : [] };
  const scopes = input.roles?.length ? scopesOfTokenRoles(roles, holder, input.roles) : [...new Set(input.scopes ?? [])];
  const unknown = unknownScopes(scopes);
  if (unknown.length) throw new HttpError(400, `Unknown scope(s) ${unknown.join(", ")}: use ${Object.keys(TOKEN_SCOPES).join(", ")}.`);
  // admin-only scopes: on admins' tokens, or where the owner's configured roles grant them
  const roleScopes = roleScopesOfUser(roles, holder);
  const adminOnly = scopes.filter((s) => (ADMIN_ONLY_SCOPES as readonly string[]).includes(baseScope(s)) && !mayGrant(roleScopes, [s]));
  if (adminOnly.length && !user.admin)
    throw new HttpError(403, `Only admins' tokens may have the scope(s) ${adminOnly.map((s) => `"${s}"`).join(", ")}: ${user.name} is not an admin.`);
  if (!mayGrant(actor.scopes, scopes)) throw new HttpError(403, "A token cannot create a token with more scopes than it has itself.");
  if (input.expires_in && input.expires_in > MAX_TOKEN_EXPIRES_IN_SECONDS)
    throw new HttpError(400, `expires_in: at most ${MAX_TOKEN_EXPIRES_IN_SECONDS} seconds (a year); omit it for a token that does not expire.`);
  if (!(await takeRateLimitSlot(db, `token-create:${user.id}`, TOKEN_RATE_LIMIT, TOKEN_RATE_WINDOW_SECONDS, now))) {
    throw new HttpError(429, `Too many tokens created: at most ${TOKEN_RATE_LIMIT} per ${TOKEN_RATE_WINDOW_SECONDS / 60} minutes.`);
  }
  const expiresAt = input.expires_in ? new Date(now.getTime() + input.expires_in * 1000) : null;
  const { token, row } = await createApiToken(db, user.id, { note: input.note ?? "", scopes, expiresAt });
  return { ...toTokenModel(row, user.name), token };
}

/** The user's usable tokens, for themselves or an admin. */
export async function listTokensOf(db: Db, name: string, now: Date): Promise<TokenModel[]> {
  const user = await getUserOrThrow(db, name);
  return (await listApiTokens(db, user.id, now)).map((r) => toTokenModel(r, user.name));
}

/** One token's model; 404 when it is not the user's usable token. */
export async function getTokenOf(db: Db, name: string, apiId: string, now: Date): Promise<TokenModel> {
  const user = await getUserOrThrow(db, name);
  const id = parseTokenApiId(apiId);
  const row = id === null ? null : await getApiToken(db, user.id, id, now);
  if (!row) throw new HttpError(404, `No such token: ${apiId.slice(0, 20)}`);
  return toTokenModel(row, user.name);
}

/** Revokes one token; 404 when it is not the user's usable token. */
export async function revokeTokenOf(db: Db, proxy: RevocationPusher, name: string, apiId: string, now: Date): Promise<void> {
  const user = await getUserOrThrow(db, name);
  const id = parseTokenApiId(apiId);
  if (id === null || !(await revokeApiToken(db, proxy, { userId: user.id, id, now }))) throw new HttpError(404, `No such token: ${apiId.slice(0, 20)}`);
}

/** Revokes every session of a user (they must log in again everywhere); returns how many. */
export async function revokeSessionsOf(db: Db, proxy: RevocationPusher, name: string, now: Date): Promise<number> {
  const user = await getUserOrThrow(db, name);
  return revokeUserSessions(db, proxy, { userId: user.id, now });
}
