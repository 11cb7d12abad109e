-- AlterTable
ALTER TABLE "Server" ADD COLUMN "ownerReplica" TEXT;

-- CreateTable
CREATE TABLE "HubReplica" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "Server_ownerReplica_idx" ON "Server"("ownerReplica");

