// An in-memory OperationLog with the same contract as the database one:
// used by fast property tests, and run through the shared contract suite
// (memory-log.test.ts, api/test/support/operation-log.contract.ts).
// It has no accounts, so it checks no author's access (never `access`); and
// no appendMany, which exists to save database round trips it does not make.
import { Delta } from '../../../protocol/delta.ts';
import { AppendConflict, type AppendRequest, type CommittedOp, type DroppedClient, type NewOp, type OperationLog, type OpStamp, type Snapshot } from './types.ts';

interface MemoryDocument {
  ops: CommittedOp[];
  snapshots: Snapshot[];
  byClient: Map<string, CommittedOp>;
}

export class MemoryOperationLog implements OperationLog {
  private readonly docs = new Map<string, MemoryDocument>();
  /** appendLocked's lock per document: the tail of its queue. */
  private readonly locks = new Map<string, Promise<unknown>>();

  createDocument(id: string): void {
    this.docs.set(id, { ops: [], snapshots: [], byClient: new Map() });
  }

  deleteDocument(id: string): void {
    this.docs.delete(id);
  }

  async exists(documentId: string): Promise<boolean> {
    return this.docs.has(documentId);
  }

  async latestSnapshot(documentId: string, atOrBefore: number): Promise<Snapshot | null> {
    const snaps = this.docs.get(documentId)?.snapshots ?? [];
    let best: Snapshot | null = null;
    for (const s of snaps) if (s.version <= atOrBefore && (!best || s.version > best.version)) best = s;
    return best;
  }

  async readOps(documentId: string, afterVersion: number, upToVersion = Infinity, limit = Infinity): Promise<CommittedOp[]> {
    const ops = this.docs.get(documentId)?.ops ?? [];
    // ops[i].version === i + 1: the log has no gaps.
    return ops.slice(Math.max(0, afterVersion), Math.min(ops.length, upToVersion)).slice(0, limit);
  }

  async readStamps(documentId: string, upToVersion: number, limit: number): Promise<OpStamp[]> {
    const ops = this.docs.get(documentId)?.ops ?? [];
    const top = Math.min(ops.length, upToVersion);
    const stamps: OpStamp[] = [];
    for (let v = top; v >= 1 && stamps.length < limit; v--) {
      const { version, authorId, createdAt } = ops[v - 1]!;
      stamps.push({ version, authorId, createdAt });
    }
    return stamps;
  }

  async runVersions(documentId: string, runId: string): Promise<number[]> {
    return (this.docs.get(documentId)?.ops ?? []).filter((op) => op.runId === runId).map((op) => op.version);
  }

  // Retention is the database's (store/log-retention.ts): this log keeps everything.
  async logFloor(_documentId: string): Promise<number> {
    return 0;
  }

  async droppedClient(_documentId: string, _clientId: string): Promise<DroppedClient | null> {
    return null;
  }

  async findByClient(documentId: string, clientId: string, clientSeq: number): Promise<CommittedOp | null> {
    return this.docs.get(documentId)?.byClient.get(key(clientId, clientSeq)) ?? null;
  }

  async append(documentId: string, ops: NewOp[]): Promise<CommittedOp[]> {
    // A malformed batch is the caller's bug, not a conflict: refused as the database log refuses it.
    const first = ops[0];
    if (first === undefined) throw new RangeError('append needs at least one op');
    ops.forEach((op, i) => {
      if (op.documentId !== documentId) throw new RangeError('append: every op must belong to the document');
      if (op.version !== first.version + i) throw new RangeError('append: versions must be consecutive');
    });
    const doc = this.docs.get(documentId);
    if (!doc) throw new AppendConflict('gone');
    // Check every key before changing anything: all or nothing.
    const seen = new Set<string>();
    ops.forEach((op, i) => {
      if (op.version !== doc.ops.length + 1 + i) throw new AppendConflict('version');
      const k = key(op.clientId, op.clientSeq);
      if (doc.byClient.has(k) || seen.has(k)) throw new AppendConflict('client');
      seen.add(k);
    });
    const createdAt = new Date();
    const committed = ops.map(({ sessionId: _noAccounts, ...op }) => ({ ...op, delta: clone(op.delta), createdAt }));
    for (const op of committed) {
      doc.ops.push(op);
      doc.byClient.set(key(op.clientId, op.clientSeq), op);
    }
    return committed;
  }

  async storeSnapshot(documentId: string, snapshot: Snapshot): Promise<void> {
    const doc = this.docs.get(documentId);
    if (doc && !doc.snapshots.some((s) => s.version === snapshot.version)) doc.snapshots.push(snapshot);
  }

  async appendLocked(documentId: string, knownVersion: number, build: (missed: CommittedOp[]) => Promise<AppendRequest | null>): Promise<CommittedOp[] | null> {
    // The lock is held across `build`, as a transaction holds a row lock across a round trip.
    const turn = (this.locks.get(documentId) ?? Promise.resolve()).then(async () => {
      if (!this.docs.has(documentId)) throw new AppendConflict('gone');
      const request = await build(await this.readOps(documentId, knownVersion));
      return request && this.append(documentId, request.ops);
    });
    const tail = turn.catch(() => {});
    this.locks.set(documentId, tail);
    void tail.then(() => {
      if (this.locks.get(documentId) === tail) this.locks.delete(documentId);
    });
    return turn;
  }
}

const key = (clientId: string, clientSeq: number) => `${clientId}\u0000${clientSeq}`;
// Deltas are values: the log must not share mutable objects with callers.
const clone = (delta: Delta): Delta => new Delta(structuredClone(delta.ops));
