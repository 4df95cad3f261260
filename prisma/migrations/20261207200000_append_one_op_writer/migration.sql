-- collab_append as in 20261206904305_document_events, but for a batch of
-- one op (what a person typing commits) the outbox takes the op's writer
-- straight from the JSON instead of aggregating the batch's writers with
-- a query: ~70-80 µs less per one-op commit in PGlite (this node's thread),
-- of ~420-500 µs without the WAL sync (bench/README). Same signature and
-- results, so nodes of the previous version go on calling it during a
-- rolling upgrade.
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
    v_a TEXT;
    v_t TEXT;
    v_r TEXT;
    writers INTEGER;
BEGIN
    UPDATE "Document" SET "version" = p_last, "updatedAt" = p_at AT TIME ZONE 'UTC'
    WHERE "id" = p_document AND "version" = p_first - 1;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    INSERT INTO "Operation" ("documentId", "version", "delta", "clientId", "clientSeq", "authorId", "tokenId", "runId", "requestHash", "createdAt")
    SELECT p_document, o.v, o.d, o.c, o.s, o.a, o.t, o.r, o.h, p_at AT TIME ZONE 'UTC'
    FROM jsonb_to_recordset(p_ops) AS o(v INTEGER, d JSONB, c TEXT, s INTEGER, a TEXT, x TEXT, t TEXT, r TEXT, h TEXT)
    WHERE o.a IS NULL OR (
        EXISTS (
            SELECT 1 FROM "DocumentMember" m LEFT JOIN "Session" s ON s."id" = o.x
            WHERE m."documentId" = p_document AND m."userId" = o.a AND m."role" IN ('OWNER', 'EDITOR')
              AND (o.x IS NULL OR (s."userId" = o.a AND s."revokedAt" IS NULL))
        )
        AND (o.t IS NULL OR EXISTS (
            SELECT 1 FROM "ApiToken" k
            WHERE k."id" = o.t AND k."userId" = o.a AND k."revokedAt" IS NULL AND k."role" IN ('OWNER', 'EDITOR')
              AND (k."documentId" IS NULL OR k."documentId" = p_document)
        ))
    );
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF inserted < p_last - p_first + 1 THEN
        SELECT jsonb_agg(jsonb_build_object('author', w.a, 'session', w.x, 'token', w.t, 'role', w.role, 'live', w.live))
        INTO refused
        FROM (
            SELECT o.a, o.x, o.t,
                   (SELECT CASE WHEN k."role" IS NOT NULL AND k."role" NOT IN ('OWNER', 'EDITOR') THEN k."role"::TEXT ELSE m."role"::TEXT END
                    FROM "DocumentMember" m LEFT JOIN "ApiToken" k ON k."id" = o.t
                    WHERE m."documentId" = p_document AND m."userId" = o.a) AS role,
                   ((o.x IS NULL OR EXISTS (SELECT 1 FROM "Session" s WHERE s."id" = o.x AND s."userId" = o.a AND s."revokedAt" IS NULL))
                    AND (o.t IS NULL OR EXISTS (
                        SELECT 1 FROM "ApiToken" k WHERE k."id" = o.t AND k."userId" = o.a AND k."revokedAt" IS NULL
                          AND (k."documentId" IS NULL OR k."documentId" = p_document)))) AS live
            FROM jsonb_to_recordset(p_ops) AS o(a TEXT, x TEXT, t TEXT)
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
    -- The outbox: the batch's CHANGED range, in this same transaction.
    IF p_first = p_last THEN
        -- One op, as a person typing commits: its writer is the batch's,
        -- read without a query.
        v_a := p_ops->0->>'a'; v_t := p_ops->0->>'t'; v_r := p_ops->0->>'r';
    ELSE
        SELECT min(o.a), min(o.t), min(o.r), count(DISTINCT ROW(coalesce(o.a, ''), coalesce(o.t, ''), coalesce(o.r, '')))
        INTO v_a, v_t, v_r, writers
        FROM jsonb_to_recordset(p_ops) AS o(a TEXT, t TEXT, r TEXT);
        IF writers > 1 THEN
            v_a := NULL; v_t := NULL; v_r := NULL;
        END IF;
    END IF;
    UPDATE "DocumentEvent" e
    SET "toVersion" = p_last, "at" = p_at AT TIME ZONE 'UTC',
        "actorId" = CASE WHEN (e."actorId", e."tokenId", e."runId") IS NOT DISTINCT FROM (v_a, v_t, v_r) THEN v_a END,
        "tokenId" = CASE WHEN (e."actorId", e."tokenId", e."runId") IS NOT DISTINCT FROM (v_a, v_t, v_r) THEN v_t END,
        "runId" = CASE WHEN (e."actorId", e."tokenId", e."runId") IS NOT DISTINCT FROM (v_a, v_t, v_r) THEN v_r END
    WHERE e."documentId" = p_document AND e."seq" IS NULL AND e."kind" = 'CHANGED' AND NOT e."closed"
      AND e."openedAt" > (now() AT TIME ZONE 'UTC') - INTERVAL '1 second';
    IF NOT FOUND THEN
        INSERT INTO "DocumentEvent" ("kind", "documentId", "fromVersion", "toVersion", "actorId", "tokenId", "runId", "closed", "at")
        VALUES ('CHANGED', p_document, p_first, p_last, v_a, v_t, v_r, false, p_at AT TIME ZONE 'UTC');
    END IF;
    RETURN 1;
END
$$;
