-- AlterTable
ALTER TABLE "Cluster" ADD COLUMN     "admissionPolicies" JSONB NOT NULL DEFAULT '[]';

-- AlterTable
ALTER TABLE "Namespace" ADD COLUMN     "networkPolicies" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- The collector kept NetworkPolicy and admission summaries in "Cluster".facts: they now live in the columns above
-- (filled by the next collection), so the old copies are dropped.
UPDATE "Cluster" SET facts = facts - 'networkPolicies' - 'admission';
