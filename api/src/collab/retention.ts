// Log retention, the core's side: what a client hears when it asks for
// ops that retention dropped (the cut itself is api/src/store/log-retention.ts).
//
// Ops with version <= the document's floor are gone; the snapshot at the
// floor holds the content there. A stream or a submission based below the
// floor cannot be served from the log any more: the answer is a typed
// SNAPSHOT_REQUIRED with the floor, and nothing changes. The sequencer does
// not look the floor up on its hot path: it notices the hole (the log
// returns fewer ops after the base than head - base) and only then asks.
import { AppError } from '../errors.ts';
import { sameAuthor } from './replay.ts';
import type { OperationLog, Submission } from './types.ts';

/** SNAPSHOT_REQUIRED: the ops after a version below `snapshotVersion` are no longer kept. Changes nothing. */
export const snapshotRequired = (snapshotVersion: number, details: Record<string, unknown> = {}) =>
  new AppError('SNAPSHOT_REQUIRED', `The log starts after version ${snapshotVersion}: load the document again (its snapshot) and re-apply unsent edits`, {
    snapshotVersion,
    ...details,
  });

/**
 * The answer to a submission based below the floor. It cannot be rebased
 * (the ops it would be rebased over are gone), so it is never applied; but
 * the client must learn whether it was committed before (its ack may be
 * among the dropped ops), or it would apply it a second time when it
 * re-applies its edits on the snapshot. `committed` says so: its key is in
 * the log above the floor (`committedVersion`), or below it (retention kept
 * the client's highest clientSeq in DroppedClient: a client sends seq n + 1
 * only after n was acknowledged, so every seq up to that one was committed).
 */
export async function submissionBelowFloor(log: OperationLog, s: Submission, headVersion: number): Promise<AppError> {
  const floor = await log.logFloor(s.documentId);
  const found = await log.findByClient(s.documentId, s.clientId, s.clientSeq);
  const about = { headVersion, clientId: s.clientId, clientSeq: s.clientSeq };
  if (found && sameAuthor(s, found)) return snapshotRequired(floor, { ...about, committed: true, committedVersion: found.version });
  const dropped = found ? null : await log.droppedClient(s.documentId, s.clientId);
  const committed =
    dropped !== null && dropped.lastSeq >= s.clientSeq && dropped.authorId === s.authorId && (dropped.tokenId ?? null) === (s.tokenId ?? null);
  return snapshotRequired(floor, { ...about, committed });
}

/** Throws SNAPSHOT_REQUIRED unless the log still holds every op after `version`. */
export async function requireKept(log: OperationLog, documentId: string, version: number): Promise<void> {
  const floor = await log.logFloor(documentId);
  if (version < floor) throw snapshotRequired(floor);
}
