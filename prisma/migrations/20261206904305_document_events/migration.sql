-- Change events for backends (issue 19 item 5): a transactional outbox of
-- document events, and webhooks that receive them.
--
-- Ordering. An event row gets "id" (a bigserial) when it is written, in the
-- writer's own transaction. Concurrent transactions can commit their ids out
-- of order (9 commits after 10), so "id" is not a position a reader may
-- resume from: it would skip 9. The public position is "seq", given later by
-- collab_stamp_events under a transaction-level advisory lock: one stamper
-- at a time, each numbering the committed, ready rows from max(seq) + 1 in
-- "id" order and committing before the next stamper starts. So every seq at
-- or below one a reader sees is already committed and visible to it: reads
-- by "seq > after" are gap-free and repeat nothing. This works the same on
-- PostgreSQL and PGlite (no reliance on xid snapshots), and keeps the hot op
-- commit free of any global lock: collab_append only touches its own
-- document's open CHANGED row.
--
-- Coalescing. collab_append keeps at most one open CHANGED row per document
-- and extends its toVersion for one second after it was opened ("openedAt",
-- the database clock); after that, or once another event of the document
-- closes it, the next batch opens a new one. A CHANGED row is stamped only
-- when closed or a second old, so a stamped row never changes again and no
-- version range is lost. The stamper and an extending append meet on the
-- row lock: whichever commits first wins, the other re-reads the row.
CREATE TYPE "DocumentEventKind" AS ENUM ('CREATED', 'CHANGED', 'RENAMED', 'SHARED', 'UNSHARED', 'DELETED', 'COMMENTED', 'SUGGESTED');

CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('PENDING', 'DELIVERED', 'DEAD');

-- CreateTable
-- No foreign key to Document: a DELETED event outlives its document.
CREATE TABLE "DocumentEvent" (
    "id" BIGSERIAL NOT NULL,
    "seq" BIGINT,
    "kind" "DocumentEventKind" NOT NULL,
    "documentId" TEXT NOT NULL,
    "fromVersion" INTEGER,
    "toVersion" INTEGER,
    "actorId" TEXT,
    "tokenId" TEXT,
    "runId" TEXT,
    "audience" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "closed" BOOLEAN NOT NULL DEFAULT true,
    "openedAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    "at" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),

    CONSTRAINT "DocumentEvent_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "DocumentEvent_seq_key" ON "DocumentEvent"("seq");
-- Also what collab_append and collab_event look for, a document's rows not
-- stamped yet ("seq" IS NULL is searchable in a btree); the stamper finds
-- all unstamped rows through DocumentEvent_seq_key the same way.
CREATE INDEX "DocumentEvent_documentId_seq_idx" ON "DocumentEvent"("documentId", "seq");

-- CreateTable
-- The secret signs deliveries, so it is kept as is (it is shown to its owner once).
CREATE TABLE "Webhook" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "events" "DocumentEventKind"[],
    "secret" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Webhook_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "Webhook_userId_idx" ON "Webhook"("userId");

ALTER TABLE "Webhook" ADD CONSTRAINT "Webhook_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
-- One row per (webhook, event): the queue and the delivery log at once.
CREATE TABLE "WebhookDelivery" (
    "id" BIGSERIAL NOT NULL,
    "webhookId" TEXT NOT NULL,
    "eventSeq" BIGINT NOT NULL,
    "documentId" TEXT NOT NULL,
    "status" "WebhookDeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    "leaseUntil" TIMESTAMP(3),
    "lastStatusCode" INTEGER,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    "deliveredAt" TIMESTAMP(3),

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "WebhookDelivery_webhookId_eventSeq_key" ON "WebhookDelivery"("webhookId", "eventSeq");
CREATE INDEX "WebhookDelivery_webhookId_documentId_eventSeq_idx" ON "WebhookDelivery"("webhookId", "documentId", "eventSeq");
CREATE INDEX "WebhookDelivery_status_nextAttemptAt_idx" ON "WebhookDelivery"("status", "nextAttemptAt");

ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_webhookId_fkey" FOREIGN KEY ("webhookId") REFERENCES "Webhook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Writes one event row in the caller's transaction, after closing the
-- document's open CHANGED row, so that the document's events are stamped in
-- the order they were written. A DELETED event passes its readers
-- (`p_audience`: the members before the delete) on to that CHANGED row too.
CREATE FUNCTION "collab_event"(
    p_kind "DocumentEventKind",
    p_document TEXT,
    p_version INTEGER,
    p_actor TEXT,
    p_audience TEXT[]
) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "DocumentEvent"
    SET "closed" = true, "audience" = CASE WHEN p_kind = 'DELETED' THEN p_audience ELSE "audience" END
    WHERE "documentId" = p_document AND "seq" IS NULL AND "kind" = 'CHANGED' AND NOT "closed";
    INSERT INTO "DocumentEvent" ("kind", "documentId", "fromVersion", "toVersion", "actorId", "audience")
    VALUES (p_kind, p_document, p_version, p_version, p_actor, coalesce(p_audience, ARRAY[]::TEXT[]));
END
$$;

-- Who did it, for the changes whose rows do not say: the transaction sets
-- collab.actor (set_config(..., true)); unset is NULL.
CREATE FUNCTION "collab_actor"() RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT NULLIF(current_setting('collab.actor', true), '')
$$;

-- Triggers: every path that changes a document, its members, its comments or
-- suggestions writes its event in its own transaction, whatever code made
-- the change. (Ops are not here: collab_append writes CHANGED itself, one
-- row per batch, not one per op.)
CREATE FUNCTION "collab_document_event"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM "collab_event"('CREATED', NEW."id", NEW."version", "collab_actor"(), NULL);
        RETURN NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM "collab_event"('RENAMED', NEW."id", NEW."version", "collab_actor"(), NULL);
        RETURN NULL;
    END IF;
    -- BEFORE DELETE: the members are still there; they may read the DELETED event.
    PERFORM "collab_event"('DELETED', OLD."id", OLD."version", "collab_actor"(),
        (SELECT coalesce(array_agg(m."userId"), ARRAY[]::TEXT[]) FROM "DocumentMember" m WHERE m."documentId" = OLD."id"));
    RETURN OLD;
END
$$;

CREATE TRIGGER "Document_created_event" AFTER INSERT ON "Document"
    FOR EACH ROW EXECUTE FUNCTION "collab_document_event"();
CREATE TRIGGER "Document_renamed_event" AFTER UPDATE OF "title" ON "Document"
    FOR EACH ROW WHEN (OLD."title" IS DISTINCT FROM NEW."title") EXECUTE FUNCTION "collab_document_event"();
CREATE TRIGGER "Document_deleted_event" BEFORE DELETE ON "Document"
    FOR EACH ROW EXECUTE FUNCTION "collab_document_event"();

CREATE FUNCTION "collab_member_event"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    v INTEGER;
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- A member row deleted with its document: DELETED said it already.
        SELECT "version" INTO v FROM "Document" WHERE "id" = OLD."documentId";
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        -- The removed member may read the event that says so.
        PERFORM "collab_event"('UNSHARED', OLD."documentId", v, "collab_actor"(), ARRAY[OLD."userId"]);
        RETURN NULL;
    END IF;
    SELECT "version" INTO v FROM "Document" WHERE "id" = NEW."documentId";
    IF TG_OP = 'INSERT' AND NOT EXISTS (
        SELECT 1 FROM "DocumentMember" m WHERE m."documentId" = NEW."documentId" AND m."userId" <> NEW."userId"
    ) THEN
        -- The creator's own membership is part of CREATED: it names the actor.
        UPDATE "DocumentEvent" SET "actorId" = NEW."userId"
        WHERE "documentId" = NEW."documentId" AND "kind" = 'CREATED' AND "seq" IS NULL AND "actorId" IS NULL;
        RETURN NULL;
    END IF;
    PERFORM "collab_event"('SHARED', NEW."documentId", v, "collab_actor"(), NULL);
    RETURN NULL;
END
$$;

CREATE TRIGGER "DocumentMember_shared_event" AFTER INSERT ON "DocumentMember"
    FOR EACH ROW EXECUTE FUNCTION "collab_member_event"();
CREATE TRIGGER "DocumentMember_role_event" AFTER UPDATE OF "role" ON "DocumentMember"
    FOR EACH ROW WHEN (OLD."role" IS DISTINCT FROM NEW."role") EXECUTE FUNCTION "collab_member_event"();
CREATE TRIGGER "DocumentMember_unshared_event" AFTER DELETE ON "DocumentMember"
    FOR EACH ROW EXECUTE FUNCTION "collab_member_event"();

CREATE FUNCTION "collab_comment_event"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    doc TEXT;
    v INTEGER;
BEGIN
    IF TG_TABLE_NAME = 'Comment' THEN
        SELECT t."documentId", d."version" INTO doc, v FROM "CommentThread" t JOIN "Document" d ON d."id" = t."documentId" WHERE t."id" = NEW."threadId";
        PERFORM "collab_event"('COMMENTED', doc, v, NEW."authorId", NULL);
    ELSE
        SELECT d."version" INTO v FROM "Document" d WHERE d."id" = NEW."documentId";
        PERFORM "collab_event"('SUGGESTED', NEW."documentId", v, NEW."authorId", NULL);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER "Comment_event" AFTER INSERT ON "Comment"
    FOR EACH ROW EXECUTE FUNCTION "collab_comment_event"();
CREATE TRIGGER "Suggestion_event" AFTER INSERT ON "Suggestion"
    FOR EACH ROW EXECUTE FUNCTION "collab_comment_event"();

-- Stamps up to p_limit ready rows (see the top) and queues them for every
-- webhook that wants their kind and whose owner may read the document now.
-- Returns the highest seq stamped so far.
CREATE FUNCTION "collab_stamp_events"(p_limit INTEGER) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    base BIGINT;
    stamped INTEGER;
BEGIN
    PERFORM pg_advisory_xact_lock(72707370);
    -- A fresh snapshot after the lock: it sees the previous stamper's commit.
    SELECT coalesce(max("seq"), 0) INTO base FROM "DocumentEvent";
    WITH ready AS (
        SELECT "id" FROM "DocumentEvent"
        WHERE "seq" IS NULL AND ("closed" OR "openedAt" <= (now() AT TIME ZONE 'UTC') - INTERVAL '1 second')
        ORDER BY "id"
        LIMIT p_limit
        FOR UPDATE
    ), numbered AS (
        SELECT "id", base + row_number() OVER (ORDER BY "id") AS s FROM ready
    )
    UPDATE "DocumentEvent" e SET "seq" = n.s, "closed" = true FROM numbered n WHERE e."id" = n."id";
    GET DIAGNOSTICS stamped = ROW_COUNT;
    IF stamped = 0 THEN
        RETURN base;
    END IF;
    INSERT INTO "WebhookDelivery" ("webhookId", "eventSeq", "documentId")
    SELECT w."id", e."seq", e."documentId"
    FROM "DocumentEvent" e JOIN "Webhook" w ON e."kind" = ANY (w."events")
    WHERE e."seq" > base AND e."seq" <= base + stamped
      AND (w."userId" = ANY (e."audience")
           OR EXISTS (SELECT 1 FROM "DocumentMember" m WHERE m."documentId" = e."documentId" AND m."userId" = w."userId"))
    ON CONFLICT DO NOTHING;
    RETURN base + stamped;
END
$$;

-- ReplaceFunction
-- collab_append (as in 20261206100000_api_tokens) now also keeps the
-- document's open CHANGED row: one UPDATE (or one INSERT) per batch, whatever
-- its size. Its actor is the batch's one author (person or token, with the
-- run), or none when several wrote in that second.
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
    SELECT min(o.a), min(o.t), min(o.r), count(DISTINCT ROW(coalesce(o.a, ''), coalesce(o.t, ''), coalesce(o.r, '')))
    INTO v_a, v_t, v_r, writers
    FROM jsonb_to_recordset(p_ops) AS o(a TEXT, t TEXT, r TEXT);
    IF writers > 1 THEN
        v_a := NULL; v_t := NULL; v_r := NULL;
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
