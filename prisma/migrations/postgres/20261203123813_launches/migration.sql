-- AlterTable
ALTER TABLE "Server" ADD COLUMN     "launchId" INTEGER;

-- AlterTable
ALTER TABLE "SpawnEvent" ADD COLUMN     "cached" BOOLEAN,
ADD COLUMN     "phase" TEXT;

-- CreateTable
CREATE TABLE "Launch" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "repoUrl" TEXT NOT NULL,
    "rawSpec" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "commit" TEXT NOT NULL,
    "serverName" TEXT NOT NULL,
    "folder" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Launch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Launch_userId_serverName_idx" ON "Launch"("userId", "serverName");

-- CreateIndex
CREATE UNIQUE INDEX "Launch_userId_repoUrl_commit_key" ON "Launch"("userId", "repoUrl", "commit");

-- AddForeignKey
ALTER TABLE "Server" ADD CONSTRAINT "Server_launchId_fkey" FOREIGN KEY ("launchId") REFERENCES "Launch"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Launch" ADD CONSTRAINT "Launch_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

