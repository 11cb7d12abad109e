-- CreateTable
CREATE TABLE "Share" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "serverId" INTEGER NOT NULL,
    "userId" INTEGER,
    "groupId" INTEGER,
    "scopes" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Share_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Share_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Share_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ShareCode" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "serverId" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "maxExchanges" INTEGER,
    "exchangeCount" INTEGER NOT NULL DEFAULT 0,
    "lastExchangedAt" DATETIME,
    CONSTRAINT "ShareCode_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Share_userId_idx" ON "Share"("userId");

-- CreateIndex
CREATE INDEX "Share_groupId_idx" ON "Share"("groupId");

-- CreateIndex
CREATE UNIQUE INDEX "Share_serverId_userId_key" ON "Share"("serverId", "userId");

-- CreateIndex
CREATE UNIQUE INDEX "Share_serverId_groupId_key" ON "Share"("serverId", "groupId");

-- CreateIndex
CREATE UNIQUE INDEX "ShareCode_hash_key" ON "ShareCode"("hash");

-- CreateIndex
CREATE INDEX "ShareCode_serverId_idx" ON "ShareCode"("serverId");

