-- Runtime events are partitioned by day (edited by hand, as Prisma writes no PARTITION BY). The day
-- partitions live in the schema nhi_runtime, which Prisma's migrations do not diff. lib/runtime/store.ts
-- creates them as events arrive and drops them by retention.
CREATE SCHEMA IF NOT EXISTS "nhi_runtime";

-- CreateTable
CREATE TABLE "RuntimeEvent" (
    "clusterId" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "key" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "verb" TEXT,
    "resource" TEXT,
    "namespace" TEXT,
    "name" TEXT,
    "responseCode" INTEGER,
    "username" TEXT,
    "saNamespace" TEXT,
    "saName" TEXT,
    "podName" TEXT,
    "node" TEXT,
    "credentialId" TEXT,
    "issuedCredentialId" TEXT,
    "sourceIp" TEXT,
    "userAgent" TEXT,
    "event" JSONB NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RuntimeEvent_pkey" PRIMARY KEY ("clusterId","key","at")
) PARTITION BY RANGE ("at");

-- CreateIndex
CREATE INDEX "RuntimeEvent_clusterId_saNamespace_saName_at_idx" ON "RuntimeEvent"("clusterId", "saNamespace", "saName", "at");

-- CreateIndex
CREATE INDEX "RuntimeEvent_clusterId_credentialId_idx" ON "RuntimeEvent"("clusterId", "credentialId");

-- AddForeignKey
ALTER TABLE "RuntimeEvent" ADD CONSTRAINT "RuntimeEvent_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
