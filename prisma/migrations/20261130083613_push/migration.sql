-- CreateTable
CREATE TABLE "PushCursor" (
    "clusterId" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "lastSeq" INTEGER NOT NULL,
    "current" BOOLEAN NOT NULL DEFAULT false,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastPushAt" TIMESTAMP(3) NOT NULL,
    "snapshotAt" TIMESTAMP(3),
    "objects" INTEGER NOT NULL DEFAULT 0,
    "agent" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "PushCursor_pkey" PRIMARY KEY ("clusterId","sessionId")
);

-- CreateTable
CREATE TABLE "PushObject" (
    "clusterId" UUID NOT NULL,
    "resource" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "object" JSONB NOT NULL,

    CONSTRAINT "PushObject_pkey" PRIMARY KEY ("clusterId","resource","key")
);

-- CreateIndex
CREATE INDEX "PushCursor_clusterId_current_idx" ON "PushCursor"("clusterId", "current");

-- AddForeignKey
ALTER TABLE "PushCursor" ADD CONSTRAINT "PushCursor_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PushObject" ADD CONSTRAINT "PushObject_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
