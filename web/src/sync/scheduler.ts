// Time and chance, injected: the engine never touches the global clock,
// timers or Math.random directly, so tests can run it deterministically.

export type TimerHandle = unknown;

export interface Scheduler {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Uniform in [0, 1). */
  random(): number;
}

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  random: () => Math.random(),
};

/** A random client id (works outside secure contexts, unlike crypto.randomUUID). */
export function randomClientId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One pending callback on a Scheduler: start() replaces the one pending,
 * clear() cancels it. The engine's timers are all of this shape; holding
 * each in its own Timer keeps a handle from outliving its callback.
 */
export class Timer {
  private handle: TimerHandle | null = null;

  private readonly scheduler: Scheduler;
  constructor(scheduler: Scheduler) {
    this.scheduler = scheduler;
  }

  get pending(): boolean {
    return this.handle !== null;
  }

  start(ms: number, callback: () => void): void {
    this.clear();
    this.handle = this.scheduler.setTimeout(() => {
      this.handle = null;
      callback();
    }, ms);
  }

  clear(): void {
    if (this.handle !== null) this.scheduler.clearTimeout(this.handle);
    this.handle = null;
  }
}
