-- Ingestion status (lib/runtime/status.ts, lib/data/ingestion.ts): one IngestBatch row per webhook POST or
-- nhi ingest run, and an index for the latest event of a cluster and its per-minute counts. The index on the
-- partitioned "RuntimeEvent" is created on every day partition (new ones get it too). It blocks writes to
-- the events while it is built: a few seconds per million stored events.

-- CreateTable
CREATE TABLE "IngestBatch" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "channel" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "events" INTEGER NOT NULL,
    "inserted" INTEGER NOT NULL,
    "duplicates" INTEGER NOT NULL,
    "rejected" INTEGER NOT NULL,
    "rejectedSample" JSONB NOT NULL DEFAULT '[]',
    "firstEventAt" TIMESTAMP(3),
    "lastEventAt" TIMESTAMP(3),

    CONSTRAINT "IngestBatch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "IngestBatch_clusterId_receivedAt_idx" ON "IngestBatch"("clusterId", "receivedAt");

-- CreateIndex
CREATE INDEX "RuntimeEvent_clusterId_at_idx" ON "RuntimeEvent"("clusterId", "at");

-- AddForeignKey
ALTER TABLE "IngestBatch" ADD CONSTRAINT "IngestBatch_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
