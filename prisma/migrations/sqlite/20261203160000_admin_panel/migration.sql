-- Written from Prisma's diff (scripts/db-sync-schemas.ts), with tables altered in place (see below).

-- AlterTable
ALTER TABLE "Server" ADD COLUMN "profile" TEXT;

-- CreateTable
CREATE TABLE "UsageRecord" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "userId" INTEGER NOT NULL,
    "serverName" TEXT NOT NULL,
    "spawnId" TEXT NOT NULL,
    "spawnerKind" TEXT NOT NULL,
    "profile" TEXT,
    "placement" TEXT NOT NULL DEFAULT '{}',
    "requestedAt" DATETIME,
    "startedAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "sampledAt" DATETIME NOT NULL,
    "queueWaitSeconds" REAL,
    "cpuSeconds" REAL NOT NULL DEFAULT 0,
    "peakMemoryBytes" REAL,
    "source" TEXT NOT NULL DEFAULT 'none',
    "settled" BOOLEAN NOT NULL DEFAULT false,
    "spawnerState" TEXT NOT NULL DEFAULT '{}',
    CONSTRAINT "UsageRecord_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "BulkJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "action" TEXT NOT NULL,
    "params" TEXT NOT NULL DEFAULT '{}',
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "state" TEXT NOT NULL DEFAULT 'queued',
    "total" INTEGER NOT NULL,
    "succeeded" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "heartbeatAt" DATETIME,
    "finishedAt" DATETIME
);

-- CreateTable
CREATE TABLE "BulkJobItem" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "jobId" TEXT NOT NULL,
    "userName" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "message" TEXT,
    CONSTRAINT "BulkJobItem_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "BulkJob" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Announcement" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "text" TEXT NOT NULL,
    "expiresAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    "updatedBy" TEXT NOT NULL
);

-- AlterTable (in place: Prisma redefines "User" and "Group" by copy and DROP, and inside the
-- migrator's transaction SQLite ignores PRAGMA foreign_keys=OFF, so the DROP would delete every
-- row that refers to them: servers, sessions, tokens, memberships)
ALTER TABLE "User" ADD COLUMN "blockedAt" DATETIME;
ALTER TABLE "User" ADD COLUMN "namedServerLimit" INTEGER;
ALTER TABLE "User" ADD COLUMN "recentServerSeconds" REAL NOT NULL DEFAULT 0;
ALTER TABLE "Group" ADD COLUMN "source" TEXT NOT NULL DEFAULT 'local';
ALTER TABLE "Group" ADD COLUMN "properties" TEXT NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX IF NOT EXISTS "User_name_key" ON "User"("name");
CREATE UNIQUE INDEX IF NOT EXISTS "User_githubId_key" ON "User"("githubId");
CREATE INDEX IF NOT EXISTS "User_lastActivity_idx" ON "User"("lastActivity");
CREATE INDEX IF NOT EXISTS "User_blockedAt_idx" ON "User"("blockedAt");
CREATE INDEX IF NOT EXISTS "User_admin_idx" ON "User"("admin");
CREATE INDEX IF NOT EXISTS "User_recentServerSeconds_idx" ON "User"("recentServerSeconds");
CREATE UNIQUE INDEX IF NOT EXISTS "Group_name_key" ON "Group"("name");

-- GitHub logins made the "org:team" groups before groups had a source
UPDATE "Group" SET "source" = 'github' WHERE "name" LIKE '%:%';

-- CreateIndex
CREATE UNIQUE INDEX "UsageRecord_spawnId_key" ON "UsageRecord"("spawnId");

-- CreateIndex
CREATE INDEX "UsageRecord_userId_startedAt_idx" ON "UsageRecord"("userId", "startedAt");

-- CreateIndex
CREATE INDEX "UsageRecord_startedAt_idx" ON "UsageRecord"("startedAt");

-- CreateIndex
CREATE INDEX "UsageRecord_settled_idx" ON "UsageRecord"("settled");

-- CreateIndex
CREATE INDEX "BulkJob_state_idx" ON "BulkJob"("state");

-- CreateIndex
CREATE INDEX "BulkJob_createdAt_idx" ON "BulkJob"("createdAt");

-- CreateIndex
CREATE INDEX "BulkJobItem_jobId_status_idx" ON "BulkJobItem"("jobId", "status");

-- CreateIndex
CREATE INDEX "GroupMember_groupId_idx" ON "GroupMember"("groupId");

-- CreateIndex
CREATE INDEX "Server_profile_idx" ON "Server"("profile");

