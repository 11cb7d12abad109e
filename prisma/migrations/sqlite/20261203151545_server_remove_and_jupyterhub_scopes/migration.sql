-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Server" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "userId" INTEGER NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "state" TEXT NOT NULL DEFAULT 'stopped',
    "spawnerKind" TEXT NOT NULL DEFAULT 'local',
    "spawnerState" TEXT NOT NULL DEFAULT '{}',
    "url" TEXT,
    "spawnId" TEXT,
    "options" TEXT NOT NULL DEFAULT '{}',
    "message" TEXT,
    "logTail" TEXT,
    "requestedAt" DATETIME,
    "startedAt" DATETIME,
    "stoppedAt" DATETIME,
    "lastActivity" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    "removeWhenStopped" BOOLEAN NOT NULL DEFAULT false,
    "launchId" INTEGER,
    CONSTRAINT "Server_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Server_launchId_fkey" FOREIGN KEY ("launchId") REFERENCES "Launch" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Server" ("id", "lastActivity", "launchId", "logTail", "message", "name", "options", "requestedAt", "spawnId", "spawnerKind", "spawnerState", "startedAt", "state", "stoppedAt", "updatedAt", "url", "userId") SELECT "id", "lastActivity", "launchId", "logTail", "message", "name", "options", "requestedAt", "spawnId", "spawnerKind", "spawnerState", "startedAt", "state", "stoppedAt", "updatedAt", "url", "userId" FROM "Server";
DROP TABLE "Server";
ALTER TABLE "new_Server" RENAME TO "Server";
CREATE INDEX "Server_state_idx" ON "Server"("state");
CREATE UNIQUE INDEX "Server_userId_name_key" ON "Server"("userId", "name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;


-- Stored API tokens keep what their scopes allowed before Gyre took JupyterHub's scope names:
-- "read:users" also listed users and read their servers, "admin:users" read servers too.
UPDATE "ApiToken" SET "scopes" = "scopes" || ' list:users read:servers' WHERE (' ' || "scopes" || ' ') LIKE '% read:users %';
UPDATE "ApiToken" SET "scopes" = "scopes" || ' read:servers' WHERE (' ' || "scopes" || ' ') LIKE '% admin:users %' AND (' ' || "scopes" || ' ') NOT LIKE '% read:servers %';
