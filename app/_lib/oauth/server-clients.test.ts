import { test } from "node:test";
import assert from "node:assert/strict";
import { buildServerOAuthEnv, serverClientCandidates, serverClientId, serverOAuthAccessScopes, serverRedirectUri } from "./server-clients";

test("client ids as JupyterHub's: jupyterhub-user-<user>[-<server>]", () => {
  assert.equal(serverClientId("alice", ""), "jupyterhub-user-alice");
  assert.equal(serverClientId("alice", "gpu"), "jupyterhub-user-alice-gpu");
  assert.equal(serverClientId("a.b", "x-y"), "jupyterhub-user-a.b-x-y");
  assert.equal(serverRedirectUri("/user/alice/gpu/"), "/user/alice/gpu/oauth_callback");
});

test("a client id names every (user, server) split; other ids name none", () => {
  assert.deepEqual(serverClientCandidates("jupyterhub-user-a-b-c"), [
    { user: "a-b-c", server: "" },
    { user: "a", server: "b-c" },
    { user: "a-b", server: "c" },
  ]);
  assert.deepEqual(serverClientCandidates("jupyterhub-user-alice"), [{ user: "alice", server: "" }]);
  // a '-' first or last splits nothing (no empty user or server name)
  assert.deepEqual(serverClientCandidates("jupyterhub-user--x-"), [{ user: "-x-", server: "" }]);
  assert.deepEqual(serverClientCandidates("jupyterhub-user-"), []);
  assert.deepEqual(serverClientCandidates("service-dash"), []);
  for (const [u, s] of [
    ["a-b", "c"],
    ["a", "b-c"],
    ["alice", ""],
  ])
    assert.ok(serverClientCandidates(serverClientId(u, s)).some((c) => c.user === u && c.server === s));
});

test("a server's OAuth environment (JupyterHub's Spawner.get_env)", () => {
  assert.deepEqual(serverOAuthAccessScopes("alice", "gpu"), ["access:servers!server=alice/gpu", "access:servers!user=alice"]);
  assert.deepEqual(buildServerOAuthEnv({ user: "alice", server: "", baseUrl: "/user/alice/" }), {
    JUPYTERHUB_CLIENT_ID: "jupyterhub-user-alice",
    JUPYTERHUB_OAUTH_CALLBACK_URL: "/user/alice/oauth_callback",
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: '["access:servers!server=alice/","access:servers!user=alice"]',
    JUPYTERHUB_OAUTH_SCOPES: '["access:servers!server=alice/","access:servers!user=alice"]',
    JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: "[]",
  });
});
