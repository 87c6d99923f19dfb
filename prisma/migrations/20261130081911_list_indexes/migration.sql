-- DropIndex
DROP INDEX "Finding_status_severity_idx";

-- CreateIndex
CREATE INDEX "Finding_status_severity_lastSeenAt_firstSeenAt_ruleId_subje_idx" ON "Finding"("status", "severity" DESC, "lastSeenAt" DESC, "firstSeenAt" DESC, "ruleId", "subjectKey");

-- CreateIndex
CREATE INDEX "Finding_identityId_idx" ON "Finding"("identityId");

-- CreateIndex
CREATE INDEX "Finding_workloadId_idx" ON "Finding"("workloadId");

-- CreateIndex
CREATE INDEX "Finding_credentialId_idx" ON "Finding"("credentialId");

-- CreateIndex
CREATE INDEX "Finding_clusterId_subjectKey_idx" ON "Finding"("clusterId", "subjectKey");

-- CreateIndex
CREATE INDEX "Identity_builtIn_idx" ON "Identity"("builtIn");

-- CreateIndex
CREATE INDEX "IdentityReach_identityId_escalationDistance_maxSeverity_cap_idx" ON "IdentityReach"("identityId", "escalationDistance", "maxSeverity", "capabilityCount", "reachesClusterAdmin");

-- CreateIndex
CREATE INDEX "RbacBinding_subjects_idx" ON "RbacBinding" USING GIN ("subjects" jsonb_path_ops);

-- CreateIndex
CREATE INDEX "RiskScore_score_idx" ON "RiskScore"("score");

-- CreateIndex
CREATE INDEX "RiskScore_identityId_score_idx" ON "RiskScore"("identityId", "score");

-- CreateIndex
CREATE INDEX "WorkloadIdentity_identityId_idx" ON "WorkloadIdentity"("identityId");
