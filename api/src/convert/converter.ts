// Export and import off the main thread: the conversions (formats.ts) run
// in one worker thread per node, started on first use, one request at a
// time in arrival order. A request that runs longer than `timeoutMs` (from
// when the worker, loaded, receives it) ends
// the worker (the next request starts a fresh one) and fails with
// BAD_USER_INPUT (limit convertMs): only a huge or pathological file gets
// there. The requests queued behind it are sent to the fresh worker. At
// most `maxInFlight` wait or run; more are RATE_LIMITED.
import { Worker } from 'node:worker_threads';
import { Delta, type DeltaOp } from '../../../protocol/delta.ts';
import { AppError, badInput } from '../errors.ts';
import type { DocumentFormat } from './formats.ts';

type Job = { kind: 'export'; ops: DeltaOp[]; format: DocumentFormat; title: string } | { kind: 'import'; text: string; format: DocumentFormat };
export type ConvertRequest = Job & { id: number };
export type ConvertReply = { id: number; ok: true; value: string | DeltaOp[] } | { id: number; ok: false; message: string };

export interface Converter {
  /** The content in `format` (formats.ts exportContent). */
  export(content: Delta, format: DocumentFormat, title: string): Promise<string>;
  /** A document's content from a file's text (formats.ts importContent). */
  import(text: string, format: DocumentFormat): Promise<Delta>;
  /** Ends the worker; requests still queued fail. */
  close(): Promise<void>;
}

export interface ConverterOptions {
  /** Longest one conversion may run, ms. @default 30000 */
  timeoutMs?: number;
  /**
   * Most conversions waiting or running at once: each holds a whole
   * document or file, so the queue is bounded; beyond it RATE_LIMITED
   * (limit convertQueue). @default 32
   */
  maxInFlight?: number;
}

interface Pending {
  request: ConvertRequest;
  resolve(value: string | DeltaOp[]): void;
  reject(error: unknown): void;
}

const WORKER_URL = new URL('./convert-worker.ts', import.meta.url);

export function createConverter(options: ConverterOptions = {}): Converter {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxInFlight = options.maxInFlight ?? 32;
  const queue: Pending[] = [];
  let worker: Worker | null = null;
  /** Whether `worker` has loaded its modules (it says 'ready'). */
  let ready = false;
  let running: { pending: Pending; timer: NodeJS.Timeout } | null = null;
  let nextId = 0;
  let closed = false;

  const stopWorker = () => {
    const w = worker;
    worker = null;
    ready = false;
    if (w) {
      w.removeAllListeners();
      void w.terminate();
    }
  };

  /** The running request is over (answered, timed out, or its worker died): send the next. */
  const settle = (outcome: (p: Pending) => void) => {
    const current = running;
    running = null;
    if (current) {
      clearTimeout(current.timer);
      outcome(current.pending);
    }
    pump();
  };

  const startWorker = (): Worker => {
    const w = new Worker(WORKER_URL);
    w.on('message', (reply: ConvertReply | 'ready') => {
      if (reply === 'ready') {
        ready = true;
        pump();
        return;
      }
      if (!running || reply.id !== running.pending.request.id) return;
      settle((p) => (reply.ok ? p.resolve(reply.value) : p.reject(new Error(`conversion failed: ${reply.message}`))));
    });
    // A worker that dies while converting fails that request (the next
    // starts a fresh one); one that dies before it is ready fails them all
    // rather than being restarted in a loop.
    const died = (error: unknown) => {
      const starting = !ready;
      stopWorker();
      if (running) settle((p) => p.reject(error));
      else if (starting) for (const p of queue.splice(0)) p.reject(error);
    };
    w.on('error', died);
    w.on('exit', () => {
      if (worker === w) died(new AppError('UNAVAILABLE', 'The converter stopped; try again'));
    });
    return w;
  };

  function pump(): void {
    if (running || closed || queue.length === 0) return;
    worker ??= startWorker();
    if (!ready) return; // it pumps again when it is
    const pending = queue.shift()!;
    const timer = setTimeout(() => {
      stopWorker();
      settle((p) => p.reject(badInput(`The file is too large or complex to convert within ${timeoutMs} ms`, { limit: 'convertMs', max: timeoutMs })));
    }, timeoutMs);
    running = { pending, timer };
    worker.postMessage(pending.request);
  }

  const run = (job: Job) =>
    new Promise<string | DeltaOp[]>((resolve, reject) => {
      if (closed) return reject(new AppError('UNAVAILABLE', 'The node is shutting down'));
      if (queue.length + (running ? 1 : 0) >= maxInFlight) {
        return reject(new AppError('RATE_LIMITED', 'Too many exports and imports at once; retry in a second', { limit: 'convertQueue', retryAfterMs: 1000 }));
      }
      queue.push({ request: { ...job, id: nextId++ }, resolve, reject });
      pump();
    });

  return {
    async export(content, format, title) {
      return (await run({ kind: 'export', ops: content.ops, format, title })) as string;
    },
    async import(text, format) {
      return new Delta((await run({ kind: 'import', text, format })) as DeltaOp[]);
    },
    async close() {
      closed = true;
      const refused = new AppError('UNAVAILABLE', 'The node is shutting down');
      for (const p of queue.splice(0)) p.reject(refused);
      const w = worker;
      worker = null;
      if (running) settle((p) => p.reject(refused));
      if (w) {
        w.removeAllListeners();
        await w.terminate();
      }
    },
  };
}
