// The server side of presence (docs/protocol.md, "Presence"): one entry per
// (user, clientId), coalesced updates (the latest wins), a version that must
// not be ahead of the head, a leave event when the socket that set an entry
// closes or when the sweep finds it expired, and no transformation or bounds
// check: receivers map and clamp a selection themselves.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MemoryPresenceStore, PresenceRegistry, type PresenceOwner, type PresenceState } from './presence.ts';

function setup(ttlMs = 1_000) {
  let now = 10_000;
  const published: PresenceState[] = [];
  const waiters: Array<() => void> = [];
  const registry = new PresenceRegistry({
    ttlMs,
    store: new MemoryPresenceStore(),
    publish: async (s) => {
      published.push(s);
      waiters.splice(0).forEach((w) => w());
    },
    now: () => now,
    sweepIntervalMs: 3_600_000, // the tests sweep by hand
  });
  const update = (clientId: string, fields: Partial<Pick<PresenceState, 'version' | 'index' | 'length' | 'userId'>> = {}, head = 5, owner?: PresenceOwner) =>
    registry.update({ documentId: 'd', clientId, userId: 'u', version: 1, index: 0, length: 0, ...fields }, head, owner);
  /** Waits until something published matches `match` (the coalesced tail goes out on a timer). */
  const published_ = async (match: (p: PresenceState) => boolean) => {
    while (!published.some(match)) await new Promise<void>((r) => waiters.push(r));
  };
  return { registry, published, update, advance: (ms: number) => void (now += ms), waitFor: published_ };
}

/** A connection that closes when told to, like a socket. */
function connection(id: string): PresenceOwner & { close(): void } {
  const events = new EventEmitter();
  let closed = false;
  return {
    id,
    get closed() {
      return closed;
    },
    onClose: (listener) => void events.once('close', listener),
    close: () => {
      closed = true;
      events.emit('close');
    },
  };
}

const entries = (list: PresenceState[]) => list.map((p) => [p.userId, p.clientId, p.index]).sort();

describe('PresenceRegistry', () => {
  it('keeps one entry per (user, clientId), the latest', async () => {
    const { registry, update, waitFor } = setup();
    await update('a', { index: 1 });
    await update('a', { index: 4, length: 2 });
    await update('b');
    await waitFor((p) => p.clientId === 'a' && p.index === 4);
    expect((await registry.list('d')).map((p) => [p.clientId, p.index, p.length]).sort()).toEqual([['a', 4, 2], ['b', 0, 0]]);
  });

  it("never lets one user overwrite another user's entry by reusing its clientId", async () => {
    const { registry, update, waitFor } = setup();
    await update('tab', { userId: 'alice', index: 3 });
    await update('tab', { userId: 'mallory', index: 9 });
    await waitFor((p) => p.userId === 'mallory');
    expect(entries(await registry.list('d'))).toEqual([['alice', 'tab', 3], ['mallory', 'tab', 9]]);
  });

  it('coalesces a flood: not every update is published, the latest always is', async () => {
    const { registry, published, update, waitFor } = setup();
    const sent = Array.from({ length: 1_000 }, (_, i) => update('a', { index: i }));
    await Promise.all(sent);
    await waitFor((p) => p.index === 999);
    expect(published.length).toBeLessThan(1_000);
    expect(published.at(-1)?.index).toBe(999);
    expect((await registry.list('d')).map((p) => p.index)).toEqual([999]);
  });

  it('sweeps expired entries and announces each with a leave; a refresh keeps one', async () => {
    const { registry, published, update, advance, waitFor } = setup(1_000);
    await update('a', { index: 7 });
    await update('b');
    advance(600);
    await update('b', { userId: 'u', index: 1 });
    await waitFor((p) => p.clientId === 'b' && p.index === 1);
    advance(600);
    await registry.sweep();
    expect(published.filter((p) => p.left)).toMatchObject([{ clientId: 'a', userId: 'u', index: 7, left: true }]);
    expect((await registry.list('d')).map((p) => p.clientId)).toEqual(['b']);
    await registry.sweep(); // once only
    expect(published.filter((p) => p.left)).toHaveLength(1);
  });

  it("removes a socket's entries with a leave when it closes, not those set over HTTP or taken over by another socket", async () => {
    const { registry, published, update, waitFor } = setup();
    const first = connection('c1');
    const second = connection('c2');
    await update('tab', {}, 5, first);
    await update('moved', {}, 5, first);
    await update('moved', { index: 2 }, 5, second); // the client reconnected on another socket
    await update('http', { userId: 'v' });
    await waitFor((p) => p.clientId === 'moved' && p.index === 2);
    first.close();
    await waitFor((p) => p.left === true);
    expect(published.filter((p) => p.left).map((p) => p.clientId)).toEqual(['tab']);
    expect(entries(await registry.list('d'))).toEqual([['u', 'moved', 2], ['v', 'http', 0]]);
    second.close();
    await waitFor((p) => p.left === true && p.clientId === 'moved');
    await registry.dispose();
    expect(entries(await registry.list('d'))).toEqual([['v', 'http', 0]]);
  });

  it('keeps nothing sent over a socket that has closed already', async () => {
    const { registry, update } = setup();
    const gone = connection('c');
    gone.close();
    await update('a', {}, 5, gone);
    expect(await registry.list('d')).toEqual([]);
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
