-- Written by hand from Prisma's diff: Prisma redefines "Server" (copy, DROP, rename), but the hub
-- applies each migration in one transaction, where SQLite ignores PRAGMA foreign_keys=OFF, so the
-- DROP would cascade and delete every SpawnEvent. SQLite adds a column with a constant default in
-- place.

-- AlterTable
ALTER TABLE "Server" ADD COLUMN "removeWhenStopped" BOOLEAN NOT NULL DEFAULT false;

-- Stored API tokens keep what their scopes allowed before Gyre took JupyterHub's scope names:
-- "read:users" also listed users and read their servers, "admin:users" read servers too.
UPDATE "ApiToken" SET "scopes" = "scopes" || ' list:users read:servers' WHERE (' ' || "scopes" || ' ') LIKE '% read:users %';
UPDATE "ApiToken" SET "scopes" = "scopes" || ' read:servers' WHERE (' ' || "scopes" || ' ') LIKE '% admin:users %' AND (' ' || "scopes" || ' ') NOT LIKE '% read:servers %';
