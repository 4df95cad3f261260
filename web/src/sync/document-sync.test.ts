// The sync engine against a deterministic fake authority (no sockets, no
// timers): random edits, selections, delivery delays, lost connections,
// offline spells and page reloads. Properties: every page converges on the
// authority's content; no edit is doubled, and none is lost unless the
// page died before it was saved; remote selections always lie inside the
// document and keep their place among the characters around them.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { DocumentSync } from './document-sync.ts';
import { MemoryPendingStore, type PersistedState } from './pending-store.ts';
import { FakeAuthority, FakeLink, FakeScheduler } from './testing/fake-authority.ts';
import { SyncError } from './transport.ts';

const DOC = 'doc-1';
/** Lets promise callbacks (store writes, submission answers) run; not a wait on time. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Freezes `value` and everything in it: changing any of it then throws (modules are strict). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * A store whose writes become durable only when the test flushes them, and
 * which loses unflushed writes when its page crashes (as IndexedDB does).
 * Saved states are frozen: the engine promises never to change one it has
 * handed over (the memory store keeps them by reference).
 */
class SlowStore extends MemoryPendingStore {
  private queue: Array<() => Promise<void>> = [];
  private readonly slow: boolean;
  constructor(slow: boolean) {
    super();
    this.slow = slow;
  }
  override save(state: PersistedState): Promise<void> {
    deepFreeze(state);
    if (!this.slow) return super.save(state);
    return new Promise((resolve) => this.queue.push(() => super.save(state).then(resolve)));
  }
  override clear(documentId: string, clientId: string): Promise<void> {
    if (!this.slow) return super.clear(documentId, clientId);
    return new Promise((resolve) => this.queue.push(() => super.clear(documentId, clientId).then(resolve)));
  }
  async flush(): Promise<void> {
    for (const write of this.queue.splice(0)) await write();
  }
  /** The page died: writes not yet durable never happen, and its ids are free. */
  crash(clientId: string): void {
    this.queue = [];
    this.release(DOC, clientId);
  }
}

interface Page {
  browser: number;
  sync: DocumentSync;
  link: FakeLink;
  /** What the page's editor shows: its own edits and the engine's content changes, applied as they come. */
  editor: Delta;
}

/**
 * Unique characters, so that every inserted character can be traced: CJK
 * ideographs, one UTF-16 unit each (a surrogate pair could be split by an
 * edit), numbered afresh for every run.
 */
let nextChar = 0;
const freshText = (n: number) => Array.from({ length: n }, () => String.fromCharCode(0x4e00 + nextChar++)).join('');

const editArb = fc.record({
  kind: fc.constantFrom('insert', 'insert', 'insert', 'delete', 'format'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  span: fc.integer({ min: 1, max: 4 }),
  attr: fc.constantFrom<Record<string, unknown> | undefined>(undefined, { bold: true }, { italic: true }, { bold: null }),
});
type Edit = typeof editArb extends fc.Arbitrary<infer T> ? T : never;

function toDelta(edit: Edit, length: number): Delta | null {
  const pos = Math.min(length, Math.floor(edit.at * (length + 1)));
  const d = new Delta().retain(pos);
  if (edit.kind === 'insert') return d.insert(freshText(edit.span), edit.attr as never);
  const span = Math.min(edit.span, length - pos);
  if (span <= 0) return null;
  if (edit.kind === 'delete') return d.delete(span);
  return edit.attr ? d.retain(span, edit.attr as never) : null;
}

const actionArb = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('edit' as const), page: fc.nat(), edit: editArb }), weight: 6 },
  { arbitrary: fc.record({ type: fc.constant('select' as const), page: fc.nat(), at: fc.double({ min: 0, max: 1, noNaN: true }), length: fc.nat(3) }), weight: 2 },
  { arbitrary: fc.record({ type: fc.constant('deliver' as const), page: fc.nat(), count: fc.integer({ min: 1, max: 4 }), pick: fc.nat() }), weight: 5 },
  { arbitrary: fc.record({ type: fc.constant('process' as const), page: fc.nat(), index: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ type: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 5_000 }) }), weight: 2 },
  { arbitrary: fc.record({ type: fc.constant('flush' as const), page: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ type: fc.constant('drop' as const), page: fc.nat(), reached: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('offline' as const), page: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('online' as const), page: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('reload' as const), page: fc.nat() }), weight: 1 },
  // Log retention cuts the log somewhere below the head (pages behind it get SNAPSHOT_REQUIRED).
  { arbitrary: fc.record({ type: fc.constant('trim' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }), weight: 1 },
);
type Action = typeof actionArb extends fc.Arbitrary<infer A> ? A : never;

const openPages: DocumentSync[] = [];
afterEach(() => {
  // Not awaited: a page of a crashed slow store never finishes its last write.
  for (const s of openPages.splice(0)) void s.close();
});

async function openPage(authority: FakeAuthority, store: MemoryPendingStore, scheduler: FakeScheduler, browser: number, ids: { n: number }, sendHoldMs = 0): Promise<Page> {
  const link = authority.link();
  link.user = { id: `u${browser}`, name: `User ${browser}` };
  const sync = await DocumentSync.open({
    documentId: DOC,
    transport: link,
    store,
    scheduler,
    newClientId: () => `b${browser}-${ids.n++}`,
    presenceTtlMs: 30_000,
    sendHoldMs,
  });
  openPages.push(sync);
  const page: Page = { browser, sync, link, editor: sync.content };
  sync.onContent((change) => {
    page.editor = change.kind === 'remote' ? page.editor.compose(change.delta) : change.content;
  });
  return page;
}

/** The engine's content is exactly what its editor shows, and its length is that content's. */
function expectEditorInStep(page: Page): void {
  expect(page.sync.content.ops).toEqual(page.editor.ops);
  expect(page.sync.contentLength).toBe(page.editor.length());
}

/** Positions of the traceable characters in a document. */
function charPositions(doc: Delta): Map<string, number> {
  const positions = new Map<string, number>();
  let at = 0;
  for (const op of doc.ops) {
    if (typeof op.insert === 'string') {
      for (const ch of op.insert) {
        if (ch.codePointAt(0)! >= 0x4e00) positions.set(ch, at);
        at += ch.length;
      }
    } else at += 1;
  }
  return positions;
}

/**
 * Every selection a page shows lies inside its document, and between the
 * same (surviving) characters as in the document its sender had.
 */
function expectPresencesInPlace(page: Page, authority: FakeAuthority): void {
  const length = page.sync.content.length();
  const here = charPositions(page.sync.content);
  for (const shown of page.sync.getSnapshot().presences) {
    expect(shown.index).toBeGreaterThanOrEqual(0);
    expect(shown.length).toBeGreaterThanOrEqual(0);
    expect(shown.index + shown.length).toBeLessThanOrEqual(length);
    const wire = page.link.lastPresence.get(shown.clientId);
    // Delivered before this page's link, or still waiting for its version: an older one is shown.
    if (!wire || wire.version > page.sync.getSnapshot().version) continue;
    const sent = authority.presenceLog.find((e) => e.presence === wire)!;
    for (const [ch, at] of charPositions(sent.content)) {
      const now = here.get(ch);
      if (now === undefined) continue;
      if (at < wire.index) expect(now).toBeLessThan(shown.index);
      if (at >= wire.index + wire.length) expect(now).toBeGreaterThanOrEqual(shown.index + shown.length);
    }
  }
}

async function simulate(browserCount: number, actions: Action[], slowStores: boolean, seed: number, sendHoldMs: number) {
  nextChar = 0;
  const authority = new FakeAuthority(DOC, { ops: [{ insert: `${freshText(3)}\n` }] });
  const scheduler = new FakeScheduler(seed);
  const stores = Array.from({ length: browserCount }, () => new SlowStore(slowStores));
  const ids = { n: 0 };
  const pages: Page[] = [];
  for (let b = 0; b < browserCount; b++) pages.push(await openPage(authority, stores[b]!, scheduler, b, ids, sendHoldMs));
  const inserted = new Set<string>();
  const lostToCrash = new Set<string>();
  const deleted = new Set<string>();

  for (const action of actions) {
    if (action.type === 'tick') {
      scheduler.advance(action.ms);
      await settle();
      continue;
    }
    if (action.type === 'trim') {
      authority.trim(Math.round(action.at * authority.version));
      await settle();
      continue;
    }
    const page = pages[action.page % browserCount]!;
    const store = stores[page.browser]!;
    switch (action.type) {
      case 'edit': {
        const delta = toDelta(action.edit, page.sync.content.length());
        if (!delta) break;
        for (const op of delta.ops) if (typeof op.insert === 'string') for (const ch of op.insert) inserted.add(ch);
        // Characters deleted here may never reach the server (typed and deleted before sending).
        const before = charPositions(page.sync.content);
        const after = charPositions(page.sync.content.compose(delta));
        for (const ch of before.keys()) if (!after.has(ch)) deleted.add(ch);
        expect(page.sync.applyLocal(delta)).toBe(true);
        page.editor = page.editor.compose(delta);
        break;
      }
      case 'select': {
        const length = page.sync.content.length();
        const index = Math.min(length, Math.floor(action.at * (length + 1)));
        page.sync.setSelection({ index, length: Math.min(action.length, length - index) });
        break;
      }
      case 'deliver':
        page.link.deliver(action.count, action.pick);
        break;
      case 'process':
        page.link.process(action.index);
        break;
      case 'flush':
        await store.flush();
        break;
      case 'drop':
        page.link.drop(() => action.reached);
        break;
      case 'offline':
        page.link.down = true;
        page.sync.setNetworkOnline(false);
        break;
      case 'online':
        page.link.down = false;
        page.sync.setNetworkOnline(true);
        break;
      case 'reload': {
        // The page dies (its unsaved keystrokes with it); a new page of the
        // same browser opens the document and takes over what was saved.
        const unsaved = page.sync.content;
        page.link.close();
        void page.sync.close();
        store.crash(page.sync.clientId);
        const next = await openPage(authority, store, scheduler, page.browser, ids, sendHoldMs);
        // Lost: typed on this page, neither committed nor brought back.
        const kept = charPositions(next.sync.content);
        const committed = new Set(authority.log.flatMap((op) => op.delta.ops.flatMap((o) => (typeof o.insert === 'string' ? [...o.insert] : []))));
        for (const ch of charPositions(unsaved).keys()) if (!kept.has(ch) && !committed.has(ch)) lostToCrash.add(ch);
        pages[pages.indexOf(page)] = next;
        break;
      }
    }
    await settle();
    for (const p of pages) {
      expectPresencesInPlace(p, authority);
      expectEditorInStep(p);
    }
  }

  // Quiesce: network back, everything saved, sent, judged and delivered.
  for (const p of pages) {
    p.link.down = false;
    p.sync.setNetworkOnline(true);
  }
  for (let round = 0; round < 200; round++) {
    for (const s of stores) await s.flush();
    for (const p of pages) while (p.link.pendingSubmits > 0) p.link.process(0);
    await settle();
    for (const p of pages) while (p.link.deliver(1_000) > 0);
    await settle();
    const done = pages.every(
      (p) => p.sync.getSnapshot().status === 'online' && p.sync.getSnapshot().version === authority.version && p.sync.getSnapshot().pendingEdits === 0 && p.link.queued === 0,
    );
    if (done && pages.every((p) => p.link.pendingSubmits === 0)) break;
    scheduler.advance(60_000);
    await settle();
  }
  // Presence: let every page say where it is now, and deliver that.
  scheduler.advance(11_000);
  await settle();
  for (const p of pages) while (p.link.deliver(1_000) > 0);
  await settle();
  return { authority, pages, inserted, lostToCrash, deleted };
}

describe('DocumentSync against a fake authority', () => {
  it('converges, loses and doubles nothing, and keeps presence in place, whatever the interleaving, with or without a hold after acks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.array(actionArb, { minLength: 10, maxLength: 120 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        // With and without the hold after an ack (held buffers, placed first at ties, saved and reloaded too).
        fc.constantFrom(0, 50),
        async (browserCount, actions, slowStores, seed, sendHoldMs) => {
          const { authority, pages, inserted, lostToCrash, deleted } = await simulate(browserCount, actions, slowStores, seed, sendHoldMs);

          // Every page converges on the authority's content, synchronised.
          for (const p of pages) {
            const snapshot = p.sync.getSnapshot();
            expect(snapshot.status).toBe('online');
            expect(snapshot.version).toBe(authority.version);
            expect(snapshot.pendingEdits).toBe(0);
            expect(p.sync.content.ops).toEqual(authority.content.ops);
            expectEditorInStep(p);
          }
          // The log is exactly-once, and the head is its composition.
          expect(new Set(authority.log.map((op) => `${op.clientId}/${op.clientSeq}`)).size).toBe(authority.log.length);
          expect(authority.contentAt(authority.version).ops).toEqual(authority.content.ops);

          // No edit doubled: every traceable character was inserted by at
          // most one committed op. None lost: every character typed made it
          // into the log, unless it was deleted or its page died before saving it.
          const committedChars = new Map<string, number>();
          for (const op of authority.log) {
            for (const o of op.delta.ops) if (typeof o.insert === 'string') for (const ch of o.insert) committedChars.set(ch, (committedChars.get(ch) ?? 0) + 1);
          }
          for (const [, count] of committedChars) expect(count).toBe(1);
          for (const ch of inserted) if (!lostToCrash.has(ch) && !deleted.has(ch)) expect(committedChars.has(ch)).toBe(true);
          if (!slowStores) expect(lostToCrash.size).toBe(0);

          // Presence: each page shows every other open page's selection,
          // in place (checked after every step, too).
          const open = new Set(pages.map((p) => p.sync.clientId));
          for (const p of pages) {
            const shown = p.sync.getSnapshot().presences.filter((x) => open.has(x.clientId));
            expect(shown.map((x) => x.clientId).sort()).toEqual([...open].filter((id) => id !== p.sync.clientId).sort());
            expectPresencesInPlace(p, authority);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('DocumentSync behaviours', () => {
  async function setup(initial = 'Hello\n') {
    const authority = new FakeAuthority(DOC, { ops: [{ insert: initial }] });
    const scheduler = new FakeScheduler(42);
    const store = new MemoryPendingStore();
    const link = authority.link();
    const sync = await DocumentSync.open({ documentId: DOC, transport: link, store, scheduler, newClientId: () => 'me' });
    openPages.push(sync);
    link.deliver(10);
    await settle();
    return { authority, scheduler, store, link, sync };
  }

  it('acknowledges its own op from the stream, not from the reply', async () => {
    const { authority, link, sync } = await setup();
    sync.applyLocal(new Delta().retain(5).insert('!'));
    await settle();
    link.process();
    await settle();
    expect(authority.content.ops).toEqual([{ insert: 'Hello!\n' }]);
    expect(sync.getSnapshot().pendingEdits).toBe(1);
    link.deliver(1);
    expect(sync.getSnapshot()).toMatchObject({ pendingEdits: 0, version: 2 });
  });

  it('composes edits typed while an op is in flight into one buffered op', async () => {
    const { authority, link, sync } = await setup();
    sync.applyLocal(new Delta().retain(5).insert(','));
    await settle();
    sync.applyLocal(new Delta().retain(6).insert(' world'));
    sync.applyLocal(new Delta().retain(12).insert('!'));
    await settle();
    expect(link.pendingSubmits).toBe(1);
    link.process();
    link.deliver(1);
    await settle();
    expect(link.pendingSubmits).toBe(1);
    link.process();
    link.deliver(1);
    expect(authority.log.length).toBe(3);
    expect(authority.content.ops).toEqual([{ insert: 'Hello, world!\n' }]);
    expect(sync.getSnapshot().pendingEdits).toBe(0);
  });

  it('reconnects with growing, jittered delays, resumes from its version and resubmits its op once', async () => {
    const { authority, scheduler, link, sync } = await setup();
    sync.applyLocal(new Delta().retain(5).insert('!'));
    await settle();
    link.down = true;
    link.drop(() => true); // the op reached the server; the answer was lost
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(sync.getSnapshot().status).toBe('reconnecting');
      const due = sync.getSnapshot().retryAt! - scheduler.now();
      delays.push(due);
      scheduler.advance(due);
      await settle();
    }
    // Equal jitter: retry n waits between half and all of 500 ms * 2^n.
    delays.forEach((d, n) => {
      expect(d).toBeGreaterThanOrEqual(250 * 2 ** n);
      expect(d).toBeLessThanOrEqual(500 * 2 ** n);
    });
    link.down = false;
    scheduler.advance(sync.getSnapshot().retryAt! - scheduler.now());
    link.deliver(1); // open
    await settle();
    expect(link.pendingSubmits).toBe(1); // resubmitted with the same (clientId, clientSeq)
    link.process();
    link.deliver(10);
    expect(authority.log.length).toBe(2); // committed once
    expect(sync.getSnapshot()).toMatchObject({ status: 'online', pendingEdits: 0, version: 2 });
  });

  it('waits while offline and reconnects at once when the network returns', async () => {
    const { scheduler, link, sync } = await setup();
    link.down = true;
    sync.setNetworkOnline(false);
    expect(sync.getSnapshot().status).toBe('offline');
    sync.applyLocal(new Delta().insert('offline '));
    scheduler.advance(600_000);
    await settle();
    expect(sync.getSnapshot()).toMatchObject({ status: 'offline', pendingEdits: 1 });
    link.down = false;
    sync.setNetworkOnline(true);
    expect(sync.getSnapshot().status).toBe('reconnecting');
    link.deliver(1);
    await settle();
    expect(sync.getSnapshot().status).toBe('online');
    link.process();
    link.deliver(10);
    expect(sync.getSnapshot().pendingEdits).toBe(0);
  });

  it('opened while offline (a reload without network) says offline, and connects when the network returns', async () => {
    const authority = new FakeAuthority(DOC, { ops: [{ insert: 'Hello\n' }] });
    const link = authority.link();
    const sync = await DocumentSync.open({ documentId: DOC, transport: link, scheduler: new FakeScheduler(42), initial: { version: 1, content: { ops: [{ insert: 'Hello\n' }] } }, online: false, newClientId: () => 'me' });
    openPages.push(sync);
    expect(sync.getSnapshot().status).toBe('offline');
    sync.applyLocal(new Delta().insert('offline '));
    sync.setNetworkOnline(true);
    expect(sync.getSnapshot().status).toBe('connecting');
    link.deliver(1);
    await settle();
    expect(sync.getSnapshot().status).toBe('online');
    link.process();
    link.deliver(10);
    expect(authority.content.ops).toEqual([{ insert: 'offline Hello\n' }]);
  });

  it('brings pending edits back after a reload and rebases them over what others wrote meanwhile', async () => {
    const { authority, store, link, sync } = await setup();
    link.down = true;
    sync.setNetworkOnline(false);
    sync.applyLocal(new Delta().retain(5).insert(' there'));
    await settle();
    expect(store.size).toBe(1);
    link.close();
    await sync.close();
    // Someone else edits while this page is gone.
    const other = authority.link();
    other.submitOperation({ documentId: DOC, baseVersion: 1, delta: { ops: [{ insert: 'Oh, ' }] }, clientId: 'other', clientSeq: 0 });
    other.process();

    const link2 = authority.link();
    const reopened = await DocumentSync.open({ documentId: DOC, transport: link2, store, scheduler: new FakeScheduler(1), newClientId: () => 'fresh' });
    openPages.push(reopened);
    expect(reopened.clientId).toBe('me'); // took over the saved client, ids and all
    expect(reopened.getSnapshot().pendingEdits).toBe(1);
    expect(reopened.content.ops).toEqual([{ insert: 'Hello there\n' }]);
    link2.deliver(10);
    await settle();
    expect(reopened.content.ops).toEqual([{ insert: 'Oh, Hello there\n' }]);
    link2.process();
    link2.deliver(10);
    await settle();
    expect(authority.content.ops).toEqual([{ insert: 'Oh, Hello there\n' }]);
    expect(reopened.getSnapshot().pendingEdits).toBe(0);
    expect(store.size).toBe(0);
  });

  it('reloads from the snapshot when the log was cut past its version, and sends its unsent edits again as a new op', async () => {
    const { authority, link, sync } = await setup();
    const seen: string[] = [];
    sync.onContent((change) => seen.push(change.kind));
    link.down = true;
    sync.setNetworkOnline(false);
    sync.applyLocal(new Delta().retain(5).insert(' there'));
    sync.applyLocal(new Delta().retain(11).insert('!'));
    // Others rewrite the start meanwhile, and retention cuts the log past our version.
    const other = authority.link();
    other.submitOperation({ documentId: DOC, baseVersion: 1, delta: { ops: [{ delete: 1 }, { insert: 'J' }] }, clientId: 'other', clientSeq: 0 });
    other.process();
    other.submitOperation({ documentId: DOC, baseVersion: 2, delta: { ops: [{ insert: 'Oh, ' }] }, clientId: 'other', clientSeq: 1 });
    other.process();
    authority.trim();
    link.down = false;
    sync.setNetworkOnline(true);
    await settle();
    // The stream is refused; the op in flight goes again to learn whether it was committed (it was not).
    expect(link.pendingSubmits).toBe(1);
    link.process();
    await settle();
    link.deliver(10);
    await settle();
    // A reset to the head with our edits carried over, never a silent drop.
    expect(seen).toContain('reset');
    expect(sync.content.ops).toEqual([{ insert: 'Oh, Jello there!\n' }]);
    expect(sync.getSnapshot()).toMatchObject({ version: 3, pendingEdits: 2, error: null, status: 'online' });
    link.process();
    link.deliver(10);
    await settle();
    expect(authority.content.ops).toEqual([{ insert: 'Oh, Jello there!\n' }]);
    expect(sync.getSnapshot()).toMatchObject({ version: 4, pendingEdits: 0 });
  });

  it('after a cut, does not apply again an op in flight that was committed before it', async () => {
    const { authority, link, sync } = await setup();
    sync.applyLocal(new Delta().retain(5).insert(' there'));
    await settle();
    link.process(); // committed at version 2, but the ack never arrives
    link.drop();
    sync.applyLocal(new Delta().retain(11).insert('!'));
    const other = authority.link();
    other.submitOperation({ documentId: DOC, baseVersion: 2, delta: { ops: [{ insert: 'Oh, ' }] }, clientId: 'other', clientSeq: 0 });
    other.process();
    authority.trim();
    for (let i = 0; i < 5 && sync.getSnapshot().version < 3; i++) {
      (sync as unknown as { scheduler: FakeScheduler }).scheduler.advance(60_000);
      await settle();
      link.deliver(10);
      await settle();
      while (link.pendingSubmits > 0) link.process();
      await settle();
    }
    link.deliver(10);
    await settle();
    while (link.pendingSubmits > 0) link.process();
    link.deliver(10);
    await settle();
    expect(authority.content.ops).toEqual([{ insert: 'Oh, Hello there!\n' }]);
    expect(sync.content.ops).toEqual(authority.content.ops);
    expect(sync.getSnapshot().pendingEdits).toBe(0);
  });

  it('sends an op only once the state holding it is saved (write-ahead)', async () => {
    const authority = new FakeAuthority(DOC, { ops: [{ insert: 'Hello\n' }] });
    const store = new SlowStore(true);
    const link = authority.link();
    const sync = await DocumentSync.open({ documentId: DOC, transport: link, store, scheduler: new FakeScheduler(3), newClientId: () => 'me' });
    openPages.push(sync);
    link.deliver(10);
    sync.applyLocal(new Delta().insert('a'));
    await settle();
    expect(link.pendingSubmits).toBe(0);
    await store.flush();
    await settle();
    expect(link.pendingSubmits).toBe(1);
    // The ack releases the buffer as a new op: again, not before it is saved.
    sync.applyLocal(new Delta().insert('b'));
    link.process();
    link.deliver(10);
    await settle();
    expect(link.pendingSubmits).toBe(0);
    await store.flush();
    await settle();
    expect(link.pendingSubmits).toBe(1);
  });

  it('hands the store the same content object for as long as the server content is unchanged', async () => {
    const { authority, link, sync } = await setup();
    const saved: PersistedState[] = [];
    const store = new (class extends MemoryPendingStore {
      override save(state: PersistedState): Promise<void> {
        saved.push(state);
        return super.save(state);
      }
    })();
    const pageLink = authority.link();
    const page = await DocumentSync.open({ documentId: DOC, transport: pageLink, store, scheduler: new FakeScheduler(5), newClientId: () => 'tab-2' });
    openPages.push(page);
    sync.applyLocal(new Delta().insert('x'));
    await settle();
    link.process();
    pageLink.deliver(1); // open, but not the op yet
    page.applyLocal(new Delta().retain(1).insert('a'));
    await settle();
    page.applyLocal(new Delta().retain(2).insert('b'));
    await settle();
    expect(saved).toHaveLength(2);
    expect(saved[1]!.content).toBe(saved[0]!.content);
    pageLink.deliver(1); // the other page's op: the server content changes
    await settle();
    expect(saved).toHaveLength(3);
    expect(saved[2]!.content).not.toBe(saved[1]!.content);
    expect(saved[2]!.content.ops).toEqual([{ insert: 'xHello\n' }]);
  });

  it('does not hand a live page\'s saved edits to a second page', async () => {
    const { authority, store, sync } = await setup();
    sync.applyLocal(new Delta().insert('mine '));
    await settle();
    const second = await DocumentSync.open({ documentId: DOC, transport: authority.link(), store, scheduler: new FakeScheduler(2), newClientId: () => 'tab-2' });
    openPages.push(second);
    expect(second.clientId).toBe('tab-2');
    expect(second.getSnapshot().pendingEdits).toBe(0);
  });

  it('edits without persistence when the store cannot be opened, and says so', async () => {
    const authority = new FakeAuthority(DOC, { ops: [{ insert: 'Hello\n' }] });
    const broken = new MemoryPendingStore();
    broken.claim = () => Promise.reject(new Error('IndexedDB is not available'));
    const link = authority.link();
    const sync = await DocumentSync.open({ documentId: DOC, transport: link, store: broken, scheduler: new FakeScheduler(4) });
    openPages.push(sync);
    expect(sync.getSnapshot().durable).toBe(false);
    link.deliver(10);
    sync.applyLocal(new Delta().insert('x'));
    await settle();
    link.process();
    link.deliver(10);
    expect(authority.content.ops).toEqual([{ insert: 'xHello\n' }]);
  });

  it('retries the same op later when the server is busy (RATE_LIMITED)', async () => {
    const { authority, scheduler, link, sync } = await setup();
    let refusals = 1;
    authority.reject = () => (refusals-- > 0 ? new SyncError('RATE_LIMITED', 'slow down') : null);
    sync.applyLocal(new Delta().insert('x'));
    await settle();
    link.process();
    await settle();
    expect(sync.getSnapshot().error?.code).toBe('RATE_LIMITED');
    expect(link.pendingSubmits).toBe(0);
    scheduler.advance(1_000);
    await settle();
    link.process();
    link.deliver(10);
    expect(sync.getSnapshot()).toMatchObject({ pendingEdits: 0, error: null });
    expect(authority.content.ops).toEqual([{ insert: 'xHello\n' }]);
  });

  it('undoes a refused op locally and turns read-only when the role was lowered (FORBIDDEN)', async () => {
    const { authority, link, sync } = await setup();
    const changes: unknown[] = [];
    sync.onContent((change) => changes.push(change));
    authority.reject = () => new SyncError('FORBIDDEN', 'viewer');
    sync.applyLocal(new Delta().insert('x'));
    await settle();
    link.process();
    await settle();
    expect(sync.content.ops).toEqual([{ insert: 'Hello\n' }]);
    expect(changes).toEqual([{ kind: 'reset', content: new Delta().insert('Hello\n') }]);
    expect(sync.getSnapshot()).toMatchObject({ readOnly: true, pendingEdits: 0, error: { code: 'FORBIDDEN' } });
    expect(sync.applyLocal(new Delta().insert('y'))).toBe(false);
    expect(authority.version).toBe(1);
  });

  it('closes for good when the document is gone (NOT_FOUND)', async () => {
    const { authority, link, sync, store } = await setup();
    authority.reject = () => new SyncError('NOT_FOUND', 'gone');
    sync.applyLocal(new Delta().insert('x'));
    await settle();
    link.process();
    await settle();
    expect(sync.getSnapshot()).toMatchObject({ status: 'closed', error: { code: 'NOT_FOUND' } });
    expect(store.size).toBe(0);
    // Never to be committed, but the page still shows them.
    expect(sync.content.ops).toEqual([{ insert: 'xHello\n' }]);
  });

  it('shows others where they are, moves them with the text, and forgets them when they stop refreshing', async () => {
    const { authority, scheduler, link, sync } = await setup('Hello world\n');
    const bob = authority.link();
    bob.user = { id: 'bob', name: 'Bob' };
    await bob.updatePresence({ documentId: DOC, clientId: 'bob-tab', version: 1, index: 6, length: 5 });
    link.deliver(10);
    expect(sync.getSnapshot().presences).toEqual([{ clientId: 'bob-tab', user: { id: 'bob', name: 'Bob' }, index: 6, length: 5, away: false }]);
    sync.applyLocal(new Delta().insert('Oh! '));
    expect(sync.getSnapshot().presences[0]).toMatchObject({ index: 10, length: 5 });
    scheduler.advance(29_000);
    expect(sync.getSnapshot().presences).toHaveLength(1);
    scheduler.advance(1_000);
    expect(sync.getSnapshot().presences).toHaveLength(0);
  });

  it('holds a presence from a version it has not seen until the stream gets there', async () => {
    const { authority, link, sync } = await setup('Hello\n');
    const bob = authority.link();
    bob.submitOperation({ documentId: DOC, baseVersion: 1, delta: { ops: [{ insert: 'Big ' }] }, clientId: 'bob', clientSeq: 0 });
    bob.process();
    await bob.updatePresence({ documentId: DOC, clientId: 'bob', version: 2, index: 4, length: 0 });
    // Presence first, the op it refers to after.
    link.deliver(1, 1);
    expect(sync.getSnapshot().presences).toEqual([]);
    link.deliver(1, 0);
    expect(sync.getSnapshot().presences).toEqual([{ clientId: 'bob', user: null, index: 4, length: 0, away: false }]);
  });

  it('shows others as away while it cannot hear the server, and forgets who left meanwhile as soon as it is back', async () => {
    const { authority, scheduler, link, sync } = await setup('Hello world\n');
    const bob = authority.link();
    bob.user = { id: 'bob', name: 'Bob' };
    await bob.updatePresence({ documentId: DOC, clientId: 'bob-tab', version: 1, index: 6, length: 0 });
    const carol = authority.link();
    carol.user = { id: 'carol', name: 'Carol' };
    await carol.updatePresence({ documentId: DOC, clientId: 'carol-tab', version: 1, index: 0, length: 0 });
    link.deliver(10);
    expect(sync.getSnapshot().presences.map((p) => [p.clientId, p.away])).toEqual([
      ['bob-tab', false],
      ['carol-tab', false],
    ]);

    link.down = true;
    sync.setNetworkOnline(false);
    expect(sync.getSnapshot().presences.map((p) => [p.clientId, p.away])).toEqual([
      ['bob-tab', true],
      ['carol-tab', true],
    ]);
    // Carol's tab closes; the leave cannot reach us.
    authority.leave('carol-tab');

    link.down = false;
    sync.setNetworkOnline(true);
    link.deliver(10);
    // Well before the 30 s TTL: the new presence stream says who is here.
    expect(scheduler.now()).toBe(0);
    expect(sync.getSnapshot().presences.map((p) => [p.clientId, p.away])).toEqual([['bob-tab', false]]);
  });

  it('never shows its own presence id, so a reloaded tab that keeps it never sees its old self', async () => {
    const authority = new FakeAuthority(DOC, { ops: [{ insert: 'Hello\n' }] });
    const scheduler = new FakeScheduler(7);
    // The page before the reload: its socket has not been seen to close yet.
    const old = authority.link();
    old.user = { id: 'me', name: 'Me' };
    await old.updatePresence({ documentId: DOC, clientId: 'tab-1', version: 1, index: 2, length: 0 });
    const link = authority.link();
    link.user = { id: 'me', name: 'Me' };
    const sync = await DocumentSync.open({ documentId: DOC, transport: link, scheduler, newClientId: () => 'page-2', presenceId: 'tab-1' });
    openPages.push(sync);
    link.deliver(10);
    await settle();
    expect(sync.getSnapshot().presences).toEqual([]);
    // Its own presence goes under the same id, replacing the old page's entry.
    sync.setSelection({ index: 4, length: 0 });
    scheduler.advance(200);
    await settle();
    expect(authority.presences.get('tab-1')).toMatchObject({ index: 4 });
    expect(authority.presences.size).toBe(1);
  });

  it('sends its own selection at a version the server has, mapped back through pending edits', async () => {
    const { authority, scheduler, sync } = await setup('Hello\n');
    sync.applyLocal(new Delta().insert('>> '));
    sync.setSelection({ index: 8, length: 0 }); // after "Hello" locally
    scheduler.advance(200);
    await settle();
    expect(authority.presenceLog.at(-1)!.presence).toMatchObject({ clientId: 'me', version: 1, index: 5, length: 0 });
  });

  it('sends a caret that only follows its own typing at most once per followMs, and watchers still show it where it is', async () => {
    const { authority, scheduler, link, sync } = await setup('Hello\n');
    const watcherLink = authority.link();
    const watcher = await DocumentSync.open({ documentId: DOC, transport: watcherLink, store: new MemoryPendingStore(), scheduler, newClientId: () => 'watcher' });
    openPages.push(watcher);
    const flush = async () => {
      await settle();
      while (link.pendingSubmits > 0) link.process();
      link.deliver(100);
      watcherLink.deliver(100);
      await settle();
    };
    const mine = () => authority.presenceLog.filter((e) => e.presence.clientId === 'me').length;
    await flush();
    sync.setSelection({ index: 5, length: 0 });
    scheduler.advance(0);
    await flush();
    expect(mine()).toBe(1);
    // Eight keystrokes at the caret, 100 ms apart: the editor reports each new caret.
    for (let i = 0; i < 8; i++) {
      sync.applyLocal(new Delta().retain(5 + i).insert('!'));
      sync.setSelection({ index: 6 + i, length: 0 });
      scheduler.advance(100);
      await flush();
    }
    expect(sync.content.ops).toEqual([{ insert: 'Hello!!!!!!!!\n' }]);
    expect(mine()).toBe(1);
    expect(watcher.getSnapshot().presences).toEqual([{ clientId: 'me', user: null, index: 13, length: 0, away: false }]);
    // A second after the last update it is sent again, for whoever joined since.
    scheduler.advance(300);
    await flush();
    expect(mine()).toBe(2);
    expect(authority.presenceLog.at(-1)!.presence).toMatchObject({ version: 9, index: 13, length: 0 });
    // A move the others cannot work out (a click) goes out within the usual throttle.
    sync.setSelection({ index: 2, length: 3 });
    scheduler.advance(100);
    await flush();
    expect(mine()).toBe(3);
    expect(watcher.getSnapshot().presences).toEqual([{ clientId: 'me', user: null, index: 2, length: 3, away: false }]);
  });

  it('gives its selection at a version the server has, for openThread: mapped back through pending edits', async () => {
    const { sync } = await setup('Hello world\n');
    expect(sync.selectionAtServer()).toBeNull();
    sync.applyLocal(new Delta().insert('>> '));
    sync.setSelection({ index: 9, length: 5 }); // "world" locally, after the pending ">> "
    expect(sync.selectionAtServer()).toEqual({ version: 1, index: 6, length: 5 });
  });
});
