// The OAuth provider's whole flow through the hub's own handlers (a test hub on SQLite): authorize
// (consent page, Authorize, Deny, CSRF), the token exchange, GET /user and the token list with the
// token. Services' oauthClientAllowedScopes and deprecated oauthRoles bound the scopes a token may
// carry (JupyterHub's filtering: asked-for scopes beyond them, or beyond the user's, are left
// out); the token records the login session that authorized it (session_id), and logging out of
// that session over real HTTP (the hub's Express logout) revokes it, the proxies told, while the
// tokens of the user's other session and API tokens live on.
// Port: the logout router 7561.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type http from "node:http";
import express from "express";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { buildSessionCookie, createSession } from "@/app/_lib/auth/sessions";
import { oauthSessionId } from "@/app/_lib/auth/oauth-session-id";
import { findTokenOwner, hashToken } from "@/app/_lib/auth/api-tokens";
import { selfScopes } from "@/app/_lib/auth/roles";
import { authRouter } from "@/app/_lib/http/auth-routes";
import * as authorizeRoute from "@/app/api/oauth2/authorize/route";
import * as tokenRoute from "@/app/api/oauth2/token/route";
import * as whoRoute from "@/app/api/user/route";
import * as tokensRoute from "@/app/api/users/[name]/tokens/route";

const SECRET = "oauth-flow-secret-".padEnd(48, "x");
const DASH = "d".repeat(43);
const LEGACY = "l".repeat(43);
const PLAIN = "p".repeat(43);
const HUB = "http://127.0.0.1:8081";
let hub: TestHub;
let logoutServer: http.Server;

interface Browser {
  cookie: string;
  csrf: string;
  sessionId: string;
}

async function login(userId: number, name: string): Promise<Browser> {
  const s = await createSession(hub.db, userId, 3600, "test", new Date());
  const cookie = buildSessionCookie({ sid: s.id, user: name, userId, expiresAt: s.expiresAt, key: hub.rt.keys.sessionCookie, secure: false });
  return { cookie: cookie.split(";")[0], csrf: s.csrf, sessionId: s.id };
}

const noParams = { params: Promise.resolve({}) };

async function authorizeGet(b: Browser, query: Record<string, string>): Promise<Response> {
  const req = new Request(`${HUB}/api/oauth2/authorize?${new URLSearchParams({ response_type: "code", ...query })}`, { headers: { cookie: b.cookie } });
  return authorizeRoute.GET(req, noParams);
}

async function authorizePost(b: Browser, fields: Record<string, string>): Promise<Response> {
  const req = new Request(`${HUB}/api/oauth2/authorize`, {
    method: "POST",
    headers: { cookie: b.cookie, "content-type": "application/x-www-form-urlencoded", origin: HUB },
    body: new URLSearchParams({ response_type: "code", ...fields }).toString(),
  });
  return authorizeRoute.POST(req, noParams);
}

async function exchange(clientId: string, secret: string, redirectUri: string, location: string) {
  const code = new URL(location, HUB).searchParams.get("code");
  assert.ok(code, `a code in ${location}`);
  const req = new Request(`${HUB}/api/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, client_id: clientId, client_secret: secret, redirect_uri: redirectUri }).toString(),
  });
  const res = await tokenRoute.POST(req);
  const body = (await res.json()) as { access_token: string; scope: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

async function whoami(token: string) {
  const res = await whoRoute.GET(new Request(`${HUB}/api/user`, { headers: { authorization: `token ${token}` } }), noParams);
  assert.equal(res.status, 200);
  return (await res.json()) as { name: string; scopes: string[]; session_id: string | null; token_id: string };
}

async function tokenModels(b: Browser) {
  const res = await tokensRoute.GET(new Request(`${HUB}/api/users/alice/tokens`, { headers: { cookie: b.cookie } }), {
    params: Promise.resolve({ name: "alice" }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as {
    api_tokens: { id: string; scopes: string[]; session_id: string | null }[];
    oauth_tokens: { id: string; scopes: string[]; session_id: string | null; oauth_client: string }[];
  };
}

/** The whole browser side for a trusted client: authorize answers with a redirect carrying the code. */
async function trustedFlow(b: Browser, clientId: string, secret: string, redirectUri: string, scope?: string) {
  const res = await authorizeGet(b, { client_id: clientId, redirect_uri: redirectUri, state: "st", ...(scope !== undefined ? { scope } : {}) });
  assert.equal(res.status, 302, await res.clone().text());
  return exchange(clientId, secret, redirectUri, res.headers.get("location")!);
}

let alice: { id: number; name: string };

before(async () => {
  hub = await startTestHub({
    catalog: SPAWNER_KINDS,
    config: {
      hub: { secretKey: SECRET },
      roles: [{ name: "reader", scopes: ["read:groups"], users: ["alice"] }],
      services: [
        // asks for consent; may give its tokens read:users of the user, read:groups and admin:users
        { name: "dash", url: "http://127.0.0.1:1", apiToken: DASH, oauthClientAllowedScopes: ["read:users!user", "read:groups", "admin:users"] },
        // JupyterHub's deprecated oauth_roles: the reader role's scopes and the user role's (self)
        { name: "legacy", url: "http://127.0.0.1:2", apiToken: LEGACY, oauthRoles: ["reader", "user"], oauthNoConfirm: true },
        // nothing allowed: its tokens only open the service and identify the user
        { name: "plain", url: "http://127.0.0.1:3", apiToken: PLAIN, oauthNoConfirm: true },
      ],
    } as unknown as Record<string, Record<string, unknown>>,
  });
  alice = await hub.addUser("alice");
  const app = express();
  app.use(authRouter());
  await new Promise<void>((resolve) => {
    logoutServer = app.listen(7561, "127.0.0.1", () => resolve());
  });
});
after(async () => {
  await new Promise((r) => logoutServer?.close(r));
  await hub?.close();
});

test("a consent page names the client and the scopes its token will carry; Authorize gives a token with exactly those: the requested scopes the client is allowed and the user holds", async () => {
  const b = await login(alice.id, "alice");
  const scope = "read:users!user read:groups admin:users list:users identify";
  const page = await authorizeGet(b, { client_id: "service-dash", redirect_uri: "/services/dash/oauth_callback", state: "s1", scope });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<strong>dash<\/strong> \(OAuth client <code>service-dash<\/code>\)/);
  const listed = [...html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]);
  // admin:users: the client may ask, alice does not hold it; list:users: the client may not ask
  assert.deepEqual(listed, ["access:services!service=dash", "read:users!user=alice", "read:groups"]);
  const res = await authorizePost(b, {
    client_id: "service-dash",
    redirect_uri: "/services/dash/oauth_callback",
    state: "s1",
    scope,
    _xsrf: b.csrf,
    decision: "allow",
  });
  assert.equal(res.status, 303);
  const location = new URL(res.headers.get("location")!, HUB);
  assert.equal(location.pathname, "/services/dash/oauth_callback");
  assert.equal(location.searchParams.get("state"), "s1");
  const answer = await exchange("service-dash", DASH, "/services/dash/oauth_callback", res.headers.get("location")!);
  assert.equal(answer.scope, "access:services!service=dash read:users!user=alice read:groups");
  const me = await whoami(answer.access_token);
  assert.equal(me.name, "alice");
  assert.ok(me.scopes.includes("read:users!user=alice") && me.scopes.includes("read:groups") && !me.scopes.includes("admin:users"), me.scopes.join(" "));
  const { oauth_tokens } = await tokenModels(b);
  const id = `a${(await findTokenOwner(hub.db, answer.access_token, new Date()))!.tokenId}`;
  const model = oauth_tokens.find((t) => t.id === id);
  assert.deepEqual(model?.scopes, ["access:services!service=dash", "read:users!user=alice", "read:groups"]);
});

test("no scope asked: all the client is allowed (deprecated oauthRoles mapped onto their roles' scopes, user → self); a client allowed nothing gets the access scope only, whatever it asks", async () => {
  const b = await login(alice.id, "alice");
  const legacy = await trustedFlow(b, "service-legacy", LEGACY, "/services/legacy/oauth_callback");
  assert.deepEqual(legacy.scope.split(" "), ["access:services!service=legacy", "read:groups", ...selfScopes("alice")]);
  const plain = await trustedFlow(b, "service-plain", PLAIN, "/services/plain/oauth_callback", "read:users!user read:groups");
  assert.equal(plain.scope, "access:services!service=plain");
  assert.deepEqual((await findTokenOwner(hub.db, plain.access_token, new Date()))?.scopes, ["access:services!service=plain"]);
  const dashDefault = await authorizeGet(b, { client_id: "service-dash", redirect_uri: "/services/dash/oauth_callback" });
  const listed = [...(await dashDefault.text()).matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]);
  assert.deepEqual(listed, ["access:services!service=dash", "read:users!user=alice", "read:groups"]);
});

test("Deny sends the browser back with error=access_denied and the state, no code; a POST without the session's CSRF token, or with another's, is refused", async () => {
  const b = await login(alice.id, "alice");
  const other = await login(alice.id, "alice");
  const fields = { client_id: "service-dash", redirect_uri: "/services/dash/oauth_callback", state: "s2" };
  const denied = await authorizePost(b, { ...fields, _xsrf: b.csrf, decision: "deny" });
  assert.equal(denied.status, 303);
  const to = new URL(denied.headers.get("location")!, HUB);
  assert.deepEqual(
    [to.pathname, to.searchParams.get("error"), to.searchParams.get("state"), to.searchParams.get("code")],
    ["/services/dash/oauth_callback", "access_denied", "s2", null],
  );
  const before = await hub.db.oAuthCode.count();
  assert.equal((await authorizePost(b, { ...fields, decision: "allow" })).status, 403);
  assert.equal((await authorizePost(b, { ...fields, _xsrf: other.csrf, decision: "allow" })).status, 403);
  assert.equal((await authorizePost(b, { ...fields, _xsrf: b.csrf.slice(1), decision: "deny" })).status, 403);
  assert.equal(await hub.db.oAuthCode.count(), before, "no code issued by a refused POST");
});

test("session_id: a token issued through authorize names the login session (derived, not the cookie's id); logging out of it revokes that session's OAuth tokens and tells the proxies; the other session's tokens and API tokens live on", async () => {
  const a = await login(alice.id, "alice");
  const b = await login(alice.id, "alice");
  const fromA = await trustedFlow(a, "service-plain", PLAIN, "/services/plain/oauth_callback");
  const fromA2 = await trustedFlow(a, "service-legacy", LEGACY, "/services/legacy/oauth_callback");
  const fromB = await trustedFlow(b, "service-plain", PLAIN, "/services/plain/oauth_callback");
  const created = await tokensRoute.POST(
    new Request(`${HUB}/api/users/alice/tokens`, {
      method: "POST",
      headers: { cookie: a.cookie, "x-gyre-csrf": a.csrf, "content-type": "application/json" },
      body: JSON.stringify({ note: "script" }),
    }),
    { params: Promise.resolve({ name: "alice" }) },
  );
  assert.equal(created.status, 201);
  const api = (await created.json()) as { token: string; session_id: string | null };
  assert.equal(api.session_id, null, "an API token made by REST belongs to no session");

  const sidA = oauthSessionId(a.sessionId);
  assert.match(sidA, /^[0-9a-f]{32}$/);
  assert.ok(!sidA.includes(a.sessionId) && sidA !== a.sessionId);
  assert.equal((await whoami(fromA.access_token)).session_id, sidA);
  assert.equal((await whoami(fromB.access_token)).session_id, oauthSessionId(b.sessionId));
  assert.equal((await whoami(api.token)).session_id, null);
  const models = await tokenModels(a);
  const bySession = (sid: string | null) => models.oauth_tokens.filter((t) => t.session_id === sid).length;
  assert.ok(bySession(sidA) >= 2 && bySession(oauthSessionId(b.sessionId)) >= 1);
  assert.ok(models.api_tokens.every((t) => t.session_id === null));

  // log out of session a through the hub's own logout (real HTTP, the form's CSRF token)
  const revocationsBefore = hub.routes.revocations.length;
  const res = await fetch("http://127.0.0.1:7561/hub/logout", {
    method: "POST",
    headers: { cookie: a.cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: a.csrf }).toString(),
    redirect: "manual",
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/hub/login?info=logged-out");
  const now = new Date();
  assert.equal(await findTokenOwner(hub.db, fromA.access_token, now), null, "session a's OAuth token is revoked");
  assert.equal(await findTokenOwner(hub.db, fromA2.access_token, now), null, "all of session a's OAuth tokens");
  assert.equal((await findTokenOwner(hub.db, fromB.access_token, now))?.user.name, "alice", "session b's token lives on");
  assert.equal((await findTokenOwner(hub.db, api.token, now))?.user.name, "alice", "the API token lives on");
  const pushed = hub.routes.revocations.slice(revocationsBefore);
  assert.deepEqual(
    pushed.flatMap((r) => r.sessions ?? []),
    [a.sessionId],
  );
  assert.deepEqual(new Set(pushed.flatMap((r) => r.tokenHashes ?? [])), new Set([hashToken(fromA.access_token), hashToken(fromA2.access_token)]));
});
