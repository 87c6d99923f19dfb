-- AlterTable
ALTER TABLE "Credential" ADD COLUMN     "certificate" JSONB,
ADD COLUMN     "class" TEXT NOT NULL DEFAULT 'unrecognised-secret',
ADD COLUMN     "classReason" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "invalidSince" TIMESTAMP(3),
ADD COLUMN     "lastUsedSource" TEXT,
ADD COLUMN     "resourceVersion" TEXT;

-- AlterTable
ALTER TABLE "Finding" ADD COLUMN     "explanation" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "policy" TEXT,
ADD COLUMN     "remediation" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "TimelineEvent" ADD COLUMN     "credentialId" UUID;

-- CreateTable
CREATE TABLE "CredentialCoverage" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "scopeKind" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "workloads" INTEGER NOT NULL,
    "shortLived" INTEGER NOT NULL,
    "longLived" INTEGER NOT NULL,
    "none" INTEGER NOT NULL,

    CONSTRAINT "CredentialCoverage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CredentialCoverage_clusterId_scopeKind_scope_at_idx" ON "CredentialCoverage"("clusterId", "scopeKind", "scope", "at");

-- CreateIndex
CREATE INDEX "CredentialCoverage_clusterId_at_idx" ON "CredentialCoverage"("clusterId", "at");

-- CreateIndex
CREATE INDEX "Credential_clusterId_class_idx" ON "Credential"("clusterId", "class");

-- CreateIndex
CREATE INDEX "CredentialUse_workloadId_idx" ON "CredentialUse"("workloadId");

-- CreateIndex
CREATE INDEX "TimelineEvent_credentialId_at_idx" ON "TimelineEvent"("credentialId", "at");

-- AddForeignKey
ALTER TABLE "TimelineEvent" ADD CONSTRAINT "TimelineEvent_credentialId_fkey" FOREIGN KEY ("credentialId") REFERENCES "Credential"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CredentialCoverage" ADD CONSTRAINT "CredentialCoverage_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
