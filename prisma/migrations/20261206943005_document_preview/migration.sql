-- The document list's preview line, written after commits (api/src/documents/preview.ts).
-- Documents not edited since this migration show none until their next commit.
ALTER TABLE "Document" ADD COLUMN "preview" TEXT NOT NULL DEFAULT '';
ALTER TABLE "Document" ADD COLUMN "previewVersion" INTEGER NOT NULL DEFAULT 0;
