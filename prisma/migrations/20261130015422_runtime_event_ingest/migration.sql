-- Runtime events are written at tens of thousands of rows a second (issue 10, lib/runtime/README.md). Most of
-- PostgreSQL's work per row was the constraints and indexes, so "RuntimeEvent" keeps only what its readers
-- need (edited by hand after Prisma's diff: partial indexes and the trigger are not in the schema language):
--
-- - No foreign key to "Cluster" (a trigger and a lookup per row written). A deleted or truncated cluster's
--   events are deleted by the statement triggers below instead, whatever deletes it.
-- - The primary key in time order, ("clusterId", "at", "key"): audit IDs are random, so the former
--   ("clusterId", "key", "at") inserted each row at a random place of a day's index (about 18 µs a row once a
--   day holds 3 million events, against 9 in time order). The same columns, so the same event (cluster, key
--   and time) is still stored once. It also serves a cluster's events by time: ("clusterId", "at") goes.
-- - The ServiceAccount and credential indexes only over the rows they can find (readers always ask for a
--   ServiceAccount or a credential id): events of nodes, controllers and people are not indexed by them.
--
-- On a database holding events, the primary key and the two indexes are rebuilt on every day partition,
-- blocking writes to the events meanwhile: a few seconds per million stored events.

-- DropForeignKey
ALTER TABLE "RuntimeEvent" DROP CONSTRAINT "RuntimeEvent_clusterId_fkey";

-- DropIndex
DROP INDEX "RuntimeEvent_clusterId_at_idx";

-- AlterTable
ALTER TABLE "RuntimeEvent" DROP CONSTRAINT "RuntimeEvent_pkey",
ADD CONSTRAINT "RuntimeEvent_pkey" PRIMARY KEY ("clusterId", "at", "key");

-- Partial indexes (by hand: Prisma's schema has no WHERE for them, and its diff leaves them as they are)
DROP INDEX "RuntimeEvent_clusterId_saNamespace_saName_at_idx";
CREATE INDEX "RuntimeEvent_clusterId_saNamespace_saName_at_idx" ON "RuntimeEvent"("clusterId", "saNamespace", "saName", "at") WHERE "saNamespace" IS NOT NULL;

DROP INDEX "RuntimeEvent_clusterId_credentialId_idx";
CREATE INDEX "RuntimeEvent_clusterId_credentialId_idx" ON "RuntimeEvent"("clusterId", "credentialId") WHERE "credentialId" IS NOT NULL;

-- A cluster's events go with it (what ON DELETE CASCADE did), once per statement, not per row written. The
-- body's semicolons are written \073: the migration runner splits a script at every semicolon.
CREATE FUNCTION "nhi_runtime"."delete_cluster_events"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS
E'BEGIN
  IF TG_OP = ''TRUNCATE'' THEN
    TRUNCATE "RuntimeEvent"\073
  ELSE
    DELETE FROM "RuntimeEvent" e USING deleted_clusters d WHERE e."clusterId" = d.id\073
  END IF\073
  RETURN NULL\073
END';

CREATE TRIGGER "Cluster_delete_runtime_events" AFTER DELETE ON "Cluster"
REFERENCING OLD TABLE AS deleted_clusters FOR EACH STATEMENT EXECUTE FUNCTION "nhi_runtime"."delete_cluster_events"();

CREATE TRIGGER "Cluster_truncate_runtime_events" AFTER TRUNCATE ON "Cluster"
FOR EACH STATEMENT EXECUTE FUNCTION "nhi_runtime"."delete_cluster_events"();
