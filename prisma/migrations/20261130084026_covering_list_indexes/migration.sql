-- DropIndex
DROP INDEX "Identity_builtIn_idx";

-- DropIndex
DROP INDEX "RiskScore_identityId_score_idx";

-- CreateIndex
CREATE INDEX "Identity_builtIn_deletedAt_idx" ON "Identity"("builtIn", "deletedAt");

-- CreateIndex
CREATE INDEX "RiskScore_identityId_score_clusterId_namespace_idx" ON "RiskScore"("identityId", "score", "clusterId", "namespace");
