// Who the proxy thinks is asking: session cookies bound to account ids, revocations the hub pushes
// (applied at once, kept until a later snapshot), and API-token owners cached no longer than the
// token lives. In-memory hub, no sockets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import pino from "pino";
import { InMemoryHub } from "../testing/in-memory-hub";
import { HubSync } from "../hub/sync";
import { RouteTable } from "../routing/route-table";
import type { Caller } from "../routing/resolve";
import { signOriginSession } from "../origins/handshake";
import { IdentityResolver } from "./identity";
import { deriveKey } from "./session-cookie";

const SECRET = "identity-test-secret-".padEnd(40, "i");
const log = pino({ level: "silent" });

function setup(opts: { positiveSeconds?: number; graceSeconds?: number } = {}) {
  const hub = new InMemoryHub(SECRET);
  const sync = new HubSync({ hub, table: new RouteTable((s) => s), log, fullSyncSeconds: 60, authSyncSeconds: 60, activityFlushSeconds: 60 });
  const clock = { now: Date.now() };
  const identity = new IdentityResolver({
    secretKey: SECRET,
    hub,
    auth: sync,
    clock,
    log,
    cookieNames: { hubSession: "gyre-session", originSession: "gyre-user-origin" },
    tokenCachePositiveSeconds: opts.positiveSeconds ?? 10,
    tokenGraceSeconds: opts.graceSeconds,
  });
  return { hub, sync, identity };
}

const headers = (h: Record<string, string>) => Object.entries(h).flat();
async function who(identity: IdentityResolver, h: Record<string, string>): Promise<Caller["identity"]> {
  return (await identity.identify(headers(h))).identity;
}
const sha256 = (t: string) => createHash("sha256").update(t).digest("hex");

test("a session cookie names its account by id; admin rights come from the snapshot's ids", async () => {
  const { hub, sync, identity } = setup();
  hub.state.admins = ["root"];
  await sync.syncAuth();
  assert.deepEqual(await who(identity, { cookie: hub.cookieFor("alice", "s-a", 3600, 7) }), { user: "alice", userId: 7, admin: false, via: "cookie" });
  assert.equal((await who(identity, { cookie: hub.cookieFor("root") }))?.admin, true);
  // a deleted admin "root" re-created as someone else: the old cookie's id is no admin's
  assert.equal((await who(identity, { cookie: hub.cookieFor("root", "s-old", 3600, 99) }))?.admin, false);
});

test("malformed and extra session cookies: the valid one is found, nothing throws", async () => {
  const { hub, identity } = setup();
  const good = hub.cookieFor("alice", "s-a", 3600, 7).slice("gyre-session=".length);
  const c = await identity.identify(headers({ cookie: `gyre-session=%ff; gyre-session=garbage.x; other=1; gyre-session=${good}` }));
  assert.equal(c.identity?.user, "alice");
  assert.equal(c.cookieEdit, "other=1", "every gyre-session cookie is removed before a user server");
  assert.equal(await who(identity, { cookie: "gyre-session=%ff" }), null);
});

test("a user-origin cookie names its account by id too, and a pushed revocation of its hub session ends it at once", async () => {
  const { sync, identity } = setup();
  const host = "xena.hub.example";
  const sign = (uid: number) =>
    "gyre-user-origin=" +
    signOriginSession({ host, sid: "s-origin", user: "xena", uid, exp: Math.floor(Date.now() / 1000) + 3600 }, deriveKey(SECRET, "origin-session"));
  const onOrigin = async (cookie: string) => (await identity.identify(headers({ cookie }), { credentials: "origin-cookie", hostname: host })).identity;
  assert.deepEqual(await onOrigin(sign(42)), { user: "xena", userId: 42, admin: false, via: "cookie" });
  assert.equal((await onOrigin(sign(41)))?.userId, 41, "a deleted account's cookie keeps its old id, which no route of the new account has");
  sync.revokeSessions(["s-origin"]);
  assert.equal(await onOrigin(sign(42)), null);
});

test("a session revocation the hub pushes applies at once, and outlives a snapshot taken before it", async () => {
  const { hub, sync, identity } = setup();
  const cookie = hub.cookieFor("alice", "s-push", 3600, 7);
  assert.equal((await who(identity, { cookie }))?.user, "alice");
  // the snapshot request leaves before the push arrives, and its answer does not list the session yet
  const stale = await hub.fetchAuth();
  const realFetch = hub.fetchAuth.bind(hub);
  let answer = () => {};
  hub.fetchAuth = () => new Promise((resolve) => (answer = () => resolve(stale)));
  const syncing = sync.syncAuth();
  await new Promise((r) => setTimeout(r, 5));
  sync.revokeSessions(["s-push"]);
  assert.equal(await who(identity, { cookie }), null, "refused at once");
  answer();
  assert.equal(await syncing, true);
  assert.equal(await who(identity, { cookie }), null, "a snapshot older than the push does not undo it");
  hub.fetchAuth = realFetch;
  hub.state.revokedSessions.push("s-push");
  await new Promise((r) => setTimeout(r, 5));
  await sync.syncAuth();
  assert.equal(await who(identity, { cookie }), null, "then the hub's list carries it");
});

test("a token owner is cached no longer than the token lives, and not at all once expired", async () => {
  const { hub, identity } = setup({ positiveSeconds: 60 });
  hub.state.tokens["tok-expiring-0123456789"] = { user: "alice", admin: false, expiresAt: Date.now() + 300 };
  hub.state.tokens["tok-expired-00123456789"] = { user: "alice", admin: false, expiresAt: Date.now() - 1 };
  const auth = { authorization: "token tok-expiring-0123456789" };
  assert.equal((await who(identity, auth))?.user, "alice");
  const lookups = hub.state.tokenLookups;
  assert.equal((await who(identity, auth))?.user, "alice", "cached");
  assert.equal(hub.state.tokenLookups, lookups);
  delete hub.state.tokens["tok-expiring-0123456789"]; // the hub no longer knows it once expired
  await new Promise((r) => setTimeout(r, 350));
  assert.equal(await who(identity, auth), null, "past its expiry the proxy asks again (it does not trust the 60 s cache)");
  assert.equal(await who(identity, { authorization: "token tok-expired-00123456789" }), null, "an owner whose token has expired is nobody");
});

test("a token revocation the hub pushes drops the cached owner at once, also from a lookup still in flight", async () => {
  const { hub, identity } = setup({ positiveSeconds: 60 });
  const token = "tok-revoked-0123456789";
  hub.state.tokens[token] = { user: "alice", admin: false };
  assert.equal((await who(identity, { authorization: "token " + token }))?.user, "alice");
  delete hub.state.tokens[token];
  assert.equal(identity.forgetTokens([sha256(token)]), 1);
  assert.equal(await who(identity, { authorization: "token " + token }), null);
  // a lookup that left before the revocation must not cache its (stale) answer
  const other = "tok-in-flight-0123456789";
  hub.state.tokens[other] = { user: "alice", admin: false };
  const inFlight = identity.identify(headers({ authorization: "token " + other }));
  assert.ok(inFlight instanceof Promise, "asked of the hub");
  identity.forgetTokens([sha256(other)]);
  delete hub.state.tokens[other];
  assert.equal((await inFlight).identity?.user, "alice", "that request was asked before the revocation");
  assert.equal(await who(identity, { authorization: "token " + other }), null, "but nothing stale was cached");
});

test("while the hub cannot be asked, a token owner it confirmed within the grace period is still honoured — not an unknown, revoked or expired one", async () => {
  const { hub, identity } = setup({ positiveSeconds: 0.05, graceSeconds: 300 });
  const known = "tok-known-before-down-0123";
  const revoked = "tok-revoked-before-down-01";
  const expiring = "tok-expiring-before-down-0";
  hub.state.tokens[known] = { user: "alice", admin: false };
  hub.state.tokens[revoked] = { user: "alice", admin: false };
  hub.state.tokens[expiring] = { user: "alice", admin: false, expiresAt: Date.now() + 200 };
  for (const t of [known, revoked, expiring]) assert.equal((await who(identity, { authorization: "token " + t }))?.user, "alice");
  identity.forgetTokens([sha256(revoked)]);
  hub.down = new Error("connect ECONNREFUSED 127.0.0.1:8081");
  await new Promise((r) => setTimeout(r, 250)); // the 50 ms cache and the 200 ms token have run out
  let asked = 0;
  const realLookup = hub.fetchTokenOwner.bind(hub);
  hub.fetchTokenOwner = (t: string) => (asked++, realLookup(t));
  const during = await who(identity, { authorization: "token " + known });
  assert.equal(during?.user, "alice");
  assert.equal(during?.via, "token");
  assert.equal(during?.serverAccess, true);
  assert.equal(asked, 1, "the hub was asked first (the cache had run out) and failed");
  assert.equal(await who(identity, { authorization: "token " + revoked }), null, "a revocation the hub pushed holds while it is down");
  assert.equal(await who(identity, { authorization: "token " + expiring }), null, "never past the token's expiry");
  assert.equal(await who(identity, { authorization: "token tok-never-seen-0123456789" }), null, "a token never confirmed is nobody");
  // the hub is back and no longer knows the token: refused, and not honoured at the next outage either
  hub.down = null;
  delete hub.state.tokens[known];
  assert.equal(await who(identity, { authorization: "token " + known }), null);
  hub.down = new Error("connect ECONNREFUSED 127.0.0.1:8081");
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(await who(identity, { authorization: "token " + known }), null, "an owner the hub disowned is forgotten");
});

test("tokenGraceSeconds 0: a token is refused as soon as its cache entry runs out while the hub is down", async () => {
  const { hub, identity } = setup({ positiveSeconds: 0.05, graceSeconds: 0 });
  const token = "tok-no-grace-0123456789";
  hub.state.tokens[token] = { user: "alice", admin: false };
  assert.equal((await who(identity, { authorization: "token " + token }))?.user, "alice");
  hub.down = new Error("connect ECONNREFUSED 127.0.0.1:8081");
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(await who(identity, { authorization: "token " + token }), null);
});
