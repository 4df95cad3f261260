-- Snapshots as JSON text. A snapshot stored as jsonb made every cold open of
-- a large document pay for it twice: PostgreSQL (or PGlite, in this
-- process) turned the jsonb back into text, and the driver parsed that text
-- into objects, ~0.4 s for 5 MB of formatted text (250k runs), before the
-- node serialised the same content again for the reply. Now a snapshot is
-- the content's JSON exactly as replies send it ("text"), and "layout" says
-- where its blocks are in it (protocol/chunked-document.ts, StoredDocument),
-- so a node opens it without parsing or measuring it and answers the first
-- reads with the stored text itself.
--
-- Old rows keep their jsonb "content" and stay readable (a node reads
-- "text" when it is there, else "content"); new rows leave "content" NULL.
-- No rewrite: a document gets a text snapshot with its next one.
ALTER TABLE "Snapshot" ALTER COLUMN "content" DROP NOT NULL;
ALTER TABLE "Snapshot" ADD COLUMN "text" TEXT;
ALTER TABLE "Snapshot" ADD COLUMN "layout" TEXT;
ALTER TABLE "Snapshot" ADD CONSTRAINT "Snapshot_content_or_text" CHECK ("content" IS NOT NULL OR ("text" IS NOT NULL AND "layout" IS NOT NULL));
