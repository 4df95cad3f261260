import { describe, expect, it } from 'vitest';
import type { DeltaOp } from '../../../protocol/delta.ts';
import { Delta } from '../../../protocol/delta.ts';
import { contentValue, replyBytes, stringifyReply, type ContentSource } from './content-json.ts';

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

  it('sends a reply as bytes that share each content\'s, encoded once', () => {
    const large = formatted(500);
    const reply = (v: number) => ({ data: { document: { version: v, content: contentValue(large), note: 'é “x”' } } });
    const first = replyBytes(reply(1))!;
    const second = replyBytes(reply(2))!;
    expect(Buffer.concat(first).toString('utf8')).toBe(JSON.stringify({ data: { document: { version: 1, content: { ops: large }, note: 'é “x”' } } }));
    expect(Buffer.concat(second).toString('utf8')).toBe(stringifyReply(reply(2)));
    // The same Buffer for the content in both.
    const shared = first.filter((b) => second.includes(b));
    expect(shared).toHaveLength(1);
    expect(shared[0]!.toString('utf8')).toBe(JSON.stringify({ ops: large }));
    // A reply with no large content is left to the usual path.
    expect(replyBytes({ data: { content: contentValue(formatted(3)) } })).toBeNull();
  });

  it('takes a source\'s JSON without reading its ops, and its ops where JSON is not a reply\'s', () => {
    const ops = formatted(500);
    let built = 0;
    const source: ContentSource = {
      get content() {
        built++;
        return new Delta(ops);
      },
      json: () => JSON.stringify({ ops }),
      bytes: 100_000,
    };
    expect(stringifyReply({ c: contentValue(source) })).toBe(JSON.stringify({ c: { ops } }));
    expect(Buffer.concat(replyBytes({ c: contentValue(source) })!).toString()).toBe(JSON.stringify({ c: { ops } }));
    expect(built).toBe(0);
    // Outside a reply (graphql-ws, execute()), it is { ops } as ever.
    expect(JSON.stringify({ c: contentValue(source) })).toBe(JSON.stringify({ c: { ops } }));
    expect(contentValue(source)).toEqual({ ops });
    expect(built).toBeGreaterThan(0);
  });

  it('encodes the parts a source keeps from one version to the next once', () => {
    const texts = Array.from({ length: 40 }, (_, k) => JSON.stringify(formatted(20).map((op) => ({ ...op, insert: `${k}:${op.insert}` }))).slice(1, -1));
    let read = 0;
    const part = (text: string) => ({
      get text() {
        read++;
        return text;
      },
    });
    const parts = texts.map(part);
    const source = (ps: { text: string }[]): ContentSource => ({
      get content(): Delta {
        throw new Error('not built');
      },
      json: () => `{"ops":[${ps.map((p) => p.text).join(',')}]}`,
      bytes: 100_000,
      jsonParts: () => ps,
    });
    const first = Buffer.concat(replyBytes({ c: contentValue(source(parts)) })!).toString();
    expect(first).toBe(`{"c":{"ops":[${texts.join(',')}]}}`);
    expect(read).toBe(40);
    // The next version: one part changed.
    const next = [...parts];
    next[7] = part(JSON.stringify(formatted(3)).slice(1, -1));
    read = 0;
    const second = Buffer.concat(replyBytes({ c: contentValue(source(next)) })!).toString();
    expect(JSON.parse(second).c.ops).toHaveLength(39 * 20 + 3);
    expect(read).toBe(1);
  });

  it('sends bytes a source has at hand as they are', () => {
    const ops = formatted(500);
    const utf8 = Buffer.from(JSON.stringify({ ops }));
    const source: ContentSource = { content: new Delta(ops), json: () => JSON.stringify({ ops }), bytes: 100_000, utf8: () => utf8 };
    const parts = replyBytes({ c: contentValue(source) })!;
    expect(parts.some((b) => b.buffer === utf8.buffer)).toBe(true);
    expect(Buffer.concat(parts).toString()).toBe(JSON.stringify({ c: { ops } }));
  });

  it('replies with one slice of the snapshot\'s bytes for its neighbouring stored parts', () => {
    const texts = Array.from({ length: 30 }, (_, k) => JSON.stringify(formatted(10).map((op) => ({ ...op, insert: `${k}é:${op.insert}` }))).slice(1, -1));
    const whole = Buffer.from(`{"ops":[${texts.join(',')}]}`);
    let at = '{"ops":['.length;
    const stored = texts.map((text) => {
      const length = Buffer.byteLength(text);
      const part = { text, utf8: whole.subarray(at, at + length) };
      at += length + 1;
      return part;
    });
    // A new part in the middle (an edit there): slice, new bytes, slice.
    const fresh = { text: JSON.stringify(formatted(2)).slice(1, -1) };
    const parts = [...stored.slice(0, 12), fresh, ...stored.slice(13)];
    const source: ContentSource = {
      get content(): Delta {
        throw new Error('not built');
      },
      json: () => `{"ops":[${parts.map((p) => p.text).join(',')}]}`,
      bytes: 100_000,
      jsonParts: () => parts,
      utf8: () => null,
    };
    const reply = replyBytes({ c: contentValue(source) })!;
    expect(Buffer.concat(reply).toString()).toBe(`{"c":${source.json()}}`);
    const slices = reply.filter((b) => b.buffer === whole.buffer && b.byteOffset >= whole.byteOffset && b.byteOffset < whole.byteOffset + whole.length);
    expect(slices.map((b) => b.toString())).toEqual([texts.slice(0, 12).join(','), texts.slice(13).join(',')]);
    // The reply's own JSON before and after, `{"ops":[`, the two slices, the new part with its commas, `]}`.
    expect(reply.length).toBeLessThanOrEqual(7);
  });
});
