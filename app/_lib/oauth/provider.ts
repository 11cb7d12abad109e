// The hub's OAuth2 provider, as JupyterHub's (/hub/api/oauth2/authorize and /token, the
// authorization-code grant), for services logging users in through the hub (HubOAuth). Clients
// are the configured services with a url (app/_lib/services/registry.ts); a client's secret is its
// API token. Codes are single-use, live OAUTH_CODE_TTL_MS, and are stored as their sha256; the
// access token is an API token of the user carrying only access:services!service=<name>, marked
// with its client (listed as the user's oauth_tokens, revocable like any token).
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db/types";
import { HttpError } from "../http/errors";
import { createApiToken } from "../auth/api-tokens";
import { serviceAccessScope } from "../auth/scopes";
import type { Service, ServiceRegistry } from "../services/registry";

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
}

/** The authorize request's fields from a query string or a form. */
export function readAuthorizeRequest(p: URLSearchParams): AuthorizeRequest {
  return { clientId: p.get("client_id"), redirectUri: p.get("redirect_uri"), responseType: p.get("response_type"), state: p.get("state") };
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

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/** Issues a code for `userId` and the client, and the URL to send the browser to (code and state added). */
export async function issueCode(
  db: Db,
  o: { service: Service & { oauth: NonNullable<Service["oauth"]> }; userId: number; state: string | null; now: Date },
): Promise<string> {
  const code = randomBytes(32).toString("base64url");
  await db.oAuthCode.create({
    data: {
      codeHash: sha256(code),
      clientId: o.service.oauth.clientId,
      userId: o.userId,
      redirectUri: o.service.oauth.redirectUri,
      scopes: serviceAccessScope(o.service.name),
      expiresAt: new Date(o.now.getTime() + OAUTH_CODE_TTL_MS),
    },
  });
  return withParams(o.service.oauth.redirectUri, { code, ...(o.state !== null ? { state: o.state } : {}) });
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
  o: { form: URLSearchParams; authorization: string | null; now: Date; tokenLifetimeSeconds: number },
): Promise<TokenAnswer> {
  const grant = o.form.get("grant_type");
  if (grant !== "authorization_code") throw new OAuthError(400, "unsupported_grant_type", 'Only grant_type "authorization_code" is supported.');
  const creds = clientCredentials(o.form, o.authorization);
  const client = creds ? registry.byClientId(creds.id) : undefined;
  // the secret is the service's API token: compared by hash, in constant time (registry.byToken)
  if (!creds || !client?.oauth || registry.byToken(creds.secret) !== client)
    throw new OAuthError(401, "invalid_client", "Unknown client or wrong client secret.");
  const code = o.form.get("code");
  if (!code) throw new OAuthError(400, "invalid_request", "code is missing.");
  const row = await db.oAuthCode.findUnique({ where: { codeHash: sha256(code) } });
  if (!row) throw new OAuthError(400, "invalid_grant", "Unknown authorization code.");
  const spent = await db.oAuthCode.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: o.now } });
  if (spent.count !== 1) throw new OAuthError(400, "invalid_grant", "This authorization code has been used already.");
  if (row.clientId !== client.oauth.clientId) throw new OAuthError(400, "invalid_grant", "This authorization code was issued to another client.");
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
    oauthClient: client.oauth.clientId,
  });
  return { access_token: token, token_type: "Bearer", expires_in: o.tokenLifetimeSeconds, scope: scopes.join(" ") };
}
