-- Written by hand from Prisma's diff: Prisma redefines "Server" (copy, DROP, rename) to add the
-- foreign key, but the hub applies each migration in one transaction, where SQLite ignores
-- PRAGMA foreign_keys=OFF, so the DROP would cascade and delete every SpawnEvent. SQLite can add
-- a nullable column with a REFERENCES clause in place.

-- AlterTable
ALTER TABLE "SpawnEvent" ADD COLUMN "cached" BOOLEAN;
ALTER TABLE "SpawnEvent" ADD COLUMN "phase" TEXT;

-- CreateTable
CREATE TABLE "Launch" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "userId" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "repoUrl" TEXT NOT NULL,
    "rawSpec" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "commit" TEXT NOT NULL,
    "serverName" TEXT NOT NULL,
    "folder" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Launch_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- AlterTable
ALTER TABLE "Server" ADD COLUMN "launchId" INTEGER REFERENCES "Launch" ("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- CreateIndex
CREATE INDEX "Launch_userId_serverName_idx" ON "Launch"("userId", "serverName");

-- CreateIndex
CREATE UNIQUE INDEX "Launch_userId_repoUrl_commit_key" ON "Launch"("userId", "repoUrl", "commit");
