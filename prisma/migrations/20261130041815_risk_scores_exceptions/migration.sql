-- DropForeignKey
ALTER TABLE "FindingException" DROP CONSTRAINT "FindingException_approvedById_fkey";

-- DropForeignKey
ALTER TABLE "FindingException" DROP CONSTRAINT "FindingException_requestedById_fkey";

-- AlterTable
ALTER TABLE "FindingException" DROP COLUMN "approvedById",
DROP COLUMN "requestedById",
ADD COLUMN     "approvedBy" TEXT NOT NULL,
ADD COLUMN     "expiredAt" TIMESTAMP(3),
ADD COLUMN     "requestedBy" TEXT NOT NULL,
ADD COLUMN     "revokedBy" TEXT,
ALTER COLUMN "approvedAt" SET NOT NULL;

-- CreateTable
CREATE TABLE "RiskScore" (
    "clusterId" UUID NOT NULL,
    "subjectKey" TEXT NOT NULL,
    "identityId" UUID,
    "workloadId" UUID,
    "namespace" TEXT NOT NULL,
    "score" INTEGER NOT NULL,
    "factors" JSONB NOT NULL DEFAULT '[]',
    "weights" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "computedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RiskScore_pkey" PRIMARY KEY ("clusterId","subjectKey")
);

-- CreateTable
CREATE TABLE "RiskScoreDaily" (
    "clusterId" UUID NOT NULL,
    "subjectKey" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "score" INTEGER NOT NULL,

    CONSTRAINT "RiskScoreDaily_pkey" PRIMARY KEY ("clusterId","subjectKey","day")
);

-- CreateIndex
CREATE INDEX "RiskScore_clusterId_score_idx" ON "RiskScore"("clusterId", "score");

-- CreateIndex
CREATE UNIQUE INDEX "RiskScore_identityId_key" ON "RiskScore"("identityId");

-- CreateIndex
CREATE UNIQUE INDEX "RiskScore_workloadId_key" ON "RiskScore"("workloadId");

-- CreateIndex
CREATE INDEX "RiskScoreDaily_clusterId_day_idx" ON "RiskScoreDaily"("clusterId", "day");

-- CreateIndex
CREATE INDEX "FindingException_findingId_idx" ON "FindingException"("findingId");

-- CreateIndex
CREATE INDEX "FindingException_expiresAt_idx" ON "FindingException"("expiresAt");

-- AddForeignKey
ALTER TABLE "RiskScore" ADD CONSTRAINT "RiskScore_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RiskScore" ADD CONSTRAINT "RiskScore_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RiskScore" ADD CONSTRAINT "RiskScore_workloadId_fkey" FOREIGN KEY ("workloadId") REFERENCES "Workload"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RiskScoreDaily" ADD CONSTRAINT "RiskScoreDaily_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
