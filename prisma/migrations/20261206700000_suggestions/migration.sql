-- Suggestions (tracked changes): proposed deltas kept off the log (api/src/suggestions/).
CREATE TYPE "SuggestionStatus" AS ENUM ('OPEN', 'ACCEPTED', 'REJECTED', 'OUTDATED');

CREATE TABLE "Suggestion" (
    "id" TEXT NOT NULL,
    "documentId" TEXT NOT NULL,
    "authorId" TEXT,
    "clientId" TEXT NOT NULL,
    "clientSeq" INTEGER NOT NULL,
    "requestHash" TEXT,
    "baseVersion" INTEGER NOT NULL,
    "originalDelta" JSONB NOT NULL,
    "version" INTEGER NOT NULL,
    "delta" JSONB NOT NULL,
    "status" "SuggestionStatus" NOT NULL DEFAULT 'OPEN',
    "acceptedVersion" INTEGER,
    "acceptedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settledAt" TIMESTAMP(3),

    CONSTRAINT "Suggestion_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "Suggestion_documentId_clientId_clientSeq_key" ON "Suggestion"("documentId", "clientId", "clientSeq");
CREATE INDEX "Suggestion_documentId_createdAt_idx" ON "Suggestion"("documentId", "createdAt");

ALTER TABLE "Suggestion" ADD CONSTRAINT "Suggestion_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Suggestion" ADD CONSTRAINT "Suggestion_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Suggestion" ADD CONSTRAINT "Suggestion_acceptedById_fkey" FOREIGN KEY ("acceptedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
