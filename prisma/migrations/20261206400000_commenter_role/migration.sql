-- COMMENTER: may comment, not edit. Ranked between VIEWER and EDITOR
-- (api/src/auth/roles.ts). collab_append (20261125000000) lets only
-- OWNER and EDITOR write, so the log refuses a COMMENTER's ops by itself.
-- Alone in its migration: a new enum value cannot be used in the
-- transaction that adds it.
ALTER TYPE "Role" ADD VALUE 'COMMENTER' BEFORE 'VIEWER';
