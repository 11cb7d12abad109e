-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN "sessionId" TEXT;

-- AlterTable
ALTER TABLE "OAuthCode" ADD COLUMN "sessionId" TEXT;

-- CreateIndex
CREATE INDEX "ApiToken_sessionId_idx" ON "ApiToken"("sessionId");

