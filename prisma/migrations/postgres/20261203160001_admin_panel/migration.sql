-- AlterTable
ALTER TABLE "User" ADD COLUMN     "blockedAt" TIMESTAMP(3),
ADD COLUMN     "namedServerLimit" INTEGER,
ADD COLUMN     "recentServerSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Group" ADD COLUMN     "properties" TEXT NOT NULL DEFAULT '{}',
ADD COLUMN     "source" TEXT NOT NULL DEFAULT 'local';

-- GitHub logins made the "org:team" groups before groups had a source
UPDATE "Group" SET "source" = 'github' WHERE "name" LIKE '%:%';

-- AlterTable
ALTER TABLE "Server" ADD COLUMN     "profile" TEXT;

-- CreateTable
CREATE TABLE "UsageRecord" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "serverName" TEXT NOT NULL,
    "spawnId" TEXT NOT NULL,
    "spawnerKind" TEXT NOT NULL,
    "profile" TEXT,
    "placement" TEXT NOT NULL DEFAULT '{}',
    "requestedAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    "sampledAt" TIMESTAMP(3) NOT NULL,
    "queueWaitSeconds" DOUBLE PRECISION,
    "cpuSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "peakMemoryBytes" DOUBLE PRECISION,
    "source" TEXT NOT NULL DEFAULT 'none',
    "settled" BOOLEAN NOT NULL DEFAULT false,
    "spawnerState" TEXT NOT NULL DEFAULT '{}',

    CONSTRAINT "UsageRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BulkJob" (
    "id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "params" TEXT NOT NULL DEFAULT '{}',
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "state" TEXT NOT NULL DEFAULT 'queued',
    "total" INTEGER NOT NULL,
    "succeeded" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "heartbeatAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "BulkJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BulkJobItem" (
    "id" SERIAL NOT NULL,
    "jobId" TEXT NOT NULL,
    "userName" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "message" TEXT,

    CONSTRAINT "BulkJobItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Announcement" (
    "id" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "updatedBy" TEXT NOT NULL,

    CONSTRAINT "Announcement_pkey" PRIMARY KEY ("id")
);

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
CREATE INDEX "User_lastActivity_idx" ON "User"("lastActivity");

-- CreateIndex
CREATE INDEX "User_blockedAt_idx" ON "User"("blockedAt");

-- CreateIndex
CREATE INDEX "User_admin_idx" ON "User"("admin");

-- CreateIndex
CREATE INDEX "User_recentServerSeconds_idx" ON "User"("recentServerSeconds");

-- CreateIndex
CREATE INDEX "GroupMember_groupId_idx" ON "GroupMember"("groupId");

-- CreateIndex
CREATE INDEX "Server_profile_idx" ON "Server"("profile");

-- AddForeignKey
ALTER TABLE "UsageRecord" ADD CONSTRAINT "UsageRecord_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BulkJobItem" ADD CONSTRAINT "BulkJobItem_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "BulkJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;

