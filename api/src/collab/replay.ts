// Idempotency (docs/architecture.md, Invariants): a submission whose (documentId, clientId,
// clientSeq) is already in the log gets the op committed the first time,
// but only if it *is* that op again: the same author, and the same edit.
// Anything else reusing the key is refused, or one writer would be answered
// with another's op as its own commit (its edit silently lost, its client
// diverged).
//
// "The same edit" is decided from the log itself, not from a digest of the
// submission: a client resubmits its op in flight after a reconnect
// *rebased* over the remote ops it received meanwhile (ot-client.ts), so
// its (baseVersion, delta) legitimately differ from the first submission's.
// What does not differ is where the edit lands: rebased over the ops
// committed before the first commit, any honest resubmission gives exactly
// the committed delta (rebase is a left fold with the committed op winning
// ties, the same transform the client mirrors). So nothing extra is stored
// or hashed per op; only a replay pays for one rebase over the ops between
// its base and the first commit.
import { badInput } from '../errors.ts';
import type { Delta } from '../../../protocol/delta.ts';
import { rebase } from '../../../protocol/rebase.ts';
import type { Submission } from './types.ts';

/** What a replay is compared with: a committed (or planned) op. */
export interface FirstCommit {
  version: number;
  delta: Delta;
  authorId: string | null;
  tokenId?: string | null;
  requestHash?: string | null;
}

/**
 * Whether `submission` is a resubmission of `first`. `between`: the ops
 * with versions in (submission.baseVersion, first.version), ascending; the
 * caller reads them only when the author matches (`sameAuthor`).
 */
export function isReplayOf(submission: Submission, first: FirstCommit, between: readonly { delta: Delta }[]): boolean {
  // A request keyed by its idempotency key alone (editDocument) is the same
  // request when its fingerprint is: its base and delta may differ (a retry
  // reads a newer head), and that must not make it a second edit.
  if (submission.requestHash) return (submission.anyAuthor === true || sameAuthor(submission, first)) && submission.requestHash === first.requestHash;
  if (!sameAuthor(submission, first) || !basedBefore(submission, first)) return false;
  return sameOps(rebase(submission.delta, between, submission.runEnd ?? null).ops, first.delta.ops);
}

/** The same person, or the same API token (a token acts for its creator, but is not the creator). */
export const sameAuthor = (submission: Submission, first: FirstCommit): boolean =>
  submission.authorId === first.authorId && (submission.tokenId ?? null) === (first.tokenId ?? null);

/** A resubmission was made before its first commit was seen: its base is older. */
export const basedBefore = (submission: Submission, first: FirstCommit): boolean => submission.baseVersion < first.version;

/** The refusal of a key reused for another author or another edit. Changes nothing. */
export const keyReused = () =>
  badInput('This (clientId, clientSeq) is already taken by another op; use a new clientSeq (and a clientId of your own)', {
    reason: 'IDEMPOTENCY_KEY_REUSED',
  });

/** Deep equality of JSON values, whatever the key order (jsonb reorders keys). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return sameOps(a, b as unknown[]);
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function sameOps(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
}
