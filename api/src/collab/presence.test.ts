// The server side of presence (docs/protocol.md, "Presence"): one entry per
// clientId, a version that must not be ahead of the head, expiry after the
// TTL without an update, and no transformation or bounds check: receivers
// map and clamp a selection themselves.
import { describe, expect, it } from 'vitest';
import { MemoryPresenceStore, PresenceRegistry, type PresenceState } from './presence.js';

function setup(ttlMs = 1_000) {
  let now = 10_000;
  const published: PresenceState[] = [];
  const registry = new PresenceRegistry({ ttlMs, store: new MemoryPresenceStore(), publish: async (s) => void published.push(s), now: () => now });
  const update = (clientId: string, fields: Partial<Pick<PresenceState, 'version' | 'index' | 'length'>> = {}, head = 5) =>
    registry.update({ documentId: 'd', clientId, userId: 'u', version: 1, index: 0, length: 0, ...fields }, head);
  return { registry, published, update, advance: (ms: number) => void (now += ms) };
}

describe('PresenceRegistry', () => {
  it('keeps one entry per clientId, the latest, and publishes every update', async () => {
    const { registry, published, update } = setup();
    await update('a', { index: 1 });
    await update('a', { index: 4, length: 2 });
    await update('b');
    expect((await registry.list('d')).map((p) => [p.clientId, p.index, p.length])).toEqual([['a', 4, 2], ['b', 0, 0]]);
    expect(published.map((p) => p.index)).toEqual([1, 4, 0]);
  });

  it('drops a presence not refreshed within the TTL, silently; a refresh keeps it', async () => {
    const { registry, published, update, advance } = setup(1_000);
    await update('a');
    await update('b');
    advance(600);
    await update('b');
    advance(600);
    expect((await registry.list('d')).map((p) => p.clientId)).toEqual(['b']);
    expect(published).toHaveLength(3); // expiry publishes nothing
  });

  it('refuses a version ahead of the head and negative numbers with BAD_USER_INPUT, keeping nothing', async () => {
    const { registry, published, update } = setup();
    await expect(update('a', { version: 6 }, 5)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(update('a', { index: -1 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(update('a', { length: -1 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await registry.list('d')).toEqual([]);
    expect(published).toEqual([]);
  });

  it('stores the selection as sent: no transformation, no check against the document length', async () => {
    const { registry, update } = setup();
    await update('a', { version: 2, index: 1_000_000, length: 7 });
    expect(await registry.list('d')).toMatchObject([{ version: 2, index: 1_000_000, length: 7 }]);
  });
});
