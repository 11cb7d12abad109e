-- CreateTable
CREATE TABLE "BatchCallback" (
    "spawnId" TEXT NOT NULL PRIMARY KEY,
    "secretHash" TEXT NOT NULL,
    "host" TEXT,
    "port" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "receivedAt" DATETIME
);

