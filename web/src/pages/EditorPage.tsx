// /documents/:id: loads the document, opens its sync engine (taking over
// edits a closed page left pending), and shows the editor with presence,
// connection state, sharing and history.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { ApiError, apiErrorOf, messageFor } from '../api/errors.ts';
import { OpenDocument, RenameDocument } from '../api/operations.ts';
import type { SessionUser } from '../api/session.ts';
import { Link } from '../app/Link.tsx';
import { useServices } from '../app/services.ts';
import { navigate } from '../app/router.ts';
import { Avatars, type AvatarUser } from '../components/Avatars.tsx';
import { ConnectionIndicator } from '../components/ConnectionIndicator.tsx';
import { ErrorBoundary } from '../components/ErrorBoundary.tsx';
import { ExportMenu } from '../components/ExportMenu.tsx';
import { CommentsPanel } from '../components/CommentsPanel.tsx';
import { HistoryPanel } from '../components/HistoryPanel.tsx';
import { ShareDialog } from '../components/ShareDialog.tsx';
import { useKeptDocument } from '../offline/kept-documents.ts';
import { useLiveTitle } from './use-live-title.ts';
import type { OpenDocumentQuery } from '../gql/graphql.ts';
import { TeamEditor } from '../team/TeamEditor.tsx';
import { DocumentSync, MemoryPendingStore, SyncError, type DeltaJSON } from '../sync/index.ts';
import { tabPresenceId } from '../sync/tab-presence-id.ts';

type OpenedDocument = NonNullable<OpenDocumentQuery['document']>;

/** After an ack, the next op waits at least this long (ms), gathering keystrokes into fewer ops. */
const SEND_HOLD_MS = 50;

export function EditorPage({ documentId, me }: { documentId: string; me: SessionUser }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: OpenDocument, variables: { id: documentId } });
  // Offline: open what this browser kept of the document (and its pending edits).
  const kept = useKeptDocument(me.id, documentId, data?.document, error !== undefined && apiErrorOf(error).code === 'NETWORK');
  if (error && kept !== null) return kept ? <OpenEditor document={kept} me={me} /> : <main className="page muted">Opening…</main>;
  if (error) {
    return (
      <Problem>
        {messageFor(apiErrorOf(error), 'document')}{' '}
        <button type="button" className="button link" onClick={() => refetch({ requestPolicy: 'network-only' })}>
          Try again
        </button>
      </Problem>
    );
  }
  if (fetching || !data) return <main className="page muted">Opening…</main>;
  if (!data.document) return <Problem>{messageFor({ code: 'NOT_FOUND', message: '' }, 'document')}</Problem>;
  return <OpenEditor document={data.document} me={me} />;
}

function Problem({ children }: { children: React.ReactNode }) {
  return (
    <main className="page">
      <p className="error" role="alert">
        {children}
      </p>
      <p>
        <Link to="/">← All documents</Link>
      </p>
    </main>
  );
}

function useDocumentSync(doc: OpenedDocument): { sync: DocumentSync | null; error: SyncError | null } {
  const { transport, store } = useServices();
  const [sync, setSync] = useState<DocumentSync | null>(null);
  const [error, setError] = useState<SyncError | null>(null);
  useEffect(() => {
    let cancelled = false;
    let opened: DocumentSync | null = null;
    tabPresenceId()
      .then((presenceId) =>
        DocumentSync.open({
          documentId: doc.id,
          presenceId,
          transport,
          store: store ?? new MemoryPendingStore(),
          initial: { version: doc.version, content: doc.content as DeltaJSON },
          // Commenters comment; only editors and owners change the text.
          readOnly: doc.myRole !== 'EDITOR' && doc.myRole !== 'OWNER',
          online: navigator.onLine,
          // Two people typing at one spot keep their words whole (docs/protocol.md §6).
          sendHoldMs: SEND_HOLD_MS,
        }),
      )
      .then(
        (s) => {
          if (cancelled) void s.close();
          else setSync((opened = s));
        },
        (e: unknown) => !cancelled && setError(e instanceof SyncError ? e : new SyncError('NETWORK', String(e))),
      );
    return () => {
      cancelled = true;
      void opened?.close();
      setSync(null);
    };
    // The document's id decides the session; its other fields are only the starting point.
  }, [doc.id, transport, store]);

  // The browser's own view of the network: no retry storms while offline.
  useEffect(() => {
    if (!sync) return;
    const online = () => sync.setNetworkOnline(true);
    const offline = () => sync.setNetworkOnline(false);
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    return () => {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
    };
  }, [sync]);

  return { sync, error };
}

/** The side panel beside the editor, if any. */
type Panel = 'history' | 'comments' | null;

function OpenEditor({ document: doc, me }: { document: OpenedDocument; me: SessionUser }) {
  const { sync, error } = useDocumentSync(doc);
  const [title, setTitle] = useState(doc.title);
  useLiveTitle(doc.id, setTitle);
  // Made a moment ago (the documents page opens it with ?new): name it first, then write.
  const [namingFirst] = useState(() => new URLSearchParams(location.search).has('new'));
  useEffect(() => {
    if (namingFirst) navigate(`/documents/${encodeURIComponent(doc.id)}`, { replace: true });
  }, [namingFirst, doc.id]);
  const [panel, setPanel] = useState<Panel>(null);
  const [sharing, setSharing] = useState(false);
  const closeShare = useCallback(() => setSharing(false), []);

  if (error) return <Problem>{messageFor(error, 'document')}</Problem>;
  if (!sync) return <main className="page muted">Opening…</main>;

  return (
    <main className="editor-page">
      <div className="doc-bar">
        <Link to="/" className="back" aria-label="All documents">
          ←
        </Link>
        <Title id={doc.id} title={title} canRename={doc.myRole === 'OWNER'} focus={namingFirst} onRenamed={setTitle} />
        <SyncStatus sync={sync} me={me} />
        <ExportMenu documentId={doc.id} />
        <button type="button" className="button ghost" onClick={() => setPanel(panel === 'history' ? null : 'history')} aria-pressed={panel === 'history'} data-testid="open-history">
          History
        </button>
        {doc.myRole !== 'VIEWER' && (
          <button type="button" className="button ghost" onClick={() => setPanel(panel === 'comments' ? null : 'comments')} aria-pressed={panel === 'comments'} data-testid="open-comments">
            Comments
          </button>
        )}
        <button type="button" className="button primary" onClick={() => setSharing(true)} data-testid="open-share">
          Share
        </button>
      </div>
      <EditorBody sync={sync} documentId={doc.id} canComment={doc.myRole !== 'VIEWER'} focusText={!namingFirst} panel={panel} onClosePanel={() => setPanel(null)} />
      {sharing && <ShareDialog documentId={doc.id} me={me} onClose={closeShare} />}
    </main>
  );
}

function SyncStatus({ sync, me }: { sync: DocumentSync; me: SessionUser }) {
  const snapshot = useSyncExternalStore(sync.subscribe, sync.getSnapshot);
  // One avatar per person, however many tabs they have open.
  const people = new Map<string, AvatarUser>([[me.id, { id: me.id, name: me.name, label: `${me.name} (you)` }]]);
  // Away only if every one of their tabs is (we are offline and cannot tell).
  for (const p of snapshot.presences) {
    if (!p.user || p.user.id === me.id) continue;
    const known = people.get(p.user.id);
    people.set(p.user.id, { ...p.user, away: (known?.away ?? true) && p.away });
  }
  return (
    <div className="sync-status">
      <Avatars users={[...people.values()]} label="People here" />
      <ConnectionIndicator snapshot={snapshot} />
    </div>
  );
}

function EditorBody({ sync, documentId, canComment, focusText, panel, onClosePanel }: { sync: DocumentSync; documentId: string; canComment: boolean; focusText: boolean; panel: Panel; onClosePanel: () => void }) {
  const snapshot = useSyncExternalStore(sync.subscribe, sync.getSnapshot);
  const error = snapshot.error;
  return (
    <div className={panel ? 'editor-body with-panel' : 'editor-body'}>
      <div className="editor-column">
        {snapshot.readOnly && (
          <p className="banner info" data-testid="read-only">
            {canComment ? 'Comment only — you can read, comment and suggest changes, but not edit.' : 'View only — you can read and see who is here, but not edit.'}
          </p>
        )}
        {error && (
          <p className={snapshot.status === 'closed' ? 'banner error' : 'banner warn'} role="alert" data-testid="sync-error" data-code={error.code}>
            {messageFor(error instanceof ApiError ? error : { code: error.code, message: error.message }, 'edit')}
            {snapshot.status === 'closed' && (
              <>
                {' '}
                <Link to="/">Back to documents</Link>
              </>
            )}
          </p>
        )}
        <ErrorBoundary what="this document">
          <TeamEditor sync={sync} documentId={documentId} canComment={canComment} autoFocus={focusText} />
        </ErrorBoundary>
      </div>
      {panel === 'comments' && <CommentsPanel documentId={documentId} sync={sync} onClose={onClosePanel} />}
      {panel === 'history' && <HistoryPanel documentId={documentId} headVersion={snapshot.version} canRestore={!snapshot.readOnly} onClose={onClosePanel} />}
    </div>
  );
}

function Title({ id, title, canRename, focus, onRenamed }: { id: string; title: string; canRename: boolean; focus: boolean; onRenamed: (title: string) => void }) {
  const [draft, setDraft] = useState(title);
  const [problem, setProblem] = useState<string | null>(null);
  const [, rename] = useMutation(RenameDocument);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setDraft(title), [title]);
  // A document just made opens with its title selected, ready to be named.
  useEffect(() => {
    if (!focus) return;
    input.current?.focus();
    input.current?.select();
  }, [focus]);
  if (!canRename) return <h1 className="doc-title-static">{title}</h1>;
  const save = async (event?: FormEvent) => {
    event?.preventDefault();
    if (draft.trim() === title) return;
    const result = await rename({ id, title: draft });
    if (result.error) {
      setProblem(messageFor(apiErrorOf(result.error), 'document'));
      setDraft(title);
    } else {
      setProblem(null);
      onRenamed(result.data!.renameDocument.title);
    }
  };
  return (
    <form className="doc-title-form" onSubmit={save}>
      <input ref={input} className="doc-title-input" aria-label="Document title" value={draft} maxLength={200} onChange={(e) => setDraft(e.target.value)} onBlur={() => void save()} />
      {problem && <span className="error small">{problem}</span>}
    </form>
  );
}
