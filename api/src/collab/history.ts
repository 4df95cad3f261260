// A document's history as sessions of edits (like a word processor's
// version history), not one entry per keystroke. Entries are computed from
// the log's stamps (version, author, time: OperationLog.readStamps), never
// from deltas.
//
// Where one session ends and the next begins depends only on the two ops
// either side of the boundary (and the named versions), never on where a
// reader started: so entries are the same whichever page they are read on,
// and a page costs reading its own ops' stamps plus one. A session ends
// after op v when
// - the next op came `idleMs` or more after it (the writers paused),
// - v is a named version (a name always ends an entry),
// - the next op falls in another `windowMs` wall-clock window (UTC: a long
//   session is cut at :00 and :30 with the default), or
// - v is a multiple of `maxOps` (a busy session of a bot or many writers
//   still becomes entries of bounded size).
// Authors do not split sessions: people writing together make one entry
// that lists them all.
import type { OpStamp } from './types.ts';

export interface HistoryRules {
  /** A pause of at least this long ends a session, ms. @default 300000 (5 minutes) */
  idleMs: number;
  /** Sessions never cross a boundary of these wall-clock windows (UTC), ms. @default 1800000 (30 minutes) */
  windowMs: number;
  /** Sessions never cross a multiple of this many versions. @default 1000 */
  maxOps: number;
}

export const DEFAULT_HISTORY_RULES: HistoryRules = { idleMs: 5 * 60_000, windowMs: 30 * 60_000, maxOps: 1_000 };

export interface HistoryEntry {
  fromVersion: number;
  toVersion: number;
  /** Author ids, most recent first; ops by deleted accounts add none. */
  authorIds: string[];
  startedAt: Date;
  endedAt: Date;
  /** The name of toVersion, when it is named. */
  name: string | null;
  /** The one entry for the versions log retention dropped (HistoryPageRequest.trimmed). */
  trimmed?: boolean;
}

/** Whether a session ends between `older` and `newer` (consecutive versions). */
export function endsBetween(older: OpStamp, newer: OpStamp, names: ReadonlyMap<number, string>, rules: HistoryRules): boolean {
  const a = older.createdAt.getTime();
  const b = newer.createdAt.getTime();
  return (
    names.has(older.version) ||
    b - a >= rules.idleMs ||
    Math.floor(a / rules.windowMs) !== Math.floor(b / rules.windowMs) ||
    older.version % rules.maxOps === 0
  );
}

export interface HistoryPageRequest {
  head: number;
  /** Only entries with toVersion < beforeVersion (1 to head + 1). */
  beforeVersion: number;
  /** At most this many entries. */
  first: number;
  /** Named versions of the document (version -> name), at least those below beforeVersion. */
  names: ReadonlyMap<number, string>;
  rules?: HistoryRules;
  /** Stamps of versions <= upToVersion, newest first, at most `limit` (OperationLog.readStamps for one document). */
  readStamps(upToVersion: number, limit: number): Promise<OpStamp[]>;
  /** Stamps read by the first round trip; each further one reads twice as many, up to 16 times this. @default 500 */
  chunk?: number;
  /**
   * Log retention dropped versions 1..toVersion (their stamps went with
   * them): this one entry stands for all of them, after the entries read
   * from the log, so entries still cover every version without overlap.
   */
  trimmed?: HistoryEntry | null;
}

/**
 * Up to `first` entries, newest first, that end before `beforeVersion`.
 * An entry that straddles beforeVersion (it ends at or after it) is left
 * out: a client that pages with the last entry's toVersion (or fromVersion)
 * gets the entries after it, none twice and none missed.
 */
export async function historyPage(request: HistoryPageRequest): Promise<HistoryEntry[]> {
  const { head, beforeVersion, first, names } = request;
  const rules = request.rules ?? DEFAULT_HISTORY_RULES;
  const firstChunk = request.chunk ?? 500;
  // Most pages end within the first read; a page of long sessions (up to
  // maxOps versions each) takes few round trips all the same.
  let chunk = firstChunk;
  const top = Math.min(beforeVersion - 1, head);
  const entries: HistoryEntry[] = [];
  if (top < 1 || first < 1) return entries;
  // Below the retention floor there are no stamps to read (the loop ends there).

  let current: HistoryEntry | null = null;
  let authors = new Set<string>();
  // The stamp just above the one being looked at (version + 1), if read.
  let newer: OpStamp | null = null;
  // Read from top + 1 (when it exists) to see whether an entry ends at top.
  let upTo = Math.min(top + 1, head);
  while (upTo >= 1) {
    const stamps = await request.readStamps(upTo, chunk);
    if (stamps.length === 0) break;
    for (const stamp of stamps) {
      if (stamp.version > top) {
        newer = stamp;
        continue;
      }
      const endsHere = stamp.version === head || (newer !== null && endsBetween(stamp, newer, names, rules));
      if (endsHere) {
        if (current) {
          entries.push(current);
          if (entries.length === first) return entries;
        }
        authors = new Set();
        current = { fromVersion: stamp.version, toVersion: stamp.version, authorIds: [], startedAt: stamp.createdAt, endedAt: stamp.createdAt, name: names.get(stamp.version) ?? null };
      }
      // Without a current entry this stamp belongs to the entry that straddles beforeVersion: skipped.
      if (current) {
        current.fromVersion = stamp.version;
        current.startedAt = stamp.createdAt;
        if (stamp.authorId !== null && !authors.has(stamp.authorId)) {
          authors.add(stamp.authorId);
          current.authorIds.push(stamp.authorId);
        }
      }
      newer = stamp;
    }
    upTo = stamps.at(-1)!.version - 1;
    chunk = Math.min(chunk * 2, firstChunk * 16);
  }
  if (current) entries.push(current);
  const below = request.trimmed;
  if (below && entries.length < first && below.toVersion < beforeVersion) entries.push(below);
  return entries;
}
