import { describe, expect, it } from 'vitest';
import { LiveList } from './live-list.ts';

type Item = { id: string; v: number };

describe('LiveList', () => {
  it('applies an event at once and keeps it over an answer to a read sent before it', () => {
    const list = new LiveList<Item>();
    const early = list.reading();
    list.event({ id: 'a', value: { id: 'a', v: 2 } });
    const late = list.reading();
    // The early read was slow: its answer predates the event.
    expect(list.answered(early, [{ id: 'a', v: 1 }, { id: 'b', v: 1 }])).toBe(true);
    expect(list.items()).toEqual([{ id: 'a', v: 2 }, { id: 'b', v: 1 }]);
    expect(list.answered(late, [{ id: 'a', v: 2 }])).toBe(true);
    expect(list.items()).toEqual([{ id: 'a', v: 2 }]);
  });

  it('never lets an older answer replace a newer one, and drops what an event says is gone', () => {
    const list = new LiveList<Item>();
    const first = list.reading();
    const second = list.reading();
    list.answered(second, [{ id: 'a', v: 2 }]);
    expect(list.answered(first, [{ id: 'a', v: 1 }])).toBe(false);
    list.event({ id: 'a', value: null });
    list.event({ id: 'c', value: { id: 'c', v: 1 } });
    expect(list.items()).toEqual([{ id: 'c', v: 1 }]);
  });

  it('keeps an item that left out, even when a read sent after the event answers with it (urql shares identical reads in flight)', () => {
    const list = new LiveList<Item>();
    list.answered(list.reading(), [{ id: 'a', v: 1 }, { id: 'b', v: 1 }]);
    list.event({ id: 'a', value: null });
    const after = list.reading(); // shared with a read still in flight from before the event
    expect(list.answered(after, [{ id: 'a', v: 1 }, { id: 'b', v: 2 }])).toBe(true);
    expect(list.items()).toEqual([{ id: 'b', v: 2 }]);
  });

  it('is null until the first answer', () => {
    const list = new LiveList<Item>();
    list.event({ id: 'a', value: { id: 'a', v: 1 } });
    expect(list.items()).toBeNull();
  });
});
