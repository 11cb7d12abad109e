-- CreateTable
CREATE TABLE "BatchCallback" (
    "spawnId" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "host" TEXT,
    "port" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "receivedAt" TIMESTAMP(3),

    CONSTRAINT "BatchCallback_pkey" PRIMARY KEY ("spawnId")
);

