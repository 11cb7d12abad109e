// GET /hub/api/oauth2/authorize – the OAuth provider's authorization endpoint (JupyterHub's): log in
// first; then a consent page, or straight back to the client with a code when the client is
// trusted (a service with oauthNoConfirm, a server for its owner). A server's client refuses
// whoever may not use the server (403): owner, admins, share grantees and holders of a role whose
// access:servers reaches it may. The code carries the scopes grantScopes allows and the login
// session's id (the tokens it gives end with that session). POST – the consent form: the
// session's CSRF token is required (the Express entry has already refused another Origin);
// Authorize issues the code, Deny sends the browser back with error=access_denied. The consent
// page's Content-Security-Policy lets its form be answered with a redirect to the client's origin.
import { timingSafeEqual } from "node:crypto";
import { getRuntime } from "@/app/_lib/runtime";
import { route, readForm } from "@/app/_lib/http/route";
import { HttpError } from "@/app/_lib/http/errors";
import { hubContentSecurityPolicy, oauthRedirectOrigin, OAUTH_AUTHORIZE_PATH } from "@/app/_lib/http/security";
import { readRequestSession, type SessionInfo } from "@/app/_lib/auth/sessions";
import { servicesOf } from "@/app/_lib/services/registry";
import {
  checkClientAccess,
  grantScopes,
  heldScopes,
  issueCode,
  readAuthorizeRequest,
  resolveAuthorizeRequest,
  withParams,
  type OAuthClient,
} from "@/app/_lib/oauth/provider";
import { CONSENT_CSRF_FIELD, CONSENT_DECISION_FIELD, renderConsentPage } from "@/app/_lib/oauth/consent-page";

export const dynamic = "force-dynamic";

async function session(req: Request) {
  const { db, keys, origins } = getRuntime();
  return readRequestSession(db, req.headers.get("cookie"), keys.sessionCookie, new Date(), origins.scheme === "https:");
}

function redirect(location: string, status: 302 | 303): Response {
  return new Response(null, { status, headers: { location, "cache-control": "no-store" } });
}

/** The scopes the client's token for this session's user will carry; what was asked for and left out is logged, as JupyterHub does. */
async function grant(client: OAuthClient, requested: string | null, s: SessionInfo) {
  const { db, config, log } = getRuntime();
  const g = grantScopes(client, requested, s.user.name, await heldScopes(db, config.roles, s.user));
  if (g.excluded.length)
    log.warn({ client: client.clientId, user: s.user.name, excluded: g.excluded, granted: g.scopes }, "OAuth client asked for scopes it is not granted");
  return g.scopes;
}

export const GET = route(async (req) => {
  const url = new URL(req.url);
  const { db, config, origins } = getRuntime();
  const request = readAuthorizeRequest(url.searchParams);
  const client = await resolveAuthorizeRequest(db, servicesOf(config), request);
  const s = await session(req);
  // Next hands route handlers the path without its basePath (/hub)
  if (!s) return redirect(`/hub/login?${new URLSearchParams({ next: `/hub/api/oauth2/authorize${url.search}` })}`, 302);
  const { trusted } = await checkClientAccess(db, client, s.user, config.roles);
  const scopes = await grant(client, request.scope, s);
  if (trusted) return redirect(await issueCode(db, { client, userId: s.user.id, state: request.state, now: new Date(), scopes, sessionId: s.sessionId }), 302);
  const html = renderConsentPage({
    service: client.name,
    user: s.user.name,
    clientId: client.clientId,
    redirectUri: client.redirectUri,
    state: request.state,
    scope: request.scope,
    scopes,
    csrf: s.csrf,
  });
  // Authorize and Deny are answered with a redirect to the client: the page's form-action names its origin
  const csp = hubContentSecurityPolicy(origins, OAUTH_AUTHORIZE_PATH, [oauthRedirectOrigin(origins, client.redirectUri, client.server?.owner)]);
  return new Response(html, {
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-frame-options": "DENY", "content-security-policy": csp },
  });
});

export const POST = route(async (req) => {
  const form = await readForm(req);
  const { db, config } = getRuntime();
  const request = readAuthorizeRequest(form);
  const client = await resolveAuthorizeRequest(db, servicesOf(config), request);
  const s = await session(req);
  if (!s) throw new HttpError(403, "Log in to the hub first.");
  await checkClientAccess(db, client, s.user, config.roles);
  const sent = Buffer.from(form.get(CONSENT_CSRF_FIELD) ?? "");
  const want = Buffer.from(s.csrf);
  if (sent.length !== want.length || !timingSafeEqual(sent, want)) throw new HttpError(403, "Missing or wrong CSRF token: open the authorization page again.");
  if (form.get(CONSENT_DECISION_FIELD) === "deny")
    return redirect(withParams(client.redirectUri, { error: "access_denied", ...(request.state !== null ? { state: request.state } : {}) }), 303);
  const scopes = await grant(client, request.scope, s);
  return redirect(await issueCode(db, { client, userId: s.user.id, state: request.state, now: new Date(), scopes, sessionId: s.sessionId }), 303);
});
