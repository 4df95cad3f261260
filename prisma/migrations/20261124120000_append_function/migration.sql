-- CreateFunction
-- One document's commit (api/src/store/operation-log.ts, append), as a
-- function: PL/pgSQL prepares its statements once per connection, where the
-- same SQL sent as a statement is parsed and planned on every commit (in
-- embedded mode on the node's own thread: ~35 % of an append's time).
--
-- The head moves from p_first - 1 to p_last or nothing happens: the guarded
-- update makes a racing writer wait for the row, re-check the guard on the
-- new version (READ COMMITTED) and match nothing; a deleted document matches
-- nothing too. Only then are the ops inserted, and the snapshot (the content
-- at p_snapshot_version, so an existing one is equal and is kept). Returns 1
-- when the head moved, else 0. Unique violations (a version or a client's
-- op already there) reach the caller with their constraint names.
CREATE FUNCTION "collab_append"(
    p_document TEXT,
    p_first INTEGER,
    p_last INTEGER,
    p_ops JSONB,
    p_at TIMESTAMPTZ,
    p_snapshot_version INTEGER,
    p_snapshot JSONB
) RETURNS INTEGER LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "Document" SET "version" = p_last, "updatedAt" = p_at AT TIME ZONE 'UTC'
    WHERE "id" = p_document AND "version" = p_first - 1;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    INSERT INTO "Operation" ("documentId", "version", "delta", "clientId", "clientSeq", "authorId", "createdAt")
    SELECT p_document, o.v, o.d, o.c, o.s, o.a, p_at AT TIME ZONE 'UTC'
    FROM jsonb_to_recordset(p_ops) AS o(v INTEGER, d JSONB, c TEXT, s INTEGER, a TEXT);
    IF p_snapshot_version IS NOT NULL THEN
        INSERT INTO "Snapshot" ("documentId", "version", "content", "createdAt")
        VALUES (p_document, p_snapshot_version, p_snapshot, p_at AT TIME ZONE 'UTC')
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN 1;
END
$$;
