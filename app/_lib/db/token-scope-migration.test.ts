// Stored API tokens keep working across the move to JupyterHub's scope names: a database with
// tokens made under the old names is migrated like a hub start does, and each token still passes
// the endpoints it passed before.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations } from "./migrate";
import { openDatabase } from "./open";
import { expandScopes, hasAnyScope, requiredScopes } from "@/app/_lib/auth/scopes";

const MIGRATION = "server_remove_and_jupyterhub_scopes";

test("tokens stored with Gyre's former scopes pass the same endpoints after the migration; servers and spawn events survive it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-scope-mig-"));
  try {
    const src = join(process.cwd(), "prisma", "migrations", "sqlite");
    const dst = join(dir, "prisma", "migrations", "sqlite");
    mkdirSync(dst, { recursive: true });
    const all = readdirSync(src)
      .filter((d) => /^\d{14}_/.test(d))
      .sort();
    const at = all.findIndex((d) => d.endsWith(MIGRATION));
    assert.ok(at > 0, "the migration exists");
    for (const d of all.slice(0, at)) cpSync(join(src, d), join(dst, d), { recursive: true });
    const { db } = await openDatabase(`file:${join(dir, "t.db")}`);
    try {
      await applyMigrations(db, "sqlite", dir);
      // raw SQL: the client knows columns that later migrations add
      await db.$executeRawUnsafe(`INSERT INTO "User" ("name", "admin") VALUES ('old', true)`);
      const u = await db.user.findFirstOrThrow({ select: { id: true } });
      const before = { readUsers: "read:users", admin: "admin:users servers", both: "read:users admin:users", plain: "servers tokens", inherit: "" };
      // raw SQL: the client knows ApiToken columns that later migrations add
      for (const [note, scopes] of Object.entries(before))
        await db.$executeRaw`INSERT INTO "ApiToken" ("userId", "prefix", "hash", "note", "scopes") VALUES (${u.id}, ${note.padEnd(8, "x")}, ${note}, ${note}, ${scopes})`;
      // raw SQL: the client already knows the column this migration adds
      await db.$executeRawUnsafe(`INSERT INTO "Server" ("userId", "name", "state", "updatedAt") VALUES (${u.id}, '', 'running', '2026-01-01')`);
      const server = await db.server.findFirstOrThrow({ select: { id: true } });
      await db.$executeRawUnsafe(`INSERT INTO "SpawnEvent" ("serverId", "spawnId", "progress", "message") VALUES (${server.id}, 's1', 100, 'Server ready')`);
      for (const d of all.slice(at)) cpSync(join(src, d), join(dst, d), { recursive: true });
      assert.deepEqual(await applyMigrations(db, "sqlite", dir), all.slice(at));
      // the new column is added in place: servers and their spawn events stay
      assert.equal((await db.server.findUniqueOrThrow({ where: { id: server.id } })).removeWhenStopped, false);
      assert.equal(await db.spawnEvent.count({ where: { serverId: server.id } }), 1);
      const after = Object.fromEntries((await db.apiToken.findMany()).map((t) => [t.note, t.scopes]));
      assert.deepEqual(after, {
        readUsers: "read:users list:users read:servers",
        admin: "admin:users servers read:servers",
        both: "read:users admin:users list:users read:servers",
        plain: "servers tokens",
        inherit: "",
      });
      const passes = (scopes: string, method: string, path: string) => hasAnyScope(expandScopes(scopes ? scopes.split(" ") : []), requiredScopes(method, path));
      // what the former read:users did: list users, read a user with servers
      assert.ok(passes(after.readUsers, "GET", "/hub/api/users") && expandScopes(after.readUsers.split(" ")).has("read:servers"));
      assert.ok(!passes(after.readUsers, "DELETE", "/hub/api/users/bob/server"), "and no more");
      assert.ok(passes(after.admin, "DELETE", "/hub/api/users/bob") && expandScopes(after.admin.split(" ")).has("read:servers"));
    } finally {
      await db.$disconnect();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
