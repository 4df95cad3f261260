-- CreateTable
-- API tokens: credentials for agents and backends (api/src/auth/api-tokens.ts).
-- Only the SHA-256 of the secret is stored.
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "documentId" TEXT,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "ApiToken_userId_idx" ON "ApiToken"("userId");

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
-- Attribution: the token an op was written with and the agent run it belongs
-- to; requestHash fingerprints an editDocument request (its idempotency key is
-- the op's clientId). All nullable: existing ops were written by people.
ALTER TABLE "Operation" ADD COLUMN "tokenId" TEXT,
ADD COLUMN "runId" TEXT,
ADD COLUMN "requestHash" TEXT;

-- AddForeignKey
ALTER TABLE "Operation" ADD CONSTRAINT "Operation_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "ApiToken"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- ReplaceFunction
-- collab_append (as in 20261125000000_append_checks_write_access) now also
-- stores each op's token ("t"), run ("r") and request hash ("h"), and checks,
-- in the commit, the token an op was written with: it must belong to the
-- author, be unrevoked, hold a writing role, and, when it is limited to a
-- document, be limited to this one. So a revocation binds every node from
-- the moment it commits, as a revoked session does. A refusal's DETAIL rows
-- gain "token"; "live" is false for a revoked (or foreign) token and "role"
-- is the token's role when that is what is too low.
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
    RETURN 1;
END
$$;
