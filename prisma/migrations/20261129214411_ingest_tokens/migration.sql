-- CreateTable
CREATE TABLE "IngestToken" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "IngestToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "IngestToken_tokenHash_key" ON "IngestToken"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "IngestToken_clusterId_name_key" ON "IngestToken"("clusterId", "name");

-- AddForeignKey
ALTER TABLE "IngestToken" ADD CONSTRAINT "IngestToken_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
