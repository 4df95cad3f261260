// The write path: validate -> rebase -> append at head + 1 -> publish.
//
// Submissions to one document are serialised in memory (a lane per
// document). While one batch is being committed, new submissions queue up;
// the next turn commits everything queued in one transaction (group commit).
// Across nodes the log's (documentId, version) key is the arbiter: a node
// that loses the race refreshes its head and re-plans, a bounded number of
// times. A document that another node is writing too (a lost race, or
// another node's op seen on the feed) commits under the log's write lock
// for a while instead (lockedCommits, OperationLog.appendLocked): the lock
// is taken first, the few ops this node has not seen are read in the same
// transaction, and the batch is planned on top of them, so it cannot lose.
import { Delta, type DeltaOp } from '../../../protocol/delta.ts';
import { AppError, badInput, forbidden, notFound } from '../errors.ts';
import { baseLength } from '../../../protocol/delta-validation.ts';
import { composeAll, storedSnapshot, type ContentDraft, type DocumentHead, type HeadContent } from './document-head.ts';
import { opsBytes } from './content-bytes.ts';
import { GroupCommit } from './group-commit.ts';
import { HeadCache } from './head-cache.ts';
import { rebase } from '../../../protocol/rebase.ts';
import { basedBefore, isReplayOf, keyReused, sameAuthor } from './replay.ts';
import { snapshotRequired, submissionBelowFloor } from './retention.ts';
import { holdsSurrogates, splitsSurrogatePair } from './surrogate-pairs.ts';
import { AppendConflict, type AppendRequest, type CollabMetrics, type CommittedOp, type NewOp, type OperationLog, type Submission, type WriteRefusal } from './types.ts';

export interface SequencerOptions {
  log: OperationLog;
  /** Called for each committed op, in version order, after its commit. */
  publish: (op: CommittedOp) => Promise<void>;
  /**
   * Documents whose batches are ready in the same event-loop turn append
   * together (OperationLog.appendMany), a turn later: one transaction for
   * many documents. For PGlite, where a statement costs ~0.7 ms whatever its
   * size and runs in this thread (one fsync each), and for PostgreSQL, where
   * each statement is a round trip and a WAL flush.
   * @default false
   */
  groupAppends?: boolean;
  /** Called with each committed batch before it is published: this node's own streams need not wait for the bus. */
  deliver?: (ops: readonly CommittedOp[]) => void;
  /** Store a snapshot whenever the head crosses a multiple of this. */
  snapshotEvery: number;
  /** Re-plans after a lost race before giving up with CONFLICT_RETRY_EXHAUSTED. */
  maxRetries?: number;
  /** Most submissions committed in one transaction. */
  maxBatch?: number;
  /** Largest document in bytes (content-bytes.ts: text, embeds and formats); an op that would grow it past this is refused. @default unlimited */
  maxDocumentBytes?: number;
  /** Documents whose head stays in memory. */
  cachedDocuments?: number;
  /** Recent ops kept per cached document for rebasing. */
  recentWindow?: number;
  /**
   * Commit under the log's write lock (OperationLog.appendLocked) while
   * another writer is writing the same document: commits then queue in the
   * database instead of racing and retrying. Needs a log with appendLocked.
   * @default false
   */
  lockedCommits?: boolean;
  /**
   * This sequencer is the only writer of the log (embedded: one PGlite, one
   * node): its cached heads are the log's heads, since every commit reaches
   * them before it is acknowledged, so head() reads no log to refresh them.
   * @default false
   */
  soleWriter?: boolean;
  /**
   * How long after this node last saw another writer's commit of a document
   * (or lost a race on it) its commits still take the lock, milliseconds.
   * A document written through this node alone never takes it.
   * @default 2000
   */
  sharedWriteMs?: number;
  metrics?: Pick<CollabMetrics, 'batchCommitted' | 'retried'>;
  /** Told about failures that do not fail a submission (e.g. publish). */
  onBackgroundError?: (error: unknown, context: string) => void;
}

interface Pending {
  submission: Submission;
  resolve: (op: CommittedOp) => void;
  reject: (error: unknown) => void;
}

interface Planned {
  op: NewOp;
  waiters: Pending[];
  /** How many ops it was rebased over (a measure of contention). */
  distance: number;
}

const MAX_CLIENT_ID = 128;

export class Sequencer {
  readonly heads: HeadCache;
  private readonly lanes = new Map<string, Pending[]>();
  private readonly draining = new Set<Promise<void>>();
  /** Ops committed elsewhere, seen while a lane was busy (applied between batches). */
  private readonly observed = new Map<string, CommittedOp[]>();
  private readonly log: OperationLog;
  private readonly maxRetries: number;
  private readonly maxBatch: number;
  /** Appends of several documents in one statement (groupAppends; group-commit.ts). */
  private readonly groupCommit: GroupCommit | null;
  /** The log's locked append, when lockedCommits is on. */
  private readonly appendLocked: NonNullable<OperationLog['appendLocked']> | null;
  /** Documents another writer wrote lately: until when (Date.now()) their commits take the lock. */
  private readonly shared = new Map<string, number>();
  /** afterCommit's waiters. */
  private readonly commitWaiters = new Set<() => void>();

  private readonly options: SequencerOptions;
  constructor(options: SequencerOptions) {
    this.options = options;
    this.log = options.log;
    this.maxRetries = options.maxRetries ?? 16;
    this.maxBatch = options.maxBatch ?? 256;
    this.groupCommit = options.groupAppends && options.log.appendMany ? new GroupCommit(options.log.appendMany.bind(options.log), options.log.ready?.bind(options.log)) : null;
    this.appendLocked = options.lockedCommits && options.log.appendLocked ? options.log.appendLocked.bind(options.log) : null;
    this.heads = new HeadCache(options.log, {
      maxDocuments: options.cachedDocuments ?? 10_000,
      window: options.recentWindow ?? 1_000,
    });
  }

  /** Commits a submission (or finds its earlier commit) and returns the committed op. */
  submit(submission: Submission): Promise<CommittedOp> {
    checkSubmission(submission);
    return new Promise((resolve, reject) => {
      const pending: Pending = { submission, resolve, reject };
      const lane = this.lanes.get(submission.documentId);
      if (lane) {
        lane.push(pending);
      } else {
        this.lanes.set(submission.documentId, [pending]);
        const running = this.drain(submission.documentId).finally(() => this.draining.delete(running));
        this.draining.add(running);
      }
    });
  }

  /**
   * The version of this node's cached head, without reading the log (loading
   * the head if it is not cached). Other nodes' commits reach it through the
   * feed (observe), so it may lag the log by a moment: for checks that only
   * need an upper bound which the caller refreshes when it falls short.
   */
  async knownHeadVersion(documentId: string): Promise<number> {
    return (await this.heads.get(documentId)).version;
  }

  /**
   * The head as the log has it now (refreshed from the log, unless this is
   * its sole writer): one object per version, its content and JSON made on
   * first read.
   */
  async head(documentId: string): Promise<HeadContent> {
    return (await (this.options.soleWriter ? this.heads.get(documentId) : this.heads.refresh(documentId))).read();
  }

  /**
   * The ops after `afterVersion` from the cached head's window, when this
   * node is the log's only writer (its cached heads are the log's heads:
   * a commit reaches the head in the same turn as this node's streams and
   * the bus) and the window still holds them all; else null (stream.ts
   * then reads the log).
   */
  recentOps(documentId: string, afterVersion: number): CommittedOp[] | null {
    if (!this.options.soleWriter) return null;
    return this.heads.peek(documentId)?.opsAfter(afterVersion) ?? null;
  }

  /**
   * The start of the head as this node has it (at least `units` of it),
   * without building the whole content: ChunkedDocument.opening. For the
   * document previews written after this node's commits, so it reads no
   * log (a read per changed document per second was most of what previews
   * cost): the head is at least at this node's last commit, and a node that
   * committed later writes the newer preview (their version guard keeps it).
   */
  async opening(documentId: string, units: number): Promise<{ version: number; ops: DeltaOp[] }> {
    const head = await this.heads.get(documentId);
    return { version: head.version, ops: head.opening(units) };
  }

  /**
   * The ops with `afterVersion < version <= upToVersion`, ascending: from
   * the cached head's window when it still holds them (no database read),
   * else from the log. For whatever moves with the text (comment anchors).
   */
  async opsBetween(documentId: string, afterVersion: number, upToVersion: number): Promise<CommittedOp[]> {
    if (afterVersion >= upToVersion) return [];
    const cached = this.heads.peek(documentId);
    if (cached && cached.version >= upToVersion) {
      const window = cached.opsAfter(afterVersion);
      if (window) return window.slice(0, upToVersion - afterVersion);
    }
    const ops = await this.log.readOps(documentId, afterVersion, upToVersion);
    // Short: retention dropped some (what moves with the text must not be moved over a hole).
    if (ops.length !== upToVersion - afterVersion) throw snapshotRequired(await this.log.logFloor(documentId));
    return ops;
  }

  /** The content right after `version` was applied (0 = empty). */
  async contentAt(documentId: string, version: number): Promise<Delta> {
    const head = await this.heads.refresh(documentId);
    if (!Number.isSafeInteger(version) || version < 0 || version > head.version) {
      throw badInput(`version must be between 0 and ${head.version}`);
    }
    if (version === head.version) return head.content;
    const snapshot = await this.log.latestSnapshot(documentId, version);
    const from = snapshot?.version ?? 0;
    const ops = await this.log.readOps(documentId, from, version);
    // Retention dropped ops this needs, and no snapshot (a named version's, say) sits at `version`.
    if (ops.length !== version - from) throw snapshotRequired(await this.log.logFloor(documentId), { headVersion: head.version });
    return composeAll(snapshot?.stored ?? snapshot?.content ?? new Delta(), ops);
  }

  /**
   * Resolves a turn after the next commit has answered its submitters and
   * handed its ops to this node's streams (their socket writes flushed), or
   * after `maxWaitMs` if none comes. For periodic statements that can wait
   * a moment (outbox stamping, previews): embedded, the database runs on
   * this thread one statement at a time, and one started at a random moment
   * of a hot document's commit cycle sits in front of the next commit; right
   * after a commit, it runs while the clients read that commit's messages.
   */
  afterCommit(maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.commitWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      timer.unref();
      this.commitWaiters.add(done);
    });
  }

  /** Resolves when every submission queued so far is settled and its snapshot, if any, written (for shutdown). */
  async idle(): Promise<void> {
    while (this.draining.size > 0) await Promise.allSettled([...this.draining]);
  }

  /**
   * An op committed by any node, seen on the bus: keeps the cached head
   * current, so a node rarely plans against a stale head (each stale plan
   * costs a failed transaction and a retry).
   */
  observe(op: CommittedOp): void {
    // A lane plans against its head across awaits: ops seen meanwhile wait
    // for the lane's next turn.
    const waiting = this.observed.get(op.documentId);
    if (waiting) waiting.push(op);
    else this.applyObserved(op.documentId, [op]);
  }

  private applyObserved(documentId: string, ops: CommittedOp[]): void {
    const head = this.heads.peek(documentId);
    if (!head) return;
    for (const op of ops) {
      // This node's own commits are in its head already (commitBatch
      // applies them first): an op beyond the head is another writer's.
      if (op.version > head.version) this.markShared(documentId);
      if (!head.apply(op)) {
        this.heads.forget(documentId); // a gap: reload on next use
        return;
      }
    }
  }

  /** Drops what this node remembers of a document (after deletion). */
  forget(documentId: string): void {
    this.heads.forget(documentId);
    this.shared.delete(documentId);
  }

  /** Another writer commits to this document too: lock for a while (lockedCommits). */
  private markShared(documentId: string): void {
    if (!this.appendLocked) return;
    this.shared.delete(documentId); // re-inserted last: the map's order is the expiry order
    this.shared.set(documentId, Date.now() + (this.options.sharedWriteMs ?? 2_000));
    for (const [id, until] of this.shared) {
      if (until > Date.now() && this.shared.size <= 100_000) break;
      this.shared.delete(id);
    }
  }

  private isShared(documentId: string): boolean {
    const until = this.shared.get(documentId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.shared.delete(documentId);
    return false;
  }

  /** One lane per document: take everything queued, commit it, repeat. */
  private async drain(documentId: string): Promise<void> {
    const lane = this.lanes.get(documentId);
    if (!lane) return;
    const observed: CommittedOp[] = [];
    this.observed.set(documentId, observed);
    while (lane.length > 0) {
      // Let the event loop read what else has arrived before taking the
      // batch. Without this turn, a database that answers without real I/O
      // wait (embedded PGlite runs in this thread) would commit each
      // submission inside the callback that read it: batches of one.
      await nextTurn();
      this.applyObserved(documentId, observed.splice(0));
      const batch = lane.splice(0, this.maxBatch);
      try {
        await this.commitBatch(documentId, batch);
      } catch (error) {
        for (const p of batch) p.reject(error); // settled promises ignore this
      }
    }
    this.lanes.delete(documentId);
    this.observed.delete(documentId);
    this.applyObserved(documentId, observed);
  }

  private async commitBatch(documentId: string, batch: Pending[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > this.maxRetries) {
        const error = new AppError('CONFLICT_RETRY_EXHAUSTED', 'Too many concurrent writers; resubmit the same op', { retryable: true });
        for (const p of pending) p.reject(error);
        return;
      }
      // Nodes that lost a race together would race again in lockstep: a
      // short random pause (up to 1 ms per attempt) lets one of them win.
      if (attempt > 1) await new Promise((r) => setTimeout(r, Math.random() * attempt));
      // Another writer on this document: plan under its lock, on top of
      // the ops read there (no refresh needed, no race to lose).
      const locked = this.appendLocked !== null && this.isShared(documentId);
      // After a lost race, or when a client has seen a version this node has
      // not, the cached head is stale: read what other nodes appended.
      const stale = !locked && (attempt > 0 || pending.some((p) => p.submission.baseVersion > (this.cachedVersion(documentId) ?? -1)));
      const head = stale ? await this.heads.refresh(documentId) : await this.heads.get(documentId);

      let planned: Planned[] = [];
      /** Whether the content after this batch is to be snapshotted (stored after the commit: storeSnapshotLater). */
      let snapshotDue = false;
      /** Ops of other writers that a locked commit read under the lock. */
      let missed: CommittedOp[] = [];
      const request = async (): Promise<AppendRequest | null> => {
        planned = await this.plan(documentId, head, pending);
        if (planned.length === 0) return null;
        snapshotDue = wantsSnapshot(head, planned, this.options.snapshotEvery);
        return { documentId, ops: planned.map((p) => p.op) };
      };
      let committed: CommittedOp[];
      try {
        if (locked) {
          const result = await this.appendLocked!(documentId, head.version, async (ops) => {
            missed = ops;
            if (ops.length > 0) this.markShared(documentId);
            // Submissions that reached the lane while this one waited for
            // the lock (the other writer's commit) join this commit: the
            // wait becomes group commit instead of a smaller next batch.
            // Pushed onto `batch` too, which drain() settles if this throws.
            const lane = this.lanes.get(documentId);
            if (attempt === 0 && lane && lane.length > 0 && batch.length < this.maxBatch) {
              const late = lane.splice(0, this.maxBatch - batch.length);
              batch.push(...late);
              pending = [...pending, ...late];
            }
            for (const op of ops) {
              if (!head.apply(op)) {
                this.heads.forget(documentId);
                throw new AppendConflict('version'); // cannot happen (missed follows the head); re-plan from the log
              }
            }
            return request();
          });
          if (result === null) return;
          committed = result;
        } else {
          const next = await request();
          if (next === null) return;
          committed = await this.append(next);
        }
      } catch (error) {
        if (!(error instanceof AppendConflict)) throw error;
        if (error.kind === 'version') this.markShared(documentId);
        if (error.kind === 'gone') {
          this.heads.forget(documentId);
          // Every waiter: a locked commit learns this before planning anything.
          for (const w of pending) w.reject(notFound());
          return;
        }
        if (error.kind === 'access') refuseWriters(planned, error.refused);
        else this.options.metrics?.retried();
        if (error.kind === 'client') await this.settleCommittedElsewhere(documentId, planned);
        pending = unsettled(planned, pending);
        continue;
      }

      let applied = true;
      for (const op of committed) {
        if (!head.apply(op)) {
          this.heads.forget(documentId);
          applied = false;
        }
      }
      // Dropped from the cache and loaded again while this commit was in
      // flight, the cached head may predate it: it is read again on next use
      // (a sole writer's head() would otherwise trail until the next commit).
      if (this.heads.peek(documentId) !== head) this.heads.forget(documentId);
      // A copy of the blocks array now (cheap), its JSON and the write later:
      // see storeSnapshotLater.
      const snapshotContent = snapshotDue && applied ? head.draft() : null;
      if (snapshotContent) head.noteSnapshot(head.version);
      this.options.metrics?.batchCommitted(planned.map((p) => p.distance));
      // The ops read under the lock go first: this node's streams may not
      // have them yet, and its own would otherwise wait for them (the feed
      // skips what it has seen, and drops the transport's copies later).
      this.options.deliver?.(missed.length > 0 ? [...missed, ...committed] : committed);
      // Durable before visible holds from here: the commit is done. The
      // publishes leave now (in version order: one connection is FIFO;
      // receivers cope with any order anyway) and the submitters are
      // answered in the same turn as this node's own streams, so each
      // submitter's reply shares a socket write with its stream's batch.
      // The lane still waits for the publishes before its next batch: a slow
      // bus slows commits instead of piling up. A publish failure only
      // delays live delivery elsewhere (streams fill gaps from the log).
      const published = Promise.all(
        committed.map((op) => this.options.publish(op).catch((error: unknown) => this.options.onBackgroundError?.(error, 'publish'))),
      );
      planned.forEach((p, i) => {
        for (const w of p.waiters) w.resolve(committed[i]!);
      });
      if (snapshotContent) this.storeSnapshotLater(documentId, committed.at(-1)!.version, snapshotContent);
      if (this.commitWaiters.size > 0) {
        const waiters = [...this.commitWaiters];
        this.commitWaiters.clear();
        setImmediate(() => waiters.forEach((done) => done()));
      }
      await published;
      return;
    }
  }

  /**
   * Stores the snapshot of a commit after it, off the path of its ack and
   * its fan-out: a snapshot is only a cache. In the commit's own statement
   * it held every 100th commit up by its JSON, its compression (a hop to
   * libuv's pool, milliseconds when the cores are busy) and a bigger
   * statement: +3-4 ms on those acks, enough to set a hot document's p99.
   * It starts a turn later, once the commit's replies and stream batches
   * have left (their socket writes are flushed on the next tick), so the
   * work overlaps the clients reading them. A failure costs nothing but
   * the cache (the next snapshot comes at the next interval); idle()
   * waits for the writes under way.
   */
  private storeSnapshotLater(documentId: string, version: number, content: ContentDraft): void {
    const write = nextTurn()
      .then(() => this.log.storeSnapshot(documentId, storedSnapshot(version, content.toStored())))
      .catch((error: unknown) => this.options.onBackgroundError?.(error, 'snapshot'))
      .finally(() => this.draining.delete(write));
    this.draining.add(write);
  }

  /** log.append, or a place in the next group append while other documents have lanes too. */
  private append(request: AppendRequest): Promise<CommittedOp[]> {
    if (this.groupCommit && this.lanes.size > 1) return this.groupCommit.append(request);
    return this.log.append(request.documentId, request.ops);
  }

  /**
   * Validates and rebases each pending submission over the ops committed
   * since its base and over the ones planned before it in this batch.
   * Rejects (only) the invalid ones; resolves resubmissions of committed ops.
   */
  private async plan(documentId: string, head: DocumentHead, pending: Pending[]): Promise<Planned[]> {
    const planned: Planned[] = [];
    const byClient = new Map<string, Planned>();
    let version = head.version;
    // Whether the content ops meet may hold surrogate pairs to split.
    let surrogates = head.mayHoldSurrogates;
    // The head after the ops planned so far, to measure each op on: built
    // on first need (a cheap copy of the chunk index), dropped after a refusal.
    let draft: ContentDraft | null = null;
    for (const p of pending) {
      const s = p.submission;
      try {
        if (s.baseVersion > head.version) {
          throw badInput(`baseVersion ${s.baseVersion} is ahead of the head version ${head.version}`, { headVersion: head.version });
        }
        const since = head.opsAfter(s.baseVersion) ?? (await this.log.readOps(documentId, s.baseVersion, head.version));
        // Fewer ops than versions: retention dropped the start (retention.ts). A length check, so the hot path pays nothing.
        if (since.length !== head.version - s.baseVersion) throw await submissionBelowFloor(this.log, s, head.version);
        // A key already used, in this batch or in the log since the base:
        // the first op's answer, if this is that op again (replay.ts).
        const key = `${s.clientId}\u0000${s.clientSeq}`;
        const twin = byClient.get(key);
        if (twin) {
          if (!isReplayOf(s, twin.op, [...since, ...planned.slice(0, planned.indexOf(twin)).map((x) => x.op)])) throw keyReused();
          twin.waiters.push(p);
          continue;
        }
        const earlier = since.find((op) => op.clientId === s.clientId && op.clientSeq === s.clientSeq);
        if (earlier) {
          // `since` is contiguous from baseVersion + 1: the ops before `earlier` come first.
          if (!isReplayOf(s, earlier, since.slice(0, earlier.version - s.baseVersion - 1))) throw keyReused();
          markSettled(p);
          p.resolve(earlier);
          continue;
        }
        // After the replay checks: a replay answers with its first commit wherever the head is now.
        if (s.requiredVersion !== undefined && version !== s.requiredVersion) throw conflict(version);
        let lengthAtBase = head.length;
        for (const op of since) lengthAtBase -= op.delta.changeLength();
        const needs = baseLength(s.delta);
        if (needs > lengthAtBase) {
          throw badInput(`delta does not apply to version ${s.baseVersion}: it spans ${needs} characters, the document has ${lengthAtBase}`);
        }
        const runEnd = s.runEnd ?? null;
        if (runEnd !== null && runEnd > lengthAtBase) {
          throw badInput(`runEnd ${runEnd} is past the end of version ${s.baseVersion} (${lengthAtBase} characters)`);
        }
        const delta = rebase(s.delta, planned.length === 0 ? since : [...since, ...planned.map((x) => x.op)], runEnd);
        // Looked up at the change's edges in the content it meets (the head, or the head after the ops planned before it).
        if (surrogates && splitsSurrogatePair(planned.length === 0 ? head : (draft ??= draftAfter(head, planned)), delta)) {
          throw badInput('delta would split a character in two (between the halves of a surrogate pair)', { reason: 'SPLITS_SURROGATE_PAIR' });
        }
        // Checked on the rebased op against the content it will really meet,
        // in bytes (an embed or a format counts its size, not 1); ops that do
        // not grow the document always pass (they can only help).
        const max = this.options.maxDocumentBytes;
        if (max !== undefined) {
          draft ??= draftAfter(head, planned);
          const before = draft.size;
          draft.apply(delta);
          if (draft.size > before && draft.size > max) {
            draft = null;
            throw badInput(`The document would be larger than ${max} bytes`, { limit: 'documentBytes', max });
          }
        }
        version += 1;
        const entry: Planned = {
          op: {
            documentId,
            version,
            delta,
            clientId: s.clientId,
            clientSeq: s.clientSeq,
            authorId: s.authorId,
            sessionId: s.sessionId ?? null,
            tokenId: s.tokenId ?? null,
            runId: s.runId ?? null,
            requestHash: s.requestHash ?? null,
          },
          waiters: [p],
          distance: since.length + planned.length,
        };
        planned.push(entry);
        byClient.set(key, entry);
        surrogates ||= holdsSurrogates(delta.ops);
      } catch (error) {
        markSettled(p);
        p.reject(error);
      }
    }
    return planned;
  }

  /**
   * After a `client` conflict: settles the entries whose (clientId,
   * clientSeq) is already in the log (committed before their base, or by
   * another node): the first commit for a replay of it, else refused.
   */
  private async settleCommittedElsewhere(documentId: string, planned: Planned[]): Promise<void> {
    for (const entry of planned) {
      const found = await this.log.findByClient(documentId, entry.op.clientId, entry.op.clientSeq);
      if (!found) continue;
      for (const w of entry.waiters) {
        markSettled(w);
        if (await this.replays(documentId, w.submission, found)) w.resolve(found);
        else w.reject(keyReused());
      }
    }
  }

  /** Whether `s` replays `first`, reading the ops between them from the log (a rare path). */
  private async replays(documentId: string, s: Submission, first: CommittedOp): Promise<boolean> {
    if (s.requestHash) return isReplayOf(s, first, []);
    if (!sameAuthor(s, first) || !basedBefore(s, first)) return false;
    return isReplayOf(s, first, await this.log.readOps(documentId, s.baseVersion, first.version - 1));
  }

  private cachedVersion(documentId: string): number | undefined {
    return this.heads.peek(documentId)?.version;
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

// Submissions settled during planning must not be retried; a WeakSet keeps
// that bookkeeping off the Pending objects.
const settled = new WeakSet<Pending>();
const markSettled = (p: Pending) => settled.add(p);
/** Who still waits after a failed attempt: the planned ops' waiters, or all of `pending` if it failed before planning (a locked commit that never got its lock). */
const unsettled = (planned: Planned[], pending: Pending[]) => (planned.length > 0 ? planned.flatMap((p) => p.waiters) : pending).filter((w) => !settled.has(w));

/**
 * After an `access` conflict: the log found that some authors may no longer
 * write (their access changed after this node cached it). Their
 * submissions are refused as the access check would refuse them now; the
 * others are planned again without them.
 */
function refuseWriters(planned: Planned[], refused: readonly WriteRefusal[]): void {
  for (const entry of planned) {
    const { authorId, sessionId, tokenId } = entry.op;
    const refusal = refused.find((r) => r.authorId === authorId && r.sessionId === (sessionId ?? null) && (r.tokenId ?? null) === (tokenId ?? null));
    if (!refusal) continue;
    const error =
      refusal.reason === 'session'
        ? tokenId
          ? new AppError('UNAUTHENTICATED', 'This API token was revoked', { reason: 'TOKEN_REVOKED' })
          : new AppError('UNAUTHENTICATED', 'This session has ended; log in again')
        : refusal.reason === 'not-member'
          ? notFound()
          : forbidden('EDITOR', refusal.role ?? 'VIEWER');
    for (const w of entry.waiters) {
      markSettled(w);
      w.reject(error);
    }
  }
}

/** CONFLICT: the head is not the version a submission required (`headVersion`: where it is). Changes nothing. */
const conflict = (headVersion: number) =>
  new AppError('CONFLICT', `The document is at version ${headVersion}, not the version required`, { headVersion });

function checkSubmission(s: Submission): void {
  if (!Number.isSafeInteger(s.baseVersion) || s.baseVersion < 0) throw badInput('baseVersion must be a non-negative integer');
  if (!Number.isSafeInteger(s.clientSeq) || s.clientSeq < 0) throw badInput('clientSeq must be a non-negative integer');
  if (s.clientId.length === 0 || s.clientId.length > MAX_CLIENT_ID) throw badInput(`clientId must be 1 to ${MAX_CLIENT_ID} characters`);
  if (s.runEnd != null && (!Number.isSafeInteger(s.runEnd) || s.runEnd < 0)) throw badInput('runEnd must be a non-negative integer');
}

function draftAfter(head: DocumentHead, planned: readonly Planned[]): ContentDraft {
  const draft = head.draft();
  for (const p of planned) draft.apply(p.op.delta);
  return draft;
}

/**
 * Content bytes per step of a document's snapshot interval: a document of
 * n steps is snapshotted every n × snapshotEvery versions (n at most
 * MAX_SNAPSHOT_STEPS). A snapshot is the whole content: written every 100
 * keystrokes, a 5 MB document of 250k formatted runs spent ~20 ms of the
 * node's CPU per keystroke on them (most of it PGlite building jsonb),
 * four times a keystroke in a 5 KB one. Loading it then replays at most
 * ~1,000 small ops, a few ms through the chunked head.
 */
const SNAPSHOT_STEP_BYTES = 512 * 1024;
const MAX_SNAPSHOT_STEPS = 16;

/**
 * A few large ops cost a load more than many small ones: a document made of
 * pastes (or created with 5 MB of content) replayed each from its jsonb row,
 * parsed, measured and applied them all (~85 ms a MB of ops). So a document
 * is also snapshotted once the ops since its last snapshot hold this many
 * bytes, or a sixteenth of its size if more: a load replays at most about
 * that. A snapshot costs the node ~13 ms a MB of document (its JSON, mostly
 * kept from the last one, encoded; Brotli runs off the loop; the write):
 * at most ~16 of those per document's worth of pasted bytes.
 */
const MIN_REPLAY_BYTES = 256 * 1024;
const REPLAY_SHARE = 16;

/** Whether committing `planned` onto `head` should store a snapshot of the result. */
function wantsSnapshot(head: DocumentHead, planned: readonly Planned[], every: number): boolean {
  if (every <= 0) return false;
  if (crossesSnapshot(head.version, planned.at(-1)!.op.version, snapshotInterval(every, head.bytes))) return true;
  let adding = 0;
  for (const p of planned) adding += opsBytes(p.op.delta.ops);
  // Against the size after the batch (about: the head's size plus what it adds).
  return head.bytesSinceSnapshot + adding >= Math.max(MIN_REPLAY_BYTES, (head.bytes + adding) / REPLAY_SHARE);
}

function snapshotInterval(every: number, bytes: number): number {
  return every * Math.min(MAX_SNAPSHOT_STEPS, Math.max(1, Math.ceil(bytes / SNAPSHOT_STEP_BYTES)));
}

function crossesSnapshot(from: number, to: number, every: number): boolean {
  return every > 0 && Math.floor(from / every) < Math.floor(to / every);
}

