-- Share by link: an owner makes a revocable link that gives whoever opens
-- it (signed in) a role on the document. Only a SHA-256 of the link's
-- secret is stored. A member who joined through a link remembers it
-- (viaLinkId), so revoking the link removes exactly the access it gave;
-- sharing with that member by email afterwards clears viaLinkId (the access
-- is then the owner's own grant and outlives the link).
CREATE TABLE "ShareLink" (
    "id" TEXT NOT NULL,
    "documentId" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ShareLink_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "ShareLink_secretHash_key" ON "ShareLink"("secretHash");

CREATE INDEX "ShareLink_documentId_idx" ON "ShareLink"("documentId");

ALTER TABLE "ShareLink" ADD CONSTRAINT "ShareLink_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "ShareLink" ADD CONSTRAINT "ShareLink_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

ALTER TABLE "DocumentMember" ADD COLUMN "viaLinkId" TEXT;

CREATE INDEX "DocumentMember_viaLinkId_idx" ON "DocumentMember"("viaLinkId");

ALTER TABLE "DocumentMember" ADD CONSTRAINT "DocumentMember_viaLinkId_fkey" FOREIGN KEY ("viaLinkId") REFERENCES "ShareLink"("id") ON DELETE SET NULL ON UPDATE CASCADE;
