// The OAuth provider against a real database: codes are single-use, short-lived, bound to their
// client and redirect URI; the client secret is checked; the access token identifies the user with
// only access:services!service=<name>, and is listed as an OAuth token of the user. Servers' clients:
// found by id and redirect URI, who may authorize, their secret, revocation with the server.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { findTokenOwner, listApiTokens, toTokenModel } from "@/app/_lib/auth/api-tokens";
import { HttpError } from "@/app/_lib/http/errors";
import { servicesOf, type ServiceRegistry } from "@/app/_lib/services/registry";
import { deriveServerApiToken } from "@/app/_lib/servers/server-api-token";
import {
  checkAuthorizeRequest,
  checkClientAccess,
  exchangeCode,
  issueCode,
  resolveAuthorizeRequest,
  revokeServerClientTokens,
  serviceClient,
  OAUTH_CODE_TTL_MS,
  OAuthError,
  type AuthorizeRequest,
} from "./provider";
import { createGroup } from "@/app/_lib/groups/groups";
import { buildSessionCookie, createSession } from "@/app/_lib/auth/sessions";
import type { RoleConfig } from "@/config/roles-section";
import * as authorizeRoute from "@/app/api/oauth2/authorize/route";

const SECRET_A = "a".repeat(43);
const SECRET_B = "b".repeat(43);
let hub: TestHub;
let reg: ServiceRegistry;
let alice: { id: number };

before(async () => {
  hub = await startTestHub({
    catalog: SPAWNER_KINDS,
    config: {
      services: [
        { name: "dash", url: "http://127.0.0.1:1", apiToken: SECRET_A },
        {
          name: "other",
          url: "http://127.0.0.1:2",
          apiToken: SECRET_B,
          oauthClientId: "other-app",
          oauthRedirectUri: "https://other.example/cb",
          oauthNoConfirm: true,
        },
        { name: "headless", apiToken: "h".repeat(43) },
      ],
    } as unknown as Record<string, Record<string, unknown>>,
  });
  reg = servicesOf(hub.rt.config);
  alice = await hub.addUser("alice");
});
after(async () => {
  await hub?.close();
});

const req = (o: Partial<AuthorizeRequest>): AuthorizeRequest => ({
  clientId: "service-dash",
  redirectUri: "/services/dash/oauth_callback",
  responseType: "code",
  state: "s1",
  scope: null,
  ...o,
});

async function code(service = "dash", now = new Date()): Promise<string> {
  const s = checkAuthorizeRequest(reg, req(service === "dash" ? {} : { clientId: "other-app", redirectUri: "https://other.example/cb" }));
  const location = await issueCode(hub.db, { client: serviceClient(s), userId: alice.id, state: "xyz", now });
  const u = new URL(location, "http://x");
  assert.equal(u.searchParams.get("state"), "xyz");
  return u.searchParams.get("code")!;
}

function form(fields: Record<string, string>): URLSearchParams {
  return new URLSearchParams({
    grant_type: "authorization_code",
    client_id: "service-dash",
    client_secret: SECRET_A,
    redirect_uri: "/services/dash/oauth_callback",
    ...fields,
  });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OAuthError) return `${e.status} ${e.error}: ${e.message}`;
    throw e;
  }
  return "accepted";
}

test("authorize: an unknown client, a service without a url, a redirect URI that is not exactly the registered one, another response type: 400, no redirect", () => {
  const bad = (o: Partial<AuthorizeRequest>) =>
    assert.throws(
      () => checkAuthorizeRequest(reg, req(o)),
      (e) => e instanceof HttpError && e.status === 400,
    );
  bad({ clientId: "nope" });
  bad({ clientId: "service-headless" });
  bad({ redirectUri: "/services/dash/oauth_callback/" });
  bad({ redirectUri: "https://evil.example/services/dash/oauth_callback" });
  bad({ redirectUri: "/services/other/oauth_callback" });
  bad({ responseType: "token" });
  assert.equal(checkAuthorizeRequest(reg, req({ redirectUri: null })).name, "dash");
  assert.equal(checkAuthorizeRequest(reg, req({ clientId: "other-app", redirectUri: "https://other.example/cb" })).oauth.noConfirm, true);
});

test("token: a code gives one access token for the user, with only access to the service, listed as an OAuth token; the code never works twice", async () => {
  const c = await code();
  const now = new Date();
  const answer = await exchangeCode(hub.db, reg, { form: form({ code: c }), authorization: null, now, tokenLifetimeSeconds: 3600, secretKey: "k" });
  assert.equal(answer.token_type, "Bearer");
  assert.equal(answer.scope, "access:services!service=dash");
  const owner = await findTokenOwner(hub.db, answer.access_token, now);
  assert.equal(owner?.user.name, "alice");
  assert.deepEqual(owner?.scopes, ["access:services!service=dash"]);
  const listed = (await listApiTokens(hub.db, alice.id, now)).map((r) => toTokenModel(r, "alice"));
  assert.deepEqual(
    listed.map((t) => [t.oauth_client, t.note]),
    [["service-dash", "OAuth: dash"]],
  );
  assert.match(
    await refusal(exchangeCode(hub.db, reg, { form: form({ code: c }), authorization: null, now, tokenLifetimeSeconds: 3600, secretKey: "k" })),
    /^400 invalid_grant: .*used already/,
  );
});

test("token refusals: wrong client secret, another client's code, a redirect URI mismatch, an expired code, an unknown code, another grant type", async () => {
  const now = new Date();
  const ex = (f: URLSearchParams, authorization: string | null = null) =>
    refusal(exchangeCode(hub.db, reg, { form: f, authorization, now, tokenLifetimeSeconds: 60, secretKey: "k" }));
  assert.match(await ex(form({ code: await code(), client_secret: SECRET_B })), /^401 invalid_client/);
  assert.match(await ex(form({ code: await code(), client_secret: "" })), /^401 invalid_client/);
  // Basic auth with the wrong secret, too
  assert.match(
    await ex(
      new URLSearchParams({ grant_type: "authorization_code", code: await code() }),
      `Basic ${Buffer.from(`service-dash:${SECRET_B}`).toString("base64")}`,
    ),
    /^401 invalid_client/,
  );
  // dash's code, presented by the other client with its own (right) secret
  assert.match(
    await ex(form({ code: await code(), client_id: "other-app", client_secret: SECRET_B, redirect_uri: "https://other.example/cb" })),
    /^400 invalid_grant: .*another client/,
  );
  assert.match(await ex(form({ code: await code(), redirect_uri: "/services/dash/elsewhere" })), /^400 invalid_grant: redirect_uri/);
  const old = await code("dash", new Date(now.getTime() - OAUTH_CODE_TTL_MS - 1000));
  assert.match(await ex(form({ code: old })), /^400 invalid_grant: .*expired/);
  assert.match(await ex(form({ code: "x".repeat(43) })), /^400 invalid_grant: Unknown/);
  assert.match(await ex(form({ code: await code(), grant_type: "password" })), /^400 unsupported_grant_type/);
  // Basic auth with the right secret works
  const ok = await ex(
    new URLSearchParams({ grant_type: "authorization_code", code: await code() }),
    `Basic ${Buffer.from(`service-dash:${SECRET_A}`).toString("base64")}`,
  );
  assert.equal(ok, "accepted");
  // nothing above minted a token but the two accepted exchanges
  assert.equal((await listApiTokens(hub.db, alice.id, now)).length, 2);
});

test("servers' clients: found by id and redirect URI (ambiguous ids told apart), who may authorize, the server's API token as secret while it runs, tokens revoked with the client", async () => {
  const { db } = hub;
  const key = hub.rt.config.hub.secretKey;
  const owner = await hub.addUser("a-b");
  const other = await hub.addUser("a");
  const admin = await hub.addUser("root-admin", true);
  const friend = await hub.addUser("friend");
  const stranger = await hub.addUser("stranger");
  // "jupyterhub-user-a-b-c" is a-b's server "c" and a's server "b-c"
  const mine = await db.server.create({ data: { userId: owner.id, name: "c", state: "running", spawnId: "sp-mine" } });
  await db.server.create({ data: { userId: other.id, name: "b-c", state: "running", spawnId: "sp-other" } });
  await db.server.create({ data: { userId: owner.id, name: "never", state: "stopped" } });
  await db.share.create({ data: { serverId: mine.id, userId: friend.id, scopes: "access:servers!server=a-b/c" } });
  const authorize = (clientId: string, redirectUri: string | null) => resolveAuthorizeRequest(db, reg, req({ clientId, redirectUri }));

  const client = await authorize("jupyterhub-user-a-b-c", "/user/a-b/c/oauth_callback");
  assert.deepEqual([client.server?.owner, client.server?.name, client.scope], ["a-b", "c", "access:servers!server=a-b/c"]);
  assert.equal((await authorize("jupyterhub-user-a-b-c", "/user/a/b-c/oauth_callback")).server?.owner, "a");
  const status = (p: Promise<unknown>) =>
    p.then(
      () => 200,
      (e: unknown) => (e instanceof HttpError ? e.status : 500),
    );
  assert.equal(await status(authorize("jupyterhub-user-a-b-c", null)), 400, "ambiguous without a redirect URI");
  assert.equal(await status(authorize("jupyterhub-user-a-b-c", "/user/a-b/oauth_callback")), 400);
  assert.equal(await status(authorize("jupyterhub-user-a-b-never", "/user/a-b/never/oauth_callback")), 400, "never spawned: no client");
  assert.equal(await status(authorize("jupyterhub-user-nobody", "/user/nobody/oauth_callback")), 400);

  assert.deepEqual(await checkClientAccess(db, client, { ...owner, admin: false }), { trusted: true });
  assert.deepEqual(await checkClientAccess(db, client, { ...admin, admin: true }), { trusted: false });
  assert.deepEqual(await checkClientAccess(db, client, { ...friend, admin: false }), { trusted: false });
  assert.equal(await status(checkClientAccess(db, client, { ...stranger, admin: false })), 403);
  assert.equal(await status(checkClientAccess(db, client, { ...other, admin: false })), 403, "the owner of the other server with the same client id");

  const now = new Date();
  const serverCode = async () => new URL(await issueCode(db, { client, userId: owner.id, state: null, now }), "http://h").searchParams.get("code")!;
  const exchange = async (secret: string) =>
    exchangeCode(db, reg, {
      form: form({ code: await serverCode(), client_id: "jupyterhub-user-a-b-c", client_secret: secret, redirect_uri: "/user/a-b/c/oauth_callback" }),
      authorization: null,
      now,
      tokenLifetimeSeconds: 60,
      secretKey: key,
    });
  assert.match(await refusal(exchange(deriveServerApiToken(key, "sp-other"))), /^401 invalid_client/, "the other server's token");
  const answer = await exchange(deriveServerApiToken(key, "sp-mine"));
  assert.equal(answer.scope, "access:servers!server=a-b/c");
  assert.deepEqual((await findTokenOwner(db, answer.access_token, now))?.scopes, ["access:servers!server=a-b/c"]);
  await db.server.update({ where: { id: mine.id }, data: { state: "stopped" } });
  assert.match(await refusal(exchange(deriveServerApiToken(key, "sp-mine"))), /^401 invalid_client/, "a stopped server's token is revoked");

  // the server deleted: its client goes, its tokens are revoked and the proxies told
  const told: string[][] = [];
  await db.server.delete({ where: { id: mine.id } });
  assert.equal(await revokeServerClientTokens(db, { revoke: async (r) => void told.push(r.tokenHashes ?? []) }, { owner: "a-b", server: "c", now }), 1);
  assert.equal(told.length, 1);
  assert.equal(await findTokenOwner(db, answer.access_token, now), null);
  assert.equal(await status(authorize("jupyterhub-user-a-b-c", "/user/a-b/c/oauth_callback")), 400);
});

test("servers' clients and roles: holders of a role whose access:servers reaches the server may authorize (with consent), as the proxy resolves it; other holders and non-holders are refused", async () => {
  const { db } = hub;
  const owner = await hub.addUser("rowan");
  const peer = await hub.addUser("rhea");
  const ta = await hub.addUser("tara");
  const peek = await hub.addUser("perry");
  const ops = await hub.addUser("olga");
  const reader = await hub.addUser("reid");
  const nobody = await hub.addUser("nils");
  await db.server.create({ data: { userId: owner.id, name: "", state: "running", spawnId: "sp-rowan" } });
  await db.server.create({ data: { userId: owner.id, name: "gpu", state: "running", spawnId: "sp-rowan-gpu" } });
  await db.server.create({ data: { userId: peer.id, name: "", state: "running", spawnId: "sp-rhea" } });
  await createGroup(db, "seminar", { members: ["rowan"] });
  const roles: RoleConfig[] = [
    { name: "ta", description: "", scopes: ["access:servers!group=seminar"], users: ["tara"], groups: [], services: [] },
    { name: "peek", description: "", scopes: ["access:servers!server=rowan/gpu"], users: ["perry"], groups: [], services: [] },
    { name: "ops", description: "", scopes: ["access:servers"], users: ["olga"], groups: [], services: [] },
    { name: "reader", description: "", scopes: ["read:servers!group=seminar", "servers!group=seminar"], users: ["reid"], groups: [], services: [] },
  ];
  const clientOf = (id: string, uri: string) => resolveAuthorizeRequest(db, reg, req({ clientId: id, redirectUri: uri }));
  const rowan = await clientOf("jupyterhub-user-rowan", "/user/rowan/oauth_callback");
  const rowanGpu = await clientOf("jupyterhub-user-rowan-gpu", "/user/rowan/gpu/oauth_callback");
  const rhea = await clientOf("jupyterhub-user-rhea", "/user/rhea/oauth_callback");
  const as = (u: { id: number; name: string }) => ({ ...u, admin: false });
  const status = (p: Promise<unknown>) =>
    p.then(
      () => 200,
      (e: unknown) => (e instanceof HttpError ? e.status : 500),
    );
  // allowed, always through the consent page
  assert.deepEqual(await checkClientAccess(db, rowan, as(ta), roles), { trusted: false }, "!group= of the owner's group");
  assert.deepEqual(await checkClientAccess(db, rowanGpu, as(ta), roles), { trusted: false });
  assert.deepEqual(await checkClientAccess(db, rowanGpu, as(peek), roles), { trusted: false }, "!server= names that server");
  assert.deepEqual(await checkClientAccess(db, rhea, as(ops), roles), { trusted: false }, "unfiltered access:servers");
  // refused
  assert.equal(await status(checkClientAccess(db, rhea, as(ta), roles)), 403, "a non-member's server");
  assert.equal(await status(checkClientAccess(db, rowan, as(peek), roles)), 403, "!server= names only the gpu server");
  assert.equal(await status(checkClientAccess(db, rowan, as(reader), roles)), 403, "a role without access:servers");
  assert.equal(await status(checkClientAccess(db, rowan, as(nobody), roles)), 403, "no role");
  assert.equal(await status(checkClientAccess(db, rowan, as(ta))), 403, "without the config's roles, nothing");

  // the authorize endpoint reads the config's roles: the TA gets the consent page, a stranger 403
  const before = hub.rt.config;
  hub.rt.config = { ...before, roles };
  try {
    const page = async (u: { id: number; name: string }) => {
      const s = await createSession(db, u.id, 3600, "test", new Date());
      const cookie = buildSessionCookie({ sid: s.id, user: u.name, userId: u.id, expiresAt: s.expiresAt, key: hub.rt.keys.sessionCookie, secure: false }).split(
        ";",
      )[0];
      const q = new URLSearchParams({ client_id: "jupyterhub-user-rowan", redirect_uri: "/user/rowan/oauth_callback", response_type: "code", state: "st" });
      const res = await authorizeRoute.GET(new Request(`http://127.0.0.1:8081/api/oauth2/authorize?${q}`, { headers: { cookie, host: "127.0.0.1:8081" } }), {
        params: Promise.resolve({}),
      });
      return { status: res.status, location: res.headers.get("location"), body: await res.text() };
    };
    const consent = await page(ta);
    assert.equal(consent.status, 200);
    assert.equal(consent.location, null, "no code without consent");
    assert.match(consent.body, /Server rowan/);
    const owners = await page(owner);
    assert.equal(owners.status, 302);
    assert.match(owners.location ?? "", /^\/user\/rowan\/oauth_callback\?code=/);
    assert.equal((await page(nobody)).status, 403);
    assert.equal((await page(reader)).status, 403);
  } finally {
    hub.rt.config = before;
  }
});
