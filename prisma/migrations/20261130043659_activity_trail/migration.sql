-- The activity trail (issue 13, lib/trail): "ActivityLog" becomes an append-only log chained by SHA-256, with a
-- head checkpoint. Nothing wrote the former table, so it holds no row to keep (the delete below only makes
-- the new NOT NULL columns addable). Edited by hand after Prisma's diff: the triggers, the check and the
-- first head are not in the schema language.

DELETE FROM "ActivityLog";

-- DropForeignKey
ALTER TABLE "ActivityLog" DROP CONSTRAINT "ActivityLog_userId_fkey";

-- AlterTable
ALTER TABLE "ActivityLog" DROP CONSTRAINT "ActivityLog_pkey",
DROP COLUMN "details",
DROP COLUMN "id",
ADD COLUMN     "actor" TEXT NOT NULL,
ADD COLUMN     "after" JSONB,
ADD COLUMN     "before" JSONB,
ADD COLUMN     "hash" TEXT NOT NULL,
ADD COLUMN     "prevHash" TEXT NOT NULL,
ADD COLUMN     "seq" BIGINT NOT NULL,
ADD COLUMN     "userAgent" TEXT,
ALTER COLUMN "at" DROP DEFAULT,
ADD CONSTRAINT "ActivityLog_pkey" PRIMARY KEY ("seq");

-- CreateTable
CREATE TABLE "ActivityTrailHead" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ActivityTrailHead_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ActivityLog_hash_key" ON "ActivityLog"("hash");

-- CreateIndex
CREATE INDEX "ActivityLog_action_seq_idx" ON "ActivityLog"("action", "seq");

-- CreateIndex
CREATE INDEX "ActivityLog_actor_seq_idx" ON "ActivityLog"("actor", "seq");

-- AddForeignKey
ALTER TABLE "ActivityLog" ADD CONSTRAINT "ActivityLog_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- The head starts at entry 0 (none) with the genesis hash: the first entry chains to 64 zeros.
ALTER TABLE "ActivityTrailHead" ADD CONSTRAINT "ActivityTrailHead_one_row" CHECK ("id" = 1);
INSERT INTO "ActivityTrailHead" ("id", "seq", "hash", "at") VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', now());

-- Append-only in PostgreSQL too: an entry can be inserted, never updated, deleted or truncated away, and the
-- head only moves forward one entry at a time. Someone who can disable triggers (the table's owner, a
-- superuser) can still change rows: `nhi trail verify` then reports the first entry whose hash, sequence or
-- chain does not hold. The bodies' semicolons are written \073: the migration runner splits a script at
-- every semicolon.
CREATE FUNCTION "activity_trail_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS
E'BEGIN
  RAISE EXCEPTION ''the activity trail is append-only: % on "%" is refused'', TG_OP, TG_TABLE_NAME USING ERRCODE = ''insufficient_privilege''\073
END';

CREATE TRIGGER "ActivityLog_append_only" BEFORE UPDATE OR DELETE ON "ActivityLog"
FOR EACH ROW EXECUTE FUNCTION "activity_trail_refuse_change"();

CREATE TRIGGER "ActivityLog_no_truncate" BEFORE TRUNCATE ON "ActivityLog"
FOR EACH STATEMENT EXECUTE FUNCTION "activity_trail_refuse_change"();

CREATE FUNCTION "activity_trail_head_forward"() RETURNS trigger LANGUAGE plpgsql AS
E'BEGIN
  IF TG_OP = ''UPDATE'' AND NEW."id" = OLD."id" AND NEW."seq" = OLD."seq" + 1 THEN
    RETURN NEW\073
  END IF\073
  RAISE EXCEPTION ''the activity trail head only moves forward one entry at a time: % is refused'', TG_OP USING ERRCODE = ''insufficient_privilege''\073
END';

CREATE TRIGGER "ActivityTrailHead_forward" BEFORE UPDATE OR DELETE ON "ActivityTrailHead"
FOR EACH ROW EXECUTE FUNCTION "activity_trail_head_forward"();

CREATE TRIGGER "ActivityTrailHead_no_truncate" BEFORE TRUNCATE ON "ActivityTrailHead"
FOR EACH STATEMENT EXECUTE FUNCTION "activity_trail_refuse_change"();
