-- revertRun finds a run's ops by (documentId, runId) without reading the document's whole log.
CREATE INDEX "Operation_documentId_runId_idx" ON "Operation"("documentId", "runId");
