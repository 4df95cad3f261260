import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { DocumentSync } from '../sync/document-sync.ts';
import { MemoryPendingStore } from '../sync/pending-store.ts';
import { FakeAuthority, FakeLink, FakeScheduler } from '../sync/testing/fake-authority.ts';
import { SuggestDraft, type DraftOut } from './suggesting.ts';

const DOC = 'doc-1';
/** Lets promise callbacks run; not a wait on time. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const opened: Array<{ sync: DocumentSync; draft: SuggestDraft }> = [];
afterEach(async () => {
  for (const { sync, draft } of opened.splice(0)) {
    draft.dispose();
    await sync.close();
  }
});

/** A page whose editor is simulated as the Quill binding drives it: `shown` is what Quill would show. */
async function page(authority: FakeAuthority, readOnly: boolean) {
  const link = authority.link();
  const sync = await DocumentSync.open({ documentId: DOC, transport: link, store: new MemoryPendingStore(), scheduler: new FakeScheduler(7), newClientId: () => 'me', readOnly });
  link.deliver(10);
  await settle();
  const sent: Array<DraftOut & { shownBefore: Delta }> = [];
  const state = { shown: sync.content };
  const draft = new SuggestDraft(sync, (out) => sent.push({ ...out, shownBefore: beforeFlush }), 60_000);
  let beforeFlush = state.shown;
  draft.attach((undo) => {
    beforeFlush = state.shown;
    state.shown = state.shown.compose(undo);
  });
  sync.onContent((change) => {
    if (change.kind === 'reset') {
      draft.reset();
      state.shown = change.content;
    } else state.shown = state.shown.compose(draft.remote(change.delta));
  });
  draft.setActive(true);
  opened.push({ sync, draft });
  return { link, sync, draft, sent, state };
}

/** The editor's text with the draft on top, as the binding keeps it. */
const expected = (sync: DocumentSync, draft: SuggestDraft) => (draft.pending ? sync.content.compose(draft.pending) : sync.content);

const editArb = fc.record({ kind: fc.constantFrom('insert', 'insert', 'delete', 'format'), at: fc.double({ min: 0, max: 1, noNaN: true }), span: fc.integer({ min: 1, max: 3 }) });
let next = 0;
function toDelta(edit: { kind: string; at: number; span: number }, length: number): Delta | null {
  // Never past the final newline, as in Quill.
  const pos = Math.min(length - 1, Math.floor(edit.at * length));
  const d = new Delta().retain(pos);
  if (edit.kind === 'insert') return d.insert(String.fromCharCode(0x4e00 + (next++ % 20000)).repeat(edit.span));
  const span = Math.min(edit.span, length - 1 - pos);
  if (span <= 0) return null;
  return edit.kind === 'delete' ? d.delete(span) : d.retain(span, { bold: true });
}

describe('SuggestDraft', () => {
  it('keeps the editor at the content plus the draft through remote changes, and sends a delta that gives the typed text at its version', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.record({ who: fc.constant('me' as const), edit: editArb }), fc.record({ who: fc.constant('other' as const), edit: editArb }), fc.record({ who: fc.constant('flush' as const) })), { maxLength: 25 }),
        async (steps) => {
          const authority = new FakeAuthority(DOC, { ops: [{ insert: 'Hello world\n' }] });
          const me = await page(authority, true);
          let seq = 0;
          for (const step of steps) {
            if (step.who === 'me') {
              const d = toDelta(step.edit, me.state.shown.length());
              if (!d) continue;
              me.state.shown = me.state.shown.compose(d);
              me.draft.edit(d);
            } else if (step.who === 'other') {
              const d = toDelta(step.edit, authority.content.length());
              if (!d) continue;
              authority.commit({ documentId: DOC, baseVersion: authority.version, delta: { ops: d.ops }, clientId: 'other', clientSeq: seq++ });
              me.link.deliver(1);
              await settle();
            } else me.draft.flush();
            expect(me.state.shown).toEqual(expected(me.sync, me.draft));
          }
          me.draft.flush();
          expect(me.draft.pending).toBeNull();
          expect(me.state.shown).toEqual(me.sync.content);
          // Each suggestion, applied where it was made, gives what the editor showed then.
          for (const s of me.sent) expect(authority.contentAt(s.baseVersion).compose(s.delta)).toEqual(s.shownBefore);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('waits for the engine to be acknowledged before sending, so the delta applies to a server version', async () => {
    const authority = new FakeAuthority(DOC, { ops: [{ insert: 'Hello\n' }] });
    const me = await page(authority, false);
    me.draft.setActive(false);
    me.sync.applyLocal(new Delta().retain(5).insert('!'));
    me.state.shown = me.sync.content;
    me.draft.setActive(true);
    const typed = new Delta().insert('Oh ');
    me.state.shown = me.state.shown.compose(typed);
    me.draft.edit(typed);
    me.draft.flush();
    expect(me.sent).toEqual([]); // the "!" is not acknowledged yet
    await settle();
    (me.link as FakeLink).process();
    me.link.deliver(1);
    await settle();
    expect(me.sent.map((s) => [s.baseVersion, s.delta.ops])).toEqual([[2, [{ insert: 'Oh ' }]]]);
    expect(me.state.shown).toEqual(new Delta().insert('Hello!\n'));
  });

  it('sends nothing for typing that changed nothing, and leaving suggesting mode sends what is typed', async () => {
    const authority = new FakeAuthority(DOC, { ops: [{ insert: 'Hello\n' }] });
    const me = await page(authority, true);
    const typed = new Delta().retain(5).insert('x');
    me.draft.edit(typed);
    me.draft.edit(new Delta().retain(5).delete(1));
    me.draft.flush();
    expect(me.sent).toEqual([]);
    me.draft.edit(typed);
    me.draft.setActive(false);
    expect(me.sent.map((s) => s.delta.ops)).toEqual([[{ retain: 5 }, { insert: 'x' }]]);
    expect(me.draft.routes).toBe(false);
  });
});
