-- The identities list's default order, riskiest first, as one stored number per identity, so that an index
-- serves it (pages 1 and 1000 of 100,000 identities no longer sort every row). From the most significant:
--   risk score descending, unscored first (101),
--   steps to cluster-admin ascending, none last (99 - steps, 0 for none, steps capped at 98),
--   worst severity descending, none last (critical 5 … info 1, none 0),
--   capabilities descending, no reach first (99999, counts capped at 99998).
-- Ties are broken by namespace, name and id, as before. The default is the value of an identity with no
-- score and no reach (one just collected): 101 * 10^8 + 99999.
CREATE FUNCTION nhi_identity_risk_sort(score integer, distance integer, severity text, caps integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT ((COALESCE(score, 101)::bigint * 100
           + CASE WHEN distance IS NULL THEN 0 ELSE 99 - LEAST(distance, 98) END) * 10
          + CASE severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2
                          WHEN 'info' THEN 1 ELSE 0 END) * 100000
         + CASE WHEN caps IS NULL THEN 99999 ELSE LEAST(caps, 99998) END
$$;

-- AlterTable (a double, exact for these values: a bigint would reach the app as a BigInt, which JSON cannot carry)
ALTER TABLE "Identity" ADD COLUMN     "riskSort" DOUBLE PRECISION NOT NULL DEFAULT 10100099999;

UPDATE "Identity" i SET "riskSort" = c.k
FROM (SELECT x.id, nhi_identity_risk_sort(rs.score, r."escalationDistance", r."maxSeverity"::text, r."capabilityCount") AS k
      FROM "Identity" x
      LEFT JOIN "RiskScore" rs ON rs."identityId" = x.id
      LEFT JOIN "IdentityReach" r ON r."identityId" = x.id) c
WHERE i.id = c.id AND i."riskSort" <> c.k;

-- CreateIndex
CREATE INDEX "Identity_riskSort_namespace_name_id_idx" ON "Identity"("riskSort" DESC, "namespace", "name", "id");

-- Keeping "riskSort": statement-level triggers on RiskScore and IdentityReach recompute it for the identities
-- whose rows changed (as the counts of migration identity_list_sort). Trigger bodies are E-strings with
-- their statement ends written \x3B (the migration runner splits at every semicolon).
CREATE FUNCTION nhi_refresh_identity_risk_sort(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  UPDATE "Identity" i SET "riskSort" = c.k
  FROM (SELECT x.id, nhi_identity_risk_sort(rs.score, r."escalationDistance", r."maxSeverity"::text, r."capabilityCount") AS k
        FROM (SELECT DISTINCT id FROM unnest(ids) AS u(id) WHERE id IS NOT NULL) x
        LEFT JOIN "RiskScore" rs ON rs."identityId" = x.id
        LEFT JOIN "IdentityReach" r ON r."identityId" = x.id) c
  WHERE i.id = c.id AND i."riskSort" IS DISTINCT FROM c.k
$$;

CREATE FUNCTION nhi_risk_sort_inserted() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM nhi_refresh_identity_risk_sort(ARRAY(SELECT "identityId" FROM new_rows))\x3B
  RETURN NULL\x3B
END
';

CREATE FUNCTION nhi_risk_sort_deleted() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM nhi_refresh_identity_risk_sort(ARRAY(SELECT "identityId" FROM old_rows))\x3B
  RETURN NULL\x3B
END
';

CREATE FUNCTION nhi_risk_score_updated() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM nhi_refresh_identity_risk_sort(ARRAY(
    SELECT n."identityId" FROM new_rows n JOIN old_rows o ON o."clusterId" = n."clusterId" AND o."subjectKey" = n."subjectKey"
    WHERE o.score IS DISTINCT FROM n.score OR o."identityId" IS DISTINCT FROM n."identityId"
    UNION
    SELECT o."identityId" FROM new_rows n JOIN old_rows o ON o."clusterId" = n."clusterId" AND o."subjectKey" = n."subjectKey"
    WHERE o.score IS DISTINCT FROM n.score OR o."identityId" IS DISTINCT FROM n."identityId"))\x3B
  RETURN NULL\x3B
END
';

CREATE FUNCTION nhi_identity_reach_updated() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM nhi_refresh_identity_risk_sort(ARRAY(
    SELECT n."identityId" FROM new_rows n JOIN old_rows o ON o."identityId" = n."identityId"
    WHERE o."escalationDistance" IS DISTINCT FROM n."escalationDistance"
       OR o."maxSeverity" IS DISTINCT FROM n."maxSeverity"
       OR o."capabilityCount" IS DISTINCT FROM n."capabilityCount"))\x3B
  RETURN NULL\x3B
END
';

CREATE TRIGGER "RiskScore_risk_sort_insert" AFTER INSERT ON "RiskScore"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_risk_sort_inserted();
CREATE TRIGGER "RiskScore_risk_sort_update" AFTER UPDATE ON "RiskScore"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_risk_score_updated();
CREATE TRIGGER "RiskScore_risk_sort_delete" AFTER DELETE ON "RiskScore"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_risk_sort_deleted();

CREATE TRIGGER "IdentityReach_risk_sort_insert" AFTER INSERT ON "IdentityReach"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_risk_sort_inserted();
CREATE TRIGGER "IdentityReach_risk_sort_update" AFTER UPDATE ON "IdentityReach"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_identity_reach_updated();
CREATE TRIGGER "IdentityReach_risk_sort_delete" AFTER DELETE ON "IdentityReach"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION nhi_risk_sort_deleted();
