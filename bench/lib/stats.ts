// Samples and percentiles (milliseconds unless said otherwise).

/** A growable list of numbers. */
export class Samples {
  private values = new Float64Array(1024);
  count = 0;

  push(value: number): void {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = value;
  }

  /** Nearest-rank percentile, p in [0, 100]; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const sorted = this.values.slice(0, this.count).sort();
    const rank = Math.min(this.count - 1, Math.max(0, Math.ceil((p / 100) * this.count) - 1));
    return sorted[rank]!;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `predicate` holds, checking every few milliseconds; false on timeout. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, stepMs = 5): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) return false;
    await sleep(stepMs);
  }
  return true;
}

/** Runs `fn` over `items` with at most `parallel` at once, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], parallel: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return out;
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
