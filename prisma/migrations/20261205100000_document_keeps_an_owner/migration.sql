-- A document always keeps at least one OWNER, whoever changes its members:
-- this node, another node, or someone at a psql prompt. The API also takes
-- the document's row lock and re-checks the caller's role before a change
-- (api/src/documents/documents.ts), so that of two owners demoting each other
-- at the same moment the second finds itself no longer an owner (FORBIDDEN);
-- this trigger is what makes the rule hold where the data lives.
--
-- Why it locks the document row: under READ COMMITTED two transactions that
-- each demote a different owner would both still see the other's OWNER row
-- (not yet committed) and both pass. Taking the document's row lock makes
-- them queue; the second then counts owners in a fresh snapshot (every
-- statement of a volatile function takes one) and sees the first's change.
-- FOR NO KEY UPDATE, the lock collab_append's head update takes, leaves
-- foreign-key checks (KEY SHARE) of concurrent inserts alone.
--
-- A document being deleted (the cascade removes its members) has no row left
-- to lock: nothing to keep. Deleting a user who is a document's only owner is
-- refused as well; delete or hand over the document first.
--
-- A refusal raises SQLSTATE 23514 (check_violation) with the constraint name
-- below, which the API reports as BAD_USER_INPUT with reason LAST_OWNER.
CREATE FUNCTION "document_keeps_an_owner"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF OLD."role" <> 'OWNER' OR (TG_OP = 'UPDATE' AND NEW."role" = 'OWNER' AND NEW."documentId" = OLD."documentId") THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM "Document" WHERE "id" = OLD."documentId" FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM "DocumentMember" WHERE "documentId" = OLD."documentId" AND "role" = 'OWNER') THEN
        RAISE EXCEPTION 'document % would have no owner', OLD."documentId"
            USING ERRCODE = '23514', CONSTRAINT = 'DocumentMember_keeps_an_owner';
    END IF;
    RETURN NULL;
END
$$;

-- A constraint trigger so that a transaction may defer it (SET CONSTRAINTS
-- ... DEFERRED) to hand ownership over in two steps; immediate by default.
CREATE CONSTRAINT TRIGGER "DocumentMember_keeps_an_owner"
    AFTER UPDATE OR DELETE ON "DocumentMember"
    DEFERRABLE INITIALLY IMMEDIATE
    FOR EACH ROW EXECUTE FUNCTION "document_keeps_an_owner"();
