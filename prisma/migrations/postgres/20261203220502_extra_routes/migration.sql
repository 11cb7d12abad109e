-- CreateTable
CREATE TABLE "ExtraRoute" (
    "path" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ExtraRoute_pkey" PRIMARY KEY ("path")
);

