-- AlterTable
ALTER TABLE "Claim" ADD COLUMN     "decidedById" UUID,
ADD COLUMN     "decisionNote" TEXT,
ADD COLUMN     "identityId" UUID,
ADD COLUMN     "note" TEXT,
ALTER COLUMN "workloadId" DROP NOT NULL;

-- CreateIndex
CREATE INDEX "Claim_status_createdAt_idx" ON "Claim"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Claim_workloadId_idx" ON "Claim"("workloadId");

-- CreateIndex
CREATE INDEX "Claim_identityId_idx" ON "Claim"("identityId");

-- AddForeignKey
ALTER TABLE "Claim" ADD CONSTRAINT "Claim_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Claim" ADD CONSTRAINT "Claim_decidedById_fkey" FOREIGN KEY ("decidedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- A claim is about one workload or one identity, never both or neither
ALTER TABLE "Claim" ADD CONSTRAINT "Claim_one_subject" CHECK (("workloadId" IS NULL) <> ("identityId" IS NULL));
