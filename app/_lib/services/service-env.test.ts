import assert from "node:assert/strict";
import { test } from "node:test";
import { buildServiceEnv, restartDelayMs } from "./service-env";

test("a managed service's environment: JupyterHub's service variables, its account, never the hub's environment", () => {
  const env = buildServiceEnv({
    name: "whoami",
    url: "http://127.0.0.1:10101",
    apiToken: "t".repeat(43),
    hubApiUrl: "http://127.0.0.1:8081/hub/api",
    publicUrl: "https://hub.example.org/",
    account: { name: "svc", home: "/home/svc", shell: "/bin/bash" },
    extra: { FOO: "1", JUPYTERHUB_API_TOKEN: "overridden?", HOME: "/tmp" },
  });
  assert.deepEqual(env, {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    LANG: "C.UTF-8",
    FOO: "1",
    HOME: "/home/svc",
    USER: "svc",
    LOGNAME: "svc",
    SHELL: "/bin/bash",
    JUPYTERHUB_SERVICE_NAME: "whoami",
    JUPYTERHUB_SERVICE_URL: "http://127.0.0.1:10101",
    JUPYTERHUB_SERVICE_PREFIX: "/services/whoami/",
    JUPYTERHUB_API_TOKEN: "t".repeat(43),
    JUPYTERHUB_API_URL: "http://127.0.0.1:8081/hub/api",
    JUPYTERHUB_BASE_URL: "/",
    JUPYTERHUB_HOST: "",
    JUPYTERHUB_PUBLIC_HUB_URL: "https://hub.example.org/hub/",
  });
  const bare = buildServiceEnv({
    name: "cron",
    url: null,
    apiToken: "x",
    hubApiUrl: "h",
    publicUrl: null,
    account: { name: "a", home: "/h", shell: "/bin/sh" },
    extra: {},
  });
  assert.equal(bare.JUPYTERHUB_SERVICE_PREFIX, undefined);
  assert.equal(bare.JUPYTERHUB_PUBLIC_HUB_URL, undefined);
  assert.equal(bare.JUPYTERHUB_CLIENT_ID, undefined);
  // an OAuth client: what HubOAuth reads
  const oauth = buildServiceEnv({
    name: "dash",
    url: "http://127.0.0.1:1",
    apiToken: "x",
    hubApiUrl: "h",
    publicUrl: null,
    account: { name: "a", home: "/h", shell: "/bin/sh" },
    extra: {},
    oauth: { clientId: "service-dash", redirectUri: "/services/dash/oauth_callback" },
  });
  assert.equal(oauth.JUPYTERHUB_CLIENT_ID, "service-dash");
  assert.equal(oauth.JUPYTERHUB_OAUTH_CALLBACK_URL, "/services/dash/oauth_callback");
  assert.equal(oauth.JUPYTERHUB_OAUTH_ACCESS_SCOPES, '["access:services!service=dash"]');
  assert.equal(oauth.JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES, "[]");
  const allowed = buildServiceEnv({
    name: "dash",
    url: "http://127.0.0.1:1",
    apiToken: "x",
    hubApiUrl: "h",
    publicUrl: null,
    account: { name: "a", home: "/h", shell: "/bin/sh" },
    extra: {},
    oauth: { clientId: "service-dash", redirectUri: "/services/dash/oauth_callback", allowedScopes: ["read:users!user", "self"] },
  });
  assert.equal(allowed.JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES, '["read:users!user","self"]');
});

test("restart delays double from 1 s to at most a minute", () => {
  assert.deepEqual([1, 2, 3, 4, 6, 7, 20].map(restartDelayMs), [1000, 2000, 4000, 8000, 32_000, 60_000, 60_000]);
});
