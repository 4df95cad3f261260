-- Log retention (api/src/store/log-retention.ts): ops with version <= "logFloor"
-- are dropped; the Snapshot at "logFloor" holds the content there.
-- "logFloorAt" is when the op at the floor was committed (history's entry for
-- everything before the cut ends then).
ALTER TABLE "Document" ADD COLUMN "logFloor" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Document" ADD COLUMN "logFloorAt" TIMESTAMP(3);

-- One row per client whose ops were dropped: enough to tell a client that
-- resubmits an op from before the cut whether it was committed (clientSeqs of
-- one clientId only grow), at a fraction of the ops' size.
CREATE TABLE "DroppedClient" (
    "documentId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "lastSeq" INTEGER NOT NULL,
    "lastVersion" INTEGER NOT NULL,
    "authorId" TEXT,
    "tokenId" TEXT,

    CONSTRAINT "DroppedClient_pkey" PRIMARY KEY ("documentId","clientId")
);

ALTER TABLE "DroppedClient" ADD CONSTRAINT "DroppedClient_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE ON UPDATE CASCADE;
