-- CreateFunction
-- collab_lock_head: the start of a commit that cannot lose a race
-- (api/src/store/operation-log.ts, appendLocked). Inside the caller's
-- transaction it takes the document row's lock, the one collab_append's
-- head update takes (FOR NO KEY UPDATE, so foreign-key checks of concurrent
-- inserts are not blocked), and returns the ops committed after `p_after`:
-- those another node committed since this node's cached head. The caller
-- rebases its batch over them and appends it with collab_append in the same
-- transaction; no writer can take a version in between.
--
-- The lock and the read are two statements of a VOLATILE function, so the
-- read takes its snapshot after the lock is granted (READ COMMITTED) and
-- sees every op of the writer it waited for. A missing document raises
-- no_data_found (P0002): the caller's `gone`.
CREATE OR REPLACE FUNCTION "collab_lock_head"(p_document TEXT, p_after INTEGER)
RETURNS TABLE (
    "version" INTEGER,
    "delta" JSONB,
    "clientId" TEXT,
    "clientSeq" INTEGER,
    "authorId" TEXT,
    "tokenId" TEXT,
    "runId" TEXT,
    "requestHash" TEXT,
    "createdAt" TIMESTAMPTZ
) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    PERFORM 1 FROM "Document" d WHERE d."id" = p_document FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'collab_lock_head: no such document' USING ERRCODE = 'P0002';
    END IF;
    RETURN QUERY
    SELECT o."version", o."delta", o."clientId", o."clientSeq", o."authorId", o."tokenId", o."runId", o."requestHash", o."createdAt" AT TIME ZONE 'UTC'
    FROM "Operation" o
    WHERE o."documentId" = p_document AND o."version" > p_after
    ORDER BY o."version";
END
$$;
