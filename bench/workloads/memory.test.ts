// The idle row's median over runs (medianOfRuns): per count, per field.
import { describe, expect, it } from 'vitest';
import { medianOfRuns, type IdleResult } from './memory.ts';

const at = (connections: number, js: number, heap = js, rss = 10 * js): IdleResult => ({ connections, jsPerConnection: js, heapPerConnection: heap, bytesPerConnection: rss });

describe('medianOfRuns', () => {
  it('takes each field’s median at each count, whichever run it comes from', () => {
    const runs = [
      [at(1000, 9, 1), at(5000, 9.6)],
      [at(1000, 7, 3), at(5000, 6.2)],
      [at(1000, 8, 2), at(5000, 7.1)],
    ];
    expect(medianOfRuns(runs)).toEqual([at(1000, 8, 2), at(5000, 7.1)]);
  });

  it('averages the middle two of an even number of runs, and passes one run through', () => {
    expect(medianOfRuns([[at(20, 4)], [at(20, 6)]])).toEqual([at(20, 5)]);
    expect(medianOfRuns([[at(20, 4)]])).toEqual([at(20, 4)]);
  });

  it('refuses no runs, or runs at different counts', () => {
    expect(() => medianOfRuns([])).toThrow(RangeError);
    expect(() => medianOfRuns([[at(1000, 1)], [at(5000, 1)]])).toThrow(RangeError);
    expect(() => medianOfRuns([[at(1000, 1)], [at(1000, 1), at(5000, 1)]])).toThrow(RangeError);
  });
});
