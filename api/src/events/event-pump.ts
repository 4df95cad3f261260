// Runs on every node: stamps the outbox (outbox.ts) now and then and when
// woken, and tells every node's readers (event streams, webhook workers)
// through the bus that there is more to read. The bus only wakes readers:
// the outbox is the truth, and readers also look on their own every so
// often, so a lost message costs latency, never an event.
import type { Bus } from '../collab/types.ts';
import type { Outbox } from './outbox.ts';

/** What the events bus carries: the highest seq stamped (decimal). */
export interface EventsStamped {
  head: string;
}

/** Node-wide topic (rare, tiny messages). */
export const EVENTS_TOPIC = 'document-events';

export interface EventPumpOptions {
  outbox: Outbox;
  bus: Bus<EventsStamped>;
  /** How often to stamp without being woken, milliseconds: bounds how late a coalesced CHANGED (open 1 s) goes out. */
  intervalMs: number;
  /** Awaited before each stamping: when the database can best spare it (embedded: Sequencer.afterCommit). @default at once */
  slot?: () => Promise<void>;
  onError: (error: unknown) => void;
}

export class EventPump {
  private readonly options: EventPumpOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private lastHead = '';
  private stopped = false;

  constructor(options: EventPumpOptions) {
    this.options = options;
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.options.intervalMs);
    this.timer.unref();
    this.wake();
  }

  /** Stamps soon; wakes that arrive while a stamping runs make one more. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async run(): Promise<void> {
    try {
      await this.options.slot?.();
      const head = await this.options.outbox.stamp();
      if (head !== this.lastHead) {
        this.lastHead = head;
        await this.options.bus.publish(EVENTS_TOPIC, { head });
      }
    } catch (error) {
      this.options.onError(error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
