-- CreateEnum
CREATE TYPE "FixVerification" AS ENUM ('pending', 'verified', 'failed');

-- AlterTable
ALTER TABLE "Finding" ADD COLUMN     "assignedAt" TIMESTAMP(3),
ADD COLUMN     "assigneeTeamId" UUID,
ADD COLUMN     "assigneeUserId" UUID,
ADD COLUMN     "fixClaimedAt" TIMESTAMP(3),
ADD COLUMN     "fixClaimedBy" TEXT,
ADD COLUMN     "fixNote" TEXT,
ADD COLUMN     "verification" "FixVerification",
ADD COLUMN     "verifiedAt" TIMESTAMP(3),
ADD COLUMN     "verifyNote" TEXT,
ADD COLUMN     "verifyRunId" UUID;

-- CreateIndex
CREATE INDEX "Finding_verification_clusterId_idx" ON "Finding"("verification", "clusterId");

-- CreateIndex
CREATE INDEX "Ownership_teamId_idx" ON "Ownership"("teamId");

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_assigneeUserId_fkey" FOREIGN KEY ("assigneeUserId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_assigneeTeamId_fkey" FOREIGN KEY ("assigneeTeamId") REFERENCES "Team"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_verifyRunId_fkey" FOREIGN KEY ("verifyRunId") REFERENCES "CollectionRun"("id") ON DELETE SET NULL ON UPDATE CASCADE;
