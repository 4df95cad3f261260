import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { RecentOps } from './recent-ops.ts';

const op = (s: string) => new Delta().insert(s);

describe('RecentOps', () => {
  it('answers the ops after a version while it keeps them, and null once the oldest are dropped', () => {
    const recent = new RecentOps(2, 3);
    recent.push(4, op('a'));
    recent.push(5, op('b'));
    expect(recent.since(3)).toEqual([op('a'), op('b')]);
    expect(recent.since(5)).toEqual([]);
    recent.push(6, op('c'));
    expect(recent.since(4)).toEqual([op('b'), op('c')]);
    expect(recent.since(3)).toBeNull();
  });

  it('after a restart at a later version, knows nothing before it (the ops in the gap were never seen)', () => {
    const recent = new RecentOps(10, 0);
    recent.push(1, op('a'));
    recent.push(2, op('b'));
    recent.restart(7);
    recent.push(8, op('h'));
    expect(recent.since(7)).toEqual([op('h')]);
    expect(recent.since(2)).toBeNull();
    expect(recent.since(1)).toBeNull();
  });
});
