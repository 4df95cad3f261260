// Group commit. Two levels, both without a timer:
// - within one document, Sequencer.drain waits one event-loop turn and
//   commits everything its lane collected as one batch (one transaction);
// - across documents (this file), while several lanes commit at once their
//   appends wait one more turn and reach the log as one statement
//   (OperationLog.appendMany), so embedded PGlite, which runs in this thread
//   and fsyncs per transaction, pays one fsync for all of them. While the
//   log says it is not ready (embedded, on a slow disk: a WAL sync under
//   way off the thread), the group waits and keeps collecting.
// Each request still succeeds or fails on its own.
import type { AppendRequest, CommittedOp, OperationLog } from './types.ts';

type Waiting = { request: AppendRequest; resolve: (ops: CommittedOp[]) => void; reject: (error: unknown) => void };

export class GroupCommit {
  private readonly appendMany: NonNullable<OperationLog['appendMany']>;
  private readonly ready: () => Promise<void>;
  private waiting: Waiting[] = [];

  constructor(appendMany: NonNullable<OperationLog['appendMany']>, ready: () => Promise<void> = () => Promise.resolve()) {
    this.appendMany = appendMany;
    this.ready = ready;
  }

  /** Appends `request` with whatever else arrives in this turn, or until the log is ready. */
  append(request: AppendRequest): Promise<CommittedOp[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      if (this.waiting.length > 1) return;
      // Lanes woken in this turn reach this point one after another; the
      // next turn appends everything they brought.
      setImmediate(async () => {
        // A log that cannot get ready fails the append itself, each request on its own.
        await this.ready().catch(() => {});
        const group = this.waiting;
        this.waiting = [];
        this.appendMany(group.map((g) => g.request)).then(
          (results) => results.forEach((result, i) => (result.status === 'fulfilled' ? group[i]!.resolve(result.value) : group[i]!.reject(result.reason))),
          (error: unknown) => group.forEach((g) => g.reject(error)),
        );
      });
    });
  }
}
