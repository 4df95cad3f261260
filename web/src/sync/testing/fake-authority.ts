// A deterministic stand-in for the server, for tests of the sync engine:
// the same rules as the server (docs/architecture.md, Invariants: rebase over everything after baseVersion,
// committed op wins ties; idempotent (clientId, clientSeq); exact streams),
// with no sockets and no timers. Nothing happens until the test says so:
// every stream message and every submission waits in a queue until the
// test delivers or processes it, which is how tests pick delays and
// interleavings. Each page gets its own FakeLink, its network connection.
import { Delta, type DeltaJSON } from '../../../../protocol/delta.ts';
import { rebase } from '../../../../protocol/rebase.ts';
import type { Scheduler, TimerHandle } from '../scheduler.ts';
import {
  SyncError,
  type PresenceInput,
  type StreamSink,
  type SubmitInput,
  type SyncTransport,
  type Unsubscribe,
  type WireOp,
  type WirePresence,
} from '../transport.ts';

export class FakeAuthority {
  readonly log: WireOp[] = [];
  content = new Delta();
  /** Every presence update accepted, with the content it referred to. */
  readonly presenceLog: Array<{ presence: WirePresence; content: Delta }> = [];
  /** The latest presence of each client (replayed to new presence streams, as the server does). */
  readonly presences = new Map<string, WirePresence>();
  /** Decides the fate of a submission before it is judged (inject RATE_LIMITED, FORBIDDEN...). */
  reject: (input: SubmitInput) => SyncError | null = () => null;
  private readonly byKey = new Map<string, WireOp>();
  private readonly links = new Set<FakeLink>();
  /**
   * Log retention, as the server has it: ops up to here are no longer
   * served; a stream or a submission based below it gets SNAPSHOT_REQUIRED
   * (`committed`: whether the key was committed, as DroppedClient tells).
   */
  floor = 0;

  readonly documentId;
  constructor(documentId = 'doc-1', initial?: DeltaJSON) {
    this.documentId = documentId;
    if (initial) this.commit({ documentId, baseVersion: 0, delta: initial, clientId: 'seed', clientSeq: 0 });
  }

  get version(): number {
    return this.log.length;
  }

  /** A new network connection (one per page). */
  link(name = `link-${this.links.size}`): FakeLink {
    const link = new FakeLink(this, name);
    this.links.add(link);
    return link;
  }

  contentAt(version: number): Delta {
    return this.log.slice(0, version).reduce((doc, op) => doc.compose(new Delta(op.delta.ops)), new Delta());
  }

  /** Retention cuts the log at `version` (default: the head). */
  trim(version = this.version): void {
    this.floor = Math.max(this.floor, Math.min(version, this.version));
  }

  snapshotRequired(details: Record<string, unknown> = {}): SyncError {
    return new SyncError('SNAPSHOT_REQUIRED', `the log starts after version ${this.floor}`, { code: 'SNAPSHOT_REQUIRED', snapshotVersion: this.floor, ...details });
  }

  /** Judges a submission as the server does; throws a SyncError for a bad one. */
  commit(input: SubmitInput): WireOp {
    const rejection = this.reject(input);
    if (rejection) throw rejection;
    const key = `${input.clientId}/${input.clientSeq}`;
    // As the server: the hole below the base is found before any replay check.
    if (input.baseVersion < this.floor) {
      throw this.snapshotRequired({ headVersion: this.version, clientId: input.clientId, clientSeq: input.clientSeq, committed: this.byKey.has(key) });
    }
    const previous = this.byKey.get(key);
    if (previous) return previous;
    if (input.baseVersion > this.version) throw new SyncError('BAD_USER_INPUT', 'baseVersion ahead of head');
    const delta = rebase(
      new Delta(input.delta.ops),
      this.log.slice(input.baseVersion).map((op) => ({ delta: new Delta(op.delta.ops) })),
      input.runEnd ?? null,
    );
    const next = this.content.compose(delta);
    if (next.ops.some((op) => op.insert === undefined)) throw new SyncError('BAD_USER_INPUT', 'delta does not apply');
    const op: WireOp = { version: this.version + 1, delta: { ops: delta.ops }, clientId: input.clientId, clientSeq: input.clientSeq };
    this.log.push(op);
    this.byKey.set(key, op);
    this.content = next;
    for (const link of this.links) link.publishOp(op);
    return op;
  }

  updatePresence(input: PresenceInput, user: WirePresence['user']): void {
    if (input.version > this.version) throw new SyncError('BAD_USER_INPUT', 'presence version ahead of head');
    const presence: WirePresence = { clientId: input.clientId, user, version: input.version, index: input.index, length: input.length };
    this.presenceLog.push({ presence, content: this.contentAt(input.version) });
    this.presences.set(input.clientId, presence);
    for (const link of this.links) link.publishPresence(presence);
  }

  /** A client's presence ends (its socket closed): gone from the set, and a `left` event to whoever is listening. */
  leave(clientId: string): void {
    const presence = this.presences.get(clientId);
    if (!presence) return;
    this.presences.delete(clientId);
    for (const link of this.links) link.publishPresence({ ...presence, left: true });
  }

  forget(link: FakeLink): void {
    this.links.delete(link);
  }
}

interface Stream<T> {
  sink: StreamSink<T>;
  queue: Array<{ kind: 'open' } | { kind: 'next'; value: T }>;
  closed: boolean;
}

interface PendingSubmit {
  input: SubmitInput;
  resolve: () => void;
  reject: (error: SyncError) => void;
}

/** One page's connection to the FakeAuthority; a SyncTransport. */
export class FakeLink implements SyncTransport {
  private opsStreams: Array<Stream<WireOp>> = [];
  private presenceStreams: Array<Stream<WirePresence>> = [];
  private submits: PendingSubmit[] = [];
  /** While down, every request fails with NETWORK. */
  down = false;
  user: WirePresence['user'] = null;
  /** The last presence of each client delivered to this page. */
  readonly lastPresence = new Map<string, WirePresence>();

  private readonly authority: FakeAuthority;
  readonly name: string;
  constructor(authority: FakeAuthority, name: string) {
    this.authority = authority;
    this.name = name;
  }

  async loadDocument(): Promise<{ version: number; content: DeltaJSON }> {
    if (this.down) throw new SyncError('NETWORK', 'link down');
    return { version: this.authority.version, content: { ops: this.authority.content.ops } };
  }

  subscribeOperations(documentId: string, afterVersion: number, sink: StreamSink<WireOp>): Unsubscribe {
    const stream: Stream<WireOp> = { sink, queue: [], closed: false };
    if (this.down) {
      queueMicrotask(() => !stream.closed && sink.error(new SyncError('NETWORK', 'link down')));
      return () => void (stream.closed = true);
    }
    if (afterVersion > this.authority.version) {
      queueMicrotask(() => !stream.closed && sink.error(new SyncError('BAD_USER_INPUT', 'afterVersion ahead of head')));
      return () => void (stream.closed = true);
    }
    if (afterVersion < this.authority.floor) {
      const error = this.authority.snapshotRequired();
      queueMicrotask(() => !stream.closed && sink.error(error));
      return () => void (stream.closed = true);
    }
    // Subscribe-then-read: the catch-up and the live ops are one queue.
    stream.queue.push({ kind: 'open' }, ...this.authority.log.slice(afterVersion).map((value) => ({ kind: 'next' as const, value })));
    this.opsStreams.push(stream);
    return () => {
      stream.closed = true;
      this.opsStreams = this.opsStreams.filter((s) => s !== stream);
    };
  }

  subscribePresence(documentId: string, sink: StreamSink<WirePresence>): Unsubscribe {
    const current = [...this.authority.presences.values()].map((value) => ({ kind: 'next' as const, value }));
    const stream: Stream<WirePresence> = { sink, queue: [{ kind: 'open' }, ...current], closed: false };
    if (this.down) {
      queueMicrotask(() => !stream.closed && sink.error(new SyncError('NETWORK', 'link down')));
      return () => void (stream.closed = true);
    }
    this.presenceStreams.push(stream);
    return () => {
      stream.closed = true;
      this.presenceStreams = this.presenceStreams.filter((s) => s !== stream);
    };
  }

  submitOperation(input: SubmitInput): Promise<void> {
    if (this.down) return Promise.reject(new SyncError('NETWORK', 'link down'));
    return new Promise((resolve, reject) => this.submits.push({ input: structuredClone(input), resolve, reject }));
  }

  async updatePresence(input: PresenceInput): Promise<void> {
    if (this.down) throw new SyncError('NETWORK', 'link down');
    this.authority.updatePresence(input, this.user);
  }

  publishOp(op: WireOp): void {
    for (const s of this.opsStreams) s.queue.push({ kind: 'next', value: op });
  }

  publishPresence(presence: WirePresence): void {
    for (const s of this.presenceStreams) s.queue.push({ kind: 'next', value: presence });
  }

  /** Messages waiting for delivery. */
  get queued(): number {
    return [...this.opsStreams, ...this.presenceStreams].reduce((n, s) => n + s.queue.length, 0);
  }

  get pendingSubmits(): number {
    return this.submits.length;
  }

  /** Delivers up to `count` stream messages, taking streams in turn from `pick`. */
  deliver(count: number, pick = 0): number {
    let delivered = 0;
    for (let i = 0; i < count; i++) {
      const streams = [...this.opsStreams, ...this.presenceStreams].filter((s) => s.queue.length > 0);
      if (streams.length === 0) break;
      const stream = streams[(pick + i) % streams.length]!;
      const message = stream.queue.shift()!;
      if (message.kind === 'open') stream.sink.open();
      else {
        if (this.presenceStreams.includes(stream as Stream<WirePresence>)) {
          const presence = message.value as WirePresence;
          this.lastPresence.set(presence.clientId, presence);
        }
        (stream.sink.next as (value: unknown) => void)(message.value);
      }
      delivered++;
    }
    return delivered;
  }

  /** The authority judges the submission at `index` (mod the queue) and answers. */
  process(index = 0): void {
    if (this.submits.length === 0) return;
    const [submit] = this.submits.splice(index % this.submits.length, 1);
    try {
      this.authority.commit(submit!.input);
      submit!.resolve();
    } catch (error) {
      submit!.reject(error as SyncError);
    }
  }

  /**
   * The connection breaks: streams fail, and each waiting submission either
   * reached the server (its answer is lost) or did not, as `reached` says.
   */
  drop(reached: (i: number) => boolean = () => false): void {
    const submits = this.submits.splice(0);
    submits.forEach((submit, i) => {
      if (reached(i)) {
        try {
          this.authority.commit(submit.input);
        } catch {
          // judged and rejected; the answer is lost all the same
        }
      }
      submit.reject(new SyncError('NETWORK', 'connection lost'));
    });
    for (const s of [...this.opsStreams, ...this.presenceStreams]) {
      s.closed = true;
      s.sink.error(new SyncError('NETWORK', 'connection lost'));
    }
    this.opsStreams = [];
    this.presenceStreams = [];
  }

  /** The page is gone: nothing reaches it any more. */
  close(): void {
    for (const s of [...this.opsStreams, ...this.presenceStreams]) s.closed = true;
    this.opsStreams = [];
    this.presenceStreams = [];
    this.submits = [];
    this.authority.forget(this);
  }
}

/** Virtual time: timers fire only when the test advances the clock. */
export class FakeScheduler implements Scheduler {
  private time = 0;
  private nextId = 0;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  private state: number;

  constructor(seed = 1) {
    this.state = seed >>> 0 || 1;
  }

  now = (): number => this.time;

  setTimeout = (callback: () => void, ms: number): TimerHandle => {
    const id = ++this.nextId;
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback });
    return id;
  };

  clearTimeout = (handle: TimerHandle): void => {
    this.timers.delete(handle as number);
  };

  /** mulberry32: a small seeded generator, so runs are reproducible. */
  random = (): number => {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  /** Moves the clock forward, firing due timers in order (including ones they set). */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | null = null;
      for (const entry of this.timers) if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
    }
    this.time = until;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}
