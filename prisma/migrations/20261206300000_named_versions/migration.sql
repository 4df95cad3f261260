-- Named versions ("Sent to legal"): one name per version of a document,
-- replaced when the version is named again. They go with their document;
-- a deleted author leaves the name without one.

-- CreateTable
CREATE TABLE "NamedVersion" (
    "documentId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "authorId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NamedVersion_pkey" PRIMARY KEY ("documentId","version")
);

-- AddForeignKey
ALTER TABLE "NamedVersion" ADD CONSTRAINT "NamedVersion_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NamedVersion" ADD CONSTRAINT "NamedVersion_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
