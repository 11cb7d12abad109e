// Managed services with real processes: started as their OS account only while this replica may
// run them (the "services" lease), with JupyterHub's environment and not the hub's, started again
// when they exit, stopped when the lease is lost. Needs root (setpriv to a throw-away account).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import pino from "pino";
import { testAccount } from "@/spawners/testing/os-account";
import { managedServicePid } from "./service-pids";
import { ServiceSupervisor } from "./supervisor";

const ACCOUNT = "gyre-int-svc";

async function until<T>(what: string, f: () => T | undefined | false | 0, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("a managed service runs as its account while the replica holds the lease, comes back after it dies, and stops when the lease is lost", async () => {
  const { uid } = testAccount(ACCOUNT);
  process.env.GYRE_HUB_ONLY_SECRET = "must-not-leak";
  let holds = false;
  const sup = new ServiceSupervisor({
    services: [
      {
        name: "sleeper",
        command: ["/bin/sleep", "600"],
        user: ACCOUNT,
        environment: { EXTRA: "1" },
        admin: false,
        scopes: [],
        oauthNoConfirm: false,
        oauthClientAllowedScopes: [],
        oauthRoles: [],
        display: true,
        info: {},
        apiToken: "t".repeat(43),
      },
    ],
    hubApiUrl: "http://127.0.0.1:1/hub/api",
    publicUrl: null,
    log: pino({ level: "silent" }),
    mayRun: () => holds,
    checkEveryMs: 50,
  });
  try {
    sup.start();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(managedServicePid("sleeper"), 0, "not started without the lease");
    holds = true;
    const pid = await until("the service to start", () => managedServicePid("sleeper"));
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    assert.match(status, new RegExp(`^Uid:\\t${uid}\\t${uid}\\t`, "m"), "runs as the account, never root");
    const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    assert.ok(env.includes("JUPYTERHUB_SERVICE_NAME=sleeper"));
    assert.ok(env.includes(`JUPYTERHUB_API_TOKEN=${"t".repeat(43)}`));
    assert.ok(env.includes("EXTRA=1"));
    assert.ok(env.includes(`USER=${ACCOUNT}`));
    assert.ok(!env.some((e) => e.startsWith("GYRE_HUB_ONLY_SECRET=")), "the hub's environment stays out");

    process.kill(pid, "SIGKILL");
    const again = await until("a restart", () => {
      const p = managedServicePid("sleeper");
      return p !== pid && p;
    });
    assert.ok(alive(again));

    holds = false;
    await until("the service to stop with the lease", () => !alive(again) && managedServicePid("sleeper") === 0);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(managedServicePid("sleeper"), 0, "not restarted without the lease");
  } finally {
    await sup.close();
    delete process.env.GYRE_HUB_ONLY_SECRET;
  }
});

test("a managed service with a url sees JupyterHub's environment for a service, and only it (the real process's environ)", async () => {
  testAccount(ACCOUNT);
  const token = "s".repeat(43);
  const sup = new ServiceSupervisor({
    services: [
      {
        name: "whoami",
        url: "http://127.0.0.1:10199",
        command: ["/bin/sleep", "600"],
        user: ACCOUNT,
        environment: { JUPYTERHUB_API_TOKEN: "the admin's try to override", MY_SETTING: "x" },
        admin: false,
        scopes: ["list:users"],
        oauthNoConfirm: false,
        oauthClientAllowedScopes: [],
        oauthRoles: [],
        display: true,
        info: {},
        apiToken: token,
      },
    ],
    hubApiUrl: "http://127.0.0.1:18081/hub/api",
    publicUrl: "https://hub.example.org/",
    log: pino({ level: "silent" }),
    mayRun: () => true,
    checkEveryMs: 50,
  });
  try {
    sup.start();
    const pid = await until("the service to start", () => managedServicePid("whoami"));
    const env = Object.fromEntries(
      readFileSync(`/proc/${pid}/environ`, "utf8")
        .split("\0")
        .filter(Boolean)
        .map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
    );
    const hubs = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("JUPYTERHUB_")));
    assert.deepEqual(hubs, {
      JUPYTERHUB_SERVICE_NAME: "whoami",
      JUPYTERHUB_SERVICE_URL: "http://127.0.0.1:10199",
      JUPYTERHUB_SERVICE_PREFIX: "/services/whoami/",
      JUPYTERHUB_API_TOKEN: token,
      JUPYTERHUB_API_URL: "http://127.0.0.1:18081/hub/api",
      JUPYTERHUB_BASE_URL: "/",
      JUPYTERHUB_HOST: "",
      JUPYTERHUB_CLIENT_ID: "service-whoami",
      JUPYTERHUB_OAUTH_CALLBACK_URL: "/services/whoami/oauth_callback",
      JUPYTERHUB_OAUTH_ACCESS_SCOPES: '["access:services!service=whoami"]',
      JUPYTERHUB_OAUTH_SCOPES: '["access:services!service=whoami"]',
      JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: "[]",
      JUPYTERHUB_PUBLIC_HUB_URL: "https://hub.example.org/hub/",
    });
    assert.equal(env.MY_SETTING, "x");
    assert.deepEqual(
      Object.keys(env)
        .filter((k) => !k.startsWith("JUPYTERHUB_"))
        .sort(),
      ["HOME", "LANG", "LOGNAME", "MY_SETTING", "PATH", "SHELL", "USER"],
      "nothing of the hub's own environment",
    );
  } finally {
    await sup.close();
  }
});
