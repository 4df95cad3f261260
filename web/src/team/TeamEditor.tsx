// The editor with its team layer (issue 17): a "Suggesting" switch (forced
// on for commenters), the overlay over the text (overlay.ts) and the
// comments margin beside it, whose cards line up with their text
// (margin-layout.ts). Threads and suggestions are read again whenever
// their streams say one changed, and placed on the text the editor shows
// (placements.ts), so every participant sees them live.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type Quill from 'quill';
import { useClient, useMutation, useSubscription } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { DocumentSuggestions, DocumentThreads, OpenSuggestions, Suggest, Threads } from '../api/operations.ts';
import { Editor } from '../editor/Editor.tsx';
import { fromEditor } from '../editor/embeds.ts';
import { SuggestDraft, type DraftOut } from '../editor/suggesting.ts';
import { Delta, type DocumentSync } from '../sync/index.ts';
import { DraftCard, NewThreadCard, SuggestionCard, ThreadCard, type SuggestionView, type ThreadView } from './MarginCards.tsx';
import { layoutCards } from './margin-layout.ts';
import { firstIndex, insertedRanges, suggestionMarks, type TextRange } from './marks.ts';
import { Overlay, type OverlayInsert, type OverlayMark } from './overlay.ts';
import { LiveList } from './live-list.ts';
import { Placements } from './placements.ts';

const CARD_GAP = 8;
const DRAFT_ID = 'draft';
const NEW_THREAD_ID = 'new-thread';

/** `canComment`: COMMENTER and above (viewers get the plain editor). Editing rights come from the engine (`readOnly`). */
export function TeamEditor({ sync, documentId, canComment, autoFocus }: { sync: DocumentSync; documentId: string; canComment: boolean; autoFocus: boolean }) {
  const snapshot = useSyncExternalStore(sync.subscribe, sync.getSnapshot);
  const canEdit = !snapshot.readOnly;
  const [quill, setQuill] = useState<Quill | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  // Suggestions typed here: one key per page, a sequence number per suggestion (idempotent retries).
  const [, suggest] = useMutation(Suggest);
  const keys = useRef({ clientId: `web-${crypto.randomUUID()}`, seq: 0 });
  const placementsRef = useRef<Placements | null>(null);
  const send = useCallback(
    async (out: DraftOut) => {
      const input = { documentId, baseVersion: out.baseVersion, delta: fromEditor(out.delta), clientId: keys.current.clientId, clientSeq: keys.current.seq++ };
      const result = await suggest({ input });
      if (result.error) setProblem(messageFor(apiErrorOf(result.error), 'suggestion'));
      else {
        setProblem(null);
        placementsRef.current?.addSuggestion(result.data!.suggest);
      }
    },
    [documentId, suggest],
  );
  const draft = useMemo(() => (canComment ? new SuggestDraft(sync, (out) => void send(out)) : undefined), [sync, canComment, send]);
  // Leaving the page sends what is still being typed (the editor is gone by then: nothing to take out of it).
  useEffect(
    () => () => {
      draft?.flush();
      draft?.dispose();
    },
    [draft],
  );
  // Commenters may only suggest; editors choose.
  const forced = canComment && !canEdit;
  useEffect(() => {
    if (forced) draft?.setActive(true);
  }, [draft, forced]);
  const suggesting = useSyncExternalStore(
    useCallback((l: () => void) => draft?.subscribe(l) ?? (() => {}), [draft]),
    () => draft?.active ?? false,
  );

  return (
    <div className={canComment ? 'team-editor with-margin' : 'team-editor'}>
      <div className="team-main">
        {canComment && (
          <div className="team-bar">
            <label className="switch" title={forced ? 'You may suggest changes; an editor accepts them.' : 'Typing becomes suggestions that an editor accepts or rejects.'}>
              <input type="checkbox" role="switch" data-testid="suggesting-switch" checked={suggesting} disabled={forced} onChange={(e) => draft?.setActive(e.target.checked)} />
              Suggesting
            </label>
            {problem && (
              <span className="error small" role="alert">
                {problem}
              </span>
            )}
          </div>
        )}
        <Editor sync={sync} readOnly={snapshot.readOnly} autoFocus={autoFocus} draft={draft} onQuill={setQuill} />
      </div>
      {canComment && quill && draft && <Margin quill={quill} sync={sync} draft={draft} documentId={documentId} canEdit={canEdit} placementsRef={placementsRef} />}
    </div>
  );
}

function Margin({ quill, sync, draft, documentId, canEdit, placementsRef }: { quill: Quill; sync: DocumentSync; draft: SuggestDraft; documentId: string; canEdit: boolean; placementsRef: React.RefObject<Placements | null> }) {
  const client = useClient();
  const { items: liveThreads, reread: rereadThreads } = useLive(
    useCallback(() => client.query(Threads, { id: documentId }, { requestPolicy: 'network-only' }).toPromise().then((r) => r.data?.document?.threads ?? null), [client, documentId]),
  );
  const { items: liveSuggestions, reread: rereadSuggestions } = useLive(
    useCallback(() => client.query(OpenSuggestions, { id: documentId }, { requestPolicy: 'network-only' }).toPromise().then((r) => r.data?.document?.suggestions ?? null), [client, documentId]),
  );
  // A thread whose last comment was deleted arrives once more with no comments; a settled suggestion leaves the list.
  useSubscription({ query: DocumentThreads, variables: { documentId } }, (_p, event) => {
    const t = event.documentThreads;
    liveThreads.event({ id: t.id, value: t.comments.length === 0 ? null : t });
    rereadThreads();
    return event;
  });
  useSubscription({ query: DocumentSuggestions, variables: { documentId } }, (_p, event) => {
    const s = event.documentSuggestions;
    liveSuggestions.event({ id: s.id, value: s.status === 'OPEN' ? s : null });
    rereadSuggestions();
    return event;
  });

  const [tick, setTick] = useState(0);
  const frame = useRef(0);
  const redraw = useCallback(() => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setTick((t) => t + 1);
    });
  }, []);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const placements = useMemo(
    () =>
      new Placements(
        { version: () => sync.version, committedSince: (version) => sync.committedSince(version), onTop: () => [...sync.unacknowledged, draft.pending] },
        () => {
          rereadThreads();
          rereadSuggestions();
        },
      ),
    [sync, draft, rereadThreads, rereadSuggestions],
  );
  placementsRef.current = placements;

  const threadList = liveThreads.shown;
  const suggestionList = liveSuggestions.shown;
  useEffect(() => {
    if (!threadList) return;
    placements.setThreads(threadList.filter((t) => t.status === 'OPEN'));
    redraw();
  }, [placements, threadList, redraw]);
  useEffect(() => {
    if (!suggestionList) return;
    placements.setSuggestions(suggestionList);
    redraw();
  }, [placements, suggestionList, redraw]);

  // Everything the editor shows moves the placed items (worked out at the next draw); the engine's version decides when waiting ones land.
  useEffect(() => {
    const onText = () => redraw();
    quill.on('text-change', onText);
    let version = sync.version;
    const stopSync = sync.subscribe(() => {
      const placed = placements.place();
      // Our ack changes no text, but can move an item to where the server has it (placements.ts).
      if (placed || sync.version !== version) redraw();
      version = sync.version;
    });
    const stopContent = sync.onContent((change) => {
      if (change.kind === 'reset') {
        rereadThreads();
        rereadSuggestions();
      }
    });
    const stopDraft = draft.subscribe(redraw);
    window.addEventListener('resize', redraw);
    quill.root.addEventListener('scroll', redraw);
    return () => {
      quill.off('text-change', onText);
      stopSync();
      stopContent();
      stopDraft();
      window.removeEventListener('resize', redraw);
      quill.root.removeEventListener('scroll', redraw);
    };
  }, [quill, sync, draft, placements, redraw, rereadThreads, rereadSuggestions]);

  // A new thread: the selection when "Comment" was pressed, at the server's positions and the editor's.
  const [newThread, setNewThread] = useState<{ server: { version: number; index: number; length: number }; shown: TextRange } | null>(null);
  const [focused, setFocused] = useState<string | null>(null);
  const startThread = () => {
    draft.flush(); // the selection must be on the server's text, not on a draft
    const shown = quill.getSelection();
    const server = sync.selectionAtServer();
    if (!shown || shown.length < 1 || !server || server.length < 1) return setHint('Select some text to comment on first.');
    setHint(null);
    setNewThread({ server, shown });
    setFocused(NEW_THREAD_ID);
  };
  const [hint, setHint] = useState<string | null>(null);

  // Clicking highlighted text focuses its card.
  useEffect(() => {
    const onClick = () => {
      const at = quill.getSelection()?.index;
      if (at === undefined) return;
      const shown = placements.shown();
      for (const [id, range] of shown.threads) if (range && at >= range.index && at <= range.index + range.length) return setFocused(id);
      for (const [id, delta] of shown.suggestions) {
        const m = suggestionMarks(delta);
        if ([...m.deletes, ...m.formats].some((r) => at >= r.index && at <= r.index + r.length) || m.inserts.some((i) => i.index === at)) return setFocused(id);
      }
    };
    quill.root.addEventListener('click', onClick);
    return () => quill.root.removeEventListener('click', onClick);
  }, [quill, placements]);

  // What to show, from the placements (read at every render: they move outside React).
  const shown = placements.shown();
  const threadById = new Map((threadList ?? []).map((t) => [t.id, t]));
  const suggestionById = new Map((suggestionList ?? []).map((s) => [s.id, s]));
  const threads: ThreadView[] = [];
  const suggestions: SuggestionView[] = [];
  const marks: OverlayMark[] = [];
  const inserts: OverlayInsert[] = [];
  const wants = new Map<string, number>(); // card id -> text position it lines up with
  for (const [id, range] of shown.threads) {
    const t = threadById.get(id);
    if (!t || !range || t.status !== 'OPEN') continue;
    threads.push(t);
    marks.push({ owner: id, kind: 'comment', range });
    wants.set(id, range.index);
  }
  // The text around each suggestion, for its redline (only read when there is one: it copies the document).
  const content = shown.suggestions.size > 0 ? quill.getContents() : new Delta();
  for (const [id, delta] of shown.suggestions) {
    const s = suggestionById.get(id);
    const m = suggestionMarks(delta);
    for (const r of m.deletes) marks.push({ owner: id, kind: 'delete', range: r });
    for (const r of m.formats) marks.push({ owner: id, kind: 'format', range: r });
    for (const i of m.inserts) inserts.push({ owner: id, index: i.index });
    wants.set(id, firstIndex(m));
    suggestions.push({ id, author: s?.author?.name ?? null, createdAt: s?.createdAt ?? null, content, delta });
  }
  const pending = draft.pending;
  if (pending) {
    const ranges = insertedRanges(pending);
    for (const r of ranges) marks.push({ owner: DRAFT_ID, kind: 'draft', range: r });
    wants.set(DRAFT_ID, ranges[0]?.index ?? firstIndex(suggestionMarks(pending)));
  }
  if (newThread) {
    marks.push({ owner: NEW_THREAD_ID, kind: 'comment', range: newThread.shown });
    wants.set(NEW_THREAD_ID, newThread.shown.index);
  }

  // After every render: draw the overlay, then put each card beside its text.
  const column = useRef<HTMLDivElement>(null);
  const overlay = useMemo(() => new Overlay(quill), [quill]);
  useEffect(() => () => overlay.remove(), [overlay]);
  useLayoutEffect(() => {
    const tops = overlay.draw(marks, inserts, focused);
    const margin = column.current;
    if (!margin) return;
    const shift = quill.container.getBoundingClientRect().top - margin.getBoundingClientRect().top;
    const cards = [...margin.querySelectorAll<HTMLElement>('[data-card]')];
    const boxes = cards.map((el) => {
      const id = el.dataset.card!;
      const want = (tops.get(id) ?? quill.getBounds(Math.min(wants.get(id) ?? 0, quill.getLength() - 1))?.top ?? 0) + shift;
      return { id, want, height: el.offsetHeight, index: wants.get(id) };
    });
    const placed = layoutCards(boxes, CARD_GAP, focused);
    let bottom = 0;
    for (const el of cards) {
      const top = placed.get(el.dataset.card!) ?? 0;
      el.style.top = `${top}px`;
      bottom = Math.max(bottom, top + el.offsetHeight);
    }
    margin.style.minHeight = `${bottom}px`;
  });

  const focusProps = (id: string) => ({ focused: focused === id, onFocus: () => setFocused(id) });
  return (
    <aside className="team-margin" aria-label="Comments and suggestions" data-testid="margin" data-tick={tick}>
      <div className="team-margin-head">
        <button type="button" className="button ghost small" onClick={startThread} onMouseDown={(e) => e.preventDefault()} data-testid="add-comment">
          Add comment
        </button>
        {hint && <span className="muted small">{hint}</span>}
      </div>
      <div className="team-cards" ref={column}>
        {newThread && (
          <NewThreadCard
            id={NEW_THREAD_ID}
            documentId={documentId}
            at={newThread.server}
            {...focusProps(NEW_THREAD_ID)}
            onDone={(ok) => {
              setNewThread(null);
              if (ok) rereadThreads();
            }}
          />
        )}
        {pending && <DraftCard id={DRAFT_ID} content={sync.content} draft={pending} {...focusProps(DRAFT_ID)} />}
        {threads.map((t) => (
          <ThreadCard key={t.id} thread={t} onChanged={rereadThreads} {...focusProps(t.id)} />
        ))}
        {suggestions.map((s) => (
          <SuggestionCard key={s.id} suggestion={s} canDecide={canEdit} onChanged={rereadSuggestions} {...focusProps(s.id)} />
        ))}
      </div>
    </aside>
  );
}

/** A live list (live-list.ts): `shown` is the list now, `event` applies a stream event, `reread` reads it again. */
function useLive<T extends { id: string }>(read: () => Promise<readonly T[] | null>) {
  const list = useMemo(() => new LiveList<T>(), [read]);
  const [shown, setShown] = useState<T[] | null>(null);
  const reread = useCallback(() => {
    const ticket = list.reading();
    void read().then((items) => {
      if (items && list.answered(ticket, items)) setShown(list.items());
    });
  }, [list, read]);
  useEffect(() => reread(), [reread]);
  const event = useCallback(
    (e: { id: string; value: T | null }) => {
      list.event(e);
      setShown(list.items());
    },
    [list],
  );
  return { items: { shown, event }, reread };
}
