// documentEvents: one reader's events from the outbox, resumable. It
// subscribes to the events bus BEFORE it reads where the outbox is, so no
// stamping after that point goes unnoticed; then it reads in seq ranges
// (after, upTo], where upTo was stamped, hence every seq up to it is
// committed and visible (outbox.ts): consecutive ranges leave no gap and
// repeat nothing. Authorisation is part of the read (membership now, or the
// audience of a DELETED/UNSHARED), so a member removed stops seeing the
// document's events from the next read on.
import type { Bus } from '../collab/types.ts';
import { badInput } from '../errors.ts';
import { EVENTS_TOPIC, type EventsStamped } from './event-pump.ts';
import type { DocumentEventView, EventReader, Outbox } from './outbox.ts';

/** Most seqs one read spans (rows of other documents included). */
const READ_SPAN = 500n;

export interface EventStreamOptions {
  outbox: Outbox;
  bus: Bus<EventsStamped>;
  reader: EventReader;
  /** Resume after this id; null: live events only. */
  after: string | null;
  /** How often to look without a wake-up (a lost bus message), milliseconds. */
  pollMs: number;
}

/** BAD_USER_INPUT unless `after` is an event id: a decimal no greater than the newest id. */
function checkAfter(after: string, head: bigint): bigint {
  if (!/^(0|[1-9]\d{0,18})$/.test(after)) throw badInput('after must be a DocumentEvent id', { field: 'after' });
  const position = BigInt(after);
  if (position > head) throw badInput('after is newer than the newest event', { field: 'after', reason: 'UNKNOWN_EVENT' });
  return position;
}

/** BAD_USER_INPUT (reason EVENTS_PRUNED) when events after `position` were pruned (event-retention.ts): resuming there would skip them. */
async function checkNotPruned(outbox: Outbox, position: bigint): Promise<void> {
  const floor = BigInt(await outbox.floor());
  if (position < floor) {
    throw badInput('events after this id were pruned (EVENTS_RETENTION_DAYS); resume after earliestAfter or later, or start live', {
      field: 'after',
      reason: 'EVENTS_PRUNED',
      earliestAfter: floor.toString(),
    });
  }
}

export async function openEventStream(options: EventStreamOptions): Promise<AsyncIterableIterator<DocumentEventView>> {
  const { outbox, reader, pollMs } = options;
  const live = await options.bus.subscribe(EVENTS_TOPIC);
  let position: bigint;
  try {
    const head = BigInt(await outbox.head());
    position = options.after === null ? head : checkAfter(options.after, head);
    await checkNotPruned(outbox, position);
  } catch (error) {
    live.close();
    throw error;
  }

  let closed = false;
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const wakes = live[Symbol.asyncIterator]();
  let wake: Promise<unknown> | null = null;

  async function* run(): AsyncGenerator<DocumentEventView> {
    try {
      while (!closed) {
        const head = BigInt(await outbox.head());
        if (head > position) {
          const upTo = head < position + READ_SPAN ? head : position + READ_SPAN;
          const events = await outbox.read(reader, position.toString(), upTo.toString());
          // A slow reader that pruning overtook would skip what went: it ends with the same error instead.
          await checkNotPruned(outbox, position);
          position = upTo;
          for (const event of events) yield event;
          continue;
        }
        live.drain();
        wake ??= wakes.next().finally(() => (wake = null));
        let timer: NodeJS.Timeout | undefined;
        const poll = new Promise<void>((resolve) => (timer = setTimeout(resolve, pollMs)));
        await Promise.race([wake, poll, stopped]);
        clearTimeout(timer);
      }
    } finally {
      live.close();
    }
  }

  const inner = run();
  const iterator: AsyncIterableIterator<DocumentEventView> = {
    next: () => inner.next(),
    // A generator waiting on a wake-up would take return() only at its next
    // yield: stop the wait first, so an idle stream ends at once.
    return: async () => {
      closed = true;
      stop();
      live.close();
      return inner.return(undefined);
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
