-- Snapshots as compressed JSON text. A snapshot stored as jsonb made every
-- cold open of a large document pay for it twice: PostgreSQL (or PGlite, in
-- this process) turned the jsonb back into text, and the driver parsed that
-- text into objects, ~0.4 s for 5 MB of formatted text (250k runs), before
-- the node serialised the same content again for the reply; and writing one
-- (building jsonb) cost ~0.6 s of the node's thread.
--
-- Now "body" holds the content's JSON exactly as replies send it, as UTF-8,
-- Brotli-compressed, in base64 (api/src/store/snapshot-body.ts), and
-- "layout" says where its blocks are in that JSON
-- (protocol/chunked-document.ts, StoredDocument): a node opens it without
-- parsing or measuring it, and answers the first reads with its bytes. The
-- 11 MB of JSON of that document are 1.1 MB compressed: PGlite moves every
-- byte of a value through JavaScript (~8 ms a MB), so the plain text cost
-- ~100 ms to read and ~400 ms to write. Base64 in TEXT, not BYTEA: PGlite
-- passes BYTEA as hex written and parsed in JavaScript (seconds for MBs).
-- EXTERNAL: the value is compressed already; no second try.
--
-- Old rows keep their jsonb "content" and stay readable (a node reads
-- "body" when it is there, else "content"); new rows leave "content" NULL.
-- No rewrite: a document gets a new-form snapshot with its next one.
ALTER TABLE "Snapshot" ALTER COLUMN "content" DROP NOT NULL;
ALTER TABLE "Snapshot" ADD COLUMN "body" TEXT;
ALTER TABLE "Snapshot" ADD COLUMN "layout" TEXT;
ALTER TABLE "Snapshot" ALTER COLUMN "body" SET STORAGE EXTERNAL;
ALTER TABLE "Snapshot" ADD CONSTRAINT "Snapshot_content_or_body" CHECK ("content" IS NOT NULL OR ("body" IS NOT NULL AND "layout" IS NOT NULL));
