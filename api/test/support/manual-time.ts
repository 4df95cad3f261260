// A clock that moves only when a test says so, and timers that run as it
// passes them: for code that waits for time to pass (quiet moments,
// deadlines), tested without depending on how fast the machine is.

export interface ManualTime {
  now(): number;
  after(ms: number, fn: () => void): void;
  /** Moves the clock on by `ms`, running each timer it passes (and any they set that fall due meanwhile), letting promises settle in between. */
  advance(ms: number): Promise<void>;
}

export function manualTime(): ManualTime {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void }> = [];
  return {
    now: () => now,
    after: (ms, fn) => void timers.push({ at: now + ms, fn }),
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        await settle();
        timers.sort((a, b) => a.at - b.at);
        if (!timers[0] || timers[0].at > end) break;
        const next = timers.shift()!;
        now = next.at;
        next.fn();
      }
      now = end;
      await settle();
    },
  };
}

/** Lets pending promise callbacks and setImmediate turns run (a few rounds: chains of them). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Whether `promise` has resolved yet, as a flag to look at. */
export function tracked(promise: Promise<unknown>): { done: boolean } {
  const state = { done: false };
  void promise.then(() => (state.done = true));
  return state;
}
