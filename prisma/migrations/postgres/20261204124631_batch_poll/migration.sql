-- CreateTable
CREATE TABLE "BatchJobWatch" (
    "poll" TEXT NOT NULL,
    "jobId" TEXT NOT NULL,
    "replica" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BatchJobWatch_pkey" PRIMARY KEY ("poll","jobId")
);

-- CreateTable
CREATE TABLE "BatchPollResult" (
    "poll" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL,
    "states" TEXT NOT NULL DEFAULT '{}',
    "error" TEXT,

    CONSTRAINT "BatchPollResult_pkey" PRIMARY KEY ("poll")
);

-- CreateIndex
CREATE INDEX "BatchJobWatch_replica_idx" ON "BatchJobWatch"("replica");

