-- CreateIndex
CREATE INDEX "Anomaly_workloadId_idx" ON "Anomaly"("workloadId");

-- CreateIndex
CREATE INDEX "Finding_workloadId_status_idx" ON "Finding"("workloadId", "status");

-- CreateIndex
CREATE INDEX "TimelineEvent_clusterId_kind_at_idx" ON "TimelineEvent"("clusterId", "kind", "at");

-- CreateIndex
CREATE INDEX "Workload_namespace_name_kind_id_idx" ON "Workload"("namespace", "name", "kind", "id");
