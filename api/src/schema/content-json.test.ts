import { describe, expect, it } from 'vitest';
import type { DeltaOp } from '../../../protocol/delta.ts';
import { contentValue, stringifyReply } from './content-json.ts';

const formatted = (n: number): DeltaOp[] => Array.from({ length: n }, (_, i) => (i % 2 ? { insert: `run ${i} "quoted" \\ é` } : { insert: `b${i}`, attributes: { bold: true } }));

describe('content JSON', () => {
  it('writes the same JSON as { ops }, small and large, inside and outside a reply', () => {
    const small = formatted(3);
    const large = formatted(500);
    const run: DeltaOp[] = [{ insert: 'x'.repeat(20_000) + '\n' }];
    const reply = { data: { a: { content: contentValue(large), other: 'text' }, b: contentValue(small), c: contentValue(run), d: [contentValue(large)] } };
    const plain = { data: { a: { content: { ops: large }, other: 'text' }, b: { ops: small }, c: { ops: run }, d: [{ ops: large }] } };
    expect(stringifyReply(reply)).toBe(JSON.stringify(plain));
    expect(JSON.stringify(reply)).toBe(JSON.stringify(plain));
  });

  it('makes a large content\'s JSON once, however many replies carry it', () => {
    const large = formatted(500);
    let reads = 0;
    // A getter counts how often the ops' JSON is made.
    Object.defineProperty(large[0]!, 'insert', { enumerable: true, get: () => (reads++, 'b0') });
    stringifyReply({ content: contentValue(large) });
    stringifyReply({ content: contentValue(large) });
    expect(reads).toBe(1);
  });

  it('keeps client text that looks like a placeholder as text', () => {
    const large = formatted(100);
    const tricky = { note: '\\u0000content-json:0', content: contentValue(large) };
    expect(JSON.parse(stringifyReply(tricky))).toEqual({ note: '\\u0000content-json:0', content: { ops: large } });
  });
});
