import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layoutCards, type CardBox } from './margin-layout.ts';

const tops = (cards: CardBox[], focused?: string) => Object.fromEntries(layoutCards(cards, 10, focused));

describe('layoutCards', () => {
  it('puts each card at its text when they do not overlap', () => {
    expect(tops([{ id: 'a', want: 0, height: 50 }, { id: 'b', want: 100, height: 50 }])).toEqual({ a: 0, b: 100 });
  });

  it('pushes a card down below the one above it, in the order of their text', () => {
    expect(tops([{ id: 'b', want: 20, height: 50 }, { id: 'a', want: 0, height: 50 }, { id: 'c', want: 200, height: 50 }])).toEqual({ a: 0, b: 60, c: 200 });
  });

  it('orders cards on one line by where their text starts', () => {
    expect(tops([{ id: 'a', want: 0, height: 50, index: 9 }, { id: 'b', want: 0, height: 50, index: 3 }])).toEqual({ b: 0, a: 60 });
  });

  it('puts a focused card exactly at its text and pushes the ones above it up', () => {
    const cards = [{ id: 'a', want: 100, height: 50 }, { id: 'b', want: 110, height: 50 }, { id: 'c', want: 120, height: 50 }];
    expect(tops(cards, 'b')).toEqual({ a: 50, b: 110, c: 170 });
    expect(tops(cards)).toEqual({ a: 100, b: 160, c: 220 });
  });

  it('moves a focused card down when there is no room above it', () => {
    expect(tops([{ id: 'a', want: 0, height: 50 }, { id: 'b', want: 10, height: 50 }], 'b')).toEqual({ a: 0, b: 60 });
  });

  it('never overlaps, keeps the order of the text, and never puts a card above its text unless another is focused', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ want: fc.integer({ min: 0, max: 1000 }), height: fc.integer({ min: 1, max: 200 }) }), { maxLength: 20 }), fc.option(fc.nat()), (raw, pick) => {
        const cards = raw.map((c, i) => ({ id: `c${String(i).padStart(2, '0')}`, ...c }));
        const focused = pick === null || cards.length === 0 ? undefined : cards[pick % cards.length]!.id;
        const placed = layoutCards(cards, 10, focused);
        const sorted = [...cards].sort((a, b) => a.want - b.want || (a.id < b.id ? -1 : 1));
        for (let i = 1; i < sorted.length; i++) expect(placed.get(sorted[i]!.id)!).toBeGreaterThanOrEqual(placed.get(sorted[i - 1]!.id)! + sorted[i - 1]!.height + 10);
        for (const c of cards) expect(placed.get(c.id)!).toBeGreaterThanOrEqual(0);
        if (!focused) for (const c of cards) expect(placed.get(c.id)!).toBeGreaterThanOrEqual(c.want);
        else {
          const f = cards.find((c) => c.id === focused)!;
          expect(placed.get(focused)!).toBeGreaterThanOrEqual(f.want);
        }
      }),
    );
  });
});
