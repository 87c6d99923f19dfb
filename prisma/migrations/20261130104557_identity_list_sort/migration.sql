-- The identities list's search: trigram indexes need pg_trgm (in PostgreSQL's contrib, which the server ships).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- AlterTable
ALTER TABLE "Identity" ADD COLUMN     "anomalyCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "workloadCount" INTEGER NOT NULL DEFAULT 0;

-- The stored sort keys as they are now (the triggers below keep them).
UPDATE "Identity" i SET "workloadCount" = c.n
FROM (SELECT "identityId" AS id, count(*)::int AS n FROM "WorkloadIdentity" WHERE "deletedAt" IS NULL GROUP BY 1) c
WHERE i.id = c.id;

UPDATE "Identity" i SET "anomalyCount" = c.n
FROM (SELECT "identityId" AS id, count(*)::int AS n FROM "Anomaly"
      WHERE "identityId" IS NOT NULL AND status IN ('open', 'acknowledged') GROUP BY 1) c
WHERE i.id = c.id;

-- CreateIndex
CREATE INDEX "Identity_name_namespace_id_idx" ON "Identity"("name", "namespace", "id");

-- CreateIndex
CREATE INDEX "Identity_namespace_name_id_idx" ON "Identity"("namespace", "name", "id");

-- CreateIndex
CREATE INDEX "Identity_workloadCount_namespace_name_id_idx" ON "Identity"("workloadCount", "namespace", "name", "id");

-- CreateIndex
CREATE INDEX "Identity_anomalyCount_namespace_name_id_idx" ON "Identity"("anomalyCount", "namespace", "name", "id");

-- CreateIndex
CREATE INDEX "Identity_name_trgm_idx" ON "Identity" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Identity_namespace_trgm_idx" ON "Identity" USING GIN ("namespace" gin_trgm_ops);

-- Keeping "workloadCount" and "anomalyCount": statement-level triggers (one per event, with transition
-- tables) recount the identities whose rows changed, once per statement, so a collection that writes
-- thousands of rows recounts each identity once. An update recounts only where the counted fields changed.
-- The trigger functions' bodies are E-strings whose statement ends are written \x3B: the migration runner
-- splits a script at every semicolon, even inside a dollar-quoted body.
CREATE FUNCTION nhi_recount_identity_workloads(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  UPDATE "Identity" i SET "workloadCount" = c.n
  FROM (SELECT x.id, (SELECT count(*)::int FROM "WorkloadIdentity" w WHERE w."identityId" = x.id AND w."deletedAt" IS NULL) AS n
        FROM (SELECT DISTINCT id FROM unnest(ids) AS u(id)) x) c
  WHERE i.id = c.id AND i."workloadCount" IS DISTINCT FROM c.n
$$;

CREATE FUNCTION nhi_recount_identity_anomalies(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  UPDATE "Identity" i SET "anomalyCount" = c.n
  FROM (SELECT x.id, (SELECT count(*)::int FROM "Anomaly" a
                      WHERE a."identityId" = x.id AND a.status IN ('open', 'acknowledged')) AS n
        FROM (SELECT DISTINCT id FROM unnest(ids) AS u(id) WHERE id IS NOT NULL) x) c
  WHERE i.id = c.id AND i."anomalyCount" IS DISTINCT FROM c.n
$$;

CREATE FUNCTION nhi_workload_identity_inserted() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM nhi_recount_identity_workloads(ARRAY(SELECT "identityId" FROM new_rows))\x3B
  RETURN NULL\x3B
END
';

CREATE FUNCTION nhi_workload_identity_deleted() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM nhi_recount_identity_workloads(ARRAY(SELECT "identityId" FROM old_rows))\x3B
  RETURN NULL\x3B
END
';

CREATE FUNCTION nhi_workload_identity_updated() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM nhi_recount_identity_workloads(ARRAY(
    SELECT n."identityId" FROM new_rows n
    LEFT JOIN old_rows o ON o."workloadId" = n."workloadId" AND o."identityId" = n."identityId"
    WHERE o."identityId" IS NULL OR o."deletedAt" IS DISTINCT FROM n."deletedAt"
    UNION
    SELECT o."identityId" FROM old_rows o
    LEFT JOIN new_rows n ON n."workloadId" = o."workloadId" AND n."identityId" = o."identityId"
    WHERE n."identityId" IS NULL))\x3B
  RETURN NULL\x3B
END
';

CREATE FUNCTION nhi_anomaly_inserted() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM nhi_recount_identity_anomalies(ARRAY(SELECT "identityId" FROM new_rows WHERE "identityId" IS NOT NULL))\x3B
  RETURN NULL\x3B
END
';

CREATE FUNCTION nhi_anomaly_deleted() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM nhi_recount_identity_anomalies(ARRAY(SELECT "identityId" FROM old_rows WHERE "identityId" IS NOT NULL))\x3B
  RETURN NULL\x3B
END
';

CREATE FUNCTION nhi_anomaly_updated() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM nhi_recount_identity_anomalies(ARRAY(
    SELECT n."identityId" FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.status IS DISTINCT FROM n.status OR o."identityId" IS DISTINCT FROM n."identityId"
    UNION
    SELECT o."identityId" FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.status IS DISTINCT FROM n.status OR o."identityId" IS DISTINCT FROM n."identityId"))\x3B
  RETURN NULL\x3B
END
';

CREATE TRIGGER "WorkloadIdentity_count_insert" AFTER INSERT ON "WorkloadIdentity"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_workload_identity_inserted();
CREATE TRIGGER "WorkloadIdentity_count_update" AFTER UPDATE ON "WorkloadIdentity"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_workload_identity_updated();
CREATE TRIGGER "WorkloadIdentity_count_delete" AFTER DELETE ON "WorkloadIdentity"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_workload_identity_deleted();

CREATE TRIGGER "Anomaly_count_insert" AFTER INSERT ON "Anomaly"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_anomaly_inserted();
CREATE TRIGGER "Anomaly_count_update" AFTER UPDATE ON "Anomaly"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_anomaly_updated();
CREATE TRIGGER "Anomaly_count_delete" AFTER DELETE ON "Anomaly"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_anomaly_deleted();
