import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveServerCommand } from "@/spawners/local/config";
import { applyEnvOverrides } from "./env-overrides";
import { defaultCallbackUrl, defaultHubUrl } from "./derived";
import { loadConfig, parseConfig, resolveConfig, ConfigError } from "./load";
import { loadProxyConfig, parseProxyConfig } from "./proxy-config";

test("environment overrides nest on double underscores and parse JSON-looking values", () => {
  const out = applyEnvOverrides(
    { hub: { port: 1 } },
    {
      GYRE_HUB__PORT: "9000",
      GYRE_SPAWNER__LOCAL__CREATE_OS_USERS: "true",
      GYRE_PROXY__DASHBOARD_PORTS: '[8787,"9000-9010"]',
      GYRE_HUB__BIND_HOST: "0.0.0.0",
      OTHER: "x",
    },
  );
  assert.deepEqual(out, {
    hub: { port: 9000, bindHost: "0.0.0.0" },
    spawner: { local: { createOsUsers: true } },
    proxy: { dashboardPorts: [8787, "9000-9010"] },
  });
});

test("defaults fill an empty config", () => {
  const c = parseConfig({}, {}, null);
  assert.equal(c.hub.port, 8081);
  assert.equal(c.proxy.port, 8000);
  assert.deepEqual(resolveServerCommand(c.spawner.local), ["/usr/bin/jupyter", "server"]);
  assert.equal(c.proxy.tokenGraceSeconds, 300);
});

test("proxy.tokenGraceSeconds: 0 allowed (no grace); negative, fractional or over an hour refused, naming the option", () => {
  assert.equal(parseConfig({ proxy: { tokenGraceSeconds: 0 } }, {}, null).proxy.tokenGraceSeconds, 0);
  for (const bad of [-1, 2.5, 3601, "300"]) {
    assert.throws(
      () => parseConfig({ proxy: { tokenGraceSeconds: bad } }, {}, null),
      (e: Error) => e instanceof ConfigError && /proxy\.tokenGraceSeconds/.test(e.message),
      String(bad),
    );
  }
});

test("a wrong option is refused with a message naming it", () => {
  assert.throws(
    () => parseConfig({ hub: { port: "eighty" } }, {}, "/etc/gyre.yaml"),
    (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /hub\.port: must be a number \(got "eighty"\)/);
      assert.match(e.message, /\/etc\/gyre\.yaml/);
      return true;
    },
  );
  assert.throws(() => parseConfig({ hub: { prot: 1 } }, {}, null), /hub\.prot: "prot" is not an option of hub; did you mean port\?/);
  assert.throws(() => parseConfig({}, { GYRE_SPAWNER__KIND: "slurmm" }, null), /spawner\.kind/);
  assert.throws(() => parseConfig([1], {}, "x.yaml"), /mapping of sections/);
});

test("the GitHub client secret is refused in the config file but accepted from the environment", () => {
  assert.throws(
    () => parseConfig({ auth: { github: { clientSecret: "x" } } }, {}, "gyre.yaml"),
    /auth\.github\.clientSecret must not be written in gyre\.yaml/,
  );
  assert.equal(parseConfig({ auth: { github: { enabled: true } } }, { GYRE_AUTH__GITHUB__CLIENT_SECRET: "s3" }, null).auth.github.clientSecret, "s3");
});

test("spawner.local.pythonEnvironment: default command from the prefix; a prefix without bin/python stops the hub naming the option", () => {
  const c = parseConfig({ spawner: { local: { pythonEnvironment: "/opt/conda/envs/pangeo" } } }, {}, null);
  assert.deepEqual(resolveServerCommand(c.spawner.local), ["/opt/conda/envs/pangeo/bin/jupyter", "server"]);
  const explicit = parseConfig({ spawner: { local: { pythonEnvironment: "/opt/x", command: ["/usr/bin/jupyter", "notebook"] } } }, {}, null);
  assert.deepEqual(resolveServerCommand(explicit.spawner.local), ["/usr/bin/jupyter", "notebook"]);
  assert.throws(
    () => parseConfig({ spawner: { local: { pythonEnvironment: "relative/env" } } }, {}, null),
    /spawner\.local\.pythonEnvironment: must be an absolute path/,
  );
  const dataDir = mkdtempSync(join(tmpdir(), "gyre-cfg-"));
  const missing = parseConfig({ hub: { dataDir }, spawner: { local: { pythonEnvironment: "/nonexistent/env" } } }, {}, null);
  assert.throws(
    () => resolveConfig(missing, null, dataDir),
    (e: Error) => e instanceof ConfigError && /spawner\.local\.pythonEnvironment: \/nonexistent\/env\/bin\/python does not exist/.test(e.message),
  );
  // Debian's own prefix has bin/python3 but no bin/python: a venv made from it has both.
  const venv = join(dataDir, "venv");
  mkdirSync(join(venv, "bin"), { recursive: true });
  writeFileSync(join(venv, "bin", "python"), "");
  const ok = parseConfig({ hub: { dataDir }, spawner: { local: { pythonEnvironment: venv } } }, {}, null);
  assert.equal(resolveConfig(ok, null, dataDir).spawner.local.pythonEnvironment, venv);
  rmSync(dataDir, { recursive: true, force: true });
});

test("spawner.batch.command and spawner.kubernetes.command: jupyterhub-singleuser accepted; a command the batch launcher cannot run stops the hub naming the option", () => {
  const ok = parseConfig(
    {
      spawner: {
        batch: { command: ["/usr/bin/jupyterhub-singleuser"], clusters: { gpu: { scheduler: "sge", command: ["python3", "-m", "jupyterhub.singleuser"] } } },
      },
    },
    {},
    null,
  );
  assert.deepEqual(ok.spawner.batch.command, ["/usr/bin/jupyterhub-singleuser"]);
  assert.deepEqual(ok.spawner.batch.clusters.gpu.command, ["python3", "-m", "jupyterhub.singleuser"]);
  assert.deepEqual(parseConfig({ spawner: { kubernetes: { command: ["jupyterhub-singleuser"] } } }, {}, null).spawner.kubernetes.command, [
    "jupyterhub-singleuser",
  ]);
  const cases: Array<[data: unknown, env: Record<string, string>, want: RegExp]> = [
    [{ spawner: { batch: { command: ["/usr/bin/jupyter", "lab"] } } }, {}, /spawner\.batch\.command: the batch launcher runs/],
    [{}, { GYRE_SPAWNER__BATCH__COMMAND: '["sh","-c","id"]' }, /spawner\.batch\.command: the batch launcher runs/],
    [
      { spawner: { batch: { profiles: [{ name: "p", display: "P", command: [] }] } } },
      {},
      /spawner\.batch\.profiles\[0\] \(p\)\.command: needs at least 1 entry/,
    ],
    [{ spawner: { batch: { command: ["jupyterhub-singleuser", "--debug\nrm -rf ~"] } } }, {}, /spawner\.batch\.command\[1\]: must be a single line/],
    [{ spawner: { batch: { command: ["/sw/../bin/python3", "-m", "jupyterhub.singleuser"] } } }, {}, /spawner\.batch\.command\[0\]: the interpreter must be/],
    [{ spawner: { kubernetes: { command: [] } } }, {}, /spawner\.kubernetes\.command/],
  ];
  for (const [data, env, want] of cases) assert.throws(() => parseConfig(data, env, null), want, JSON.stringify(data) + JSON.stringify(env));
});

test("an option that moved stops the process with a message saying where it lives now (file or environment)", () => {
  const cases: Array<[data: unknown, env: Record<string, string>, want: RegExp]> = [
    [{ spawner: { local: { osUserTemplate: "hub-{username}" } } }, {}, /spawner\.local\.osUserTemplate has moved to hub\.osUserTemplate/],
    [{}, { GYRE_SPAWNER__LOCAL__OS_USER_TEMPLATE: "x" }, /spawner\.local\.osUserTemplate has moved to hub\.osUserTemplate/],
    [{ auth: { github: { osUserPattern: "gh-{login}" } } }, {}, /auth\.github\.osUserPattern has moved to hub\.osUserTemplate: write \{username\}/],
    [{ auth: { github: { osUserMapFile: "/etc/map" } } }, {}, /auth\.github\.osUserMapFile has moved to hub\.osUserMapFile/],
  ];
  for (const [data, env, want] of cases) {
    assert.throws(
      () => parseConfig(data, env, "gyre.yaml"),
      (e: Error) => e instanceof ConfigError && want.test(e.message),
      want.source,
    );
  }
  assert.equal(parseConfig({ hub: { osUserTemplate: "hub-{username}" } }, {}, null).hub.osUserTemplate, "hub-{username}");
});

test("the proxy loads only its part: a bad proxy option is refused naming it, other sections are the hub's business", () => {
  assert.throws(
    () => parseProxyConfig({ proxy: { port: "eighty" } }, {}, "/etc/gyre.yaml"),
    (e: Error) => e instanceof ConfigError && /proxy\.port: must be a number/.test(e.message) && /\/etc\/gyre\.yaml/.test(e.message),
  );
  assert.throws(() => parseProxyConfig({ proxy: { prot: 1 } }, {}, null), /proxy\.prot: "prot" is not an option of proxy; did you mean port\?/);
  assert.throws(() => parseProxyConfig({}, { GYRE_PROXY__DASHBOARD_PORTS: '["x"]' }, null), /proxy\.dashboardPorts/);
  assert.throws(() => parseProxyConfig({ hub: { logLevel: "loud" } }, {}, null), /hub\.logLevel/);
  assert.throws(() => parseProxyConfig([1], {}, "x.yaml"), /mapping of sections/);
  // The hub refuses these; the proxy does not read them.
  const p = parseProxyConfig(
    { hub: { port: 9, prot: 1 }, spawner: { kind: "slurmm" }, auth: { github: { clientSecret: "x" } }, nonsense: true },
    { GYRE_PROXY__PORT: "9000" },
    null,
  );
  assert.equal(p.proxy.port, 9000);
  assert.equal(p.hub.logLevel, "info");
  assert.deepEqual(p.proxy, parseConfig({}, { GYRE_PROXY__PORT: "9000" }, null).proxy, "the same defaults as the hub's view");
});

test("hub and proxy loading one config file agree on the generated secret and route API token", () => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-cfg-"));
  try {
    writeFileSync(join(dir, "gyre.yaml"), "hub:\n  dataDir: ./state\nproxy:\n  port: 7999\n");
    const env = { GYRE_CONFIG: "gyre.yaml" };
    const proxy = loadProxyConfig(env, dir);
    const hub = loadConfig(env, dir);
    assert.equal(proxy.hub.secretKey, hub.hub.secretKey);
    assert.equal(proxy.proxy.authToken, hub.proxy.authToken);
    assert.equal(proxy.proxy.port, 7999);
    assert.equal(statSync(join(dir, "state", "secret.key")).mode & 0o777, 0o600);
    assert.throws(() => loadProxyConfig({ GYRE_CONFIG: "missing.yaml" }, dir), /GYRE_CONFIG points to .*missing\.yaml, which does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("derived defaults follow hub.bindHost and hub.port unless set: proxy.hubUrl (hub and proxy) and the jobs' callback URL", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "gyre-derived-"));
  const moved = resolveConfig(parseConfig({ hub: { dataDir, port: 9081 } }, {}, null), null, dataDir);
  assert.equal(moved.proxy.hubUrl, "http://127.0.0.1:9081");
  const proxy = loadProxyConfig({ GYRE_HUB__PORT: "9081", GYRE_HUB__BIND_HOST: "0.0.0.0", GYRE_HUB__DATA_DIR: dataDir }, dataDir);
  assert.equal(proxy.proxy.hubUrl, "http://127.0.0.1:9081", "the proxy derives it from the same keys");
  assert.equal(defaultHubUrl({ bindHost: "10.0.0.2", port: 8081 }), "http://10.0.0.2:8081");
  assert.equal(defaultHubUrl({ bindHost: "::1", port: 8081 }), "http://[::1]:8081");
  const explicit = resolveConfig(parseConfig({ hub: { dataDir, port: 9081 }, proxy: { hubUrl: "http://hub.internal:8081" } }, {}, null), null, dataDir);
  assert.equal(explicit.proxy.hubUrl, "http://hub.internal:8081", "an explicit value wins");
  assert.equal(
    defaultCallbackUrl({ bindHost: "0.0.0.0", port: 9081 }, "hub1.cluster"),
    "http://hub1.cluster:9081",
    "all interfaces: nodes use this host's name",
  );
  assert.equal(defaultCallbackUrl({ bindHost: "10.0.0.2", port: 9081 }, "hub1.cluster"), "http://10.0.0.2:9081");
  rmSync(dataDir, { recursive: true, force: true });
});
