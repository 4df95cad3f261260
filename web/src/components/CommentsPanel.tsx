// Comment threads beside the editor (docs/protocol.md §14): the threads of
// the document, live (documentThreads says which changed; the list is read
// again), a reply box and resolve/reopen on each, and a new thread on the
// editor's selection. Anchors are shown as their quote; a detached thread
// (its text deleted) says so.
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { DocumentThreads, OpenThread, ReopenThread, ReplyToThread, ResolveThread, Threads } from '../api/operations.ts';
import type { DocumentSync } from '../sync/index.ts';
import { relativeTime } from './relative-time.ts';
import { CommentBody } from './CommentBody.tsx';
import { SuggestionsList } from './SuggestionsList.tsx';

export function CommentsPanel({ documentId, sync, onClose }: { documentId: string; sync: DocumentSync; onClose: () => void }) {
  const [{ data, error }, refetch] = useQuery({ query: Threads, variables: { id: documentId }, requestPolicy: 'cache-and-network' });
  useSubscription({ query: DocumentThreads, variables: { documentId } }, (_previous, event) => {
    refetch({ requestPolicy: 'network-only' });
    return event;
  });
  const [, open] = useMutation(OpenThread);
  const [, reply] = useMutation(ReplyToThread);
  const [, resolve] = useMutation(ResolveThread);
  const [, reopen] = useMutation(ReopenThread);
  const [problem, setProblem] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [replies, setReplies] = useState<Record<string, string>>({});

  const report = (result: { error?: Parameters<typeof apiErrorOf>[0] }) => {
    if (result.error) setProblem(messageFor(apiErrorOf(result.error), 'comment'));
    else setProblem(null);
    refetch({ requestPolicy: 'network-only' });
    return !result.error;
  };

  const startThread = async (event: FormEvent) => {
    event.preventDefault();
    const range = sync.selectionAtServer();
    if (!range || range.length < 1) return setProblem('Select some text to comment on first.');
    if (report(await open({ documentId, ...range, body: draft }))) setDraft('');
  };

  const threads = data?.document?.threads ?? [];
  return (
    <aside className="history comments" aria-label="Comments" data-testid="comments-panel">
      <div className="panel-head">
        <h2>Comments</h2>
        <button type="button" className="button ghost small" onClick={onClose} aria-label="Close comments">
          ✕
        </button>
      </div>
      <form onSubmit={startThread} className="comment-form">
        <textarea aria-label="New comment on the selection" value={draft} onChange={(e) => setDraft(e.target.value)} maxLength={10_000} rows={2} />
        <button type="submit" className="button primary small" disabled={draft.trim() === ''}>
          Comment on selection
        </button>
      </form>
      {(problem || error) && (
        <p className="error" role="alert">
          {problem ?? messageFor(apiErrorOf(error!), 'comment')}
        </p>
      )}
      <SuggestionsList documentId={documentId} />
      {threads.length === 0 && <p className="muted">No comments yet.</p>}
      <ol className="threads">
        {threads.map((t) => (
          <li key={t.id} className={t.status === 'RESOLVED' ? 'thread resolved' : 'thread'} data-testid="thread">
            <blockquote className="muted small">
              {t.quote}
              {t.anchor === null && ' (text deleted)'}
            </blockquote>
            {t.comments.map((c) => (
              <p key={c.id} className="comment">
                <strong>{c.author?.name ?? 'Someone'}</strong> <span className="muted small">{relativeTime(c.createdAt)}{c.editedAt ? ' · edited' : ''}</span>
                <br />
                <CommentBody body={c.body} mentions={c.mentions} />
              </p>
            ))}
            <form
              className="comment-form"
              onSubmit={async (event) => {
                event.preventDefault();
                if (report(await reply({ threadId: t.id, body: replies[t.id] ?? '' }))) setReplies({ ...replies, [t.id]: '' });
              }}
            >
              <input aria-label="Reply" value={replies[t.id] ?? ''} onChange={(e) => setReplies({ ...replies, [t.id]: e.target.value })} maxLength={10_000} />
              <button type="submit" className="button ghost small" disabled={(replies[t.id] ?? '').trim() === ''}>
                Reply
              </button>
              <button type="button" className="button ghost small" onClick={async () => report(t.status === 'OPEN' ? await resolve({ threadId: t.id }) : await reopen({ threadId: t.id }))}>
                {t.status === 'OPEN' ? 'Resolve' : 'Reopen'}
              </button>
            </form>
          </li>
        ))}
      </ol>
    </aside>
  );
}
