import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseConfig, resolveConfig } from "./load";

/** The option lines of the ConfigError for `services`, or [] when it is valid. */
function problems(services: unknown): string[] {
  try {
    parseConfig({ services }, {}, "/etc/gyre.yaml");
  } catch (e) {
    return (e as Error).message
      .split("\n")
      .filter((l) => l.startsWith("  - "))
      .map((l) => l.slice(4));
  }
  return [];
}

test("services: a valid external and a valid managed service pass; defaults filled in", () => {
  const cfg = parseConfig(
    {
      services: [
        { name: "culler", scopes: ["list:users", "read:users:activity", "read:servers", "delete:servers"] },
        { name: "whoami", url: "http://127.0.0.1:10101", command: ["/usr/bin/python3", "whoami.py"], user: "svc-whoami" },
      ],
    },
    {},
    null,
  );
  assert.equal(cfg.services.length, 2);
  assert.deepEqual(cfg.services[1].environment, {});
  assert.equal(cfg.services[1].admin, false);
  assert.deepEqual(parseConfig({}, {}, null).services, []);
});

test("services: names that are not one path segment (shadowing /hub or /user), root, duplicates and a command without an account are refused, naming the option", () => {
  assert.deepEqual(problems([{ name: "../hub" }]), [
    `services[0] (../hub).name: must be 1–64 lower-case letters, digits, '-' or '_' (it is a path segment of /services/<name>/) (got "../hub")`,
  ]);
  assert.match(problems([{ name: "a/../../user/alice" }])[0], /^services\[0\].*\.name: must be 1–64 lower-case/);
  assert.match(problems([{ name: "" }])[0], /name: must be 1–64/);
  assert.deepEqual(problems([{ name: "w", command: ["/bin/true"], user: "root" }]), [
    "services[0] (w).user: a service never runs as root; name an unprivileged account",
  ]);
  assert.deepEqual(problems([{ name: "w", command: ["/bin/true"] }]), [
    "services[0] (w).user: a managed service (with command) needs the OS account it runs as",
  ]);
  assert.deepEqual(problems([{ name: "a" }, { name: "b" }, { name: "a" }]), [
    'services[2] (a).name: "a" is the name of an earlier service; names must be unique',
  ]);
  assert.deepEqual(problems([{ name: "a", scopes: ["read:users", "rule:everything"] }]), [
    "services[0] (a).scopes: unknown scopes: rule:everything (see docs/jupyterhub-compat.md)",
  ]);
  assert.deepEqual(problems([{ name: "a", url: "ftp://x/" }]), ["services[0] (a).url: must be an http:// or https:// URL"]);
  assert.deepEqual(problems([{ name: "a", url: "http://h:1", oauthRedirectUri: "//evil.example/cb" }]), [
    "services[0] (a).oauthRedirectUri: must be a path (/services/<name>/oauth_callback) or an http(s) URL",
  ]);
  assert.deepEqual(
    problems([
      { name: "a", url: "http://h:1" },
      { name: "b", url: "http://h:2", oauthClientId: "service-a" },
    ]),
    ['services[1] (b).oauthClientId: "service-a" is the OAuth client id of an earlier service; client ids must be unique'],
  );
  assert.deepEqual(problems([{ name: "a", apiToken: "short" }]), ["services[0] (a).apiToken: must be at least 32 characters long"]);
  assert.deepEqual(problems([{ name: "a", apiToken: "x".repeat(32), apiTokenEnv: "T" }]), [
    "services[0] (a).apiToken: set only one of apiToken, apiTokenFile, apiTokenEnv",
  ]);
});

test("services: the API token comes from the config, a file, an environment variable, or is derived from the hub's secret", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-svc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "token");
  writeFileSync(file, "f".repeat(40) + "\n");
  const cfg = parseConfig(
    {
      hub: { secretKey: "s".repeat(40) },
      services: [{ name: "a", apiToken: "a".repeat(32) }, { name: "b", apiTokenFile: file }, { name: "c", apiTokenEnv: "C_TOKEN" }, { name: "d" }],
    },
    {},
    null,
  );
  const r = resolveConfig(cfg, null, dir, undefined, { C_TOKEN: "c".repeat(40) });
  assert.deepEqual(
    r.services.map((s) => (s.apiToken as string).slice(0, 4)),
    ["aaaa", "ffff", "cccc", r.services[3].apiToken.slice(0, 4)],
  );
  assert.equal(r.services[3].apiToken.length, 43);
  // derived: the same on every replica with the same secret, different per service and per secret
  assert.equal(resolveConfig(cfg, null, dir, undefined, { C_TOKEN: "c".repeat(40) }).services[3].apiToken, r.services[3].apiToken);
  const other = parseConfig({ hub: { secretKey: "t".repeat(40) }, services: [{ name: "d" }] }, {}, null);
  assert.notEqual(resolveConfig(other, null, dir).services[0].apiToken, r.services[3].apiToken);
  assert.throws(() => resolveConfig(cfg, null, dir, undefined, {}), /services\[2\] \(c\)\.apiTokenEnv: the environment variable C_TOKEN is unset/);
});

test("services: oauthClientAllowedScopes takes JupyterHub's scope names (with filters, self, bare !user); oauthRoles names roles of roles: or the built-in user; anything else refuses to start naming the option", (t) => {
  const cfg = parseConfig(
    { services: [{ name: "dash", url: "http://h:1", oauthClientAllowedScopes: ["read:users!user", "self", "read:groups!group=ocean"], oauthRoles: ["user"] }] },
    {},
    null,
  );
  assert.deepEqual(cfg.services[0].oauthClientAllowedScopes, ["read:users!user", "self", "read:groups!group=ocean"]);
  assert.deepEqual(parseConfig({ services: [{ name: "d" }] }, {}, null).services[0].oauthRoles, []);
  assert.deepEqual(problems([{ name: "a", oauthClientAllowedScopes: ["read:users", "rule:everything", "inherit"] }]), [
    `services[0] (a).oauthClientAllowedScopes: unknown scopes: rule:everything, inherit (JupyterHub's names with filters, "self", or a bare !user filter the scope takes; see docs/jupyterhub-compat.md)`,
  ]);
  assert.match(problems([{ name: "a", oauthRoles: ["Not A Role"] }])[0], /^services\[0\] \(a\)\.oauthRoles\[0\]: must be a role name/);
  const dir = mkdtempSync(join(tmpdir(), "gyre-svc-roles-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const resolve = (services: unknown, roles: unknown = []) =>
    resolveConfig(parseConfig({ hub: { secretKey: "k".repeat(40) }, services, roles }, {}, "/etc/gyre.yaml"), "/etc/gyre.yaml", dir);
  assert.throws(
    () => resolve([{ name: "a", url: "http://h:1", oauthRoles: ["user", "viewer"] }]),
    (e: Error) => e.message.includes(`services[0].oauthRoles[1] (a): no role "viewer" in roles (nor the built-in "user")`),
  );
  const ok = resolve([{ name: "a", url: "http://h:1", oauthRoles: ["viewer", "user"] }], [{ name: "viewer", scopes: ["read:users"], users: [] }]);
  assert.deepEqual(ok.services[0].oauthRoles, ["viewer", "user"]);
});
