-- ReplaceFunction
-- collab_append (20261124120000_append_function) now also checks, in the
-- commit's own transaction, that every op's author may still write: a member
-- with the OWNER or EDITOR role and, when the op names the session it was
-- submitted in (key "x" of p_ops, not stored), in that session, not revoked.
-- Nodes cache roles and sessions for speed and forget them when the access
-- bus says so; this check makes an access change binding on every node from
-- the moment it commits, before the bus delivers it or while Redis is down.
-- Ops without an author are the server's own.
--
-- The check rides on the insert (one index lookup per op: the member row,
-- with the session joined to it), and only a refusal pays for working out
-- who and why. A refusal raises SQLSTATE 42501 (insufficient_privilege) with
-- DETAIL a JSON array of {author, session, role, live}, one per refused op;
-- the raise undoes the head update and the inserts. Same signature and
-- result as before, so nodes of the previous release keep working during a
-- rolling deploy (they see a refusal as an unexpected error).
CREATE OR REPLACE FUNCTION "collab_append"(
    p_document TEXT,
    p_first INTEGER,
    p_last INTEGER,
    p_ops JSONB,
    p_at TIMESTAMPTZ,
    p_snapshot_version INTEGER,
    p_snapshot JSONB
) RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    inserted INTEGER;
    refused JSONB;
BEGIN
    UPDATE "Document" SET "version" = p_last, "updatedAt" = p_at AT TIME ZONE 'UTC'
    WHERE "id" = p_document AND "version" = p_first - 1;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    INSERT INTO "Operation" ("documentId", "version", "delta", "clientId", "clientSeq", "authorId", "createdAt")
    SELECT p_document, o.v, o.d, o.c, o.s, o.a, p_at AT TIME ZONE 'UTC'
    FROM jsonb_to_recordset(p_ops) AS o(v INTEGER, d JSONB, c TEXT, s INTEGER, a TEXT, x TEXT)
    WHERE o.a IS NULL OR EXISTS (
        SELECT 1 FROM "DocumentMember" m LEFT JOIN "Session" s ON s."id" = o.x
        WHERE m."documentId" = p_document AND m."userId" = o.a AND m."role" IN ('OWNER', 'EDITOR')
          AND (o.x IS NULL OR (s."userId" = o.a AND s."revokedAt" IS NULL))
    );
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF inserted < p_last - p_first + 1 THEN
        SELECT jsonb_agg(jsonb_build_object('author', w.a, 'session', w.x, 'role', w.role, 'live', w.live))
        INTO refused
        FROM (
            SELECT o.a, o.x,
                   (SELECT m."role"::TEXT FROM "DocumentMember" m WHERE m."documentId" = p_document AND m."userId" = o.a) AS role,
                   (o.x IS NULL OR EXISTS (SELECT 1 FROM "Session" s WHERE s."id" = o.x AND s."userId" = o.a AND s."revokedAt" IS NULL)) AS live
            FROM jsonb_to_recordset(p_ops) AS o(a TEXT, x TEXT)
            WHERE o.a IS NOT NULL
        ) AS w
        WHERE NOT w.live OR w.role IS NULL OR w.role NOT IN ('OWNER', 'EDITOR');
        RAISE EXCEPTION 'collab_append: an author may not write to this document'
            USING ERRCODE = '42501', DETAIL = refused::TEXT;
    END IF;
    IF p_snapshot_version IS NOT NULL THEN
        INSERT INTO "Snapshot" ("documentId", "version", "content", "createdAt")
        VALUES (p_document, p_snapshot_version, p_snapshot, p_at AT TIME ZONE 'UTC')
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN 1;
END
$$;
