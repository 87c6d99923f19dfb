-- CreateEnum
CREATE TYPE "AnomalyStatus" AS ENUM ('open', 'acknowledged', 'false_positive', 'resolved', 'suppressed');

-- DropForeignKey
ALTER TABLE "Anomaly" DROP CONSTRAINT "Anomaly_identityId_fkey";

-- DropForeignKey
ALTER TABLE "Anomaly" DROP CONSTRAINT "Anomaly_workloadId_fkey";

-- DropIndex
DROP INDEX "Anomaly_clusterId_observedAt_idx";

-- AlterTable
ALTER TABLE "Anomaly" DROP COLUMN "evidence",
DROP COLUMN "kind",
DROP COLUMN "observedAt",
ADD COLUMN     "context" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "detector" TEXT NOT NULL,
ADD COLUMN     "eventCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "eventKeys" TEXT[],
ADD COLUMN     "eventTimes" TIMESTAMP(3)[],
ADD COLUMN     "explanation" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "facts" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "fingerprint" TEXT NOT NULL,
ADD COLUMN     "firstEventAt" TIMESTAMP(3) NOT NULL,
ADD COLUMN     "history" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "lastEventAt" TIMESTAMP(3) NOT NULL,
ADD COLUMN     "owaspIds" TEXT[],
ADD COLUMN     "saName" TEXT NOT NULL,
ADD COLUMN     "saNamespace" TEXT NOT NULL,
ADD COLUMN     "status" "AnomalyStatus" NOT NULL DEFAULT 'open',
ADD COLUMN     "statusAt" TIMESTAMP(3),
ADD COLUMN     "statusBy" TEXT,
ADD COLUMN     "suppressionId" UUID,
ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL;

-- AlterTable
ALTER TABLE "Workload" ADD COLUMN     "classOverride" TEXT,
ADD COLUMN     "classOverrideAt" TIMESTAMP(3),
ADD COLUMN     "classOverrideBy" TEXT,
ADD COLUMN     "classOverrideReason" TEXT;

-- CreateTable
CREATE TABLE "AnomalySuppression" (
    "id" UUID NOT NULL,
    "clusterId" UUID,
    "detector" TEXT,
    "namespace" TEXT,
    "name" TEXT,
    "reason" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),
    "revokedBy" TEXT,

    CONSTRAINT "AnomalySuppression_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Baseline" (
    "clusterId" UUID NOT NULL,
    "saNamespace" TEXT NOT NULL,
    "saName" TEXT NOT NULL,
    "class" TEXT NOT NULL,
    "classReason" TEXT NOT NULL,
    "firstEventAt" TIMESTAMP(3) NOT NULL,
    "learnUntil" TIMESTAMP(3) NOT NULL,
    "learnedAt" TIMESTAMP(3),
    "actions" TEXT[],
    "namespaces" TEXT[],
    "sources" TEXT[],
    "userAgents" TEXT[],
    "podless" BOOLEAN NOT NULL DEFAULT false,
    "maxPerHour" INTEGER NOT NULL DEFAULT 0,
    "events" INTEGER NOT NULL DEFAULT 0,
    "accepted" TEXT[],
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Baseline_pkey" PRIMARY KEY ("clusterId","saNamespace","saName")
);

-- CreateIndex
CREATE INDEX "Anomaly_clusterId_status_severity_idx" ON "Anomaly"("clusterId", "status", "severity");

-- CreateIndex
CREATE INDEX "Anomaly_clusterId_saNamespace_saName_idx" ON "Anomaly"("clusterId", "saNamespace", "saName");

-- CreateIndex
CREATE INDEX "Anomaly_identityId_idx" ON "Anomaly"("identityId");

-- CreateIndex
CREATE INDEX "Anomaly_lastEventAt_idx" ON "Anomaly"("lastEventAt");

-- CreateIndex
CREATE UNIQUE INDEX "Anomaly_clusterId_fingerprint_key" ON "Anomaly"("clusterId", "fingerprint");

-- AddForeignKey
ALTER TABLE "Anomaly" ADD CONSTRAINT "Anomaly_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Anomaly" ADD CONSTRAINT "Anomaly_workloadId_fkey" FOREIGN KEY ("workloadId") REFERENCES "Workload"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Anomaly" ADD CONSTRAINT "Anomaly_suppressionId_fkey" FOREIGN KEY ("suppressionId") REFERENCES "AnomalySuppression"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AnomalySuppression" ADD CONSTRAINT "AnomalySuppression_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Baseline" ADD CONSTRAINT "Baseline_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
