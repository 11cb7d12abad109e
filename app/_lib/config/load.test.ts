import { test } from "node:test";
import assert from "node:assert/strict";
import { applyEnvOverrides, parseConfig, ConfigError } from "./load";

test("environment overrides nest on double underscores and parse JSON-looking values", () => {
  const out = applyEnvOverrides({ hub: { port: 1 } }, {
    GYRE_HUB__PORT: "9000",
    GYRE_SPAWNER__LOCAL__CREATE_OS_USERS: "true",
    GYRE_PROXY__DASHBOARD_PORTS: "[8787,\"9000-9010\"]",
    GYRE_HUB__BIND_HOST: "0.0.0.0",
    OTHER: "x",
  });
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
  assert.deepEqual(c.spawner.local.command, ["/usr/bin/jupyter", "server"]);
});

test("a wrong option is refused with a message naming it", () => {
  assert.throws(() => parseConfig({ hub: { port: "eighty" } }, {}, "/etc/gyre.yaml"), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /hub\.port: .*expected number/);
    assert.match(e.message, /\/etc\/gyre\.yaml/);
    return true;
  });
  assert.throws(() => parseConfig({ hub: { prot: 1 } }, {}, null), /unknown option\(s\) hub\.prot/);
  assert.throws(() => parseConfig({}, { GYRE_SPAWNER__KIND: "slurmm" }, null), /spawner\.kind/);
  assert.throws(() => parseConfig([1], {}, "x.yaml"), /mapping of sections/);
});

test("the GitHub client secret is refused in the config file but accepted from the environment", () => {
  assert.throws(() => parseConfig({ auth: { github: { clientSecret: "x" } } }, {}, "gyre.yaml"), /auth\.github\.clientSecret must not be written in gyre\.yaml/);
  assert.equal(parseConfig({ auth: { github: { enabled: true } } }, { GYRE_AUTH__GITHUB__CLIENT_SECRET: "s3" }, null).auth.github.clientSecret, "s3");
});
