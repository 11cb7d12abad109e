// The hub's OAuth2 provider, as JupyterHub's (/hub/api/oauth2/authorize and /token, the
// authorization-code grant), for services and servers logging users in through the hub (HubOAuth,
// jupyterhub-singleuser). Clients are the configured services with a url
// (app/_lib/services/registry.ts; secret: the service's API token) and every spawned server
// (server-clients.ts; secret: the server's JUPYTERHUB_API_TOKEN). Codes are single-use, live
// OAUTH_CODE_TTL_MS, and are stored as their sha256; the access token is an API token of the user
// carrying the client's access scope (access:services!service=<name>,
// access:servers!server=<user>/<server>) plus those of the requested scopes the client is allowed
// (a service's oauthClientAllowedScopes) and the user holds (grantScopes), marked with its client
// (listed as the user's oauth_tokens, revocable like any token).
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/types";
import { HttpError } from "../http/errors";
import { createApiToken } from "../auth/api-tokens";
import { expandScopes, mayGrant, parseScope, serverAccessScope, serviceAccessScope } from "../auth/scopes";
import { roleScopesFor, roleScopesOfUser, selfScopes } from "../auth/roles";
import { userGroupNames } from "../auth/request-auth";
import { oauthSessionId } from "../auth/oauth-session-id";
import type { Service, ServiceRegistry } from "../services/registry";
import type { RoutePusher } from "../servers/proxy-client";
import { serverPath } from "../servers/models";
import { deriveServerApiToken } from "../servers/server-api-token";
import { serverClientCandidates, serverClientId, serverRedirectUri } from "./server-clients";
import { loadRoleAccessMap, rolesGrantServerAccess } from "../auth/role-access";
import { parseRoleAccessMap, roleAllows } from "@/proxy/auth/access";
import type { RoleConfig } from "@/config/roles-section";

/** How long an authorization code may be exchanged (RFC 6749 §4.1.2 recommends at most 10 minutes). */
export const OAUTH_CODE_TTL_MS = 5 * 60_000;

/** An error of the token endpoint, answered as RFC 6749 §5.2 JSON. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: "invalid_request" | "invalid_client" | "invalid_grant" | "unsupported_grant_type",
    description: string,
  ) {
    super(description);
    this.name = "OAuthError";
  }
}

/** What an authorize request names (its query, or the consent form's fields). */
export interface AuthorizeRequest {
  clientId: string | null;
  redirectUri: string | null;
  responseType: string | null;
  state: string | null;
  /** the space-separated scopes the client asks for; null or empty: the client's allowed scopes */
  scope: string | null;
}

/** The authorize request's fields from a query string or a form. */
export function readAuthorizeRequest(p: URLSearchParams): AuthorizeRequest {
  return {
    clientId: p.get("client_id"),
    redirectUri: p.get("redirect_uri"),
    responseType: p.get("response_type"),
    state: p.get("state"),
    scope: p.get("scope"),
  };
}

/**
 * The client of a valid authorize request. Refused with a 400 — never a redirect — when the client
 * is unknown or the redirect URI is not exactly the registered one (else the code could be sent to
 * anyone's address). Pure.
 */
export function checkAuthorizeRequest(registry: ServiceRegistry, r: AuthorizeRequest): Service & { oauth: NonNullable<Service["oauth"]> } {
  const service = r.clientId ? registry.byClientId(r.clientId) : undefined;
  if (!service?.oauth) throw new HttpError(400, `Unknown OAuth client: ${r.clientId ?? "(no client_id)"}.`);
  if (r.redirectUri !== null && r.redirectUri !== service.oauth.redirectUri)
    throw new HttpError(400, `redirect_uri does not match the one registered for ${service.oauth.clientId}.`);
  if (r.responseType !== "code") throw new HttpError(400, 'Only response_type "code" is supported (the authorization-code grant).');
  return service as Service & { oauth: NonNullable<Service["oauth"]> };
}

/** A spawned server as an OAuth client (server-clients.ts). */
export interface ServerClientRecord {
  serverId: number;
  ownerId: number;
  owner: string;
  /** "" for the default server */
  name: string;
  spawnId: string;
  /** the server's state: only a starting or running server's client may exchange codes */
  state: string;
}

/** An OAuth client of the hub: a configured service or a spawned server. */
export interface OAuthClient {
  clientId: string;
  redirectUri: string;
  /** who is asking, as the consent page and the token's note name it */
  name: string;
  /** the scope the access tokens carry (what HubOAuth checks) */
  scope: string;
  /** the scopes its tokens may carry besides `scope`, unexpanded (a server's: none, as JupyterHub's default) */
  allowedScopes: readonly string[];
  service?: Service;
  server?: ServerClientRecord;
}

/** A service's client. */
export function serviceClient(service: Service & { oauth: NonNullable<Service["oauth"]> }): OAuthClient {
  return {
    clientId: service.oauth.clientId,
    redirectUri: service.oauth.redirectUri,
    name: service.name,
    scope: serviceAccessScope(service.name),
    allowedScopes: service.oauth.allowedScopes,
    service,
  };
}

/** A server's client. */
export function serverClient(r: ServerClientRecord): OAuthClient {
  const label = r.name ? `${r.owner}/${r.name}` : r.owner;
  return {
    clientId: serverClientId(r.owner, r.name),
    redirectUri: serverRedirectUri(serverPath(r.owner, r.name)),
    name: `Server ${label}`,
    scope: serverAccessScope(r.owner, r.name),
    allowedScopes: [],
    server: r,
  };
}

/**
 * The spawned server whose client id is `clientId` (and whose redirect URI is `redirectUri`, when
 * given, which settles ids that several (user, server) pairs could make); undefined when none, or
 * when the id stays ambiguous.
 */
export async function findServerClient(db: Db, clientId: string, redirectUri: string | null): Promise<OAuthClient | undefined> {
  const candidates = serverClientCandidates(clientId);
  if (!candidates.length) return undefined;
  const rows = await db.server.findMany({
    where: { spawnId: { not: null }, OR: candidates.map((c) => ({ name: c.server, user: { name: c.user } })) },
    select: { id: true, name: true, spawnId: true, state: true, userId: true, user: { select: { name: true } } },
  });
  const clients = rows
    .map((r) => serverClient({ serverId: r.id, ownerId: r.userId, owner: r.user.name, name: r.name, spawnId: r.spawnId!, state: r.state }))
    .filter((c) => c.clientId === clientId && (redirectUri === null || c.redirectUri === redirectUri));
  return clients.length === 1 ? clients[0] : undefined;
}

/** The client a request names: a service's, else a server's. */
export async function findClient(db: Db, registry: ServiceRegistry, clientId: string | null, redirectUri: string | null): Promise<OAuthClient | undefined> {
  if (!clientId) return undefined;
  const service = registry.byClientId(clientId);
  if (service?.oauth) return serviceClient(service as Service & { oauth: NonNullable<Service["oauth"]> });
  return findServerClient(db, clientId, redirectUri);
}

/**
 * The client of a valid authorize request, services' and servers' alike; refused with a 400 as
 * checkAuthorizeRequest refuses.
 */
export async function resolveAuthorizeRequest(db: Db, registry: ServiceRegistry, r: AuthorizeRequest): Promise<OAuthClient> {
  const client = await findClient(db, registry, r.clientId, r.redirectUri);
  if (!client) throw new HttpError(400, `Unknown OAuth client: ${r.clientId ?? "(no client_id)"}.`);
  if (r.redirectUri !== null && r.redirectUri !== client.redirectUri)
    throw new HttpError(400, `redirect_uri does not match the one registered for ${client.clientId}.`);
  if (r.responseType !== "code") throw new HttpError(400, 'Only response_type "code" is supported (the authorization-code grant).');
  return client;
}

/**
 * Whether `user` may be logged in to the client. A service decides itself whom it serves; a
 * server is for its owner, admins, those it is shared with (directly or through a group) and those
 * whose configured roles' access:servers reach it (`roles`: the role access map resolved as for the
 * proxy's snapshot, and read by the proxy's own roleAllows), as the proxy lets them in: anyone else
 * is refused here too (403), so no token for the server is ever issued to them. `trusted`: no
 * consent page (a service with oauthNoConfirm, a server's owner; JupyterHub asks others before a
 * server learns who they are).
 */
export async function checkClientAccess(
  db: Db,
  client: OAuthClient,
  user: { id: number; name: string; admin: boolean },
  roles: readonly RoleConfig[] = [],
): Promise<{ trusted: boolean }> {
  if (client.service) return { trusted: client.service.oauth?.noConfirm === true };
  const server = client.server!;
  if (user.id === server.ownerId) return { trusted: true };
  if (user.admin) return { trusted: false };
  const shared = await db.share.count({
    where: { serverId: server.serverId, OR: [{ userId: user.id }, { group: { members: { some: { userId: user.id } } } }] },
  });
  if (shared) return { trusted: false };
  if (rolesGrantServerAccess(roles)) {
    const grants = parseRoleAccessMap(await loadRoleAccessMap(db, roles));
    if (roleAllows(grants?.get(user.id), server.ownerId, server.name)) return { trusted: false };
  }
  throw new HttpError(403, `You do not have access to ${server.owner}'s server.`);
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/** What an authorize request is granted: the scopes the token will carry, and those asked for but left out. */
export interface ScopeGrant {
  scopes: string[];
  excluded: string[];
}

/**
 * The scopes a token of `client` for `user` carries, as JupyterHub's provider decides them: the
 * client's access scope always; of the requested scopes (none asked: all the client is allowed),
 * those the client is allowed AND the user holds — a filtered form of an allowed or held scope
 * counts (read:users!user=alice under read:users). Others are left out, not refused (JupyterHub
 * logs "granting only …"); so are unknown names and the deprecated "identify". "self" and bare
 * "!user" filters mean the user who logs in. `held`: the user's expanded scopes ("inherit" for an
 * admin). Pure.
 */
export function grantScopes(
  client: Pick<OAuthClient, "scope" | "allowedScopes">,
  requested: string | null,
  user: string,
  held: ReadonlySet<string>,
): ScopeGrant {
  const forUser = (list: readonly string[]) => roleScopesFor({ scopes: [...list] }, { kind: "user", name: user }).filter((s) => parseScope(s) !== null);
  const allowed = forUser(client.allowedScopes);
  // (an empty list must stay empty: expandScopes reads "no scopes" as a token's inherit)
  const allowedSet = allowed.length ? expandScopes(allowed) : new Set<string>();
  const asked = requested?.trim() ? [...new Set(requested.trim().split(/\s+/))].filter((s) => s !== "identify" && s !== client.scope) : null;
  const scopes = [client.scope];
  for (const s of asked ? forUser(asked) : allowed) if (!scopes.includes(s) && mayGrant(allowedSet, [s]) && mayGrant(held, [s])) scopes.push(s);
  // an asked-for scope is left out when any of what it names for the user is (an unknown name names nothing)
  const excluded = (asked ?? []).filter((s) => {
    const named = forUser([s]);
    return !named.length || named.some((n) => !scopes.includes(n));
  });
  return { scopes, excluded };
}

/** The scopes `user` holds, expanded: an admin everything ("inherit"); others their own resources and their configured roles' scopes. */
export async function heldScopes(db: Db, roles: readonly RoleConfig[], user: { name: string; admin: boolean }): Promise<Set<string>> {
  if (user.admin) return new Set(["inherit"]);
  const groups = roles.some((r) => r.groups.length) ? await userGroupNames(db, user.name) : [];
  return new Set([...expandScopes(selfScopes(user.name)), ...roleScopesOfUser(roles, { ...user, groups })]);
}

/** Issues a code for `userId` and the client carrying `scopes` (grantScopes), and the URL to send the browser to (code and state added). */
export async function issueCode(
  db: Db,
  o: { client: OAuthClient; userId: number; state: string | null; now: Date; scopes?: readonly string[]; sessionId?: string },
): Promise<string> {
  const code = randomBytes(32).toString("base64url");
  await db.oAuthCode.create({
    data: {
      codeHash: sha256(code),
      clientId: o.client.clientId,
      userId: o.userId,
      redirectUri: o.client.redirectUri,
      scopes: (o.scopes ?? [o.client.scope]).join(" "),
      expiresAt: new Date(o.now.getTime() + OAUTH_CODE_TTL_MS),
      // the login session that authorized it (derived id): its tokens end when that session does
      sessionId: o.sessionId ? oauthSessionId(o.sessionId) : null,
    },
  });
  return withParams(o.client.redirectUri, { code, ...(o.state !== null ? { state: o.state } : {}) });
}

/**
 * Whether `secret` is the client's: a service's API token (compared by hash in constant time,
 * registry.byToken), or the server's JUPYTERHUB_API_TOKEN while the server is starting or running
 * (the token is revoked when it stops).
 */
function secretMatches(client: OAuthClient, secret: string, registry: ServiceRegistry, secretKey: string): boolean {
  if (client.service) return registry.byToken(secret) === client.service;
  const server = client.server!;
  if (server.state !== "running" && server.state !== "starting") return false;
  const want = Buffer.from(sha256(deriveServerApiToken(secretKey, server.spawnId)));
  return timingSafeEqual(Buffer.from(sha256(secret)), want);
}

/** `uri` (a path or an absolute URL) with these query parameters added. Pure. */
export function withParams(uri: string, params: Record<string, string>): string {
  const u = new URL(uri, "http://placeholder");
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return uri.startsWith("/") ? u.pathname + u.search : u.toString();
}

/** The client's credentials: form fields, or HTTP Basic (RFC 6749 §2.3.1). */
function clientCredentials(form: URLSearchParams, authorization: string | null): { id: string; secret: string } | null {
  const basic = authorization && /^basic\s+(\S+)$/i.exec(authorization);
  if (basic) {
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i > 0) return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
  }
  const id = form.get("client_id");
  const secret = form.get("client_secret");
  return id && secret ? { id, secret } : null;
}

/** JupyterHub's token answer (oauthlib's). */
export interface TokenAnswer {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
}

/**
 * POST /hub/api/oauth2/token: exchanges a code for an access token. The code is spent by the first
 * exchange that names it, whatever follows: a code that was seen once never works again.
 */
export async function exchangeCode(
  db: Db,
  registry: ServiceRegistry,
  o: { form: URLSearchParams; authorization: string | null; now: Date; tokenLifetimeSeconds: number; secretKey: string },
): Promise<TokenAnswer> {
  const grant = o.form.get("grant_type");
  if (grant !== "authorization_code") throw new OAuthError(400, "unsupported_grant_type", 'Only grant_type "authorization_code" is supported.');
  const creds = clientCredentials(o.form, o.authorization);
  const client = creds ? await findClient(db, registry, creds.id, o.form.get("redirect_uri")) : undefined;
  if (!creds || !client || !secretMatches(client, creds.secret, registry, o.secretKey))
    throw new OAuthError(401, "invalid_client", "Unknown client or wrong client secret.");
  const code = o.form.get("code");
  if (!code) throw new OAuthError(400, "invalid_request", "code is missing.");
  const row = await db.oAuthCode.findUnique({ where: { codeHash: sha256(code) } });
  if (!row) throw new OAuthError(400, "invalid_grant", "Unknown authorization code.");
  const spent = await db.oAuthCode.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: o.now } });
  if (spent.count !== 1) throw new OAuthError(400, "invalid_grant", "This authorization code has been used already.");
  if (row.clientId !== client.clientId || row.redirectUri !== client.redirectUri)
    throw new OAuthError(400, "invalid_grant", "This authorization code was issued to another client.");
  if (row.expiresAt <= o.now) throw new OAuthError(400, "invalid_grant", "This authorization code has expired.");
  if ((o.form.get("redirect_uri") ?? row.redirectUri) !== row.redirectUri)
    throw new OAuthError(400, "invalid_grant", "redirect_uri does not match the authorization request.");
  const user = await db.user.findUnique({ where: { id: row.userId }, select: { blockedAt: true } });
  if (!user || user.blockedAt) throw new OAuthError(400, "invalid_grant", "The user of this code cannot log in.");
  const scopes = row.scopes ? row.scopes.split(" ") : [];
  const { token } = await createApiToken(db, row.userId, {
    note: `OAuth: ${client.name}`,
    scopes,
    expiresAt: new Date(o.now.getTime() + o.tokenLifetimeSeconds * 1000),
    oauthClient: client.clientId,
    sessionId: row.sessionId,
  });
  return { access_token: token, token_type: "Bearer", expires_in: o.tokenLifetimeSeconds, scope: scopes.join(" ") };
}

/**
 * A server's record is gone, and with it its OAuth client: the tokens the client issued (to its
 * owner, admins, those it was shared with) are revoked, and the proxies told, as JupyterHub
 * deletes a removed server's client with its tokens — else a server created again under the same
 * name would accept them. Only tokens carrying this server's access scope: another (user, server)
 * pair can make the same client id. Returns how many were revoked.
 */
export async function revokeServerClientTokens(db: Db, proxy: Pick<RoutePusher, "revoke">, o: { owner: string; server: string; now: Date }): Promise<number> {
  const where = { oauthClient: serverClientId(o.owner, o.server), scopes: serverAccessScope(o.owner, o.server), revokedAt: null };
  const tokens = await db.apiToken.findMany({ where, select: { id: true, hash: true } });
  if (!tokens.length) return 0;
  await db.apiToken.updateMany({ where: { id: { in: tokens.map((t) => t.id) }, revokedAt: null }, data: { revokedAt: o.now } });
  await proxy.revoke({ tokenHashes: tokens.map((t) => t.hash) });
  return tokens.length;
}
