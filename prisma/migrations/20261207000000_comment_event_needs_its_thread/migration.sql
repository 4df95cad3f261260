-- A comment (or suggestion) whose thread (or document) was deleted between
-- the service reading it and inserting the row: the event trigger runs
-- before the foreign-key check (triggers fire in name order, and
-- "Comment_event" sorts before the constraint's), found no document, and
-- failed on DocumentEvent's NOT NULL columns, which the API could only
-- answer as an internal error. With nothing found it now records nothing,
-- and the foreign key refuses the row (23503: NOT_FOUND to the client).
CREATE OR REPLACE FUNCTION "collab_comment_event"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    doc TEXT;
    v INTEGER;
BEGIN
    IF TG_TABLE_NAME = 'Comment' THEN
        SELECT t."documentId", d."version" INTO doc, v FROM "CommentThread" t JOIN "Document" d ON d."id" = t."documentId" WHERE t."id" = NEW."threadId";
    ELSE
        SELECT d."id", d."version" INTO doc, v FROM "Document" d WHERE d."id" = NEW."documentId";
    END IF;
    IF doc IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM "collab_event"(CASE WHEN TG_TABLE_NAME = 'Comment' THEN 'COMMENTED' ELSE 'SUGGESTED' END::"DocumentEventKind", doc, v, NEW."authorId", NULL);
    RETURN NULL;
END
$$;
