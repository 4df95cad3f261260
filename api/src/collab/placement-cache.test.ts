// PlacementCache: a placement is used only while its row is stored as it
// was moved from and only at its head or later; a newer placement of an
// item is never replaced by an older one; least recently read documents
// go first once the weight passes the bound.
import { describe, expect, it } from 'vitest';
import { PlacementCache } from './placement-cache.ts';

const cache = (maxWeight = 1_000) => new PlacementCache<number>({ maxWeight, weigh: () => 10 });

describe('PlacementCache', () => {
  it('gives a placement only for the stored state it was moved from, and only at its version or a later head', () => {
    const placements = cache();
    placements.keep('doc', [['t1', { source: '1:6:5', version: 9, value: 106 }]]);
    expect(placements.startOf('doc', 't1', '1:6:5', 9)?.value).toBe(106);
    expect(placements.startOf('doc', 't1', '1:6:5', 12)?.version).toBe(9);
    expect(placements.startOf('doc', 't1', '9:106:5', 12)).toBeUndefined(); // the row was stored anew
    expect(placements.startOf('doc', 't1', '1:6:5', 8)).toBeUndefined(); // a head behind it (a node that has not seen those ops)
    expect(placements.startOf('doc', 't2', '1:6:5', 9)).toBeUndefined();
    expect(placements.startOf('other', 't1', '1:6:5', 9)).toBeUndefined();
  });

  it('keeps the newer placement of an item when an older read finishes last', () => {
    const placements = cache();
    placements.keep('doc', [['t1', { source: '1', version: 9, value: 9 }]]);
    placements.keep('doc', [['t1', { source: '1', version: 7, value: 7 }], ['t2', { source: '1', version: 7, value: 7 }]]);
    expect(placements.startOf('doc', 't1', '1', 20)?.value).toBe(9);
    expect(placements.startOf('doc', 't2', '1', 20)?.value).toBe(7);
  });

  it('drops the least recently read documents past its weight, the one just read last', () => {
    const placements = cache(50); // 5 placements
    placements.keep('a', [['1', { source: 's', version: 1, value: 1 }], ['2', { source: 's', version: 1, value: 1 }]]);
    placements.keep('b', [['1', { source: 's', version: 1, value: 1 }], ['2', { source: 's', version: 1, value: 1 }]]);
    placements.keep('a', []); // read again: now the most recent
    placements.keep('c', [['1', { source: 's', version: 1, value: 1 }], ['2', { source: 's', version: 1, value: 1 }]]);
    expect(placements.startOf('b', '1', 's', 1)).toBeUndefined();
    expect(placements.startOf('a', '1', 's', 1)).toBeDefined();
    expect(placements.startOf('c', '1', 's', 1)).toBeDefined();
    expect(placements.size).toBe(4);
    // A document heavier than the whole bound is not kept at all, and takes no other's place.
    placements.keep('huge', Array.from({ length: 6 }, (_, i): [string, { source: string; version: number; value: number }] => [String(i), { source: 's', version: 1, value: 1 }]));
    expect(placements.startOf('huge', '0', 's', 1)).toBeUndefined();
    expect(placements.size).toBe(4);
  });
});
