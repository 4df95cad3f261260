// Glue between a Quill 2 editor and a DocumentSync: user edits go to the
// engine, remote changes come back as `api` edits, other people's
// selections become quill-cursors. Everything handed to Quill goes through
// toEditor (embeds it cannot show become placeholders) and everything it
// hands back through fromEditor. No React here; Editor.tsx mounts it.
import type Quill from 'quill';
import type QuillCursors from 'quill-cursors';
import { Delta, type ContentChange, type DocumentSync } from '../sync/index.ts';
import { moveRemoteEnd, placeSelection } from './caret.ts';
import { colorFor } from './colors.ts';
import { fromEditor, toEditor } from './embeds.ts';
import type { SuggestDraft } from './suggesting.ts';

/** How long a cursor's name stays up after it moved, before it starts to fade (ms; the fade waits the module's hideDelayMs more). */
const FLAG_SHOWN_MS = 300;

/**
 * `broken`: Quill failed on a change it was handed; the editor no longer shows the document.
 * `draft`: suggesting mode (suggesting.ts); while it routes, typing goes to it instead of the engine.
 */
export function bindQuill(quill: Quill, sync: DocumentSync, broken: (error: unknown) => void, draft?: SuggestDraft): () => void {
  const cursors = quill.getModule('cursors') as QuillCursors;

  // Quill always shows a final newline; a document created empty through
  // the API has none, and line formats (headings, lists) need one to land
  // on. Add it as an ordinary edit, so that Quill and the engine agree on
  // every position.
  const content = sync.content;
  const last = content.ops[content.ops.length - 1];
  if (!sync.getSnapshot().readOnly && !(typeof last?.insert === 'string' && last.insert.endsWith('\n'))) {
    sync.applyLocal(new Delta().retain(content.length()).insert('\n'));
  }
  quill.setContents(toEditor(sync.content), 'silent');
  quill.history.clear();

  // Where the last remote insert ended (caret.ts): decides which side of
  // an insert landing on my caret the caret takes.
  let remoteEnd: number | null = null;

  const onText = (delta: Delta, _old: Delta, source: string) => {
    if (source !== 'user') return;
    remoteEnd = moveRemoteEnd(remoteEnd, delta, false);
    shiftPlaces(delta);
    if (draft?.routes) return draft.edit(fromEditor(delta));
    // Refused (read-only): put back what the engine has.
    if (!sync.applyLocal(fromEditor(delta))) quill.setContents(toEditor(sync.content), 'silent');
  };
  const onSelection = (range: { index: number; length: number } | null) => sync.setSelection(range);
  quill.on('text-change', onText);
  quill.on('selection-change', onSelection);

  const stopContent = sync.onContent((change) => {
    try {
      applyChange(change);
    } catch (error) {
      broken(error);
    }
  });
  const applyChange = (change: ContentChange) => {
    if (change.kind === 'reset') {
      remoteEnd = null;
      draft?.reset();
      quill.setContents(toEditor(change.content), 'api');
      return;
    }
    // On top of a suggestion being typed, the change moves over it first.
    const shownDelta = draft ? draft.remote(change.delta) : change.delta;
    shiftPlaces(shownDelta);
    const before = quill.getSelection();
    quill.updateContents(toEditor(shownDelta), 'api');
    if (before) {
      // Quill moved the selection its own way; ours decides ties at the caret.
      const after = placeSelection(before, shownDelta, remoteEnd);
      const shown = quill.getSelection();
      if (!shown || shown.index !== after.index || shown.length !== after.length) {
        quill.setSelection(after.index, after.length, 'silent');
        sync.setSelection(after); // silent: no selection-change event tells the others
      }
    }
    remoteEnd = moveRemoteEnd(remoteEnd, shownDelta, true);
  };

  // Each cursor's name shows for a moment whenever its owner moves it or
  // it appears (and on hover, which quill-cursors handles), so one can tell
  // who is typing without chasing carets with the mouse. Cursors carried
  // along by text changes have not moved: their last places move too.
  const lastPlace = new Map<string, { start: number; end: number; away: boolean }>();
  const flagTimers = new Map<string, ReturnType<typeof setTimeout>>();
  function shiftPlaces(change: Delta): void {
    for (const place of lastPlace.values()) {
      place.start = change.transformPosition(place.start);
      place.end = Math.max(place.start, change.transformPosition(place.end));
    }
  }
  const flashName = (id: string) => {
    cursors.toggleFlag(id, true);
    clearTimeout(flagTimers.get(id));
    // Hidden again after the module's hideDelayMs, counted from here.
    flagTimers.set(id, setTimeout(() => cursors.toggleFlag(id, false), FLAG_SHOWN_MS));
  };

  const render = () => {
    const snapshot = sync.getSnapshot();
    // Suggesting needs no write access: commenters suggest too.
    quill.enable((!snapshot.readOnly || draft?.active === true) && snapshot.status !== 'closed');
    const shown = new Set<string>();
    for (const p of snapshot.presences) {
      // One cursor per (user, clientId): a clientId is only unique per user.
      const id = `${p.user?.id ?? ''}/${p.clientId}`;
      shown.add(id);
      cursors.createCursor(id, p.user?.name ?? 'Someone', colorFor(p.user?.id ?? p.clientId));
      cursors.moveCursor(id, { index: p.index, length: p.length });
      // Away: we are offline, so they may have left; shown dimmed (styles.css).
      document.getElementById(`ql-cursor-${id}`)?.classList.toggle('away', p.away);
      const last = lastPlace.get(id);
      if (!last || last.start !== p.index || last.end !== p.index + p.length || last.away !== p.away) flashName(id);
      lastPlace.set(id, { start: p.index, end: p.index + p.length, away: p.away });
    }
    for (const cursor of cursors.cursors()) {
      if (shown.has(cursor.id)) continue;
      cursors.removeCursor(cursor.id);
      lastPlace.delete(cursor.id);
      clearTimeout(flagTimers.get(cursor.id));
      flagTimers.delete(cursor.id);
    }
  };
  const stopState = sync.subscribe(render);
  const stopDraft = draft?.subscribe(render);
  // The draft leaves the editor as an 'api' change: the engine never sees it, overlays do.
  const detach = draft?.attach((undo) => quill.updateContents(toEditor(undo), 'api'));
  render();

  return () => {
    quill.off('text-change', onText);
    quill.off('selection-change', onSelection);
    stopContent();
    stopState();
    stopDraft?.();
    detach?.();
    for (const timer of flagTimers.values()) clearTimeout(timer);
    cursors.clearCursors();
  };
}
