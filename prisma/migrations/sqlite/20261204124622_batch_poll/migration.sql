-- CreateTable
CREATE TABLE "BatchJobWatch" (
    "poll" TEXT NOT NULL,
    "jobId" TEXT NOT NULL,
    "replica" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("poll", "jobId")
);

-- CreateTable
CREATE TABLE "BatchPollResult" (
    "poll" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME NOT NULL,
    "states" TEXT NOT NULL DEFAULT '{}',
    "error" TEXT
);

-- CreateIndex
CREATE INDEX "BatchJobWatch_replica_idx" ON "BatchJobWatch"("replica");

