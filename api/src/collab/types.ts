// The collaboration core's view of the world: plain data and two I/O
// interfaces (the log and the bus). Nothing here knows GraphQL or Prisma.
import type { StoredDocument } from '../../../protocol/chunked-document.ts';
import type { Delta } from '../../../protocol/delta.ts';
import type { SubmitInput } from '../../../protocol/wire.ts';

export type { DeltaOp } from '../../../protocol/delta.ts';

/** An operation as committed to a document's log. */
export interface CommittedOp {
  documentId: string;
  /** The document's version after applying this op (1, 2, 3, … without gaps). */
  version: number;
  delta: Delta;
  clientId: string;
  clientSeq: number;
  authorId: string | null;
  /** The API token it was written with; absent or null: written by a person (or the server). */
  tokenId?: string | null;
  /** The agent run it belongs to (editDocument's runId), if any. */
  runId?: string | null;
  /** SHA-256 of the editDocument request it answers (its clientId carries that request's idempotency key). */
  requestHash?: string | null;
  createdAt: Date;
}

/** What history needs of an op: who and when, without its delta. */
export type OpStamp = Pick<CommittedOp, 'version' | 'authorId' | 'createdAt'>;

/**
 * A row to append; the log stamps `createdAt`. `sessionId` (the submitter's
 * session, if any) is checked at commit and never stored or published.
 */
export type NewOp = Omit<CommittedOp, 'createdAt'> & { sessionId?: string | null };

export interface Snapshot {
  version: number;
  /** The content at `version` (of a stored snapshot: parsed on first read). */
  readonly content: Delta;
  /**
   * The content as stored (ChunkedDocument.toStored: its JSON and where its
   * blocks are): a head loads from it without parsing or measuring it. Set
   * on the snapshots the sequencer makes and on those the log reads back;
   * older snapshots (stored as jsonb) have only `content`.
   */
  readonly stored?: StoredDocument;
}

/** A client's submission (protocol/wire.ts) with who sent it. */
export interface Submission extends SubmitInput<Delta> {
  authorId: string | null;
  /** The session it was submitted in: the log refuses it if that session is revoked by then. */
  sessionId?: string | null;
  /** The API token it was submitted with: the log refuses it if that token is revoked by then. */
  tokenId?: string | null;
  runId?: string | null;
  /**
   * Set for requests whose idempotency key is the clientId alone (editDocument):
   * a resubmission with the same key is the same request exactly when the hash
   * matches (replay.ts), whatever its base and delta.
   */
  requestHash?: string | null;
  /**
   * The (clientId, clientSeq) belongs to the document, not to the author:
   * a resubmission with the same requestHash is a replay whoever sends it
   * (revertRun: two people reverting one run commit it once).
   */
  anyAuthor?: boolean;
  /** Refused with CONFLICT unless it lands right after this version (editDocument's requiredVersion). */
  requiredVersion?: number;
}

/**
 * Why an append was refused. `version`: another writer took one of the
 * versions (lost race: re-read and retry). `client`: a (clientId, clientSeq)
 * is already in the log (idempotent resubmission). `gone`: the document no
 * longer exists. `access`: an author may no longer write (`refused` says who
 * and why), checked in the commit itself, so that an access change binds
 * every node as soon as it commits.
 */
export type AppendConflictKind = 'version' | 'client' | 'gone' | 'access';

/** An author (in a session, or with an API token) whose ops the log refused: no longer a member, too low a role, or a revoked session or token. */
export interface WriteRefusal {
  authorId: string;
  sessionId: string | null;
  tokenId?: string | null;
  reason: 'session' | 'not-member' | 'role';
  /** The role held, for `role`. */
  role?: string;
}

export class AppendConflict extends Error {
  readonly kind: AppendConflictKind;
  readonly refused: readonly WriteRefusal[];
  constructor(
    kind: AppendConflictKind,
    refused: readonly WriteRefusal[] = [],
  ) {
    super(`append refused: ${kind}`);
    this.kind = kind;
    this.refused = refused;
    this.name = 'AppendConflict';
  }
}

/** The durable, append-only operation log (PGlite, PostgreSQL, or memory). */
export interface OperationLog {
  /** Whether the document exists. */
  exists(documentId: string): Promise<boolean>;
  /** The newest snapshot with version <= `atOrBefore`, if any. */
  latestSnapshot(documentId: string, atOrBefore: number): Promise<Snapshot | null>;
  /** Ops with `afterVersion < version <= upToVersion`, ascending, at most `limit`. */
  readOps(documentId: string, afterVersion: number, upToVersion?: number, limit?: number): Promise<CommittedOp[]>;
  /**
   * Who wrote the ops with version <= `upToVersion` and when, newest first,
   * at most `limit`: the history's grouping reads only these, never deltas.
   */
  readStamps(documentId: string, upToVersion: number, limit: number): Promise<OpStamp[]>;
  /** The versions of the document's ops written in this agent run (CommittedOp.runId), ascending. */
  runVersions(documentId: string, runId: string): Promise<number[]>;
  /**
   * Log retention (retention.ts): ops with version <= this were dropped, and
   * the snapshot at this version holds the content there. 0: nothing dropped.
   */
  logFloor(documentId: string): Promise<number>;
  /** What retention kept of a client whose ops it dropped: its highest clientSeq below the cut, and whose it was. */
  droppedClient(documentId: string, clientId: string): Promise<DroppedClient | null>;
  /** The op committed for this (clientId, clientSeq), if any. */
  findByClient(documentId: string, clientId: string, clientSeq: number): Promise<CommittedOp | null>;
  /**
   * Appends `ops` (consecutive versions) in one transaction: all or
   * nothing. Throws AppendConflict when a key is taken or the document is
   * gone. Snapshots are stored apart, after their commit (storeSnapshot).
   */
  append(documentId: string, ops: NewOp[]): Promise<CommittedOp[]>;
  /**
   * Stores a snapshot of content already committed (the sequencer's, after
   * the commit): nothing if the document is gone or has one at that version.
   */
  storeSnapshot(documentId: string, snapshot: Snapshot): Promise<void>;
  /**
   * Several documents' appends (one per document) in as few round trips as
   * it can; each settles as append() would have settled it alone.
   * Optional: the sequencer uses it where a statement costs much more than
   * its rows (SequencerOptions.groupAppends). Requests that wait for each
   * other's documents must not deadlock: take documents in id order.
   */
  appendMany?(requests: readonly AppendRequest[]): Promise<Array<PromiseSettledResult<CommittedOp[]>>>;
  /** Resolves when the log would take the next append without waiting (embedded: no WAL sync under way); group commit collects until then. */
  ready?(): Promise<void>;
  /**
   * An append that cannot lose a race: takes the document's write lock,
   * reads the ops committed after `knownVersion` (by other writers: those
   * this node has not seen yet), hands them to `build`, and appends what
   * `build` returns, in one transaction, before anyone else may append.
   * `build` returns null to append nothing. Still throws AppendConflict for
   * `client`, `access` and `gone` (never `version`, barring a broken lock).
   * Optional: for a document written through several nodes at once
   * (SequencerOptions.lockedCommits).
   */
  appendLocked?(documentId: string, knownVersion: number, build: (missed: CommittedOp[]) => Promise<AppendRequest | null>): Promise<CommittedOp[] | null>;
}

/** A client whose ops retention dropped: enough to answer its resubmissions from before the cut. */
export interface DroppedClient {
  /** Its highest clientSeq among the dropped ops (a client's seqs only grow). */
  lastSeq: number;
  lastVersion: number;
  authorId: string | null;
  tokenId: string | null;
}

export interface AppendRequest {
  documentId: string;
  ops: NewOp[];
}

/** A live feed of events on one topic; buffered from the moment it exists. */
export interface BusSubscription<T> extends AsyncIterable<T> {
  close(): void;
  /** Takes the events already buffered, without waiting: what arrived together travels on together. */
  drain(): T[];
}

/** Fan-out of committed ops and presence (in-process or Redis). */
export interface Bus<T> {
  publish(topic: string, event: T): Promise<void>;
  /** Resolves once the subscription is confirmed: no later publish can be missed. */
  subscribe(topic: string): Promise<BusSubscription<T>>;
}

/** Versions are 32-bit in the log (PostgreSQL INTEGER). */
export const MAX_VERSION = 2_147_483_647;

/** What the core reports for metrics (the app maps it to Prometheus). */
export interface CollabMetrics {
  /** A batch was committed; `distances[i]` = how many ops op i was rebased over. */
  batchCommitted(distances: number[]): void;
  /** A lost race (another writer took a version) made the sequencer re-plan. */
  retried(): void;
  /** An op was handed to `subscribers` local streams, `lagMs` after its commit. */
  fannedOut(lagMs: number, subscribers: number): void;
}
