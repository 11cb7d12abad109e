import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseConfig, resolveConfig } from "./load";

/** The option lines of the ConfigError for `roles` (with `services`), or [] when it is valid. */
function problems(roles: unknown, services: unknown = []): string[] {
  const dataDir = mkdtempSync(join(tmpdir(), "gyre-roles-"));
  try {
    const cfg = parseConfig({ roles, services }, {}, "/etc/gyre.yaml");
    resolveConfig(cfg, "/etc/gyre.yaml", dataDir);
  } catch (e) {
    return (e as Error).message
      .split("\n")
      .filter((l) => l.startsWith("  - "))
      .map((l) => l.slice(4));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return [];
}

test("roles: a valid role passes with defaults; none by default", () => {
  const cfg = parseConfig({ roles: [{ name: "teacher", scopes: ["servers!group=class", "list:users!group=class"], groups: ["teachers"] }] }, {}, null);
  assert.deepEqual(cfg.roles, [
    { name: "teacher", description: "", scopes: ["servers!group=class", "list:users!group=class"], users: [], groups: ["teachers"], services: [] },
  ]);
  assert.deepEqual(parseConfig({}, {}, null).roles, []);
  assert.deepEqual(problems([{ name: "culler", scopes: ["list:users", "delete:servers"], services: ["culler"] }], [{ name: "culler" }]), []);
});

test("roles: bad names, unknown or crafted scopes, inherit, built-in names, duplicates, unknown keys and unknown services refuse to start, naming the option", () => {
  assert.deepEqual(problems([{ name: "Teacher", scopes: ["servers"] }]), [
    `roles[0] (Teacher).name: must start with a lower-case letter, then up to 63 lower-case letters, digits, '-', '_', '.' or '~' (got "Teacher")`,
  ]);
  assert.deepEqual(problems([{ name: "t", scopes: ["servers!user=a/b", "read:hub!user=a", "bogus"] }]), [
    `roles[0] (t).scopes: unknown scopes: servers!user=a/b, read:hub!user=a, bogus (JupyterHub's names with filters, "self", or a bare !user / !server / !service filter the scope takes; see docs/jupyterhub-compat.md)`,
  ]);
  // bare filters must be ones the scope takes, spelled exactly; "self" alone
  assert.deepEqual(
    problems([
      { name: "t", scopes: ["read:hub!user", "groups!server", "access:servers!user=", "access:servers!users", "self!user", "access:servers!user!group"] },
    ]),
    [
      `roles[0] (t).scopes: unknown scopes: read:hub!user, groups!server, access:servers!user=, access:servers!users, self!user, access:servers!user!group (JupyterHub's names with filters, "self", or a bare !user / !server / !service filter the scope takes; see docs/jupyterhub-compat.md)`,
    ],
  );
  assert.deepEqual(problems([{ name: "own", scopes: ["self", "access:servers!user", "read:servers!server", "read:services!service"] }]), []);
  assert.deepEqual(problems([{ name: "t", scopes: ["inherit"] }]), ["roles[0] (t).scopes: inherit is a token's scope, not a role's: name the scopes"]);
  assert.deepEqual(problems([{ name: "t", scopes: [] }]), ["roles[0] (t).scopes: needs at least 1 entry (got a list)"]);
  assert.deepEqual(problems([{ name: "admin", scopes: ["servers"] }]), [
    "roles[0] (admin).name: is a built-in role (user, admin, server, token); choose another name",
  ]);
  assert.deepEqual(
    problems([
      { name: "t", scopes: ["servers"] },
      { name: "t", scopes: ["tokens"] },
    ]),
    [`roles[1] (t).name: "t" is the name of an earlier role; names must be unique`],
  );
  assert.equal(problems([{ name: "t", scopes: ["servers"], user: ["alice"] }]).length, 1, "unknown key (users is meant)");
  assert.deepEqual(problems([{ name: "t", scopes: ["servers"], services: ["nope"] }]), [`roles[0].services[0] (t): no service "nope" in services`]);
});
