-- AlterTable
ALTER TABLE "IdentityReach" ADD COLUMN     "escalationTargets" JSONB NOT NULL DEFAULT '[]';
