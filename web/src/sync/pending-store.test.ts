// MemoryPendingStore behaves like a durable store: what save() got is what
// a later claim() returns, whatever the claiming page does with its copy.
import { describe, expect, it } from 'vitest';
import { MemoryPendingStore, type PersistedState } from './pending-store.ts';

const state = (): PersistedState => ({
  documentId: 'doc-1',
  clientId: 'me',
  version: 3,
  content: { ops: [{ insert: 'Hello\n' }] },
  inflight: { baseVersion: 3, delta: { ops: [{ retain: 5 }, { insert: ',', attributes: { bold: true } }] }, clientSeq: 1 },
  buffer: { ops: [{ retain: 6 }, { insert: ' world' }] },
  nextSeq: 2,
  pendingEdits: { inflight: 1, buffer: 2 },
});

describe('MemoryPendingStore', () => {
  it('brings back what was saved once its page is gone', async () => {
    const store = new MemoryPendingStore();
    expect(await store.claim('doc-1', 'me')).toBeNull();
    await store.save(state());
    store.release('doc-1', 'me');
    expect(await store.claim('doc-1', 'fresh')).toEqual(state());
  });

  it('hands out a copy, content included', async () => {
    const store = new MemoryPendingStore();
    await store.claim('doc-1', 'me');
    await store.save(state());
    store.release('doc-1', 'me');
    const claimed = (await store.claim('doc-1', 'fresh'))!;
    claimed.content.ops.push({ insert: 'x' });
    claimed.buffer!.ops.length = 0;
    store.release('doc-1', 'me');
    expect(await store.claim('doc-1', 'fresh')).toEqual(state());
  });

  it('forgets a cleared state', async () => {
    const store = new MemoryPendingStore();
    await store.claim('doc-1', 'me');
    await store.save(state());
    await store.clear('doc-1', 'me');
    store.release('doc-1', 'me');
    expect(store.size).toBe(0);
    expect(await store.claim('doc-1', 'fresh')).toBeNull();
  });
});
