// The parser's own caps answer like the configured limits (docs/protocol.md,
// "Limits"): BAD_USER_INPUT with `limit` naming the limit and `max` its
// value, so a client branches on one shape whichever check refused it.
import { describe, expect, it } from 'vitest';
import { parseDelta } from './delta.js';

describe('parseDelta limits', () => {
  it('refuses more ops than maxOps with limit "deltaOps" and max', () => {
    const ops = Array.from({ length: 4 }, (_, i) => (i % 2 ? { retain: 1 } : { retain: 1, attributes: { bold: true } }));
    expect(() => parseDelta({ ops }, { maxOps: 3, maxInsertLength: 100 })).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', details: { limit: 'deltaOps', max: 3 } }),
    );
    expect(parseDelta({ ops: ops.slice(0, 3) }, { maxOps: 3, maxInsertLength: 100 }).ops).toHaveLength(3);
  });

  it('refuses inserting more than maxInsertLength characters (an embed counts 1) with limit "deltaInsert" and max', () => {
    const limits = { maxOps: 100, maxInsertLength: 5 };
    expect(() => parseDelta({ ops: [{ insert: 'abcd' }, { insert: { image: 'x' } }, { insert: 'e' }] }, limits)).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', details: { limit: 'deltaInsert', max: 5 } }),
    );
    expect(parseDelta({ ops: [{ insert: 'abcd' }, { insert: { image: 'x' } }] }, limits).length()).toBe(5);
  });
});
