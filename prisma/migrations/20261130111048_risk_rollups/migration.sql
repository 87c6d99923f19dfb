-- CreateTable
CREATE TABLE "RiskRollup" (
    "id" BIGSERIAL NOT NULL,
    "clusterId" UUID NOT NULL,
    "namespace" TEXT NOT NULL,
    "ownerTeams" UUID[],
    "scopeTeams" UUID[],
    "score" INTEGER NOT NULL,
    "identities" INTEGER NOT NULL,

    CONSTRAINT "RiskRollup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RiskRollupTeams" (
    "id" BIGSERIAL NOT NULL,
    "clusterId" UUID NOT NULL,
    "ownerTeams" UUID[],
    "scopeTeams" UUID[],
    "score" INTEGER NOT NULL,
    "identities" INTEGER NOT NULL,

    CONSTRAINT "RiskRollupTeams_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RiskRollupNamespace" (
    "clusterId" UUID NOT NULL,
    "namespace" TEXT NOT NULL,
    "identities" INTEGER NOT NULL,
    "mean" INTEGER NOT NULL,
    "p90" INTEGER NOT NULL,
    "max" INTEGER NOT NULL,
    "high" INTEGER NOT NULL,

    CONSTRAINT "RiskRollupNamespace_pkey" PRIMARY KEY ("clusterId","namespace")
);

-- CreateTable
CREATE TABLE "RiskRollupDaily" (
    "id" BIGSERIAL NOT NULL,
    "clusterId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "scopeTeams" UUID[],
    "identities" INTEGER NOT NULL,
    "total" INTEGER NOT NULL,
    "max" INTEGER NOT NULL,
    "high" INTEGER NOT NULL,

    CONSTRAINT "RiskRollupDaily_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RiskRollup_clusterId_namespace_idx" ON "RiskRollup"("clusterId", "namespace");

-- CreateIndex
CREATE INDEX "RiskRollupTeams_clusterId_idx" ON "RiskRollupTeams"("clusterId");

-- CreateIndex
CREATE INDEX "RiskRollupNamespace_max_mean_idx" ON "RiskRollupNamespace"("max" DESC, "mean" DESC);

-- CreateIndex
CREATE INDEX "RiskRollupDaily_clusterId_day_idx" ON "RiskRollupDaily"("clusterId", "day");

-- CreateIndex
CREATE INDEX "RiskRollupDaily_day_idx" ON "RiskRollupDaily"("day");

-- AddForeignKey
ALTER TABLE "RiskRollup" ADD CONSTRAINT "RiskRollup_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RiskRollupTeams" ADD CONSTRAINT "RiskRollupTeams_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RiskRollupNamespace" ADD CONSTRAINT "RiskRollupNamespace_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RiskRollupDaily" ADD CONSTRAINT "RiskRollupDaily_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: the scores already stored, counted as lib/risk/rollups.ts counts them after each scoring (the
-- daily history of the last 400 days)
INSERT INTO "RiskRollup" ("clusterId", namespace, "ownerTeams", "scopeTeams", score, identities)
WITH s AS (
  SELECT s."clusterId", s."identityId" AS id, s.namespace, s.score FROM "RiskScore" s
  WHERE s."clusterId" IS NOT NULL AND TRUE
    AND s."identityId" IS NOT NULL AND s."identityId" NOT IN (SELECT id FROM "Identity" WHERE "builtIn")),

  owners AS (
 SELECT o."identityId" AS id, array_agg(DISTINCT o."teamId" ORDER BY o."teamId") AS teams
 FROM "Ownership" o WHERE o."identityId" IN (SELECT id FROM s) GROUP BY 1),
  scoped AS (
 SELECT x.id, array_agg(DISTINCT x.team ORDER BY x.team) AS teams FROM (
   SELECT o."identityId" AS id, o."teamId" AS team FROM "Ownership" o WHERE o."identityId" IN (SELECT id FROM s)
   UNION ALL
   SELECT wi."identityId", o."teamId" FROM "WorkloadIdentity" wi JOIN "Ownership" o ON o."workloadId" = wi."workloadId"
   WHERE wi."identityId" IN (SELECT id FROM s)) x
 GROUP BY 1)
SELECT s."clusterId", s.namespace, COALESCE(ow.teams, '{}'), COALESCE(sc.teams, '{}'), s.score, count(*)
FROM s LEFT JOIN owners ow ON ow.id = s.id LEFT JOIN scoped sc ON sc.id = s.id
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO "RiskRollupNamespace" ("clusterId", namespace, identities, mean, p90, max, high)
SELECT cluster::uuid, name, identities, mean, p90, max, high FROM (
  WITH h AS (SELECT namespace AS name, "clusterId"::text AS cluster, score, sum(identities) AS n FROM "RiskRollup"
   WHERE "clusterId" IS NOT NULL AND TRUE GROUP BY 1, 2, 3),
  running AS (
 SELECT h.*, sum(n) OVER (PARTITION BY cluster, name ORDER BY score) AS upto, sum(n) OVER (PARTITION BY cluster, name) AS total
 FROM h)
  SELECT name, cluster, sum(n)::int AS identities, round(sum(score * n) / sum(n))::int AS mean,
      min(score) FILTER (WHERE upto >= ceil(0.9::float8 * total::float8))::int AS p90, max(score)::int AS max,
      COALESCE(sum(n) FILTER (WHERE score >= 70), 0)::int AS high
  FROM running GROUP BY cluster, name) x;

INSERT INTO "RiskRollupTeams" ("clusterId", "ownerTeams", "scopeTeams", score, identities)
SELECT "clusterId", "ownerTeams", "scopeTeams", score, sum(identities) FROM "RiskRollup" WHERE "clusterId" IS NOT NULL GROUP BY 1, 2, 3, 4;

INSERT INTO "RiskRollupDaily" ("clusterId", day, "scopeTeams", identities, total, max, high)
WITH d AS (
  SELECT d."clusterId", d.day, d.score, i.id FROM "RiskScoreDaily" d
  LEFT JOIN "Identity" i ON i."clusterId" = d."clusterId"
    AND 'identity:' || i.kind::text || '/' || i.namespace || '/' || i.name = d."subjectKey"
  WHERE d."clusterId" IS NOT NULL AND d.day >= CURRENT_DATE - 400
    AND d."subjectKey" LIKE 'identity:%' AND i."builtIn" IS NOT TRUE),
ids AS (SELECT DISTINCT id FROM d WHERE id IS NOT NULL),

  owners AS (
 SELECT o."identityId" AS id, array_agg(DISTINCT o."teamId" ORDER BY o."teamId") AS teams
 FROM "Ownership" o WHERE o."identityId" IN (SELECT id FROM ids) GROUP BY 1),
  scoped AS (
 SELECT x.id, array_agg(DISTINCT x.team ORDER BY x.team) AS teams FROM (
   SELECT o."identityId" AS id, o."teamId" AS team FROM "Ownership" o WHERE o."identityId" IN (SELECT id FROM ids)
   UNION ALL
   SELECT wi."identityId", o."teamId" FROM "WorkloadIdentity" wi JOIN "Ownership" o ON o."workloadId" = wi."workloadId"
   WHERE wi."identityId" IN (SELECT id FROM ids)) x
 GROUP BY 1)
SELECT d."clusterId", d.day, COALESCE(sc.teams, '{}'), count(*), sum(d.score), max(d.score),
       count(*) FILTER (WHERE d.score >= 70)
FROM d LEFT JOIN scoped sc ON sc.id = d.id
GROUP BY 1, 2, 3;
