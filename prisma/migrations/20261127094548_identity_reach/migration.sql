-- CreateTable
CREATE TABLE "IdentityReach" (
    "identityId" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "namespaces" TEXT[],
    "allNamespaces" BOOLEAN NOT NULL,
    "capabilities" JSONB NOT NULL DEFAULT '[]',
    "bindings" JSONB NOT NULL DEFAULT '[]',
    "capabilityCount" INTEGER NOT NULL DEFAULT 0,
    "maxSeverity" "Severity",
    "reachesClusterAdmin" BOOLEAN NOT NULL DEFAULT false,
    "escalationDistance" INTEGER,
    "escalationSteps" JSONB NOT NULL DEFAULT '[]',
    "computedAt" TIMESTAMP(3) NOT NULL,
    "escalationComputedAt" TIMESTAMP(3),

    CONSTRAINT "IdentityReach_pkey" PRIMARY KEY ("identityId")
);

-- CreateIndex
CREATE INDEX "IdentityReach_clusterId_maxSeverity_idx" ON "IdentityReach"("clusterId", "maxSeverity");

-- CreateIndex
CREATE INDEX "IdentityReach_clusterId_reachesClusterAdmin_idx" ON "IdentityReach"("clusterId", "reachesClusterAdmin");

-- AddForeignKey
ALTER TABLE "IdentityReach" ADD CONSTRAINT "IdentityReach_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IdentityReach" ADD CONSTRAINT "IdentityReach_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
