-- CreateTable
CREATE TABLE "AdmissionDecision" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "uid" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "workloadKind" TEXT,
    "workloadName" TEXT,
    "serviceAccounts" TEXT[],
    "decision" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "failOn" TEXT NOT NULL,
    "rules" TEXT[],
    "findings" JSONB NOT NULL DEFAULT '[]',
    "message" TEXT NOT NULL,
    "user" TEXT NOT NULL,

    CONSTRAINT "AdmissionDecision_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AdmissionDecision_clusterId_at_idx" ON "AdmissionDecision"("clusterId", "at");

-- CreateIndex
CREATE INDEX "AdmissionDecision_at_idx" ON "AdmissionDecision"("at");

-- CreateIndex
CREATE INDEX "AdmissionDecision_clusterId_namespace_workloadKind_workload_idx" ON "AdmissionDecision"("clusterId", "namespace", "workloadKind", "workloadName", "at");

-- CreateIndex
CREATE INDEX "AdmissionDecision_serviceAccounts_idx" ON "AdmissionDecision" USING GIN ("serviceAccounts");

-- AddForeignKey
ALTER TABLE "AdmissionDecision" ADD CONSTRAINT "AdmissionDecision_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
