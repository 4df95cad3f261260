import v8 from 'node:v8';
import vm from 'node:vm';
import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { markShared, SharedPayloads } from './shared-payloads.ts';
import { utf8Bytes } from './utf8-bytes.ts';

/** What graphql-ws does with a `next` message: stringify it whole, stand-in and all. */
const messageFor = (payloads: SharedPayloads, id: string, result: ExecutionResult) =>
  payloads.take(JSON.stringify({ id, type: 'next', payload: payloads.standInFor(result) ?? result }));

describe('shared payloads', () => {
  it("sends every subscriber its own message around the result's JSON, made once", () => {
    let made = 0;
    const payloads = new SharedPayloads(() => made++);
    const result: ExecutionResult = { data: { documentOperations: [{ version: 7, delta: { ops: [{ insert: 'héllo' }] } }] } };
    markShared(result);
    const sent = ['a', 'b', 'c'].map((id) => messageFor(payloads, id, result));
    expect(sent.map((m) => JSON.parse(m.toString()))).toEqual(['a', 'b', 'c'].map((id) => ({ id, type: 'next', payload: result })));
    expect(made).toBe(1);
  });

  it('sends a result that is not shared as it is', () => {
    const payloads = new SharedPayloads();
    const result: ExecutionResult = { data: { x: 1 } };
    expect(messageFor(payloads, 'a', result)).toBe('{"id":"a","type":"next","payload":{"data":{"x":1}}}');
  });

  it("keeps a cached result's bytes in a buffer of their own, not in a slab of Node's pool", () => {
    expect(Buffer.from('{}').buffer.byteLength).toBeGreaterThan(2); // the pool: what the kept bytes must not be
    const bytes = utf8Bytes('{"ops":"é"}');
    expect(bytes.toString()).toBe('{"ops":"é"}');
    expect(bytes.buffer.byteLength).toBe(bytes.length);
  });

  it('holds about the bytes of the results it keeps, however much is sent between them', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const payloads = new SharedPayloads();
    const kept: ExecutionResult[] = [];
    const subscribers = Array.from({ length: 100 }, (_, i) => `subscription-${i}`);
    gc();
    const before = process.memoryUsage().arrayBuffers;
    // As on a node with 100 watchers: each commit's result is cached, and its messages (pooled, short-lived) go out.
    for (let commit = 0; commit < 1000; commit++) {
      const result: ExecutionResult = { data: { documentOperations: [{ version: commit, delta: { ops: [{ retain: commit }, { insert: 'x' }] } }] } };
      markShared(result);
      kept.push(result);
      for (const id of subscribers) messageFor(payloads, id, result);
    }
    gc();
    const held = process.memoryUsage().arrayBuffers - before;
    // ~80 bytes of JSON each (read here: 0.1-0.6 MiB in all); a pool slab kept by each few was 12-13.5 MiB.
    expect(held).toBeLessThan(4 * 1024 * 1024);
    expect(kept).toHaveLength(1_000);
  });
});
